// The simulated time source of a kernel instance: monotonic nanoseconds
// (ktime_get_ns), boot time, and jiffies at HZ=1000 — advanced explicitly,
// never read from the host. Numbers are float64 nanoseconds: exact up to 2^53 ns
// (about 104 days of simulated time), which no scenario approaches.

/** HZ of the modelled kernel configuration (CONFIG_HZ_1000). */
export const HZ = 1000;
const NS_PER_JIFFY = 1_000_000_000 / HZ;

export class SimClock {
  #nowNs: number;
  #bootOffsetNs: number;

  /** @param startNs monotonic time at creation; @param bootOffsetNs CLOCK_BOOTTIME - CLOCK_MONOTONIC */
  constructor(startNs = 1_000_000_000, bootOffsetNs = 0) {
    if (!Number.isSafeInteger(startNs) || startNs < 0) throw new RangeError('startNs must be a non-negative safe integer');
    this.#nowNs = startNs;
    this.#bootOffsetNs = bootOffsetNs;
  }

  /** CLOCK_MONOTONIC in ns (bpf_ktime_get_ns). */
  nowNs(): number {
    return this.#nowNs;
  }

  /** CLOCK_BOOTTIME in ns (bpf_ktime_get_boot_ns). */
  bootNs(): number {
    return this.#nowNs + this.#bootOffsetNs;
  }

  /** jiffies since the clock's zero. */
  jiffies(): number {
    return Math.floor(this.#nowNs / NS_PER_JIFFY);
  }

  /** Move time forward by `ns` (>= 0). */
  advance(ns: number): void {
    if (!(ns >= 0)) throw new RangeError('time only moves forward');
    this.#nowNs += ns;
  }

  /** Move time forward to `ns` if it is later than now. */
  advanceTo(ns: number): void {
    if (ns > this.#nowNs) this.#nowNs = ns;
  }
}
