// Models the routing and neighbour state of one network namespace in Linux
// 6.18: net/ipv4/devinet.c (address lists, primary/secondary addresses,
// inet_select_addr), net/ipv4/fib_frontend.c (fib_add_ifaddr's kernel routes,
// fib_lookup without custom rules: the merged local/main table, then default),
// net/ipv4/fib_trie.c (fib_table_lookup: longest prefix first, aliases by
// priority, fib_props errors, dead/oif nexthop checks), net/ipv4/route.c
// (ip_mtu_from_fib_result), net/ipv6/addrconf.c (address routes: local,
// prefix, subnet-router anycast, fe80::/64, ff00::/8; ipv6_dev_get_saddr,
// reduced), net/ipv6/ip6_fib.c + route.c (fib6_lookup: local table then main,
// rt6_select by metric and oif score with backtracking, ip6_mtu_from_fib6),
// net/core/neighbour.c (the neighbour tables, NUD states) and the forwarding
// sysctls (net.ipv4.conf.*.forwarding, net.ipv6.conf.*.forwarding).
//
// Addresses are network-order bytes (4 or 16). Lookups (`lookup`,
// `neighbour`) allocate nothing and never throw; configuration methods throw
// KernelError with the errno and extack text of `ip addr|route|neigh`.
import { kerr } from '@tcbpf/base';
import { AF, IFF, NUD, RTN, RTPROT, RT_SCOPE, RT_TABLE } from '@tcbpf/uapi';
import type { NetDevice } from './net-device.js';
import type { NetNamespace } from './net-namespace.js';

/** `AF_INET` or `AF_INET6`. */
export type InetFamily = typeof AF.INET | typeof AF.INET6;

/** What `ip addr add LOCAL/PREFIXLEN dev DEV [brd B] [scope S] [noprefixroute] [metric M]` gives. */
export interface InetAddressSpec {
  /** The address (4 or 16 bytes, network order). */
  readonly local: Uint8Array;
  readonly prefixLen: number;
  /** RT_SCOPE_* (default UNIVERSE; 127.0.0.0/8 and ::1 are HOST). */
  readonly scope?: number;
  /** IPv4 broadcast address (`brd`); absent: none (iproute2's default). */
  readonly broadcast?: Uint8Array;
  /** IFA_F_NOPREFIXROUTE: no prefix route. */
  readonly noPrefixRoute?: boolean;
  /** IFA_RT_PRIORITY: metric of the prefix route (IPv6 default 256, IPv4 0). */
  readonly metric?: number;
}

/** An address configured on a device (`struct in_ifaddr` / `struct inet6_ifaddr`). */
export interface FibAddress {
  readonly family: InetFamily;
  readonly dev: NetDevice;
  readonly local: Uint8Array;
  readonly prefixLen: number;
  readonly scope: number;
  /** IFA_F_SECONDARY (IPv4: another address of the same subnet came first). */
  readonly secondary: boolean;
  readonly broadcast: Uint8Array | null;
  readonly noPrefixRoute: boolean;
  readonly metric: number;
}

/** What `ip route add|replace|append` gives. */
export interface RouteSpec {
  readonly family: InetFamily;
  /** Destination prefix (4 or 16 bytes; host bits must be zero, EINVAL otherwise). */
  readonly dst: Uint8Array;
  readonly prefixLen: number;
  /** RTN_* (default UNICAST). */
  readonly type?: number;
  /** Table id (default RT_TABLE.MAIN). */
  readonly table?: number;
  /** Output device (`dev`); required for UNICAST/LOCAL/BROADCAST unless a gateway finds one. */
  readonly dev?: NetDevice;
  /** Gateway (`via`): 4 bytes (IPv4) or 16 (IPv6; for IPv4 routes this is `via inet6`). */
  readonly gateway?: Uint8Array;
  /** `metric` / `priority` (default: IPv4 0, IPv6 1024). */
  readonly metric?: number;
  /** RT_SCOPE_* (default: LINK for an IPv4 unicast route without gateway, HOST for LOCAL, else UNIVERSE). */
  readonly scope?: number;
  /** RTPROT_* (default BOOT, what `ip route add` sends). */
  readonly protocol?: number;
  /** Preferred source (`src`). */
  readonly prefsrc?: Uint8Array;
  /** RTAX_MTU (`mtu [lock] N`); 0 = none. */
  readonly mtu?: number;
  /** `mtu lock N`: the route MTU is used for forwarding (RTAX_LOCK bit of RTAX_MTU). */
  readonly mtuLock?: boolean;
  /** RTNH_F_ONLINK (`onlink`): the gateway need not be on a connected subnet. */
  readonly onlink?: boolean;
}

/** A route (`struct fib_alias` + `fib_info` / `struct fib6_info`), configured or kernel-made. */
export interface FibRoute {
  readonly family: InetFamily;
  readonly table: number;
  readonly type: number;
  readonly dst: Uint8Array;
  readonly prefixLen: number;
  /** Output device (null for blackhole/unreachable/prohibit/throw routes). */
  readonly dev: NetDevice | null;
  readonly gateway: Uint8Array | null;
  /** AF_INET, AF_INET6, or 0 without gateway. */
  readonly gatewayFamily: number;
  readonly metric: number;
  readonly scope: number;
  readonly protocol: number;
  readonly prefsrc: Uint8Array | null;
  readonly mtu: number;
  readonly mtuLock: boolean;
  readonly onlink: boolean;
  /** The address a kernel route was made for (null for configured routes). */
  readonly origin: FibAddress | null;
}

/** A neighbour entry (`struct neighbour`, `ip neigh`). */
export interface Neighbour {
  readonly family: InetFamily;
  readonly dev: NetDevice;
  /** The protocol address (network order). */
  readonly addr: Uint8Array;
  /** The link-layer address (6 bytes) or null (INCOMPLETE/FAILED entries). */
  lladdr: Uint8Array | null;
  /** NUD_* state. */
  state: number;
}

/** Which routes `deleteRoute` removes (`ip route del`): unset fields match anything. */
export interface RouteMatch {
  readonly family: InetFamily;
  readonly dst: Uint8Array;
  readonly prefixLen: number;
  readonly table?: number;
  readonly type?: number;
  readonly dev?: NetDevice;
  readonly gateway?: Uint8Array;
  readonly metric?: number;
}

/** `fib_props[type].error` (net/ipv4/fib_semantics.c): 0 or the negative errno a route type makes a lookup return. */
export const FIB_TYPE_ERROR: Readonly<Record<number, number>> = Object.freeze({
  [RTN.BLACKHOLE]: -22, // -EINVAL
  [RTN.UNREACHABLE]: -113, // -EHOSTUNREACH
  [RTN.PROHIBIT]: -13, // -EACCES
  [RTN.THROW]: -11, // -EAGAIN
  [RTN.NAT]: -22,
  [RTN.XRESOLVE]: -22,
});

/** IP_MAX_MTU / IP6_MAX_MTU. */
const IP_MAX_MTU = 0xfff0;
const IP6_MAX_MTU = 65535 + 40;
const IPV6_MIN_MTU = 1280;

/** What rebuilds derived routes: the address configuration and the device set. */
interface DerivedKey {
  gen: number;
  devGen: number;
}

function alen(family: InetFamily): number {
  return family === AF.INET ? 4 : 16;
}

/** Does `addr[off..]` fall in `prefix/plen`? (no allocation) */
function prefixMatch(prefix: Uint8Array, plen: number, addr: Uint8Array, off: number): boolean {
  const full = plen >>> 3;
  for (let i = 0; i < full; i++) if (prefix[i] !== addr[off + i]) return false;
  const rem = plen & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((prefix[full]! ^ addr[off + full]!) & mask) === 0;
}

function bytesEqual(a: Uint8Array, b: Uint8Array, bOff = 0): boolean {
  if (a.length + bOff > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[bOff + i]) return false;
  return true;
}

function masked(addr: Uint8Array, plen: number): Uint8Array {
  const out = new Uint8Array(addr.length);
  for (let i = 0; i < addr.length; i++) {
    const bits = Math.max(0, Math.min(8, plen - i * 8));
    out[i] = addr[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Number of leading bits two addresses share (ipv6_addr_diff). */
function commonPrefix(a: Uint8Array, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < a.length; i++) {
    const x = (a[i]! ^ b[bOff + i]!) & 0xff;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

/** IPv6 address scope for source selection (__ipv6_addr_src_scope, reduced to the usual classes). */
function ipv6Scope(a: Uint8Array, off: number): number {
  const b0 = a[off]!;
  if (b0 === 0xff) return a[off + 1]! & 0x0f;
  if (b0 === 0xfe && (a[off + 1]! & 0xc0) === 0x80) return 0x2; // link-local
  let loop = a[off + 15] === 1;
  for (let i = 0; i < 15 && loop; i++) if (a[off + i] !== 0) loop = false;
  if (loop) return 0x1; // ::1, node-local
  return 0xe; // global
}

/**
 * The routing model of a namespace (`ip addr`, `ip route`, `ip neigh`,
 * forwarding sysctls) with the kernel's lookups. `ns.fib` holds it.
 *
 * Kernel routes follow addresses as in Linux: for IPv4 a `local` /32 route
 * (table local), the subnet's prefix route (table main, scope link, src the
 * primary address) and the subnet broadcast route for prefixes shorter than
 * /31, plus `brd` when given; for IPv6 a `local` /128, the prefix route
 * (metric 256), the subnet-router anycast route while the device forwards,
 * and per device `fe80::/64` (main) and `ff00::/8` (local). `lo` has
 * 127.0.0.1/8 and ::1/128.
 */
export class Fib {
  /** The namespace this model belongs to. */
  readonly ns: NetNamespace;
  readonly #addrs: FibAddress[] = [];
  readonly #configured: FibRoute[] = [];
  readonly #neigh: Neighbour[] = [];
  /** Tables that exist (fib_new_table / fib6_new_table are never undone). */
  readonly #tables4 = new Set<number>([RT_TABLE.LOCAL, RT_TABLE.MAIN, RT_TABLE.DEFAULT]);
  readonly #tables6 = new Set<number>([RT_TABLE.LOCAL, RT_TABLE.MAIN]);
  // forwarding sysctls: 'all', 'default', and per-device values
  #fwdAll4 = false;
  #fwdDefault4 = false;
  #fwdAll6 = false;
  #fwdDefault6 = false;
  readonly #fwdDev4 = new Map<NetDevice, boolean>();
  readonly #fwdDev6 = new Map<NetDevice, boolean>();
  /** net.ipv4.ip_forward_use_pmtu */
  fwdUsePmtu = false;
  // sorted views (longest prefix first, then metric, then insertion order)
  #sorted4: FibRoute[] = [];
  #sorted6: FibRoute[] = [];
  readonly #buckets4: Map<number, FibRoute[]>[] = Array.from({ length: 33 }, () => new Map<number, FibRoute[]>());
  #plens4: number[] = [];
  readonly #key: DerivedKey = { gen: -1, devGen: -1 };
  #gen = 0;
  #seq = 0;
  readonly #order = new WeakMap<FibRoute, number>();

  constructor(ns: NetNamespace) {
    this.ns = ns;
    const lo = ns.loopback;
    this.#addrs.push(
      { family: AF.INET, dev: lo, local: Uint8Array.of(127, 0, 0, 1), prefixLen: 8, scope: RT_SCOPE.HOST, secondary: false, broadcast: null, noPrefixRoute: false, metric: 0 },
      { family: AF.INET6, dev: lo, local: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), prefixLen: 128, scope: RT_SCOPE.HOST, secondary: false, broadcast: null, noPrefixRoute: false, metric: 256 },
    );
  }

  // --- forwarding sysctls -----------------------------------------------------

  /** `net.ipv{4,6}.conf.DEV.forwarding` (a device never set explicitly has the value `all`/`default` last gave it). */
  forwarding(family: InetFamily, dev: NetDevice): boolean {
    const m = family === AF.INET ? this.#fwdDev4 : this.#fwdDev6;
    const v = m.get(dev);
    if (v !== undefined) return v;
    return family === AF.INET ? this.#fwdDefault4 : this.#fwdDefault6;
  }

  /**
   * Write `net.ipv{4,6}.conf.{all,default,DEV}.forwarding`. Writing `all` sets
   * every device and `default` too (devinet's inet_forward_change,
   * addrconf_fixup_forwarding); `default` only affects devices created later.
   */
  setForwarding(family: InetFamily, target: NetDevice | 'all' | 'default', on: boolean): void {
    const m = family === AF.INET ? this.#fwdDev4 : this.#fwdDev6;
    if (target === 'all') {
      if (family === AF.INET) this.#fwdAll4 = this.#fwdDefault4 = on;
      else this.#fwdAll6 = this.#fwdDefault6 = on;
      for (const d of this.ns.devices()) m.set(d, on);
    } else if (target === 'default') {
      if (family === AF.INET) this.#fwdDefault4 = on;
      else this.#fwdDefault6 = on;
    } else {
      m.set(target, on);
    }
    this.#gen++;
  }

  /** `net.ipv{4,6}.conf.all.forwarding`. */
  forwardingAll(family: InetFamily): boolean {
    return family === AF.INET ? this.#fwdAll4 : this.#fwdAll6;
  }

  // --- addresses -----------------------------------------------------------------

  /**
   * `ip addr add`: EINVAL for a wrong length or prefix length, EEXIST when
   * the device already has the address (IPv4: same address and prefix length;
   * IPv6: same address). An IPv4 address inside the subnet of one already on
   * the device becomes secondary.
   */
  addAddress(family: InetFamily, dev: NetDevice, spec: InetAddressSpec): FibAddress {
    this.#checkDev(dev, 'IFA_LOCAL');
    const n = alen(family);
    if (spec.local.length !== n) throw kerr('EINVAL', '', { where: 'IFA_LOCAL' });
    if (!Number.isInteger(spec.prefixLen) || spec.prefixLen < 0 || spec.prefixLen > n * 8) throw kerr('EINVAL', 'Invalid prefix length', { where: 'ifa_prefixlen' });
    if (spec.broadcast !== undefined && (family !== AF.INET || spec.broadcast.length !== 4)) throw kerr('EINVAL', '', { where: 'IFA_BROADCAST' });
    let secondary = false;
    for (const a of this.#addrs) {
      if (a.family !== family || a.dev !== dev) continue;
      if (bytesEqual(a.local, spec.local) && (family === AF.INET6 || a.prefixLen === spec.prefixLen)) throw kerr('EEXIST', '', { where: 'IFA_LOCAL' });
      if (family === AF.INET && a.prefixLen === spec.prefixLen && prefixMatch(a.local, a.prefixLen, spec.local, 0)) secondary = true;
    }
    const isLoop = family === AF.INET ? spec.local[0] === 127 : ipv6Scope(spec.local, 0) === 0x1;
    const a: FibAddress = Object.freeze({
      family, dev, local: Uint8Array.from(spec.local), prefixLen: spec.prefixLen,
      scope: spec.scope ?? (isLoop ? RT_SCOPE.HOST : family === AF.INET6 && ipv6Scope(spec.local, 0) === 0x2 ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE),
      secondary, broadcast: spec.broadcast === undefined ? null : Uint8Array.from(spec.broadcast),
      noPrefixRoute: spec.noPrefixRoute ?? false, metric: spec.metric ?? (family === AF.INET ? 0 : 256),
    });
    // __inet_insert_ifa: a primary goes after the last primary of lower or equal scope; secondaries at the end
    let at = this.#addrs.length;
    if (!secondary) {
      let last = -1;
      for (let i = 0; i < this.#addrs.length; i++) {
        const b = this.#addrs[i]!;
        if (b.family === family && b.dev === dev && !b.secondary && b.scope <= a.scope) last = i;
      }
      if (last >= 0) at = last + 1;
    }
    this.#addrs.splice(at, 0, a);
    this.#gen++;
    return a;
  }

  /**
   * `ip addr del`: EADDRNOTAVAIL when absent. Deleting an IPv4 primary also
   * deletes its secondaries (promote_secondaries off, the kernel default).
   */
  deleteAddress(family: InetFamily, dev: NetDevice, local: Uint8Array, prefixLen?: number): void {
    const i = this.#addrs.findIndex((a) => a.family === family && a.dev === dev && bytesEqual(a.local, local) && (prefixLen === undefined || a.prefixLen === prefixLen));
    if (i < 0) throw kerr('EADDRNOTAVAIL', '', { where: 'IFA_LOCAL' });
    const a = this.#addrs[i]!;
    this.#addrs.splice(i, 1);
    if (family === AF.INET && !a.secondary) {
      for (let j = this.#addrs.length - 1; j >= 0; j--) {
        const b = this.#addrs[j]!;
        if (b.family === AF.INET && b.dev === dev && b.secondary && b.prefixLen === a.prefixLen && prefixMatch(a.local, a.prefixLen, b.local, 0)) this.#addrs.splice(j, 1);
      }
    }
    this.#gen++;
  }

  /** Addresses in the kernel's list order (`ip addr show`), optionally of one family / device. Devices that no longer exist are left out. */
  addresses(family?: InetFamily, dev?: NetDevice): FibAddress[] {
    return this.#addrs.filter((a) => (family === undefined || a.family === family) && (dev === undefined || a.dev === dev) && this.#alive(a.dev));
  }

  // --- routes ------------------------------------------------------------------

  /**
   * `ip route add` (`mode` 'add': EEXIST when a route with the same table,
   * prefix and metric exists), `replace` (replaces it) or `append`.
   * ENETDOWN "Nexthop device is not up" for a device that is down, ENETUNREACH
   * "Nexthop has invalid gateway" when an IPv4 gateway is not on a connected
   * subnet of the device (unless onlink), EINVAL "Invalid prefix for given
   * prefix length" when host bits are set.
   */
  addRoute(spec: RouteSpec, mode: 'add' | 'replace' | 'append' = 'add'): FibRoute {
    const family = spec.family;
    const n = alen(family);
    if (spec.dst.length !== n) throw kerr('EINVAL', '', { where: 'RTA_DST' });
    if (!Number.isInteger(spec.prefixLen) || spec.prefixLen < 0 || spec.prefixLen > n * 8) throw kerr('EINVAL', 'Invalid prefix length', { where: 'rtm_dst_len' });
    if (!bytesEqual(masked(spec.dst, spec.prefixLen), spec.dst)) throw kerr('EINVAL', 'Invalid prefix for given prefix length', { where: 'RTA_DST' });
    const type = spec.type ?? RTN.UNICAST;
    if (!Number.isInteger(type) || type <= RTN.UNSPEC || type > RTN.XRESOLVE) throw kerr('EINVAL', 'Invalid route type', { where: 'rtm_type' });
    const table = spec.table ?? RT_TABLE.MAIN;
    if (!Number.isInteger(table) || table <= 0 || table > 0xffffffff) throw kerr('EINVAL', 'Invalid table', { where: 'RTA_TABLE' });
    const reject = FIB_TYPE_ERROR[type] !== undefined;
    const gw = spec.gateway;
    const gwFamily = gw === undefined ? 0 : gw.length === 4 ? AF.INET : gw.length === 16 ? AF.INET6 : -1;
    if (gwFamily < 0 || (family === AF.INET6 && gwFamily === AF.INET)) throw kerr('EINVAL', 'Invalid gateway address', { where: 'RTA_GATEWAY' });
    let dev = spec.dev ?? null;
    if (dev !== null) this.#checkDev(dev, 'RTA_OIF');
    if (!reject) {
      if (dev === null && gw !== undefined && gwFamily === family) dev = this.#connectedDev(family, gw);
      if (dev === null) throw kerr(gw === undefined ? 'ENODEV' : 'ENETUNREACH', gw === undefined ? 'Device only routes are not supported' : 'Nexthop has invalid gateway', { where: gw === undefined ? 'RTA_OIF' : 'RTA_GATEWAY' });
      if (!dev.isUp()) throw kerr('ENETDOWN', 'Nexthop device is not up', { where: 'RTA_OIF' });
      if (gw !== undefined && gwFamily === AF.INET && !(spec.onlink ?? false) && this.#connectedDev(AF.INET, gw, dev) === null) throw kerr('ENETUNREACH', 'Nexthop has invalid gateway', { where: 'RTA_GATEWAY' });
    } else {
      dev = null;
    }
    const prefsrc = spec.prefsrc;
    if (prefsrc !== undefined) {
      if (prefsrc.length !== n) throw kerr('EINVAL', 'Invalid prefsrc address', { where: 'RTA_PREFSRC' });
      if (!this.#addrs.some((a) => a.family === family && bytesEqual(a.local, prefsrc))) throw kerr('EINVAL', 'Invalid prefsrc address', { where: 'RTA_PREFSRC' });
    }
    const metric = spec.metric ?? (family === AF.INET ? 0 : 1024);
    if (!Number.isInteger(metric) || metric < 0 || metric > 0xffffffff) throw kerr('EINVAL', '', { where: 'RTA_PRIORITY' });
    const mtu = spec.mtu ?? 0;
    if (!Number.isInteger(mtu) || mtu < 0 || mtu > 0xffffffff) throw kerr('EINVAL', '', { where: 'RTAX_MTU' });
    const r: FibRoute = Object.freeze({
      family, table, type, dst: Uint8Array.from(spec.dst), prefixLen: spec.prefixLen, dev,
      gateway: gw === undefined ? null : Uint8Array.from(gw), gatewayFamily: gwFamily,
      metric,
      scope: spec.scope ?? (type === RTN.LOCAL ? RT_SCOPE.HOST : family === AF.INET && type === RTN.UNICAST && gw === undefined ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE),
      protocol: spec.protocol ?? RTPROT.BOOT,
      prefsrc: prefsrc === undefined ? null : Uint8Array.from(prefsrc), mtu, mtuLock: spec.mtuLock ?? false,
      onlink: spec.onlink ?? false, origin: null,
    });
    const same = this.#configured.findIndex((x) => x.family === family && x.table === table && x.prefixLen === r.prefixLen && bytesEqual(x.dst, r.dst) && x.metric === metric);
    if (mode === 'add' && same >= 0) throw kerr('EEXIST', '', { where: 'RTA_DST' });
    if (mode === 'replace' && same >= 0) {
      this.#order.set(r, this.#order.get(this.#configured[same]!) ?? this.#seq++);
      this.#configured[same] = r;
    } else {
      this.#order.set(r, this.#seq++);
      this.#configured.push(r);
    }
    (family === AF.INET ? this.#tables4 : this.#tables6).add(table);
    this.#gen++;
    return r;
  }

  /** `ip route del`: removes the first configured route matching (ESRCH "No such process" when none). */
  deleteRoute(match: RouteMatch): FibRoute {
    const i = this.#configured.findIndex((x) => x.family === match.family && x.prefixLen === match.prefixLen && bytesEqual(x.dst, match.dst) &&
      (match.table === undefined ? x.table === RT_TABLE.MAIN : x.table === match.table) && (match.type === undefined || x.type === match.type) &&
      (match.dev === undefined || x.dev === match.dev) && (match.metric === undefined || x.metric === match.metric) &&
      (match.gateway === undefined || (x.gateway !== null && bytesEqual(x.gateway, match.gateway))));
    if (i < 0) throw kerr('ESRCH', '', { where: 'RTA_DST' });
    const [r] = this.#configured.splice(i, 1);
    this.#gen++;
    return r!;
  }

  /** Every route (configured and kernel-made), longest prefix first (lookup order), optionally of one table. */
  routes(family: InetFamily, table?: number): FibRoute[] {
    this.#sync();
    const src = family === AF.INET ? this.#sorted4 : this.#sorted6;
    return src.filter((r) => table === undefined || r.table === table);
  }

  /**
   * The routes the kernel would still list (`ip route show`): `routes()` without
   * those whose device is down (the kernel deletes them; IPv4 local routes of
   * addresses stay), in lookup order.
   */
  liveRoutes(family: InetFamily, table?: number): FibRoute[] {
    return this.routes(family, table).filter((r) => r.dev === null || this.#nexthopAlive(r, r.dev));
  }

  /** Does routing table `id` exist (fib_get_table / fib6_get_table)? */
  hasTable(family: InetFamily, id: number): boolean {
    return (family === AF.INET ? this.#tables4 : this.#tables6).has(id);
  }

  /**
   * The route for `dst` (`addr[off..]`), as the kernel's lookup without
   * custom rules finds it: `table` -1 uses the default rules (IPv4: the
   * merged local/main table, then default; IPv6: local, then main), another
   * value looks only in that table (IPv4: local and main are one table).
   * `oif` non-zero: IPv4 takes only nexthops on that device, IPv6 prefers
   * them. Returns the route (reject types — blackhole, unreachable, prohibit,
   * throw — are returned as found; see FIB_TYPE_ERROR) or null: no route
   * (-ENETUNREACH; IPv6's null entry) or no such table.
   * Allocates nothing.
   */
  lookup(family: InetFamily, addr: Uint8Array, off: number, oif: number, table: number): FibRoute | null {
    this.#sync();
    if (family === AF.INET) {
      if (table === -1) {
        const r = this.#lookup4(addr, off, oif, RT_TABLE.MAIN);
        if (r !== null && r.type !== RTN.THROW) return r;
        return this.#lookup4(addr, off, oif, RT_TABLE.DEFAULT);
      }
      if (!this.#tables4.has(table)) return null;
      return this.#lookup4(addr, off, oif, table === RT_TABLE.LOCAL ? RT_TABLE.MAIN : table);
    }
    if (table === -1) {
      const r = this.#lookup6(addr, off, oif, RT_TABLE.LOCAL);
      return r !== null ? r : this.#lookup6(addr, off, oif, RT_TABLE.MAIN);
    }
    if (!this.#tables6.has(table)) return null;
    return this.#lookup6(addr, off, oif, table);
  }

  #lookup4(addr: Uint8Array, off: number, oif: number, table: number): FibRoute | null {
    const a = ((addr[off]! << 24) | (addr[off + 1]! << 16) | (addr[off + 2]! << 8) | addr[off + 3]!) >>> 0;
    const plens = this.#plens4;
    for (let p = 0; p < plens.length; p++) {
      const plen = plens[p]!;
      const mask = plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
      const rs = this.#buckets4[plen]!.get((a & mask) >>> 0);
      if (rs === undefined) continue;
      for (let i = 0; i < rs.length; i++) {
        const r = rs[i]!;
        const t = r.table === RT_TABLE.LOCAL ? RT_TABLE.MAIN : r.table;
        if (t !== table) continue;
        if (FIB_TYPE_ERROR[r.type] !== undefined) return r;
        const dev = r.dev;
        if (dev === null || !this.#nexthopAlive(r, dev)) continue;
        if (oif !== 0 && dev.ifindex !== oif) continue;
        return r;
      }
    }
    return null;
  }

  #lookup6(addr: Uint8Array, off: number, oif: number, table: number): FibRoute | null {
    const rs = this.#sorted6;
    let i = 0;
    while (i < rs.length) {
      const r = rs[i]!;
      if (r.table !== table || !prefixMatch(r.dst, r.prefixLen, addr, off)) {
        i++;
        continue;
      }
      // one fib6 node: the routes of this table with this prefix, lowest metric first
      let best: FibRoute | null = null;
      let bestMetric = -1;
      let j = i;
      for (; j < rs.length; j++) {
        const x = rs[j]!;
        if (x.prefixLen !== r.prefixLen || !bytesEqual(x.dst, r.dst)) break;
        if (x.table !== table) continue;
        if (best !== null && x.metric !== bestMetric) continue;
        const reject = FIB_TYPE_ERROR[x.type] !== undefined;
        if (!reject && (x.dev === null || !this.#nexthopAlive(x, x.dev))) continue;
        const score = oif === 0 || (x.dev !== null && x.dev.ifindex === oif) ? 2 : 0;
        if (best === null) {
          best = x;
          bestMetric = x.metric;
          if (score === 2) break;
        } else if (score === 2) {
          best = x;
          break;
        }
      }
      if (best !== null) return best;
      // fib6_backtrack: a shorter prefix
      while (j < rs.length && rs[j]!.prefixLen === r.prefixLen && bytesEqual(rs[j]!.dst, r.dst)) j++;
      i = Math.max(j, i + 1);
    }
    return null;
  }

  /** Is a route's nexthop usable (not RTNH_F_DEAD): its device exists and is up; IPv4 local routes of addresses stay usable while down. */
  #nexthopAlive(r: FibRoute, dev: NetDevice): boolean {
    if (this.ns.getByIndex(dev.ifindex) !== dev) return false;
    if (dev.isUp()) return true;
    return r.family === AF.INET && r.type === RTN.LOCAL && r.origin !== null && r.prefixLen === 32;
  }

  /** The device of a connected subnet containing `gw` (IPv4 kernel prefix route / IPv6 address prefix), optionally only on `on`. */
  #connectedDev(family: InetFamily, gw: Uint8Array, on?: NetDevice): NetDevice | null {
    for (const a of this.#addrs) {
      if (a.family !== family || (on !== undefined && a.dev !== on) || !this.#alive(a.dev) || !a.dev.isUp()) continue;
      if (prefixMatch(a.local, a.prefixLen, gw, 0)) return a.dev;
    }
    if (on !== undefined) {
      // a configured link route on the device also makes the gateway reachable (fib_check_nh scope-link lookup)
      for (const r of this.#configured) {
        if (r.family === family && r.dev === on && r.gatewayFamily === 0 && r.type === RTN.UNICAST && prefixMatch(r.dst, r.prefixLen, gw, 0)) return on;
      }
    }
    return null;
  }

  /**
   * `ip_mtu_from_fib_result` (IPv4) / `ip6_mtu_from_fib6` (IPv6): the path
   * MTU a forwarded packet gets through `r` (no PMTU exceptions are modelled).
   */
  routeMtu(r: FibRoute): number {
    const dev = r.dev;
    if (r.family === AF.INET) {
      let mtu = 0;
      if (this.fwdUsePmtu || r.mtuLock) mtu = r.mtu;
      if (mtu === 0) mtu = Math.min(dev === null ? 0 : dev.mtu, IP_MAX_MTU);
      return mtu;
    }
    if (r.mtuLock && r.mtu !== 0) return r.mtu;
    const mtu = Math.max(IPV6_MIN_MTU, dev === null ? 0 : dev.mtu);
    return Math.min(mtu, IP6_MAX_MTU);
  }

  /**
   * The preferred source for traffic routed by `r` to `dst` (`addr[off..]`),
   * written to `out[outOff..]`: the route's `src`, else for IPv4
   * `inet_select_addr(dev, gateway, scope)` (0.0.0.0 when none), for IPv6
   * `ipv6_dev_get_saddr` reduced to its scope, outgoing-interface and
   * longest-prefix rules. Returns false when IPv6 finds no address.
   */
  preferredSource(r: FibRoute, addr: Uint8Array, off: number, out: Uint8Array, outOff: number): boolean {
    const n = alen(r.family);
    if (r.prefsrc !== null) {
      out.set(r.prefsrc, outOff);
      return true;
    }
    const dev = r.dev;
    if (r.family === AF.INET) {
      const gw = r.gatewayFamily === AF.INET ? r.gateway : null;
      const a = dev === null ? null : this.#inetSelectAddr(dev, gw, r.scope);
      if (a === null) out.fill(0, outOff, outOff + n);
      else out.set(a, outOff);
      return true;
    }
    const dscope = ipv6Scope(addr, off);
    let best: FibAddress | null = null;
    let bestRank = -1;
    for (const a of this.#addrs) {
      if (a.family !== AF.INET6 || !this.#alive(a.dev) || !a.dev.isUp()) continue;
      const onLinkOnly = dscope <= 0x2;
      if (onLinkOnly && a.dev !== dev) continue;
      const scope = ipv6Scope(a.local, 0);
      if (bytesEqual(a.local, addr, off)) {
        best = a;
        break;
      }
      // rule 2: a scope at least the destination's, the smallest such; else the largest
      const scopeRank = scope >= dscope ? 0x100 - scope : scope - 0x100;
      const rank = (scopeRank + 0x200) * 0x10000 + (a.dev === dev ? 0x100 : 0) + commonPrefix(a.local, addr, off);
      if (rank > bestRank) {
        best = a;
        bestRank = rank;
      }
    }
    if (best === null) return false;
    out.set(best.local, outOff);
    return true;
  }

  /** inet_select_addr (net/ipv4/devinet.c). */
  #inetSelectAddr(dev: NetDevice, dst: Uint8Array | null, scope: number): Uint8Array | null {
    let first: Uint8Array | null = null;
    for (const a of this.#addrs) {
      if (a.family !== AF.INET || a.dev !== dev || a.secondary) continue;
      if (Math.min(a.scope, RT_SCOPE.HOST) > scope) continue;
      if (dst === null || prefixMatch(a.local, a.prefixLen, dst, 0)) return a.local;
      first ??= a.local;
    }
    if (first !== null) return first;
    for (const d of this.ns.devices()) {
      for (const a of this.#addrs) {
        if (a.family !== AF.INET || a.dev !== d || a.secondary) continue;
        if (a.scope !== RT_SCOPE.LINK && Math.min(a.scope, RT_SCOPE.HOST) <= scope) return a.local;
      }
    }
    return null;
  }

  // --- neighbours ----------------------------------------------------------------

  /**
   * `ip neigh add` (`mode` 'add': EEXIST when present) or `replace`
   * (create or update). `lladdr` null is only valid for INCOMPLETE/FAILED/NONE
   * states. EINVAL for wrong lengths.
   */
  setNeighbour(family: InetFamily, dev: NetDevice, addr: Uint8Array, lladdr: Uint8Array | null, state: number, mode: 'add' | 'replace' = 'add'): Neighbour {
    this.#checkDev(dev, 'NDA_DST');
    if (addr.length !== alen(family)) throw kerr('EINVAL', 'Invalid network address', { where: 'NDA_DST' });
    if (lladdr !== null && lladdr.length !== 6) throw kerr('EINVAL', 'Invalid link address', { where: 'NDA_LLADDR' });
    if (!Number.isInteger(state) || state < 0 || state > 0xff) throw kerr('EINVAL', '', { where: 'ndm_state' });
    if (lladdr === null && (state & NUD.VALID) !== 0 && (dev.flags & IFF.NOARP) === 0) throw kerr('EINVAL', 'Link address required', { where: 'NDA_LLADDR' });
    // an entry hidden because its device went down / lost carrier counts as flushed
    const ex = this.#neigh.find((x) => x.family === family && x.dev === dev && bytesEqual(x.addr, addr));
    if (ex !== undefined) {
      if (mode === 'add' && this.#neighLive(ex)) throw kerr('EEXIST', '', { where: 'NDA_DST' });
      ex.lladdr = lladdr === null ? ex.lladdr : Uint8Array.from(lladdr);
      ex.state = state;
      return ex;
    }
    const nb: Neighbour = { family, dev, addr: Uint8Array.from(addr), lladdr: lladdr === null ? null : Uint8Array.from(lladdr), state };
    this.#neigh.push(nb);
    return nb;
  }

  /** `ip neigh del`: ENOENT when absent. */
  deleteNeighbour(family: InetFamily, dev: NetDevice, addr: Uint8Array): void {
    const i = this.#neigh.findIndex((x) => x.family === family && x.dev === dev && bytesEqual(x.addr, addr));
    if (i < 0) throw kerr('ENOENT', '', { where: 'NDA_DST' });
    this.#neigh.splice(i, 1);
  }

  /** Neighbour entries (`ip neigh show`), optionally of one family / device. */
  neighbours(family?: InetFamily, dev?: NetDevice): Neighbour[] {
    return this.#neigh.filter((x) => (family === undefined || x.family === family) && (dev === undefined || x.dev === dev) && this.#alive(x.dev) && this.#neighLive(x));
  }

  /**
   * `__ipv4_neigh_lookup_noref` / `__ipv6_neigh_lookup_noref`: the entry for
   * `addr[off..]` on `dev` (IPv4 on loopback/point-to-point devices looks up
   * 0.0.0.0, as the kernel does). Allocates nothing.
   */
  neighbour(family: InetFamily, dev: NetDevice, addr: Uint8Array, off: number): Neighbour | undefined {
    if (family === AF.INET && (dev.flags & (IFF.LOOPBACK | IFF.POINTOPOINT)) !== 0) {
      for (const x of this.#neigh) {
        if (x.family === AF.INET && x.dev === dev && x.addr[0] === 0 && x.addr[1] === 0 && x.addr[2] === 0 && x.addr[3] === 0) return this.#neighLive(x) ? x : undefined;
      }
      return undefined;
    }
    return this.#findNeigh(family, dev, addr, off);
  }

  #findNeigh(family: InetFamily, dev: NetDevice, addr: Uint8Array, off: number): Neighbour | undefined {
    const ns = this.#neigh;
    for (let i = 0; i < ns.length; i++) {
      const x = ns[i]!;
      if (x.family === family && x.dev === dev && bytesEqual(x.addr, addr, off)) return this.#neighLive(x) ? x : undefined;
    }
    return undefined;
  }

  /**
   * Entries the kernel would have flushed: every entry of a device that is
   * down (neigh_ifdown), the non-permanent ones of a device without carrier
   * (neigh_carrier_down). The model hides them instead of deleting them.
   */
  #neighLive(x: Neighbour): boolean {
    if (!x.dev.isUp()) return false;
    return x.dev.hasCarrier() || (x.state & NUD.PERMANENT) !== 0;
  }

  // --- derived state ------------------------------------------------------------

  #checkDev(dev: NetDevice, where: string): void {
    if (!this.#alive(dev)) throw kerr('ENODEV', 'Cannot find device', { where });
  }

  #alive(dev: NetDevice): boolean {
    return dev.ns === this.ns && this.ns.getByIndex(dev.ifindex) === dev;
  }

  /** Rebuild the sorted tables when the configuration or the device set changed. */
  #sync(): void {
    const devGen = this.ns.deviceGeneration;
    if (this.#key.gen === this.#gen && this.#key.devGen === devGen) return;
    this.#key.gen = this.#gen;
    this.#key.devGen = devGen;
    const all4: FibRoute[] = [];
    const all6: FibRoute[] = [];
    for (const r of this.#configured) {
      if (r.dev !== null && !this.#alive(r.dev)) continue;
      (r.family === AF.INET ? all4 : all6).push(r);
    }
    for (const a of this.#addrs) {
      if (!this.#alive(a.dev)) continue;
      if (a.family === AF.INET) this.#kernelRoutes4(a, all4);
      else this.#kernelRoutes6(a, all6);
    }
    for (const d of this.ns.devices()) {
      if ((d.flags & IFF.LOOPBACK) !== 0) continue;
      const ll = new Uint8Array(16);
      ll[0] = 0xfe;
      ll[1] = 0x80;
      const mc = new Uint8Array(16);
      mc[0] = 0xff;
      all6.push(this.#kernelRoute(AF.INET6, RT_TABLE.MAIN, RTN.UNICAST, ll, 64, d, 256, RT_SCOPE.UNIVERSE, null, null));
      all6.push(this.#kernelRoute(AF.INET6, RT_TABLE.LOCAL, RTN.MULTICAST, mc, 8, d, 256, RT_SCOPE.UNIVERSE, null, null));
    }
    const cmp = (x: FibRoute, y: FibRoute): number => y.prefixLen - x.prefixLen || x.metric - y.metric || (this.#order.get(x) ?? 0) - (this.#order.get(y) ?? 0);
    this.#sorted4 = all4.sort(cmp);
    this.#sorted6 = all6.sort(cmp);
    // IPv4 lookup index: per prefix length, routes by masked destination (in lookup order)
    for (const b of this.#buckets4) b.clear();
    const plens = new Set<number>();
    for (const r of this.#sorted4) {
      const d = ((r.dst[0]! << 24) | (r.dst[1]! << 16) | (r.dst[2]! << 8) | r.dst[3]!) >>> 0;
      const m = this.#buckets4[r.prefixLen]!;
      const list = m.get(d);
      if (list === undefined) m.set(d, [r]);
      else list.push(r);
      plens.add(r.prefixLen);
    }
    this.#plens4 = [...plens].sort((x, y) => y - x);
  }

  #kernelRoute(family: InetFamily, table: number, type: number, dst: Uint8Array, plen: number, dev: NetDevice, metric: number, scope: number, prefsrc: Uint8Array | null, origin: FibAddress | null): FibRoute {
    const r: FibRoute = Object.freeze({
      family, table, type, dst, prefixLen: plen, dev, gateway: null, gatewayFamily: 0, metric, scope, protocol: RTPROT.KERNEL,
      prefsrc, mtu: 0, mtuLock: false, onlink: false, origin,
    });
    this.#order.set(r, -1);
    return r;
  }

  /** fib_add_ifaddr. */
  #kernelRoutes4(a: FibAddress, out: FibRoute[]): void {
    const dev = a.dev;
    let prim = a;
    if (a.secondary) {
      const p = this.#addrs.find((b) => b.family === AF.INET && b.dev === dev && !b.secondary && b.prefixLen === a.prefixLen && prefixMatch(b.local, b.prefixLen, a.local, 0));
      if (p !== undefined) prim = p;
    }
    out.push(this.#kernelRoute(AF.INET, RT_TABLE.LOCAL, RTN.LOCAL, a.local, 32, dev, 0, RT_SCOPE.HOST, prim.local, a));
    const b = a.broadcast;
    if (b !== null && !(b[0] === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255)) {
      out.push(this.#kernelRoute(AF.INET, RT_TABLE.LOCAL, RTN.BROADCAST, b, 32, dev, 0, RT_SCOPE.LINK, prim.local, a));
    }
    const prefix = masked(a.local, a.prefixLen);
    const zeronet = prefix[0] === 0;
    if (!zeronet && !a.secondary && (!bytesEqual(prefix, a.local) || a.prefixLen < 32)) {
      const loop = (dev.flags & IFF.LOOPBACK) !== 0;
      if (!a.noPrefixRoute) {
        out.push(this.#kernelRoute(AF.INET, loop ? RT_TABLE.LOCAL : RT_TABLE.MAIN, loop ? RTN.LOCAL : RTN.UNICAST, prefix, a.prefixLen, dev, a.metric, loop ? RT_SCOPE.HOST : RT_SCOPE.LINK, prim.local, a));
      }
      if (a.prefixLen < 31) {
        const bc = Uint8Array.from(prefix);
        for (let i = a.prefixLen; i < 32; i++) bc[i >>> 3] = bc[i >>> 3]! | (0x80 >>> (i & 7));
        out.push(this.#kernelRoute(AF.INET, RT_TABLE.LOCAL, RTN.BROADCAST, bc, 32, dev, 0, RT_SCOPE.LINK, prim.local, a));
      }
    }
  }

  /** addrconf: local, prefix and subnet-router anycast routes of an IPv6 address. */
  #kernelRoutes6(a: FibAddress, out: FibRoute[]): void {
    const dev = a.dev;
    const loop = (dev.flags & IFF.LOOPBACK) !== 0;
    out.push(this.#kernelRoute(AF.INET6, RT_TABLE.LOCAL, RTN.LOCAL, a.local, 128, loop ? dev : dev, 0, RT_SCOPE.UNIVERSE, null, a));
    if (loop) return;
    const prefix = masked(a.local, a.prefixLen);
    if (!a.noPrefixRoute && a.prefixLen < 128) {
      out.push(this.#kernelRoute(AF.INET6, RT_TABLE.MAIN, RTN.UNICAST, prefix, a.prefixLen, dev, a.metric, RT_SCOPE.UNIVERSE, null, a));
    }
    if (a.prefixLen < 127 && this.forwarding(AF.INET6, dev) && !bytesEqual(prefix, a.local)) {
      out.push(this.#kernelRoute(AF.INET6, RT_TABLE.LOCAL, RTN.ANYCAST, prefix, 128, dev, 0, RT_SCOPE.UNIVERSE, null, a));
    }
  }
}
