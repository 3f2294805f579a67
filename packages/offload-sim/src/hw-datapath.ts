// The simulated NIC's receive pipeline: what an offloading NIC (Netronome nfp,
// drivers/net/ethernet/netronome/nfp/bpf, Linux 6.18) does with the cls_bpf
// program installed by TC_CLSBPF_OFFLOAD — run it on every received frame
// before the host sees the packet, drop or pass by its verdict, and keep
// per-filter hardware counters that the driver reports on TC_CLSBPF_STATS
// (tcf_exts_hw_stats_update -> tcf_action_update_stats(..., hw=true),
// net/sched/act_api.c). netdevsim (drivers/net/netdevsim/bpf.c) never runs the
// program; tcbpf's engine does: eBPF compiled by @tcbpf/jit when the engine
// has a JitRuntime (the program is compiled when it is installed, as a NIC
// translates at offload time) and @tcbpf/ebpf's interpreter otherwise, and
// @tcbpf/cbpf's classic interpreter for cls_bpf bytecode.
// Per packet: no allocation, no throw; numbers only.
import { ClassicFilter, decodeSockFilters, type ClassicEnv } from '@tcbpf/cbpf';
import { AddressSpace, REGION, RUN_STATUS, type BpfProg, type BpfSyscall } from '@tcbpf/ebpf';
import { SkbRunState } from '@tcbpf/bpf-skb';
import type { JitRuntime } from '@tcbpf/jit';
import { SkBuff } from '@tcbpf/skb';
import type { ClsBpfProg } from '@tcbpf/cls-bpf';
import type { TcAction } from '@tcbpf/tcf';
import { TC_ACT } from '@tcbpf/uapi';

/** Verdicts of the hardware pipeline. */
export const HW_VERDICT = Object.freeze({ PASS: 0, DROP: 1 } as const);

/** Hardware counters of one offloaded filter (device registers), and what was already reported. */
export class HwFilterCounters {
  packets = 0;
  bytes = 0;
  drops = 0;
  /** Jiffies of the last packet the program saw (the lastused of flow_stats). */
  lastUsed = 0;
  reportedPackets = 0;
  reportedBytes = 0;
  reportedDrops = 0;
}

/** One cls_bpf filter as the engine holds it. */
interface Installed {
  readonly filter: ClsBpfProg;
  readonly ebpf: BpfProg | null;
  readonly classic: ClassicFilter | null;
  readonly actions: readonly TcAction[];
  readonly counters: HwFilterCounters;
}

/** The program-execution engine of one simulated port. */
export class HwDatapath {
  readonly #bpf: BpfSyscall | null;
  readonly #env: ClassicEnv;
  readonly #jiffies: () => number;
  readonly #st: SkbRunState | null;
  readonly #jit: JitRuntime | null;
  #cur: Installed | null = null;
  /** Frames the engine saw / dropped / passed to the host (port-level counters). */
  rxPackets = 0;
  rxDrops = 0;

  constructor(bpf: BpfSyscall | null, env: ClassicEnv, jiffies: () => number, jit: JitRuntime | null = null) {
    this.#bpf = bpf;
    this.#jit = jit;
    this.#env = env;
    this.#jiffies = jiffies;
    this.#st = bpf === null ? null : new SkbRunState(bpf.mem, new SkBuff(0));
  }

  /** Whether the installed eBPF program runs compiled. */
  get jited(): boolean {
    const p = this.#cur?.ebpf ?? null;
    return p !== null && this.#jit !== null && this.#jit.info(p).jited;
  }

  /** The filter whose program runs now (null: the engine passes everything). */
  get filter(): ClsBpfProg | null {
    return this.#cur?.filter ?? null;
  }

  /** Counters of the installed filter. */
  get counters(): HwFilterCounters | null {
    return this.#cur?.counters ?? null;
  }

  /** Load `filter`'s program into the engine (control path); null unloads. */
  install(filter: ClsBpfProg | null): void {
    if (filter === null) {
      this.#cur = null;
      return;
    }
    const classic = filter.ops !== null ? ClassicFilter.create(decodeSockFilters(filter.ops), { compile: false }) : null;
    // translate for the engine: compile once (a program the compiler cannot handle runs interpreted)
    if (filter.ebpf !== null && this.#jit !== null && !this.#jit.info(filter.ebpf).jited) this.#jit.load(filter.ebpf);
    this.#cur = { filter, ebpf: filter.ebpf, classic, actions: filter.exts.actions.slice(), counters: new HwFilterCounters() };
  }

  /**
   * Report the counters' growth since the last report into the filter's
   * actions (tcf_exts_hw_stats_update); returns whether `filter` is the installed one.
   */
  reportStats(filter: ClsBpfProg): boolean {
    const cur = this.#cur;
    if (cur === null || cur.filter !== filter) return false;
    const c = cur.counters;
    const dp = c.packets - c.reportedPackets;
    const db = c.bytes - c.reportedBytes;
    const dd = c.drops - c.reportedDrops;
    c.reportedPackets = c.packets;
    c.reportedBytes = c.bytes;
    c.reportedDrops = c.drops;
    for (const a of filter.exts.actions) {
      // tcf_action_update_stats(a, bytes, packets, drops, true) + lastuse = max(lastuse, hw lastused)
      a.stats.bytes += db;
      a.stats.packets += dp;
      a.stats.drops += dd;
      if (dp > 0) {
        if (c.lastUsed > a.lastuse) a.lastuse = c.lastUsed;
        if (a.firstuse === 0) a.firstuse = c.lastUsed;
      }
    }
    return true;
  }

  /**
   * Run the installed program on a received frame (`skb` data at the MAC
   * header, protocol set). Returns HW_VERDICT.PASS or DROP. Never throws.
   */
  rx(skb: SkBuff): number {
    this.rxPackets++;
    const cur = this.#cur;
    if (cur === null) return HW_VERDICT.PASS;
    const da = cur.filter.extsIntegrated;
    let r: number;
    if (cur.classic !== null) r = cur.classic.run(skb, this.#env) | 0;
    else if (cur.ebpf !== null && this.#st !== null) {
      const s = this.#st;
      const bpf = this.#bpf!;
      s.ns = skb.dev?.ns;
      s.begin(skb);
      bpf.interpreter.runCtx = s;
      const j = this.#jit;
      let status: number;
      let r0: number;
      if (j !== null) {
        j.runCtx = s;
        status = j.run(cur.ebpf, AddressSpace.hiOf(REGION.CTX), 0);
        r0 = j.r0Lo;
      } else {
        status = bpf.run(cur.ebpf, AddressSpace.hiOf(REGION.CTX), 0);
        r0 = bpf.interpreter.r0Lo;
      }
      s.end();
      r = status === RUN_STATUS.OK ? r0 | 0 : da ? TC_ACT.SHOT : 0;
    } else r = 0;
    const c = cur.counters;
    let verdict: number;
    if (da) {
      c.packets++;
      c.bytes += skb.len;
      verdict = r === TC_ACT.SHOT || r === TC_ACT.STOLEN || r === TC_ACT.TRAP ? HW_VERDICT.DROP : HW_VERDICT.PASS;
    } else {
      if (r === 0) return HW_VERDICT.PASS;
      c.packets++;
      c.bytes += skb.len;
      // the engine's action table: gact verdicts (PIPE goes on to the next action)
      let act: number = TC_ACT.OK;
      const acts = cur.actions;
      for (let i = 0; i < acts.length; i++) {
        act = acts[i]!.tcfaAction;
        if (act !== TC_ACT.PIPE) break;
      }
      verdict = act === TC_ACT.SHOT || act === TC_ACT.STOLEN || act === TC_ACT.TRAP ? HW_VERDICT.DROP : HW_VERDICT.PASS;
    }
    c.lastUsed = this.#jiffies();
    if (verdict === HW_VERDICT.DROP) {
      c.drops++;
      this.rxDrops++;
    }
    return verdict;
  }
}
