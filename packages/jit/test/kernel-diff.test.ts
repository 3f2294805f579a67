// Differential test against this machine's kernel (BPF_PROG_LOAD + BPF_PROG_TEST_RUN
// as SCHED_CLS, the kernel's own x86-64 JIT): random programs (ALU64/ALU32, all
// operators, division by zero, byte swaps, stack loads/stores, branches, bounded
// loops) return the same value from the kernel and from our JIT (R0 folded to 32 bits).
import { Prng } from '@tcbpf/base';
import { BpfOracle, bpfOracle, fuzzRuns, fuzzSeed, must } from '@tcbpf/testing';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, encodeInsns, makeProgType } from '@tcbpf/ebpf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JitRuntime } from '../src/index.js';
import { genProgram } from './gen.js';

const o = bpfOracle();
const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (jit test)', ctxSize: 192 });
const FRAME = Uint8Array.from({ length: 64 }, (_, i) => i);

describe.skipIf(!o.ok)(`kernel differential: JIT against Linux (kernel: ${o.reason || 'bpf() available'})`, () => {
  let k: BpfOracle;
  beforeAll(() => { k = BpfOracle.open(); });
  afterAll(() => k.close());

  const count = fuzzRuns(300, 3000);
  it(`differential fuzz: ${count} random verifier-accepted programs return the same value in the kernel and in the JIT`, async () => {
    const p = new Prng(fuzzSeed() ^ 0x3e7);
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const jit = new JitRuntime(sys, sys.interpreter);
    sys.mem.bind(REGION.CTX, 'ctx', jit.alloc(192));
    let agreed = 0, kernelRefused = 0, oursRefused = 0, loops = 0;
    while (agreed < count) {
      const insns = genProgram(p, { pktLen: 64, kernelSafe: true });
      const loaded = await k.progLoad(BPF_PROG_TYPE.SCHED_CLS, encodeInsns(insns));
      if (!loaded.ok) {
        kernelRefused++;
        if (kernelRefused > count) throw new Error(`the kernel refuses too many generated programs; last: ${loaded.log.split('\n').slice(-2).join(' | ')}`);
        continue;
      }
      const run = must(await k.testRun(loaded.value, FRAME, 0), 'test_run');
      must(await k.closeFd(loaded.value), 'close');
      let fd: number;
      try {
        fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns, license: "GPL" });
      } catch {
        // the kernel checks only reachable code; our structural loader checks every insn
        oursRefused++;
        continue;
      }
      const prog = sys.prog(fd);
      const info = jit.load(prog);
      expect(info.jited).toBe(true);
      loops += info.image!.loops;
      expect(jit.run(prog, AddressSpace.hiOf(REGION.CTX), 0)).toBe(RUN_STATUS.OK);
      expect(jit.lastJited).toBe(true);
      expect(jit.r0Lo >>> 0, `program ${agreed}`).toBe(run.retval >>> 0);
      sys.close(fd);
      agreed++;
    }
    console.log(`kernel differential: ${agreed} programs agree with Linux (${kernelRefused} refused by the kernel verifier, ${oursRefused} accepted by the kernel only because the offending insn was dead code), ${loops} wasm loops`);
    expect(oursRefused).toBeLessThan(count / 10);
  }, 600_000);
});
