// Per-packet differential: the same pipeline of classic and clang-built eBPF
// classifiers (classids, direct-action, mirred mirror/redirect, bpf_redirect)
// on va's clsact hooks and under an HTB root qdisc with ten leaf classes, built in a namespace
// of this machine's kernel with tc and in tcbpf through rtnetlink. Frames of
// mixed kinds go out of va (egress hook, then prio classification) or out of vb
// (into va's ingress hook); per frame, the change of every observed counter —
// delivered to vb, mirrored to d1p, redirected to d2p (mirred) or lo
// (bpf_redirect), never-run mirror to d3p, the HTB class it was sent from, the
// clsact drop counter, the sender's errno — must be the same, and so must the
// mirred actions' packet and byte counters at the end. support/per_packet_kernel.py
// sends and measures in the kernel.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { SkBuff, buildFrame, type FrameSpec } from '@tcbpf/skb';
import { TCF_ALL_KINDS, TC_CMD, TcClient, TcKernel, mirredSpec, writeActions, type NlWriter } from '@tcbpf/tcf';
import { hasTool, kernelOracle, Netns } from '@tcbpf/testing';
import { RTM, TCA, TCA_BPF, TCA_HTB, TC_ACT } from '@tcbpf/uapi';
import { createClsBpfOps } from '../src/index.js';
import { EGRESS, ETH_P_ALL, INGRESS, opsBytes, type Insn } from './support/sim.js';

const PROGS = fileURLToPath(new URL('../../bpf-skb/test/fixtures/progs/', import.meta.url));
const RUNNER = fileURLToPath(new URL('./support/per_packet_kernel.py', import.meta.url));
const k = kernelOracle();
const py = hasTool('python3');
const CLASSES = 10;
/** `htb rate 1gbit burst 1mb cburst 1mb` as iproute2 6.1 sends it (strace): bytes/s, buffer and cbuffer in ticks. */
const HTB_RATE = 125_000_000;
const HTB_BUFFER = 131_062;

// classic programs (data at the MAC header at both hooks)
const ipProtoPort = (proto: number, port: number, hit: number): Insn[] => [
  [0x28, 0, 0, 12], [0x15, 0, 5, 0x800], [0x30, 0, 0, 23], [0x15, 0, 3, proto], [0x28, 0, 0, 36], [0x15, 0, 1, port], [0x06, 0, 0, hit >>> 0], [0x06, 0, 0, 0],
];
const dropEthertype = (et: number): Insn[] => [[0x28, 0, 0, 12], [0x15, 0, 1, et], [0x06, 0, 0, TC_ACT.SHOT], [0x06, 0, 0, 0xffffffff]];
const UDP53 = ipProtoPort(17, 53, -1);
const UDP7000 = ipProtoPort(17, 7000, -1);
const TCP22_CLASS9 = ipProtoPort(6, 22, 0x10009);
const DROP_V6 = dropEthertype(0x86dd);
const DROP_ARP = dropEthertype(0x0806);
const bytecode = (p: readonly Insn[]): string => `${p.length},${p.map((i) => i.join(' ')).join(',')}`;

// frames
const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 0xa);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 0xb);
const V4A = Uint8Array.of(10, 9, 0, 1);
const V4B = Uint8Array.of(10, 9, 0, 2);
const V6A = Uint8Array.of(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const V6B = Uint8Array.of(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
interface Frame { readonly dir: 'egress' | 'ingress'; readonly kind: string; readonly bytes: Uint8Array }

function frames(n: number): Frame[] {
  const out: Frame[] = [];
  let x = 0x2545f491;
  const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 8; };
  const pay = (len: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 31 + len) & 0xff);
  const v4 = (l4: Extract<FrameSpec['l3'], { kind: 'ipv4' }>['l4']): FrameSpec['l3'] => ({ kind: 'ipv4', src: V4A, dst: V4B, l4 });
  const kinds: readonly [Frame['dir'], string, (r: number) => FrameSpec['l3']][] = [
    ['egress', 'udp53', (r) => v4({ kind: 'udp', sport: 30000 + (r % 1000), dport: 53, payload: pay(r % 200) })],
    ['egress', 'udp4789', (r) => v4({ kind: 'udp', sport: 30000 + (r % 1000), dport: 4789, payload: pay(r % 300) })],
    ['egress', 'tcp22', (r) => v4({ kind: 'tcp', sport: 40000 + (r % 1000), dport: 22, flags: 0x02, payload: pay(r % 64) })],
    ['egress', 'tcp443', (r) => v4({ kind: 'tcp', sport: 40000 + (r % 1000), dport: 443, flags: 0x18, payload: pay(r % 500) })],
    ['egress', 'udp-other', (r) => v4({ kind: 'udp', sport: 1000 + (r % 5000), dport: 5000 + (r % 100), payload: pay(r % 100) })],
    ['egress', 'icmp', (r) => v4({ kind: 'icmp', type: 8, code: 0, rest: r, payload: pay(r % 56) })],
    ['egress', 'ipv6-udp', (r) => ({ kind: 'ipv6', src: V6A, dst: V6B, l4: { kind: 'udp', sport: 5353, dport: 53, payload: pay(r % 80) } })],
    ['egress', 'arp', () => ({ kind: 'arp', op: 1, sha: MAC_A, spa: V4A, tha: new Uint8Array(6), tpa: V4B })],
    ['ingress', 'udp7000', (r) => v4({ kind: 'udp', sport: 30000 + (r % 1000), dport: 7000, payload: pay(r % 200) })],
    ['ingress', 'arp', () => ({ kind: 'arp', op: 2, sha: MAC_B, spa: V4B, tha: MAC_A, tpa: V4A })],
    ['ingress', 'udp4789', (r) => v4({ kind: 'udp', sport: 30000 + (r % 1000), dport: 4789, payload: pay(r % 300) })],
    ['ingress', 'tcp80', (r) => v4({ kind: 'tcp', sport: 40000 + (r % 1000), dport: 80, flags: 0x02, payload: pay(r % 40) })],
    ['ingress', 'ipv6-tcp', (r) => ({ kind: 'ipv6', src: V6B, dst: V6A, l4: { kind: 'tcp', sport: 443, dport: 50000, flags: 0x12, payload: pay(r % 90) } })],
  ];
  for (let i = 0; i < n; i++) {
    const [dir, kind, l3] = kinds[next() % kinds.length]!;
    const r = next();
    out.push({ dir, kind, bytes: buildFrame({ dst: dir === 'egress' ? MAC_B : MAC_A, src: dir === 'egress' ? MAC_A : MAC_B, l3: l3(r) }) });
  }
  return out;
}

interface Outcome { sendErrno: number; vb: number; d1p: number; d2p: number; d3p: number; lo: number; classes: number[]; drops: number }

/** A readable label of an outcome (for the report of kinds seen). */
function label(o: Outcome, dir: Frame['dir']): string {
  const parts: string[] = [];
  if (o.drops) parts.push('dropped');
  if (o.lo) parts.push('bpf_redirect→lo');
  if (o.d2p) parts.push('mirred redirect→d2');
  if (o.d1p) parts.push('mirror→d1');
  if (o.d3p) parts.push('mirror→d3');
  const c = o.classes.findIndex((v) => v !== 0);
  if (c >= 0) parts.push(`class 1:${(c + 1).toString(16)}`);
  if (dir === 'egress' && o.vb) parts.push('delivered to vb');
  if (dir === 'ingress' && parts.length === 0) parts.push('passed to va');
  return `${dir}: ${parts.join(', ')}`;
}

/** mirred action index -> [packets, bytes] after the run. */
type ActionCounters = Record<number, [number, number]>;

/** The same pipeline in tcbpf; returns the per-frame outcomes and the mirred actions' counters. */
function runTcbpf(fs: readonly Frame[], jit: boolean): { outcomes: Outcome[]; actions: ActionCounters } {
  const bpf = tcBpfSyscall();
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf, jit })] } });
  const net = kernel.addNet();
  net.ns.loopback.setUp(true);
  const [va, vb] = net.addVethPair('va', 'vb');
  const [, d1p] = net.addVethPair('d1', 'd1p');
  const [d2, d2p] = net.addVethPair('d2', 'd2p');
  const [d3, d3p] = net.addVethPair('d3', 'd3p');
  const d1 = net.devByName('d1')!;
  const tc = new TcClient(net.socket());
  // tc qdisc add dev va root handle 1: htb default 10 (r2q 10); tc class add ... classid 1:N htb rate 1gbit burst 1mb
  tc.qdisc('add', { ifindex: va.ifindex, parent: 0xffffffff, handle: 0x10000, kind: 'htb', options: (w) => {
    const g = w.attrReserve(TCA_HTB.INIT, 20);
    w.setU32(g, 3);
    w.setU32(g + 4, 10);
    w.setU32(g + 8, 0x10);
  } });
  for (let c = 1; c <= CLASSES; c++) {
    tc.request(RTM.NEWTCLASS, TC_CMD.add, (w) => {
      w.tcmsg(va.ifindex, 0x10000 | c, 0x10000, 0);
      w.str(TCA.KIND, 'htb');
      const n = w.nestStart(TCA.OPTIONS);
      const p = w.attrReserve(TCA_HTB.PARMS, 44);
      const rate = (off: number): void => { w.setU8(p + off, 3); w.setU8(p + off + 1, 1); w.setU16(p + off + 4, 0xffff); w.setU32(p + off + 8, HTB_RATE); };
      rate(0);
      rate(12);
      w.setU32(p + 24, HTB_BUFFER);
      w.setU32(p + 28, HTB_BUFFER);
      w.nestEnd(n);
    });
  }
  tc.clsact(va.ifindex);
  const obj = (file: string, prog: string): number => instantiateObject(bpf, loadElfObject(new Uint8Array(readFileSync(PROGS + file)), { fileName: file })).programs.get(prog)!;
  const add = (parent: number, prio: number, o: { ops?: readonly Insn[]; fd?: number; name?: string; da?: boolean; classid?: number; acts?: Parameters<typeof writeActions>[1] }): void => {
    tc.filter('add', { ifindex: va.ifindex, parent, prio, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: (w: NlWriter) => {
      if (o.classid !== undefined) w.u32(TCA_BPF.CLASSID, o.classid);
      if (o.acts) { const n = w.nestStart(TCA_BPF.ACT); writeActions(w, o.acts); w.nestEnd(n); }
      if (o.ops) { w.u16(TCA_BPF.OPS_LEN, o.ops.length); w.attr(TCA_BPF.OPS, opsBytes(o.ops)); }
      if (o.fd !== undefined) { w.u32(TCA_BPF.FD, o.fd); w.str(TCA_BPF.NAME, o.name!); }
      if (o.da) w.u32(TCA_BPF.FLAGS, 1);
    } });
  };
  add(EGRESS, 1, { ops: DROP_V6, da: true });
  add(EGRESS, 2, { ops: UDP53, acts: [mirredSpec(2, d1.ifindex, TC_ACT.PIPE)] });
  add(EGRESS, 3, { fd: obj('redirect_global.o', 'redirect_udp'), name: 'redirect_global.o:[tc]', da: true });
  add(0x10000, 1, { ops: TCP22_CLASS9 });
  // classid 1:0 gives the major the program's 16-bit tc_classid lacks (qdisc_skb_cb->tc_classid is a u16)
  add(0x10000, 2, { fd: obj('parse_classify.o', 'classify'), name: 'parse_classify.o:[tc]', da: true, classid: 0x10000 });
  add(INGRESS, 1, { fd: obj('parse_classify.o', 'classify'), name: 'parse_classify.o:[tc]', classid: 0x10001, acts: [mirredSpec(2, d3.ifindex, TC_ACT.PIPE)] });
  add(INGRESS, 2, { ops: UDP7000, classid: 0x10005, acts: [mirredSpec(1, d2.ifindex, TC_ACT.STOLEN)] });
  add(INGRESS, 3, { ops: DROP_ARP, da: true });
  add(INGRESS, 4, { fd: obj('redirect_global.o', 'redirect_udp'), name: 'redirect_global.o:[tc]', da: true });
  const htbClasses = (va.qdisc.priv as { classes: { classid: number; stats: { packets: number } }[] }).classes;
  const classPackets = (): number[] => Array.from({ length: CLASSES }, (_, i) => htbClasses.find((c) => c.classid === (0x10000 | (i + 1)))!.stats.packets);
  const snap = (): Omit<Outcome, 'sendErrno'> => ({
    vb: vb.dev.stats.rxPackets, d1p: d1p.dev.stats.rxPackets, d2p: d2p.dev.stats.rxPackets, d3p: d3p.dev.stats.rxPackets,
    lo: net.ns.loopback.stats.txPackets, classes: classPackets(), drops: va.ingress!.stats.drops,
  });
  const out: Outcome[] = [];
  let prev = snap();
  for (const f of fs) {
    const skb = SkBuff.fromFrame(f.bytes);
    skb.setDev(f.dir === 'egress' ? va.dev : vb.dev);
    // packet_snd: a NET_XMIT_* code other than NET_XMIT_CN (2) is ENOBUFS (105) for the sender
    const rc = net.ns.devQueueXmit(skb);
    const cur = snap();
    out.push({ sendErrno: rc !== 0 && rc !== 2 ? 105 : 0, vb: cur.vb - prev.vb, d1p: cur.d1p - prev.d1p, d2p: cur.d2p - prev.d2p, d3p: cur.d3p - prev.d3p, lo: cur.lo - prev.lo, classes: cur.classes.map((c, i) => c - prev.classes[i]!), drops: cur.drops - prev.drops });
    prev = cur;
  }
  const actions: ActionCounters = {};
  for (const [index, a] of net.actions.get('mirred')!) actions[index] = [a.stats.packets, a.stats.bytes];
  return { outcomes: out, actions };
}

/** `tc -s actions ls action mirred`: index -> [packets, bytes]. */
function kernelMirredCounters(text: string): ActionCounters {
  const out: ActionCounters = {};
  let index = -1;
  for (const line of text.split('\n')) {
    const i = /\bindex (\d+) ref/.exec(line);
    if (i) index = Number(i[1]);
    const m = /Sent (\d+) bytes (\d+) pkt/.exec(line);
    if (m && index >= 0) {
      out[index] = [Number(m[2]), Number(m[1])];
      index = -1;
    }
  }
  return out;
}

describe.skipIf(!k.ok || !py)(`per-packet outcomes equal the kernel's (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  const ns = k.ok && py ? new Netns('clsbpf-pkt') : null;
  afterAll(() => ns?.close());
  const FR = frames(320);

  it('320 mixed frames through classic and eBPF filters: every counter change per frame agrees, with the JIT and the interpreter', () => {
    const n = ns!;
    n.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    n.run('sysctl', ['-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    for (const [a, b] of [['va', 'vb'], ['d1', 'd1p'], ['d2', 'd2p'], ['d3', 'd3p']] as const) {
      n.run('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      n.run('ip', ['link', 'set', a, 'up']);
      n.run('ip', ['link', 'set', b, 'up']);
    }
    n.run('tc', ['qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:', 'htb', 'default', '10']);
    for (let c = 1; c <= CLASSES; c++) n.run('tc', ['class', 'add', 'dev', 'va', 'parent', '1:', 'classid', `1:${c.toString(16)}`, 'htb', 'rate', '1gbit', 'burst', '1mb', 'cburst', '1mb']);
    expect(n.run('tc', ['class', 'show', 'dev', 'va']).split('\n').filter((l) => l.startsWith('class htb ')).length).toBe(CLASSES);
    n.run('tc', ['qdisc', 'add', 'dev', 'va', 'clsact']);
    const f = (args: string[]): string => n.run('tc', ['filter', 'add', 'dev', 'va', ...args]);
    f(['egress', 'prio', '1', 'handle', '1', 'bpf', 'da', 'bytecode', bytecode(DROP_V6)]);
    f(['egress', 'prio', '2', 'handle', '1', 'bpf', 'bytecode', bytecode(UDP53), 'action', 'mirred', 'egress', 'mirror', 'dev', 'd1']);
    f(['egress', 'prio', '3', 'handle', '1', 'bpf', 'da', 'obj', PROGS + 'redirect_global.o', 'sec', 'tc']);
    f(['parent', '1:', 'prio', '1', 'handle', '1', 'bpf', 'bytecode', bytecode(TCP22_CLASS9)]);
    f(['parent', '1:', 'prio', '2', 'handle', '1', 'bpf', 'da', 'obj', PROGS + 'parse_classify.o', 'sec', 'tc', 'classid', '1:0']);
    f(['ingress', 'prio', '1', 'handle', '1', 'bpf', 'obj', PROGS + 'parse_classify.o', 'sec', 'tc', 'classid', '1:1', 'action', 'mirred', 'egress', 'mirror', 'dev', 'd3']);
    f(['ingress', 'prio', '2', 'handle', '1', 'bpf', 'bytecode', bytecode(UDP7000), 'classid', '1:5', 'action', 'mirred', 'egress', 'redirect', 'dev', 'd2']);
    f(['ingress', 'prio', '3', 'handle', '1', 'bpf', 'da', 'bytecode', bytecode(DROP_ARP)]);
    f(['ingress', 'prio', '4', 'handle', '1', 'bpf', 'da', 'obj', PROGS + 'redirect_global.o', 'sec', 'tc']);
    const input = JSON.stringify({ classes: CLASSES, frames: FR.map((x) => ({ dir: x.dir, hex: Buffer.from(x.bytes).toString('hex') })) });
    const r = spawnSync('ip', ['netns', 'exec', n.name, 'python3', RUNNER], { input, encoding: 'utf8', timeout: 50_000 });
    expect(r.status, r.stderr).toBe(0);
    const kern = JSON.parse(r.stdout) as Outcome[];
    expect(kern.length).toBe(FR.length);
    const kActions = kernelMirredCounters(n.run('tc', ['-s', 'actions', 'ls', 'action', 'mirred']));
    expect(Object.keys(kActions).length).toBe(3);
    // the egress mirror to d1 and the ingress redirect to d2 ran; the mirror behind parse_classify.o (returns 0) never did
    expect(Object.values(kActions).map(([p]) => p > 0).sort()).toEqual([false, true, true]);
    for (const jit of [true, false]) {
      const { outcomes: sim, actions } = runTcbpf(FR, jit);
      expect(actions).toEqual(kActions); // the mirred actions' packet and byte counters
      let agree = 0;
      for (let i = 0; i < FR.length; i++) {
        expect({ i, kind: FR[i]!.kind, ...sim[i]! }).toEqual({ i, kind: FR[i]!.kind, ...kern[i]! });
        agree++;
      }
      expect(agree).toBe(FR.length);
    }
    // the mix covers every outcome of the pipeline
    const seen = new Set(kern.map((o, i) => label(o, FR[i]!.dir)));
    expect(seen.size).toBeGreaterThanOrEqual(10);
    console.info(`per-packet differential: ${FR.length} frames agree (JIT and interpreter); outcomes: ${[...seen].sort().join(' | ')}`);
  }, 60_000);
});
