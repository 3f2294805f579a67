// bpf_fib_lookup and bpf_check_mtu against the kernel: the same devices,
// addresses, routes, neighbours and forwarding sysctls are configured in a
// throw-away namespace (with `ip`, `sysctl`) and in a tcbpf NetNamespace
// (its Fib); fib_lookup.o runs through BPF_PROG_TEST_RUN in both — in the
// kernel from a bpf() driver started inside the namespace, since test_run uses
// the caller's namespace — and every query's return code and the whole
// struct bpf_fib_lookup as the helper left it must agree.
import { readFileSync } from 'node:fs';
import { Prng, SimClock } from '@tcbpf/base';
import { FIB_TYPE_ERROR, NetNamespace, type NetDevice } from '@tcbpf/skb';
import { Netns, bpfOracle, bpfOracleIn, kernelOracle, must, type BpfOracle } from '@tcbpf/testing';
import { AF, BPF_FIB_LOOKUP as FL, NUD, RTN, RT_TABLE } from '@tcbpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKB_OFF, TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '../src/index.js';
import { loadIntoKernel } from './kernel-object.js';
import { PROGS_DIR } from './fixture-objects.js';

const k = kernelOracle();
const o = bpfOracle();
const ok = k.ok && o.ok;
const reason = !k.ok ? k.reason : o.reason;

const v4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
function v6(s: string): Uint8Array {
  const [h, t] = s.split('::') as [string, string | undefined];
  const hs = h === '' ? [] : h.split(':');
  const ts = t === undefined || t === '' ? [] : t.split(':');
  const words = [...hs, ...new Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    const n = parseInt(w, 16);
    out[2 * i] = n >>> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}
const mac = (last: number): Uint8Array => Uint8Array.of(0x02, 0, 0, 0, 0, last);
const macStr = (last: number): string => `02:00:00:00:00:${last.toString(16).padStart(2, '0')}`;

/** One configuration step: the `ip`/`sysctl` command and the same change on the model. */
interface Step {
  readonly cmd: readonly string[];
  readonly model: (ns: NetNamespace, dev: (name: string) => NetDevice) => void;
}

const DEVS = [
  // [name, ifindex, peer, peer ifindex, mtu]
  ['v0', 10, 'v1', 11, 1500],
  ['v2', 12, 'v3', 13, 9000],
  ['v4', 14, 'v5', 15, 1500],
] as const;

const STEPS: readonly Step[] = [
  ...DEVS.flatMap(([n, i, p, pi, mtu]): Step[] => [
    {
      cmd: ['ip', 'link', 'add', n, 'index', String(i), 'address', macStr(i), 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', p, 'index', String(pi), 'address', macStr(pi), 'mtu', String(mtu)],
      model: (ns) => ns.addVeth(n, p, ns, { ifindex: i, addr: mac(i), mtu }, { ifindex: pi, addr: mac(pi), mtu }),
    },
  ]),
  ...['v0', 'v1', 'v2', 'v3', 'v4', 'v5'].map((n): Step => ({ cmd: ['ip', 'link', 'set', n, 'up'], model: (_ns, d) => d(n).setUp(true) })),
  { cmd: ['sysctl', '-qw', 'net.ipv4.conf.all.forwarding=1'], model: (ns) => ns.fib.setForwarding(AF.INET, 'all', true) },
  { cmd: ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1'], model: (ns) => ns.fib.setForwarding(AF.INET6, 'all', true) },
  { cmd: ['sysctl', '-qw', 'net.ipv4.conf.v4.forwarding=0'], model: (ns, d) => ns.fib.setForwarding(AF.INET, d('v4'), false) },
  { cmd: ['sysctl', '-qw', 'net.ipv6.conf.v5.forwarding=0'], model: (ns, d) => ns.fib.setForwarding(AF.INET6, d('v5'), false) },
  ...([['v0', '10.1.0.1', 24], ['v0', '10.1.0.9', 24], ['v2', '10.2.0.1', 24], ['v4', '10.4.0.1', 30], ['v0', '10.11.0.1', 16]] as const).map(([n, a, l]): Step => ({
    cmd: ['ip', 'addr', 'add', `${a}/${l}`, 'dev', n], model: (ns, d) => ns.fib.addAddress(AF.INET, d(n), { local: v4(a), prefixLen: l }),
  })),
  ...([['v0', '2001:db8:1::1', 64], ['v2', '2001:db8:2::1', 64], ['v4', '2001:db8:4::1', 64]] as const).map(([n, a, l]): Step => ({
    cmd: ['ip', '-6', 'addr', 'add', `${a}/${l}`, 'dev', n, 'nodad'], model: (ns, d) => ns.fib.addAddress(AF.INET6, d(n), { local: v6(a), prefixLen: l }),
  })),
  ...([
    ['default', 'via', '10.1.0.254'],
    ['192.168.0.0/16', 'via', '10.2.0.2', 'metric', '10'],
    ['192.168.0.0/16', 'via', '10.1.0.2', 'metric', '20'],
    ['blackhole', '192.168.7.0/24'],
    ['unreachable', '192.168.8.0/24'],
    ['prohibit', '192.168.9.0/24'],
    ['172.16.0.0/12', 'dev', 'v2'],
    ['10.50.0.0/16', 'via', '10.1.0.2', 'mtu', 'lock', '1300'],
    ['10.51.0.0/16', 'via', '10.2.0.2', 'mtu', '1280'],
    ['8.8.8.0/24', 'via', '10.2.0.2', 'table', '100'],
    ['blackhole', '9.9.9.0/24', 'table', '100'],
    ['198.51.100.0/24', 'via', 'inet6', '2001:db8:1::2', 'dev', 'v0'],
    ['203.0.113.0/24', 'via', '10.2.0.3', 'src', '10.1.0.9'],
    ['100.64.0.0/10', 'via', '10.4.0.2'],
    ['100.64.5.0/24', 'via', '10.2.0.2', 'metric', '5'],
  ] as const).map((args): Step => ({ cmd: ['ip', 'route', 'add', ...args], model: (ns, d) => ns.fib.addRoute(route4(args, d)) })),
  ...([
    ['default', 'via', '2001:db8:1::fe', 'dev', 'v0'],
    ['2001:db8:100::/48', 'via', '2001:db8:2::2', 'dev', 'v2'],
    ['blackhole', '2001:db8:200::/48'],
    ['unreachable', '2001:db8:300::/48'],
    ['prohibit', '2001:db8:350::/48'],
    ['2001:db8:400::/48', 'dev', 'v2', 'mtu', 'lock', '1400'],
    ['2001:db8:500::/48', 'via', '2001:db8:4::2', 'dev', 'v4', 'metric', '50'],
    ['2001:db8:500::/48', 'via', '2001:db8:2::2', 'dev', 'v2', 'metric', '60'],
    ['2001:db8:600::/48', 'via', '2001:db8:1::3', 'dev', 'v0', 'src', '2001:db8:2::1'],
    ['2001:db8:700::/48', 'via', '2001:db8:2::2', 'dev', 'v2', 'table', '100'],
  ] as const).map((args): Step => ({ cmd: ['ip', '-6', 'route', 'add', ...args], model: (ns, d) => ns.fib.addRoute(route6(args, d)) })),
  ...([
    ['v0', '10.1.0.2', 20, 'permanent'], ['v2', '10.2.0.2', 21, 'reachable'], ['v0', '10.1.0.254', 22, 'stale'], ['v2', '10.2.0.3', 23, 'noarp'],
    ['v4', '10.4.0.2', 24, 'permanent'],
  ] as const).map(([n, a, m, st]): Step => ({
    cmd: ['ip', 'neigh', 'add', a, 'lladdr', macStr(m), 'dev', n, 'nud', st], model: (ns, d) => ns.fib.setNeighbour(AF.INET, d(n), v4(a), mac(m), nud(st)),
  })),
  ...([['v0', '2001:db8:1::2', 30, 'permanent'], ['v2', '2001:db8:2::2', 31, 'reachable'], ['v4', '2001:db8:4::2', 32, 'stale'], ['v0', '2001:db8:1::3', 33, 'permanent']] as const).map(([n, a, m, st]): Step => ({
    cmd: ['ip', '-6', 'neigh', 'add', a, 'lladdr', macStr(m), 'dev', n, 'nud', st], model: (ns, d) => ns.fib.setNeighbour(AF.INET6, d(n), v6(a), mac(m), nud(st)),
  })),
  // a device that goes down: its routes are gone (kernel) / dead (model)
  { cmd: ['ip', 'route', 'add', '10.60.0.0/16', 'dev', 'v4'], model: (ns, d) => ns.fib.addRoute({ family: AF.INET, dst: v4('10.60.0.0'), prefixLen: 16, dev: d('v4') }) },
  { cmd: ['ip', 'link', 'set', 'v5', 'down'], model: (_ns, d) => d('v5').setUp(false) },
];

function nud(s: string): number {
  return s === 'permanent' ? NUD.PERMANENT : s === 'reachable' ? NUD.REACHABLE : s === 'stale' ? NUD.STALE : NUD.NOARP;
}
function prefix(s: string, v6mode: boolean): [Uint8Array, number] {
  if (s === 'default') return [new Uint8Array(v6mode ? 16 : 4), 0];
  const [a, l] = s.split('/') as [string, string];
  return [v6mode ? v6(a) : v4(a), Number(l)];
}
function routeCommon(args: readonly string[], d: (name: string) => NetDevice, v6mode: boolean): Parameters<NetNamespace['fib']['addRoute']>[0] {
  const typed = args[0] === 'blackhole' || args[0] === 'unreachable' || args[0] === 'prohibit';
  const [dst, plen] = prefix(args[typed ? 1 : 0]!, v6mode);
  let type: number = RTN.UNICAST;
  let gateway: Uint8Array | undefined;
  let dev: NetDevice | undefined;
  let metric: number | undefined;
  let table: number | undefined;
  let mtu: number | undefined;
  let mtuLock = false;
  let prefsrc: Uint8Array | undefined;
  for (let i = typed ? 0 : 1; i < args.length; i++) {
    const a = args[i]!;
    if (i === 1 && typed) continue;
    if (a === 'blackhole') type = RTN.BLACKHOLE;
    else if (a === 'unreachable') type = RTN.UNREACHABLE;
    else if (a === 'prohibit') type = RTN.PROHIBIT;
    else if (a === 'via') {
      if (args[i + 1] === 'inet6') {
        gateway = v6(args[i + 2]!);
        i += 2;
      } else gateway = v6mode ? v6(args[++i]!) : v4(args[++i]!);
    } else if (a === 'dev') dev = d(args[++i]!);
    else if (a === 'metric') metric = Number(args[++i]);
    else if (a === 'table') table = Number(args[++i]);
    else if (a === 'src') prefsrc = v6mode ? v6(args[++i]!) : v4(args[++i]!);
    else if (a === 'mtu') {
      if (args[i + 1] === 'lock') {
        mtuLock = true;
        i++;
      }
      mtu = Number(args[++i]);
    }
  }
  return {
    family: v6mode ? AF.INET6 : AF.INET, dst, prefixLen: plen, type, mtuLock,
    ...(gateway === undefined ? {} : { gateway }), ...(dev === undefined ? {} : { dev }), ...(metric === undefined ? {} : { metric }),
    ...(table === undefined ? {} : { table }), ...(mtu === undefined ? {} : { mtu }), ...(prefsrc === undefined ? {} : { prefsrc }),
  };
}
const route4 = (args: readonly string[], d: (name: string) => NetDevice): ReturnType<typeof routeCommon> => routeCommon(args, d, false);
const route6 = (args: readonly string[], d: (name: string) => NetDevice): ReturnType<typeof routeCommon> => routeCommon(args, d, true);

const DST4 = [
  '10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.255', '10.1.0.0', '10.1.0.9', '10.2.0.2', '10.2.0.3', '10.2.0.7', '10.4.0.2', '10.4.0.3',
  '10.11.3.4', '127.0.0.1', '127.1.2.3', '192.168.1.1', '192.168.7.7', '192.168.8.8', '192.168.9.9', '172.16.1.1', '172.31.255.255',
  '10.50.1.1', '10.51.1.1', '8.8.8.8', '9.9.9.9', '198.51.100.7', '203.0.113.5', '100.64.1.1', '100.64.5.5', '10.60.1.1', '1.2.3.4',
  '0.0.0.0', '255.255.255.255', '224.0.0.1',
];
const DST6 = [
  '2001:db8:1::1', '2001:db8:1::2', '2001:db8:1::', '2001:db8:1::77', '2001:db8:2::2', '2001:db8:100::1', '2001:db8:200::1',
  '2001:db8:300::1', '2001:db8:350::1', '2001:db8:400::1', '2001:db8:500::1', '2001:db8:600::1', '2001:db8:700::1', '2001:db8:4::2',
  '2001:db8:abcd::1', 'ff02::1', '::1', 'fe80::1',
];
const FLAG_SETS = [
  0, FL.DIRECT, FL.OUTPUT, FL.SKIP_NEIGH, FL.SRC, FL.DIRECT | FL.TBID, FL.OUTPUT | FL.SRC, FL.MARK, FL.DIRECT | FL.OUTPUT | FL.SKIP_NEIGH | FL.SRC, 0x40, FL.DIRECT | FL.TBID | FL.SRC,
];
const IFINDEXES = [1, 10, 12, 14, 15, 99, 0];
const TBIDS = [100, RT_TABLE.MAIN, RT_TABLE.LOCAL, 77, RT_TABLE.DEFAULT];
const TOT_LENS = [0, 0, 0, 1300, 1400, 1501, 9000];

interface Query {
  readonly frame: Uint8Array;
  readonly what: string;
}

/** A frame: Ethernet (type 0x88b5) + struct bpf_fib_lookup + flags + padding to `size`. */
function fibFrame(family: number, dst: Uint8Array, ifindex: number, flags: number, totLen: number, tbid: number, extra: number, size: number): Uint8Array {
  const f = new Uint8Array(Math.max(size, 14 + 68));
  f.set(mac(1), 0);
  f.set(mac(2), 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  const v = new DataView(f.buffer, 14);
  v.setUint8(0, family);
  v.setUint8(1, 6); // l4_protocol TCP
  v.setUint16(2, 0x3412, true);
  v.setUint16(4, 0x5000, true);
  v.setUint16(6, totLen, true);
  v.setUint32(8, ifindex, true);
  v.setUint32(12, extra, true); // tos / flowinfo
  if (family === AF.INET6) new Uint8Array(f.buffer, 14 + 16, 16).set(v6('2001:db8:1::1'));
  else new Uint8Array(f.buffer, 14 + 16, 4).set(v4('10.1.0.1'));
  new Uint8Array(f.buffer, 14 + 32, dst.length).set(dst);
  v.setUint32(48, tbid, true);
  v.setUint32(52, 0x1234, true); // mark
  v.setUint32(64, flags, true);
  return f;
}

function queries(): Query[] {
  const prng = new Prng(0xf1b);
  const pick = <T>(xs: readonly T[]): T => xs[prng.u32() % xs.length]!;
  const out: Query[] = [];
  const add = (family: number, dstS: string, dst: Uint8Array): void => {
    // every destination with the plain lookup from each input device, then random combinations
    for (const ifi of [10, 12]) out.push({ frame: fibFrame(family, dst, ifi, 0, 0, 0, 0, 82), what: `${dstS} if${ifi} flags0` });
    for (let i = 0; i < 9; i++) {
      const flags = pick(FLAG_SETS);
      const ifi = pick(IFINDEXES);
      const tot = pick(TOT_LENS);
      const tbid = pick(TBIDS);
      const size = prng.u32() % 4 === 0 ? 1600 : 82;
      out.push({ frame: fibFrame(family, dst, ifi, flags, tot, tbid, prng.u32() % 3 === 0 ? 0x10 : 0, size), what: `${dstS} if${ifi} flags${flags} tot${tot} tb${tbid} size${size}` });
    }
  };
  for (const d of DST4) add(AF.INET, d, v4(d));
  for (const d of DST6) add(AF.INET6, d, v6(d));
  // unsupported family, and an IPv4 lookup with an IPv6 gateway through the skb MTU check
  out.push({ frame: fibFrame(7, v4('10.1.0.2'), 10, 0, 0, 0, 0, 82), what: 'family 7' });
  out.push({ frame: fibFrame(0, v4('10.1.0.2'), 10, 0, 0, 0, 0, 82), what: 'family 0' });
  return out;
}

/** check_mtu frames: ifindex, mtu_len, len_diff, flags. */
function mtuQueries(): Query[] {
  const out: Query[] = [];
  const cases: [number, number, number, number, number][] = [];
  for (const ifi of [0, 1, 10, 12, 99]) {
    for (const [mtuLen, diff, flags] of [[0, 0, 0], [0, 100, 0], [0, -40, 0], [1500, 0, 0], [1501, 0, 0], [8986, 0, 0], [9000, 1, 0], [0, 0, 1], [100, 0, 1], [0, 5, 1], [0, 0, 2], [0xffffffff, 0, 0], [0, 0x7fffffff, 0]] as const) {
      for (const size of [82, 1514, 1600]) cases.push([ifi, mtuLen, diff, flags, size]);
    }
  }
  for (const [ifi, mtuLen, diff, flags, size] of cases) {
    const f = new Uint8Array(size);
    f.set(mac(1), 0);
    f.set(mac(2), 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    const v = new DataView(f.buffer, 14);
    v.setUint32(0, ifi, true);
    v.setUint32(4, mtuLen >>> 0, true);
    v.setInt32(8, diff, true);
    v.setUint32(12, flags, true);
    out.push({ frame: f, what: `check_mtu if${ifi} mtu_len${mtuLen} diff${diff} flags${flags} size${size}` });
  }
  return out;
}

/** `ip -j route show table all` of the namespace equals the model's live routes (type, table, prefix, device, gateway, metric, src). */
function expectSameRoutes(netns: Netns, ns: NetNamespace): void {
  const TYPES: Readonly<Record<string, number>> = { unicast: RTN.UNICAST, local: RTN.LOCAL, broadcast: RTN.BROADCAST, anycast: RTN.ANYCAST, multicast: RTN.MULTICAST, blackhole: RTN.BLACKHOLE, unreachable: RTN.UNREACHABLE, prohibit: RTN.PROHIBIT };
  const TABLES: Readonly<Record<string, number>> = { local: RT_TABLE.LOCAL, main: RT_TABLE.MAIN, default: RT_TABLE.DEFAULT };
  const hex = (b: Uint8Array | null): string => (b === null ? '-' : Buffer.from(b).toString('hex'));
  for (const six of [false, true]) {
    const parse = (a: string): Uint8Array => (six || a.includes(':') ? v6(a) : v4(a));
    interface JRoute { type?: string; dst: string; table?: string; dev?: string; gateway?: string; via?: { host: string }; metric?: number; prefsrc?: string }
    const kernel = (JSON.parse(netns.run('ip', [six ? '-6' : '-4', '-j', 'route', 'show', 'table', 'all'])) as JRoute[])
      .filter((r) => !(six && /^fe80::./.test(r.dst) && (r.type === 'local' || r.type === 'anycast')))
      .map((r) => {
        const [a, l] = r.dst === 'default' ? [six ? '::' : '0.0.0.0', six ? 0 : 0] : r.dst.includes('/') ? [r.dst.split('/')[0]!, Number(r.dst.split('/')[1])] : [r.dst, six ? 128 : 32];
        const type = TYPES[r.type ?? 'unicast']!;
        const reject = FIB_TYPE_ERROR[type] !== undefined;
        const gw = r.gateway ?? r.via?.host;
        return [type, r.table === undefined ? RT_TABLE.MAIN : (TABLES[r.table] ?? Number(r.table)), hex(parse(a)), l, reject ? '-' : r.dev, gw === undefined ? '-' : hex(parse(gw)), r.metric ?? 0, r.prefsrc === undefined ? '-' : hex(parse(r.prefsrc))].join(' ');
      }).sort();
    const model = ns.fib.liveRoutes(six ? AF.INET6 : AF.INET).map((r) => [r.type, r.table, hex(r.dst), r.prefixLen, r.dev?.name ?? '-', hex(r.gateway), r.metric, hex(r.prefsrc)].join(' ')).sort();
    expect(model, six ? 'IPv6' : 'IPv4').toEqual(kernel);
  }
}

describe.skipIf(!ok)(`bpf_fib_lookup / bpf_check_mtu agree with the kernel in a configured namespace (kernel: ${ok ? 'available' : reason})`, () => {
  let netns: Netns;
  let kern: BpfOracle;
  let kprogs: Map<string, number>;
  const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(3) });
  ns.loopback.setUp(true);
  const sys = tcBpfSyscall();
  const file = `${PROGS_DIR}fib_lookup.o`;
  const obj = loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file });
  const loaded = instantiateObject(sys, obj);
  const runner = new TcTestRunner(sys, { ns });

  beforeAll(async () => {
    netns = new Netns('fib');
    const dev = (n: string): NetDevice => ns.getByName(n)!;
    for (const s of STEPS) {
      netns.run(s.cmd[0]!, s.cmd.slice(1));
      s.model(ns, dev);
    }
    kern = bpfOracleIn(netns);
    kprogs = (await loadIntoKernel(kern, obj)).programs;
  });
  afterAll(() => {
    kern?.close();
    netns?.close();
  });

  async function compare(prog: string, qs: readonly Query[]): Promise<{ agree: number; total: number; codes: Map<number, number> }> {
    const fd = loaded.programs.get(prog)!;
    const kfd = kprogs.get(prog)!;
    const codes = new Map<number, number>();
    const diffs: string[] = [];
    for (const q of qs) {
      const kr = must(await kern.testRun(kfd, q.frame, q.frame.length + 64), q.what);
      const tr = runner.run(fd, { dataIn: q.frame, dataSizeOut: q.frame.length + 64 });
      const kdata = Buffer.from(kr.dataOut).toString('hex');
      const tdata = Buffer.from(tr.dataOut!).toString('hex');
      codes.set(kr.retval | 0, (codes.get(kr.retval | 0) ?? 0) + 1);
      if (kr.retval !== tr.retval || kdata !== tdata) diffs.push(`${q.what}: kernel ${kr.retval | 0} ${kdata.slice(28, 28 + 136)} tcbpf ${tr.retval | 0} ${tdata.slice(28, 28 + 136)}`);
    }
    expect(diffs).toEqual([]);
    return { agree: qs.length - diffs.length, total: qs.length, codes };
  }

  it('the model lists the same routes as the kernel, field by field (ip -j route show table all)', () => {
    expectSameRoutes(netns, ns);
  });

  it('the model lists the same addresses as the kernel, in order (ip -j addr show: family, address, prefix, scope, secondary)', () => {
    interface JAddr { family: string; local: string; prefixlen: number; scope: string; secondary?: boolean }
    interface JLink { ifname: string; addr_info: JAddr[] }
    const SCOPES: Readonly<Record<string, number>> = { global: 0, link: 253, host: 254 };
    // the kernel's own fe80::EUI-64 link-local addresses are left out (the model makes none)
    const kernel = (JSON.parse(netns.run('ip', ['-j', 'addr', 'show'])) as JLink[]).flatMap((l) => l.addr_info
      .filter((a) => !a.local.startsWith('fe80:'))
      .map((a) => `${l.ifname} ${a.family === 'inet' ? AF.INET : AF.INET6} ${Buffer.from(a.family === 'inet' ? v4(a.local) : v6(a.local)).toString('hex')}/${a.prefixlen} ${SCOPES[a.scope]} ${a.secondary === true}`));
    // ip addr lists IPv4 then IPv6 addresses per device; the model keeps one list per namespace
    const model = ns.devices().flatMap((d) => [...ns.fib.addresses(AF.INET, d), ...ns.fib.addresses(AF.INET6, d)]
      .filter((a) => a.family === AF.INET || d.isUp())
      .map((a) => `${d.name} ${a.family} ${Buffer.from(a.local).toString('hex')}/${a.prefixLen} ${a.scope} ${a.secondary}`));
    expect(model).toEqual(kernel);
  });

  it('the model lists the same neighbours as the kernel (ip -j neigh show: device, address, lladdr, state)', () => {
    const NUDS: Readonly<Record<string, number>> = { PERMANENT: NUD.PERMANENT, REACHABLE: NUD.REACHABLE, STALE: NUD.STALE, NOARP: NUD.NOARP, DELAY: NUD.DELAY, PROBE: NUD.PROBE };
    interface JNeigh { dst: string; dev: string; lladdr?: string; state: string[] }
    // the kernel's own MLD/ND traffic leaves NOARP entries for IPv6 multicast groups; the model sends no traffic
    const kernel = (JSON.parse(netns.run('ip', ['-j', 'neigh', 'show', 'nud', 'all'])) as JNeigh[])
      .filter((n) => !n.dst.startsWith('ff0'))
      .map((n) => `${n.dev} ${Buffer.from(n.dst.includes(':') ? v6(n.dst) : v4(n.dst)).toString('hex')} ${n.lladdr ?? '-'} ${n.state.map((x) => NUDS[x] ?? x).join(',')}`).sort();
    const model = ns.fib.neighbours().map((n) => `${n.dev.name} ${Buffer.from(n.addr).toString('hex')} ${n.lladdr === null ? '-' : [...n.lladdr].map((b) => b.toString(16).padStart(2, '0')).join(':')} ${n.state}`).sort();
    expect(model).toEqual(kernel);
  });

  it('the model lists the same routes as the kernel (ip route show table all, unicast/local/broadcast/blackhole...)', () => {
    const kernel4 = netns.run('ip', ['-4', 'route', 'show', 'table', 'all']).trim().split('\n').length;
    // the kernel's own link-local addresses (fe80::EUI-64) have local and anycast routes; the model has no link-local addresses
    const kernel6 = netns.run('ip', ['-6', 'route', 'show', 'table', 'all']).trim().split('\n').filter((l) => !/^(local|anycast) fe80::/.test(l)).length;
    // routes of a device that is down are dead in the model (the kernel deletes them)
    expect(ns.fib.liveRoutes(AF.INET).length).toBe(kernel4);
    expect(ns.fib.liveRoutes(AF.INET6).length).toBe(kernel6);
  });

  it('bpf_fib_lookup: return code and the whole struct for every query (IPv4 and IPv6, all flags)', async () => {
    const qs = queries();
    const r = await compare('fib_probe', qs);
    expect(r.total).toBeGreaterThan(500);
    console.log(`fib_lookup: ${r.agree}/${r.total} queries agree; return codes ${[...r.codes].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ')}`);
    // the queries reach every outcome the model has
    for (const c of [0, 1, 2, 3, 4, 5, 7, 8, -19, -22, -97]) expect(r.codes.get(c) ?? 0, `return code ${c}`).toBeGreaterThan(0);
  }, 60_000);

  it('bpf_fib_lookup with a params size below 64 is -EINVAL', async () => {
    const f = fibFrame(AF.INET, v4('10.1.0.2'), 10, 0, 0, 0, 0, 82);
    await compare('fib_short', [{ frame: f, what: 'short' }]);
  });

  it('bpf_check_mtu and bpf_fib_lookup on GSO skbs (ctx_in gso_size): SEGS validation, forwardable', async () => {
    const diffs: string[] = [];
    let n = 0;
    for (const gso of [0, 500, 1400, 1500, 1600, 9000]) {
      for (const q of [...mtuQueries().filter((x) => x.frame.length > 1000), ...queries().filter((x) => x.frame.length > 1000).slice(0, 40)]) {
        const prog = q.what.startsWith('check_mtu') ? 'mtu_probe' : 'fib_probe';
        const ctx = new Uint8Array(192);
        new DataView(ctx.buffer).setUint32(SKB_OFF.gso_size, gso, true);
        new DataView(ctx.buffer).setUint32(SKB_OFF.gso_segs, gso === 0 ? 0 : 2, true);
        const kr = must(await kern.testRun(kprogs.get(prog)!, q.frame, q.frame.length + 64, ctx, 192));
        const tr = runner.run(loaded.programs.get(prog)!, { dataIn: q.frame, dataSizeOut: q.frame.length + 64, ctxIn: ctx, ctxSizeOut: 192 });
        n++;
        if (kr.retval !== tr.retval || Buffer.compare(kr.dataOut, tr.dataOut!) !== 0) diffs.push(`gso ${gso} ${q.what}: kernel ${kr.retval | 0} tcbpf ${tr.retval | 0}`);
      }
    }
    expect(diffs).toEqual([]);
    console.log(`GSO: ${n}/${n} check_mtu/fib_lookup runs agree`);
  }, 60_000);

  it('bpf_check_mtu: return code and mtu_len for devices, lengths, len_diff and flags', async () => {
    const r = await compare('mtu_probe', mtuQueries());
    console.log(`check_mtu: ${r.agree}/${r.total} queries agree`);
    for (const c of [0, 1, -19, -22]) expect(r.codes.get(c) ?? 0, `return code ${c}`).toBeGreaterThan(0);
  }, 30_000);
});

/** A random routing table (seeded): prefixes of 10.0.0.0/8 / 2001:db8::/32 with random lengths, gateways, types and metrics. */
function randomSteps(seed: number): Step[] {
  const prng = new Prng(seed);
  const r = (n: number): number => prng.u32() % n;
  const steps: Step[] = [...STEPS.slice(0, 6 + 6 + 4)]; // devices, links up, forwarding sysctls
  steps.push(
    { cmd: ['ip', 'addr', 'add', '10.1.0.1/24', 'dev', 'v0'], model: (ns, d) => ns.fib.addAddress(AF.INET, d('v0'), { local: v4('10.1.0.1'), prefixLen: 24 }) },
    { cmd: ['ip', 'addr', 'add', '10.2.0.1/24', 'dev', 'v2'], model: (ns, d) => ns.fib.addAddress(AF.INET, d('v2'), { local: v4('10.2.0.1'), prefixLen: 24 }) },
    { cmd: ['ip', '-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', 'v0', 'nodad'], model: (ns, d) => ns.fib.addAddress(AF.INET6, d('v0'), { local: v6('2001:db8:1::1'), prefixLen: 64 }) },
    { cmd: ['ip', '-6', 'addr', 'add', '2001:db8:2::1/64', 'dev', 'v2', 'nodad'], model: (ns, d) => ns.fib.addAddress(AF.INET6, d('v2'), { local: v6('2001:db8:2::1'), prefixLen: 64 }) },
  );
  for (let i = 0; i < 40; i++) {
    const plen = 8 + r(23);
    const a = Uint8Array.of(10, r(4) === 0 ? r(3) : r(256), r(256), r(256));
    for (let b = plen; b < 32; b++) a[b >>> 3] = a[b >>> 3]! & ~(0x80 >>> (b & 7));
    const pfx = `${a.join('.')}/${plen}`;
    const kind = r(10);
    const metric = String(r(3) * 10);
    const args = kind === 0 ? ['blackhole', pfx] : kind === 1 ? ['unreachable', pfx] : kind === 2 ? [pfx, 'dev', r(2) === 0 ? 'v0' : 'v2', 'metric', metric]
      : [pfx, 'via', r(2) === 0 ? `10.1.0.${2 + r(4)}` : `10.2.0.${2 + r(4)}`, 'metric', metric];
    steps.push({ cmd: ['ip', 'route', 'add', ...args], model: (ns, d) => ns.fib.addRoute(route4(args, d)) });
  }
  for (let i = 0; i < 25; i++) {
    const plen = 32 + r(33);
    const a = v6(`2001:db8:${(r(4) + 8).toString(16)}${r(16).toString(16)}${r(16).toString(16)}:${r(65536).toString(16)}::`);
    for (let b = plen; b < 128; b++) a[b >>> 3] = a[b >>> 3]! & ~(0x80 >>> (b & 7));
    const words: string[] = [];
    for (let w = 0; w < 8; w++) words.push(((a[2 * w]! << 8) | a[2 * w + 1]!).toString(16));
    const pfx = `${words.join(':')}/${plen}`;
    const kind = r(8);
    const args = kind === 0 ? ['blackhole', pfx] : kind === 1 ? ['prohibit', pfx]
      : [pfx, 'via', r(2) === 0 ? `2001:db8:1::${2 + r(3)}` : `2001:db8:2::${2 + r(3)}`, 'dev', 'v0', 'metric', String(1024 + r(2))];
    if (args[3] === 'dev' && args[2]!.startsWith('2001:db8:2::')) args[4] = 'v2';
    steps.push({ cmd: ['ip', '-6', 'route', 'add', ...args], model: (ns, d) => ns.fib.addRoute(route6(args, d)) });
  }
  for (let i = 2; i < 6; i++) {
    const st = ['permanent', 'reachable', 'stale', 'noarp'][r(4)]!;
    for (const [n, a, fam] of [['v0', `10.1.0.${i}`, 4], ['v2', `10.2.0.${i}`, 4], ['v0', `2001:db8:1::${i}`, 6], ['v2', `2001:db8:2::${i}`, 6]] as const) {
      if (r(3) === 0) continue;
      const m = 0x40 + i * 4 + (n === 'v2' ? 1 : 0) + (fam === 6 ? 2 : 0);
      steps.push({
        cmd: ['ip', ...(fam === 6 ? ['-6'] : []), 'neigh', 'add', a, 'lladdr', macStr(m), 'dev', n, 'nud', st],
        model: (ns, d) => ns.fib.setNeighbour(fam === 6 ? AF.INET6 : AF.INET, d(n), fam === 6 ? v6(a) : v4(a), mac(m), nud(st)),
      });
    }
  }
  return steps;
}

describe.skipIf(!ok)(`bpf_fib_lookup on random routing tables agrees with the kernel (kernel: ${ok ? 'available' : reason})`, () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: the same routes are accepted and refused, listed alike, and 300 lookups agree`, async () => {
      const netns = new Netns('fibr');
      let kern: BpfOracle | undefined;
      try {
        const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(seed) });
        ns.loopback.setUp(true);
        const dev = (n: string): NetDevice => ns.getByName(n)!;
        let refused = 0;
        for (const s of randomSteps(seed)) {
          const kr = netns.tryRun(s.cmd[0]!, s.cmd.slice(1));
          let modelOk = true;
          try {
            s.model(ns, dev);
          } catch {
            modelOk = false;
          }
          expect(modelOk, `${s.cmd.join(' ')}: kernel ${kr.status === 0 ? 'accepted' : `refused (${kr.stderr.trim()})`}`).toBe(kr.status === 0);
          if (kr.status !== 0) refused++;
        }
        expectSameRoutes(netns, ns);
        const sys = tcBpfSyscall();
        const file = `${PROGS_DIR}fib_lookup.o`;
        const obj = loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file });
        const fd = instantiateObject(sys, obj).programs.get('fib_probe')!;
        const runner = new TcTestRunner(sys, { ns });
        kern = bpfOracleIn(netns);
        const kfd = (await loadIntoKernel(kern, obj)).programs.get('fib_probe')!;
        const prng = new Prng(seed * 7919);
        const diffs: string[] = [];
        const codes = new Map<number, number>();
        for (let i = 0; i < 300; i++) {
          const six = prng.u32() % 3 === 0;
          const dst = six ? v6(`2001:db8:${(prng.u32() % 4 + 8).toString(16)}${(prng.u32() % 16).toString(16)}${(prng.u32() % 16).toString(16)}:${(prng.u32() % 65536).toString(16)}::${(prng.u32() % 65536).toString(16)}`)
            : Uint8Array.of(10, prng.u32() % 4 === 0 ? prng.u32() % 3 : prng.u32() % 256, prng.u32() % 256, prng.u32() % 256);
          const flags = [0, 0, FL.SKIP_NEIGH, FL.SRC, FL.OUTPUT, FL.DIRECT][prng.u32() % 6]!;
          const ifi = [1, 10, 12][prng.u32() % 3]!;
          const f = fibFrame(six ? AF.INET6 : AF.INET, dst, ifi, flags, prng.u32() % 4 === 0 ? 1400 + (prng.u32() % 200) : 0, 0, 0, 82);
          const kr = must(await kern.testRun(kfd, f, 200));
          const tr = runner.run(fd, { dataIn: f, dataSizeOut: 200 });
          const kd = Buffer.from(kr.dataOut).toString('hex');
          const td = Buffer.from(tr.dataOut!).toString('hex');
          codes.set(kr.retval | 0, (codes.get(kr.retval | 0) ?? 0) + 1);
          if (kr.retval !== tr.retval || kd !== td) diffs.push(`${Buffer.from(dst).toString('hex')} if${ifi} flags${flags}: kernel ${kr.retval | 0} ${kd.slice(28, 164)} tcbpf ${tr.retval | 0} ${td.slice(28, 164)}`);
        }
        expect(diffs).toEqual([]);
        console.log(`seed ${seed}: ${refused} route commands refused by both; 300/300 lookups agree; return codes ${[...codes].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ')}`);
        expect(refused).toBeLessThan(20);
        expect(codes.get(0) ?? 0).toBeGreaterThan(20);
      } finally {
        kern?.close();
        netns.close();
      }
    }, 60_000);
  }
});
