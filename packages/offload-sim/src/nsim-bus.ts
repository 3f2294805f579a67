// Models drivers/net/netdevsim/bus.c (Linux 6.18): /sys/bus/netdevsim with
// new_device ("ID [PORT_COUNT [NUM_QUEUES]]", parsed like the kernel's
// sscanf("%u %u %u"): defaults 1 port and 1 queue, id > INT_MAX EINVAL, a
// malformed string EINVAL, an id in use ENOSPC (ida_alloc_range), zero ports
// EINVAL) and del_device ("ID": ENOENT when absent). Devices are created in
// one tcf namespace; the bpf() instance and the device-bound registry
// (kernel/bpf/offload.c) are shared by every device on the bus.
import { KernelError, type SimClock } from '@tcbpf/base';
import type { BpfSyscall } from '@tcbpf/ebpf';
import type { JitRuntime } from '@tcbpf/jit';
import type { TcNet } from '@tcbpf/tcf';
import { BpfOffload } from './bpf-offload.js';
import { HW_PROFILES, type HwProfile, type HwProfileName } from './hw-profile.js';
import { NsimDev, type NsimPort } from './nsim-dev.js';

const INT_MAX = 0x7fffffff;
const U32 = 4294967296;

/** What new_device asks for. */
export interface NsimNewDeviceSpec {
  readonly id: number;
  readonly ports: number;
  readonly queues: number;
}

/** isspace() of the kernel's ctype for the bytes a sysfs string can hold. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * The kernel's vsscanf for a format of `n` "%u" conversions separated by
 * spaces: returns the values converted before the first mismatch. Each value
 * is skip_spaces, then decimal digits (no sign), accumulated in 64 bits and
 * stored truncated to 32 bits (so: modulo 2^32).
 */
export function sscanfU32(s: string, n: number): number[] {
  const out: number[] = [];
  let i = 0;
  for (let k = 0; k < n; k++) {
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    const c0 = s.charCodeAt(i);
    if (!(c0 >= 0x30 && c0 <= 0x39)) break;
    let v = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      v = (v * 10 + (c - 0x30)) % U32;
      i++;
    }
    out.push(v);
  }
  return out;
}

/** Parse a new_device write (EINVAL on a malformed string or an id above INT_MAX). */
export function parseNewDevice(s: string): NsimNewDeviceSpec {
  const v = sscanfU32(s, 3);
  if (v.length === 0) throw new KernelError('EINVAL', 'Format for adding new device is "id port_count num_queues" (uint uint unit).', { where: 'new_device' });
  const id = v[0]!;
  if (id > INT_MAX) throw new KernelError('EINVAL', 'Value of "id" is too big.', { where: 'new_device' });
  return { id, ports: v[1] ?? 1, queues: v[2] ?? 1 };
}

/** Parse a del_device write. */
export function parseDelDevice(s: string): number {
  const v = sscanfU32(s, 1);
  if (v.length === 0) throw new KernelError('EINVAL', 'Format for deleting device is "id" (uint).', { where: 'del_device' });
  return v[0]!;
}

/** Options of {@link NsimBus}. */
export interface NsimBusOptions {
  /** The namespace the ports are created in. */
  readonly net: TcNet;
  /** The bpf() instance programs are loaded in (e.g. @tcbpf/bpf-skb's tcBpfSyscall()); omit for classic-only use. */
  readonly bpf?: BpfSyscall;
  /** Clock for the verifier delay (default: the tcf kernel's). */
  readonly clock?: SimClock;
  /** Default capability profile of new devices (default "netdevsim"). */
  readonly profile?: HwProfile | HwProfileName;
  /** Port name pattern (default "eth%d"). */
  readonly portName?: string;
  /**
   * A JIT built on `bpf` (e.g. cls_bpf's `jitRuntime`, or `new JitRuntime(bpf, bpf.interpreter)`):
   * the hardware engines compile offloaded eBPF programs with it; default: the interpreter.
   */
  readonly jit?: JitRuntime;
}

/** Largest port count accepted (a guard of this model: each port is a netdev). */
export const NSIM_MAX_PORTS = 1024;

/** /sys/bus/netdevsim of one namespace. */
export class NsimBus {
  readonly net: TcNet;
  /** The device-bound program and map registry (null without a bpf() instance). */
  readonly offload: BpfOffload | null;
  readonly #devs = new Map<number, NsimDev>();
  readonly #clock: SimClock;
  readonly #profile: HwProfile;
  readonly #portName: string | undefined;
  readonly #jit: JitRuntime | null;

  constructor(opts: NsimBusOptions) {
    this.net = opts.net;
    this.#clock = opts.clock ?? opts.net.kernel.clock;
    this.offload = opts.bpf === undefined ? null : new BpfOffload(opts.bpf, this.#clock);
    this.#profile = resolveProfile(opts.profile);
    this.#portName = opts.portName;
    this.#jit = opts.jit ?? null;
  }

  /** `echo "ID PORTS [QUEUES]" > /sys/bus/netdevsim/new_device` (or the parsed form). */
  newDevice(spec: string | { readonly id: number; readonly ports?: number; readonly queues?: number; readonly profile?: HwProfile | HwProfileName }): NsimDev {
    const s = typeof spec === 'string' ? parseNewDevice(spec) : { id: spec.id, ports: spec.ports ?? 1, queues: spec.queues ?? 1 };
    if (!Number.isInteger(s.id) || s.id < 0 || s.id > INT_MAX) throw new KernelError('EINVAL', 'Value of "id" is too big.', { where: 'new_device' });
    if (!Number.isInteger(s.ports) || s.ports < 0 || s.ports >= U32) throw new KernelError('EINVAL', '', { where: 'port_count' });
    // nsim_bus_dev_new: port_count 0 is EINVAL; alloc_netdev_mqs refuses zero queues
    if (s.ports === 0) throw new KernelError('EINVAL', '', { where: 'port_count' });
    if (!Number.isInteger(s.queues) || s.queues === 0 || s.queues >= U32) throw new KernelError('EINVAL', '', { where: 'num_queues' });
    if (s.ports > NSIM_MAX_PORTS) throw new KernelError('ENOMEM', `more than ${NSIM_MAX_PORTS} ports`, { where: 'port_count' });
    if (this.#devs.has(s.id)) throw new KernelError('ENOSPC', '', { where: 'id' });
    const profile = typeof spec === 'string' || spec.profile === undefined ? this.#profile : resolveProfile(spec.profile);
    const dev = new NsimDev(s.id, s.ports, { net: this.net, clock: this.#clock, offload: this.offload, profile, jit: this.#jit, ...(this.#portName === undefined ? {} : { portName: this.#portName }) });
    this.#devs.set(s.id, dev);
    return dev;
  }

  /** `echo ID > /sys/bus/netdevsim/del_device`. */
  delDevice(spec: string | number): void {
    const id = typeof spec === 'string' ? parseDelDevice(spec) : spec;
    const dev = this.#devs.get(id);
    if (dev === undefined) throw new KernelError('ENOENT', '', { where: 'del_device' });
    this.#devs.delete(id);
    dev.destroy();
  }

  /** The device with this id. */
  device(id: number): NsimDev | undefined {
    return this.#devs.get(id);
  }

  /** The port with this ifindex (for `ethtool -K <dev> ...` and debugfs by device name). */
  port(ifindex: number): NsimPort | undefined {
    for (const d of this.#devs.values()) for (const p of d.ports) if (p.ifindex === ifindex) return p;
    return undefined;
  }

  /** Every device, by id. */
  devices(): NsimDev[] {
    return [...this.#devs.values()].sort((a, b) => a.id - b.id);
  }
}

function resolveProfile(p: HwProfile | HwProfileName | undefined): HwProfile {
  if (p === undefined) return HW_PROFILES.netdevsim;
  if (typeof p === 'string') {
    const r = (HW_PROFILES as Readonly<Record<string, HwProfile>>)[p];
    if (r === undefined) throw new KernelError('EINVAL', `unknown hardware profile "${p}"`, { where: 'profile' });
    return r;
  }
  return p;
}

/** Options of {@link createNetdevsim}. */
export interface CreateNetdevsimOptions {
  readonly id: number;
  /** Port count (default 1). */
  readonly ports?: number;
  readonly profile?: HwProfile | HwProfileName;
  /** The bus to create it on (default: a new bus over `net` with `bpf`). */
  readonly bus?: NsimBus;
  readonly bpf?: BpfSyscall;
  /** Port name pattern of a new bus (default "eth%d"; e.g. the name given to `ip link add NAME type netdevsim`). */
  readonly portName?: string;
  /** JIT of a new bus's hardware engines. */
  readonly jit?: JitRuntime;
}

/**
 * Create a netdevsim device in `net` (like `echo "ID PORTS" >
 * /sys/bus/netdevsim/new_device`): returns the device, whose `ports` are tcf
 * NetDevs with `.knobs`, `setHwTcOffload()` and `receive(frame)`.
 */
export function createNetdevsim(net: TcNet, opts: CreateNetdevsimOptions): NsimDev {
  const bus = opts.bus ?? new NsimBus({ net, ...(opts.bpf === undefined ? {} : { bpf: opts.bpf }), ...(opts.portName === undefined ? {} : { portName: opts.portName }), ...(opts.jit === undefined ? {} : { jit: opts.jit }) });
  return bus.newDevice({ id: opts.id, ports: opts.ports ?? 1, ...(opts.profile === undefined ? {} : { profile: opts.profile }) });
}
