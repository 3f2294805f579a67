// bpf_conformance negative/error.data (`or %r0, %r10; exit`) is the one negative file that the
// eBPF engine's load-time structural pass accepts (see packages/ebpf/test/conformance.test.ts):
// the refusal needs register state. The verifier gives the kernel's answer.
import { assemble, encodeInsns } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { verify } from '../src/index.js';

describe('bpf_conformance negative/error.data', () => {
  it('is refused by the verifier as Linux 6.18 refuses it (R0 !read_ok, EACCES)', () => {
    const bytes = encodeInsns(assemble('or %r0, %r10\nexit\n'));
    const r = verify(bytes, { logLevel: 1 });
    expect(r.ok).toBe(false);
    expect(r.errno).toBe('EACCES');
    expect(r.insn).toBe(0);
    expect(r.message).toBe('R0 !read_ok');
  });
  it('the same program with R0 written first is not refused for reading R0', () => {
    const r = verify(encodeInsns(assemble('mov %r0, 0\nor %r0, %r10\nexit\n')), { logLevel: 1 });
    // Whatever else the verifier says about this program, it is no longer the R0 read.
    expect(r.message).not.toBe('R0 !read_ok');
  });
});
