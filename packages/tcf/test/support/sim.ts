// A kernel instance with every tcf kind (plus the test cls_bpf stub), one
// namespace with lo (up) and a veth pair, and helpers to send frames.
import { SkBuff } from '@tcbpf/skb';
import { TcKernel, TcClient, TCF_ALL_KINDS, type TcNet, type NetDev } from '../../src/index.js';
import { clsBpfStubOps } from './cls-bpf-stub.js';

export interface Sim {
  kernel: TcKernel;
  net: TcNet;
  /** ifindex 3 ("va"); its peer "vb" is ifindex 2. */
  va: NetDev;
  vb: NetDev;
  tc: TcClient;
}

export function makeSim(seed = 1): Sim {
  const kernel = new TcKernel({
    kinds: { qdiscs: TCF_ALL_KINDS.qdiscs, classifiers: [...TCF_ALL_KINDS.classifiers, clsBpfStubOps], actions: TCF_ALL_KINDS.actions },
    seed,
  });
  const net = kernel.addNet();
  net.ns.loopback.setUp(true);
  const [va, vb] = net.addVethPair('va', 'vb');
  return { kernel, net, va, vb, tc: new TcClient(net.socket()) };
}

/** An Ethernet + IPv4 + UDP frame of `size` bytes (valid checksums are not needed here). */
export function udpFrame(size: number, opts: { proto?: number; tos?: number; seed?: number } = {}): Uint8Array {
  const f = new Uint8Array(size);
  f.set([2, 0, 0, 0, 0, 2], 0);
  f.set([2, 0, 0, 0, 0, 1], 6);
  const proto = opts.proto ?? 0x0800;
  f[12] = proto >>> 8;
  f[13] = proto & 0xff;
  if (proto === 0x0800 && size >= 42) {
    f[14] = 0x45;
    f[15] = opts.tos ?? 0;
    const tot = size - 14;
    f[16] = tot >>> 8;
    f[17] = tot & 0xff;
    f[22] = 64;
    f[23] = 17;
    f.set([10, 0, 0, 1], 26);
    f.set([10, 0, 0, 2], 30);
    f[34] = 0x30;
    f[35] = 0x39;
    f[36] = 0x00;
    f[37] = 0x35;
    const ul = tot - 20;
    f[38] = ul >>> 8;
    f[39] = ul & 0xff;
    f[40] = 0x12;
    f[41] = 0x34;
    for (let i = 42; i < size; i++) f[i] = (i * 7 + (opts.seed ?? 0)) & 0xff;
  }
  return f;
}

/** Transmit `frame` on `dev` (dev_queue_xmit: egress hook, root qdisc, driver). Returns NET_XMIT_* or -errno. */
export function xmit(dev: NetDev, frame: Uint8Array, init?: (skb: SkBuff) => void): number {
  const skb = SkBuff.fromFrame(frame);
  skb.setDev(dev.dev);
  skb.protocol = (frame[12]! << 8) | frame[13]!;
  init?.(skb);
  return dev.dev.ns.devQueueXmit(skb);
}

/** Frames delivered to the stack of each device (ns.onDeliver), collected. */
export function collectDelivered(net: TcNet): SkBuff[] {
  const out: SkBuff[] = [];
  net.ns.onDeliver = (skb) => {
    out.push(skb);
  };
  return out;
}
