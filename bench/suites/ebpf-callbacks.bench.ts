// Callbacks in the eBPF interpreter: cost per iteration of bpf_loop and of
// bpf_for_each_map_elem (array and hash, 1,000 elements) against the same work
// open-coded in one BPF program (a bounded loop; a loop of bpf_map_lookup_elem)
// in the same interpreter and run. Each program's result is checked first.
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { BpfSyscall, RUN_STATUS, assembleKernel, makeProgType } from '@tcbpf/ebpf';
import type { BenchGroup } from '../harness.js';

const N = 1000;

const OPEN_LOOP = `
    *(u64 *)(r10 -8) = 0
    r6 = 0
  loop:
    r1 = *(u64 *)(r10 -8)
    r1 += r6
    *(u64 *)(r10 -8) = r1
    r6 += 1
    if r6 < ${N} goto loop
    r0 = *(u64 *)(r10 -8)
    exit`;

// main: 10 slots, the callback at 10 (ld_imm64 at 2: +7)
const BPF_LOOP = `
    *(u64 *)(r10 -8) = 0
    r1 = ${N}
    r2 = subprog[+7]
    r3 = r10
    r3 += -8
    r4 = 0
    call bpf_loop#181
    r0 = *(u64 *)(r10 -8)
    exit
    r3 = *(u64 *)(r2 +0)
    r3 += r1
    *(u64 *)(r2 +0) = r3
    r0 = 0
    exit`;

const openLookups = (fd: number): string => `
    *(u64 *)(r10 -8) = 0
    r6 = 0
  loop:
    *(u32 *)(r10 -12) = r6
    r1 = map[fd:${fd}]
    r2 = r10
    r2 += -12
    call bpf_map_lookup_elem#1
    if r0 == 0 goto next
    r1 = *(u64 *)(r0 +0)
    r2 = *(u64 *)(r10 -8)
    r2 += r1
    *(u64 *)(r10 -8) = r2
  next:
    r6 += 1
    if r6 < ${N} goto loop
    r0 = *(u64 *)(r10 -8)
    exit`;

// main: 11 slots, the callback at 11 (ld_imm64 at 3: +7)
const forEach = (fd: number): string => `
    *(u64 *)(r10 -8) = 0
    r1 = map[fd:${fd}]
    r2 = subprog[+7]
    r3 = r10
    r3 += -8
    r4 = 0
    call bpf_for_each_map_elem#164
    r0 = *(u64 *)(r10 -8)
    exit
    r5 = *(u64 *)(r3 +0)
    r0 = *(u64 *)(r4 +0)
    r0 += r5
    *(u64 *)(r4 +0) = r0
    r0 = 0
    exit`;

export function groups(): BenchGroup[] {
  const sys = new BpfSyscall({ progTypes: [makeProgType({ type: BPF_PROG_TYPE.SOCKET_FILTER, name: 'bench', ctxSize: 0 })] });
  const load = (text: string): ReturnType<BpfSyscall['prog']> =>
    sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SOCKET_FILTER, insns: assembleKernel(text), license: 'GPL' }));
  const arr = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: N });
  const hash = sys.mapCreate({ mapType: BPF_MAP_TYPE.HASH, keySize: 4, valueSize: 8, maxEntries: N });
  let want = 0;
  for (let i = 0; i < N; i++) {
    const k = new Uint8Array(new Uint32Array([i]).buffer);
    const v = new Uint8Array(new BigUint64Array([BigInt(i * 3)]).buffer);
    sys.mapUpdateElem(arr, k, v);
    sys.mapUpdateElem(hash, k, v);
    want += i * 3;
  }
  const out = { sink: 0 };
  const runner = (text: string, expect: number): (() => void) => {
    const p = load(text);
    const st = sys.run(p, 0, 0);
    if (st !== RUN_STATUS.OK || sys.interpreter.r0Lo !== expect) throw new Error(`bench program disagrees (${st}, ${sys.interpreter.r0Lo} != ${expect})`);
    return () => { sys.run(p, 0, 0); out.sink ^= sys.interpreter.r0Lo; };
  };
  const loopSum = (N * (N - 1)) / 2;
  return [
    {
      suite: 'ebpf-callbacks',
      group: `bpf_loop, ${N} iterations (sum into the ctx)`,
      unit: 'iteration',
      baseline: { name: 'open-coded bounded loop (same program)', per: N, fn: runner(OPEN_LOOP, loopSum) },
      tasks: [{ name: 'bpf_loop + callback', per: N, fn: runner(BPF_LOOP, loopSum) }],
    },
    {
      suite: 'ebpf-callbacks',
      group: `sum of ${N} map values`,
      unit: 'element',
      baseline: { name: 'open-coded loop of bpf_map_lookup_elem (array)', per: N, fn: runner(openLookups(arr), want) },
      tasks: [
        { name: 'bpf_for_each_map_elem (array)', per: N, fn: runner(forEach(arr), want) },
        { name: 'bpf_for_each_map_elem (hash)', per: N, fn: runner(forEach(hash), want) },
      ],
    },
  ];
}
