// The README example, kept in sync with the API.
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, makeProgType } from '@tcbpf/ebpf';
import { expect, it } from 'vitest';
import { EquivalenceRunner, JitRuntime, MODELS, provenRegions } from '../src/index.js';

it('README example', () => {
  const sys = new BpfSyscall({ progTypes: [makeProgType({ type: 3, name: 'sched_cls', ctxSize: 192 })] });
  const jit = new JitRuntime(sys, sys.interpreter);
  const fd = sys.progLoad({ progType: 3, license: 'GPL', insns: assembleKernel(`
  r0 = 0
  r3 = 10
loop:
  r0 += r3
  r3 += -1
  if r3 != 0x0 goto loop
  exit`) });
  const prog = sys.prog(fd);
  expect(jit.load(prog).jited).toBe(true);
  const pkt = jit.alloc(64);
  sys.mem.bind(REGION.PACKET, 'packet', pkt);
  expect(jit.run(prog, AddressSpace.hiOf(REGION.PACKET), 0, 0, 64)).toBe(RUN_STATUS.OK);
  expect(jit.r0()).toBe(55n);
  expect(new EquivalenceRunner(jit).run(prog, AddressSpace.hiOf(REGION.PACKET), 0).difference).toBeUndefined();
  for (const m of MODELS) expect(m).toMatch(/^(include|net|lib|kernel|drivers|tools|arch)\//);
});

it('README facts example: provenRegions maps verifier types, load takes them', () => {
  const sys = new BpfSyscall({ progTypes: [makeProgType({ type: 3, name: 'sched_cls', ctxSize: 192 })] });
  const jit = new JitRuntime(sys, sys.interpreter);
  // REG_TYPE.PTR_TO_STACK = 6, PTR_TO_CTX = 2, PTR_TO_PACKET = 8 in @tcbpf/verifier
  const types = { stack: 6, ctx: 2, packet: 8 };
  const prog = sys.prog(sys.progLoad({ progType: 3, license: 'GPL', insns: assembleKernel('r0 = *(u8 *)(r1 +3)\nexit') }));
  const provenRegion = provenRegions([8, -1], types);
  expect(jit.load(prog, { provenRegion }).jited).toBe(true);
  const pkt = jit.alloc(64).fill(9);
  sys.mem.bind(REGION.PACKET, 'packet', pkt);
  expect(jit.run(prog, AddressSpace.hiOf(REGION.PACKET), 0)).toBe(RUN_STATUS.OK);
  expect(jit.r0Lo).toBe(9);
});
