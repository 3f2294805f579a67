// Models drivers/net/netdevsim/bpf.c (Linux 6.18): the TC block callback
// (nsim_bpf_setup_tc_block_cb) with its decision order and messages, the one
// offload slot per port shared by TC and XDP offload (nsim_bpf_offload,
// nsim_xdp_offload_prog, nsim_setup_prog_hw_checks), turning hw-tc-offload off
// (nsim_bpf_disable_tc), the bound-program verifier ops (nsim_bpf_verifier_prep,
// nsim_bpf_verify_insn, nsim_bpf_translate, nsim_bpf_destroy_prog) and the
// offloaded-map checks (nsim_bpf_map_alloc). Beyond netdevsim: the slot's
// program is loaded into the port's HwDatapath, checked first against the
// port's capability profile, and TC_CLSBPF_STATS reports its hardware counters.
import { KernelError } from '@tcbpf/base';
import type { BpfProg } from '@tcbpf/ebpf';
import type { ClsBpfOffload, ClsBpfProg } from '@tcbpf/cls-bpf';
import { ETH_P_ALL } from '@tcbpf/tcf';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, TCA_CLS_FLAGS } from '@tcbpf/uapi';
import type { BoundProgState, OffloadNetdev } from './bpf-offload.js';
import { hwProfileCheckProgram } from './hw-profile.js';
import type { NsimDev, NsimPort } from './nsim-dev.js';

/** Driver and core messages (NSIM_EA prefixes "netdevsim: "; the core's have no prefix). */
export const NSIM_MSG = Object.freeze({
  ONLY_CLSBPF: 'netdevsim: only offload of BPF classifiers supported',
  TC_DISABLED: 'TC offload is disabled on net device',
  CHAIN0: 'Driver supports only offload of chain 0',
  ETH_P_ALL: 'netdevsim: only ETH_P_ALL supported as filter protocol',
  TC_REJECT: 'netdevsim: netdevsim configured to reject BPF TC offload',
  UNBOUND: 'netdevsim: netdevsim configured to reject unbound programs',
  MISMATCH: 'netdevsim: driver and netdev offload states mismatch',
  TC_LOADED: 'netdevsim: TC program is already loaded',
  XDP_DISABLED: 'netdevsim: XDP offload disabled in DebugFS',
  XDP_NON_BOUND: 'netdevsim: xdpoffload of non-bound program',
  XDP_OTHER_DEV: 'netdevsim: program bound to different dev',
  XDP_BAD_STATE: 'netdevsim: offloading program in bad state',
  HELLO: '[netdevsim] Hello from netdevsim!',
} as const);

/** NSIM_BPF_MAX_KEYS: entries of an offloaded map. */
export const NSIM_BPF_MAX_KEYS = 2;

/** The state of a bound program (struct nsim_bpf_bound_prog: debugfs bpf_bound_progs/<id>/). */
export class NsimBoundProg {
  readonly dev: NsimDev;
  /** The debugfs directory number (prog_id_gen). */
  readonly n: number;
  /** "verify" while verifying, then "xlated". */
  state: 'verify' | 'xlated' = 'verify';
  /** Installed in a port's offload slot. */
  isLoaded = false;
  prog: BpfProg | null = null;
  constructor(dev: NsimDev, n: number) {
    this.dev = dev;
    this.n = n;
  }
  /** debugfs `id`: the program id (0 before the load completes). */
  get id(): number {
    return this.prog?.id ?? 0;
  }
  /** debugfs `loaded`. */
  get loaded(): 'Y' | 'N' {
    return this.isLoaded ? 'Y' : 'N';
  }
}

/** A TC_CLSBPF_STATS request (tcbpf's struct tc_cls_bpf_offload with command STATS). */
export interface ClsBpfStatsRequest {
  readonly command: 'stats';
  readonly prog: ClsBpfProg;
  readonly chainIndex: number;
  readonly protocol: number;
}

/** What occupies a port's offload slot (ns->bpf_offloaded): a TC filter's program or an XDP program. */
export interface NsimSlot {
  /** The bpf_prog (identity compared like the kernel's pointers). */
  readonly prog: object;
  /** The cls_bpf filter for TC offload; null for XDP. */
  readonly filter: ClsBpfProg | null;
  readonly id: number;
}

/** The bpf_prog a cls_bpf filter hands the driver (prog->filter): its eBPF program, or the filter itself for classic. */
export function clsBpfProgKey(p: ClsBpfProg): object {
  return p.ebpf ?? p;
}

function setLoaded(port: NsimPort, prog: object | null, loaded: boolean): void {
  if (prog === null) return;
  const st = port.dev.offload?.boundState(prog as BpfProg);
  if (st !== undefined) (st.devPriv as NsimBoundProg).isLoaded = loaded;
}

/** nsim_bpf_offload: swap the slot (after checks). */
function nsimBpfOffload(port: NsimPort, slot: NsimSlot | null): void {
  setLoaded(port, port.slot?.prog ?? null, false);
  port.slot = slot;
  setLoaded(port, slot?.prog ?? null, true);
  port.hw.install(slot?.filter ?? null);
}

/** Is `p` a device-bound program (prog->aux->offload)? */
function isBound(port: NsimPort, p: ClsBpfProg): boolean {
  return p.ebpf !== null && port.dev.offload?.boundState(p.ebpf) !== undefined;
}

/**
 * nsim_bpf_setup_tc_block_cb: the flow block callback of one port. Returns 0
 * or a negative errno; messages go to the request's extack only when the
 * filter has skip_sw (tc_cls_common_offload_init passes extack only then).
 */
export function nsimSetupTcBlockCb(port: NsimPort, type: string, data: unknown): number {
  const req = data as Partial<ClsBpfOffload> & Partial<ClsBpfStatsRequest> & { readonly chainIndex: number; readonly protocol: number };
  const obj = (req.prog ?? req.oldprog ?? null);
  const extack = obj !== null && (obj.genFlags & TCA_CLS_FLAGS.SKIP_SW) !== 0 && req.command !== 'stats';
  const ea = (msg: string): void => {
    if (extack) port.nd.net.curExt?.setMsg(msg);
  };
  if (type !== 'clsbpf') {
    ea(NSIM_MSG.ONLY_CLSBPF);
    return -95;
  }
  // tc_cls_can_offload_and_chain0
  if (!port.hwTcOffload) {
    ea(NSIM_MSG.TC_DISABLED);
    return -95;
  }
  if (req.chainIndex !== 0) {
    ea(NSIM_MSG.CHAIN0);
    return -95;
  }
  if (req.protocol !== ETH_P_ALL) {
    ea(NSIM_MSG.ETH_P_ALL);
    return -95;
  }
  if (!port.knobs.bpfTcAccept) {
    ea(NSIM_MSG.TC_REJECT);
    return -95;
  }
  const prog = req.command === 'stats' ? null : (req.prog ?? null);
  if (prog !== null && !isBound(port, prog) && !port.knobs.bpfTcNonBoundAccept) {
    ea(NSIM_MSG.UNBOUND);
    return -95;
  }
  if (req.command === 'stats') {
    // beyond netdevsim (which answers -EOPNOTSUPP): report the engine's counters
    return port.hw.reportStats(req.prog!) ? 0 : -95;
  }
  if (req.command !== 'offload') return -95;
  // beyond netdevsim: the capability profile of the simulated engine
  if (prog !== null) {
    const refusal = profileRefusal(port, prog);
    if (refusal !== null) {
      ea(`netdevsim: ${refusal}`);
      return -95;
    }
  }
  // "Don't remove if oldprog doesn't match driver's state"
  const old: object | null = req.oldprog ? clsBpfProgKey(req.oldprog) : null;
  if ((port.slot?.prog ?? null) !== old) {
    if (prog === null) return 0;
    if (port.slot !== null) {
      ea(NSIM_MSG.MISMATCH);
      return -16;
    }
  }
  nsimBpfOffload(port, prog === null ? null : { prog: clsBpfProgKey(prog), filter: prog, id: prog.ebpf?.id ?? 0 });
  return 0;
}

/** The profile's refusal of a filter, or null. */
function profileRefusal(port: NsimPort, p: ClsBpfProg): string | null {
  const prof = port.profile;
  if (prof.directActionOnly && (!p.extsIntegrated || p.exts.actions.length > 0)) return `${prof.name}: only direct action with no legacy actions supported`;
  if (!p.extsIntegrated) {
    for (const a of p.exts.actions) if (!prof.actions.includes(a.ops.kind)) return `${prof.name}: action ${a.ops.kind} not supported by the hardware`;
  }
  if (p.ebpf === null) return prof.classic ? null : `${prof.name}: classic BPF not supported`;
  // the engine runs programs of its bus's bpf() instance only
  const sys = port.dev.offload?.sys;
  if (sys === undefined || sys.progById(p.ebpf.id) !== p.ebpf) return 'program is not from the bpf() instance of the device';
  return hwProfileCheckProgram(prof, p.ebpf.insns, p.ebpf.usedMaps);
}

/**
 * XDP_SETUP_PROG_HW (nsim_bpf with nsim_setup_prog_hw_checks and
 * nsim_xdp_offload_prog): attach (prog) or detach (null) an offloaded XDP
 * program. Throws KernelError with the driver's message.
 */
export function nsimXdpOffload(port: NsimPort, prog: BpfProg | null): void {
  if (prog !== null) {
    if (prog.type !== BPF_PROG_TYPE.XDP) throw new KernelError('EINVAL', 'program is not an XDP program', { where: 'prog' });
    if (!port.knobs.bpfXdpoffloadAccept) throw new KernelError('EOPNOTSUPP', NSIM_MSG.XDP_DISABLED);
    const st = port.dev.offload?.boundState(prog);
    if (st === undefined) throw new KernelError('EINVAL', NSIM_MSG.XDP_NON_BOUND);
    if (st.netdev === null || (st.netdev as NsimPort).dev !== port.dev) throw new KernelError('EINVAL', NSIM_MSG.XDP_OTHER_DEV);
    if ((st.devPriv as NsimBoundProg).state !== 'xlated') throw new KernelError('EINVAL', NSIM_MSG.XDP_BAD_STATE);
  }
  const active = port.xdpHw !== null;
  if (!active && prog === null) return;
  if (!active && port.slot !== null) throw new KernelError('EBUSY', NSIM_MSG.TC_LOADED);
  port.xdpHw = prog;
  nsimBpfOffload(port, prog === null ? null : { prog, filter: null, id: prog.id });
}

/** nsim_bpf_disable_tc: turning NETIF_F_HW_TC off with a TC program in the slot is EBUSY. */
export function nsimBpfDisableTc(port: NsimPort): number {
  if (port.slot !== null && port.xdpHw === null) return -16;
  return 0;
}

/** The bpf_prog_offload_ops of a netdevsim bus device (one per ASIC). */
export function nsimOffloadDevOps(dev: NsimDev): OffloadNetdev['offdev'] {
  return Object.freeze({
    prepare(_netdev: OffloadNetdev, st: BoundProgState): void {
      if (!dev.knobs.bpfBindAccept) throw new KernelError('EOPNOTSUPP', '', { where: 'prog_ifindex' });
      const b = new NsimBoundProg(dev, dev.progIdGen++);
      st.devPriv = b;
      dev.setBound(b, true);
    },
    insnHook(_st: BoundProgState, idx: number, len: number, log: string[]): number {
      if (dev.knobs.bpfBindVerifierDelay && idx === 0) dev.verifierSleep(dev.knobs.bpfBindVerifierDelay);
      if (idx === len - 1) {
        log.push(NSIM_MSG.HELLO);
        if (!dev.knobs.bpfBindVerifierAccept) return -95;
      }
      return 0;
    },
    translate(st: BoundProgState): void {
      const b = st.devPriv as NsimBoundProg;
      b.prog = st.prog;
      b.state = 'xlated';
    },
    destroy(st: BoundProgState): void {
      const b = st.devPriv as NsimBoundProg | null;
      if (b !== null) dev.setBound(b, false);
    },
    mapAlloc(netdev: OffloadNetdev, type: number, maxEntries: number, flags: number): void {
      if (!(netdev as NsimPort).knobs.bpfMapAccept) throw new KernelError('EOPNOTSUPP', '', { where: 'map_ifindex' });
      if (type !== BPF_MAP_TYPE.ARRAY && type !== BPF_MAP_TYPE.HASH) throw new KernelError('EINVAL', '', { where: 'map_type' });
      if (maxEntries > NSIM_BPF_MAX_KEYS) throw new KernelError('ENOMEM', '', { where: 'max_entries' });
      if (flags) throw new KernelError('EINVAL', '', { where: 'map_flags' });
    },
  });
}
