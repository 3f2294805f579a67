// Models fixed-layout UAPI structs carried in netlink messages (tcmsg,
// tc_mirred, tc_police, gnet_stats_*, tcf_t, ...; include/uapi/linux/
// rtnetlink.h, pkt_sched.h, pkt_cls.h, gen_stats.h, tc_act/*.h, Linux 6.18) as
// data: a field list with offsets and widths, decoded and encoded in host
// order (little-endian, x86-64 layout including trailing padding).
import { HOST_LITTLE_ENDIAN, KernelError } from '@tcbpf/base';

const LE = HOST_LITTLE_ENDIAN;

/** Field widths a struct layout uses (all host order). */
export type FieldType = 'u8' | 's8' | 'u16' | 's16' | 'u32' | 's32' | 'u64';

/** One field: name, offset and width. */
export interface StructField {
  readonly name: string;
  readonly off: number;
  readonly type: FieldType;
}

/** A struct layout: its C name, sizeof and fields (padding is whatever no field covers and is written as zero). */
export interface StructLayout {
  readonly name: string;
  readonly size: number;
  readonly fields: readonly StructField[];
}

/** Decoded struct: field name -> value (u64 fields as bigint). */
export type StructValue = Readonly<Record<string, number | bigint>>;

const WIDTH: Readonly<Record<FieldType, number>> = Object.freeze({ u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8 });

/**
 * Declare a layout from `[name, type]` pairs in C order; offsets follow the
 * x86-64 ABI (natural alignment). `size` is sizeof (checked against the sum).
 * `prefix` nests a sub-struct's fields as `prefix.field`.
 */
export function defineStruct(name: string, size: number, fields: readonly (readonly [string, FieldType | StructLayout])[]): StructLayout {
  const out: StructField[] = [];
  let off = 0;
  for (const [fname, t] of fields) {
    if (typeof t === 'string') {
      const w = WIDTH[t];
      off = (off + w - 1) & ~(w - 1);
      out.push(Object.freeze({ name: fname, off, type: t }));
      off += w;
    } else {
      const align = t.fields.reduce((m, f) => Math.max(m, WIDTH[f.type]), 1);
      off = (off + align - 1) & ~(align - 1);
      for (const f of t.fields) out.push(Object.freeze({ name: `${fname}.${f.name}`, off: off + f.off, type: f.type }));
      off += t.size;
    }
  }
  if (off > size) throw new RangeError(`struct ${name}: fields end at ${off}, beyond sizeof ${size}`);
  return Object.freeze({ name, size, fields: Object.freeze(out) });
}

/** Decode `layout` at `off` (host order). Throws KernelError EINVAL when fewer than sizeof bytes remain. */
export function decodeStruct(layout: StructLayout, buf: Uint8Array, off: number): StructValue {
  if (off < 0 || off + layout.size > buf.length) throw new KernelError('EINVAL', '', { where: `struct ${layout.name} needs ${layout.size} B at ${off}, ${buf.length - off} left` });
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const v: Record<string, number | bigint> = {};
  for (const f of layout.fields) {
    const p = off + f.off;
    switch (f.type) {
      case 'u8': v[f.name] = dv.getUint8(p); break;
      case 's8': v[f.name] = dv.getInt8(p); break;
      case 'u16': v[f.name] = dv.getUint16(p, LE); break;
      case 's16': v[f.name] = dv.getInt16(p, LE); break;
      case 'u32': v[f.name] = dv.getUint32(p, LE); break;
      case 's32': v[f.name] = dv.getInt32(p, LE); break;
      case 'u64': v[f.name] = dv.getBigUint64(p, LE); break;
    }
  }
  return v;
}

/** Whether the padding bytes of `layout` at `off` are all zero (so re-encoding reproduces them). */
export function structPaddingIsZero(layout: StructLayout, buf: Uint8Array, off: number): boolean {
  const covered = new Uint8Array(layout.size);
  for (const f of layout.fields) covered.fill(1, f.off, f.off + WIDTH[f.type]);
  for (let i = 0; i < layout.size; i++) if (covered[i] === 0 && buf[off + i] !== 0) return false;
  return true;
}

/** Encode `value` into a new sizeof-byte array (host order; missing fields are 0). */
export function encodeStruct(layout: StructLayout, value: StructValue): Uint8Array {
  const b = new Uint8Array(layout.size);
  const dv = new DataView(b.buffer);
  for (const f of layout.fields) {
    const x = value[f.name] ?? 0;
    switch (f.type) {
      case 'u8': dv.setUint8(f.off, Number(x)); break;
      case 's8': dv.setInt8(f.off, Number(x)); break;
      case 'u16': dv.setUint16(f.off, Number(x), LE); break;
      case 's16': dv.setInt16(f.off, Number(x), LE); break;
      case 'u32': dv.setUint32(f.off, Number(x) >>> 0, LE); break;
      case 's32': dv.setInt32(f.off, Number(x), LE); break;
      case 'u64': dv.setBigUint64(f.off, BigInt.asUintN(64, BigInt(x)), LE); break;
    }
  }
  return b;
}

/** struct nlmsghdr. */
export const NLMSGHDR = defineStruct('nlmsghdr', 16, [['len', 'u32'], ['type', 'u16'], ['flags', 'u16'], ['seq', 'u32'], ['pid', 'u32']]);
/** struct tcmsg (rtnetlink.h). */
export const TCMSG = defineStruct('tcmsg', 20, [['family', 'u8'], ['pad1', 'u8'], ['pad2', 'u16'], ['ifindex', 's32'], ['handle', 'u32'], ['parent', 'u32'], ['info', 'u32']]);
/** struct tcamsg (rtnetlink.h). */
export const TCAMSG = defineStruct('tcamsg', 4, [['family', 'u8'], ['pad1', 'u8'], ['pad2', 'u16']]);
/** struct tc_estimator (pkt_sched.h). */
export const TC_ESTIMATOR = defineStruct('tc_estimator', 2, [['interval', 's8'], ['ewma_log', 'u8']]);
/** struct tc_stats (pkt_sched.h; 36 bytes of fields, sizeof 40). */
export const TC_STATS = defineStruct('tc_stats', 40, [['bytes', 'u64'], ['packets', 'u32'], ['drops', 'u32'], ['overlimits', 'u32'], ['bps', 'u32'], ['pps', 'u32'], ['qlen', 'u32'], ['backlog', 'u32']]);
/** struct gnet_stats_basic (gen_stats.h; sizeof 16 on x86-64). */
export const GNET_STATS_BASIC = defineStruct('gnet_stats_basic', 16, [['bytes', 'u64'], ['packets', 'u32']]);
/** struct gnet_stats_rate_est. */
export const GNET_STATS_RATE_EST = defineStruct('gnet_stats_rate_est', 8, [['bps', 'u32'], ['pps', 'u32']]);
/** struct gnet_stats_rate_est64. */
export const GNET_STATS_RATE_EST64 = defineStruct('gnet_stats_rate_est64', 16, [['bps', 'u64'], ['pps', 'u64']]);
/** struct gnet_stats_queue. */
export const GNET_STATS_QUEUE = defineStruct('gnet_stats_queue', 20, [['qlen', 'u32'], ['backlog', 'u32'], ['drops', 'u32'], ['requeues', 'u32'], ['overlimits', 'u32']]);
/** struct tcf_t (pkt_cls.h): times in clock_t (USER_HZ) since the event. */
export const TCF_T = defineStruct('tcf_t', 32, [['install', 'u64'], ['lastuse', 'u64'], ['expires', 'u64'], ['firstuse', 'u64']]);
const TC_GEN_FIELDS = [['index', 'u32'], ['capab', 'u32'], ['action', 's32'], ['refcnt', 's32'], ['bindcnt', 's32']] as const;
/** struct tc_gact (tc_gact.h) = tc_gen. */
export const TC_GACT = defineStruct('tc_gact', 20, TC_GEN_FIELDS);
/** struct tc_gact_p. */
export const TC_GACT_P = defineStruct('tc_gact_p', 8, [['ptype', 'u16'], ['pval', 'u16'], ['paction', 's32']]);
/** struct tc_mirred (tc_mirred.h). */
export const TC_MIRRED = defineStruct('tc_mirred', 28, [...TC_GEN_FIELDS, ['eaction', 's32'], ['ifindex', 'u32']]);
/** struct tc_ratespec (pkt_sched.h). */
export const TC_RATESPEC = defineStruct('tc_ratespec', 12, [['cell_log', 'u8'], ['linklayer', 'u8'], ['overhead', 'u16'], ['cell_align', 's16'], ['mpu', 'u16'], ['rate', 'u32']]);
/** struct tc_police (pkt_cls.h). */
export const TC_POLICE = defineStruct('tc_police', 56, [
  ['index', 'u32'], ['action', 's32'], ['limit', 'u32'], ['burst', 'u32'], ['mtu', 'u32'],
  ['rate', TC_RATESPEC], ['peakrate', TC_RATESPEC], ['refcnt', 's32'], ['bindcnt', 's32'], ['capab', 'u32'],
]);
/** struct nla_bitfield32. */
export const NLA_BITFIELD32 = defineStruct('nla_bitfield32', 8, [['value', 'u32'], ['selector', 'u32']]);
/** struct sock_filter (filter.h): one classic BPF instruction. */
export const SOCK_FILTER = defineStruct('sock_filter', 8, [['code', 'u16'], ['jt', 'u8'], ['jf', 'u8'], ['k', 'u32']]);
/** struct tc_htb_opt (pkt_sched.h): an HTB class's rate/ceil specs and buffers. */
export const TC_HTB_OPT = defineStruct('tc_htb_opt', 44, [['rate', TC_RATESPEC], ['ceil', TC_RATESPEC], ['buffer', 'u32'], ['cbuffer', 'u32'], ['quantum', 'u32'], ['level', 'u32'], ['prio', 'u32']]);
/** struct tc_htb_glob (pkt_sched.h): HTB qdisc parameters. */
export const TC_HTB_GLOB = defineStruct('tc_htb_glob', 20, [['version', 'u32'], ['rate2quantum', 'u32'], ['defcls', 'u32'], ['debug', 'u32'], ['direct_pkts', 'u32']]);
/** struct tc_htb_xstats (pkt_sched.h): TCA_XSTATS of an HTB class. */
export const TC_HTB_XSTATS = defineStruct('tc_htb_xstats', 20, [['lends', 'u32'], ['borrows', 'u32'], ['giants', 'u32'], ['tokens', 's32'], ['ctokens', 's32']]);
