// The runtime a filter's program runs on (bpf_prog_select_runtime: the JIT of
// @tcbpf/jit when the instance's bpf_jit_enable is set, the interpreters
// otherwise; classic programs through their eBPF conversion), the reference a
// filter holds on its eBPF program (bpf_prog_get_type_dev / bpf_prog_put), and
// bpf_redirect_peer in skb_do_redirect.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { assembleKernel, type BpfSyscall } from '@tcbpf/ebpf';
import { JitRuntime } from '@tcbpf/jit';
import { SkBuff, buildFrame } from '@tcbpf/skb';
import { TCF_ALL_KINDS, TcClient, TcKernel, TcfResult, type NetDev } from '@tcbpf/tcf';
import { BPF_PROG_TYPE, TCA_BPF, TC_ACT } from '@tcbpf/uapi';
import { createClsBpfOps, type ClsBpfOps, type ClsBpfProg } from '../src/index.js';
import { EGRESS, ETH_P_ALL, INGRESS, bpfOptions, ingressTp, ret, type Insn, type Sim } from './support/sim.js';

const PROGS = fileURLToPath(new URL('../../bpf-skb/test/fixtures/progs/', import.meta.url));
const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);
type L4 = { kind: 'udp'; sport: number; dport: number } | { kind: 'tcp'; sport: number; dport: number; flags: number };
const ip4 = (l4: L4): Uint8Array => buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4 } });
const FRAMES: readonly Uint8Array[] = [
  ip4({ kind: 'udp', sport: 40000, dport: 53 }), ip4({ kind: 'udp', sport: 40000, dport: 4789 }),
  ip4({ kind: 'tcp', sport: 40000, dport: 443, flags: 2 }), ip4({ kind: 'tcp', sport: 40000, dport: 22, flags: 2 }),
  ip4({ kind: 'udp', sport: 53, dport: 1234 }),
];

interface JSim extends Sim { readonly bpf: BpfSyscall; readonly ops: ClsBpfOps }

function makeJSim(jit: boolean | ((bpf: BpfSyscall) => JitRuntime)): JSim {
  const bpf = tcBpfSyscall();
  const ops = createClsBpfOps({ bpf, jit: typeof jit === 'function' ? jit(bpf) : jit });
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, ops] } });
  const net = kernel.addNet();
  net.ns.loopback.setUp(true);
  const [va, vb] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  return { kernel, net, tc, va, vb, bpf, ops };
}

function addFd(s: JSim, prio: number, fd: number, o: { da?: boolean; classid?: number; flags?: number; cmd?: 'add' | 'replace'; handle?: number } = {}): void {
  s.tc.filter(o.cmd ?? 'add', { ifindex: s.va.ifindex, parent: INGRESS, prio, protocol: ETH_P_ALL, kind: 'bpf', ...(o.handle !== undefined ? { handle: o.handle } : {}), options: (w) => {
    if (o.classid !== undefined) w.u32(TCA_BPF.CLASSID, o.classid);
    w.u32(TCA_BPF.FD, fd);
    if (o.da === true || o.flags !== undefined) w.u32(TCA_BPF.FLAGS, o.flags ?? 1);
  } });
}

const object = (file: string): ReturnType<typeof loadElfObject> => loadElfObject(new Uint8Array(readFileSync(PROGS + file)), { fileName: file });

/** A frame as it sits at `dev`'s ingress hook (data at the network header, mac_len 14). */
function ingressSkbOf(dev: NetDev, frame: Uint8Array): SkBuff {
  const skb = SkBuff.fromFrame(frame);
  skb.setDev(dev.dev);
  skb.macHeader = skb.dataOff;
  skb.macLen = 14;
  skb.pull(14);
  skb.networkHeader = skb.dataOff;
  skb.protocol = (frame[12]! << 8) | frame[13]!;
  skb.tcAtIngress = true;
  return skb;
}

/** classify() of va's first ingress tcf_proto on every frame: [verdict, classid, mark] per frame. */
function classifyAll(s: Sim): number[] {
  const tp = ingressTp(s);
  const out: number[] = [];
  for (const f of FRAMES) {
    const skb = ingressSkbOf(s.va, f);
    const res = new TcfResult();
    out.push(tp.ops.classify(skb, tp, res), res.classid, skb.mark);
  }
  return out;
}

const progOf = (s: Sim, i = 0): ClsBpfProg => (ingressTp(s).root as { list: ClsBpfProg[] }).list[i]!;

// classic programs exercising packet loads, ancillary loads, scratch memory and ALU
const CLASSIC: readonly (readonly Insn[])[] = [
  [ret(0x10002)],
  [[0x30, 0, 0, 23], [0x15, 0, 1, 17], ret(-1), ret(0)], // ldb [23]; jeq #17 (UDP)
  [[0x20, 0, 0, 0xfffff000], [0x16, 0, 0, 0]], // ld #proto (SKF_AD_PROTOCOL); ret a
  [[0x80, 0, 0, 0], [0x04, 0, 0, 0x10000], [0x16, 0, 0, 0]], // ld #len; add #0x10000; ret a
  [[0x28, 0, 0, 36], [0x02, 0, 0, 3], [0x61, 0, 0, 3], [0x54, 0, 0, 0xff], [0x16, 0, 0, 0]], // ldh [36] (dport); st M[3]; ldx M[3]; and #0xff; ret a
  [[0xb1, 0, 0, 14], [0x48, 0, 0, 16], [0x16, 0, 0, 0]], // ldxb 4*([14]&0xf); ldh [x+16]; ret a
  [[0x30, 0, 0, (-0x100000 + 9) >>> 0], [0x16, 0, 0, 0]], // ldb [SKF_NET_OFF + 9] (bpf_skb_load_helper_8); ret a
  [[0x20, 0, 0, 200], [0x16, 0, 0, 0]], // ld [200]: beyond the packet, the program ends with 0
  [[0x20, 0, 0, 0xfffff000 + 4], [0x16, 0, 0, 0]], // ld #pkttype (SKF_AD_PKTTYPE); ret a
];

describe('runtime selection (bpf_jit_enable)', () => {
  it('classic programs run converted and JITed with the JIT, on the classic interpreter without; same results', () => {
    const on = makeJSim(true);
    const off = makeJSim(false);
    for (const prog of CLASSIC) {
      for (const s of [on, off]) {
        s.tc.filter('replace', { ifindex: s.va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: bpfOptions(prog, { classid: 0x10001 }) });
      }
      expect(progOf(on).jited).toBe(true);
      expect(progOf(on).converted).not.toBeNull();
      expect(progOf(off).jited).toBe(false);
      expect(progOf(off).filter).not.toBeNull();
      expect(classifyAll(on)).toEqual(classifyAll(off));
      expect(on.ops.jitRuntime!.lastJited).toBe(true);
    }
    expect(off.ops.jitRuntime).toBeNull();
  });

  it('eBPF programs are JITed at attach when bpf_jit_enable=1, interpreted when 0; progShow says which; same results', () => {
    let jr: JitRuntime | undefined;
    const s = makeJSim((bpf) => (jr = new JitRuntime(bpf, bpf.interpreter)));
    const loaded = instantiateObject(s.bpf, object('parse_classify.o'));
    const fd = loaded.programs.get('classify')!;
    addFd(s, 1, fd, { da: true });
    const jited = classifyAll(s);
    expect(jr!.lastJited).toBe(true);
    expect(progOf(s).jited).toBe(true);
    const id = s.bpf.prog(fd).id;
    expect(s.ops.progShow(id)).toEqual({ id, name: 'classify', tag: s.bpf.prog(fd).tag, jited: true });
    expect(s.ops.progShow(id + 1000)).toBeUndefined();

    // bpf_jit_enable=0 before the program is loaded: it stays on the interpreter
    let jr2: JitRuntime | undefined;
    const t = makeJSim((bpf) => { jr2 = new JitRuntime(bpf, bpf.interpreter); jr2.enable = 0; return jr2; });
    const fd2 = instantiateObject(t.bpf, object('parse_classify.o')).programs.get('classify')!;
    addFd(t, 1, fd2, { da: true });
    expect(classifyAll(t)).toEqual(jited);
    expect(jr2!.lastJited).toBe(false);
    expect(progOf(t).jited).toBe(false);
    expect(t.ops.progShow(t.bpf.prog(fd2).id)!.jited).toBe(false);

    // jit: false: the interpreter, no JIT built
    const u = makeJSim(false);
    addFd(u, 1, instantiateObject(u.bpf, object('parse_classify.o')).programs.get('classify')!, { da: true });
    expect(classifyAll(u)).toEqual(jited);
    expect(u.ops.jitRuntime).toBeNull();
  });

  it('the classic-only default builds a private JIT on first use', () => {
    const ops = createClsBpfOps();
    expect(ops.jitRuntime).toBeNull();
    const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, ops] } });
    const net = kernel.addNet();
    const [va] = net.addVethPair('va', 'vb');
    const tc = new TcClient(net.socket());
    tc.clsact(va.ifindex);
    tc.filter('add', { ifindex: va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, kind: 'bpf', options: bpfOptions([[0x30, 0, 0, 23], [0x16, 0, 0, 0]]) });
    expect(ops.jitRuntime).not.toBeNull();
    const tp = (va.ingress!.priv as { ingress: { chain0: { tps: { ops: ClsBpfOps; root: unknown }[] } } }).ingress.chain0.tps[0]!;
    const res = new TcfResult();
    expect(tp.ops.classify(ingressSkbOf(va, FRAMES[0]!), tp as never, res)).toBe(TC_ACT.OK); // no actions: tcf_exts_exec's OK
    expect(res.classid).toBe(17); // the IP protocol byte (UDP) as the classid
    expect((tp.root as { list: ClsBpfProg[] }).list[0]!.jited).toBe(true);
  });
});

describe('program lifetime (bpf_prog_get_type_dev / bpf_prog_put)', () => {
  it('a map-using program keeps classifying and counting after its fd and its map fd are closed; deleting the filter frees both', () => {
    for (const jit of [true, false]) {
      const s = makeJSim(jit);
      const loaded = instantiateObject(s.bpf, object('parse_classify.o'));
      const fd = loaded.programs.get('classify')!;
      const mfd = loaded.maps.get('class_stats')!;
      const prog = s.bpf.prog(fd);
      const map = s.bpf.mapByFd(mfd)!;
      const mapId = s.bpf.mapInfo(mfd).id;
      addFd(s, 1, fd, { da: true });
      s.bpf.close(fd);
      s.bpf.close(mfd);
      expect(s.bpf.progById(prog.id)).toBe(prog);
      expect(s.bpf.refCount(prog)).toBe(1);
      const packets = (cls: number): bigint => new DataView(map.lookup(Uint8Array.of(cls, 0, 0, 0)).buffer).getBigUint64(0, true);
      const before = packets(6); // CLASS_UDP_DNS
      const out = classifyAll(s);
      expect(out[0]).toBe(TC_ACT.OK);
      expect(packets(6)).toBe(before + 2n); // udp dport 53 and sport 53
      // through the device layer as well
      const skb = SkBuff.fromFrame(FRAMES[0]!);
      skb.setDev(s.vb.dev);
      s.net.ns.devQueueXmit(skb);
      expect(packets(6)).toBe(before + 3n);
      s.tc.filter('del', { ifindex: s.va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf' });
      expect(s.bpf.progById(prog.id)).toBeUndefined();
      expect(s.bpf.mapById(mapId)).toBeUndefined();
    }
  });

  it('replace puts the old program, a refused change takes no reference, qdisc deletion puts every program', () => {
    const s = makeJSim(true);
    const load = (): number => s.bpf.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel('r0 = 0\nexit') });
    const a = load();
    const b = load();
    const pa = s.bpf.prog(a);
    const pb = s.bpf.prog(b);
    addFd(s, 1, a, { da: true });
    expect(s.bpf.refCount(pa)).toBe(2);
    expect(() => addFd(s, 1, b, { flags: 2, cmd: 'replace', handle: 1 })).toThrow(expect.objectContaining({ errno: 'EINVAL' }) as Error);
    expect(s.bpf.refCount(pb)).toBe(1);
    addFd(s, 1, b, { da: true, cmd: 'replace', handle: 1 });
    expect(s.bpf.refCount(pa)).toBe(1);
    expect(s.bpf.refCount(pb)).toBe(2);
    addFd(s, 2, a, { da: true });
    s.bpf.close(a);
    s.bpf.close(b);
    expect(s.bpf.refCount(pa)).toBe(1);
    s.tc.qdisc('del', { ifindex: s.va.ifindex, parent: 0xfffffff1, kind: 'clsact' }); // TC_H_CLSACT
    expect(s.bpf.progById(pa.id)).toBeUndefined();
    expect(s.bpf.progById(pb.id)).toBeUndefined();
  });
});

describe('bpf_redirect_peer (skb_do_redirect, BPF_F_PEER)', () => {
  /** va <-> vb in net 1 with clsact on va; vx (net 1) <-> vy (net 2) with clsact on vy. */
  function peerSim(): JSim & { vx: NetDev; vy: NetDev; net2: ReturnType<TcKernel['addNet']>; tc2: TcClient } {
    const s = makeJSim(true);
    const net2 = s.kernel.addNet();
    const [x, y] = s.net.ns.addVeth('vx', 'vy', net2.ns);
    const vx = s.net.adopt(x);
    const vy = net2.adopt(y);
    x.setUp(true);
    y.setUp(true);
    const tc2 = new TcClient(net2.socket());
    tc2.clsact(vy.ifindex);
    return { ...s, vx, vy, net2, tc2 };
  }
  const peerProg = (s: JSim, ifindex: number, flags = 0): number =>
    s.bpf.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel(`r1 = ${ifindex}\nr2 = ${flags}\ncall bpf_redirect_peer#155\nexit`) });
  const send = (s: JSim, frame: Uint8Array): void => {
    const skb = SkBuff.fromFrame(frame);
    skb.setDev(s.vb.dev);
    s.net.ns.devQueueXmit(skb);
  };

  it('at ingress, the packet enters the peer in the other namespace (another round: its ingress hook runs, counted as received there)', () => {
    const s = peerSim();
    addFd(s, 1, peerProg(s, s.vx.ifindex), { da: true });
    // a classic counter on vy's ingress: gact ok with a counter
    s.tc2.filter('add', { ifindex: s.vy.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, kind: 'bpf', options: bpfOptions([ret(-1)], { classid: 0x10001, actions: [{ kind: 'gact', options: (w) => w.attr(2, new Uint8Array(24).fill(0)) }] }) });
    const rx0 = s.vy.dev.stats.rxPackets;
    const vxTx = s.vx.dev.stats.txPackets;
    const frame = FRAMES[0]!;
    send(s, frame);
    expect(s.vy.dev.stats.rxPackets).toBe(rx0 + 1);
    expect(s.vy.dev.stats.rxBytes).toBe(frame.length);
    expect(s.vx.dev.stats.txPackets).toBe(vxTx); // not transmitted by vx
    expect(s.vy.ingress!.stats.packets).toBe(1); // vy's clsact saw it
  });

  it('drops when the peer is in the same namespace, the target has no peer or is missing, or at egress', () => {
    const s = peerSim();
    // vb's peer is va: same namespace
    addFd(s, 1, peerProg(s, s.vb.ifindex), { da: true });
    const vaRx = s.va.dev.stats.rxPackets;
    send(s, FRAMES[0]!);
    expect(s.vb.dev.stats.rxPackets).toBe(0);
    s.tc.filter('replace', { ifindex: s.va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, peerProg(s, 1)); w.u32(TCA_BPF.FLAGS, 1); } });
    send(s, FRAMES[0]!); // lo has no peer
    s.tc.filter('replace', { ifindex: s.va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, peerProg(s, 999)); w.u32(TCA_BPF.FLAGS, 1); } });
    send(s, FRAMES[0]!); // no such device
    expect(s.va.dev.stats.rxPackets).toBe(vaRx + 3);
    // egress of va: dropped, never reaches vy
    s.tc.filter('add', { ifindex: s.va.ifindex, parent: EGRESS, prio: 1, protocol: ETH_P_ALL, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, peerProg(s, s.vx.ifindex)); w.u32(TCA_BPF.FLAGS, 1); } });
    const out = SkBuff.fromFrame(FRAMES[0]!);
    out.setDev(s.va.dev);
    const vyRx = s.vy.dev.stats.rxPackets;
    s.net.ns.devQueueXmit(out);
    expect(s.vy.dev.stats.rxPackets).toBe(vyRx);
    expect(s.vb.dev.stats.rxPackets).toBe(0);
  });
});
