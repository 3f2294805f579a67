// Test support: a tcbpf kernel with cls_bpf over a bpf() instance, a
// netdevsim bus and device, and a `tc`-like front end that does what iproute2
// does for `tc filter add dev X ingress bpf obj|bytecode [da] [skip_sw]
// [skip_hw]`: load the object's program (bound to the device when skip_sw),
// send RTM_NEWTFILTER with its fd, read the ACK's extack (error or warning),
// close the fd. Dumps are parsed like `tc -s filter show dev X ingress`.
import { tcBpfSyscall } from '@tcbpf/bpf-skb';
import { KernelError } from '@tcbpf/base';
import { createClsBpfOps } from '@tcbpf/cls-bpf';
import { JitRuntime } from '@tcbpf/jit';
import type { BpfSyscall } from '@tcbpf/ebpf';
import { NlWriter, TCF_ALL_KINDS, TC_CMD, TcClient, TcKernel, parseAttrs, type NlAttrs, type RtnlSocket, type TcNet } from '@tcbpf/tcf';
import { NLMSG, NLMSGERR_ATTR, NLM_F, RTM, TCA, TCA_ACT, TCA_BPF, TCA_CLS_FLAGS, TCA_STATS } from '@tcbpf/uapi';
import { NsimBus, type NsimDev, type NsimPort } from '../../src/index.js';

/** sample_ret0.bpf.o's program: r0 = 0; exit. */
export const RET0 = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
/** The cBPF bytecode `1,6 0 0 4294967295,` (ret -1). */
export const BYTECODE = Uint8Array.from([0x06, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
/** ETH_P_ALL, tc's default filter protocol. */
export const ETH_P_ALL = 3;
/** `ingress` as a filter parent. */
export const INGRESS = 0xfffffff2;

/** eBPF instruction bytes from [code, dst|src<<4, off, imm]. */
export function insns(list: readonly (readonly [number, number, number, number])[]): Uint8Array {
  const b = new Uint8Array(list.length * 8);
  const v = new DataView(b.buffer);
  list.forEach(([code, regs, off, imm], i) => {
    v.setUint8(i * 8, code);
    v.setUint8(i * 8 + 1, regs);
    v.setInt16(i * 8 + 2, off, true);
    v.setInt32(i * 8 + 4, imm, true);
  });
  return b;
}

/** One kernel with a netdevsim device. */
export interface NSim {
  readonly kernel: TcKernel;
  readonly net: TcNet;
  readonly bpf: BpfSyscall;
  readonly bus: NsimBus;
  dev: NsimDev;
  port: NsimPort;
  readonly tc: TcClient;
  readonly sock: RtnlSocket;
}

/** A kernel, bus and `netdevsim` device "1 1" with its port up and an ingress qdisc. */
export function makeNsim(o: { readonly profile?: 'netdevsim' | 'nfp'; readonly ports?: number; readonly jit?: boolean } = {}): NSim {
  const bpf = tcBpfSyscall();
  // one JIT per bpf() instance, shared by cls_bpf and the hardware engines (with jit: true)
  const jit = o.jit ? new JitRuntime(bpf, bpf.interpreter) : null;
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf, ...(jit === null ? {} : { jit }) })] } });
  const net = kernel.addNet();
  net.ns.loopback.setUp(true);
  const bus = new NsimBus({ net, bpf, ...(o.profile === undefined ? {} : { profile: o.profile }), ...(jit === null ? {} : { jit }) });
  const dev = bus.newDevice(`1 ${o.ports ?? 1}`);
  const port = dev.ports[0]!;
  port.nd.dev.setUp(true);
  const sock = net.socket();
  const tc = new TcClient(sock);
  addIngress(tc, port);
  return { kernel, net, bpf, bus, dev, port, tc, sock };
}

/** `tc qdisc add dev X ingress`. */
export function addIngress(tc: TcClient, port: NsimPort): void {
  tc.qdisc('add', { ifindex: port.ifindex, parent: 0xfffffff1, handle: 0xffff0000, kind: 'ingress' });
}

/** Re-create the device (test_offload's `sim = NetdevSim()`): id `id`, port up, ingress qdisc. */
export function newDevice(s: NSim, id: number): void {
  s.dev = s.bus.newDevice(`${id} 1`);
  s.port = s.dev.ports[0]!;
  s.port.nd.dev.setUp(true);
  addIngress(s.tc, s.port);
}

/** What a tc command reports. */
export interface TcResult {
  readonly ok: boolean;
  readonly errno: string;
  /** The extack text (on failure) or the warning (on success); '' when none. */
  readonly msg: string;
  /** The verifier log lines tc prints with `verbose`. */
  readonly log: readonly string[];
}

/** Options of {@link tcBpf}. */
export interface TcBpfOpts {
  readonly op?: 'add' | 'replace';
  /** 'obj' = sample_ret0.o, 'bytecode' = the cBPF above, or a pinned program's fd. */
  readonly prog?: 'obj' | 'bytecode' | { readonly fd: number };
  readonly prio?: number;
  readonly handle?: number;
  readonly chain?: number;
  readonly protocol?: number;
  readonly da?: boolean;
  readonly skipSw?: boolean;
  readonly skipHw?: boolean;
  /** The program's instructions for 'obj' (default RET0). */
  readonly insns?: Uint8Array;
  /** Actions inside TCA_BPF_ACT. */
  readonly actions?: (w: NlWriter) => void;
  /** Test affordance forwarded to the load (the verifier's sleep). */
  readonly onVerifierSleep?: () => void;
}

/** Send one request; the first ACK's errno and extack message. */
export function rawRequest(sock: RtnlSocket, type: number, flags: number, body: (w: NlWriter) => void): { code: number; msg: string; replies: Uint8Array[] } {
  const w = new NlWriter();
  const m = w.msgStart(type, flags, 1, 0);
  body(w);
  w.msgEnd(m);
  const replies = sock.request(w.bytes());
  for (const r of replies) {
    const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
    if (v.getUint16(4, true) !== NLMSG.ERROR) continue;
    const code = -v.getInt32(16, true);
    const f = v.getUint16(6, true);
    let msg = '';
    if (f & NLM_F.ACK_TLVS) {
      const start = 20 + (f & NLM_F.CAPPED ? 16 : v.getUint32(20, true));
      const tlv = parseAttrs(r, start, r.length, NLMSGERR_ATTR.MAX);
      if (tlv.has(NLMSGERR_ATTR.MSG)) msg = tlv.str(NLMSGERR_ATTR.MSG);
    }
    return { code, msg, replies };
  }
  return { code: 0, msg: '', replies };
}

const ERRNO_NAMES: Readonly<Record<number, string>> = Object.freeze({ 0: '', 1: 'EPERM', 2: 'ENOENT', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 95: 'EOPNOTSUPP' });

/** `tc filter add|replace dev X ingress [chain C] [prio P] [handle H] bpf ...`. */
export function tcBpf(s: NSim, o: TcBpfOpts = {}): TcResult {
  const kind = o.prog ?? 'obj';
  let fd = -1;
  let own = false;
  let log: readonly string[] = [];
  if (kind === 'obj') {
    try {
      const r = s.bus.offload!.progLoad({ insns: o.insns ?? RET0, license: 'GPL', name: 'sample_ret0', ...(o.skipSw ? { progIfindex: s.port.ifindex } : {}), ...(o.onVerifierSleep ? { onVerifierSleep: o.onVerifierSleep } : {}) });
      fd = r.fd;
      log = r.log;
      own = true;
    } catch (e) {
      if (!KernelError.isInstance(e)) throw e;
      return { ok: false, errno: e.errno, msg: e.extack, log: e.extack === '' ? [] : e.extack.split('\n') };
    }
  } else if (kind !== 'bytecode') fd = kind.fd;
  const gen = (o.skipSw ? TCA_CLS_FLAGS.SKIP_SW : 0) | (o.skipHw ? TCA_CLS_FLAGS.SKIP_HW : 0);
  const info = (((o.prio ?? 0) << 16) | (((o.protocol ?? ETH_P_ALL) & 0xff) << 8) | ((o.protocol ?? ETH_P_ALL) >>> 8)) >>> 0;
  const r = rawRequest(s.sock, RTM.NEWTFILTER, TC_CMD[o.op ?? 'add'], (w) => {
    w.tcmsg(s.port.ifindex, o.handle ?? 0, INGRESS, info);
    w.str(TCA.KIND, 'bpf');
    if (o.chain !== undefined) w.u32(TCA.CHAIN, o.chain);
    const n = w.nestStart(TCA.OPTIONS);
    if (fd >= 0) {
      w.u32(TCA_BPF.FD, fd);
      w.str(TCA_BPF.NAME, 'sample_ret0.o:[.text]');
    } else {
      w.u16(TCA_BPF.OPS_LEN, BYTECODE.length / 8);
      w.attr(TCA_BPF.OPS, BYTECODE);
    }
    if (o.actions) {
      const a = w.nestStart(TCA_BPF.ACT);
      o.actions(w);
      w.nestEnd(a);
    }
    if (o.da) w.u32(TCA_BPF.FLAGS, 1);
    if (gen) w.u32(TCA_BPF.FLAGS_GEN, gen);
    w.nestEnd(n);
  });
  if (own) s.bpf.close(fd);
  return { ok: r.code === 0, errno: ERRNO_NAMES[r.code] ?? String(r.code), msg: r.msg, log };
}

/** `tc filter del dev X ingress prio P handle H bpf`. */
export function tcDel(s: NSim, prio: number, handle: number): TcResult {
  const r = rawRequest(s.sock, RTM.DELTFILTER, TC_CMD.del, (w) => {
    w.tcmsg(s.port.ifindex, handle, INGRESS, ((prio << 16) | (ETH_P_ALL << 8)) >>> 0);
    w.str(TCA.KIND, 'bpf');
  });
  return { ok: r.code === 0, errno: ERRNO_NAMES[r.code] ?? String(r.code), msg: r.msg, log: [] };
}

/** test_offload's tc_flush_filters: delete and re-add the ingress qdisc. */
export function tcFlush(s: NSim): void {
  s.tc.qdisc('del', { ifindex: s.port.ifindex, parent: 0xfffffff1, handle: 0xffff0000 });
  addIngress(s.tc, s.port);
}

/** One filter as `tc -s filter show dev X ingress` reports it. */
export interface ShownFilter {
  readonly pref: number;
  readonly protocol: number;
  readonly handle: number;
  readonly chain: number;
  readonly skipSw: boolean;
  readonly skipHw: boolean;
  readonly inHw: boolean;
  readonly notInHw: boolean;
  readonly id: number;
  readonly tag: string;
  /** TCA_STATS_BASIC packets/bytes of each action (`Sent B bytes P pkt`). */
  readonly actionStats: readonly { readonly kind: string; readonly packets: number; readonly bytes: number; readonly drops: number }[];
}

function actStats(opts: NlAttrs): ShownFilter['actionStats'] {
  if (!opts.has(TCA_BPF.ACT)) return [];
  const out: { kind: string; packets: number; bytes: number; drops: number }[] = [];
  const acts = opts.nested(TCA_BPF.ACT, 32);
  for (let i = 1; i <= 32; i++) {
    if (!acts.has(i)) continue;
    const a = acts.nested(i, TCA_ACT.MAX);
    const st = a.nested(TCA_ACT.STATS, TCA_STATS.MAX);
    const b = st.data(TCA_STATS.BASIC);
    const q = st.data(TCA_STATS.QUEUE);
    const bv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const qv = new DataView(q.buffer, q.byteOffset, q.byteLength);
    out.push({ kind: a.str(TCA_ACT.KIND), bytes: Number(bv.getBigUint64(0, true)), packets: bv.getUint32(8, true), drops: qv.getUint32(8, true) });
  }
  return out;
}

/** `tc -s filter show dev X ingress` (the bpf filters, handles only). */
export function tcShow(s: NSim): ShownFilter[] {
  const out: ShownFilter[] = [];
  for (const m of s.tc.filter('dump', { ifindex: s.port.ifindex, parent: INGRESS })) {
    const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
    const handle = v.getUint32(24, true);
    if (handle === 0) continue;
    const info = v.getUint32(32, true);
    const tca = parseAttrs(m, 36, m.length, TCA.MAX);
    const opts = tca.nested(TCA.OPTIONS, TCA_BPF.MAX);
    const gen = opts.has(TCA_BPF.FLAGS_GEN) ? opts.u32(TCA_BPF.FLAGS_GEN) : 0;
    const tag = opts.has(TCA_BPF.TAG) ? [...opts.data(TCA_BPF.TAG)].map((x) => x.toString(16).padStart(2, '0')).join('') : '';
    out.push({
      pref: info >>> 16,
      protocol: ((info & 0xff) << 8) | ((info >>> 8) & 0xff),
      handle,
      chain: tca.has(TCA.CHAIN) ? tca.u32(TCA.CHAIN) : 0,
      skipSw: (gen & TCA_CLS_FLAGS.SKIP_SW) !== 0,
      skipHw: (gen & TCA_CLS_FLAGS.SKIP_HW) !== 0,
      inHw: (gen & TCA_CLS_FLAGS.IN_HW) !== 0,
      notInHw: (gen & TCA_CLS_FLAGS.NOT_IN_HW) !== 0,
      id: opts.has(TCA_BPF.ID) ? opts.u32(TCA_BPF.ID) : 0,
      tag,
      actionStats: actStats(opts),
    });
  }
  return out;
}

/** `bpftool prog list`: ids of the live programs. */
export function progIds(bpf: BpfSyscall): number[] {
  const out: number[] = [];
  for (let id = 1; id <= 4096; id++) if (bpf.progById(id) !== undefined) out.push(id);
  return out;
}
