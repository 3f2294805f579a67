// Models the IPv4 part of iproute2 6.1's `ip addr`, `ip route` and `ip neigh`
// (ip/ipaddress.c ipaddr_modify, ip/iproute.c iproute_modify and print_route,
// ip/ipneigh.c ipneigh_modify, lib/utils.c get_prefix/get_addr) and of
// `sysctl -w net.ipv4.*forwarding*`, applied to @tcbpf/skb's routing model of
// the namespace (NetNamespace.fib, which models net/ipv4/devinet.c,
// fib_frontend.c, fib_trie.c and net/core/neighbour.c of Linux 6.18 and throws
// their errno). Route dumps print like `ip route show` (main table, or the one
// named).
import { kerr } from '@tcbpf/base';
import { AF, NUD, RTN, RTPROT, RT_SCOPE, RT_TABLE } from '@tcbpf/uapi';
import type { FibRoute, NetDevice, NetNamespace, RouteSpec } from '@tcbpf/skb';
import { type Args, UsageError } from './iproute2/args.js';

/** rtnl_rtntype_n2a / a2n: route type names. */
const RTN_NAMES: Readonly<Record<string, number>> = Object.freeze({
  unicast: RTN.UNICAST, local: RTN.LOCAL, broadcast: RTN.BROADCAST, anycast: RTN.ANYCAST, multicast: RTN.MULTICAST,
  blackhole: RTN.BLACKHOLE, unreachable: RTN.UNREACHABLE, prohibit: RTN.PROHIBIT, throw: RTN.THROW, nat: RTN.NAT,
});
/** rtnl_rtprot_n2a: protocol names (/etc/iproute2/rt_protos). */
const RTPROT_NAMES: Readonly<Record<number, string>> = Object.freeze({ 0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 16: 'dhcp' });
/** rtnl_rtscope_n2a. */
const SCOPE_NAMES: Readonly<Record<number, string>> = Object.freeze({ 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' });
/** rtnl_rttable_n2a. */
const TABLE_NAMES: Readonly<Record<string, number>> = Object.freeze({ default: RT_TABLE.DEFAULT, main: RT_TABLE.MAIN, local: RT_TABLE.LOCAL });
/** nud_state_a2n: neighbour state names. */
const NUD_NAMES: Readonly<Record<string, number>> = Object.freeze({
  permanent: NUD.PERMANENT, reachable: NUD.REACHABLE, noarp: NUD.NOARP, none: NUD.NONE, stale: NUD.STALE,
  incomplete: NUD.INCOMPLETE, delay: NUD.DELAY, probe: NUD.PROBE, failed: NUD.FAILED,
});

/** get_addr_ipv4: 1 to 4 dotted decimal parts (missing ones are 0), or null. */
export function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

/** get_prefix: `A.B.C.D[/N]` or `default`/`any`/`all` (0/0); the host bits must be clear only for routes (checked by the kernel). */
function parsePrefix(s: string, col: number, what: 'prefix' | 'address'): { addr: Uint8Array; plen: number } {
  if (what === 'prefix' && (s === 'default' || s === 'any' || s === 'all')) return { addr: new Uint8Array(4), plen: 0 };
  const slash = s.indexOf('/');
  const addr = parseIpv4(slash < 0 ? s : s.slice(0, slash));
  let plen = 32;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    plen = /^\d{1,2}$/.test(p) ? Number(p) : -1;
  }
  if (addr === null || plen < 0 || plen > 32) {
    throw new UsageError(what === 'prefix' ? `Error: any valid prefix is expected rather than "${s}".` : `Error: inet prefix is expected rather than "${s}".`, col);
  }
  return { addr, plen };
}

/** An Ethernet address `xx:xx:xx:xx:xx:xx` (ll_addr_a2n), or a usage error at `col`. */
export function parseMac(s: string, col: number): Uint8Array {
  if (!/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(s)) throw new UsageError(`"${s}" is invalid lladdr.`, col);
  return Uint8Array.from(s.split(':').map((h) => Number.parseInt(h, 16)));
}

function fmt4(a: Uint8Array): string {
  return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
}

function devOf(ns: NetNamespace, name: string, col: number): NetDevice {
  const d = ns.getByName(name);
  if (d === undefined) throw new UsageError(`Cannot find device "${name}"`, col);
  return d;
}

function u32Word(a: Args, what: string): number {
  const s = a.next();
  const v = Number(s);
  if (!/^\d+$/.test(s) || v > 0xffffffff) throw new UsageError(`Error: argument "${s}" is wrong: "${what}" value is invalid`, a.lastCol);
  return v;
}

/** `ip addr add|del ADDR[/PLEN] dev DEV [broadcast B] [noprefixroute] [metric N]`. */
export function ipAddr(a: Args, ns: NetNamespace): void {
  const cmd = a.take();
  if (cmd !== 'add' && cmd !== 'del' && cmd !== 'delete') throw new UsageError(`Command "${cmd}" is unknown, try "ip address help".`, a.lastCol);
  let local: { addr: Uint8Array; plen: number } | null = null;
  let dev: NetDevice | null = null;
  let broadcast: Uint8Array | undefined;
  let noPrefixRoute = false;
  let metric: number | undefined;
  while (a.more) {
    const w = a.take();
    if (w === 'dev') dev = devOf(ns, a.next(), a.lastCol);
    else if (w === 'broadcast' || w === 'brd') {
      const s = a.next();
      const b = parseIpv4(s);
      if (b === null) throw new UsageError(`Error: inet address is expected rather than "${s}".`, a.lastCol);
      broadcast = b;
    } else if (w === 'noprefixroute') noPrefixRoute = true;
    else if (w === 'metric' || w === 'priority' || w === 'preference') metric = u32Word(a, 'metric');
    else if (w === 'local') local = parsePrefix(a.next(), a.lastCol, 'address');
    else if (local === null) local = parsePrefix(w, a.lastCol, 'address');
    else throw new UsageError(`Error: either "local" is duplicate, or "${w}" is a garbage.`, a.lastCol);
  }
  if (dev === null) throw new UsageError('Not enough information: "dev" argument is required.', a.endCol);
  if (local === null) throw new UsageError('Not enough information: "local" argument is required.', a.endCol);
  if (cmd === 'add') {
    ns.fib.addAddress(AF.INET, dev, { local: local.addr, prefixLen: local.plen, noPrefixRoute, ...(broadcast === undefined ? {} : { broadcast }), ...(metric === undefined ? {} : { metric }) });
  } else ns.fib.deleteAddress(AF.INET, dev, local.addr, local.plen);
}

/** `ip route add|replace|append|del [TYPE] PREFIX [via GW] [dev DEV] [metric N] [src A] [table T] [proto P] [scope S] [mtu [lock] N] [onlink]`, `ip route show [table T]`. */
export function ipRoute(a: Args, ns: NetNamespace): string {
  const cmd = a.more ? a.take() : 'show';
  if (cmd === 'show' || cmd === 'list' || cmd === 'ls') return showRoutes(a, ns);
  if (cmd !== 'add' && cmd !== 'del' && cmd !== 'delete' && cmd !== 'replace' && cmd !== 'append' && cmd !== 'change') {
    throw new UsageError(`Command "${cmd}" is unknown, try "ip route help".`, a.lastCol);
  }
  let type: number = RTN.UNICAST;
  let dst: { addr: Uint8Array; plen: number } | null = null;
  let gateway: Uint8Array | undefined;
  let dev: NetDevice | undefined;
  let metric: number | undefined;
  let prefsrc: Uint8Array | undefined;
  let table: number | undefined;
  let protocol: number | undefined;
  let scope: number | undefined;
  let mtu: number | undefined;
  let mtuLock = false;
  let onlink = false;
  while (a.more) {
    const w = a.take();
    if (w === 'via') {
      const s = a.next();
      const g = parseIpv4(s);
      if (g === null) throw new UsageError(`Error: inet address is expected rather than "${s}".`, a.lastCol);
      gateway = g;
    } else if (w === 'dev' || w === 'oif') dev = devOf(ns, a.next(), a.lastCol);
    else if (w === 'metric' || w === 'priority' || w === 'preference') metric = u32Word(a, 'metric');
    else if (w === 'src') {
      const s = a.next();
      const p = parseIpv4(s);
      if (p === null) throw new UsageError(`Error: inet address is expected rather than "${s}".`, a.lastCol);
      prefsrc = p;
    } else if (w === 'table') {
      const s = a.next();
      table = TABLE_NAMES[s] ?? (/^\d+$/.test(s) ? Number(s) : -1);
      if (table < 0 || table > 0xffffffff) throw new UsageError(`Error: argument "${s}" is wrong: "table" value is invalid`, a.lastCol);
    } else if (w === 'proto' || w === 'protocol') {
      const s = a.next();
      const p = Object.entries(RTPROT_NAMES).find(([, n]) => n === s)?.[0] ?? (/^\d+$/.test(s) && Number(s) < 256 ? s : undefined);
      if (p === undefined) throw new UsageError(`Error: argument "${s}" is wrong: "protocol" value is invalid`, a.lastCol);
      protocol = Number(p);
    } else if (w === 'scope') {
      const s = a.next();
      const p = Object.entries(SCOPE_NAMES).find(([, n]) => n === s)?.[0] ?? (/^\d+$/.test(s) && Number(s) < 256 ? s : undefined);
      if (p === undefined) throw new UsageError(`Error: argument "${s}" is wrong: invalid "scope" value`, a.lastCol);
      scope = Number(p);
    } else if (w === 'mtu') {
      if (a.peek() === 'lock') {
        a.take();
        mtuLock = true;
      }
      mtu = u32Word(a, 'mtu');
    } else if (w === 'onlink') onlink = true;
    else if (dst === null && RTN_NAMES[w] !== undefined && a.more) type = RTN_NAMES[w]!;
    else if (dst === null) dst = parsePrefix(w === 'to' ? a.next() : w, a.lastCol, 'prefix');
    else throw new UsageError(`Error: either "to" is duplicate, or "${w}" is a garbage.`, a.lastCol);
  }
  if (dst === null) throw new UsageError('Error: "to" argument is required.', a.endCol);
  if (cmd === 'del' || cmd === 'delete') {
    ns.fib.deleteRoute({
      family: AF.INET, dst: dst.addr, prefixLen: dst.plen,
      ...(table === undefined ? {} : { table }), ...(type === RTN.UNICAST ? {} : { type }), ...(dev === undefined ? {} : { dev }),
      ...(gateway === undefined ? {} : { gateway }), ...(metric === undefined ? {} : { metric }),
    });
    return '';
  }
  const spec: RouteSpec = {
    family: AF.INET, dst: dst.addr, prefixLen: dst.plen, type,
    // iproute_modify: RTPROT_BOOT and, for unicast without a gateway, scope link (host for local routes)
    protocol: protocol ?? RTPROT.BOOT,
    scope: scope ?? (type === RTN.LOCAL || type === RTN.NAT ? RT_SCOPE.HOST : type === RTN.BROADCAST || type === RTN.MULTICAST || type === RTN.ANYCAST ? RT_SCOPE.LINK : type === RTN.UNICAST && gateway === undefined ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE),
    ...(table === undefined ? {} : { table }), ...(dev === undefined ? {} : { dev }), ...(gateway === undefined ? {} : { gateway }),
    ...(metric === undefined ? {} : { metric }), ...(prefsrc === undefined ? {} : { prefsrc }),
    ...(mtu === undefined ? {} : { mtu, mtuLock }), ...(onlink ? { onlink } : {}),
  };
  ns.fib.addRoute(spec, cmd === 'replace' || cmd === 'change' ? 'replace' : cmd === 'append' ? 'append' : 'add');
  return '';
}

function dstKey(r: FibRoute): number {
  const d = r.dst;
  return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
}

/** print_route for each IPv4 route of the table, in the dump's order (fib_trie: by key, longer prefixes first). */
function showRoutes(a: Args, ns: NetNamespace): string {
  let table: number = RT_TABLE.MAIN;
  while (a.more) {
    const w = a.take();
    if (w === 'table') {
      const s = a.next();
      const t = TABLE_NAMES[s] ?? (/^\d+$/.test(s) ? Number(s) : -1);
      if (t < 0) throw new UsageError(`Error: argument "${s}" is wrong: table id value is invalid`, a.lastCol);
      table = t;
    } else throw new UsageError(`Error: either "to" is duplicate, or "${w}" is a garbage.`, a.lastCol);
  }
  const routes = ns.fib.liveRoutes(AF.INET, table).slice().sort((x, y) => dstKey(x) - dstKey(y) || y.prefixLen - x.prefixLen || x.metric - y.metric);
  let out = '';
  for (const r of routes) {
    let s = '';
    if (r.type !== RTN.UNICAST) s += `${Object.entries(RTN_NAMES).find(([, t]) => t === r.type)?.[0] ?? r.type} `;
    s += r.prefixLen === 0 ? 'default ' : r.prefixLen === 32 ? `${fmt4(r.dst)} ` : `${fmt4(r.dst)}/${r.prefixLen} `;
    if (r.gateway !== null && r.gatewayFamily === AF.INET) s += `via ${fmt4(r.gateway)} `;
    if (r.dev !== null) s += `dev ${r.dev.name} `;
    if (r.table !== RT_TABLE.MAIN && table !== r.table) s += `table ${r.table} `;
    if (r.protocol !== RTPROT.BOOT) s += `proto ${RTPROT_NAMES[r.protocol] ?? r.protocol} `;
    if (r.scope !== RT_SCOPE.UNIVERSE) s += `scope ${SCOPE_NAMES[r.scope] ?? r.scope} `;
    if (r.prefsrc !== null) s += `src ${fmt4(r.prefsrc)} `;
    if (r.metric !== 0) s += `metric ${r.metric} `;
    if (r.onlink) s += 'onlink ';
    if (r.dev !== null && r.dev.isUp() && !r.dev.hasCarrier()) s += 'linkdown ';
    if (r.mtu !== 0) s += `mtu ${r.mtuLock ? 'lock ' : ''}${r.mtu} `;
    out += `${s}\n`;
  }
  return out;
}

/** `ip neigh add|replace|change|del ADDR [lladdr MAC] dev DEV [nud STATE]`. */
export function ipNeigh(a: Args, ns: NetNamespace): void {
  const cmd = a.take();
  if (cmd !== 'add' && cmd !== 'replace' && cmd !== 'change' && cmd !== 'del' && cmd !== 'delete') throw new UsageError(`Command "${cmd}" is unknown, try "ip neigh help".`, a.lastCol);
  let addr: Uint8Array | null = null;
  let lladdr: Uint8Array | null = null;
  let dev: NetDevice | null = null;
  let state: number = NUD.PERMANENT; // ipneigh_modify's default
  while (a.more) {
    const w = a.take();
    if (w === 'lladdr') lladdr = parseMac(a.next(), a.lastCol);
    else if (w === 'dev') dev = devOf(ns, a.next(), a.lastCol);
    else if (w === 'nud') {
      const s = a.next();
      const st = NUD_NAMES[s];
      if (st === undefined) throw new UsageError(`Error: argument "${s}" is wrong: nud state is bad`, a.lastCol);
      state = st;
    } else if (addr === null) {
      const p = parseIpv4(w === 'to' ? a.next() : w);
      if (p === null) throw new UsageError(`Error: inet address is expected rather than "${w}".`, a.lastCol);
      addr = p;
    } else throw new UsageError(`Error: either "to" is duplicate, or "${w}" is a garbage.`, a.lastCol);
  }
  if (addr === null || dev === null) throw new UsageError('Device and destination are required arguments.', a.endCol);
  if (cmd === 'del' || cmd === 'delete') ns.fib.deleteNeighbour(AF.INET, dev, addr);
  else ns.fib.setNeighbour(AF.INET, dev, addr, lladdr, state, cmd === 'add' ? 'add' : 'replace');
}

/**
 * `sysctl -w KEY=VALUE` for the IPv4 forwarding switches: net.ipv4.ip_forward
 * (= conf.all.forwarding), net.ipv4.conf.{all,default,DEV}.forwarding.
 */
export function sysctlWrite(a: Args, ns: NetNamespace): void {
  while (a.more && (a.peek() === '-w' || a.peek() === '-q' || a.peek() === '-qw')) a.take();
  const kv = a.next();
  const col = a.lastCol;
  const eq = kv.indexOf('=');
  if (eq < 0) throw new UsageError(`sysctl: "${kv}": expected KEY=VALUE`, col);
  const key = kv.slice(0, eq).replaceAll('/', '.');
  const val = kv.slice(eq + 1);
  if (val !== '0' && val !== '1') throw new UsageError(`sysctl: setting key "${key}": Invalid argument`, col);
  const on = val === '1';
  if (key === 'net.ipv4.ip_forward') return ns.fib.setForwarding(AF.INET, 'all', on);
  const m = /^net\.ipv4\.conf\.([^.]+)\.forwarding$/.exec(key);
  if (m !== null) {
    const which = m[1]!;
    if (which === 'all' || which === 'default') return ns.fib.setForwarding(AF.INET, which, on);
    const d = ns.getByName(which);
    if (d === undefined) throw new UsageError(`sysctl: cannot stat /proc/sys/${key.replaceAll('.', '/')}: No such file or directory`, col);
    return ns.fib.setForwarding(AF.INET, d, on);
  }
  throw kerr('ENOENT', `sysctl key "${key}" is not modelled (net.ipv4.ip_forward, net.ipv4.conf.*.forwarding are)`, { where: key });
}
