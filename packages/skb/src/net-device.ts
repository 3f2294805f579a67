// Models include/linux/netdevice.h (struct net_device: ifindex, name, type,
// flags, mtu, addresses, stats, the tc hook points) and the transmit functions
// of drivers/net/veth.c (veth_xmit), drivers/net/loopback.c (loopback_xmit)
// and drivers/net/dummy.c (dummy_xmit), Linux 6.18.
import { kerr } from '@tcbpf/base';
import { ARPHRD, IFF } from '@tcbpf/uapi';
import { isValidEtherAddr } from './eth.js';
import type { NetNamespace } from './net-namespace.js';
import type { SkBuff } from './sk-buff.js';

/** `NET_RX_*` results of the receive path. */
export const NET_RX = Object.freeze({ SUCCESS: 0, DROP: 1 });
/** `NET_XMIT_*` results of the transmit path. */
export const NET_XMIT = Object.freeze({ SUCCESS: 0, DROP: 1, CN: 2 });

/**
 * What a hook (the tc layer) tells the device layer to do with the packet —
 * the dispositions of `sch_handle_ingress` / `sch_handle_egress` in net/core/dev.c.
 * The numbers coincide with TC_ACT_OK / TC_ACT_SHOT / TC_ACT_STOLEN, but the
 * hook must translate every tc verdict itself: redirects and mirroring are done
 * by the hook (with `NetNamespace.devQueueXmit` / `devForwardSkb`) before it
 * returns CONSUMED. Any other number means PASS, as in the kernel.
 */
export const HOOK = Object.freeze({
  /** Continue: up the stack (ingress) or to the root qdisc (egress). */
  PASS: 0,
  /** Free the packet: NET_RX_DROP / NET_XMIT_DROP (counted by the hook's qdisc, not the device). */
  DROP: 2,
  /** The hook took the packet (stolen, queued, trapped, redirected): success, nothing more to do. */
  CONSUMED: 4,
  /** Ingress only: `skb.dev` was changed (bpf_redirect_peer); run the receive path again on it. */
  ANOTHER_ROUND: 0x100,
});

/** A hook slot: gets the packet and its device, returns a HOOK value. Never throws. */
export type SkbHook = (skb: SkBuff, dev: NetDevice) => number;
/**
 * A root qdisc slot: enqueue `skb` and return a NET_XMIT value; the qdisc hands
 * packets to `dev.ns.devHardStartXmit(skb, dev)` when it dequeues them.
 */
export type QdiscHook = (skb: SkBuff, dev: NetDevice) => number;
/** A packet tap (AF_PACKET / tcpdump): sees received packets before the ingress hook and sent packets after qdisc. */
export type PacketTap = (skb: SkBuff, dev: NetDevice, outgoing: boolean) => void;

/** Device kinds modelled. */
export type DeviceKind = 'loopback' | 'veth' | 'dummy';

/** Per-device counters, named as in `struct rtnl_link_stats64` (what `ip -s link` prints). */
export interface LinkStats {
  rxPackets: number;
  rxBytes: number;
  rxErrors: number;
  rxDropped: number;
  rxNohandler: number;
  multicast: number;
  txPackets: number;
  txBytes: number;
  txErrors: number;
  txDropped: number;
}

function zeroStats(): LinkStats {
  return { rxPackets: 0, rxBytes: 0, rxErrors: 0, rxDropped: 0, rxNohandler: 0, multicast: 0, txPackets: 0, txBytes: 0, txErrors: 0, txDropped: 0 };
}

/** Device parameters fixed by the driver's setup function. */
interface DriverSetup {
  readonly type: number;
  readonly flags: number;
  readonly mtu: number;
  readonly minMtu: number;
  readonly maxMtu: number;
  readonly hardHeaderLen: number;
  readonly xmit: (skb: SkBuff, dev: NetDevice) => number;
}

const VLAN_HLEN = 4;

/** `__is_skb_forwardable()`: the device is up and the frame fits its MTU. */
function isSkbForwardable(dev: NetDevice, skb: SkBuff): boolean {
  if ((dev.flags & IFF.UP) === 0) return false;
  return skb.len <= dev.mtu + dev.hardHeaderLen + VLAN_HLEN || skb.gsoSize !== 0;
}

/** `veth_xmit`: forward to the peer's receive path; TX counted here, RX on the peer. */
function vethXmit(skb: SkBuff, dev: NetDevice): number {
  const peer = dev.peer;
  const length = skb.len;
  if (peer === null || skb.len < 14) {
    dev.stats.txDropped++;
    dev.ns.dropSkb(skb, 'DEV_READY');
    return NET_XMIT.DROP;
  }
  // __dev_forward_skb: forwardable check, scrub, eth_type_trans
  if (!isSkbForwardable(peer, skb)) {
    peer.stats.rxDropped++;
    dev.stats.txDropped++;
    dev.ns.dropSkb(skb, 'DEV_READY');
    return NET_XMIT.DROP;
  }
  skb.scrub(peer.ns !== dev.ns);
  skb.priority = 0;
  skb.protocol = peerEthTypeTrans(skb, peer);
  skb.postpullRcsum(skb.macHeader, 14);
  if (peer.ns.netifRx(skb) === NET_RX.SUCCESS) {
    dev.stats.txPackets++;
    dev.stats.txBytes += length;
    peer.stats.rxPackets++;
    peer.stats.rxBytes += length;
    return NET_XMIT.SUCCESS;
  }
  dev.stats.txDropped++;
  return NET_XMIT.DROP;
}

/** `loopback_xmit`: the frame comes straight back in; counts the length after eth_type_trans (no L2 header). */
function loopbackXmit(skb: SkBuff, dev: NetDevice): number {
  if (skb.tstampType === 0) skb.tstamp = 0;
  skb.protocol = peerEthTypeTrans(skb, dev);
  const len = skb.len;
  if (dev.ns.netifRx(skb) === NET_RX.SUCCESS) {
    dev.stats.txPackets++;
    dev.stats.txBytes += len;
    dev.stats.rxPackets++;
    dev.stats.rxBytes += len;
  }
  return NET_XMIT.SUCCESS;
}

/** `dummy_xmit`: count and free. */
function dummyXmit(skb: SkBuff, dev: NetDevice): number {
  dev.stats.txPackets++;
  dev.stats.txBytes += skb.len;
  dev.ns.consumeSkb(skb);
  return NET_XMIT.SUCCESS;
}

// eth_type_trans lives in eth.ts; imported lazily through the namespace to keep
// this module free of a cycle at load time.
function peerEthTypeTrans(skb: SkBuff, dev: NetDevice): number {
  return dev.ns.ethTypeTrans(skb, dev);
}

/** Driver setup tables (`loopback_setup`, `veth_setup` + `ether_setup`, `dummy_setup` + `ether_setup`). */
export const DRIVERS: Readonly<Record<DeviceKind, DriverSetup>> = Object.freeze({
  loopback: Object.freeze({
    type: ARPHRD.LOOPBACK,
    flags: IFF.LOOPBACK,
    mtu: 65536,
    minMtu: 0,
    maxMtu: 0,
    hardHeaderLen: 14,
    xmit: loopbackXmit,
  }),
  veth: Object.freeze({
    type: ARPHRD.ETHER,
    flags: IFF.BROADCAST | IFF.MULTICAST,
    mtu: 1500,
    minMtu: 68,
    maxMtu: 65535,
    hardHeaderLen: 14,
    xmit: vethXmit,
  }),
  dummy: Object.freeze({
    type: ARPHRD.ETHER,
    flags: IFF.BROADCAST | IFF.NOARP,
    mtu: 1500,
    minMtu: 0,
    maxMtu: 0,
    hardHeaderLen: 14,
    xmit: dummyXmit,
  }),
});

/**
 * A network device. Created through a `NetNamespace` (`addVeth`, `addDummy`;
 * `lo` exists from the start). The tc layer installs itself in the hook slots:
 * `ingressHook` runs in the receive path after the taps (data at the network
 * header, `skb.tcAtIngress` set), `egressHook` in `devQueueXmit` before the root
 * qdisc (data at the MAC header); `qdisc` replaces the default noqueue behaviour.
 */
export class NetDevice {
  /** The namespace the device lives in. */
  readonly ns: NetNamespace;
  /** `dev->ifindex`. */
  readonly ifindex: number;
  /** `dev->name`. */
  name: string;
  /** Driver kind. */
  readonly kind: DeviceKind;
  /** `dev->type` (ARPHRD_*). */
  readonly type: number;
  /** `dev->flags` as set administratively (IFF_UP ...); see `reportedFlags()` for RUNNING/LOWER_UP. */
  flags: number;
  /** `dev->mtu`. */
  mtu: number;
  /** `dev->min_mtu` (0: no lower bound). */
  readonly minMtu: number;
  /** `dev->max_mtu` (0: no upper bound). */
  readonly maxMtu: number;
  /** `dev->hard_header_len`. */
  readonly hardHeaderLen: number;
  /** `dev->dev_addr` (6 bytes). */
  addr: Uint8Array;
  /** `dev->broadcast` (6 bytes). */
  readonly broadcast: Uint8Array;
  /** The other end of a veth pair (may live in another namespace); null otherwise or after deletion. */
  peer: NetDevice | null = null;
  /** Counters as `ip -s link` reports them. */
  readonly stats: LinkStats = zeroStats();
  /** tc ingress hook (sch_handle_ingress position). */
  ingressHook: SkbHook | null = null;
  /** tc egress hook (sch_handle_egress position). */
  egressHook: SkbHook | null = null;
  /** Root qdisc; null = noqueue (what veth, dummy and lo use by default). */
  qdisc: QdiscHook | null = null;
  /** Packet taps (ptype_all). */
  readonly taps: PacketTap[] = [];
  /** Opaque slot for upper layers (e.g. the tc core's per-device state). */
  tcState: unknown = null;
  readonly #xmit: (skb: SkBuff, dev: NetDevice) => number;

  /** @internal use `NetNamespace.addVeth` / `addDummy`. */
  constructor(ns: NetNamespace, ifindex: number, name: string, kind: DeviceKind, addr: Uint8Array) {
    const d = DRIVERS[kind];
    this.ns = ns;
    this.ifindex = ifindex;
    this.name = name;
    this.kind = kind;
    this.type = d.type;
    this.flags = d.flags;
    this.mtu = d.mtu;
    this.minMtu = d.minMtu;
    this.maxMtu = d.maxMtu;
    this.hardHeaderLen = d.hardHeaderLen;
    this.addr = addr;
    this.broadcast = kind === 'loopback' ? new Uint8Array(6) : new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    this.#xmit = d.xmit;
  }

  /** `IFF_UP` is set. */
  isUp(): boolean {
    return (this.flags & IFF.UP) !== 0;
  }

  /** `netif_carrier_ok()`: veth has carrier only while its peer is up; others always. */
  hasCarrier(): boolean {
    if (this.kind === 'veth') return this.peer !== null && this.peer.isUp();
    return true;
  }

  /** Flags as reported to user space (`dev_get_flags`): adds RUNNING and LOWER_UP when up with carrier. */
  reportedFlags(): number {
    let f = this.flags;
    if (this.isUp() && this.hasCarrier()) f |= IFF.RUNNING | IFF.LOWER_UP;
    return f;
  }

  /** `ip link set dev X up|down`. */
  setUp(up: boolean): void {
    this.flags = up ? this.flags | IFF.UP : this.flags & ~IFF.UP;
  }

  /**
   * `dev_set_mtu()` with `dev_validate_mtu()`: EINVAL "mtu less than device
   * minimum" / "mtu greater than device maximum".
   */
  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < 0 || mtu < this.minMtu) throw kerr('EINVAL', 'mtu less than device minimum', { where: 'IFLA_MTU' });
    if (this.maxMtu > 0 && mtu > this.maxMtu) throw kerr('EINVAL', 'mtu greater than device maximum', { where: 'IFLA_MTU' });
    this.mtu = mtu;
  }

  /** `dev_set_mac_address()` via `eth_mac_addr`: EINVAL for a wrong length, EADDRNOTAVAIL unless a valid unicast address. */
  setAddress(addr: Uint8Array): void {
    if (addr.length !== 6) throw kerr('EINVAL', '', { where: 'IFLA_ADDRESS' });
    if (this.kind !== 'loopback' && !isValidEtherAddr(addr)) throw kerr('EADDRNOTAVAIL', '', { where: 'IFLA_ADDRESS' });
    this.addr = Uint8Array.from(addr);
  }

  /** @internal the driver's ndo_start_xmit. */
  startXmit(skb: SkBuff): number {
    return this.#xmit(skb, this);
  }
}
