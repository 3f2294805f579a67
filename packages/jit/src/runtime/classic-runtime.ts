// Models net/core/filter.c bpf_prog_create() -> bpf_migrate_filter() ->
// bpf_prog_select_runtime() (Linux 6.18): a checked classic program is converted
// to eBPF (@tcbpf/cbpf convertClassic) and, with bpf_jit_enable set, JITed, so
// every classic user (socket filters, cls_bpf "bytecode", xt_bpf) runs compiled. The converted program calls the
// kernel functions of the conversion (bpf_skb_load_helper_*, bpf_skb_get_pay_offset,
// bpf_skb_get_nlattr[_nest], bpf_get_raw_cpu_id, bpf_user_rnd_u32), numbered by
// CLASSIC_CALL. One ClassicJitRuntime (e.g. per cls_bpf instance) owns the context and
// net_device images every converted program reads (runs are sequential), so a
// program costs no address-space region and a run allocates nothing. The packet
// bytes a program may read ([data, data + len)) are copied into a buffer inside
// the JIT's linear memory before a run, so every region is resident and the JIT
// runs without mirroring (read-only: nothing is copied back; negative offsets go
// through bpf_skb_load_helper_* on the sk_buff itself).
import { KernelError } from '@tcbpf/base';
import {
  CLASSIC_CALL, CLASSIC_CTX, CLASSIC_DEV, checkClassic, convertClassic, loadPacket, skbGetNlattr, skbGetNlattrNest, skbGetPoff,
  type ClassicEnv, type ClassicSkb, type SockFilter,
} from '@tcbpf/cbpf';
import { AddressSpace, HELPER_CTRL, REGION, RUN_STATUS, insn, makeProgType, type BpfProg, type HelperEnv, type HelperFn, type Insn } from '@tcbpf/ebpf';
import type { JitRuntime } from './jit.js';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';

/** Bytes of the resident packet buffer (headroom + a 64 KiB frame). */
const RESIDENT_PACKET = 65536 + 512;
/** -EFAULT as the u32 the load helpers return on a failed read. */
const EFAULT = -14;
/** The converted program's type: no base helpers; only the CLASSIC_CALL functions resolve. */
const CLASSIC_TYPE = makeProgType({ type: BPF_PROG_TYPE.SOCKET_FILTER, name: 'classic (converted)', ctxSize: CLASSIC_CTX.SIZE, baseHelpers: false });

/**
 * Converted classic programs sharing one JIT, and the state their kernel calls
 * read (the sk_buff and run environment of the current run).
 */
export class ClassicJitRuntime {
  readonly jit: JitRuntime;
  #ctx: Uint8Array | null = null;
  #ctxView: DataView | null = null;
  #devView: DataView | null = null;
  #devIndex = -1;
  #pkt: Uint8Array | null = null;
  #pktView: DataView | null = null;
  #skb: ClassicSkb | null = null;
  #env: ClassicEnv | null = null;
  readonly #calls: Readonly<Record<number, HelperFn>>;

  constructor(jit: JitRuntime) {
    this.jit = jit;
    const r0 = (env: HelperEnv, lo: number, hi = 0): number => {
      env.regs[0] = lo | 0;
      env.regs[1] = hi;
      return HELPER_CTRL.CONTINUE;
    };
    const load = (size: number): HelperFn => (env) => {
      const got = loadPacket(this.#skb!, env.regs[8]!, size); // R4 = offset (int32)
      return got < 0 ? r0(env, EFAULT, -1) : r0(env, got);
    };
    this.#calls = Object.freeze({
      [CLASSIC_CALL.SKB_LOAD_HELPER_8]: load(1),
      [CLASSIC_CALL.SKB_LOAD_HELPER_16]: load(2),
      [CLASSIC_CALL.SKB_LOAD_HELPER_32]: load(4),
      [CLASSIC_CALL.SKB_GET_PAY_OFFSET]: (env: HelperEnv) => r0(env, skbGetPoff(this.#skb!)),
      [CLASSIC_CALL.SKB_GET_NLATTR]: (env: HelperEnv) => r0(env, skbGetNlattr(this.#skb!, env.regs[4]! >>> 0, env.regs[6]! >>> 0)),
      [CLASSIC_CALL.SKB_GET_NLATTR_NEST]: (env: HelperEnv) => r0(env, skbGetNlattrNest(this.#skb!, env.regs[4]! >>> 0, env.regs[6]! >>> 0)),
      [CLASSIC_CALL.GET_RAW_CPU_ID]: (env: HelperEnv) => r0(env, this.#env!.cpu),
      [CLASSIC_CALL.USER_RND_U32]: (env: HelperEnv) => r0(env, this.#env!.prng.u32()),
    });
  }

  /**
   * bpf_prog_create: check (bpf_check_classic: KernelError), convert
   * and hand to the JIT, which compiles it when bpf_jit_enable is set (and keeps it
   * on the interpreter otherwise or when it cannot).
   */
  create(filter: readonly SockFilter[]): BpfProg {
    checkClassic(filter);
    this.#images();
    const conv = convertClassic(filter);
    const n = conv.insns.length;
    const image = new Int32Array(n * 2);
    const helperAt: (HelperFn | undefined)[] = new Array<HelperFn | undefined>(n).fill(undefined);
    const insns: Insn[] = [];
    for (let i = 0; i < n; i++) {
      const x = conv.insns[i]!;
      image[i * 2] = (x.code & 0xff) | ((x.dst & 0xf) << 8) | ((x.src & 0xf) << 12) | (x.off << 16);
      image[i * 2 + 1] = x.imm;
      insns.push(insn(x.code, x.dst, x.src, x.off, x.imm));
      if (x.code === 0x85 && x.src === 0) {
        const fn = this.#calls[x.imm];
        if (fn === undefined) throw new KernelError('EINVAL', `classic conversion: unknown kernel call ${x.imm} at insn ${i}`, { insn: i });
        helperAt[i] = fn;
      }
    }
    const prog: BpfProg = {
      id: 0, type: BPF_PROG_TYPE.SOCKET_FILTER, typeOps: CLASSIC_TYPE, name: '', license: '', gplCompatible: false,
      insns, tag: '', tagBytes: new Uint8Array(8), subprogs: [0], usedMaps: [], image, helperAt,
      stats: { runCnt: 0, runTimeNs: 0, insnCnt: 0 },
    };
    this.jit.load(prog);
    return prog;
  }

  /** The context and net_device images, allocated once inside the JIT's linear memory. */
  #images(): void {
    if (this.#ctx !== null) return;
    const ctx = this.jit.alloc(CLASSIC_CTX.SIZE);
    const dev = this.jit.alloc(CLASSIC_DEV.SIZE);
    this.#ctx = ctx;
    this.#ctxView = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
    this.#devView = new DataView(dev.buffer, dev.byteOffset, dev.byteLength);
    this.#devIndex = this.jit.kernel.mem.add('net_device (classic)', dev, false);
    const pkt = this.jit.alloc(RESIDENT_PACKET);
    this.#pkt = pkt;
    this.#pktView = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
  }

  /**
   * Run a converted program on `skb` (data at the MAC header). Returns the classic
   * result as an int32 (A at RET A, or K); 0 when the run fails. Allocates nothing.
   */
  run(prog: BpfProg, skb: ClassicSkb, env: ClassicEnv): number {
    this.#skb = skb;
    this.#env = env;
    const c = this.#ctxView!;
    const mem = this.jit.kernel.mem;
    // skb->data = packet region + data offset (u64, little-endian), then the fields a converted program reads
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
    const d = this.#devView!;
    d.setUint32(CLASSIC_DEV.IFINDEX, skb.ifindex, true);
    d.setUint16(CLASSIC_DEV.TYPE, skb.devType, true);
    mem.bind(REGION.CTX, 'classic ctx', this.#ctx!, false, c);
    if (skb.buf.length <= RESIDENT_PACKET) {
      this.#pkt!.set(skb.buf); // the whole buffer at the same offsets (a subarray would allocate)
      mem.bind(REGION.PACKET, 'packet', this.#pkt!, false, this.#pktView!);
    } else mem.bind(REGION.PACKET, 'packet', skb.buf, false); // larger than the resident buffer: mirrored by the JIT
    const jit = this.jit;
    jit.cpu = env.cpu;
    const st = jit.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
    this.#skb = null;
    this.#env = null;
    return st === RUN_STATUS.OK ? jit.regs[0]! | 0 : 0;
  }

  /** Is the converted program compiled (the kernel's prog->jited)? */
  jited(prog: BpfProg): boolean {
    return this.jit.info(prog).jited;
  }
}
