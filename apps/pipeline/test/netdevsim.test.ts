// netdevsim in scenarios: the bus and debugfs writes, ethtool -K hw-tc-offload,
// a skip_sw cls_bpf filter offloaded to the port and run by its simulated
// hardware on frames arriving from the wire (replay/send ... ingress), the
// driver's refusals as scenario errors, and a fuzz test of the shell lines.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCapture } from '@tcbpf/skb';
import { fuzzRuns } from '@tcbpf/testing';
import { Scenario, ScenarioError, runScenario, type TraceEntry } from '../src/index.js';

const examples = join(import.meta.dirname, '..', 'examples');
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcbpf-nsim-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** ldh [12]; jeq #0x86dd → ret #2 (TC_ACT_SHOT) else ret #-1 (TC_ACT_UNSPEC) */
const DROP_V6 = '4,40 0 0 12,21 0 1 34525,6 0 0 2,6 0 0 4294967295';
const NSIM = [
  'ip netns add right',
  'ip netns exec right echo "1 1" > /sys/bus/netdevsim/new_device',
  'ip -n right link set eth0 up',
];
const OFFLOAD = [
  'ip netns exec right ethtool -K eth0 hw-tc-offload on',
  'ip netns exec right echo Y > /sys/kernel/debug/netdevsim/netdevsim1/ports/0/bpf_tc_non_bound_accept',
  'tc -n right qdisc add dev eth0 ingress',
  `tc -n right filter add dev eth0 ingress prio 1 bpf skip_sw da bytecode '${DROP_V6}'`,
];

function fail(lines: readonly string[]): ScenarioError {
  try {
    runScenario('n.tcbpf', lines.join('\n'), { outDir: tmp, inDir: examples });
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('scenario did not fail');
}

describe('netdevsim ports in scenarios', () => {
  it('an offloaded skip_sw filter drops in hardware exactly the IPv6 frames of the capture; the host sees the rest', () => {
    const trace: TraceEntry[] = [];
    const r = runScenario('n.tcbpf', [...NSIM, ...OFFLOAD, 'replay -n right dev eth0 ingress traffic.pcap'].join('\n'), { outDir: tmp, inDir: examples, trace: (e) => trace.push(e) });
    const frames = [...decodeCapture([readFileSync(join(examples, 'traffic.pcap'))])];
    const v6 = frames.filter((f) => f.data[12] === 0x86 && f.data[13] === 0xdd).length;
    expect(v6).toBeGreaterThan(0);
    expect(r.offload).toEqual([{ ns: 'right', dev: 'eth0', hwPackets: frames.length, hwDrops: v6 }]);
    const eth0 = r.devices.find((d) => d.dev === 'eth0')!;
    expect(eth0.rxPackets).toBe(frames.length - v6);
    expect(trace.filter((e) => e.event === 'hw' && e.verdict === 'drop').length).toBe(v6);
    // skip_sw: in software cls_bpf skips the program (every filter run is UNSPEC)
    const sw = trace.filter((e) => e.event === 'filter');
    expect(sw.length).toBe(frames.length - v6);
    expect(new Set(sw.map((e) => e.result))).toEqual(new Set(['unspec']));
  });

  it('obj ... skip_sw: tc loads the eBPF program bound to the port; the hardware runs it and its bound map counts', () => {
    const sc = new Scenario({ outDir: tmp, inDir: examples });
    [...NSIM, 'ip netns exec right ethtool -K eth0 hw-tc-offload on', 'tc -n right qdisc add dev eth0 ingress',
      'tc -n right filter add dev eth0 ingress prio 1 bpf skip_sw da obj offload_drop_ipv6.o sec tc',
      'replay -n right dev eth0 ingress traffic.pcap'].forEach((l, i) => sc.exec('o', i + 1, l));
    const r = sc.finish();
    const frames = [...decodeCapture([readFileSync(join(examples, 'traffic.pcap'))])];
    const v6 = frames.filter((f) => f.data[12] === 0x86 && f.data[13] === 0xdd).length;
    expect(r.offload).toEqual([{ ns: 'right', dev: 'eth0', hwPackets: frames.length, hwDrops: v6 }]);
    const port = sc.netdevsim.ports()[0]!;
    expect(port.bpfOffloadedId).toBeGreaterThan(0);
    // the bound map "verdicts": slot 0 passed, slot 1 dropped (u64, little-endian)
    const prog = sc.bpf.progById(port.bpfOffloadedId)!;
    const m = prog.usedMaps[0]!;
    const slot = (k: number): number => {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      const v = m.lookup(key);
      return new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0, true);
    };
    expect([slot(0), slot(1)]).toEqual([frames.length - v6, v6]);
    // netdevsim offloads maps of at most 2 entries: demo_classify.o's 3-entry map is refused at load
    const big = fail([...NSIM, 'ip netns exec right ethtool -K eth0 hw-tc-offload on', 'tc -n right qdisc add dev eth0 ingress', 'tc -n right filter add dev eth0 ingress bpf skip_sw da obj demo_classify.o sec tc']);
    expect(big.message).toMatch(/^n\.tcbpf:6:\d+: demo_classify\.o: Cannot allocate memory \(ENOMEM\)$/);
  });

  it('the driver\'s refusals: offload disabled, unbound programs rejected (kernel errno and extack)', () => {
    const off = fail([...NSIM, 'tc -n right qdisc add dev eth0 ingress', `tc -n right filter add dev eth0 ingress bpf skip_sw da bytecode '${DROP_V6}'`]);
    expect(off.message).toBe('n.tcbpf:5:1: Error: TC offload is disabled on net device. (EOPNOTSUPP)');
    const unbound = fail([...NSIM, 'ip netns exec right ethtool -K eth0 hw-tc-offload on', 'tc -n right qdisc add dev eth0 ingress', `tc -n right filter add dev eth0 ingress bpf skip_sw da bytecode '${DROP_V6}'`]);
    expect(unbound.message).toBe('n.tcbpf:6:1: Error: netdevsim: netdevsim configured to reject unbound programs. (EOPNOTSUPP)');
  });

  it('hw-tc-offload cannot be turned off while a program is offloaded; del_device removes the port', () => {
    const busy = fail([...NSIM, ...OFFLOAD, 'ip netns exec right ethtool -K eth0 hw-tc-offload off']);
    expect(busy.message).toMatch(/^n\.tcbpf:8:\d+: netlink error: Device or resource busy$/);
    const gone = fail([...NSIM, 'ip netns exec right echo 1 > /sys/bus/netdevsim/del_device', 'ip -n right link set eth0 down']);
    expect(gone.message).toBe('n.tcbpf:5:22: Cannot find device "eth0"');
    const dup = fail([...NSIM, 'ip netns add other', 'ip netns exec other echo "1 1" > /sys/bus/netdevsim/new_device']);
    expect(dup.message).toMatch(/^n\.tcbpf:5:\d+: echo: write error: No space left on device$/);
    expect(fail([...NSIM, 'ip netns exec right ethtool -K lo hw-tc-offload on']).message).toMatch(/Could not change any device features$/);
  });
});

const WORDS = ['echo', 'ethtool', '-K', 'eth0', 'lo', 'hw-tc-offload', 'on', 'off', '>', '"1 1"', '1', '2', '0', 'Y', 'N', 'x',
  '/sys/bus/netdevsim/new_device', '/sys/bus/netdevsim/del_device', '/sys/kernel/debug/netdevsim/netdevsim1/ports/0/bpf_tc_non_bound_accept',
  '/sys/kernel/debug/netdevsim/netdevsim1/bpf_bind_verifier_delay', '/sys/kernel/debug/netdevsim/netdevsim1/bpf_bind_accept', '/sys/kernel/debug/netdevsim/netdevsim9/ports/3/bpf_map_accept'];

test.prop([fc.array(fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 7 }), { maxLength: 8 })], { numRuns: fuzzRuns(200, 20000) })(
  'fuzz: random echo/ethtool lines on the netdevsim files either apply or raise a ScenarioError',
  (lines) => {
    const sc = new Scenario({ outDir: tmp, inDir: examples });
    NSIM.forEach((l, i) => sc.exec('f', i + 1, l));
    for (const [i, ws] of lines.entries()) {
      try {
        sc.exec('f', i + 10, `ip netns exec right ${ws.join(' ')}`);
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
      }
    }
    sc.finish();
  },
);
