// IPv4 forwarding in scenarios: ip addr/route/neigh and sysctl lines on the
// namespace's routing model, the forwarded frame (TTL, checksum, MAC header,
// priority from the TOS), the drop reasons, `ip route show`, the errors of bad
// lines, and fuzz tests of the ip command parser and of arbitrary IPv4 packets
// through the router (never an exception other than ScenarioError / none).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFrame, decodeCapture } from '@tcbpf/skb';
import { fuzzRuns } from '@tcbpf/testing';
import { Scenario, ScenarioError, runScenario, type TraceEntry } from '../src/index.js';

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcbpf-fwd-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const mac = (last: number): Uint8Array => Uint8Array.of(2, 0, 0, 0, 0, last);
const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const udp = (to: string, o: { ttl?: number; tos?: number; dst?: number } = {}): string => hex(buildFrame({
  dst: mac(o.dst ?? 0x10), src: mac(0x0a),
  l3: { kind: 'ipv4', src: ip('10.1.0.2'), dst: ip(to), ttl: o.ttl ?? 64, tos: o.tos ?? 0, df: true, l4: { kind: 'udp', sport: 4000, dport: 5000, payload: new Uint8Array(10) } },
}));

const TOPO = [
  'ip netns add a',
  'ip netns add r',
  'ip netns add b',
  'ip -n a link add a0 address 02:00:00:00:00:0a type veth peer name r0 address 02:00:00:00:00:10 netns r',
  'ip -n r link add r1 address 02:00:00:00:00:11 type veth peer name b0 address 02:00:00:00:00:0b netns b',
  'ip -n a link set a0 up',
  'ip -n r link set r0 up',
  'ip -n r link set r1 up',
  'ip -n b link set b0 up',
  'ip -n r addr add 10.1.0.1/24 dev r0',
  'ip -n r addr add 10.2.0.1/24 dev r1',
  'ip -n r neigh add 10.2.0.2 lladdr 02:00:00:00:00:0b dev r1',
];

function run(lines: readonly string[], name = 'fwd'): { trace: TraceEntry[]; shows: string[]; drops: Record<string, number>; forwarded: number; out: string } {
  const trace: TraceEntry[] = [];
  const shows: string[] = [];
  const out = join(tmp, name);
  const r = runScenario(`${name}.tcbpf`, lines.join('\n'), { outDir: out, inDir: tmp, trace: (e) => trace.push(e), print: (s) => shows.push(s) });
  return { trace, shows, drops: { ...r.dropped }, forwarded: r.forwarded, out };
}

describe('IPv4 forwarding', () => {
  it('forwards with TTL - 1, a valid checksum, the neighbour\'s MAC and the priority of the TOS', () => {
    const r = run([...TOPO, 'ip netns exec r sysctl -w net.ipv4.ip_forward=1', 'capture -n b dev b0 rx b0.pcap', `send -n a dev a0 egress ${udp('10.2.0.2', { tos: 0x10 })}`], 'ok');
    expect(r.forwarded).toBe(1);
    expect(r.drops).toEqual({});
    const pkts = [...decodeCapture([readFileSync(join(r.out, 'b0.pcap'))])];
    expect(pkts.length).toBe(1);
    const f = pkts[0]!.data;
    expect(hex(f.subarray(0, 12))).toBe('02000000000b020000000011'); // b0's MAC, then r1's
    expect(f[14 + 8]).toBe(63);
    let sum = 0;
    const v = new DataView(f.buffer, f.byteOffset);
    for (let i = 0; i < 20; i += 2) sum += v.getUint16(14 + i, false);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    // IPTOS_LOWDELAY (0x10) → TC_PRIO_INTERACTIVE (6) at r1's transmission
    expect(r.trace.find((e) => e.event === 'tx' && e.dev === 'r1')?.priority).toBe('0:6');
    expect(r.trace.find((e) => e.event === 'forward')).toMatchObject({ ns: 'r', dev: 'r0', out: 'r1' });
  });

  it('drops with the kernel\'s reasons', () => {
    const r = run([
      ...TOPO,
      'ip -n r route add blackhole 10.5.0.0/16',
      `send -n a dev a0 egress ${udp('10.2.0.2')}`, // forwarding off: IP_INADDRERRORS
      'ip netns exec r sysctl -w net.ipv4.ip_forward=1',
      `send -n a dev a0 egress ${udp('10.9.0.1')}`,
      `send -n a dev a0 egress ${udp('10.2.0.2', { ttl: 1 })}`,
      `send -n a dev a0 egress ${udp('10.5.0.1')}`,
      `send -n a dev a0 egress ${udp('10.2.0.9')}`,
      `send -n a dev a0 egress ${udp('10.2.0.2', { dst: 0x99 })}`,
    ], 'drops');
    expect(r.trace.filter((e) => e.event === 'drop').map((e) => e.reason)).toEqual(['IP_INADDRERRORS', 'IP_INNOROUTES', 'IP_INHDR', 'NOT_SPECIFIED', 'NEIGH_FAILED', 'OTHERHOST']);
    expect(r.forwarded).toBe(0);
  });

  it('ip route show prints like iproute2 (kernel routes, gateways, types, metrics)', () => {
    const r = run([
      ...TOPO,
      'ip -n r route add default via 10.1.0.2 metric 100',
      'ip -n r route add 10.3.0.0/16 via 10.2.0.2',
      'ip -n r route add unreachable 10.8.0.0/16',
      'ip -n r route add 192.168.0.0/24 dev r1',
      'ip -n r route show',
      'ip -n r route del 10.3.0.0/16',
      'ip -n r route show',
    ], 'show');
    expect(r.shows[0]).toBe([
      'default via 10.1.0.2 dev r0 metric 100 ',
      '10.1.0.0/24 dev r0 proto kernel scope link src 10.1.0.1 ',
      '10.2.0.0/24 dev r1 proto kernel scope link src 10.2.0.1 ',
      '10.3.0.0/16 via 10.2.0.2 dev r1 ',
      'unreachable 10.8.0.0/16 ',
      '192.168.0.0/24 dev r1 scope link ',
      '',
    ].join('\n'));
    expect(r.shows[1]).not.toContain('10.3.0.0/16');
  });

  it('ip route show leaves out the routes of a device that is down (the kernel deletes them)', () => {
    const r = run([...TOPO, 'ip -n r route add 10.3.0.0/16 via 10.2.0.2', 'ip -n r link set r1 down', 'ip -n r route show'], 'down');
    expect(r.shows[0]).toBe('10.1.0.0/24 dev r0 proto kernel scope link src 10.1.0.1 \n');
  });

  it('bad ip lines: file:line:col with iproute2\'s text or the kernel\'s errno', () => {
    const fail = (l: string): string => {
      try {
        run([...TOPO, l], 'bad');
      } catch (e) {
        if (e instanceof ScenarioError) return e.message;
        throw e;
      }
      return 'no error';
    };
    expect(fail('ip -n r route del 10.7.0.0/16')).toBe('bad.tcbpf:13:1: RTNETLINK answers: No such process (ESRCH)');
    expect(fail('ip -n r addr add 10.1.0.1/24 dev r0')).toMatch(/^bad\.tcbpf:13:1: .* \(EEXIST\)$/);
    expect(fail('ip -n r route add 10.1.0/33 dev r0')).toBe('bad.tcbpf:13:19: Error: any valid prefix is expected rather than "10.1.0/33".');
    expect(fail('ip -n r neigh add 10.2.0.3 lladdr 02:zz dev r1')).toBe('bad.tcbpf:13:35: "02:zz" is invalid lladdr.');
    expect(fail('ip -n r addr add 10.1.0.5/24 dev nope')).toBe('bad.tcbpf:13:34: Cannot find device "nope"');
  });
});

const WORDS = ['ip', '-n', 'r', 'addr', 'route', 'neigh', 'add', 'del', 'replace', 'show', 'dev', 'r0', 'r1', 'via', 'lladdr', 'nud', 'permanent',
  '10.1.0.1/24', '10.2.0.0/16', '10.2.0.2', 'default', 'metric', '5', 'table', 'main', '7', 'blackhole', 'unreachable', 'mtu', 'lock', '1000', 'src',
  '02:00:00:00:00:01', 'onlink', 'scope', 'link', 'proto', 'static', 'broadcast', '1.2.3', '300.1.1.1', '/', 'x'];

test.prop([fc.array(fc.array(fc.constantFrom(...WORDS), { maxLength: 10 }), { maxLength: 8 })], { numRuns: fuzzRuns(200, 20000) })(
  'fuzz: random ip addr/route/neigh lines either apply or raise a ScenarioError',
  (lines) => {
    const sc = new Scenario({ outDir: tmp, inDir: tmp });
    TOPO.forEach((l, i) => sc.exec('f', i + 1, l));
    for (const [i, ws] of lines.entries()) {
      try {
        sc.exec('f', i + 100, ws.join(' '));
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
      }
    }
    sc.finish();
  },
);

test.prop([fc.uint8Array({ minLength: 14, maxLength: 120 }), fc.boolean()], { numRuns: fuzzRuns(300, 30000) })(
  'fuzz: arbitrary frames into the router (IPv4 EtherType, its MAC) are forwarded, delivered or dropped, never throw',
  (bytes, fix) => {
    const f = Uint8Array.from(bytes);
    f.set(mac(0x10), 0);
    f[12] = 0x08;
    f[13] = 0x00;
    if (fix && f.length >= 34) {
      // a plausible header some of the time: version 4, ihl 5, a routable destination
      f[14] = 0x45;
      f.set(ip('10.2.0.2'), 30);
    }
    const sc = new Scenario({ outDir: tmp, inDir: tmp });
    [...TOPO, 'ip netns exec r sysctl -w net.ipv4.ip_forward=1'].forEach((l, i) => sc.exec('f', i + 1, l));
    sc.exec('f', 99, `send -n a dev a0 egress ${hex(f)}`);
    const r = sc.finish();
    expect(r.packets).toBe(1);
  },
);
