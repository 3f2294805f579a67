// The user-space side of netdevsim in Linux 6.18 for scenarios: the sysfs
// bus files (drivers/net/netdevsim/bus.c: `echo "ID [PORTS]" >
// /sys/bus/netdevsim/new_device`, `echo ID > .../del_device`), the debugfs
// knobs (drivers/net/netdevsim/dev.c, bpf.c: /sys/kernel/debug/netdevsim/
// netdevsim<ID>/[ports/<P>/]<knob>) and `ethtool -K DEV hw-tc-offload on|off`
// (NETIF_F_HW_TC through ndo_set_features), over @tcbpf/offload-sim. The
// device is created in the writer's namespace; bus ids are global, as in the
// kernel (one bus of the model per namespace, ids checked across them).
import { KernelError } from '@tcbpf/base';
import type { BpfSyscall } from '@tcbpf/ebpf';
import { NsimBus, type NsimDev, type NsimPort } from '@tcbpf/offload-sim';
import type { NetDevice } from '@tcbpf/skb';
import type { TcNet } from '@tcbpf/tcf';
import { type Args, UsageError } from './iproute2/args.js';

const BUS = '/sys/bus/netdevsim/';
const DEBUGFS = '/sys/kernel/debug/netdevsim/';

/** debugfs knob file names → how to set them (port knobs). */
const PORT_KNOBS = Object.freeze({
  bpf_tc_accept: 'bpfTcAccept',
  bpf_tc_non_bound_accept: 'bpfTcNonBoundAccept',
  bpf_xdpdrv_accept: 'bpfXdpdrvAccept',
  bpf_xdpoffload_accept: 'bpfXdpoffloadAccept',
  bpf_map_accept: 'bpfMapAccept',
} as const);
/** Device knobs (booleans; bpf_bind_verifier_delay is a number of ms). */
const DEV_KNOBS = Object.freeze({
  bpf_bind_accept: 'bpfBindAccept',
  bpf_bind_verifier_accept: 'bpfBindVerifierAccept',
} as const);

/** debugfs bool writes (kstrtobool): y/Y/1, n/N/0, on/off. */
function kstrtobool(s: string, col: number): boolean {
  const c = s[0] ?? '';
  if (c === 'y' || c === 'Y' || c === '1') return true;
  if (c === 'n' || c === 'N' || c === '0') return false;
  if (c === 'o' || c === 'O') {
    const d = s[1] ?? '';
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  throw new UsageError('echo: write error: Invalid argument', col);
}

/** netdevsim devices of a scenario kernel. */
export class NetdevsimControl {
  readonly #bpf: BpfSyscall;
  readonly #buses = new Map<TcNet, NsimBus>();
  readonly #devs = new Map<number, NsimDev>();
  readonly #ports = new Map<NetDevice, NsimPort>();

  constructor(bpf: BpfSyscall) {
    this.#bpf = bpf;
  }

  /** The netdevsim port behind a device, if it is one. */
  port(dev: NetDevice): NsimPort | undefined {
    return this.#ports.get(dev);
  }

  /** Every port, in creation order. */
  ports(): NsimPort[] {
    return [...this.#ports.values()];
  }

  /**
   * `echo VALUE > FILE` for the netdevsim files (after `echo`): new_device,
   * del_device and the debugfs knobs. `adopt` receives each new port's device.
   * Errors are what the shell prints (`echo: write error: ...`).
   */
  echo(a: Args, net: TcNet, adopt: (dev: NetDevice) => void): void {
    const value = a.next();
    if (a.take() !== '>') throw new UsageError('echo: expected "> FILE"', a.lastCol);
    const file = a.next();
    const col = a.lastCol;
    if (a.more) throw new UsageError(`echo: unexpected "${a.peek()}"`, a.col);
    const wrap = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        if (KernelError.isInstance(e)) throw new UsageError(`echo: write error: ${e.extack !== '' ? e.extack : e.errno}`, col);
        throw e;
      }
    };
    if (file === `${BUS}new_device`) {
      let bus = this.#buses.get(net);
      if (bus === undefined) {
        bus = new NsimBus({ net, bpf: this.#bpf });
        this.#buses.set(net, bus);
      }
      const b = bus;
      const spec = wrap(() => {
        const id = Number(value.trim().split(/\s+/)[0]);
        // the bus is global: an id in use in another namespace is ENOSPC too
        if (this.#devs.has(id)) throw new KernelError('ENOSPC', 'No space left on device', { where: 'id' });
        return b.newDevice(value);
      });
      this.#devs.set(spec.id, spec);
      for (const p of spec.ports) {
        this.#ports.set(p.nd.dev, p);
        adopt(p.nd.dev);
      }
      return;
    }
    if (file === `${BUS}del_device`) {
      const id = Number(value);
      const d = this.#devs.get(id);
      if (!Number.isInteger(id) || d === undefined) throw new UsageError('echo: write error: No such device', col);
      for (const p of d.ports) this.#ports.delete(p.nd.dev);
      d.destroy();
      this.#devs.delete(id);
      return;
    }
    const m = /^\/sys\/kernel\/debug\/netdevsim\/netdevsim(\d+)\/(?:ports\/(\d+)\/)?([a-z_]+)$/.exec(file);
    if (m === null || !file.startsWith(DEBUGFS)) throw new UsageError(`${file}: No such file or directory`, col);
    const d = this.#devs.get(Number(m[1]));
    if (d === undefined) throw new UsageError(`${file}: No such file or directory`, col);
    const knob = m[3]!;
    if (m[2] !== undefined) {
      const p = d.ports[Number(m[2])];
      const key = (PORT_KNOBS as Readonly<Record<string, keyof NsimPort['knobs']>>)[knob];
      if (p === undefined || key === undefined) throw new UsageError(`${file}: No such file or directory`, col);
      p.knobs[key] = kstrtobool(value, col);
      return;
    }
    if (knob === 'bpf_bind_verifier_delay') {
      if (!/^\d+$/.test(value)) throw new UsageError('echo: write error: Invalid argument', col);
      d.knobs.bpfBindVerifierDelay = Number(value);
      return;
    }
    const key = (DEV_KNOBS as Readonly<Record<string, keyof NsimDev['knobs']>>)[knob];
    if (key === undefined) throw new UsageError(`${file}: No such file or directory`, col);
    (d.knobs as unknown as Record<string, boolean>)[key] = kstrtobool(value, col);
  }

  /** `ethtool -K DEV hw-tc-offload on|off` (after `ethtool`). */
  ethtool(a: Args, net: TcNet): void {
    if (a.take() !== '-K') throw new UsageError('ethtool: only "-K DEV hw-tc-offload on|off" is modelled', a.lastCol);
    const name = a.next();
    const col = a.lastCol;
    const dev = net.ns.getByName(name);
    if (dev === undefined) throw new UsageError(`netlink error: no device matches name (offset 24)`, col);
    if (a.take() !== 'hw-tc-offload') throw new UsageError('ethtool: only the hw-tc-offload feature is modelled', a.lastCol);
    const v = a.take();
    if (v !== 'on' && v !== 'off') throw new UsageError(`ethtool: invalid value "${v}" (on|off)`, a.lastCol);
    const p = this.#ports.get(dev);
    // a device without NETIF_F_HW_TC in hw_features cannot change it
    if (p === undefined) throw new UsageError('Could not change any device features', col);
    try {
      p.setHwTcOffload(v === 'on');
    } catch (e) {
      if (KernelError.isInstance(e)) throw new UsageError(`netlink error: ${e.errno === 'EBUSY' ? 'Device or resource busy' : e.errno}`, col);
      throw e;
    }
  }
}
