// Verifier facts (JitInput.provenRegion) and counted loops: a proven access skips
// the region lookup and keeps an offset check against the claimed region, so a
// right fact gives the interpreter's results (the equivalence fuzz also runs half
// of its programs with facts) and a wrong fact can neither reach memory outside
// the claimed region nor crash the run; a counted loop is charged to the budget
// once per entry and still stops a run that the budget cannot cover.
import { Prng } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, makeProgType, type BpfProg } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { EquivalenceRunner, JitRuntime, countedLoopBound, provenRegions } from '../src/index.js';
import { factsFor, genProgram } from './gen.js';

const TYPE = makeProgType({ type: BPF_PROG_TYPE.SOCKET_FILTER, name: 'facts', ctxSize: 0 });

function setup(): { sys: BpfSyscall; jit: JitRuntime; eq: EquivalenceRunner; pkt: Uint8Array; load: (src: string, facts?: readonly number[]) => BpfProg } {
  const sys = new BpfSyscall({ progTypes: [TYPE] });
  sys.interpreter.budget = 1 << 16;
  const jit = new JitRuntime(sys, sys.interpreter);
  const eq = new EquivalenceRunner(jit);
  const pkt = jit.alloc(64);
  pkt.forEach((_, i) => { pkt[i] = i; });
  sys.mem.bind(REGION.PACKET, 'packet', pkt, true);
  const load = (src: string, facts?: readonly number[]): BpfProg => {
    const prog = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SOCKET_FILTER, insns: assembleKernel(src), license: 'GPL' }));
    expect(jit.load(prog, facts === undefined ? undefined : { provenRegion: facts }).jited).toBe(true);
    return prog;
  };
  return { sys, jit, eq, pkt, load };
}

const P = REGION.PACKET, S = REGION.STACK, N = -1;
const PKT = AddressSpace.hiOf(REGION.PACKET);

describe('verifier facts', () => {
  it('provenRegions maps the verifier types of stack, ctx and packet pointers to their regions', () => {
    const t = { stack: 6, ctx: 2, packet: 8 };
    expect([...provenRegions([-1, 6, 2, 8, 4, -2, 9], t)]).toEqual([-1, REGION.STACK, REGION.CTX, REGION.PACKET, -1, -1, -1]);
  });

  it('a proven packet access gives the interpreter result in range and the same fault out of range', () => {
    const { eq, load } = setup();
    // r1 = packet, r2 = offset chosen by the caller
    const src = 'r1 += r2\nr0 = *(u16 *)(r1 +2)\n*(u8 *)(r1 +0) = 7\nr3 = *(u32 *)(r10 -8)\nexit';
    const prog = load(src, [N, P, P, S, N]);
    for (const [off, status] of [[0, RUN_STATUS.OK], [60, RUN_STATUS.OK], [61, RUN_STATUS.FAULT], [62, RUN_STATUS.FAULT], [-1, RUN_STATUS.FAULT], [-3, RUN_STATUS.FAULT]] as const) {
      const r = eq.run(prog, PKT, 0, 0, off);
      expect(r.difference, `offset ${off}`).toBeUndefined();
      expect(r.status, `offset ${off}`).toBe(status);
    }
    expect(eq.jit.faultPc).toBe(1);
  });

  it('a wrong fact stays inside the claimed region: a stack load claimed as packet reads the packet', () => {
    const { sys, jit, load } = setup();
    const prog = load('*(u64 *)(r10 -8) = 0\nr0 = *(u8 *)(r10 -4000)\nr0 += 0\nexit', [S, P, N, N]);
    // r10 - 4000 has the low word 96: past the 64-byte packet, so the guard faults
    expect(jit.run(prog, PKT, 0)).toBe(RUN_STATUS.FAULT);
    expect(jit.faultPc).toBe(1);
    // the interpreter reads the stack (the fact was wrong; only safety is promised)
    expect(sys.interpreter.run(prog, PKT, 0)).toBe(RUN_STATUS.OK);
    const inRange = load('r0 = *(u8 *)(r10 -4050)\nexit', [P, N]); // low word 46
    expect(jit.run(inRange, PKT, 0)).toBe(RUN_STATUS.OK);
    expect(jit.r0Lo).toBe(46); // packet byte 46
  });

  it('fuzz: wrong facts never write outside the claimed region nor break the run', () => {
    const p = new Prng(fuzzSeed() ^ 0xfac7);
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const jit = new JitRuntime(sys, sys.interpreter);
    const mapFd = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 16, maxEntries: 2 });
    const before = jit.alloc(64).fill(0xa5);
    const pkt = jit.alloc(96);
    const after = jit.alloc(64).fill(0x5a);
    const count = fuzzRuns(300, 20_000);
    const statuses = new Map<number, number>();
    for (let k = 0; k < count; k++) {
      const pktLen = 14 + p.below(80);
      const insns = genProgram(p, { pktLen, mapFd, valueSize: 16 });
      const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SOCKET_FILTER, insns, license: 'GPL' });
      const prog = sys.prog(fd);
      // every load/store claimed to address the packet (or, one program in four, the stack)
      const claim = p.below(4) === 0 ? REGION.STACK : REGION.PACKET;
      const facts = factsFor(insns, { stack: claim, packet: claim }).map((f) => (f >= 0 || p.below(3) === 0 ? claim : f));
      expect(jit.load(prog, { provenRegion: facts }).jited).toBe(true);
      pkt.fill(0);
      const bytes = pkt.subarray(0, pktLen);
      for (let i = 0; i < pktLen; i++) bytes[i] = p.below(256);
      sys.mem.bind(REGION.PACKET, 'packet', bytes, true);
      const st = jit.run(prog, PKT, 0, 0, pktLen);
      statuses.set(st, (statuses.get(st) ?? 0) + 1);
      expect(before.every((b) => b === 0xa5) && after.every((b) => b === 0x5a), `program ${k}`).toBe(true);
      expect(pkt.subarray(pktLen).every((b) => b === 0), `program ${k}: bytes past the packet region`).toBe(true);
      sys.close(fd);
    }
    expect(statuses.get(RUN_STATUS.OK) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(RUN_STATUS.FAULT) ?? 0).toBeGreaterThan(0);
    console.log(`wrong-facts fuzz: ${count} programs, statuses ${JSON.stringify([...statuses])}, no byte outside the packet region changed`);
  }, 3_600_000);
});

describe('counted loops', () => {
  const plan = (src: string): number | undefined => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const prog = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SOCKET_FILTER, insns: assembleKernel(src), license: 'GPL' }));
    const image = prog.image;
    const n = image.length >> 1;
    // the loop: head = the backward jump's target, latch = that jump
    for (let pc = 0; pc < n; pc++) {
      const w = image[pc * 2]!;
      if ((w & 7) === 5 && (w >> 16) < 0) return countedLoopBound(image, { head: pc + 1 + (w >> 16), latch: pc });
    }
    return undefined;
  };

  it('bounds an up-counting loop by floor(K / step) + 2 iterations per entry', () => {
    expect(plan('r0 = 0\nr4 = 0\nl:\nr0 += 1\nr4 += 1\nif r4 < 1000 goto l\nexit')).toBe(1002);
    expect(plan('r0 = 0\nr4 = 0\nl:\nr0 += 1\nr4 += 3\nif r4 <= 10 goto l\nexit')).toBe(5);
  });

  it('refuses loops it cannot bound', () => {
    // the add can be skipped
    expect(plan('r0 = 0\nr4 = 0\nl:\nif r0 > 5 goto s\nr4 += 1\ns:\nr0 += 1\nif r4 < 10 goto l\nexit')).toBeUndefined();
    // the counter is also written elsewhere
    expect(plan('r0 = 0\nr4 = 0\nl:\nr4 += 1\nr4 &= 7\nif r4 < 10 goto l\nexit')).toBeUndefined();
    // a step of 0 or a downward step, signed or 32-bit compares, a register bound
    expect(plan('r0 = 0\nr4 = 0\nl:\nr4 += 0\nif r4 < 10 goto l\nexit')).toBeUndefined();
    expect(plan('r0 = 0\nr4 = 0\nl:\nr4 += -1\nif r4 < 10 goto l\nexit')).toBeUndefined();
    expect(plan('r0 = 0\nr4 = 0\nl:\nr4 += 1\nif r4 s< 10 goto l\nexit')).toBeUndefined();
    expect(plan('r0 = 0\nr4 = 0\nl:\nr4 += 1\nif w4 < 10 goto l\nexit')).toBeUndefined();
    expect(plan('r0 = 0\nr4 = 0\nr5 = 10\nl:\nr4 += 1\nif r4 < r5 goto l\nexit')).toBeUndefined();
    // a call in the body
    expect(plan('r0 = 0\nr4 = 0\nl:\ncall bpf_ktime_get_ns#5\nr4 += 1\nif r4 < 10 goto l\nexit')).toBeUndefined();
  });

  it('a counted loop the budget cannot cover stops with BUDGET on both engines; one it can runs to the end', () => {
    const { sys, eq, load } = setup();
    const prog = load('r0 = 0\nr4 = 0\nl:\nr0 += r4\nr4 += 1\nif r4 < 5000 goto l\nexit');
    sys.interpreter.budget = 10_000;
    expect(eq.run(prog, PKT, 0).status).toBe(RUN_STATUS.BUDGET);
    sys.interpreter.budget = 1 << 16;
    const r = eq.run(prog, PKT, 0);
    expect(r.difference).toBeUndefined();
    expect(r.status).toBe(RUN_STATUS.OK);
    expect(r.r0).toBe(BigInt((4999 * 5000) / 2));
    expect(eq.jit.info(prog).image!.counted).toBe(1);
  });
});
