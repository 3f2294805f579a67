// More of netdevsim's rules beyond the test_offload TC checklist: the XDP
// offload checks sharing the slot (nsim_setup_prog_hw_checks), the ingress-only
// block binder (clsact egress cannot offload), bpf_tc_accept and
// bpf_bind_accept, per-port slots on a multi-port device, and re-offload when
// a port binds to a shared block that already has filters
// (tcf_block_playback_offloads -> cls_bpf_reoffload).
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { makeProgType } from '@tcbpf/ebpf';
import { TcClient } from '@tcbpf/tcf';
import { BPF_PROG_TYPE, TCA_BPF, TCA_CLS_FLAGS } from '@tcbpf/uapi';
import { RET0, makeNsim, tcBpf, type NSim } from './support/nsim-sim.js';

const XDP = makeProgType({ type: BPF_PROG_TYPE.XDP, name: 'xdp', ctxSize: 24 });

function err(f: () => unknown): [string, string] {
  try {
    f();
  } catch (e) {
    if (KernelError.isInstance(e)) return [e.errno, e.extack];
    throw e;
  }
  return ['ok', ''];
}

const registered = new WeakSet<NSim['bpf']>();

function xdpProg(s: NSim, ifindex: number | undefined): number {
  if (!registered.has(s.bpf)) {
    s.bpf.registerProgType(XDP);
    registered.add(s.bpf);
  }
  return s.bus.offload!.progLoad({ progType: BPF_PROG_TYPE.XDP, insns: RET0, license: 'GPL', ...(ifindex === undefined ? {} : { progIfindex: ifindex }) }).fd;
}

describe('XDP offload checks (slot shared with TC)', () => {
  it('non-bound, other device, disabled in debugfs; detach twice is fine', () => {
    const s = makeNsim();
    const unbound = xdpProg(s, undefined);
    expect(err(() => s.port.xdpOffload(s.bpf.prog(unbound)))).toEqual(['EINVAL', 'netdevsim: xdpoffload of non-bound program']);
    const other = s.bus.newDevice('2 1').ports[0]!;
    const theirs = xdpProg(s, other.ifindex);
    expect(err(() => s.port.xdpOffload(s.bpf.prog(theirs)))).toEqual(['EINVAL', 'netdevsim: program bound to different dev']);
    const mine = xdpProg(s, s.port.ifindex);
    s.port.knobs.bpfXdpoffloadAccept = false;
    expect(err(() => s.port.xdpOffload(s.bpf.prog(mine)))).toEqual(['EOPNOTSUPP', 'netdevsim: XDP offload disabled in DebugFS']);
    s.port.knobs.bpfXdpoffloadAccept = true;
    s.port.xdpOffload(s.bpf.prog(mine));
    expect(s.port.bpfOffloadedId).toBe(s.bpf.prog(mine).id);
    expect(s.dev.liveBoundProgs().find((b) => b.id === s.bpf.prog(mine).id)!.loaded).toBe('Y');
    // with XDP offload active, hw-tc-offload may be turned off (nsim_bpf_disable_tc)
    s.port.setHwTcOffload(true);
    expect(err(() => s.port.setHwTcOffload(false))[0]).toBe('ok');
    s.port.xdpOffload(null);
    s.port.xdpOffload(null);
    expect(s.port.bpfOffloadedId).toBe(0);
  });

  it('a TC program cannot be offloaded as XDP', () => {
    const s = makeNsim();
    const { fd } = s.bus.offload!.progLoad({ insns: RET0, license: 'GPL', progIfindex: s.port.ifindex });
    expect(err(() => s.port.xdpOffload(s.bpf.prog(fd)))[0]).toBe('EINVAL');
  });
});

describe('block binding and knobs', () => {
  it('clsact: the ingress block is offloaded, the egress block has no callback (skip_sw is EOPNOTSUPP)', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    s.tc.qdisc('del', { ifindex: s.port.ifindex, parent: 0xfffffff1, handle: 0xffff0000 });
    s.tc.clsact(s.port.ifindex);
    expect(tcBpf(s, { skipSw: true }).ok).toBe(true);
    const { fd } = s.bus.offload!.progLoad({ insns: RET0, license: 'GPL', progIfindex: s.port.ifindex });
    const e = err(() =>
      s.tc.filter('add', { ifindex: s.port.ifindex, parent: 0xfffffff3, prio: 1, protocol: 3, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, fd); w.u32(TCA_BPF.FLAGS_GEN, TCA_CLS_FLAGS.SKIP_SW); } }),
    );
    expect(e).toEqual(['EOPNOTSUPP', '']);
  });

  it('bpf_tc_accept=N refuses every TC offload; bpf_bind_accept=N refuses binding', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    s.port.knobs.bpfTcAccept = false;
    const r = tcBpf(s, { skipSw: true });
    expect([r.ok, r.msg]).toEqual([false, 'netdevsim: netdevsim configured to reject BPF TC offload']);
    s.dev.knobs.bpfBindAccept = false;
    const b = tcBpf(s, { skipSw: true });
    expect([b.ok, b.errno]).toEqual([false, 'EOPNOTSUPP']);
    expect(s.dev.boundProgs.size).toBe(0);
  });

  it('protocol other than all is refused for skip_sw', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    const r = tcBpf(s, { skipSw: true, protocol: 0x0800 });
    expect([r.ok, r.msg]).toEqual([false, 'netdevsim: only ETH_P_ALL supported as filter protocol']);
  });

  it('each port has its own slot; a program bound to port 0 of the ASIC offloads on port 1 too', () => {
    const s = makeNsim({ ports: 2 });
    const p1 = s.dev.ports[1]!;
    s.port.setHwTcOffload(true);
    p1.setHwTcOffload(true);
    p1.nd.dev.setUp(true);
    const tc = new TcClient(s.net.socket());
    tc.qdisc('add', { ifindex: p1.ifindex, parent: 0xfffffff1, handle: 0xffff0000, kind: 'ingress' });
    expect(tcBpf(s, { skipSw: true }).ok).toBe(true);
    const { fd } = s.bus.offload!.progLoad({ insns: RET0, license: 'GPL', progIfindex: s.port.ifindex });
    tc.filter('add', { ifindex: p1.ifindex, parent: 0xfffffff2, prio: 1, protocol: 3, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, fd); w.u32(TCA_BPF.FLAGS_GEN, TCA_CLS_FLAGS.SKIP_SW); } });
    expect(s.port.bpfOffloadedId).not.toBe(0);
    expect(p1.bpfOffloadedId).toBe(s.bpf.prog(fd).id);
  });

  it('a port binding to a shared block replays its filters (re-offload); a skip_sw filter needs an accepting port', () => {
    const s = makeNsim({ ports: 2 });
    const p1 = s.dev.ports[1]!;
    s.port.knobs.bpfTcNonBoundAccept = true;
    p1.knobs.bpfTcNonBoundAccept = true;
    s.port.setHwTcOffload(true);
    p1.setHwTcOffload(true);
    const tc = new TcClient(s.net.socket());
    // port 0 already has an ingress qdisc on its own block: move both ports to shared block 7
    tc.qdisc('del', { ifindex: s.port.ifindex, parent: 0xfffffff1, handle: 0xffff0000 });
    tc.clsact(s.port.ifindex, 7);
    tc.filter('add', { ifindex: 0xffffffff, parent: 7, prio: 1, protocol: 3, kind: 'bpf', options: (w) => { w.u16(TCA_BPF.OPS_LEN, 1); w.attr(TCA_BPF.OPS, Uint8Array.from([6, 0, 0, 0, 0, 0, 0, 0])); } });
    expect(s.port.slot).not.toBeNull();
    expect(p1.slot).toBeNull();
    tc.clsact(p1.ifindex, 7);
    expect(p1.slot!.filter).toBe(s.port.slot!.filter);
    const f = s.port.slot!.filter!;
    expect([f.inHwCount, (f.genFlags & TCA_CLS_FLAGS.IN_HW) !== 0]).toEqual([2, true]);
    tc.qdisc('del', { ifindex: p1.ifindex, parent: 0xfffffff1, handle: 0xffff0000 });
    expect(p1.slot).toBeNull();
    expect(f.inHwCount).toBe(1);
  });
});
