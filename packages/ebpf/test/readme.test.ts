// The README example, run as written (kept in sync by this test: it compares itself with README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, disasmKernel, makeProgType } from '../src/index.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';

const EXAMPLE = `import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, disasmKernel, makeProgType } from '../src/index.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';

// A kernel instance with one program type (SCHED_CLS proper comes from @tcbpf/bpf-skb).
const sys = new BpfSyscall({ progTypes: [makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls', ctxSize: 192 })] });
const counters = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'counters' });

// Count runs in map[0] with an atomic add and return the new count.
const insns = assembleKernel(\`
  *(u32 *)(r10 -4) = 0
  r1 = map[fd:\${counters}]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem#1
  if r0 == 0x0 goto out
  r1 = 1
  r1 = atomic64_fetch_add((u64 *)(r0 +0), r1)
  r0 = r1
  r0 += 1
  exit
out:
  r0 = 0
  exit\`);
const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns, license: 'GPL', name: 'count' });
console.log(sys.progInfo(fd).tag); // the tag \`bpftool prog show\` would print for this program
console.log(disasmKernel(sys.prog(fd).insns));

sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192)); // what R1 points at
for (let i = 0; i < 3; i++) {
  const status = sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0);
  console.log(status === RUN_STATUS.OK, sys.interpreter.r0Lo); // true 1, true 2, true 3
}
console.log(sys.mapLookupElem(counters, new Uint8Array(4))); // Uint8Array [3, 0, 0, 0, 0, 0, 0, 0]
`;

function run(): void {

  // A kernel instance with one program type (SCHED_CLS proper comes from @tcbpf/bpf-skb).
  const sys = new BpfSyscall({ progTypes: [makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls', ctxSize: 192 })] });
  const counters = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'counters' });

  // Count runs in map[0] with an atomic add and return the new count.
  const insns = assembleKernel(`
    *(u32 *)(r10 -4) = 0
    r1 = map[fd:${counters}]
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem#1
    if r0 == 0x0 goto out
    r1 = 1
    r1 = atomic64_fetch_add((u64 *)(r0 +0), r1)
    r0 = r1
    r0 += 1
    exit
  out:
    r0 = 0
    exit`);
  const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns, license: 'GPL', name: 'count' });
  console.log(sys.progInfo(fd).tag); // the tag `bpftool prog show` would print for this program
  console.log(disasmKernel(sys.prog(fd).insns));

  sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192)); // what R1 points at
  for (let i = 0; i < 3; i++) {
    const status = sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0);
    console.log(status === RUN_STATUS.OK, sys.interpreter.r0Lo); // true 1, true 2, true 3
  }
  console.log(sys.mapLookupElem(counters, new Uint8Array(4))); // Uint8Array [3, 0, 0, 0, 0, 0, 0, 0]
}

describe('README example', () => {
  it('is the example in README.md and prints what its comments say', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(block.replace("from '@tcbpf/ebpf'", "from '../src/index.js'")).toBe(EXAMPLE);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      run();
      const lines = log.mock.calls.map((c) => c.map(String).join(' '));
      expect(lines[0]).toMatch(/^[0-9a-f]{16}$/);
      expect(lines[1]).toContain('0: (62) *(u32 *)(r10 -4) = 0');
      expect(lines.slice(2, 5)).toEqual(['true 1', 'true 2', 'true 3']);
      expect(lines[5]).toBe('3,0,0,0,0,0,0,0');
    } finally {
      log.mockRestore();
    }
  });
});
