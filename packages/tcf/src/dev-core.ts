// Models the tc hooks of net/core/dev.c (Linux 6.18): sch_handle_ingress in the
// receive path, sch_handle_egress and the root qdisc in __dev_queue_xmit, the
// veth hand-over to the peer (drivers/net/veth.c) and the mirred forwarding
// helpers (tcf_mirred_forward). Per packet: no allocation except the clone a
// mirror makes; never throws.
import { TC_ACT } from '@tcbpf/uapi';
import { tcfClassify } from './cls-api.js';
import { NET_XMIT, TcfResult, type TcSkb } from './sch-generic.js';
import type { NetDev } from './netdev.js';
import type { IngressPriv } from './sch-ingress.js';

/** ETH_HLEN. */
export const ETH_HLEN = 14;

/** NET_RX_SUCCESS / NET_RX_DROP. */
export const NET_RX = Object.freeze({ SUCCESS: 0, DROP: 1 } as const);

/** The packet path of one namespace's devices. */
export class Datapath {
  readonly #res = new TcfResult();
  /** Frames delivered to the host stack (after ingress tc) per ifindex. */
  readonly delivered = new Map<number, number>();

  /** netif_receive_skb on `dev`: skb data at the MAC header, len = frame length. */
  receive(dev: NetDev, skb: TcSkb): number {
    dev.rxPackets++;
    dev.rxBytes += skb.len;
    // eth_type_trans: pull the Ethernet header
    skb.macHeader = skb.dataOff;
    skb.macLen = ETH_HLEN;
    skb.dataOff += ETH_HLEN;
    skb.len -= ETH_HLEN;
    skb.networkHeader = skb.dataOff;
    skb.ifindex = dev.ifindex;
    skb.ingressIfindex = dev.ifindex;
    const q = dev.ingress;
    const block = q !== null ? (q.priv as IngressPriv).ingress : null;
    // the mini qdisc is only installed while chain 0 of the block has a filter
    if (q !== null && block !== null && block.chain0 !== null && block.chain0.tps.length > 0) {
      q.stats.bump(skb.len);
      const net = dev.net;
      const prev = net.atIngress;
      net.atIngress = true;
      const res = this.#res;
      res.reset();
      const r = tcfClassify(skb, block, res);
      net.atIngress = prev;
      switch (r) {
        case TC_ACT.OK:
        case TC_ACT.RECLASSIFY:
          skb.tcIndex = res.classid & 0xffff;
          break;
        case TC_ACT.SHOT:
          q.stats.drops++;
          return NET_RX.DROP;
        case TC_ACT.STOLEN:
        case TC_ACT.QUEUED:
        case TC_ACT.TRAP:
        case TC_ACT.REDIRECT:
          return NET_RX.SUCCESS;
        default:
          break;
      }
    }
    this.delivered.set(dev.ifindex, (this.delivered.get(dev.ifindex) ?? 0) + 1);
    return NET_RX.SUCCESS;
  }

  /** __dev_queue_xmit on `dev`: skb data at the MAC header. */
  xmit(dev: NetDev, skb: TcSkb): number {
    skb.ifindex = dev.ifindex;
    const q = dev.ingress;
    const eblock = q !== null ? (q.priv as IngressPriv).egress : null;
    if (q !== null && eblock !== null && eblock.chain0 !== null && eblock.chain0.tps.length > 0) {
      q.stats.bump(skb.len);
      const net = dev.net;
      const prev = net.atIngress;
      net.atIngress = false;
      const res = this.#res;
      res.reset();
      const r = tcfClassify(skb, eblock, res);
      net.atIngress = prev;
      switch (r) {
        case TC_ACT.OK:
        case TC_ACT.RECLASSIFY:
          skb.tcIndex = res.classid & 0xffff;
          break;
        case TC_ACT.SHOT:
          q.stats.drops++;
          return NET_XMIT.DROP;
        case TC_ACT.STOLEN:
        case TC_ACT.QUEUED:
        case TC_ACT.TRAP:
        case TC_ACT.REDIRECT:
          return NET_XMIT.SUCCESS;
        default:
          break;
      }
    }
    const root = dev.qdisc;
    const rc = root.ops.enqueue(skb, root);
    if (rc === NET_XMIT.BYPASS) {
      this.hardXmit(dev, skb);
      return NET_XMIT.SUCCESS;
    }
    this.run(dev);
    return rc;
  }

  /** qdisc_run: dequeue everything the root qdisc releases now. */
  run(dev: NetDev): void {
    const root = dev.qdisc;
    for (let skb = root.ops.dequeue(root); skb !== null; skb = root.ops.dequeue(root)) this.hardXmit(dev, skb);
  }

  /** dev_hard_start_xmit: count and, for veth, hand the frame to the peer. */
  hardXmit(dev: NetDev, skb: TcSkb): void {
    if (!dev.up) {
      dev.txDropped++;
      return;
    }
    dev.txPackets++;
    dev.txBytes += skb.len;
    const peer = dev.peer;
    if (peer !== null && peer.up) this.receive(peer, skb);
  }

  /** tcf_mirred_forward: clone unless redirecting, fix the MAC header, send. */
  mirredForward(skb: TcSkb, target: NetDev, toIngress: boolean, redirect: boolean, atIngress: boolean): boolean {
    const out = redirect ? skb : cloneSkb(skb);
    // at ingress data sits at the network header: push the MAC header back for egress targets
    if (atIngress && !toIngress) {
      out.dataOff -= out.macLen;
      out.len += out.macLen;
    } else if (!atIngress && toIngress) {
      out.dataOff += out.macLen;
      out.len -= out.macLen;
    }
    if (toIngress) {
      out.dataOff -= out.macLen;
      out.len += out.macLen;
      this.receive(target, out);
      return true;
    }
    this.xmit(target, out);
    return true;
  }
}

/** skb_clone: a shallow copy sharing the data buffer, own cb. */
export function cloneSkb(skb: TcSkb): TcSkb {
  return { ...skb, cb: skb.cb.slice() };
}
