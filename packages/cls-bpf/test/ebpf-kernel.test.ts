// Differential: clang-built eBPF classifiers attached by tc to a veth in a
// namespace of this machine's kernel, and the same objects by fd in tcbpf. Frames
// are sent from vb into va's clsact ingress; per frame the device counters
// (delivered on va, redirected out of lo by redirect_global.o's bpf_redirect to
// ifindex 1, looped back into lo), the mirror action's counter behind a non-da
// parse_classify.o (its TC_ACT_OK = no match, so the action never runs), and the
// dumped name and flags must be the same.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { SkBuff, buildFrame } from '@tcbpf/skb';
import { TCF_ALL_KINDS, TcClient, TcKernel, mirredSpec, parseAttrs, writeActions } from '@tcbpf/tcf';
import { hasTool, kernelOracle, Netns } from '@tcbpf/testing';
import { NlWriter } from '@tcbpf/tcf';
import { TCA, TCA_BPF, TC_ACT } from '@tcbpf/uapi';
import { createClsBpfOps } from '../src/index.js';
import { ETH_P_ALL, INGRESS } from './support/sim.js';

const PROGS = fileURLToPath(new URL('../../bpf-skb/test/fixtures/progs/', import.meta.url));
const k = kernelOracle();
const py = hasTool('python3');

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);
const ip4 = (l4: Parameters<typeof buildFrame>[0]['l3'] extends infer T ? T extends { kind: 'ipv4'; l4: infer L } ? L : never : never): Uint8Array =>
  buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4 } });
const FRAMES: readonly [string, Uint8Array][] = [
  ['udp 4789 (redirected)', ip4({ kind: 'udp', sport: 40000, dport: 4789 })],
  ['udp 53 (passes)', ip4({ kind: 'udp', sport: 40000, dport: 53 })],
  ['tcp 443 syn (passes)', ip4({ kind: 'tcp', sport: 40000, dport: 443, flags: 0x02 })],
  ['udp 4789 again', ip4({ kind: 'udp', sport: 40001, dport: 4789 })],
];

interface Counters { vaRx: number; loTx: number; loRx: number; mirrorAct: number }

const SEND = 'import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind(("vb",0))\ns.send(bytes.fromhex(sys.argv[1]))\n';

describe.skipIf(!k.ok || !py)(`eBPF cls_bpf traffic and dump equal the kernel's (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  const ns = k.ok && py ? new Netns('clsbpf-ebpf') : null;
  afterAll(() => ns?.close());

  it('per-frame counters, action counter and dumped name/flags agree', () => {
    const n = ns!;
    n.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    n.run('sysctl', ['-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    n.run('ip', ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
    n.run('ip', ['link', 'set', 'va', 'up']);
    n.run('ip', ['link', 'set', 'vb', 'up']);
    n.run('tc', ['qdisc', 'add', 'dev', 'va', 'clsact']);
    n.run('tc', ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '1', 'handle', '1', 'bpf', 'obj', PROGS + 'parse_classify.o', 'sec', 'tc', 'classid', '1:1', 'action', 'mirred', 'egress', 'mirror', 'dev', 'lo']);
    n.run('tc', ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '2', 'handle', '1', 'bpf', 'da', 'obj', PROGS + 'redirect_global.o', 'sec', 'tc']);
    const kcount = (): Counters => {
      const link = (d: string): { rx: number; tx: number } => {
        const j = JSON.parse(n.run('ip', ['-s', '-j', 'link', 'show', 'dev', d])) as { stats64: { rx: { packets: number }; tx: { packets: number } } }[];
        return { rx: j[0]!.stats64.rx.packets, tx: j[0]!.stats64.tx.packets };
      };
      const f = JSON.parse(n.run('tc', ['-s', '-j', 'filter', 'show', 'dev', 'va', 'ingress', 'prio', '1'])) as { options?: { actions?: { stats: { packets: number } }[] } }[];
      const act = f.find((x) => x.options?.actions)!.options!.actions![0]!.stats.packets;
      return { vaRx: link('va').rx, loTx: link('lo').tx, loRx: link('lo').rx, mirrorAct: act };
    };

    // tcbpf: the same objects by fd
    const bpf = tcBpfSyscall();
    const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf })] } });
    const net = kernel.addNet();
    net.ns.loopback.setUp(true);
    const [va, vb] = net.addVethPair('va', 'vb');
    const tc = new TcClient(net.socket());
    tc.clsact(va.ifindex);
    const load = (file: string, prog: string): number => instantiateObject(bpf, loadElfObject(new Uint8Array(readFileSync(PROGS + file)), { fileName: file })).programs.get(prog)!;
    tc.filter('add', { ifindex: va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: (w) => {
      w.u32(TCA_BPF.CLASSID, 0x10001);
      const a = w.nestStart(TCA_BPF.ACT);
      writeActions(w, [mirredSpec(2 /* TCA_EGRESS_MIRROR */, 1, TC_ACT.PIPE, 1)]);
      w.nestEnd(a);
      w.u32(TCA_BPF.FD, load('parse_classify.o', 'classify'));
      w.str(TCA_BPF.NAME, 'parse_classify.o:[tc]');
    } });
    tc.filter('add', { ifindex: va.ifindex, parent: INGRESS, prio: 2, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: (w) => {
      w.u32(TCA_BPF.FD, load('redirect_global.o', 'redirect_udp'));
      w.str(TCA_BPF.NAME, 'redirect_global.o:[tc]');
      w.u32(TCA_BPF.FLAGS, 1);
    } });
    const lo = net.ns.loopback;
    const tcount = (): Counters => {
      const mirrorAct = net.actions.get('mirred')!.get(1)!.stats.packets;
      return { vaRx: va.dev.stats.rxPackets, loTx: lo.stats.txPackets, loRx: lo.stats.rxPackets, mirrorAct };
    };

    let agree = 0;
    let redirected = 0;
    for (const [name, frame] of FRAMES) {
      const k0 = kcount();
      n.run('python3', ['-c', SEND, Buffer.from(frame).toString('hex')]);
      const k1 = kcount();
      const t0 = tcount();
      const skb = SkBuff.fromFrame(frame);
      skb.setDev(vb.dev);
      net.ns.devQueueXmit(skb);
      const t1 = tcount();
      const kd = { vaRx: k1.vaRx - k0.vaRx, loTx: k1.loTx - k0.loTx, loRx: k1.loRx - k0.loRx, mirrorAct: k1.mirrorAct - k0.mirrorAct };
      const td = { vaRx: t1.vaRx - t0.vaRx, loTx: t1.loTx - t0.loTx, loRx: t1.loRx - t0.loRx, mirrorAct: t1.mirrorAct - t0.mirrorAct };
      expect({ name, ...td }).toEqual({ name, ...kd });
      agree++;
      redirected += kd.loTx;
    }
    expect(agree).toBe(FRAMES.length);
    expect(redirected).toBe(2); // the two UDP 4789 frames left through lo in the kernel too

    // the dump: name, direct-action and not_in_hw as the kernel reports them
    const kf = JSON.parse(n.run('tc', ['-j', 'filter', 'show', 'dev', 'va', 'ingress', 'prio', '2'])) as { options?: { bpf_name?: string; prog?: { tag: string }; 'direct-action'?: boolean; not_in_hw?: boolean } }[];
    const ko = kf.find((x) => x.options?.prog)!.options!;
    const [m] = tc.filter('get', { ifindex: va.ifindex, parent: INGRESS, prio: 2, protocol: ETH_P_ALL, handle: 1, kind: 'bpf' });
    const o = parseAttrs(m!, 36, m!.length, TCA.MAX).nested(TCA.OPTIONS, TCA_BPF.MAX);
    expect(new TextDecoder().decode(o.data(TCA_BPF.NAME).subarray(0, -1))).toBe(ko.bpf_name);
    // TCA_BPF_TAG: both compute prog->tag over the instructions as loaded, before the
    // verifier's ctx-access rewrite
    expect(ko.prog!.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(Buffer.from(o.data(TCA_BPF.TAG)).toString('hex')).toBe(ko.prog!.tag);
    expect(o.u32(TCA_BPF.FLAGS)).toBe(ko['direct-action'] ? 1 : 0);
    expect(o.u32(TCA_BPF.FLAGS_GEN)).toBe(ko.not_in_hw ? 8 : 0);
  });
});


// Control-plane bytes with a real program fd: the same rtnetlink requests sent to the
// kernel (fixtures/ebpf_requests.py, fd from BPF_PROG_GET_FD_BY_ID of the program tc
// loaded) and to tcbpf (fd from instantiateObject); replies compared byte for byte with
// nlmsg_pid, the echoed request's fd, and the TCA_BPF_ID payload masked (program ids
// are per kernel); TCA_BPF_TAG is compared as is.
const FD_PLACEHOLDER = 0xfdfdfdfd;
const RTM_NEWTFILTER = 44, RTM_DELTFILTER = 45, RTM_GETTFILTER = 46;
const F_REQ = 1, F_ACK = 4, F_EXCL = 0x200, F_CREATE = 0x400, F_DUMP = 0x300;

function nlmsg(type: number, flags: number, seq: number, ifindex: number, handle: number, parent: number, info: number, attrs: (w: NlWriter) => void): Uint8Array {
  const w = new NlWriter();
  attrs(w);
  const body = w.bytes();
  const b = new Uint8Array(36 + body.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true); // nlmsghdr, host (little-endian) order
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setInt32(20, ifindex, true); // tcmsg: family, pad, ifindex, handle, parent, info
  v.setUint32(24, handle, true);
  v.setUint32(28, parent, true);
  v.setUint32(32, info, true);
  b.set(body, 36);
  return b;
}

function requests(ifindex: number): { name: string; msg: Uint8Array }[] {
  const EG = 0xfffffff3;
  const info = (prio: number): number => ((prio << 16) | 0x0300) >>> 0; // protocol ETH_P_ALL, network order
  const kind = (w: NlWriter): void => { w.str(TCA.KIND, 'bpf'); };
  const opt = (f: (w: NlWriter) => void) => (w: NlWriter): void => { kind(w); const n = w.nestStart(TCA.OPTIONS); f(w); w.nestEnd(n); };
  const add = F_REQ | F_ACK | F_CREATE | F_EXCL;
  let seq = 100;
  const m = (name: string, type: number, flags: number, handle: number, prio: number, a: (w: NlWriter) => void): { name: string; msg: Uint8Array } => ({ name, msg: nlmsg(type, flags, seq++, ifindex, handle, EG, info(prio), a) });
  return [
    m('add fd+name+classid+da (handle allocated)', RTM_NEWTFILTER, add, 0, 5, opt((w) => { w.u32(TCA_BPF.CLASSID, 0x10002); w.u32(TCA_BPF.FD, FD_PLACEHOLDER); w.str(TCA_BPF.NAME, 'parse_classify.o:[tc]'); w.u32(TCA_BPF.FLAGS, 1); })),
    m('add fd only, handle 7', RTM_NEWTFILTER, add, 7, 5, opt((w) => { w.u32(TCA_BPF.FD, FD_PLACEHOLDER); })),
    m('fd not open: EBADF', RTM_NEWTFILTER, add, 9, 5, opt((w) => { w.u32(TCA_BPF.FD, 999); })),
    m('bad TCA_BPF_FLAGS: EINVAL', RTM_NEWTFILTER, add, 9, 5, opt((w) => { w.u32(TCA_BPF.FD, FD_PLACEHOLDER); w.u32(TCA_BPF.FLAGS, 2); })),
    m('name without NUL: EINVAL', RTM_NEWTFILTER, add, 9, 5, opt((w) => { w.u32(TCA_BPF.FD, FD_PLACEHOLDER); w.attr(TCA_BPF.NAME, Uint8Array.of(0x61, 0x62)); })),
    m('fd with ops: EINVAL', RTM_NEWTFILTER, add, 9, 5, opt((w) => { w.u32(TCA_BPF.FD, FD_PLACEHOLDER); w.u16(TCA_BPF.OPS_LEN, 1); w.attr(TCA_BPF.OPS, Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0)); })),
    m('short TCA_BPF_FD: ERANGE', RTM_NEWTFILTER, add, 9, 5, opt((w) => { w.attr(TCA_BPF.FD, Uint8Array.of(3, 0)); })),
    m('add existing handle 7: EEXIST', RTM_NEWTFILTER, add, 7, 5, opt((w) => { w.u32(TCA_BPF.FD, FD_PLACEHOLDER); })),
    m('replace handle 7 with da + name', RTM_NEWTFILTER, F_REQ | F_ACK | F_CREATE, 7, 5, opt((w) => { w.u32(TCA_BPF.FD, FD_PLACEHOLDER); w.str(TCA_BPF.NAME, 'r'); w.u32(TCA_BPF.FLAGS, 1); })),
    m('failed replace (bad fd) of handle 7', RTM_NEWTFILTER, F_REQ | F_ACK | F_CREATE, 7, 5, opt((w) => { w.u32(TCA_BPF.FD, 998); })),
    m('dump egress', RTM_GETTFILTER, F_REQ | F_DUMP, 0, 0, () => undefined),
    m('delete handle 1', RTM_DELTFILTER, F_REQ | F_ACK, 1, 5, kind),
    m('dump egress after delete', RTM_GETTFILTER, F_REQ | F_DUMP, 0, 0, () => undefined),
  ];
}

/** Mask what legitimately differs: nlmsg_pid, the echoed request (own fd), the TCA_BPF_ID payload. */
function masked(reply: Uint8Array, req: Uint8Array): string {
  const b = reply.slice();
  const v = new DataView(b.buffer);
  v.setUint32(12, 0, true);
  if (v.getUint16(4, true) === 2 && b.length >= 20 + 16 && v.getUint32(20, true) === req.length) b.set(req.subarray(0, Math.min(req.length, b.length - 20)), 20);
  for (let i = 0; i + 4 <= b.length; i += 4) {
    const len = v.getUint16(i, true);
    const type = v.getUint16(i + 2, true);
    if (len === 8 && type === TCA_BPF.ID) v.setUint32(i + 4, 0, true);
  }
  return Buffer.from(b).toString('hex');
}

describe.skipIf(!k.ok || !py)(`eBPF cls_bpf control bytes equal the kernel's (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  const ns = k.ok && py ? new Netns('clsbpf-ebpfnl') : null;
  afterAll(() => ns?.close());

  it('add/replace/delete/dump and the refusals with a real program fd give the same reply bytes', () => {
    const n = ns!;
    n.run('ip', ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
    n.run('tc', ['qdisc', 'add', 'dev', 'va', 'clsact']);
    n.run('tc', ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '1', 'bpf', 'da', 'obj', PROGS + 'parse_classify.o', 'sec', 'tc']);
    const shown = JSON.parse(n.run('tc', ['-j', 'filter', 'show', 'dev', 'va', 'ingress'])) as { options?: { prog?: { id: number } } }[];
    const progId = shown.find((x) => x.options?.prog)!.options!.prog!.id;
    const kIfindex = (JSON.parse(n.run('ip', ['-j', 'link', 'show', 'dev', 'va'])) as { ifindex: number }[])[0]!.ifindex;

    const bpf = tcBpfSyscall();
    const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf })] } });
    const net = kernel.addNet();
    net.ns.loopback.setUp(true);
    const [va] = net.addVethPair('va', 'vb');
    const tc = new TcClient(net.socket());
    tc.clsact(va.ifindex);
    expect(va.ifindex).toBe(kIfindex);
    const file = PROGS + 'parse_classify.o';
    const fd = instantiateObject(bpf, loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file })).programs.get('classify')!;

    const reqs = requests(kIfindex);
    const out = JSON.parse(n.run('python3', [fileURLToPath(new URL('./fixtures/ebpf_requests.py', import.meta.url)), String(progId)], JSON.stringify(reqs.map((r) => Buffer.from(r.msg).toString('hex'))))) as { fd: number; replies: string[][] };
    const sock = net.socket();
    let same = 0;
    reqs.forEach((r, i) => {
      const mine = r.msg.slice();
      const mv = new DataView(mine.buffer);
      for (let o = 0; o + 4 <= mine.length; o += 4) if (mv.getUint32(o, true) === FD_PLACEHOLDER) mv.setUint32(o, fd, true);
      const t = sock.request(mine).map((x) => masked(x, r.msg));
      const kr = out.replies[i]!.map((h) => masked(new Uint8Array(Buffer.from(h, 'hex')), r.msg));
      expect({ step: r.name, replies: t }).toEqual({ step: r.name, replies: kr });
      same++;
    });
    expect(same).toBe(reqs.length);
  });
});
