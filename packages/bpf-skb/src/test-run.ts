// Models net/bpf/test_run.c (Linux 6.18) bpf_prog_test_run_skb for
// SCHED_CLS/SCHED_ACT: the skb built from data_in on `lo` (or ctx->ifindex)
// of the caller's namespace with eth_type_trans, the MAC header pushed back,
// ctx_in → skb (convert___skb_to_skb, its allowed fields and errors), repeat,
// retval, skb → ctx_out (convert_skb_to___skb), data_out with ENOSPC.
// Duration comes from the simulated clock (see docs/kernel-mapping.md).
import { KernelError, type SimClock } from '@tcbpf/base';
import { RUN_STATUS, type BpfSyscall, type Cgroup, AddressSpace, REGION } from '@tcbpf/ebpf';
import type { JitRuntime } from '@tcbpf/jit';
import { NET_SKB_PAD, NetNamespace, SkBuff, ethTypeTrans } from '@tcbpf/skb';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { SKB_OFF } from './sk-buff-ctx.js';
import { SkbRunState } from './skb-run-state.js';
import { TcBpfSyscall } from './frozen-maps.js';

const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
/** PAGE_SIZE - NET_SKB_PAD - SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64 (4096 - 64 - 320). */
export const TEST_RUN_MAX_DATA = 3712;
const SKB_CTX_SIZE = 192;
const GSO_MAX_SEGS = 65535;
const GSO_LEGACY_MAX_SIZE = 65536;

/** BPF_PROG_TEST_RUN input (the `bpf_attr.test` fields used by skb programs). */
export interface TestRunAttr {
  readonly dataIn: Uint8Array;
  /** data_size_out: capacity of data_out; undefined = no data_out buffer (NULL). */
  readonly dataSizeOut?: number;
  readonly ctxIn?: Uint8Array;
  /** ctx_size_out: capacity of ctx_out; undefined/0 = no ctx_out. */
  readonly ctxSizeOut?: number;
  readonly repeat?: number;
  readonly flags?: number;
  readonly cpu?: number;
  readonly batchSize?: number;
}

/** BPF_PROG_TEST_RUN output. */
export interface TestRunResult {
  /** Low 32 bits of R0 of the last run (uint32). */
  readonly retval: number;
  /** Mean simulated ns per run. */
  readonly duration: number;
  /** The packet after the run(s), up to dataSizeOut bytes. */
  readonly dataOut: Uint8Array | undefined;
  /** Full packet size (data_size_out as the kernel writes it back). */
  readonly dataSizeOut: number;
  readonly ctxOut: Uint8Array | undefined;
  /** 'ENOSPC' when data_out was too small (the kernel returns -ENOSPC after copying what fits). */
  readonly errno: 'ENOSPC' | undefined;
  /** The sk_buff after the run (metadata the kernel does not copy out, e.g. the VLAN tag). */
  readonly skb: SkBuff;
  /** Where bpf_redirect* pointed (0 = none) and its flags. */
  readonly redirect: { readonly ifindex: number; readonly flags: number; readonly peer: boolean };
}

function rangeIsZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

/** Options of a {@link TcTestRunner}. */
export interface TcTestRunnerOptions {
  /** The caller's network namespace (a fresh one with only `lo` by default). */
  readonly ns?: NetNamespace;
  /** Simulated ns charged per executed instruction (default 1). */
  readonly nsPerInsn?: number;
  /**
   * Run compiled programs with this JIT (bpf_jit_enable = 1) instead of the
   * interpreter. The JIT counts no instructions, so a compiled run is charged
   * nsPerInsn × the program's length.
   */
  readonly jit?: JitRuntime;
  /**
   * The calling task's cgroup v2 cgroup (where the process doing bpf() lives;
   * default the root of `sys.cgroups`). The skb of a test run carries a fake
   * full socket, and sk_alloc → cgroup_sk_alloc gives it this cgroup, which
   * bpf_skb_under_cgroup tests.
   */
  readonly taskCgroup?: Cgroup;
}

/**
 * BPF_PROG_TEST_RUN for tc programs of one BpfSyscall instance. Errors are
 * KernelErrors with the kernel's errno naming the offending field.
 */
export class TcTestRunner {
  readonly sys: BpfSyscall;
  readonly ns: NetNamespace;
  readonly state: SkbRunState;
  readonly #nsPerInsn: number;
  readonly #clock: SimClock;
  readonly #jit: JitRuntime | undefined;

  constructor(sys: BpfSyscall, opts: TcTestRunnerOptions = {}) {
    this.sys = sys;
    this.#clock = sys.clock;
    this.ns = opts.ns ?? new NetNamespace({ clock: sys.clock, prng: sys.prng });
    this.#nsPerInsn = opts.nsPerInsn ?? 1;
    this.#jit = opts.jit;
    this.state = new SkbRunState(sys.mem, new SkBuff(0), this.ns);
    this.taskCgroup = opts.taskCgroup ?? sys.cgroups.root;
  }

  /** The caller's cgroup: the cgroup of each run's fake socket (see {@link TcTestRunnerOptions.taskCgroup}); may be changed between runs. */
  taskCgroup: Cgroup;

  /** Run the program behind `progFd` as BPF_PROG_TEST_RUN does. */
  run(progFd: number, attr: TestRunAttr): TestRunResult {
    const prog = this.sys.prog(progFd);
    if (prog.type !== BPF_PROG_TYPE.SCHED_CLS && prog.type !== BPF_PROG_TYPE.SCHED_ACT) throw new KernelError('ENOTSUPP', `test_run for program type ${prog.type} is not modelled`, { where: 'prog_type' });
    if ((attr.flags ?? 0) !== 0) throw new KernelError('EINVAL', 'flags must be 0 for skb programs', { where: 'flags' });
    if ((attr.cpu ?? 0) !== 0) throw new KernelError('EINVAL', 'cpu must be 0 for skb programs', { where: 'cpu' });
    if ((attr.batchSize ?? 0) !== 0) throw new KernelError('EINVAL', 'batch_size must be 0 for skb programs', { where: 'batch_size' });
    const size = attr.dataIn.length;
    if (size < ETH_HLEN) throw new KernelError('EINVAL', `data_size_in ${size} is below ETH_HLEN (14)`, { where: 'data_size_in' });
    if (size > TEST_RUN_MAX_DATA) throw new KernelError('EINVAL', `data_size_in ${size} is above ${TEST_RUN_MAX_DATA}`, { where: 'data_size_in' });
    // bpf_ctx_init
    const ctx = new Uint8Array(SKB_CTX_SIZE);
    const cin = attr.ctxIn;
    if (cin !== undefined && cin.length > 0) {
      if (cin.length > SKB_CTX_SIZE && !rangeIsZero(cin, SKB_CTX_SIZE, cin.length)) throw new KernelError('E2BIG', 'ctx_in has non-zero bytes beyond struct __sk_buff', { where: 'ctx_in' });
      ctx.set(cin.subarray(0, Math.min(SKB_CTX_SIZE, cin.length)));
    }
    const cv = new DataView(ctx.buffer);
    const O = SKB_OFF;
    const skb = SkBuff.fromFrame(attr.dataIn, NET_SKB_PAD, 0);
    let dev = this.ns.loopback;
    const ifindex = cv.getUint32(O.ifindex, true);
    if (ifindex > 1) {
      const d = this.ns.getByIndex(ifindex);
      if (d === undefined) throw new KernelError('ENODEV', `ctx_in ifindex ${ifindex} is not a device of the namespace`, { where: '__sk_buff.ifindex' });
      dev = d;
    }
    skb.protocol = ethTypeTrans(skb, dev);
    skb.resetNetworkHeader();
    // the network header must be present in full for IP packets (measured on 6.18: 33-byte IPv4 / 53-byte IPv6 frames are EINVAL)
    const nhNeed = skb.protocol === ETH_P_IP ? 20 : skb.protocol === ETH_P_IPV6 ? 40 : 0;
    if (skb.len < nhNeed) throw new KernelError('EINVAL', `data_size_in ${size} is too short for the ${nhNeed === 20 ? 'IPv4' : 'IPv6'} header`, { where: 'data_size_in' });
    skb.push(ETH_HLEN);
    // convert___skb_to_skb
    const zeroRanges: readonly (readonly [number, number, string])[] = [
      [0, O.mark, 'len..queue_mapping/protocol before mark'], [O.mark + 4, O.priority, 'queue_mapping..vlan_proto'],
      [O.ifindex + 4, O.cb, 'tc_index'], [O.cb + 20, O.tstamp, 'hash..flow_keys'], [O.gso_segs + 4, O.gso_size, 'sk'],
      [O.gso_size + 4, O.hwtstamp, 'tstamp_type'], [O.hwtstamp + 8, SKB_CTX_SIZE, 'tail'],
    ];
    for (const [a, b, what] of zeroRanges) {
      if (!rangeIsZero(ctx, a, b)) throw new KernelError('EINVAL', `ctx_in: field(s) at offsets ${a}..${b - 1} (${what}) must be zero`, { where: '__sk_buff' });
    }
    skb.mark = cv.getUint32(O.mark, true);
    skb.priority = cv.getUint32(O.priority, true);
    skb.ingressIfindex = cv.getUint32(O.ingress_ifindex, true);
    skb.tstamp = cv.getUint32(O.tstamp + 4, true) * 0x100000000 + cv.getUint32(O.tstamp, true);
    skb.cb.set(ctx.subarray(O.cb, O.cb + 20));
    const wireLen = cv.getUint32(O.wire_len, true);
    if (wireLen === 0) skb.qdiscPktLen = skb.len;
    else {
      if (wireLen < skb.len || wireLen > GSO_LEGACY_MAX_SIZE) throw new KernelError('EINVAL', `ctx_in wire_len ${wireLen} is below len ${skb.len} or above ${GSO_LEGACY_MAX_SIZE}`, { where: '__sk_buff.wire_len' });
      skb.qdiscPktLen = wireLen;
    }
    const gsoSegs = cv.getUint32(O.gso_segs, true);
    if (gsoSegs > GSO_MAX_SEGS) throw new KernelError('EINVAL', `ctx_in gso_segs ${gsoSegs} is above ${GSO_MAX_SEGS}`, { where: '__sk_buff.gso_segs' });
    skb.gsoSegs = gsoSegs;
    skb.gsoSize = cv.getUint32(O.gso_size, true);
    skb.hwtstamp = cv.getUint32(O.hwtstamp + 4, true) * 0x100000000 + cv.getUint32(O.hwtstamp, true);

    // bpf_test_run
    const repeat = Math.max(1, attr.repeat ?? 1);
    const st = this.state;
    st.ns = this.ns;
    st.sockCgroup = this.taskCgroup;
    const interp = this.sys.interpreter;
    const t0 = this.#clock.nowNs();
    let retval = 0;
    const jit = this.#jit;
    if (jit !== undefined) jit.load(prog, this.sys instanceof TcBpfSyscall ? this.sys.jitFacts(prog) : undefined);
    for (let i = 0; i < repeat; i++) {
      st.begin(skb);
      interp.runCtx = st;
      let status: number;
      if (jit !== undefined) {
        jit.runCtx = st;
        status = jit.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
        this.#clock.advance((jit.lastJited ? prog.insns.length : interp.executed) * this.#nsPerInsn);
        retval = jit.r0Lo >>> 0;
      } else {
        status = this.sys.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
        this.#clock.advance(interp.executed * this.#nsPerInsn);
        retval = interp.r0Lo >>> 0;
      }
      st.end();
      const faultPc = jit !== undefined ? jit.faultPc : interp.faultPc;
      if (status !== RUN_STATUS.OK) throw new KernelError('EFAULT', `program faulted (status ${status}) at insn ${faultPc}`, { insn: faultPc });
    }
    const duration = Math.floor((this.#clock.nowNs() - t0) / repeat);
    prog.stats.runTimeNs += this.#clock.nowNs() - t0;

    // convert_skb_to___skb
    const out = new Uint8Array(SKB_CTX_SIZE);
    out.set(ctx);
    const ov = new DataView(out.buffer);
    ov.setUint32(O.mark, skb.mark, true);
    ov.setUint32(O.priority, skb.priority, true);
    ov.setUint32(O.ingress_ifindex, skb.ingressIfindex, true);
    ov.setUint32(O.ifindex, skb.ifindex, true);
    ov.setUint32(O.tstamp, skb.tstamp >>> 0, true);
    ov.setUint32(O.tstamp + 4, Math.floor(skb.tstamp / 0x100000000) >>> 0, true);
    out.set(skb.cb, O.cb);
    ov.setUint32(O.wire_len, skb.qdiscPktLen, true);
    ov.setUint32(O.gso_segs, skb.gsoSegs, true);
    ov.setUint32(O.gso_size, skb.gsoSize, true);
    ov.setUint32(O.hwtstamp, skb.hwtstamp >>> 0, true);
    ov.setUint32(O.hwtstamp + 4, Math.floor(skb.hwtstamp / 0x100000000) >>> 0, true);

    const full = skb.buf.subarray(skb.dataOff, skb.dataOff + skb.len);
    let dataOut: Uint8Array | undefined;
    let errno: 'ENOSPC' | undefined;
    if (attr.dataSizeOut !== undefined) {
      const n = Math.min(attr.dataSizeOut, full.length);
      dataOut = full.slice(0, n);
      if (n < full.length) errno = 'ENOSPC';
    }
    let ctxOut: Uint8Array | undefined;
    if (errno === undefined && (attr.ctxSizeOut ?? 0) > 0) {
      ctxOut = out.slice(0, Math.min(attr.ctxSizeOut!, SKB_CTX_SIZE));
      if (attr.ctxSizeOut! < SKB_CTX_SIZE) errno = 'ENOSPC';
    }
    return {
      retval, duration, dataOut, dataSizeOut: full.length, ctxOut, errno, skb,
      redirect: { ifindex: st.redirectIfindex, flags: st.redirectFlags, peer: st.redirectPeer },
    };
  }
}
