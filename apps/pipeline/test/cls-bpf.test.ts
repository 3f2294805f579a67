// cls_bpf in scenarios: classic `bytecode`/`bytecode-file` and eBPF `obj FILE sec
// NAME` filters registered on the scenario kernel, run with the JIT and (--no-jit)
// on the interpreter with the same results; the object's maps live in the
// scenario's bpf() instance.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFrame } from '@tcbpf/skb';
import { Scenario, ScenarioError, runScenario, type TraceEntry } from '../src/index.js';

const PROGS = join(import.meta.dirname, '..', '..', '..', 'packages', 'bpf-skb', 'test', 'fixtures', 'progs');
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcbpf-clsbpf-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);
const IP_A = Uint8Array.of(10, 0, 0, 1);
const IP_B = Uint8Array.of(10, 0, 0, 2);
const udp = (dport: number): string => hex(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src: IP_A, dst: IP_B, l4: { kind: 'udp', sport: 1234, dport, payload: new Uint8Array(8) } } }));
const tcp = (dport: number): string => hex(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src: IP_A, dst: IP_B, l4: { kind: 'tcp', sport: 40000, dport, flags: 0x02 } } }));
const ARP = 'ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002';

// classic: accept IPv4 (EtherType at offset 12: the MAC header is pushed back at ingress)
const IPV4_ONLY = '4,40 0 0 12,21 0 1 2048,6 0 0 4294967295,6 0 0 0';

function classicScenario(jit: boolean): { trace: TraceEntry[]; drops: Record<string, number>; delivered: number } {
  const trace: TraceEntry[] = [];
  const r = runScenario('classic.tcbpf', [
    'ip link add va type veth peer name vb',
    'ip link set va up',
    'ip link set vb up',
    'tc qdisc add dev vb clsact',
    `tc filter add dev vb ingress prio 1 bpf bytecode '${IPV4_ONLY}' action drop`,
    `send dev va egress ${udp(53)}`,
    `send dev va egress ${ARP}`,
  ].join('\n'), { outDir: tmp, inDir: tmp, trace: (e) => trace.push(e), jit });
  return { trace, drops: { ...r.dropped }, delivered: r.delivered };
}

describe('cls_bpf classic programs in scenarios', () => {
  it('bytecode: the IPv4 frame matches and its action drops it; ARP is delivered (JIT and interpreter agree)', () => {
    const jit = classicScenario(true);
    expect(jit.drops).toEqual({ TC_INGRESS: 1 });
    expect(jit.delivered).toBe(1);
    const filters = jit.trace.filter((e) => e.event === 'filter');
    expect(filters.map((e) => [e.kind, e.result, e.prog])).toEqual([['bpf', 'shot', 'classic 4 insns'], ['bpf', 'unspec', 'classic 4 insns']]);
    // the filter's action is traced with its verdict, before the filter's own entry
    const events = jit.trace.filter((e) => e.event === 'action' || e.event === 'filter').map((e) => `${e.pkt} ${e.event} ${e.kind} ${e.result}`);
    expect(events).toEqual(['1 action gact shot', '1 filter bpf shot', '2 filter bpf unspec']);
    const interp = classicScenario(false);
    expect(interp).toEqual(jit);
  });

  it('bytecode-file resolves against the scenario folder', () => {
    writeFileSync(join(tmp, 'v4.bpf'), IPV4_ONLY.replaceAll(',', '\n'));
    const r = runScenario('f.tcbpf', [
      'ip link add va type veth peer name vb',
      'ip link set va up',
      'ip link set vb up',
      'tc qdisc add dev vb clsact',
      'tc filter add dev vb ingress bpf bytecode-file v4.bpf action drop',
      `send dev va egress ${udp(53)}`,
    ].join('\n'), { outDir: tmp, inDir: tmp });
    expect(r.dropped).toEqual({ TC_INGRESS: 1 });
  });
});

/** The class_stats map of parse_classify.o: packets per class (u64 little-endian). */
function classPackets(sc: Scenario): number[] {
  for (let id = 1; id < 64; id++) {
    const m = sc.bpf.mapById(id);
    if (m === undefined || m.name !== 'class_stats') continue;
    const out: number[] = [];
    for (let k = 0; k < 8; k++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      const v = m.lookup(key);
      out.push(new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0, true)); // the low half of the u64 packets count
    }
    return out;
  }
  throw new Error('class_stats not found');
}

function objScenario(jit: boolean): { sc: Scenario; shows: string[]; trace: TraceEntry[] } {
  const shows: string[] = [];
  const trace: TraceEntry[] = [];
  const sc = new Scenario({ outDir: tmp, inDir: PROGS, print: (s) => shows.push(s), trace: (e) => trace.push(e), jit });
  const lines = [
    'ip link add va type veth peer name vb',
    'ip link set va up',
    'ip link set vb up',
    'tc qdisc add dev va root handle 1: htb default 1',
    'tc class add dev va parent 1: classid 1:1 htb rate 100mbit',
    'tc class add dev va parent 1: classid 1:7 htb rate 100mbit',
    'tc class add dev va parent 1: classid 1:8 htb rate 100mbit',
    // qdisc_skb_cb's tc_classid is 16 bits: the major comes from the filter's classid (1:)
    'tc filter add dev va parent 1: prio 1 bpf da obj parse_classify.o sec tc classid 1:',
    `send dev va egress ${udp(53)}`,
    `send dev va egress ${udp(9999)}`,
    `send dev va egress ${udp(9998)}`,
    `send dev va egress ${tcp(22)}`,
    'tc -s class show dev va',
  ];
  lines.forEach((l, i) => sc.exec('obj.tcbpf', i + 1, l));
  sc.finish();
  return { sc, shows, trace };
}

describe('cls_bpf eBPF objects in scenarios (obj FILE sec NAME)', () => {
  it('a direct-action program on htb picks the class by tc_classid; its map counts per class', () => {
    const { sc, shows, trace } = objScenario(true);
    // class_stats: OTHER ARP IPV4 IPV6 TCP_WEB TCP UDP_DNS UDP
    expect(classPackets(sc)).toEqual([0, 0, 0, 0, 0, 1, 1, 2]);
    const text = shows.join('');
    // TCP (class 5) gets 1:6, which does not exist: htb falls back to the default class 1:1
    expect(text).toMatch(/class htb 1:1 root .*\n Sent \d+ bytes 1 pkt/);
    expect(text).toMatch(/class htb 1:7 root .*\n Sent \d+ bytes 1 pkt/);
    expect(text).toMatch(/class htb 1:8 root .*\n Sent \d+ bytes 2 pkt/);
    const f = trace.filter((e) => e.event === 'filter');
    expect(f.map((e) => `${e.kind} ${e.result} ${e.classid}`)).toEqual(['bpf ok 1:7', 'bpf ok 1:8', 'bpf ok 1:8', 'bpf ok 1:6']);
  });

  it('the interpreter (--no-jit) gives the same classes, map and trace', () => {
    const a = objScenario(true);
    const b = objScenario(false);
    expect(classPackets(b.sc)).toEqual(classPackets(a.sc));
    expect(b.shows).toEqual(a.shows);
    expect(b.trace).toEqual(a.trace);
  });

  it('tc\'s fds close when its line ends: the filter keeps its program and map alive; a refused filter frees them', () => {
    const sc = new Scenario({ outDir: tmp, inDir: PROGS });
    ['ip link add va type dummy', 'tc qdisc add dev va clsact', 'tc filter add dev va egress bpf da obj parse_classify.o sec tc'].forEach((l, i) => sc.exec('f', i + 1, l));
    const alive = (): number[] => [1, 2, 3, 4].filter((id) => sc.bpf.progById(id) !== undefined);
    expect(alive()).toEqual([1]);
    expect(sc.bpf.progByFd(3)).toBeUndefined(); // no loader fd left open
    expect(classPackets(sc)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // parent 1: does not exist: the kernel refuses the filter and the program tc loaded for it is freed
    expect(() => sc.exec('f', 4, 'tc filter add dev va parent 1: bpf da obj parse_classify.o sec tc')).toThrow(ScenarioError);
    expect(alive()).toEqual([1]);
    sc.exec('f', 5, 'tc filter del dev va egress');
    expect(alive()).toEqual([]);
  });

  it('a missing section or object is a scenario error naming the file', () => {
    const run = (l: string): string => {
      try {
        runScenario('bad.tcbpf', ['ip link add va type dummy', 'tc qdisc add dev va clsact', l].join('\n'), { outDir: tmp, inDir: PROGS });
      } catch (e) {
        if (e instanceof ScenarioError) return e.message;
        throw e;
      }
      return 'no error';
    };
    expect(run('tc filter add dev va egress bpf da obj parse_classify.o sec nosuch')).toMatch(/^bad\.tcbpf:3:\d+: parse_classify\.o: section "nosuch" not found in object "parse_classify" \(ENOENT\)$/);
    expect(run('tc filter add dev va egress bpf da obj nosuch.o')).toMatch(/^bad\.tcbpf:3:\d+: Cannot read "nosuch\.o": ENOENT/);
    // the verifier's refusal names the instruction; nothing is attached
    const fixtures = join(import.meta.dirname, 'fixtures');
    expect(run(`tc filter add dev va egress bpf da obj ${join(fixtures, 'unchecked_load.o')} sec tc`)).toMatch(/^bad\.tcbpf:3:\d+: .*unchecked_load\.o: program "unchecked": invalid access to packet, off=12 size=1, R1\(id=0,off=12,r=0\) \(insn 1\) \(EACCES\)$/);
  });
});
