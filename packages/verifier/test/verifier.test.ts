// The verdict API: log levels and the statistics line, the structured (JSON)
// refusal, KernelError from verifyOrThrow, syscall-level limits, the context
// rewrite, and full level-1 logs identical to this kernel's where possible.
import { KernelError } from '@tcbpf/base';
import { kernelVerify, verifyOracle } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { CTX_SHADOW, SKB_OFF, decodeInsns, disasmInsn, rewriteCtxAccesses, verify, verifyOrThrow } from '../src/index.js';
import { tnumAdd, tnumConst, tnumRange, tnumStr } from '../src/tnum.js';
import { JEQ, JGT, SZ, add, call, exit, jmp, jmpr, ldx, mov, movr, prog } from './asm.js';
import { allCases, loadVerdicts } from './corpus/fixtures.js';

const pktOk = prog(ldx(SZ.W, 2, 1, 76), ldx(SZ.W, 3, 1, 80), movr(4, 2), add(4, 4), jmpr(JGT, 4, 3, 1), ldx(SZ.W, 0, 2, 0), mov(0, 0), exit());
const pktBad = prog(ldx(SZ.W, 2, 1, 76), ldx(SZ.W, 3, 1, 80), movr(4, 2), add(4, 2), jmpr(JGT, 4, 3, 1), ldx(SZ.W, 0, 2, 0), mov(0, 0), exit());

describe('verdicts and logs', () => {
  it('accepts with only the statistics line at level 1', () => {
    const r = verify(pktOk, { logLevel: 1 });
    expect(r.ok).toBe(true);
    expect(r.log).toBe('processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0\n');
    expect(verify(pktOk).log).toBe('');
  });

  it('refuses with the kernel log of the failing path, message, errno and index', () => {
    const r = verify(pktBad, { logLevel: 1 });
    expect([r.ok, r.errno, r.code, r.insn]).toEqual([false, 'EACCES', -13, 5]);
    expect(r.message).toBe('invalid access to packet, off=0 size=4, R2(id=0,off=0,r=2)');
    expect(r.log).toBe(
      [
        '0: R1=ctx() R10=fp0',
        '0: (61) r2 = *(u32 *)(r1 +76)         ; R1=ctx() R2=pkt(r=0)',
        '1: (61) r3 = *(u32 *)(r1 +80)         ; R1=ctx() R3=pkt_end()',
        '2: (bf) r4 = r2                       ; R2=pkt(r=0) R4=pkt(r=0)',
        '3: (07) r4 += 2                       ; R4=pkt(off=2,r=0)',
        '4: (2d) if r4 > r3 goto pc+1          ; R3=pkt_end() R4=pkt(off=2,r=2)',
        '5: (61) r0 = *(u32 *)(r2 +0)',
        'invalid access to packet, off=0 size=4, R2(id=0,off=0,r=2)',
        'R2 offset is outside of the packet',
        'processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
        '',
      ].join('\n'),
    );
  });

  it('level 2 prints every explored path with its state; level 4 adds the stack depth', () => {
    const branchy = prog(mov(0, 0), ldx(SZ.W, 2, 1, 0), jmp(JEQ, 2, 0, 1), mov(0, 1), exit());
    const r = verify(branchy, { logLevel: 2 | 4 });
    expect(r.ok).toBe(true);
    expect(r.log).toContain('from 2 to 4: R0=0 R1=ctx() R2=0 R10=fp0');
    expect(r.log).toContain('4: (95) exit');
    expect(r.log).toMatch(/stack depth 0\nprocessed \d+ insns/);
  });

  it('gives a structured (JSON) refusal: instruction, its text, reason, register state', () => {
    const r = verify(pktBad);
    expect(r.structured).not.toBeNull();
    const s = JSON.parse(JSON.stringify(r.structured)) as Record<string, unknown>;
    expect(s).toMatchObject({ insn: 5, insnText: '(61) r0 = *(u32 *)(r2 +0)', errno: 'EACCES', reason: 'invalid access to packet, off=0 size=4, R2(id=0,off=0,r=2)', details: ['R2 offset is outside of the packet'] });
    expect((s['state'] as string[])[0]).toContain('R2=pkt(r=2)');
  });

  it('verifyOrThrow throws KernelError with errno, message and instruction', () => {
    try {
      verifyOrThrow(prog(exit()));
      expect.unreachable();
    } catch (e) {
      expect(KernelError.isInstance(e)).toBe(true);
      const k = e as KernelError;
      expect([k.errno, k.extack, k.insn]).toEqual(['EACCES', 'R0 !read_ok', 0]);
    }
    expect(verifyOrThrow(pktOk).ok).toBe(true);
  });

  it('refuses empty, oversized and ragged programs with E2BIG and no log, like bpf_prog_load', () => {
    for (const b of [new Uint8Array(0), new Uint8Array(12)]) {
      const r = verify(b, { logLevel: 1 });
      expect([r.errno, r.log]).toEqual(['E2BIG', '']);
    }
  });

  it('reports a helper outside the tc table and unsupported features clearly', () => {
    expect(verify(prog(call(4), mov(0, 0), exit())).message).toBe('program of this type cannot use helper bpf_probe_read#4');
    expect(verify(prog(call(180), mov(0, 0), exit())).message).toMatch(/not supported by this verifier/);
    expect(verify(prog([0x85, 0, 2, 0, 1234], mov(0, 0), exit())).message).toMatch(/kfunc calls are not supported/);
  });
});

describe('context rewrite', () => {
  it('turns verified 4-byte loads of data/data_end/data_meta into 8-byte shadow loads', () => {
    const b = prog(ldx(SZ.W, 2, 1, SKB_OFF.data), ldx(SZ.W, 3, 1, SKB_OFF.data_end), ldx(SZ.W, 4, 1, SKB_OFF.data_meta), ldx(SZ.W, 5, 1, SKB_OFF.len), mov(0, 0), exit());
    const r = verify(b);
    expect(r.ctxAccesses.map((a) => a.off)).toEqual([76, 80, 140, 0]);
    const out = decodeInsns(rewriteCtxAccesses(b, r));
    expect([0, 1, 2, 3].map((i) => disasmInsn(out, i))).toEqual([
      `(79) r2 = *(u64 *)(r1 +${CTX_SHADOW.data})`, `(79) r3 = *(u64 *)(r1 +${CTX_SHADOW.data_end})`, `(79) r4 = *(u64 *)(r1 +${CTX_SHADOW.data_meta})`, '(61) r5 = *(u32 *)(r1 +0)',
    ]);
    expect(() => rewriteCtxAccesses(prog(exit()), verify(prog(exit())))).toThrow(TypeError);
  });
});

describe('tnum', () => {
  it('follows kernel/bpf/tnum.c', () => {
    expect(tnumStr(tnumRange(0n, 0xffffffffn))).toBe('(0x0; 0xffffffff)');
    expect(tnumStr(tnumRange(4n, 7n))).toBe('(0x4; 0x3)');
    expect(tnumStr(tnumAdd(tnumRange(0n, 3n), tnumConst(4n)))).toBe('(0x4; 0x3)');
    expect(tnumStr(tnumAdd(tnumRange(0n, 3n), tnumConst(1n)))).toBe('(0x0; 0x7)');
  });
});

const k = verifyOracle();
describe.skipIf(!k.ok)(`level-1 logs against the live kernel (kernel: ${k.reason})`, () => {
  it('reproduces the full log of refused programs byte for byte, except lines with kernel addresses', () => {
    const heavy = new Set(loadVerdicts().filter((v) => v.processed > 900_000).map((v) => v.name));
    let same = 0;
    let total = 0;
    for (const c of allCases()) {
      if (heavy.has(c.name) || (c.maps ?? []).length > 0) continue;
      const kr = kernelVerify({ insns: c.insns, license: c.license ?? 'GPL', progFlags: c.flags ?? 0, logLevel: 1 });
      if (kr.errno === 0) continue;
      total++;
      if (verify(c.insns, { license: c.license ?? 'GPL', progFlags: c.flags ?? 0, logLevel: 1 }).log === kr.log) same++;
    }
    process.stdout.write(`level-1 logs identical for ${same}/${total} refused programs without maps\n`);
    expect(same / total).toBeGreaterThan(0.99);
  });
});
