// Models iproute2 6.1 tc/tc_util.c and tc/tc_core.c (rates, sizes, classids,
// rate tables) and lib/json_print.c print_rate, against Linux 6.18's
// /proc/net/psched (t2us 1000, us2t 64, clock_res 1e6, hz 1e9).
import { TC_H } from '@tcbpf/uapi';

/** iproute2's tick_in_usec for Linux 6.18's psched clock: t2us / us2t * clock_factor. */
export const TICK_IN_USEC = 1000 / 64;
/** get_hz() on Linux 6.18 (clock_res 1e6 → the fourth /proc/net/psched word). */
export const PSCHED_HZ = 1_000_000_000;
const TIME_UNITS_PER_SEC = 1_000_000;

const RATE_SUFFIX: readonly (readonly [string, number])[] = Object.freeze([
  ['bit', 1], ['Kibit', 1024], ['kbit', 1000], ['mibit', 1024 * 1024], ['mbit', 1_000_000],
  ['gibit', 1024 * 1024 * 1024], ['gbit', 1_000_000_000], ['tibit', 1024 ** 4], ['tbit', 1e12],
  ['Bps', 8], ['KiBps', 8 * 1024], ['KBps', 8000], ['MiBps', 8 * 1024 * 1024], ['MBps', 8_000_000],
  ['GiBps', 8 * 1024 ** 3], ['GBps', 8e9], ['TiBps', 8 * 1024 ** 4], ['TBps', 8e12],
].map((e) => Object.freeze(e) as readonly [string, number]));

/** get_rate64(): a rate word in bytes per second, or undefined when unparsable. */
export function getRate64(str: string): number | undefined {
  const m = /^([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(.*)$/.exec(str);
  if (m === null) return undefined;
  const bps = Number(m[1]);
  if (!Number.isFinite(bps) || bps < 0) return undefined;
  const suffix = m[2]!;
  if (suffix === '') return Math.floor(bps / 8);
  for (const [s, scale] of RATE_SUFFIX) if (s.toLowerCase() === suffix.toLowerCase()) return Math.floor((bps * scale) / 8);
  return undefined;
}

/** get_size(): a size word in bytes (b, k/kb, m/mb, g/gb, kbit, mbit, gbit), or undefined. */
export function getSize(str: string): number | undefined {
  const m = /^([0-9]*\.?[0-9]+)(.*)$/.exec(str);
  if (m === null) return undefined;
  let sz = Number(m[1]);
  const s = m[2]!.toLowerCase();
  if (s === 'k' || s === 'kb') sz *= 1024;
  else if (s === 'g' || s === 'gb') sz *= 1024 * 1024 * 1024;
  else if (s === 'gbit') sz *= (1024 * 1024 * 1024) / 8;
  else if (s === 'm' || s === 'mb') sz *= 1024 * 1024;
  else if (s === 'mbit') sz *= (1024 * 1024) / 8;
  else if (s === 'kbit') sz *= 1024 / 8;
  else if (s !== '' && s !== 'b') return undefined;
  return sz > 0xffffffff ? undefined : Math.floor(sz);
}

/** get_tc_classid(): `root`, `none`, `MAJ:`, `MAJ:MIN`, `:MIN` (hex) → u32, or undefined. */
export function getTcClassid(str: string): number | undefined {
  if (str === 'root') return TC_H.ROOT;
  if (str === 'none') return TC_H.UNSPEC;
  const m = /^([0-9a-fA-F]*)(?::([0-9a-fA-F]*))?$/.exec(str);
  if (m === null || str === '') return undefined;
  if (m[2] === undefined) {
    // a plain hex number is a whole handle
    const v = Number.parseInt(m[1]!, 16);
    return Number.isNaN(v) || v > 0xffffffff ? undefined : v;
  }
  const maj = m[1] === '' ? 0 : Number.parseInt(m[1]!, 16);
  const min = m[2] === '' ? 0 : Number.parseInt(m[2], 16);
  if (maj > 0xffff || min > 0xffff) return undefined;
  return ((maj << 16) | min) >>> 0;
}

/** sprint_tc_classid(): `root`, `none`, `MAJ:` or `MAJ:MIN` in hex. */
export function sprintTcClassid(h: number): string {
  if (h === TC_H.ROOT) return 'root';
  if (h === TC_H.UNSPEC) return 'none';
  const maj = h >>> 16;
  const min = h & 0xffff;
  return min === 0 ? `${maj.toString(16)}:` : `${maj.toString(16)}:${min.toString(16)}`;
}

/** print_rate() (SI units): bytes per second → `10Mbit`. */
export function sprintRate(bytesPerSec: number): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let rate = bytesPerSec * 8;
  let i = 0;
  for (; i < units.length - 1; i++) {
    if (rate < 1000) break;
    if (rate % 1000 !== 0 && rate < 1000 * 1000) break;
    rate /= 1000;
  }
  return `${Math.round(rate)}${units[i]!}bit`;
}

/** sprint_size(): `1600b`, `2Kb`, `1Mb`. */
export function sprintSize(sz: number): string {
  const kb = 1024;
  const mb = kb * kb;
  if (sz >= mb && Math.abs(mb * Math.round(sz / mb) - sz) < 1024) return `${Math.round(sz / mb)}Mb`;
  if (sz >= kb && Math.abs(kb * Math.round(sz / kb) - sz) < 16) return `${Math.round(sz / kb)}Kb`;
  return `${sz}b`;
}

/**
 * tc_calc_xmittime(): ticks to send `size` bytes at `rate` bytes/s. As in
 * tc_core.c: the time in µs is `TIME_UNITS_PER_SEC * (size / rate)` converted
 * to an unsigned int, then tc_core_time2tick() multiplies by tick_in_usec and
 * truncates again.
 */
export function tcCalcXmittime(rate: number, size: number): number {
  const us = Math.trunc(TIME_UNITS_PER_SEC * (size / rate)) >>> 0;
  return Math.trunc(us * TICK_IN_USEC) >>> 0;
}

/** tc_calc_xmitsize(): bytes sent at `rate` during `ticks`. */
export function tcCalcXmitsize(rate: number, ticks: number): number {
  return Math.trunc((rate * (ticks / TICK_IN_USEC)) / TIME_UNITS_PER_SEC) >>> 0;
}

/** tc_calc_rtable() for an Ethernet link layer: the 256-entry rate table; returns its cell_log. */
export function tcCalcRtable(rate: number, mpu: number, mtu: number, out: DataView): number {
  let cellLog = 0;
  while (mtu >> cellLog > 255) cellLog++;
  for (let i = 0; i < 256; i++) {
    const sz = Math.max((i + 1) << cellLog, mpu);
    out.setUint32(i * 4, tcCalcXmittime(rate, sz), true); // host (little-endian) order, like the kernel reads it
  }
  return cellLog;
}
