// Beyond netdevsim: the offloaded program really runs on the simulated
// hardware path of the port's receive side. A skip_sw filter classifies the
// traffic in "hardware" (the software tc hook does not run it), hardware
// counters are kept per filter and reported through TC_CLSBPF_STATS into the
// filter's actions (tcf_exts_hw_stats_update), where `tc -s filter show`
// reads them.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fuzzRuns } from '@tcbpf/testing';
import { gactSpec, writeActions, type IngressPriv } from '@tcbpf/tcf';
import { TC_ACT } from '@tcbpf/uapi';
import { clsBpfUpdateDevHwStats } from '../src/index.js';
import { insns, makeNsim, tcBpf, tcShow, type NSim } from './support/nsim-sim.js';

/** r0 = (skb->len > 100) ? hit : miss */
function lenProg(hit: number, miss: number): Uint8Array {
  return insns([
    [0x61, 0x12, 0, 0], // r2 = *(u32 *)(r1 + 0)   (__sk_buff.len)
    [0xb7, 0x00, 0, miss], // r0 = miss
    [0xb5, 0x02, 1, 100], // if r2 <= 100 goto +1
    [0xb7, 0x00, 0, hit], // r0 = hit
    [0x95, 0x00, 0, 0], // exit
  ]);
}

function frame(size: number, seq: number): Uint8Array {
  const f = new Uint8Array(size);
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, 0x45], 0);
  f[size - 1] = seq & 0xff;
  return f;
}

/** Send `small` 60-byte and `big` 200-byte frames, interleaved; returns how many the host received. */
function traffic(s: NSim, small: number, big: number): number {
  let got = 0;
  for (let i = 0; i < Math.max(small, big); i++) {
    if (i < small && s.port.receive(frame(60, i))) got++;
    if (i < big && s.port.receive(frame(200, i))) got++;
  }
  return got;
}

function ingressPackets(s: NSim): number {
  return s.port.nd.ingress!.stats.packets;
}

describe('hardware datapath', () => {
  it('a da skip_sw filter drops big frames in hardware; the software hook never runs the program', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    expect(tcBpf(s, { da: true, skipSw: true, insns: lenProg(TC_ACT.SHOT, TC_ACT.OK) }).ok).toBe(true);
    const f = tcShow(s)[0]!;
    expect([f.skipSw, f.inHw]).toEqual([true, true]);
    const got = traffic(s, 10, 5);
    expect(got).toBe(10);
    const c = s.port.hw.counters!;
    expect([c.packets, c.bytes, c.drops]).toEqual([15, 10 * 60 + 5 * 200, 5]);
    // only the passed frames reach the ingress hook, where the skip_sw filter does nothing
    expect(ingressPackets(s)).toBe(10);
    expect(s.port.nd.dev.stats.rxPackets).toBe(10);
    const prog = s.bpf.progById(f.id)!;
    expect(prog.id).toBe(s.port.bpfOffloadedId);
  });

  it('without skip_sw the same program is in hardware and hardware decides first', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    s.port.knobs.bpfTcNonBoundAccept = true;
    expect(tcBpf(s, { da: true, insns: lenProg(TC_ACT.SHOT, TC_ACT.OK) }).ok).toBe(true);
    expect(tcShow(s)[0]!.inHw).toBe(true);
    expect(traffic(s, 4, 3)).toBe(4);
    expect(s.port.hw.counters!.drops).toBe(3);
  });

  it('a refused offload leaves the hardware empty: traffic is classified in software only', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    // non_bound_accept N: a plain filter stays not_in_hw and runs in software
    expect(tcBpf(s, { da: true, insns: lenProg(TC_ACT.SHOT, TC_ACT.OK) }).ok).toBe(true);
    expect(tcShow(s)[0]!.notInHw).toBe(true);
    expect(s.port.hw.counters).toBeNull();
    expect(traffic(s, 4, 3)).toBe(7); // the host took them all in; tc dropped the big ones at ingress
    expect(s.port.nd.ingress!.stats.drops).toBe(3);
  });

  it('hardware counters reach the actions through TC_CLSBPF_STATS and show in tc -s dumps', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    const actions = (w: Parameters<typeof writeActions>[0]): void => writeActions(w, [gactSpec(TC_ACT.SHOT)]);
    expect(tcBpf(s, { skipSw: true, insns: lenProg(-1, 0), actions }).ok).toBe(true);
    expect(traffic(s, 6, 4)).toBe(6);
    // the dump itself asks the driver first (cls_bpf_offload_update_stats): the hardware counters are in the actions
    expect(tcShow(s)[0]!.actionStats).toEqual([{ kind: 'gact', packets: 4, bytes: 800, drops: 4 }]);
    // further reports (a dump or an explicit request) add only the growth
    expect(traffic(s, 0, 2)).toBe(0);
    expect(clsBpfUpdateDevHwStats(s.port.nd)).toBe(1);
    clsBpfUpdateDevHwStats(s.port.nd);
    tcShow(s);
    expect(tcShow(s)[0]!.actionStats).toEqual([{ kind: 'gact', packets: 6, bytes: 1200, drops: 6 }]);
  });

  it('classic bytecode offloaded (non_bound_accept=Y) runs on the hardware too', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    s.port.knobs.bpfTcNonBoundAccept = true;
    const actions = (w: Parameters<typeof writeActions>[0]): void => writeActions(w, [gactSpec(TC_ACT.SHOT)]);
    // the bytecode returns -1 (match): every frame hits gact drop in hardware
    expect(tcBpf(s, { prog: 'bytecode', skipSw: true, actions }).ok).toBe(true);
    expect(traffic(s, 3, 2)).toBe(0);
    expect(s.port.hw.counters!.drops).toBe(5);
    const block = (s.port.nd.ingress!.priv as IngressPriv).ingress!;
    expect(block.offload.offloadcnt).toBe(1);
  });

  it('the engine with the JIT gives the interpreter engine\'s verdicts and counters', () => {
    const run = (jit: boolean): [boolean, number[]] => {
      const s = makeNsim({ jit });
      s.port.setHwTcOffload(true);
      expect(tcBpf(s, { da: true, skipSw: true, insns: lenProg(TC_ACT.SHOT, TC_ACT.OK) }).ok).toBe(true);
      const got: number[] = [];
      for (let i = 0; i < 40; i++) got.push(s.port.receive(frame(60 + ((i * 37) % 120), i)) ? 1 : 0);
      const c = s.port.hw.counters!;
      return [s.port.hw.jited, [...got, c.packets, c.bytes, c.drops]];
    };
    const [jited, withJit] = run(true);
    const [interp, withInterp] = run(false);
    expect([jited, interp]).toEqual([true, false]);
    expect(withJit).toEqual(withInterp);
    expect(withJit.slice(0, 40)).toContain(0);
    expect(withJit.slice(0, 40)).toContain(1);
  });

  it('deleting the filter empties the slot and the hardware passes everything', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    expect(tcBpf(s, { da: true, skipSw: true, prio: 1, handle: 1, insns: lenProg(TC_ACT.SHOT, TC_ACT.OK) }).ok).toBe(true);
    s.tc.filter('del', { ifindex: s.port.ifindex, parent: 0xfffffff2, prio: 1, protocol: 3, handle: 1, kind: 'bpf' });
    expect(s.port.bpfOffloadedId).toBe(0);
    expect(traffic(s, 2, 2)).toBe(4);
  });
});

describe('hardware datapath under random frames', () => {
  const s = makeNsim();
  s.port.setHwTcOffload(true);
  expect(tcBpf(s, { da: true, skipSw: true, insns: lenProg(TC_ACT.SHOT, TC_ACT.OK) }).ok).toBe(true);
  test.prop([fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 20 })], { numRuns: fuzzRuns(200, 20_000) })(
    'fuzz: any frames: never throws, the host gets exactly the frames of at least 14 bytes up to 100 bytes, counters add up',
    (frames) => {
      const c = s.port.hw.counters!;
      const [p0, b0, d0] = [c.packets, c.bytes, c.drops];
      let got = 0;
      for (const f of frames) if (s.port.receive(f)) got++;
      expect(got).toBe(frames.filter((f) => f.length >= 14 && f.length <= 100).length);
      expect(c.packets - p0).toBe(frames.length);
      expect(c.bytes - b0).toBe(frames.reduce((a, f) => a + f.length, 0));
      expect(c.drops - d0).toBe(frames.filter((f) => f.length > 100).length);
    },
  );
});
