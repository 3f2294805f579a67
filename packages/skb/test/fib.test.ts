import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { KernelError, Prng, SimClock } from '@tcbpf/base';
import { fuzzRuns } from '@tcbpf/testing';
import { AF, NUD, RTN, RT_SCOPE, RT_TABLE } from '@tcbpf/uapi';
import { FIB_TYPE_ERROR, NetNamespace, type FibRoute } from '../src/index.js';

function mkNs(): NetNamespace {
  const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(7) });
  ns.loopback.setUp(true);
  return ns;
}
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
function errnoOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (KernelError.isInstance(e)) return (e).errno;
    throw e;
  }
  return 'none';
}
const show = (r: FibRoute | null): string => (r === null ? 'none' : `${r.table}/${r.type}/${r.dst.join('.')}/${r.prefixLen}/${r.dev?.name ?? '-'}/${r.metric}`);

describe('Fib: IPv4', () => {
  it('makes the kernel routes of an address (local, prefix, subnet broadcast), as `ip route show table all` lists them', () => {
    const ns = mkNs();
    const [a] = ns.addVeth('v0', 'v1');
    a.setUp(true);
    ns.fib.addAddress(AF.INET, a, { local: v4('10.9.0.1'), prefixLen: 24 });
    ns.fib.addAddress(AF.INET, a, { local: v4('10.9.0.7'), prefixLen: 24 });
    const rs = ns.fib.routes(AF.INET).map((r) => `${r.table} ${r.type} ${r.dst.join('.')}/${r.prefixLen} ${r.dev?.name} ${r.prefsrc?.join('.')}`);
    expect(rs.sort()).toEqual([
      '254 1 10.9.0.0/24 v0 10.9.0.1',
      '255 2 10.9.0.1/32 v0 10.9.0.1',
      '255 2 10.9.0.7/32 v0 10.9.0.1',
      '255 2 127.0.0.0/8 lo 127.0.0.1',
      '255 2 127.0.0.1/32 lo 127.0.0.1',
      '255 3 10.9.0.255/32 v0 10.9.0.1',
      '255 3 127.255.255.255/32 lo 127.0.0.1',
    ]);
    expect(ns.fib.addresses(AF.INET, a).map((x) => x.secondary)).toEqual([false, true]);
  });

  it('longest prefix first, metric order, oif filter, reject types, throw falls through to table default', () => {
    const ns = mkNs();
    const [a, b] = ns.addVeth('v0', 'v1');
    a.setUp(true);
    b.setUp(true);
    ns.fib.addAddress(AF.INET, a, { local: v4('10.1.0.1'), prefixLen: 24 });
    ns.fib.addAddress(AF.INET, b, { local: v4('10.2.0.1'), prefixLen: 24 });
    ns.fib.addRoute({ family: AF.INET, dst: v4('0.0.0.0'), prefixLen: 0, gateway: v4('10.1.0.254') });
    ns.fib.addRoute({ family: AF.INET, dst: v4('192.168.0.0'), prefixLen: 16, gateway: v4('10.2.0.254'), metric: 10 });
    ns.fib.addRoute({ family: AF.INET, dst: v4('192.168.0.0'), prefixLen: 16, gateway: v4('10.1.0.254'), metric: 5 });
    ns.fib.addRoute({ family: AF.INET, dst: v4('192.168.7.0'), prefixLen: 24, type: RTN.BLACKHOLE });
    ns.fib.addRoute({ family: AF.INET, dst: v4('172.16.0.0'), prefixLen: 12, type: RTN.THROW });
    ns.fib.addRoute({ family: AF.INET, dst: v4('172.16.0.0'), prefixLen: 12, gateway: v4('10.2.0.9'), table: RT_TABLE.DEFAULT });
    const look = (d: string, oif = 0, table = -1): string => show(ns.fib.lookup(AF.INET, v4(d), 0, oif, table));
    expect(look('192.168.1.1')).toBe('254/1/192.168.0.0/16/v0/5');
    expect(look('192.168.1.1', b.ifindex)).toBe('254/1/192.168.0.0/16/v1/10');
    expect(look('192.168.7.7', b.ifindex)).toBe('254/6/192.168.7.0/24/-/0');
    expect(FIB_TYPE_ERROR[RTN.BLACKHOLE]).toBe(-22);
    expect(look('8.8.8.8')).toBe('254/1/0.0.0.0/0/v0/0');
    expect(look('8.8.8.8', b.ifindex)).toBe('none');
    expect(look('10.1.0.1')).toBe('255/2/10.1.0.1/32/v0/0');
    expect(look('10.1.0.255')).toBe('255/3/10.1.0.255/32/v0/0');
    expect(look('172.16.3.3')).toBe('253/1/172.16.0.0/12/v1/0');
    expect(look('172.16.3.3', 0, RT_TABLE.MAIN)).toBe('254/9/172.16.0.0/12/-/0');
    expect(look('8.8.8.8', 0, 1234)).toBe('none');
    expect(ns.fib.hasTable(AF.INET, RT_TABLE.DEFAULT)).toBe(true);
    // a device that goes down: its nexthops are dead, the local route stays
    a.setUp(false);
    expect(look('192.168.1.1')).toBe('254/1/192.168.0.0/16/v1/10');
    expect(look('10.1.0.1')).toBe('255/2/10.1.0.1/32/v0/0');
    expect(look('10.1.0.9')).toBe('none');
  });

  it('configuration errors carry the kernel errno and extack, nothing half-applied', () => {
    const ns = mkNs();
    const [a, b] = ns.addVeth('v0', 'v1');
    b.setUp(true);
    expect(errnoOf(() => ns.fib.addRoute({ family: AF.INET, dst: v4('10.0.0.1'), prefixLen: 24, dev: a }))).toBe('EINVAL');
    expect(errnoOf(() => ns.fib.addRoute({ family: AF.INET, dst: v4('10.0.0.0'), prefixLen: 24, dev: a }))).toBe('ENETDOWN');
    a.setUp(true);
    expect(errnoOf(() => ns.fib.addRoute({ family: AF.INET, dst: v4('10.0.0.0'), prefixLen: 24, gateway: v4('10.5.5.5') }))).toBe('ENETUNREACH');
    ns.fib.addRoute({ family: AF.INET, dst: v4('10.0.0.0'), prefixLen: 24, dev: a });
    expect(errnoOf(() => ns.fib.addRoute({ family: AF.INET, dst: v4('10.0.0.0'), prefixLen: 24, dev: a }))).toBe('EEXIST');
    ns.fib.addRoute({ family: AF.INET, dst: v4('10.0.0.0'), prefixLen: 24, dev: a, mtu: 1400, mtuLock: true }, 'replace');
    expect(ns.fib.routes(AF.INET, RT_TABLE.MAIN).length).toBe(1);
    expect(ns.fib.routeMtu(ns.fib.lookup(AF.INET, v4('10.0.0.3'), 0, 0, -1)!)).toBe(1400);
    expect(errnoOf(() => ns.fib.deleteRoute({ family: AF.INET, dst: v4('10.0.1.0'), prefixLen: 24 }))).toBe('ESRCH');
    expect(errnoOf(() => ns.fib.addAddress(AF.INET, a, { local: v4('10.0.0.1'), prefixLen: 33 }))).toBe('EINVAL');
    ns.fib.addAddress(AF.INET, a, { local: v4('10.0.0.1'), prefixLen: 24 });
    expect(errnoOf(() => ns.fib.addAddress(AF.INET, a, { local: v4('10.0.0.1'), prefixLen: 24 }))).toBe('EEXIST');
    expect(errnoOf(() => ns.fib.deleteAddress(AF.INET, a, v4('10.0.0.2')))).toBe('EADDRNOTAVAIL');
    expect(errnoOf(() => ns.fib.setNeighbour(AF.INET, a, v4('10.0.0.2'), null, NUD.PERMANENT))).toBe('EINVAL');
    ns.fib.setNeighbour(AF.INET, a, v4('10.0.0.2'), Uint8Array.of(2, 0, 0, 0, 0, 2), NUD.REACHABLE);
    expect(errnoOf(() => ns.fib.setNeighbour(AF.INET, a, v4('10.0.0.2'), Uint8Array.of(2, 0, 0, 0, 0, 3), NUD.STALE))).toBe('EEXIST');
    ns.fib.setNeighbour(AF.INET, a, v4('10.0.0.2'), Uint8Array.of(2, 0, 0, 0, 0, 3), NUD.STALE, 'replace');
    expect(ns.fib.neighbour(AF.INET, a, v4('10.0.0.2'), 0)?.lladdr).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 3));
    ns.fib.deleteNeighbour(AF.INET, a, v4('10.0.0.2'));
    expect(ns.fib.neighbours()).toEqual([]);
    // routes through a removed device disappear
    ns.removeDevice(a);
    expect(ns.fib.routes(AF.INET, RT_TABLE.MAIN)).toEqual([]);
  });

  it('neighbours: a device that goes down loses all entries, one without carrier its non-permanent ones (as the kernel flushes them)', () => {
    const ns = mkNs();
    const [a, b] = ns.addVeth('v0', 'v1');
    a.setUp(true);
    b.setUp(true);
    ns.fib.setNeighbour(AF.INET, a, v4('10.0.0.2'), Uint8Array.of(2, 0, 0, 0, 0, 2), NUD.REACHABLE);
    ns.fib.setNeighbour(AF.INET, a, v4('10.0.0.3'), Uint8Array.of(2, 0, 0, 0, 0, 3), NUD.PERMANENT);
    expect(ns.fib.neighbours(AF.INET, a).length).toBe(2);
    b.setUp(false);
    expect(ns.fib.neighbour(AF.INET, a, v4('10.0.0.2'), 0)).toBeUndefined();
    expect(ns.fib.neighbour(AF.INET, a, v4('10.0.0.3'), 0)?.state).toBe(NUD.PERMANENT);
    a.setUp(false);
    expect(ns.fib.neighbours(AF.INET, a)).toEqual([]);
    // while hidden, the entry counts as flushed: `ip neigh add` creates it again
    ns.fib.setNeighbour(AF.INET, a, v4('10.0.0.2'), Uint8Array.of(2, 0, 0, 0, 0, 4), NUD.STALE);
    a.setUp(true);
    b.setUp(true);
    expect(ns.fib.neighbour(AF.INET, a, v4('10.0.0.2'), 0)?.lladdr).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 4));
  });

  it('forwarding sysctls: all sets every device, default only later ones', () => {
    const ns = mkNs();
    const [a] = ns.addVeth('v0', 'v1');
    expect(ns.fib.forwarding(AF.INET, a)).toBe(false);
    ns.fib.setForwarding(AF.INET, 'all', true);
    expect(ns.fib.forwarding(AF.INET, a)).toBe(true);
    ns.fib.setForwarding(AF.INET, a, false);
    expect(ns.fib.forwarding(AF.INET, a)).toBe(false);
    expect(ns.fib.forwarding(AF.INET6, a)).toBe(false);
    expect(ns.fib.forwardingAll(AF.INET)).toBe(true);
  });

  it('preferred source: route src, else the primary address of the device matching the gateway', () => {
    const ns = mkNs();
    const [a] = ns.addVeth('v0', 'v1');
    a.setUp(true);
    ns.fib.addAddress(AF.INET, a, { local: v4('10.1.0.1'), prefixLen: 24 });
    ns.fib.addAddress(AF.INET, a, { local: v4('10.3.0.1'), prefixLen: 24 });
    const r = ns.fib.addRoute({ family: AF.INET, dst: v4('0.0.0.0'), prefixLen: 0, gateway: v4('10.3.0.254') });
    const out = new Uint8Array(4);
    ns.fib.preferredSource(r, v4('8.8.8.8'), 0, out, 0);
    expect(out).toEqual(v4('10.3.0.1'));
    const r2 = ns.fib.addRoute({ family: AF.INET, dst: v4('9.0.0.0'), prefixLen: 8, gateway: v4('10.3.0.254'), prefsrc: v4('10.1.0.1') });
    ns.fib.preferredSource(r2, v4('9.9.9.9'), 0, out, 0);
    expect(out).toEqual(v4('10.1.0.1'));
  });
});

describe('Fib: IPv6', () => {
  it('local table first, then main; anycast while forwarding; lowest live metric; backtracking', () => {
    const ns = mkNs();
    const [a, b] = ns.addVeth('v0', 'v1');
    a.setUp(true);
    b.setUp(true);
    ns.fib.addAddress(AF.INET6, a, { local: v6('2001:db8:1::1'), prefixLen: 64 });
    ns.fib.addRoute({ family: AF.INET6, dst: v6('2001:db8:9::'), prefixLen: 48, gateway: v6('2001:db8:1::fe'), dev: a });
    ns.fib.addRoute({ family: AF.INET6, dst: v6('2001:db8:9::'), prefixLen: 48, gateway: v6('fe80::2'), dev: b, metric: 2000 });
    expect(errnoOf(() => ns.fib.addRoute({ family: AF.INET6, dst: v6('2001:db8:9::'), prefixLen: 48, gateway: v6('fe80::3'), dev: b, metric: 2000 }))).toBe('EEXIST');
    ns.fib.addRoute({ family: AF.INET6, dst: v6('2001:db8:9:1::'), prefixLen: 64, type: RTN.UNREACHABLE });
    const look = (d: string, oif = 0, table = -1): string => {
      const r = ns.fib.lookup(AF.INET6, v6(d), 0, oif, table);
      return r === null ? 'none' : `${r.table}/${r.type}/${r.prefixLen}/${r.dev?.name ?? '-'}`;
    };
    expect(look('2001:db8:1::1')).toBe('255/2/128/v0');
    expect(look('2001:db8:1::1', 0, RT_TABLE.MAIN)).toBe('254/1/64/v0');
    expect(look('2001:db8:1::')).toBe('254/1/64/v0');
    ns.fib.setForwarding(AF.INET6, 'all', true);
    expect(look('2001:db8:1::')).toBe('255/4/128/v0');
    expect(look('2001:db8:9::5')).toBe('254/1/48/v0');
    expect(look('2001:db8:9::5', b.ifindex)).toBe('254/1/48/v0'); // oif only ranks routes of the same metric
    expect(look('2001:db8:9:1::5', b.ifindex)).toBe('254/7/64/-');
    expect(look('ff02::1')).toBe('255/5/8/v1'); // v1 (the veth peer) registered first, as in `ip -6 route show table local`
    expect(look('2001:db8:77::1')).toBe('none');
    a.setUp(false);
    expect(look('2001:db8:9::5')).toBe('254/1/48/v1');
    const src = new Uint8Array(16);
    a.setUp(true);
    expect(ns.fib.preferredSource(ns.fib.lookup(AF.INET6, v6('2001:db8:9::5'), 0, 0, -1)!, v6('2001:db8:9::5'), 0, src, 0)).toBe(true);
    expect(src).toEqual(v6('2001:db8:1::1'));
    expect(RT_SCOPE.UNIVERSE).toBe(0);
  });
});

describe('Fib: longest-prefix properties', () => {
  const route = fc.record({ a: fc.integer({ min: 0, max: 0xffffffff }), plen: fc.integer({ min: 0, max: 32 }), metric: fc.integer({ min: 0, max: 3 }), dev: fc.integer({ min: 0, max: 1 }) });
  test.prop([fc.array(route, { maxLength: 24 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 16 }), fc.integer({ min: 0, max: 2 })], { numRuns: fuzzRuns(100, 2000) })(
    'fuzz: the route found contains the destination and no usable longer or lower-metric route does (IPv4)',
    (specs, dsts, oifSel) => {
      const ns = mkNs();
      const [a, b] = ns.addVeth('v0', 'v1');
      a.setUp(true);
      b.setUp(true);
      const devs = [a, b];
      for (const s of specs) {
        const dst = Uint8Array.of(s.a >>> 24, (s.a >>> 16) & 0xff, (s.a >>> 8) & 0xff, s.a & 0xff);
        for (let i = s.plen; i < 32; i++) dst[i >>> 3] = dst[i >>> 3]! & ~(0x80 >>> (i & 7));
        try {
          ns.fib.addRoute({ family: AF.INET, dst, prefixLen: s.plen, dev: devs[s.dev]!, metric: s.metric });
        } catch (e) {
          expect((e as KernelError).errno).toBe('EEXIST');
        }
      }
      const oif = oifSel === 0 ? 0 : devs[oifSel - 1]!.ifindex;
      const all = ns.fib.routes(AF.INET, RT_TABLE.MAIN);
      const contains = (r: FibRoute, d: Uint8Array): boolean => {
        for (let i = 0; i < r.prefixLen; i++) if (((r.dst[i >>> 3]! ^ d[i >>> 3]!) & (0x80 >>> (i & 7))) !== 0) return false;
        return true;
      };
      for (const x of dsts) {
        const d = Uint8Array.of(x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
        const r = ns.fib.lookup(AF.INET, d, 0, oif, RT_TABLE.MAIN);
        const usable = all.filter((c) => contains(c, d) && (oif === 0 || c.dev?.ifindex === oif));
        if (r === null) {
          expect(usable).toEqual([]);
          continue;
        }
        expect(contains(r, d)).toBe(true);
        for (const c of usable) {
          expect(c.prefixLen <= r.prefixLen).toBe(true);
          if (c.prefixLen === r.prefixLen) expect(c.metric >= r.metric).toBe(true);
        }
      }
    },
  );

  test.prop([
    fc.array(fc.record({ a: fc.uint8Array({ minLength: 16, maxLength: 16 }), plen: fc.integer({ min: 0, max: 128 }), metric: fc.integer({ min: 1, max: 4 }), dev: fc.integer({ min: 0, max: 1 }) }), { maxLength: 20 }),
    fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 12 }),
    fc.integer({ min: 0, max: 1 }),
  ], { numRuns: fuzzRuns(100, 2000) })(
    'fuzz: the IPv6 route found contains the destination, no usable longer prefix does, and it has the lowest usable metric of its prefix',
    (specs, dsts, downSel) => {
      const ns = mkNs();
      const [a, b] = ns.addVeth('v0', 'v1');
      a.setUp(true);
      b.setUp(true);
      const devs = [a, b];
      for (const s of specs) {
        const dst = Uint8Array.from(s.a);
        for (let i = s.plen; i < 128; i++) dst[i >>> 3] = dst[i >>> 3]! & ~(0x80 >>> (i & 7));
        try {
          ns.fib.addRoute({ family: AF.INET6, dst, prefixLen: s.plen, dev: devs[s.dev]!, metric: s.metric });
        } catch (e) {
          expect((e as KernelError).errno).toBe('EEXIST');
        }
      }
      if (downSel === 1) b.setUp(false);
      const all = ns.fib.routes(AF.INET6, RT_TABLE.MAIN).filter((r) => r.dev !== null && r.dev.isUp());
      const contains = (r: FibRoute, d: Uint8Array): boolean => {
        for (let i = 0; i < r.prefixLen; i++) if (((r.dst[i >>> 3]! ^ d[i >>> 3]!) & (0x80 >>> (i & 7))) !== 0) return false;
        return true;
      };
      for (const d of dsts) {
        const r = ns.fib.lookup(AF.INET6, d, 0, 0, RT_TABLE.MAIN);
        const usable = all.filter((c) => contains(c, d));
        if (r === null) {
          expect(usable).toEqual([]);
          continue;
        }
        expect(contains(r, d)).toBe(true);
        expect(r.dev?.isUp()).toBe(true);
        for (const c of usable) {
          expect(c.prefixLen <= r.prefixLen).toBe(true);
          if (c.prefixLen === r.prefixLen) expect(c.metric >= r.metric).toBe(true);
        }
      }
    },
  );
});
