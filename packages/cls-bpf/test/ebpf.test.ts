// eBPF programs by fd in cls_bpf: TCA_BPF_FD + TCA_BPF_NAME, the dump's
// NAME/ID/TAG (attribute order of the kernel's reply in
// packages/netlink/test/golden/summaries/filter-show-ebpf.txt), the refusals
// of bpf_prog_get_type_dev, and classification of clang-built fixtures
// (parse_classify.o, redirect_global.o) through a clsact hook.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { instantiateObject, loadElfObject, loadTcProgram, tcBpfSyscall } from '@tcbpf/bpf-skb';
import type { BpfSyscall } from '@tcbpf/ebpf';
import { SkBuff, buildFrame } from '@tcbpf/skb';
import { TCF_ALL_KINDS, TcClient, TcKernel, TcfResult, parseAttrs, type IngressPriv, type NetDev, type NlWriter } from '@tcbpf/tcf';
import { BPF_PROG_TYPE, TCA, TCA_BPF, TC_ACT } from '@tcbpf/uapi';
import { createClsBpfOps } from '../src/index.js';
import { EGRESS, ETH_P_ALL, INGRESS, ingressTp, opsBytes, ret, type Sim } from './support/sim.js';

const PROGS = fileURLToPath(new URL('../../bpf-skb/test/fixtures/progs/', import.meta.url));

function object(name: string): ReturnType<typeof loadElfObject> {
  const file = PROGS + name;
  return loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file });
}

interface ESim extends Sim { readonly bpf: BpfSyscall }

function makeESim(): ESim {
  const bpf = tcBpfSyscall();
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf })] } });
  const net = kernel.addNet();
  net.ns.loopback.setUp(true);
  const [va, vb] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  return { kernel, net, tc, va, vb, bpf };
}

interface EOpts { readonly name?: string; readonly classid?: number; readonly da?: boolean; readonly ops?: boolean; readonly parent?: number; readonly handle?: number }

function ebpfOptions(fd: number, o: EOpts): (w: NlWriter) => void {
  return (w) => {
    if (o.classid !== undefined) w.u32(TCA_BPF.CLASSID, o.classid);
    w.u32(TCA_BPF.FD, fd);
    if (o.name !== undefined) w.str(TCA_BPF.NAME, o.name);
    if (o.ops) {
      w.u16(TCA_BPF.OPS_LEN, 1);
      w.attr(TCA_BPF.OPS, opsBytes([ret(0)]));
    }
    if (o.da) w.u32(TCA_BPF.FLAGS, 1);
  };
}

function addEbpf(s: ESim, prio: number, fd: number, o: EOpts = {}, cmd: 'add' | 'replace' = 'add'): void {
  s.tc.filter(cmd, { ifindex: s.va.ifindex, parent: o.parent ?? INGRESS, prio, protocol: ETH_P_ALL, kind: 'bpf', ...(o.handle !== undefined ? { handle: o.handle } : {}), options: ebpfOptions(fd, o) });
}

/** The dumped TCA_OPTIONS of each filter: [type, payload] in order. */
function dumpOptions(s: ESim, parent = INGRESS): [number, Uint8Array][][] {
  const out: [number, Uint8Array][][] = [];
  for (const m of s.tc.filter('dump', { ifindex: s.va.ifindex, parent })) {
    const tca = parseAttrs(m, 16 + 20, m.length, TCA.MAX);
    if (!tca.has(TCA.OPTIONS)) continue;
    const start = tca.at(TCA.OPTIONS) + 4; // payload after the nlattr header
    const end = start + tca.len(TCA.OPTIONS);
    const v = new DataView(m.buffer, m.byteOffset);
    const attrs: [number, Uint8Array][] = [];
    for (let off = start; off + 4 <= end;) {
      const len = v.getUint16(off, true); // nlattr: host (little-endian) order
      attrs.push([v.getUint16(off + 2, true) & 0x3fff, m.slice(off + 4, off + len)]);
      off += (len + 3) & ~3;
    }
    out.push(attrs);
  }
  return out;
}

/** `r0 = verdict; exit` as struct bpf_insn bytes (little-endian). */
const retProg = (verdict: number): Uint8Array => Uint8Array.of(0xb7, 0, 0, 0, verdict, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);
const tcpSyn = (dport: number): Uint8Array => buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'tcp', sport: 40000, dport, flags: 0x02 } } });
const udp = (dport: number): Uint8Array => buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'udp', sport: 40000, dport } } });

/** A frame as it sits at va's ingress hook (data at the network header). */
function atIngress(dev: NetDev, frame: Uint8Array): SkBuff {
  const skb = SkBuff.fromFrame(frame);
  skb.setDev(dev.dev);
  skb.macHeader = skb.dataOff;
  skb.macLen = 14;
  skb.pull(14);
  skb.networkHeader = skb.dataOff;
  skb.protocol = 0x0800;
  skb.tcAtIngress = true;
  return skb;
}

function loadClassify(s: ESim): { fd: number; stats: number } {
  const loaded = instantiateObject(s.bpf, object('parse_classify.o'));
  return { fd: loaded.programs.get('classify')!, stats: loaded.maps.get('class_stats')! };
}

describe('cls_bpf eBPF programs by fd', () => {
  it('dumps CLASSID, NAME, ID, TAG, FLAGS, FLAGS_GEN in the kernel order, with the program id and tag', () => {
    const s = makeESim();
    const { fd } = loadClassify(s);
    addEbpf(s, 1, fd, { name: 'parse_classify.o:[tc]', classid: 0x10002, da: true });
    const [attrs] = dumpOptions(s);
    expect(attrs!.map(([t]) => t)).toEqual([TCA_BPF.CLASSID, TCA_BPF.NAME, TCA_BPF.ID, TCA_BPF.TAG, TCA_BPF.FLAGS, TCA_BPF.FLAGS_GEN]);
    const prog = s.bpf.prog(fd);
    const get = (t: number): Uint8Array => attrs!.find(([x]) => x === t)![1];
    expect(new TextDecoder().decode(get(TCA_BPF.NAME))).toBe('parse_classify.o:[tc]\0');
    expect(new DataView(get(TCA_BPF.ID).buffer).getUint32(0, true)).toBe(prog.id);
    expect(get(TCA_BPF.TAG)).toEqual(prog.tagBytes);
    expect(get(TCA_BPF.TAG).length).toBe(8);
    expect(Buffer.from(get(TCA_BPF.TAG)).toString('hex')).toBe(s.bpf.progInfo(fd).tag);
  });

  it('without a name no TCA_BPF_NAME is dumped; the name is cut at its first NUL', () => {
    const s = makeESim();
    const { fd } = loadClassify(s);
    addEbpf(s, 1, fd);
    addEbpf(s, 2, fd, { name: 'ab' });
    const [a, b] = dumpOptions(s);
    expect(a!.map(([t]) => t)).toEqual([TCA_BPF.ID, TCA_BPF.TAG, TCA_BPF.FLAGS_GEN]);
    expect(b![0]).toEqual([TCA_BPF.NAME, Uint8Array.of(0x61, 0x62, 0)]);
  });

  it('refuses a bad fd with EBADF, a map fd and a SCHED_ACT program with EINVAL (__bpf_prog_get), fd with ops with EINVAL; nothing added', () => {
    const s = makeESim();
    const { fd, stats } = loadClassify(s);
    const act = loadTcProgram(s.bpf, { insns: retProg(0), license: 'GPL', progType: BPF_PROG_TYPE.SCHED_ACT }).fd;
    expect(() => addEbpf(s, 1, 999)).toThrow(expect.objectContaining({ errno: 'EBADF' }) as Error);
    expect(() => addEbpf(s, 1, stats)).toThrow(expect.objectContaining({ errno: 'EINVAL' }) as Error);
    expect(() => addEbpf(s, 1, act)).toThrow(expect.objectContaining({ errno: 'EINVAL' }) as Error);
    expect(() => addEbpf(s, 1, fd, { ops: true })).toThrow(expect.objectContaining({ errno: 'EINVAL' }) as Error);
    expect(dumpOptions(s)).toEqual([]);
  });

  it('without a bpf() instance (classic-only ops) an fd is refused with EBADF', () => {
    const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps()] } });
    const net = kernel.addNet();
    const [va] = net.addVethPair('va', 'vb');
    const tc = new TcClient(net.socket());
    tc.clsact(va.ifindex);
    expect(() => tc.filter('add', { ifindex: va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, kind: 'bpf', options: ebpfOptions(3, {}) })).toThrow(expect.objectContaining({ errno: 'EBADF' }) as Error);
  });

  it('parse_classify.o with direct-action: verdict OK, classid = major of the filter classid | skb->tc_classid, mark and map updated (ingress and egress)', () => {
    const s = makeESim();
    const { fd, stats } = loadClassify(s);
    addEbpf(s, 1, fd, { da: true, classid: 0x70000 });
    addEbpf(s, 1, fd, { da: true, classid: 0x70000, parent: EGRESS });
    const tp = ingressTp(s);
    const res = new TcfResult();
    const skb = atIngress(s.va, tcpSyn(443));
    expect(tp.ops.classify(skb, tp, res)).toBe(TC_ACT.OK);
    expect(res.classid).toBe(0x70005); // CLASS_TCP_WEB (4) + 1
    expect(skb.mark).toBe(0x104);
    expect(skb.dataOff).toBe(skb.networkHeader); // MAC header pulled again after the run
    const udpSkb = atIngress(s.va, udp(53));
    expect(tp.ops.classify(udpSkb, tp, res)).toBe(TC_ACT.OK);
    expect(res.classid).toBe(0x70007); // CLASS_UDP_DNS (6) + 1
    // egress: data at the MAC header already
    const etp = (s.va.ingress!.priv as IngressPriv).egress!.chain0!.tps[0]!;
    const eskb = SkBuff.fromFrame(tcpSyn(22));
    eskb.setDev(s.va.dev);
    eskb.macHeader = eskb.dataOff;
    eskb.networkHeader = eskb.dataOff + 14;
    expect(etp.ops.classify(eskb, etp, res)).toBe(TC_ACT.OK);
    expect(res.classid).toBe(0x70006); // CLASS_TCP (5) + 1
    const count = (c: number): bigint => new DataView(s.bpf.mapLookupElem(stats, Uint8Array.of(c, 0, 0, 0)).buffer).getBigUint64(0, true);
    expect([count(4), count(5), count(6)]).toEqual([1n, 1n, 1n]);
  });

  it('parse_classify.o without direct-action: its 0 (TC_ACT_OK) means no match, so classification goes on to the next filter', () => {
    const s = makeESim();
    const { fd } = loadClassify(s);
    addEbpf(s, 1, fd, { classid: 0x10001 });
    const tp = ingressTp(s);
    expect(tp.ops.classify(atIngress(s.va, tcpSyn(443)), tp, new TcfResult())).toBe(TC_ACT.UNSPEC);
  });

  it('the filter keeps its program after the user closes the fd', () => {
    const s = makeESim();
    // r0 = TC_ACT_SHOT; exit
    const { fd } = loadTcProgram(s.bpf, { insns: retProg(2), license: 'GPL', progType: BPF_PROG_TYPE.SCHED_CLS });
    const id = s.bpf.prog(fd).id;
    addEbpf(s, 1, fd, { da: true });
    s.bpf.close(fd);
    const tp = ingressTp(s);
    expect(tp.ops.classify(atIngress(s.va, udp(9)), tp, new TcfResult())).toBe(TC_ACT.SHOT);
    const [attrs] = dumpOptions(s);
    expect(new DataView(attrs!.find(([t]) => t === TCA_BPF.ID)![1].buffer).getUint32(0, true)).toBe(id);
  });

  it('replace by fd swaps the program, and a failed replace (bad fd) leaves the old one serving', () => {
    const s = makeESim();
    const shot = loadTcProgram(s.bpf, { insns: retProg(2), license: 'GPL', progType: BPF_PROG_TYPE.SCHED_CLS }).fd;
    const { fd } = loadClassify(s);
    addEbpf(s, 1, shot, { da: true, handle: 1 });
    const tp = ingressTp(s);
    expect(() => addEbpf(s, 1, 4242, { da: true, handle: 1 }, 'replace')).toThrow(expect.objectContaining({ errno: 'EBADF' }) as Error);
    expect(tp.ops.classify(atIngress(s.va, udp(9)), tp, new TcfResult())).toBe(TC_ACT.SHOT);
    addEbpf(s, 1, fd, { da: true, handle: 1 }, 'replace');
    expect(tp.ops.classify(atIngress(s.va, udp(9)), tp, new TcfResult())).toBe(TC_ACT.OK);
  });

  it('redirect_global.o: UDP to 4789 is redirected (TC_ACT_REDIRECT) out of the target device, other traffic passes', () => {
    const s = makeESim();
    const [vc, vd] = s.net.addVethPair('vc', 'vd');
    const obj = object('redirect_global.o');
    const ro = obj.maps.find((m) => m.name === '.rodata')!.initialValue!;
    // .rodata: target_ifindex (u32 1), clone_mode (u32 0), redirect_port (u16 4789), little-endian
    const rv = new DataView(ro.buffer, ro.byteOffset, ro.byteLength);
    let at = -1;
    for (let i = 0; i + 4 <= ro.length; i += 4) if (rv.getUint32(i, true) === 1) { at = i; break; }
    expect(at).toBeGreaterThanOrEqual(0);
    rv.setUint32(at, vc.ifindex, true);
    const loaded = instantiateObject(s.bpf, obj);
    addEbpf(s, 1, loaded.programs.get('redirect_udp')!, { da: true, name: 'redirect_global.o:[tc]' });
    const tp = ingressTp(s);
    expect(tp.ops.classify(atIngress(s.va, udp(4789)), tp, new TcfResult())).toBe(TC_ACT.REDIRECT);
    expect(tp.ops.classify(atIngress(s.va, udp(53)), tp, new TcfResult())).toBe(TC_ACT.OK);
    // through the device layer: vb transmits, va's ingress hook redirects out of vc, vd receives
    const before = vd.dev.stats.rxPackets;
    const vaRx = s.va.dev.stats.rxPackets;
    const skb = SkBuff.fromFrame(udp(4789));
    skb.setDev(s.vb.dev);
    s.net.ns.devQueueXmit(skb);
    expect(vd.dev.stats.rxPackets).toBe(before + 1);
    expect(vc.dev.stats.txPackets).toBe(1);
    const pass = SkBuff.fromFrame(udp(53));
    pass.setDev(s.vb.dev);
    s.net.ns.devQueueXmit(pass);
    expect(vd.dev.stats.rxPackets).toBe(before + 1);
    expect(s.va.dev.stats.rxPackets).toBe(vaRx + 2);
  });
});

// tc-testing filters/bpf.json 2334 and 2373, rewritten: tc loads the object file
// (here: loadElfObject + instantiateObject, what tc does through libbpf) and adds
// the filter by fd with the name "FILE:[SECTION]".
describe('tc-testing filters/bpf.json (eBPF object-file cases)', () => {
  it('2334: a valid object file is added and listed with its name and a 16-hex-digit tag', () => {
    const s = makeESim();
    s.tc.qdisc('add', { ifindex: s.vb.ifindex, parent: 0xfffffff1, handle: 0xffff0000, kind: 'ingress' });
    const { fd } = loadClassify(s);
    s.tc.filter('add', { ifindex: s.vb.ifindex, parent: 0xffff0000, prio: 100, protocol: 0x0800, handle: 1, kind: 'bpf', options: ebpfOptions(fd, { name: 'parse_classify.o:[tc]' }) });
    const [m] = s.tc.filter('get', { ifindex: s.vb.ifindex, parent: 0xffff0000, prio: 100, protocol: 0x0800, handle: 1, kind: 'bpf' });
    const opts = parseAttrs(m!, 16 + 20, m!.length, TCA.MAX).nested(TCA.OPTIONS, TCA_BPF.MAX);
    expect(new TextDecoder().decode(opts.data(TCA_BPF.NAME))).toBe('parse_classify.o:[tc]\0');
    expect(Buffer.from(opts.data(TCA_BPF.TAG)).toString('hex')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('2373: an object whose program the verifier rejects yields no fd, so no filter is added', () => {
    const s = makeESim();
    const obj = object('parse_classify.o');
    const p = obj.programs.find((x) => x.name === 'classify')!;
    // first instruction becomes r0 = *(u32 *)(r5 + 0): R5 is never written, the verifier refuses it
    p.insns.set([0x61, 0x50, 0, 0, 0, 0, 0, 0], 0);
    expect(() => instantiateObject(s.bpf, obj)).toThrow(expect.objectContaining({ errno: 'EACCES' }) as Error);
    expect(dumpOptions(s)).toEqual([]);
  });
});
