// Models the device table of struct net (net/core/net_namespace.c,
// net/core/dev.c: dev_index_reserve, dev_alloc_name, dev_valid_name,
// register/unregister_netdevice), the receive path (netif_rx, enqueue_to_backlog,
// __netif_receive_skb_core with its VLAN handling and the sch_handle_ingress
// position) and the transmit path (__dev_queue_xmit with the sch_handle_egress
// position, noqueue direct transmit, dev_hard_start_xmit) and
// __dev_forward_skb, Linux 6.18. One namespace is one CPU's worth of backlog:
// packets are processed synchronously, in order, and deterministically.
import { Idr, kerr, type Prng, type SimClock } from '@tcbpf/base';
import { IFNAMSIZ } from '@tcbpf/uapi';
import { ethRandomAddr, ethTypeTrans, ethTypeVlan, skbVlanUntag } from './eth.js';
import { Fib } from './fib.js';
import { HOOK, NET_RX, NET_XMIT, NetDevice, type DeviceKind } from './net-device.js';
import type { SkBuff } from './sk-buff.js';

/** `netdev_max_backlog` default. */
export const NETDEV_MAX_BACKLOG = 1000;
/** `XMIT_RECURSION_LIMIT` (include/linux/netdevice.h, 5.x+). */
export const XMIT_RECURSION_LIMIT = 8;
const INT_MAX = 0x7fffffff;

/** Why a packet was freed (names of `enum skb_drop_reason`, without the prefix). */
export type DropReason = 'TC_INGRESS' | 'TC_EGRESS' | 'DEV_READY' | 'CPU_BACKLOG' | 'PKT_TOO_SMALL' | 'RECURSION_LIMIT' | 'UNHANDLED_PROTO' | 'QDISC_DROP';

/** Options of a namespace. */
export interface NetNamespaceOptions {
  /** The simulated clock (timestamps). */
  readonly clock: SimClock;
  /** The seeded PRNG (random MAC addresses). */
  readonly prng: Prng;
  /** A name for messages. */
  readonly name?: string;
  /** Stamp received packets with the clock (`net_enable_timestamp()` was called, e.g. a capture is open). Default false. */
  readonly rxTimestamps?: boolean;
}

/** Options when creating a device. */
export interface DeviceOptions {
  /** Requested ifindex (0 or absent: allocate). */
  readonly ifindex?: number;
  /** MAC address (default: random, like `eth_hw_addr_random`). */
  readonly addr?: Uint8Array;
  /** Initial MTU. */
  readonly mtu?: number;
}

/**
 * A network namespace: its device table (ifindex allocation like the kernel:
 * `lo` is 1, later devices take increasing numbers cyclically, never reusing a
 * freed one until the space wraps), and the receive and transmit paths.
 *
 * Receive: `netifRx` queues on the backlog and drains it (a packet received
 * while the backlog is being processed is handled after the current one, not
 * recursively). `onDeliver` stands in for the protocol handlers (IP, ARP ...);
 * `onDrop` observes every freed packet with its reason.
 */
export class NetNamespace {
  /** The simulated clock. */
  readonly clock: SimClock;
  /** The seeded PRNG. */
  readonly prng: Prng;
  /** Name for messages. */
  readonly name: string;
  /** Stamp received packets with `clock.nowNs()`. */
  rxTimestamps: boolean;
  /** The loopback device (ifindex 1). */
  readonly loopback: NetDevice;
  /** Called for packets that reach the protocol layer (after the ingress hook). */
  onDeliver: ((skb: SkBuff, dev: NetDevice) => void) | null = null;
  /** Called for every packet freed on a drop path. */
  onDrop: ((skb: SkBuff, reason: DropReason) => void) | null = null;
  /** `dev_xmit_recursion()` depth (the kernel keeps it per CPU). */
  xmitRecursion = 0;
  /** Bumped whenever a device is registered or unregistered (caches keyed on the device set). */
  deviceGeneration = 0;
  /** Addresses, routes, neighbours and forwarding sysctls of this namespace (`ip addr|route|neigh`). */
  readonly fib: Fib;
  readonly #byIndex = new Idr<NetDevice | null>();
  readonly #byName = new Map<string, NetDevice>();
  // the backlog: a fixed ring (no allocation per packet)
  readonly #ring: (SkBuff | null)[] = new Array<SkBuff | null>(NETDEV_MAX_BACKLOG + 1).fill(null);
  #ringHead = 0;
  #ringCount = 0;
  #draining = false;

  constructor(opts: NetNamespaceOptions) {
    this.clock = opts.clock;
    this.prng = opts.prng;
    this.name = opts.name ?? 'netns';
    this.rxTimestamps = opts.rxTimestamps ?? false;
    this.loopback = this.#register('lo', 'loopback', new Uint8Array(6), 0);
    this.fib = new Fib(this);
  }

  // --- device table -----------------------------------------------------------

  /** The device with `ifindex`, or undefined (`dev_get_by_index`). */
  getByIndex(ifindex: number): NetDevice | undefined {
    return this.#byIndex.get(ifindex) ?? undefined;
  }

  /** The device named `name`, or undefined (`dev_get_by_name`). */
  getByName(name: string): NetDevice | undefined {
    return this.#byName.get(name);
  }

  /** All devices in ifindex order. */
  devices(): NetDevice[] {
    const out: NetDevice[] = [];
    for (const [, d] of this.#byIndex.entries()) if (d !== null) out.push(d);
    return out;
  }

  /** Create a dummy device (`ip link add NAME type dummy`); NAME may contain `%d`. */
  addDummy(name = 'dummy%d', opts: DeviceOptions = {}): NetDevice {
    const n = this.#checkName(name);
    const dev = this.#register(n, 'dummy', opts.addr ?? ethRandomAddr(this.prng), opts.ifindex ?? 0);
    if (opts.mtu !== undefined) this.#setMtuOrUnregister(dev, opts.mtu);
    return dev;
  }

  /**
   * Create a veth pair (`ip link add NAME type veth peer name PEER [netns ...]`).
   * As in `veth_newlink`, the peer is registered first (it gets the lower
   * ifindex when both are in this namespace). Returns `[dev, peer]`.
   */
  addVeth(name = 'veth%d', peerName = 'veth%d', peerNs: NetNamespace = this, opts: DeviceOptions = {}, peerOpts: DeviceOptions = {}): [NetDevice, NetDevice] {
    // names are validated before any ifindex is reserved (as rtnl_newlink does for
    // an existing name); "%d" names are allocated when each device registers
    const pn = peerNs.#checkName(peerName);
    if (!name.includes('%')) this.#checkName(name);
    let n: string;
    const peer = peerNs.#register(pn, 'veth', peerOpts.addr ?? ethRandomAddr(peerNs.prng), peerOpts.ifindex ?? 0);
    try {
      n = this.#checkName(name);
      const dev = this.#register(n, 'veth', opts.addr ?? ethRandomAddr(this.prng), opts.ifindex ?? 0);
      dev.peer = peer;
      peer.peer = dev;
      if (opts.mtu !== undefined) dev.setMtu(opts.mtu);
      if (peerOpts.mtu !== undefined) peer.setMtu(peerOpts.mtu);
      return [dev, peer];
    } catch (e) {
      const dev = peer.peer;
      if (dev !== null) this.#unregister(dev);
      peerNs.#unregister(peer);
      throw e;
    }
  }

  /** Delete a device (`ip link del`); deleting one end of a veth pair deletes both. `lo` cannot be deleted (EINVAL). */
  removeDevice(dev: NetDevice): void {
    if (dev.ns !== this || this.#byIndex.get(dev.ifindex) !== dev) throw kerr('ENODEV', '', { where: `ifindex ${dev.ifindex}` });
    if (dev.kind === 'loopback') throw kerr('EOPNOTSUPP', '', { where: 'lo' });
    const peer = dev.peer;
    this.#unregister(dev);
    if (peer !== null) {
      peer.ns.#unregister(peer);
      peer.peer = null;
    }
    dev.peer = null;
  }

  #checkName(name: string): string {
    // IFLA_IFNAME policy: NLA_STRING of at most IFNAMSIZ - 1 bytes
    if (new TextEncoder().encode(name).length > IFNAMSIZ - 1) throw kerr('EINVAL', 'Attribute failed policy validation', { where: 'IFLA_IFNAME' });
    if (name.includes('%')) return this.#allocName(name);
    if (!devValidName(name)) throw kerr('EINVAL', '', { where: 'IFLA_IFNAME' });
    if (this.#byName.has(name)) throw kerr('EEXIST', '', { where: 'IFLA_IFNAME' });
    return name;
  }

  /** `__dev_alloc_name`: one `%d`, lowest free number. */
  #allocName(pattern: string): string {
    const p = pattern.indexOf('%');
    if (pattern[p + 1] !== 'd' || pattern.indexOf('%', p + 1) !== -1) throw kerr('EINVAL', '', { where: 'IFLA_IFNAME' });
    for (let i = 0; i < 32768; i++) {
      const n = pattern.slice(0, p) + String(i) + pattern.slice(p + 2);
      if (new TextEncoder().encode(n).length > IFNAMSIZ - 1) break;
      if (!this.#byName.has(n)) {
        if (!devValidName(n)) throw kerr('EINVAL', '', { where: 'IFLA_IFNAME' });
        return n;
      }
    }
    throw kerr('ENFILE', '', { where: 'IFLA_IFNAME' });
  }

  #register(name: string, kind: DeviceKind, addr: Uint8Array, ifindex: number): NetDevice {
    if (!Number.isInteger(ifindex) || ifindex < 0 || ifindex > INT_MAX) throw kerr('EINVAL', '', { where: 'ifi_index' });
    let idx: number;
    if (ifindex === 0) {
      // reserve the index (xa_alloc_cyclic), then publish the device
      idx = this.#byIndex.allocCyclic(null, 1, INT_MAX);
    } else {
      if (!this.#byIndex.claim(ifindex, null)) throw kerr('EBUSY', '', { where: 'ifi_index' });
      idx = ifindex;
    }
    const dev = new NetDevice(this, idx, name, kind, addr);
    this.#byIndex.replace(idx, dev);
    this.#byName.set(name, dev);
    this.deviceGeneration++;
    return dev;
  }

  #setMtuOrUnregister(dev: NetDevice, mtu: number): void {
    try {
      dev.setMtu(mtu);
    } catch (e) {
      this.#unregister(dev);
      throw e;
    }
  }

  #unregister(dev: NetDevice): void {
    this.#byIndex.remove(dev.ifindex);
    if (this.#byName.get(dev.name) === dev) this.#byName.delete(dev.name);
    dev.setUp(false);
    this.deviceGeneration++;
  }

  // --- helpers the drivers use ---------------------------------------------------

  /** `eth_type_trans` bound for drivers (returns the protocol, host order; 0 when too short). */
  ethTypeTrans(skb: SkBuff, dev: NetDevice): number {
    const p = ethTypeTrans(skb, dev);
    return p < 0 ? 0 : p;
  }

  /** `kfree_skb_reason`: report a dropped packet. */
  dropSkb(skb: SkBuff, reason: DropReason): void {
    this.onDrop?.(skb, reason);
  }

  /** `consume_skb`: a packet freed on success (e.g. dummy transmit). Nothing to do in this model. */
  consumeSkb(_skb: SkBuff): void {
    // freed
  }

  // --- receive path ---------------------------------------------------------

  /**
   * `netif_rx()`: queue a received packet (data after the L2 header, `dev` and
   * `protocol` set by `ethTypeTrans`) and process the backlog. Returns NET_RX_DROP
   * when the backlog is full (rx_dropped of the device counts it).
   */
  netifRx(skb: SkBuff): number {
    const dev = skb.dev;
    if (dev === null) return NET_RX.DROP;
    if (this.rxTimestamps && skb.tstamp === 0) skb.tstamp = this.clock.nowNs();
    // enqueue_to_backlog queues while qlen <= netdev_max_backlog
    if (this.#ringCount > NETDEV_MAX_BACKLOG) {
      dev.stats.rxDropped++;
      this.dropSkb(skb, 'CPU_BACKLOG');
      return NET_RX.DROP;
    }
    const cap = this.#ring.length;
    this.#ring[(this.#ringHead + this.#ringCount) % cap] = skb;
    this.#ringCount++;
    if (!this.#draining) this.#drainBacklog();
    return NET_RX.SUCCESS;
  }

  #drainBacklog(): void {
    this.#draining = true;
    try {
      while (this.#ringCount > 0) {
        const skb = this.#ring[this.#ringHead];
        this.#ring[this.#ringHead] = null;
        this.#ringHead = (this.#ringHead + 1) % this.#ring.length;
        this.#ringCount--;
        if (skb) this.netifReceiveSkb(skb);
      }
    } finally {
      // a hook that threw leaves the rest of the queue dropped, not stuck
      for (let i = 0; i < this.#ringCount; i++) this.#ring[(this.#ringHead + i) % this.#ring.length] = null;
      this.#ringHead = 0;
      this.#ringCount = 0;
      this.#draining = false;
    }
  }

  /**
   * `__netif_receive_skb_core()`: set skb_iif and the header offsets, untag an
   * in-band VLAN tag into metadata, deliver to taps, run the ingress hook, then
   * the VLAN-id check and protocol delivery (`onDeliver`). Returns NET_RX_*.
   */
  netifReceiveSkb(skb: SkBuff): number {
    let dev = skb.dev;
    if (dev === null) return NET_RX.DROP;
    for (let round = 0; round < 16; round++) {
      skb.ingressIfindex = dev.ifindex;
      skb.resetNetworkHeader();
      if (!skb.transportHeaderWasSet()) skb.resetTransportHeader();
      skb.resetMacLen();
      if (ethTypeVlan(skb.protocol) && !skbVlanUntag(skb)) {
        this.dropSkb(skb, 'PKT_TOO_SMALL');
        return NET_RX.DROP;
      }
      const taps = dev.taps;
      for (let i = 0; i < taps.length; i++) taps[i]!(skb, dev, false);
      const hook = dev.ingressHook;
      if (hook !== null) {
        skb.tcAtIngress = true;
        skb.qdiscPktLen = skb.len;
        const v = hook(skb, dev);
        if (v === HOOK.DROP) {
          this.dropSkb(skb, 'TC_INGRESS');
          return NET_RX.DROP;
        }
        if (v === HOOK.CONSUMED) return NET_RX.SUCCESS;
        if (v === HOOK.ANOTHER_ROUND && skb.dev !== null && skb.dev !== dev) {
          dev = skb.dev;
          if (dev.ns !== this) return dev.ns.netifReceiveSkb(skb);
          continue;
        }
      }
      // no VLAN devices are modelled: vlan_do_receive never finds one
      while (skb.vlanPresent) {
        if ((skb.vlanTci & 0x0fff) !== 0) {
          skb.pktType = 3; // PACKET_OTHERHOST
          break;
        }
        if (ethTypeVlan(skb.protocol)) {
          skb.vlanClear();
          if (!skbVlanUntag(skb)) {
            this.dropSkb(skb, 'PKT_TOO_SMALL');
            return NET_RX.DROP;
          }
          continue;
        }
        skb.vlanClear();
      }
      if (this.onDeliver === null) return NET_RX.SUCCESS;
      this.onDeliver(skb, dev);
      return NET_RX.SUCCESS;
    }
    this.dropSkb(skb, 'RECURSION_LIMIT');
    return NET_RX.DROP;
  }

  /**
   * `dev_forward_skb(dev, skb)` (`checkMtu` true) or `__bpf_rx_skb` (the
   * BPF_F_INGRESS redirect, `checkMtu` false): receive a frame (data at the MAC
   * header) on `dev` as if it had arrived there: forwardable check (up, and the
   * MTU when asked), scrub when crossing namespaces, `eth_type_trans`,
   * `skb_postpull_rcsum`, `netif_rx`. Returns NET_RX_*.
   */
  devForwardSkb(dev: NetDevice, skb: SkBuff, checkMtu = true): number {
    const tooBig = checkMtu && skb.len > dev.mtu + dev.hardHeaderLen + 4 && skb.gsoSize === 0;
    if (!dev.isUp() || tooBig || skb.len < 14) {
      dev.stats.rxDropped++;
      this.dropSkb(skb, 'DEV_READY');
      return NET_RX.DROP;
    }
    skb.scrub(skb.dev !== null && skb.dev.ns !== dev.ns);
    skb.priority = 0;
    skb.protocol = this.ethTypeTrans(skb, dev);
    skb.postpullRcsum(skb.macHeader, 14);
    return dev.ns.netifRx(skb);
  }

  // --- transmit path --------------------------------------------------------

  /**
   * `dev_queue_xmit(skb)` on `skb.dev` (data at the MAC header): reset the MAC
   * header, run the egress hook, then the root qdisc or (noqueue) transmit
   * directly. A device that is down or without carrier has noop_qdisc: the
   * packet is dropped (tx_dropped) with NET_XMIT_CN. Returns NET_XMIT_* or
   * -ENETDOWN for a transmit loop deeper than XMIT_RECURSION_LIMIT.
   */
  devQueueXmit(skb: SkBuff): number {
    const dev = skb.dev;
    if (dev === null) return -19; // -ENODEV
    skb.resetMacHeader();
    skb.tcAtIngress = false;
    const hook = dev.egressHook;
    if (hook !== null) {
      skb.qdiscPktLen = skb.len;
      const v = hook(skb, dev);
      if (v === HOOK.DROP) {
        this.dropSkb(skb, 'TC_EGRESS');
        return NET_XMIT.DROP;
      }
      if (v === HOOK.CONSUMED) return NET_XMIT.SUCCESS;
    }
    // a device that is down or has no carrier runs noop_qdisc (dev_deactivate via
    // dev_close / linkwatch): every packet is dropped and counted as tx_dropped
    if (!dev.isUp() || !dev.hasCarrier()) {
      dev.stats.txDropped++;
      this.dropSkb(skb, 'QDISC_DROP');
      return NET_XMIT.CN;
    }
    if (dev.qdisc !== null) return dev.qdisc(skb, dev);
    // noqueue: transmit now unless we are looping
    if (this.xmitRecursion > XMIT_RECURSION_LIMIT) {
      dev.stats.txDropped++;
      this.dropSkb(skb, 'RECURSION_LIMIT');
      return -100; // -ENETDOWN
    }
    return this.devHardStartXmit(skb, dev);
  }

  /** `dev_hard_start_xmit()`: taps see the frame, then the driver transmits it. */
  devHardStartXmit(skb: SkBuff, dev: NetDevice): number {
    if (skb.dev !== dev) skb.setDev(dev);
    const taps = dev.taps;
    for (let i = 0; i < taps.length; i++) taps[i]!(skb, dev, true);
    this.xmitRecursion++;
    try {
      return dev.startXmit(skb);
    } finally {
      this.xmitRecursion--;
    }
  }
}

/** `dev_valid_name()`: non-empty, not "." or "..", no '/', ':' or whitespace. */
export function devValidName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  return !/[/:\s]/.test(name);
}
