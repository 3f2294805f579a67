// Models the parts of include/linux/netdevice.h and drivers/net/veth.c (Linux
// 6.18) the tc core needs: a device with an ifindex, up/carrier state, the root
// qdisc slot (dev->qdisc), the ingress slot (dev_ingress_queue) and, for veth,
// the peer that receives what this end transmits. Stands in for @tcbpf/skb's
// device tables until they land (see docs/kernel-mapping.md).
import type { Qdisc } from './sch-generic.js';
import type { TcNet } from './kernel.js';

/** ARPHRD_ETHER / ARPHRD_LOOPBACK. */
export const ARPHRD = Object.freeze({ ETHER: 1, LOOPBACK: 772 } as const);

/** struct net_device, tc's view. */
export class NetDev {
  readonly net: TcNet;
  readonly ifindex: number;
  readonly name: string;
  readonly type: number;
  up = true;
  /** veth peer (frames sent here are received there). */
  peer: NetDev | null = null;
  /** dev->qdisc (root); the default is a builtin noqueue with handle 0. */
  qdisc!: Qdisc;
  /** dev_ingress_queue()->qdisc_sleeping when an ingress/clsact qdisc is attached. */
  ingress: Qdisc | null = null;
  /** Device counters (rtnl_link_stats64 subset). */
  rxPackets = 0;
  rxBytes = 0;
  txPackets = 0;
  txBytes = 0;
  rxDropped = 0;
  txDropped = 0;

  constructor(net: TcNet, ifindex: number, name: string, type: number = ARPHRD.ETHER) {
    this.net = net;
    this.ifindex = ifindex;
    this.name = name;
    this.type = type;
  }
}
