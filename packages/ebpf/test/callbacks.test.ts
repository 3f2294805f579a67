// bpf_loop and bpf_for_each_map_elem in the interpreter: the callback runs in a
// fresh frame, returns 0/1 to continue/stop; the helpers' error returns
// (flags -EINVAL, nr_loops > BPF_MAX_LOOPS -E2BIG), their counts, array and hash
// iteration order (hash: bucket order, the order BPF_MAP_GET_NEXT_KEY walks),
// callee-saved registers, nesting and faults inside callbacks.
import { BPF_MAP_TYPE as T, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { fc, test } from '@fast-check/vitest';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AddressSpace, BpfSyscall, CALLBACK_LIMITS, REGION, RUN_STATUS, assembleKernel, makeProgType } from '../src/index.js';

const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (test)', ctxSize: 192 });
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

/** Slots an assembly line takes (LD_IMM64 forms take two). */
function slots(l: string): number {
  return /= (subprog\[|CB\d|map\[|0x[0-9a-f]{9,} ll|.* ll$)/.test(l) ? 2 : 1;
}

/** Main program plus callbacks; `rN = CBk` loads callback k's address. */
function program(main: string[], ...cbs: string[][]): string {
  const parts = [main, ...cbs];
  const starts: number[] = [];
  let n = 0;
  for (const p of parts) {
    starts.push(n);
    for (const l of p) n += slots(l);
  }
  const out: string[] = [];
  let at = 0;
  for (const p of parts) {
    for (const l of p) {
      const m = /^(r\d+) = CB(\d+)$/.exec(l);
      out.push(m ? `${m[1]} = subprog[${starts[Number(m[2])]! - at - 1 >= 0 ? '+' : ''}${starts[Number(m[2])]! - at - 1}]` : l);
      at += slots(l);
    }
  }
  return out.join('\n');
}

function setup(text: (fds: number[]) => string, maps: [number, number, number, number][] = [], nrCpus = 1) {
  const sys = new BpfSyscall({ progTypes: [TYPE], nrCpus });
  const mfds = maps.map(([t, k, v, m]) => sys.mapCreate({ mapType: t, keySize: k, valueSize: v, maxEntries: m }));
  const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel(text(mfds)), license: 'GPL' });
  sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192), false);
  const run = (): number => sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0);
  return { sys, fd, maps: mfds, run };
}

/** bpf_loop(nr, CB1, &fp-8 counter, flags); array map slot 0 = the helper result, slot 1 = the counter. */
function loopProg(nr: string, flags: string, stopAt: number, mapFd: number): string {
  return program([
    '*(u64 *)(r10 -8) = 0',
    `r1 = ${nr}`,
    'r2 = CB1',
    'r3 = r10',
    'r3 += -8',
    `r4 = ${flags}`,
    'call bpf_loop#181',
    // result[0] = R0, result[1] = counter
    '*(u64 *)(r10 -24) = r0',
    '*(u32 *)(r10 -28) = 0',
    `r1 = map[fd:${mapFd}]`,
    'r2 = r10',
    'r2 += -28',
    'r3 = r10',
    'r3 += -24',
    'r4 = 0',
    'call bpf_map_update_elem#2',
    'r1 = *(u64 *)(r10 -8)',
    '*(u64 *)(r10 -24) = r1',
    '*(u32 *)(r10 -28) = 1',
    `r1 = map[fd:${mapFd}]`,
    'r2 = r10',
    'r2 += -28',
    'r3 = r10',
    'r3 += -24',
    'r4 = 0',
    'call bpf_map_update_elem#2',
    'r0 = 0',
    'exit',
  ], [
    'r3 = *(u64 *)(r2 +0)',
    'r3 += 1',
    '*(u64 *)(r2 +0) = r3',
    'r0 = 0',
    `if r1 != ${stopAt} goto pc+1`,
    'r0 = 1',
    'exit',
  ]);
}

function runLoop(nr: string, flags = '0', stopAt = -1): { r0: bigint; counter: bigint; status: number; executed: number } {
  const s = setup((f) => loopProg(nr, flags, stopAt, f[0]!), [[T.ARRAY, 4, 8, 2]]);
  const status = s.run();
  const m = s.sys.map(s.maps[0]!);
  const v = (i: number): bigint => new DataView(m.lookup(u32(i)).buffer).getBigUint64(0, true);
  return { r0: v(0), counter: v(1), status, executed: s.sys.interpreter.executed };
}

describe('bpf_loop', () => {
  it('runs the callback nr_loops times and returns the count', () => {
    expect(runLoop('10')).toMatchObject({ r0: 10n, counter: 10n, status: RUN_STATUS.OK });
    expect(runLoop('0')).toMatchObject({ r0: 0n, counter: 0n });
  });
  it('a callback returning 1 stops the loop; the stopping iteration counts', () => {
    expect(runLoop('10', '0', 3)).toMatchObject({ r0: 4n, counter: 4n });
    expect(runLoop('10', '0', 0)).toMatchObject({ r0: 1n, counter: 1n });
  });
  it('flags != 0 is -EINVAL before nr_loops is looked at; nr_loops > BPF_MAX_LOOPS is -E2BIG', () => {
    expect(runLoop('10', '1')).toMatchObject({ r0: BigInt.asUintN(64, -22n), counter: 0n });
    expect(runLoop(`${CALLBACK_LIMITS.MAX_LOOPS + 1}`, '2')).toMatchObject({ r0: BigInt.asUintN(64, -22n) });
    expect(runLoop(`${CALLBACK_LIMITS.MAX_LOOPS + 1}`)).toMatchObject({ r0: BigInt.asUintN(64, -7n), counter: 0n });
    expect(runLoop('-1')).toMatchObject({ r0: BigInt.asUintN(64, -7n), counter: 0n });
  });
  it('nr_loops is a u32: the upper half of R1 is ignored', () => {
    expect(runLoop('0x100000003 ll')).toMatchObject({ r0: 3n, counter: 3n });
  });
  it('instructions run inside callbacks count towards the run', () => {
    const a = runLoop('1');
    const b = runLoop('5');
    expect(b.executed - a.executed).toBe(4 * 6); // 6 insns per iteration of this callback (no stop)
  });
  it('callee-saved R6..R9 survive, the callback has its own stack frame', () => {
    const { sys, run } = setup(() => program([
      'r6 = 6', 'r7 = 7', 'r8 = 8', 'r9 = 9',
      'r1 = 42', '*(u64 *)(r10 -8) = r1',
      'r1 = 3', 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_loop#181',
      'r0 = *(u64 *)(r10 -8)', 'r0 += r6', 'r0 += r7', 'r0 += r8', 'r0 += r9', 'exit',
    ], ['r6 = 100', 'r7 = 100', 'r8 = 100', 'r9 = 100', 'r1 = 1', '*(u64 *)(r10 -8) = r1', 'r0 = 0', 'exit']));
    expect(run()).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(42 + 6 + 7 + 8 + 9);
  });
  it('nests: a callback may call bpf_loop itself', () => {
    const { sys, run } = setup(() => program([
      '*(u64 *)(r10 -8) = 0', 'r1 = 4', 'r2 = CB1', 'r3 = r10', 'r3 += -8', 'r4 = 0', 'call bpf_loop#181',
      'r0 = *(u64 *)(r10 -8)', 'exit',
    ], ['r3 = r2', 'r1 = 5', 'r2 = CB2', 'r4 = 0', 'call bpf_loop#181', 'r0 = 0', 'exit'],
    ['r3 = *(u64 *)(r2 +0)', 'r3 += 1', '*(u64 *)(r2 +0) = r3', 'r0 = 0', 'exit']));
    expect(run()).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(20);
  });
  it('a fault inside the callback ends the whole run with FAULT', () => {
    const { run } = setup(() => program(['r1 = 2', 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_loop#181', 'r0 = 0', 'exit'],
      ['r0 = *(u64 *)(r2 +0)', 'r0 = 0', 'exit']));
    expect(run()).toBe(RUN_STATUS.FAULT);
  });
  it('callbacks share the run\'s instruction budget: an endless callback (unverified) ends with BUDGET', () => {
    const { sys, run } = setup(() => program(['r1 = 0x7fffff', 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_loop#181', 'exit'],
      ['r0 = 0', 'r0 += 1', 'if r0 != 0x0 goto pc-2', 'exit']));
    sys.interpreter.budget = 5000;
    expect(run()).toBe(RUN_STATUS.BUDGET);
    expect(sys.interpreter.executed).toBeLessThanOrEqual(5000);
    // many short callbacks exhaust the same budget instead of each getting a fresh one
    const many = setup(() => program(['r1 = 0x7fffff', 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_loop#181', 'exit'], ['r0 = 0', 'exit']));
    many.sys.interpreter.budget = 5000;
    expect(many.run()).toBe(RUN_STATUS.BUDGET);
  });
  it('a fault inside a callback reports the callback\'s instruction; nesting past MAX_CALL_FRAMES is CALL_DEPTH', () => {
    const { sys, run } = setup(() => program(['r1 = 2', 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_loop#181', 'r0 = 0', 'exit'],
      ['r0 = 0', 'r0 = *(u64 *)(r2 +0)', 'exit']));
    expect(run()).toBe(RUN_STATUS.FAULT);
    expect(sys.interpreter.faultPc).toBe(9); // the load inside the callback (main is insns 0-7)
    // a callback that calls bpf_loop with itself recurses until the frames run out
    const deep = setup(() => program(['r1 = 1', 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_loop#181', 'exit'],
      ['r1 = 1', 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_loop#181', 'r0 = 0', 'exit']));
    expect(deep.run()).toBe(RUN_STATUS.CALL_DEPTH);
  });
  it('a non-callback R2 faults instead of jumping anywhere', () => {
    const { run } = setup(() => 'r1 = 2\nr2 = 5\nr3 = 0\nr4 = 0\ncall bpf_loop#181\nexit');
    expect(run()).toBe(RUN_STATUS.FAULT);
  });
  test.prop([fc.integer({ min: 0, max: 300 }), fc.integer({ min: -1, max: 320 }), fc.constantFrom('0', '0', '0', '1', '4')], { numRuns: fuzzRuns(40, 400), seed: fuzzSeed() })(
    'fuzz: bpf_loop result and side effects match the kernel helper for random nr_loops, stop index and flags',
    (nr, stop, flags) => {
      const got = runLoop(String(nr), flags, stop);
      const want = flags !== '0' ? { r0: BigInt.asUintN(64, -22n), counter: 0n } : stop >= 0 && stop < nr ? { r0: BigInt(stop + 1), counter: BigInt(stop + 1) } : { r0: BigInt(nr), counter: BigInt(nr) };
      expect({ r0: got.r0, counter: got.counter }).toEqual(want);
    },
  );
});

/** for_each over map 0 with CB1; callback appends (key, value) into array map 1 at ctx-counted slots; returns R0 in map 1 slot 63. */
function forEach(type: number, keySize: number, valueSize: number, maxEntries: number, cbStopAfter: number, nrCpus = 1) {
  const s = setup((f) => program([
    '*(u64 *)(r10 -8) = 0',
    `r1 = map[fd:${f[0]!}]`, 'r2 = CB1', 'r3 = r10', 'r3 += -8', 'r4 = 0', 'call bpf_for_each_map_elem#164',
    '*(u64 *)(r10 -24) = r0', '*(u32 *)(r10 -28) = 63',
    `r1 = map[fd:${f[1]!}]`, 'r2 = r10', 'r2 += -28', 'r3 = r10', 'r3 += -24', 'r4 = 0', 'call bpf_map_update_elem#2',
    'r0 = 0', 'exit',
  ], [
    // slot = *ctx; out[slot] = key(u32) << 32 | value(u32); *ctx = slot + 1
    'r6 = r4', 'r7 = *(u64 *)(r4 +0)', 'r8 = *(u32 *)(r2 +0)', 'r8 <<= 32', 'r9 = *(u32 *)(r3 +0)', 'r8 |= r9',
    '*(u64 *)(r10 -8) = r8', '*(u32 *)(r10 -12) = r7',
    `r1 = map[fd:${f[1]!}]`, 'r2 = r10', 'r2 += -12', 'r3 = r10', 'r3 += -8', 'r4 = 0', 'call bpf_map_update_elem#2',
    'r7 += 1', '*(u64 *)(r6 +0) = r7',
    'r0 = 0', `if r7 != ${cbStopAfter} goto pc+1`, 'r0 = 1', 'exit',
  ]), [[type, keySize, valueSize, maxEntries], [T.ARRAY, 4, 8, 64]], nrCpus);
  const out = s.sys.map(s.maps[1]!);
  const read = (i: number): bigint => new DataView(out.lookup(u32(i)).buffer).getBigUint64(0, true);
  return { ...s, visited: (): { ret: bigint; pairs: [number, number][] } => {
    const ret = read(63);
    const pairs: [number, number][] = [];
    for (let i = 0; i < Math.min(Number(ret), 63); i++) { const v = read(i); pairs.push([Number(v >> 32n), Number(v & 0xffffffffn)]); }
    return { ret, pairs };
  } };
}

describe('bpf_for_each_map_elem', () => {
  it('array: every index in order with its value, returns max_entries', () => {
    const s = forEach(T.ARRAY, 4, 8, 5, -1);
    const m = s.sys.map(s.maps[0]!);
    for (let i = 0; i < 5; i++) m.update(u32(i), u64(100 + i), 0);
    expect(s.run()).toBe(RUN_STATUS.OK);
    expect(s.visited()).toEqual({ ret: 5n, pairs: [[0, 100], [1, 101], [2, 102], [3, 103], [4, 104]] });
  });
  it('array: a callback returning 1 stops; the stopping element counts', () => {
    const s = forEach(T.ARRAY, 4, 8, 5, 2);
    expect(s.run()).toBe(RUN_STATUS.OK);
    expect(s.visited().ret).toBe(2n);
  });
  it('per-CPU array: the value of the running CPU', () => {
    const s = forEach(T.PERCPU_ARRAY, 4, 8, 2, -1, 2);
    const m = s.sys.map(s.maps[0]!);
    m.update(u32(1), new Uint8Array([...u64(5), ...u64(9)]), 0);
    s.sys.interpreter.cpu = 1;
    expect(s.run()).toBe(RUN_STATUS.OK);
    expect(s.visited()).toEqual({ ret: 2n, pairs: [[0, 0], [1, 9]] });
  });
  it('hash: every element once, in bucket order (the order BPF_MAP_GET_NEXT_KEY walks)', () => {
    const s = forEach(T.HASH, 4, 8, 32, -1);
    const m = s.sys.map(s.maps[0]!);
    const keys = [7, 300, 12, 99999, 4, 65536, 31, 8];
    for (const k of keys) m.update(u32(k), u64(k * 3), 0);
    expect(s.run()).toBe(RUN_STATUS.OK);
    const order: number[] = [];
    let k: Uint8Array | undefined;
    for (;;) {
      try { k = m.getNextKey(k); } catch { break; }
      order.push(new DataView(k.buffer, k.byteOffset).getUint32(0, true));
    }
    expect(s.visited()).toEqual({ ret: BigInt(keys.length), pairs: order.map((x) => [x, x * 3]) });
  });
  it('LRU and per-CPU hash maps: every element once, with this CPU\'s value for per-CPU maps', () => {
    const lru = forEach(T.LRU_HASH, 4, 8, 16, -1);
    const m = lru.sys.map(lru.maps[0]!);
    for (const k of [5, 6, 7]) m.update(u32(k), u64(k), 0);
    expect(lru.run()).toBe(RUN_STATUS.OK);
    expect(lru.visited().pairs.map(([k, v]) => [k, v]).sort()).toEqual([[5, 5], [6, 6], [7, 7]]);
    const pc = forEach(T.PERCPU_HASH, 4, 8, 16, -1, 2);
    const pm = pc.sys.map(pc.maps[0]!);
    pm.update(u32(1), new Uint8Array([...u64(10), ...u64(20)]), 0);
    pm.update(u32(2), new Uint8Array([...u64(30), ...u64(40)]), 0);
    pc.sys.interpreter.cpu = 1;
    expect(pc.run()).toBe(RUN_STATUS.OK);
    expect(pc.visited().pairs.sort()).toEqual([[1, 20], [2, 40]]);
  });
  it('hash: an empty map visits nothing and returns 0', () => {
    const s = forEach(T.HASH, 4, 8, 8, -1);
    expect(s.run()).toBe(RUN_STATUS.OK);
    expect(s.visited()).toEqual({ ret: 0n, pairs: [] });
  });
  it('flags != 0 is -EINVAL; keys are read-only to the program', () => {
    const { sys, run } = setup((f) => program([`r1 = map[fd:${f[0]!}]`, 'r2 = CB1', 'r3 = 0', 'r4 = 1', 'call bpf_for_each_map_elem#164', 'exit'], ['r0 = 0', 'exit']), [[T.ARRAY, 4, 8, 2]]);
    expect(run()).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0()).toBe(BigInt.asUintN(64, -22n));
    const w = setup((f) => program([`r1 = map[fd:${f[0]!}]`, 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_for_each_map_elem#164', 'exit'], ['*(u32 *)(r2 +0) = 1', 'r0 = 0', 'exit']), [[T.ARRAY, 4, 8, 2]]);
    expect(w.run()).toBe(RUN_STATUS.FAULT);
  });
  it('hash: deleting the visited element from the callback is safe', () => {
    const { sys, maps, run } = setup((f) => program([
      `r1 = map[fd:${f[0]!}]`, 'r2 = CB1', 'r3 = 0', 'r4 = 0', 'call bpf_for_each_map_elem#164', 'exit',
    ], [`r1 = map[fd:${f[0]!}]`, 'call bpf_map_delete_elem#3', 'r0 = 0', 'exit']), [[T.HASH, 4, 8, 16]]);
    const m = sys.map(maps[0]!);
    for (let k = 0; k < 10; k++) m.update(u32(k), u64(k), 0);
    expect(run()).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(10);
    expect(() => m.getNextKey(undefined)).toThrow();
  });
});

/** The README's callback example, verbatim (the test checks it still is) and run below. */
const README_EXAMPLE = `import { AddressSpace, BpfSyscall, REGION, assembleKernel, makeProgType } from '@tcbpf/ebpf';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';

const sys = new BpfSyscall({ progTypes: [makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls', ctxSize: 192 })] });
// bpf_loop(5, callback, &sum, 0); the callback adds its index to sum; R0 = sum * 1000 + iterations
const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel(\`
  *(u64 *)(r10 -8) = 0
  r1 = 5
  r2 = subprog[+9]
  r3 = r10
  r3 += -8
  r4 = 0
  call bpf_loop#181
  r1 = *(u64 *)(r10 -8)
  r1 *= 1000
  r0 += r1
  exit
  r3 = *(u64 *)(r2 +0)
  r3 += r1
  *(u64 *)(r2 +0) = r3
  r0 = 0
  exit\`) });
sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192));
sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0);
console.log(sys.interpreter.r0Lo); // 10005`;

describe('README callback example', () => {
  it('is the README text, and prints 10005', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const sec = readme.slice(readme.indexOf('## Callbacks'));
    const start = sec.indexOf('```ts\n') + 6;
    expect(sec.slice(start, sec.indexOf('\n```', start))).toBe(README_EXAMPLE);
    const text = /assembleKernel\(`([^`]*)`\)/.exec(README_EXAMPLE)![1]!;
    const sys = new BpfSyscall({ progTypes: [makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls', ctxSize: 192 })] });
    const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel(text) });
    sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192));
    sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0);
    expect(sys.interpreter.r0Lo).toBe(10005);
  });
});
