// Models drivers/net/netdevsim/dev.c and netdev.c (Linux 6.18): a netdevsim
// bus device (nsim_dev: the "ASIC", with the device-level debugfs knobs
// bpf_bind_accept, bpf_bind_verifier_delay, bpf_bind_verifier_accept and the
// bpf_bound_progs directory) and its ports (struct netdevsim: Ethernet
// netdevs named eth%d, created down, NOARP, tx_queue_len 0, NETIF_F_HW_TC only
// in hw_features so `ethtool -K dev hw-tc-offload on` is needed; the per-port
// knobs bpf_tc_accept, bpf_tc_non_bound_accept, bpf_xdpdrv_accept,
// bpf_xdpoffload_accept, bpf_map_accept and bpf_offloaded_id), with
// ndo_setup_tc(TC_SETUP_BLOCK) registering one ingress-only block callback
// (flow_block_cb_setup_simple) and ndo_set_features refusing to drop
// hw-tc-offload while a TC program is offloaded. Port removal is
// unregister_netdevice: dev_shutdown (qdiscs and their filters), then the
// offload registry unregisters the netdev (bound programs orphaned).
// The port's receive path (a frame arriving from the wire) runs the simulated
// hardware (HwDatapath) before the host stack.
import { KernelError, type SimClock } from '@tcbpf/base';
import { SkBuff } from '@tcbpf/skb';
import type { FlowBlockOffload, NetDev, NdoSetupTc, TcfBlock, TcNet } from '@tcbpf/tcf';
import type { BpfProg } from '@tcbpf/ebpf';
import type { JitRuntime } from '@tcbpf/jit';
import type { BpfOffload, OffloadNetdev } from './bpf-offload.js';
import { HW_VERDICT, HwDatapath } from './hw-datapath.js';
import type { HwProfile } from './hw-profile.js';
import { nsimBpfDisableTc, nsimOffloadDevOps, nsimSetupTcBlockCb, nsimXdpOffload, type NsimBoundProg, type NsimSlot } from './nsim-bpf.js';

/** Device-level debugfs knobs (/sys/kernel/debug/netdevsim/netdevsim<ID>/). */
export interface NsimDevKnobs {
  /** bpf_bind_accept (default Y): accept binding programs (BPF_PROG_LOAD with prog_ifindex). */
  bpfBindAccept: boolean;
  /** bpf_bind_verifier_delay (default 0): ms the verifier's instruction-0 hook sleeps. */
  bpfBindVerifierDelay: number;
  /** bpf_bind_verifier_accept (default Y): N refuses at the last instruction. */
  bpfBindVerifierAccept: boolean;
}

/** Per-port debugfs knobs (.../ports/<P>/). */
export interface NsimPortKnobs {
  /** bpf_tc_accept (default Y). */
  bpfTcAccept: boolean;
  /** bpf_tc_non_bound_accept (default N): accept TC offload of programs not bound to the device. */
  bpfTcNonBoundAccept: boolean;
  /** bpf_xdpdrv_accept (default Y). */
  bpfXdpdrvAccept: boolean;
  /** bpf_xdpoffload_accept (default Y). */
  bpfXdpoffloadAccept: boolean;
  /** bpf_map_accept (default Y). */
  bpfMapAccept: boolean;
}

/** The kernel's defaults of the device-level knobs (nsim_dev_debugfs_init / nsim_bpf_dev_init). */
export const NSIM_DEV_KNOB_DEFAULTS: Readonly<NsimDevKnobs> = Object.freeze({ bpfBindAccept: true, bpfBindVerifierDelay: 0, bpfBindVerifierAccept: true });

/** The kernel's defaults of the port knobs (nsim_bpf_init). */
export const NSIM_PORT_KNOB_DEFAULTS: Readonly<NsimPortKnobs> = Object.freeze({
  bpfTcAccept: true,
  bpfTcNonBoundAccept: false,
  bpfXdpdrvAccept: true,
  bpfXdpoffloadAccept: true,
  bpfMapAccept: true,
});

/** What a bus device needs from its surroundings. */
export interface NsimDevContext {
  readonly net: TcNet;
  readonly clock: SimClock;
  /** Device-bound programs and maps; null: no bpf() instance (classic filters only). */
  readonly offload: BpfOffload | null;
  readonly profile: HwProfile;
  /** The JIT the hardware engines compile with (null: the interpreter). */
  readonly jit?: JitRuntime | null;
  /** Port name pattern (default "eth%d", as netdevsim allocates). */
  readonly portName?: string;
}

/** One netdevsim port: a netdev with its knobs, features, offload slot and hardware engine. */
export class NsimPort implements OffloadNetdev {
  readonly dev: NsimDev;
  /** Port index on the bus device. */
  readonly index: number;
  /** The tc state of the netdev. */
  readonly nd: NetDev;
  readonly knobs: NsimPortKnobs = { ...NSIM_PORT_KNOB_DEFAULTS };
  /** ns->bpf_offloaded: the program in the offload slot (TC or XDP). */
  slot: NsimSlot | null = null;
  /** ns->xdp_hw.prog: the offloaded XDP program. */
  xdpHw: BpfProg | null = null;
  /** The simulated hardware. */
  readonly hw: HwDatapath;
  #hwTc = false;
  readonly #blocks = new Set<TcfBlock>();

  constructor(dev: NsimDev, index: number, nd: NetDev) {
    this.dev = dev;
    this.index = index;
    this.nd = nd;
    const kernel = nd.net.kernel;
    this.hw = new HwDatapath(dev.offload?.sys ?? null, kernel, () => kernel.clock.jiffies(), dev.jit);
    const ndo: NdoSetupTc = (_d, _type, bo) => this.#setupBlock(bo);
    nd.ndoSetupTc = ndo;
    // The kernel binds a block to every device with ndo_setup_tc whatever its
    // NETIF_F_HW_TC state (tcf_block_offload_bind); the callback checks the
    // feature (tc_cls_can_offload_and_chain0). tcf's NetDev.hwTcOffload gates
    // the bind itself, so it stays on here and the feature lives in the port.
    nd.hwTcOffload = true;
  }

  get ifindex(): number {
    return this.nd.ifindex;
  }
  get name(): string {
    return this.nd.name;
  }
  /** The bpf_offload_dev (shared by the ports of one bus device). */
  get offdev(): OffloadNetdev['offdev'] {
    return this.dev.offdev;
  }
  /** NETIF_F_HW_TC in dev->features. */
  get hwTcOffload(): boolean {
    return this.#hwTc;
  }
  /** debugfs bpf_offloaded_id. */
  get bpfOffloadedId(): number {
    return this.slot?.id ?? 0;
  }
  /** The active port profile (the bus device's). */
  get profile(): HwProfile {
    return this.dev.profile;
  }

  /** `ethtool -K <dev> hw-tc-offload on|off` (ndo_set_features): EBUSY when turning off with a TC program offloaded. */
  setHwTcOffload(on: boolean): void {
    if (this.#hwTc && !on && nsimBpfDisableTc(this) !== 0) throw new KernelError('EBUSY', '', { where: `${this.name} hw-tc-offload` });
    this.#hwTc = on;
  }

  /** XDP_SETUP_PROG_HW: `ip link set dev X xdpoffload obj ...` (null detaches). */
  xdpOffload(prog: BpfProg | null): void {
    nsimXdpOffload(this, prog);
  }

  /** ndo_setup_tc(TC_SETUP_BLOCK) via flow_block_cb_setup_simple, ingress binder only. */
  #setupBlock(bo: FlowBlockOffload): number {
    if (bo.binderType !== 'ingress') return -95;
    if (bo.command === 'bind') {
      if (this.#blocks.has(bo.block)) return -16;
      this.#blocks.add(bo.block);
      bo.cbList.push({ ident: this, cb: (type, data) => nsimSetupTcBlockCb(this, type, data) });
      return 0;
    }
    this.#blocks.delete(bo.block);
    return 0;
  }

  /**
   * A frame arrives from the wire: the hardware runs the offloaded program,
   * then a passed frame enters the host (dev_forward_skb-like: eth_type_trans,
   * netif_rx). Returns true when the host received it.
   */
  receive(frame: Uint8Array): boolean {
    const d = this.nd.dev;
    const skb = SkBuff.fromFrame(frame);
    skb.setDev(d);
    skb.macHeader = skb.dataOff;
    skb.macLen = 14;
    skb.networkHeader = skb.dataOff + 14;
    // the engine sees the frame: protocol from the EtherType (big-endian at byte 12)
    skb.protocol = frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : 0;
    if (this.hw.rx(skb) === HW_VERDICT.DROP) return false;
    const len = skb.len;
    if (d.ns.devForwardSkb(d, skb, true) !== 0) return false;
    d.stats.rxPackets++;
    d.stats.rxBytes += len;
    return true;
  }

  /** unregister_netdevice of this port: dev_shutdown, then the offload registry forgets it. */
  destroy(): void {
    const nd = this.nd;
    const ing = nd.ingress;
    if (ing !== null) {
      nd.ingress = null;
      ing.ops.destroy(ing);
    }
    this.dev.offload?.unregisterNetdev(this);
    this.slot = null;
    this.xdpHw = null;
    this.hw.install(null);
    nd.net.devs.delete(nd.ifindex);
    nd.net.ns.removeDevice(nd.dev);
  }
}

/** A netdevsim bus device (netdevsim<ID>): the ASIC with its ports. */
export class NsimDev {
  readonly id: number;
  readonly net: TcNet;
  readonly knobs: NsimDevKnobs = { ...NSIM_DEV_KNOB_DEFAULTS };
  readonly ports: NsimPort[] = [];
  readonly #bound = new Map<number, NsimBoundProg>();
  /** prog_id_gen: the next bpf_bound_progs directory number. */
  progIdGen = 0;
  readonly offload: BpfOffload | null;
  readonly offdev: OffloadNetdev['offdev'];
  /** The capability profile of the simulated engine (beyond netdevsim). */
  profile: HwProfile;
  /** The JIT of the hardware engines, or null. */
  readonly jit: JitRuntime | null;
  readonly #clock: SimClock;

  constructor(id: number, ports: number, ctx: NsimDevContext) {
    this.id = id;
    this.net = ctx.net;
    this.offload = ctx.offload;
    this.profile = ctx.profile;
    this.jit = ctx.jit ?? null;
    this.#clock = ctx.clock;
    this.offdev = nsimOffloadDevOps(this);
    const made: NsimPort[] = [];
    try {
      for (let i = 0; i < ports; i++) {
        const d = ctx.net.ns.addDummy(ctx.portName ?? 'eth%d');
        const p = new NsimPort(this, i, ctx.net.adopt(d));
        made.push(p);
        ctx.offload?.registerNetdev(p);
      }
    } catch (e) {
      for (const p of made) p.destroy();
      throw e;
    }
    this.ports.push(...made);
  }

  /** msleep in the verifier's hook: simulated time passes. */
  verifierSleep(ms: number): void {
    this.#clock.advance(ms * 1_000_000);
  }

  /** debugfs bpf_bound_progs/<n>/ by n (programs freed meanwhile drop their directory first). */
  get boundProgs(): ReadonlyMap<number, NsimBoundProg> {
    this.offload?.reap();
    return this.#bound;
  }

  /** The bound programs, in directory order. */
  liveBoundProgs(): NsimBoundProg[] {
    return [...this.boundProgs.values()];
  }

  /** nsim_bpf_create_prog / nsim_bpf_destroy_prog: the debugfs directory of a bound program. */
  setBound(b: NsimBoundProg, present: boolean): void {
    if (present) this.#bound.set(b.n, b);
    else if (this.#bound.get(b.n) === b) this.#bound.delete(b.n);
  }

  /** nsim_dev removal: every port unregistered. */
  destroy(): void {
    for (const p of this.ports) p.destroy();
    this.ports.length = 0;
  }
}
