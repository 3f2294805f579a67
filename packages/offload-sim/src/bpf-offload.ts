// Models kernel/bpf/offload.c (Linux 6.18): device-bound programs and maps.
// BPF_PROG_LOAD with prog_ifindex binds the program to an offload-capable
// netdev (bpf_prog_dev_bound_init); the verifier then calls the device's
// prepare / insn_hook / translate ops (bpf_prog_offload_verifier_prep,
// bpf_prog_offload_verify_insn, bpf_prog_offload_compile); BPF_MAP_CREATE with
// map_ifindex allocates the map on the device (bpf_map_offload_map_alloc);
// unregistering the netdev orphans its programs and maps
// (bpf_dev_bound_netdev_unregister). Programs here are loaded into an
// unmodified @tcbpf/ebpf BpfSyscall through @tcbpf/bpf-skb's loader; the
// binding is kept in this registry (keyed by the program object).
import { KernelError, type SimClock } from '@tcbpf/base';
import { decodeInsns, type BpfMap, type BpfProg, type BpfSyscall } from '@tcbpf/ebpf';
import { loadTcProgram } from '@tcbpf/bpf-skb';
import { SCHED_CLS_OPS, verify } from '@tcbpf/verifier';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';

/** The driver side of a bound program (struct bpf_prog_offload: dev_priv + dev_state). */
export interface BoundProgState {
  /** The program, set once the load succeeded. */
  prog: BpfProg | null;
  /** offload->netdev: the port it is bound to, null once orphaned. */
  netdev: OffloadNetdev | null;
  /** The driver's private state (netdevsim's nsim_bpf_bound_prog). */
  devPriv: unknown;
}

/** struct bpf_prog_offload_ops + the map alloc/free of ndo_bpf (what a device driver provides). */
export interface OffloadDevOps {
  /** prepare: refuse (throw KernelError) or create the driver state. */
  prepare(netdev: OffloadNetdev, st: BoundProgState): void;
  /** insn_hook for instruction `idx` of `len`: 0 or a negative errno; may append verifier-log lines. */
  insnHook(st: BoundProgState, idx: number, len: number, log: string[]): number;
  /** translate (after a successful verification). */
  translate(st: BoundProgState): void;
  /** destroy: the program is freed or orphaned. */
  destroy(st: BoundProgState): void;
  /** BPF_OFFLOAD_MAP_ALLOC: refuse with a KernelError. */
  mapAlloc(netdev: OffloadNetdev, type: number, maxEntries: number, flags: number): void;
}

/** A netdev registered as offload-capable (bpf_offload_dev_netdev_register). */
export interface OffloadNetdev {
  readonly ifindex: number;
  /** The bpf_offload_dev (one per ASIC; ports of one device share it). */
  readonly offdev: OffloadDevOps;
}

/** BPF_PROG_LOAD fields for a (possibly device-bound) program. */
export interface OffloadProgLoadAttr {
  /** BPF_PROG_TYPE.SCHED_CLS (default), SCHED_ACT, or another type registered in the syscall (e.g. XDP). */
  readonly progType?: number;
  /** `struct bpf_insn` bytes (little-endian). */
  readonly insns: Uint8Array;
  readonly license: string;
  readonly name?: string;
  /** prog_ifindex: bind the program to this device (0 / absent: not bound). */
  readonly progIfindex?: number;
  /**
   * Test affordance for the verifier's sleep (netdevsim's bpf_bind_verifier_delay):
   * called while instruction 0's hook sleeps, i.e. what other tasks do meanwhile.
   */
  readonly onVerifierSleep?: () => void;
}

/** The result of {@link BpfOffload.progLoad}. */
export interface OffloadProgLoadResult {
  readonly fd: number;
  /** Verifier-log lines the device wrote (e.g. netdevsim's greeting). */
  readonly log: readonly string[];
}

/** Device-bound programs and maps of one kernel instance (the state of kernel/bpf/offload.c). */
export class BpfOffload {
  readonly sys: BpfSyscall;
  readonly clock: SimClock;
  readonly #netdevs = new Map<number, OffloadNetdev>();
  readonly #progs = new WeakMap<BpfProg, BoundProgState>();
  readonly #maps = new WeakMap<BpfMap, { netdev: OffloadNetdev | null }>();
  readonly #mapRecs = new Set<{ netdev: OffloadNetdev | null }>();
  /** Every bound state, for unregistering (program objects are not enumerable otherwise). */
  readonly #bound = new Set<BoundProgState>();

  constructor(sys: BpfSyscall, clock: SimClock) {
    this.sys = sys;
    this.clock = clock;
  }

  /** bpf_offload_dev_netdev_register. */
  registerNetdev(nd: OffloadNetdev): void {
    this.#netdevs.set(nd.ifindex, nd);
  }

  /** bpf_offload_dev_netdev_unregister: orphan the programs (driver state destroyed) and maps bound to it. */
  unregisterNetdev(nd: OffloadNetdev): void {
    if (this.#netdevs.get(nd.ifindex) !== nd) return;
    this.#netdevs.delete(nd.ifindex);
    for (const st of [...this.#bound]) {
      if (st.netdev !== nd) continue;
      nd.offdev.destroy(st);
      st.netdev = null;
      this.#bound.delete(st);
    }
    for (const rec of [...this.#mapRecs]) {
      if (rec.netdev !== nd) continue;
      rec.netdev = null;
      this.#mapRecs.delete(rec);
    }
  }

  /** The offload-capable netdev with this ifindex. */
  netdev(ifindex: number): OffloadNetdev | undefined {
    return this.#netdevs.get(ifindex);
  }

  /** bpf_prog_is_dev_bound: the binding of `prog`, or undefined for a host program. */
  boundState(prog: BpfProg): BoundProgState | undefined {
    return this.#progs.get(prog);
  }

  /** The program is alive in the syscall (not yet freed). */
  isLive(prog: BpfProg): boolean {
    return this.sys.progById(prog.id) === prog;
  }

  /** bpf_offload_prog_map_match-style lookup: the device a map lives on (null: orphaned; undefined: host map). */
  mapNetdev(map: BpfMap): OffloadNetdev | null | undefined {
    return this.#maps.get(map)?.netdev;
  }

  /**
   * BPF_PROG_LOAD. Without prog_ifindex it is @tcbpf/bpf-skb's loadTcProgram
   * (or the syscall's plain load for other types). With it: the device must be
   * offload-capable (EINVAL), its prepare may refuse, every instruction goes
   * through its insn_hook, maps must live on the same device, then translate.
   */
  progLoad(attr: OffloadProgLoadAttr): OffloadProgLoadResult {
    const type = attr.progType ?? BPF_PROG_TYPE.SCHED_CLS;
    const isTc = type === BPF_PROG_TYPE.SCHED_CLS || type === BPF_PROG_TYPE.SCHED_ACT;
    const load = (): number =>
      isTc
        ? loadTcProgram(this.sys, { progType: type, insns: attr.insns, license: attr.license, ...(attr.name === undefined ? {} : { name: attr.name }) }).fd
        : this.sys.progLoad({ progType: type, insns: attr.insns, license: attr.license, ...(attr.name === undefined ? {} : { name: attr.name }) });
    const ifindex = attr.progIfindex ?? 0;
    if (ifindex === 0) return { fd: load(), log: [] };
    // bpf_prog_dev_bound_init: dev_get_by_index, then bpf_offload_find_netdev
    const netdev = this.#netdevs.get(ifindex);
    if (netdev === undefined) throw new KernelError('EINVAL', `ifindex ${ifindex} is not an offload-capable device`, { where: 'prog_ifindex' });
    const st: BoundProgState = { prog: null, netdev, devPriv: null };
    // bpf_prog_offload_verifier_prep
    netdev.offdev.prepare(netdev, st);
    const log: string[] = [];
    let ok = false;
    try {
      const insns = decodeInsns(attr.insns);
      // bpf_prog_offload_verify_insn for instruction 0 (the hook sleeps here), then the
      // verifier walk; a netdev unregistered meanwhile makes the next hook ENODEV
      const first = st.netdev!.offdev.insnHook(st, 0, insns.length, log);
      attr.onVerifierSleep?.();
      if (first !== 0) throw new KernelError(first === -95 ? 'EOPNOTSUPP' : 'EINVAL', log.join('\n'));
      if (st.netdev === null) throw new KernelError('ENODEV', 'offload device removed during verification', { where: 'prog_ifindex' });
      for (let i = 0; i < insns.length; i++) {
        const op = insns[i]!;
        if (op.code === 0x18 && op.src === 1) {
          const m = this.sys.mapByFd(op.imm);
          if (m !== undefined && this.#maps.get(m)?.netdev !== netdev && m.type !== BPF_MAP_TYPE.PERF_EVENT_ARRAY)
            throw new KernelError('EINVAL', 'offload device mismatch between prog and map', { insn: i });
        }
      }
      if (isTc) {
        const maps = (fd: number): { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number } | undefined => {
          const m = this.sys.mapByFd(fd);
          return m === undefined ? undefined : { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags };
        };
        const res = verify(attr.insns, { progType: SCHED_CLS_OPS, license: attr.license, maps });
        if (!res.ok) throw new KernelError(res.errno as 'EINVAL', res.message || `verifier refused the program (${res.errno})`, { insn: res.insn });
      }
      // the hook of the last instruction (netdevsim greets and may refuse here)
      const last = insns.length > 1 ? st.netdev.offdev.insnHook(st, insns.length - 1, insns.length, log) : 0;
      if (last !== 0) throw new KernelError(last === -95 ? 'EOPNOTSUPP' : 'EINVAL', log.join('\n'));
      const fd = load();
      const prog = this.sys.prog(fd);
      st.prog = prog;
      // bpf_prog_offload_compile -> translate
      netdev.offdev.translate(st);
      this.#progs.set(prog, st);
      this.#bound.add(st);
      ok = true;
      return { fd, log };
    } finally {
      // a failed load frees the program: the driver's state goes with it
      if (!ok && st.netdev !== null) st.netdev.offdev.destroy(st);
    }
  }

  /** Release bound programs that the syscall has freed (the destroy op of bpf_prog_offload_destroy). */
  reap(): void {
    for (const st of [...this.#bound]) {
      if (st.prog !== null && this.isLive(st.prog)) continue;
      st.netdev?.offdev.destroy(st);
      st.netdev = null;
      this.#bound.delete(st);
    }
  }

  /**
   * BPF_MAP_CREATE. With map_ifindex (bpf_map_offload_map_alloc): ARRAY or
   * HASH only (EINVAL), an offload-capable device (EINVAL), then the driver's
   * BPF_OFFLOAD_MAP_ALLOC checks.
   */
  mapCreate(attr: { readonly type: number; readonly keySize: number; readonly valueSize: number; readonly maxEntries: number; readonly flags?: number; readonly name?: string; readonly mapIfindex?: number }): number {
    const ifindex = attr.mapIfindex ?? 0;
    const create = (): number =>
      this.sys.mapCreate({ mapType: attr.type, keySize: attr.keySize, valueSize: attr.valueSize, maxEntries: attr.maxEntries, mapFlags: attr.flags ?? 0, ...(attr.name === undefined ? {} : { name: attr.name }) });
    if (ifindex === 0) return create();
    if (attr.type !== BPF_MAP_TYPE.ARRAY && attr.type !== BPF_MAP_TYPE.HASH) throw new KernelError('EINVAL', `map type ${attr.type} cannot be offloaded`, { where: 'map_type' });
    const netdev = this.#netdevs.get(ifindex);
    if (netdev === undefined) throw new KernelError('EINVAL', `ifindex ${ifindex} is not an offload-capable device`, { where: 'map_ifindex' });
    netdev.offdev.mapAlloc(netdev, attr.type, attr.maxEntries, attr.flags ?? 0);
    const fd = create();
    const rec = { netdev };
    this.#maps.set(this.sys.map(fd), rec);
    this.#mapRecs.add(rec);
    return fd;
  }
}
