// Models the SCHED_CLS / SCHED_ACT program types of Linux 6.18
// (net/core/filter.c tc_cls_act_verifier_ops / tc_cls_act_prog_ops,
// tc_cls_act_func_proto, bpf_skb_load_helper_* for LD_ABS/LD_IND) and the
// load path of kernel/bpf/syscall.c + kernel/bpf/verifier.c for them:
// helpers the kernel offers but tcbpf does not implement are refused by name,
// the program is verified (@tcbpf/verifier) and its context accesses are
// rewritten (convert_ctx_accesses) in the executable image while @tcbpf/ebpf
// loads it (the tag stays that of the instructions as loaded).
import { KernelError } from '@tcbpf/base';
import { BASE_HELPERS, type BpfSyscall, decodeInsns, makeProgType, type BpfMap, type HelperEnv, type ProgTypeOps } from '@tcbpf/ebpf';
import { BPF_FUNC_NAMES, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { REG_TYPE, SCHED_CLS_OPS, rewriteCtxAccesses, verify, type FuncInfo, type MapDescriptor } from '@tcbpf/verifier';
import { provenRegions } from '@tcbpf/jit';
import { TcBpfSyscall } from './frozen-maps.js';
import { TC_HELPERS } from './helpers/tc-helpers.js';
import { SkbRunState } from './skb-run-state.js';

const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/**
 * LD_ABS/LD_IND for sk_buff programs (bpf_skb_load_helper_8/16/32 +
 * bpf_internal_load_pointer_neg_helper): offsets are relative to skb->data
 * (the MAC header in tc); SKF_NET_OFF/SKF_LL_OFF address the network/MAC header.
 * Returns the big-endian value, or -1 (the program then returns 0).
 */
function ldPacket(env: HelperEnv, offset: number, size: number): number {
  const st = env.runCtx;
  if (!(st instanceof SkbRunState)) return -1;
  const skb = st.ctx.skb;
  let at: number;
  if (offset >= 0) {
    if (offset + size > skb.len) return -1;
    at = skb.dataOff + offset;
  } else if (offset >= SKF_NET_OFF) {
    if (skb.networkHeader < 0) return -1;
    at = skb.networkHeader + offset - SKF_NET_OFF;
  } else if (offset >= SKF_LL_OFF) {
    if (skb.macHeader < 0) return -1;
    at = skb.macHeader + offset - SKF_LL_OFF;
  } else return -1;
  if (at < 0 || at + size > skb.dataOff + skb.len) return -1;
  const v = skb.view;
  return size === 1 ? v.getUint8(at) : size === 2 ? v.getUint16(at, false) : v.getUint32(at, false);
}

const TC_IDS: ReadonlySet<number> = new Set(TC_HELPERS.map((h) => h.proto.id));
/** The helpers of tc programs: the base ones, with the tc versions where tc has its own (perf_event_output). */
const ALL_TC_HELPERS = Object.freeze([...BASE_HELPERS.filter((h) => !TC_IDS.has(h.proto.id)), ...TC_HELPERS]);

/** SCHED_CLS program-type ops for @tcbpf/ebpf (base + tc helpers, LD_ABS/IND). */
export const SCHED_CLS: ProgTypeOps = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls', ctxSize: 192, helpers: ALL_TC_HELPERS, baseHelpers: false, ldPacket });
/** SCHED_ACT (act_bpf): the same context, helpers and rules as SCHED_CLS. */
export const SCHED_ACT: ProgTypeOps = makeProgType({ type: BPF_PROG_TYPE.SCHED_ACT, name: 'sched_act', ctxSize: 192, helpers: ALL_TC_HELPERS, baseHelpers: false, ldPacket });

/** Helper ids tcbpf implements for tc programs, ascending. */
export function implementedTcHelpers(): number[] {
  return ALL_TC_HELPERS.map((h) => h.proto.id).sort((a, b) => a - b);
}

/** A BpfSyscall (with BPF_MAP_FREEZE: {@link TcBpfSyscall}) with the SCHED_CLS and SCHED_ACT types registered. */
export function tcBpfSyscall(opts: ConstructorParameters<typeof BpfSyscall>[0] = {}): TcBpfSyscall {
  return new TcBpfSyscall({ ...opts, progTypes: [SCHED_CLS, SCHED_ACT, ...(opts.progTypes ?? [])] });
}

/** What {@link loadTcProgram} takes (BPF_PROG_LOAD fields). */
export interface TcProgLoadAttr {
  /** BPF_PROG_TYPE.SCHED_CLS (default) or SCHED_ACT. */
  readonly progType?: number;
  /** `struct bpf_insn` bytes (little-endian), map fds already in the LD_IMM64s. */
  readonly insns: Uint8Array;
  readonly license: string;
  readonly name?: string;
  /**
   * func_info with each function's BTF linkage (what libbpf passes with the
   * object's BTF). Callbacks (BPF_PSEUDO_FUNC) are refused without it, as by the kernel.
   */
  readonly funcInfo?: readonly FuncInfo[];
}

/** The result of a load: the fd plus the verifier's statistics. */
export interface TcProgLoadResult {
  readonly fd: number;
  /** Instructions the verifier processed. */
  readonly verifiedInsns: number;
  /**
   * Per instruction, the fixed region (stack, ctx, packet) the verifier proved the
   * access addresses, else -1: `JitRuntime.load(prog, { provenRegion })`. A
   * {@link TcBpfSyscall} also keeps it (`jitFacts(prog)`).
   */
  readonly provenRegion: Int8Array;
}

/**
 * BPF_PROG_LOAD for a tc program: refuses helpers Linux offers to tc
 * programs but tcbpf does not implement (EINVAL naming the helper and the
 * instruction), verifies with @tcbpf/verifier (its errno and message), rewrites
 * the packet-pointer loads and loads the result into `sys`.
 */
export function loadTcProgram(sys: BpfSyscall, attr: TcProgLoadAttr): TcProgLoadResult {
  const progType = attr.progType ?? BPF_PROG_TYPE.SCHED_CLS;
  if (progType !== BPF_PROG_TYPE.SCHED_CLS && progType !== BPF_PROG_TYPE.SCHED_ACT) {
    throw new KernelError('EINVAL', `program type ${progType} is not a tc program type`, { where: 'prog_type' });
  }
  const b = attr.insns;
  if (b.length % 8 !== 0 || b.length === 0) throw new KernelError('EINVAL', `instruction bytes (${b.length}) are not a non-empty multiple of 8`, { where: 'insns' });
  const ops = progType === BPF_PROG_TYPE.SCHED_CLS ? SCHED_CLS : SCHED_ACT;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < b.length / 8; i++) {
    const code = b[i * 8]!;
    if (code === 0x18) { i++; continue; }
    if (code !== 0x85 || (b[i * 8 + 1]! >>> 4) !== 0) continue;
    const id = dv.getInt32(i * 8 + 4, true);
    if (ops.getHelper(id) === undefined && SCHED_CLS_OPS.helper(id) !== undefined) {
      throw new KernelError('EINVAL', `helper bpf_${BPF_FUNC_NAMES[id] ?? id}#${id} is offered by Linux 6.18 to ${ops.name} programs but not implemented by tcbpf`, { insn: i });
    }
  }
  const desc = (m: BpfMap): MapDescriptor => {
    const inner = (m as { readonly inner?: BpfMap }).inner;
    return { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, ...(inner === undefined ? {} : { inner: desc(inner) }) };
  };
  const maps = (fd: number): MapDescriptor | undefined => {
    const m = sys.mapByFd(fd);
    return m === undefined ? undefined : desc(m);
  };
  const res = verify(b, { progType: SCHED_CLS_OPS, license: attr.license, maps, ...(attr.funcInfo === undefined ? {} : { funcInfo: attr.funcInfo }) });
  if (!res.ok) throw new KernelError(res.errno as 'EINVAL', res.message || `verifier refused the program (${res.errno})`, { insn: res.insn });
  // The program is loaded as given (its tag is computed over these
  // instructions); the context-access rewrite only changes the executable image.
  const xlated = decodeInsns(rewriteCtxAccesses(b, res));
  const fd = sys.progLoad({ progType, insns: b, license: attr.license, verifier: () => xlated, ...(attr.name === undefined ? {} : { name: attr.name }) });
  const provenRegion = provenRegions(res.accessTypes, { stack: REG_TYPE.PTR_TO_STACK, ctx: REG_TYPE.PTR_TO_CTX, packet: REG_TYPE.PTR_TO_PACKET });
  if (sys instanceof TcBpfSyscall) sys.setJitFacts(sys.prog(fd), { provenRegion });
  return { fd, verifiedInsns: res.processed, provenRegion };
}
