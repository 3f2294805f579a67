// Models the tc hooks of net/core/dev.c (Linux 6.18): sch_handle_ingress and
// sch_handle_egress (verdict → disposition, qdisc counters, tc_index) and the
// root qdisc run of __dev_xmit_skb/qdisc_run, installed into the hook slots of
// @tcbpf/skb's NetDevice; plus tcf_mirred_forward's device hand-over.
// Per packet: no allocation except the copy a mirror makes; never throws.
import { HOOK, type SkBuff } from '@tcbpf/skb';
import { TC_ACT } from '@tcbpf/uapi';
import { tcfClassify, type TcfBlock } from './cls-api.js';
import { TcfResult } from './sch-generic.js';
import type { NetDev } from './netdev.js';
import type { IngressPriv } from './sch-ingress.js';

/** TC_ACT_CONSUMED (kernel-internal, TC_ACT_VALUE_MAX + 1): mirred forwarded the original. */
export const TC_ACT_CONSUMED = 9;

/** The tc datapath of one namespace. */
export class Datapath {
  readonly #res = new TcfResult();

  /** Install the ingress/egress hooks (they are no-ops while no clsact/ingress qdisc exists). */
  attach(nd: NetDev): void {
    nd.dev.ingressHook = (skb: SkBuff): number => this.ingress(nd, skb);
    nd.dev.egressHook = (skb: SkBuff): number => this.egress(nd, skb);
  }

  /** Point the device's root qdisc slot at nd.qdisc (null for noqueue). */
  syncRoot(nd: NetDev): void {
    const q = nd.qdisc;
    nd.dev.qdisc = q.ops.id === 'noqueue' ? null : (skb: SkBuff): number => this.enqueueRoot(nd, skb);
  }

  #run(block: TcfBlock | null, nd: NetDev, skb: SkBuff, ingress: boolean): number {
    const q = nd.ingress;
    // the mini qdisc is only installed while chain 0 of the block has a filter
    if (q === null || block === null || block.chain0 === null || block.chain0.tps.length === 0) return HOOK.PASS;
    q.stats.bump(skb.len);
    const net = nd.net;
    const prev = net.atIngress;
    net.atIngress = ingress;
    const res = this.#res;
    res.reset();
    const r = tcfClassify(skb, block, res);
    net.atIngress = prev;
    switch (r) {
      case TC_ACT.OK:
      case TC_ACT.RECLASSIFY:
        skb.tcIndex = res.classid & 0xffff;
        return HOOK.PASS;
      case TC_ACT.SHOT:
        q.stats.drops++;
        return HOOK.DROP;
      case TC_ACT.STOLEN:
      case TC_ACT.QUEUED:
      case TC_ACT.TRAP:
      case TC_ACT_CONSUMED:
        return HOOK.CONSUMED;
      case TC_ACT.REDIRECT:
        return net.skbDoRedirect(skb, ingress);
      default:
        return HOOK.PASS;
    }
  }

  /** sch_handle_ingress (data at the network header). */
  ingress(nd: NetDev, skb: SkBuff): number {
    const q = nd.ingress;
    return this.#run(q === null ? null : (q.priv as IngressPriv).ingress, nd, skb, true);
  }

  /** sch_handle_egress (data at the MAC header). */
  egress(nd: NetDev, skb: SkBuff): number {
    const q = nd.ingress;
    return this.#run(q === null ? null : (q.priv as IngressPriv).egress, nd, skb, false);
  }

  /** __dev_xmit_skb: enqueue on the root qdisc, then qdisc_run. */
  enqueueRoot(nd: NetDev, skb: SkBuff): number {
    const q = nd.qdisc;
    const rc = q.ops.enqueue(skb, q);
    this.run(nd);
    return rc & 0xffff;
  }

  /** qdisc_run: hand every packet the root qdisc releases now to the driver. */
  run(nd: NetDev): void {
    const q = nd.qdisc;
    const ns = nd.dev.ns;
    for (let skb = q.ops.dequeue(q); skb !== null; skb = q.ops.dequeue(q)) ns.devHardStartXmit(skb, nd.dev);
  }

  /**
   * tcf_mirred_forward: send `skb` (already cloned for a mirror) out of
   * `target`'s egress, or into its ingress, fixing the MAC header position.
   * Returns false when the device layer refused it.
   */
  mirredForward(skb: SkBuff, target: NetDev, toIngress: boolean, atIngress: boolean): boolean {
    const ns = target.dev.ns;
    // mac_len = at ingress skb->mac_len, else skb_network_offset() (the L2 header before the network header)
    const nh = skb.networkHeader;
    const macLen = atIngress ? skb.macLen : nh >= skb.dataOff ? nh - skb.dataOff : (skb.dev?.hardHeaderLen ?? 14);
    if (toIngress) {
      // the target expects the network header: pull the MAC header when coming from egress
      if (!atIngress) skb.pull(macLen);
      skb.setDev(target.dev);
      return (atIngress ? ns.netifReceiveSkb(skb) : ns.netifRx(skb)) === 0;
    }
    if (atIngress) skb.push(macLen);
    skb.setDev(target.dev);
    return ns.devQueueXmit(skb) === 0;
  }
}
