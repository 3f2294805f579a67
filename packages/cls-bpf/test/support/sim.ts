// Test support: a tcbpf kernel with cls_bpf registered, a veth pair and a tc
// client, plus builders for TCA_OPTIONS of kind "bpf" and ingress sk_buffs.
import { SkBuff } from '@tcbpf/skb';
import { TCF_ALL_KINDS, TcClient, TcKernel, writeActions, type ActionSpec, type IngressPriv, type NetDev, type NlWriter, type TcNet, type TcfProto } from '@tcbpf/tcf';
import { TCA_BPF } from '@tcbpf/uapi';
import { createClsBpfOps } from '../../src/index.js';

/** `tc qdisc add ... clsact` parents. */
export const INGRESS = 0xfffffff2;
export const EGRESS = 0xfffffff3;
export const ETH_P_ALL = 3;

/** A sock_filter as [code, jt, jf, k]. */
export type Insn = readonly [number, number, number, number];
export const ret = (k: number): Insn => [0x06, 0, 0, k >>> 0];

/** Encode classic instructions as the TCA_BPF_OPS payload (struct sock_filter, little-endian). */
export function opsBytes(prog: readonly Insn[]): Uint8Array {
  const b = new Uint8Array(prog.length * 8);
  const v = new DataView(b.buffer);
  prog.forEach(([code, jt, jf, k], i) => {
    v.setUint16(i * 8, code, true);
    v.setUint8(i * 8 + 2, jt);
    v.setUint8(i * 8 + 3, jf);
    v.setUint32(i * 8 + 4, k >>> 0, true);
  });
  return b;
}

/** Options of {@link bpfOptions}. */
export interface BpfOpts {
  readonly classid?: number;
  readonly da?: boolean;
  readonly gen?: number;
  readonly actions?: readonly ActionSpec[];
}

/** TCA_OPTIONS content of a classic cls_bpf filter. */
export function bpfOptions(prog: readonly Insn[], o: BpfOpts = {}): (w: NlWriter) => void {
  return (w) => {
    if (o.classid !== undefined) w.u32(TCA_BPF.CLASSID, o.classid);
    w.u16(TCA_BPF.OPS_LEN, prog.length);
    w.attr(TCA_BPF.OPS, opsBytes(prog));
    if (o.actions) {
      const n = w.nestStart(TCA_BPF.ACT);
      writeActions(w, o.actions);
      w.nestEnd(n);
    }
    if (o.da) w.u32(TCA_BPF.FLAGS, 1);
    if (o.gen !== undefined) w.u32(TCA_BPF.FLAGS_GEN, o.gen);
  };
}

/** A kernel with every tcf kind and cls_bpf, a netns with va <-> vb, clsact on va. */
export interface Sim {
  readonly kernel: TcKernel;
  readonly net: TcNet;
  readonly tc: TcClient;
  readonly va: NetDev;
  readonly vb: NetDev;
}

export function makeSim(jit = true): Sim {
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ jit })] } });
  const net = kernel.addNet();
  net.ns.loopback.setUp(true);
  const [va, vb] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  return { kernel, net, tc, va, vb };
}

/** `tc filter add dev va ingress prio P bpf ...`. */
export function addBpf(sim: Sim, prio: number, prog: readonly Insn[], o: BpfOpts & { handle?: number; parent?: number } = {}): void {
  sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: o.parent ?? INGRESS, prio, protocol: ETH_P_ALL, kind: 'bpf', ...(o.handle !== undefined ? { handle: o.handle } : {}), options: bpfOptions(prog, o) });
}

/** The tcf_proto of va's ingress chain 0 at index i (ascending prio). */
export function ingressTp(sim: Sim, i = 0): TcfProto {
  const tp = (sim.va.ingress!.priv as IngressPriv).ingress!.chain0!.tps[i];
  if (!tp) throw new Error(`no tp ${i}`);
  return tp;
}

/** An IPv4/UDP-looking frame as it sits at the ingress hook: data at the network header, mac_len 14. */
export function ingressSkb(dev: NetDev, size = 60): SkBuff {
  const f = new Uint8Array(size);
  f.fill(0xff, 0, 6);
  f.set([2, 0, 0, 0, 0, 1], 6);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  f[23] = 17;
  const skb = SkBuff.fromFrame(f);
  skb.setDev(dev.dev);
  skb.macHeader = skb.dataOff;
  skb.macLen = 14;
  skb.pull(14);
  skb.networkHeader = skb.dataOff;
  skb.protocol = 0x0800;
  skb.tcAtIngress = true;
  return skb;
}
