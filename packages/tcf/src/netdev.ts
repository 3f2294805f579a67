// The tc core's per-device state (Linux 6.18, include/linux/netdevice.h:
// dev->qdisc and dev_ingress_queue()->qdisc_sleeping), attached to a
// @tcbpf/skb NetDevice, whose receive/transmit paths call the tc hooks.
import type { NetDevice } from '@tcbpf/skb';
import type { Qdisc } from './sch-generic.js';
import type { TcNet } from './kernel.js';
import type { NdoSetupTc } from './flow-offload.js';

/** tc state of one net_device. */
export class NetDev {
  readonly net: TcNet;
  /** The device of @tcbpf/skb. */
  readonly dev: NetDevice;
  /** dev->qdisc (root); the default is a noqueue with handle 0. */
  qdisc!: Qdisc;
  /** The ingress/clsact qdisc, or null. */
  ingress: Qdisc | null = null;
  /** The driver's ndo_setup_tc (null: the device cannot offload, like veth). */
  ndoSetupTc: NdoSetupTc | null = null;
  /** NETIF_F_HW_TC enabled (ethtool -K dev hw-tc-offload on). */
  hwTcOffload = false;

  constructor(net: TcNet, dev: NetDevice) {
    this.net = net;
    this.dev = dev;
  }
  get ifindex(): number {
    return this.dev.ifindex;
  }
  get name(): string {
    return this.dev.name;
  }
  /** IFF_UP and carrier (netif_running && netif_carrier_ok). */
  get up(): boolean {
    return this.dev.isUp() && this.dev.hasCarrier();
  }
}
