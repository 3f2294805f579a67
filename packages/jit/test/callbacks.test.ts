// Programs with callbacks (bpf_loop, bpf_for_each_map_elem): the compiler does
// not compile BPF_PSEUDO_FUNC callbacks, so load() leaves such programs on the
// interpreter with jited=false and a reason (the equivalence runner reports
// them as not-jited); runs through the JitRuntime then give exactly the
// interpreter's results, and programs without callbacks still compile.
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { fc, test } from '@fast-check/vitest';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, makeProgType } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { EquivalenceRunner, JitRuntime } from '../src/index.js';

const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (jit callbacks)', ctxSize: 192 });

function setup(): { sys: BpfSyscall; jit: JitRuntime; eq: EquivalenceRunner } {
  const sys = new BpfSyscall({ progTypes: [TYPE] });
  const jit = new JitRuntime(sys, sys.interpreter);
  sys.mem.bind(REGION.CTX, 'ctx', jit.alloc(192));
  return { sys, jit, eq: new EquivalenceRunner(jit) };
}

/** bpf_loop(nr, cb, &counter, flags) then for_each over an array map summing its values into the counter; returns counter * 1000 + loop result. */
function text(nr: number, flags: number, stop: number, mapFd: number): string {
  return [
    '*(u64 *)(r10 -8) = 0',
    `r1 = ${nr}`, 'r2 = subprog[+18]', 'r3 = r10', 'r3 += -8', `r4 = ${flags}`, 'call bpf_loop#181',
    'r6 = r0',
    `r1 = map[fd:${mapFd}]`, 'r2 = subprog[+16]', 'r3 = r10', 'r3 += -8', 'r4 = 0', 'call bpf_for_each_map_elem#164',
    'r0 = *(u64 *)(r10 -8)', 'r0 *= 1000', 'r0 += r6', 'exit',
    // loop callback (insn 21): counter += index; stop at `stop`
    'r3 = *(u64 *)(r2 +0)', 'r3 += r1', '*(u64 *)(r2 +0) = r3', 'r0 = 0', `if r1 != ${stop} goto pc+1`, 'r0 = 1', 'exit',
    // for_each callback (insn 28): counter += *value
    'r5 = *(u64 *)(r3 +0)', 'r0 = *(u64 *)(r4 +0)', 'r0 += r5', '*(u64 *)(r4 +0) = r0', 'r0 = 0', 'exit',
  ].join('\n');
}

describe('callback programs and the JIT', () => {
  it('load() keeps a callback program on the interpreter and says why', () => {
    const { sys, jit } = setup();
    const m = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    const p = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel(text(5, 0, -1, m)), license: 'GPL' }));
    const info = jit.load(p);
    expect(info.jited).toBe(false);
    expect(info.reason).toMatch(/callbacks \(BPF_PSEUDO_FUNC at insn 2\) run on the interpreter/);
    const plain = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel('r0 = 1\nexit'), license: 'GPL' }));
    expect(jit.load(plain).jited).toBe(true);
  });

  test.prop([fc.integer({ min: 0, max: 50 }), fc.constantFrom(0, 0, 1), fc.integer({ min: -1, max: 60 }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 })], { numRuns: fuzzRuns(30, 300), seed: fuzzSeed() })(
    'fuzz: equivalence runs of random bpf_loop / for_each programs agree with the interpreter and the helpers\' semantics',
    (nr, flags, stop, values) => {
      const { sys, jit, eq } = setup();
      const m = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
      values.forEach((v, i) => sys.map(m).update(new Uint8Array(new Uint32Array([i]).buffer), new Uint8Array(new BigUint64Array([BigInt(v)]).buffer), 0));
      const p = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel(text(nr, flags, stop, m)), license: 'GPL' }));
      expect(jit.load(p).jited).toBe(false);
      expect(eq.run(p, AddressSpace.hiOf(REGION.CTX), 0).difference?.kind).toBe('not-jited');
      const st = jit.run(p, AddressSpace.hiOf(REGION.CTX), 0);
      const r = { status: st, r0: jit.r0(), regs: [...jit.regs] };
      expect(jit.lastJited).toBe(false);
      const si = sys.interpreter.run(p, AddressSpace.hiOf(REGION.CTX), 0);
      expect(r).toEqual({ status: si, r0: sys.interpreter.r0(), regs: [...sys.interpreter.regs] });
      expect(r.status).toBe(RUN_STATUS.OK);
      const iters = flags !== 0 ? 0 : stop >= 0 && stop < nr ? stop + 1 : nr;
      const loopRet = flags !== 0 ? -22n : BigInt(iters);
      const counter = BigInt((iters * (iters - 1)) / 2 + values.reduce((a, b) => a + b, 0));
      expect(r.r0).toBe(BigInt.asUintN(64, counter * 1000n + loopRet));
    },
  );
});
