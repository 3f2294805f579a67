// Models net/core/filter.c bpf_prog_create() -> bpf_migrate_filter() ->
// bpf_prog_select_runtime() (Linux 6.18): a checked classic program is converted to
// eBPF (@tcbpf/cbpf convertClassic) and then JITed like any eBPF program, so every
// classic user (socket filters, cls_bpf "bytecode", xt_bpf) runs compiled. The
// kernel functions a converted program calls (bpf_skb_load_helper_*,
// bpf_skb_get_pay_offset, bpf_skb_get_nlattr[_nest], bpf_get_raw_cpu_id,
// bpf_user_rnd_u32) are helpers here, numbered by CLASSIC_CALL.
import { KernelError } from '@tcbpf/base';
import {
  CLASSIC_CALL, CLASSIC_CTX, CLASSIC_DEV, checkClassic, convertClassic, loadPacket, skbGetNlattr, skbGetNlattrNest, skbGetPoff,
  type ClassicEnv, type ClassicSkb, type SockFilter,
} from '@tcbpf/cbpf';
import {
  AddressSpace, HELPER_CTRL, REGION, RUN_STATUS, insn, makeProgType, type BpfProg, type HelperEnv, type HelperFn, type Insn,
} from '@tcbpf/ebpf';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import type { JitInfo, JitRuntime } from './jit.js';

const EFAULT_U32 = -14;
const CLASSIC_TYPE = makeProgType({ type: BPF_PROG_TYPE.SOCKET_FILTER, name: 'classic (converted)', ctxSize: CLASSIC_CTX.SIZE, baseHelpers: false });

/**
 * A classic program converted to eBPF and compiled by a {@link JitRuntime}. Runs
 * give the classic program's u32 result (A at RET A, or K).
 */
export class ClassicProgram {
  readonly jit: JitRuntime;
  /** The eBPF program the conversion produced (what the JIT compiled). */
  readonly prog: BpfProg;
  readonly #ctx: Uint8Array;
  readonly #ctxView: DataView;
  readonly #devIndex: number;
  #skb: ClassicSkb | undefined = undefined;
  #env: ClassicEnv | undefined = undefined;

  private constructor(jit: JitRuntime, prog: BpfProg, ctx: Uint8Array, devIndex: number) {
    this.jit = jit;
    this.prog = prog;
    this.#ctx = ctx;
    this.#ctxView = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
    this.#devIndex = devIndex;
  }

  /**
   * bpf_prog_create: check (bpf_check_classic, throws KernelError), convert, and
   * compile with `jit` (which falls back to the interpreter when it cannot).
   */
  static create(filter: readonly SockFilter[], jit: JitRuntime): ClassicProgram {
    checkClassic(filter);
    const conv = convertClassic(filter);
    const n = conv.insns.length;
    const image = new Int32Array(n * 2);
    const helperAt: (HelperFn | undefined)[] = new Array<HelperFn | undefined>(n).fill(undefined);
    const insns: Insn[] = [];
    const ctx = jit.alloc(CLASSIC_CTX.SIZE);
    const dev = jit.alloc(CLASSIC_DEV.SIZE);
    const devIndex = jit.kernel.mem.add('net_device', dev, false);
    const owner: { p?: ClassicProgram } = {};
    for (let i = 0; i < n; i++) {
      const x = conv.insns[i]!;
      image[i * 2] = (x.code & 0xff) | ((x.dst & 0xf) << 8) | ((x.src & 0xf) << 12) | (x.off << 16);
      image[i * 2 + 1] = x.imm;
      insns.push(insn(x.code, x.dst, x.src, x.off, x.imm));
      if (x.code === 0x85 && x.src === 0) {
        const fn = ClassicProgram.#callFor(x.imm, () => owner.p!);
        if (fn === undefined) throw new KernelError('EINVAL', `classic conversion: unknown kernel call ${x.imm} at insn ${i}`);
        helperAt[i] = fn;
      }
    }
    const prog: BpfProg = {
      id: 0, type: BPF_PROG_TYPE.SOCKET_FILTER, typeOps: CLASSIC_TYPE, name: '', license: '', gplCompatible: false,
      insns, tag: '', tagBytes: new Uint8Array(8), subprogs: [0], usedMaps: [], image, helperAt,
      stats: { runCnt: 0, runTimeNs: 0, insnCnt: 0 },
    };
    const cp = new ClassicProgram(jit, prog, ctx, devIndex);
    owner.p = cp;
    jit.load(prog);
    return cp;
  }

  static #callFor(imm: number, owner: () => ClassicProgram): HelperFn | undefined {
    const r0 = (env: HelperEnv, v: number, hi = 0): number => { env.regs[0] = v | 0; env.regs[1] = hi; return HELPER_CTRL.CONTINUE; };
    switch (imm) {
      case CLASSIC_CALL.SKB_LOAD_HELPER_8:
      case CLASSIC_CALL.SKB_LOAD_HELPER_16:
      case CLASSIC_CALL.SKB_LOAD_HELPER_32: {
        const size = imm === CLASSIC_CALL.SKB_LOAD_HELPER_8 ? 1 : imm === CLASSIC_CALL.SKB_LOAD_HELPER_16 ? 2 : 4;
        return (env) => {
          const got = loadPacket(owner().#skb!, env.regs[8]!, size); // R4 (offset), int32
          return got < 0 ? r0(env, EFAULT_U32, -1) : r0(env, got);
        };
      }
      case CLASSIC_CALL.SKB_GET_PAY_OFFSET: return (env) => r0(env, skbGetPoff(owner().#skb!));
      case CLASSIC_CALL.SKB_GET_NLATTR: return (env) => r0(env, skbGetNlattr(owner().#skb!, env.regs[4]! >>> 0, env.regs[6]! >>> 0));
      case CLASSIC_CALL.SKB_GET_NLATTR_NEST: return (env) => r0(env, skbGetNlattrNest(owner().#skb!, env.regs[4]! >>> 0, env.regs[6]! >>> 0));
      case CLASSIC_CALL.GET_RAW_CPU_ID: return (env) => r0(env, owner().#env!.cpu);
      case CLASSIC_CALL.USER_RND_U32: return (env) => r0(env, owner().#env!.prng.u32());
      default: return undefined;
    }
  }

  /** The JIT's report for the converted program. */
  info(): JitInfo {
    return this.jit.info(this.prog);
  }

  /**
   * Run on `skb` (its buffer is bound as the packet region; allocate it with
   * jit.alloc() to avoid a copy per run). Returns the classic result as a uint32.
   */
  run(skb: ClassicSkb, env: ClassicEnv): number {
    this.#skb = skb;
    this.#env = env;
    const mem = this.jit.kernel.mem;
    const c = this.#ctxView;
    // skb->data = packet region + dataOff (u64), then the fields a converted program reads
    c.setUint32(CLASSIC_CTX.DATA, skb.dataOff, true);
    c.setInt32(CLASSIC_CTX.DATA + 4, AddressSpace.hiOf(REGION.PACKET), true);
    c.setUint32(CLASSIC_CTX.LEN, skb.len, true);
    c.setUint32(CLASSIC_CTX.DATA_LEN, 0, true);
    c.setUint16(CLASSIC_CTX.PROTOCOL, skb.protocol, false); // network order in the sk_buff
    c.setUint16(CLASSIC_CTX.VLAN_PROTO, skb.vlanPresent ? skb.vlanProto : 0, false);
    c.setUint16(CLASSIC_CTX.VLAN_TCI, skb.vlanPresent ? skb.vlanTci : 0, true);
    c.setUint8(CLASSIC_CTX.PKT_TYPE, skb.pktType & 7);
    c.setUint32(CLASSIC_CTX.MARK, skb.mark >>> 0, true);
    c.setUint16(CLASSIC_CTX.QUEUE_MAPPING, skb.queueMapping, true);
    c.setUint32(CLASSIC_CTX.HASH, skb.hash >>> 0, true);
    c.setUint32(CLASSIC_CTX.DEV, 0, true);
    c.setInt32(CLASSIC_CTX.DEV + 4, AddressSpace.hiOf(this.#devIndex), true);
    const dev = mem.region(this.#devIndex)!;
    dev.view.setUint32(CLASSIC_DEV.IFINDEX, skb.ifindex, true);
    dev.view.setUint16(CLASSIC_DEV.TYPE, skb.devType, true);
    mem.bind(REGION.CTX, 'classic ctx', this.#ctx, false, this.#ctxView);
    mem.bind(REGION.PACKET, 'packet', skb.buf, false);
    this.jit.cpu = env.cpu;
    const st = this.jit.run(this.prog, AddressSpace.hiOf(REGION.CTX), 0);
    return st === RUN_STATUS.OK ? this.jit.regs[0]! >>> 0 : 0;
  }
}
