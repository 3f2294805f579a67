// Models lib/nlattr.c (Linux 6.18): __nla_validate_parse, validate_nla,
// nla_validate_array, validate_nla_bitfield32, nla_validate_int_range and the
// nla_parse*/nlmsg_parse* wrappers of include/net/netlink.h, with attribute
// policies (struct nla_policy) as data.
//
// Liberal ("_deprecated", what tc uses) and strict modes are the kernel's
// NL_VALIDATE_* bit sets. A refusal throws KernelError with the kernel's errno;
// when the caller passes an ExtAck (the kernel's non-NULL extack) it also gets
// the kernel's message, the offending attribute's offset and the policy entry,
// exactly as the kernel would fill them. Payload reads are little-endian (host
// order) except BE16/BE32, which are big-endian.
import { HOST_LITTLE_ENDIAN, KernelError } from '@tcbpf/base';
import type { ErrnoName } from '@tcbpf/uapi';
import { NLA_F } from '@tcbpf/uapi';
import type { ExtAck } from './extack.js';
import { NLA_HDRLEN, decodeUtf8, nlaAlign } from './nlattr.js';

const LE = HOST_LITTLE_ENDIAN;

/** Policy attribute types (enum in include/net/netlink.h, 6.18 order). */
export const NLA = Object.freeze({
  UNSPEC: 0,
  U8: 1,
  U16: 2,
  U32: 3,
  U64: 4,
  STRING: 5,
  FLAG: 6,
  MSECS: 7,
  NESTED: 8,
  NESTED_ARRAY: 9,
  NUL_STRING: 10,
  BINARY: 11,
  S8: 12,
  S16: 13,
  S32: 14,
  S64: 15,
  BITFIELD32: 16,
  REJECT: 17,
  BE16: 18,
  BE32: 19,
  SINT: 20,
  UINT: 21,
} as const);
/** A policy attribute type number. */
export type NlaType = (typeof NLA)[keyof typeof NLA];

/** Names of NLA types, by number. */
export const NLA_TYPE_NAMES: readonly string[] = Object.freeze(Object.keys(NLA));

/** Validation flag sets (NL_VALIDATE_* in include/net/netlink.h). */
export const NL_VALIDATE = Object.freeze({
  LIBERAL: 0,
  TRAILING: 1 << 0,
  MAXTYPE: 1 << 1,
  UNSPEC: 1 << 2,
  STRICT_ATTRS: 1 << 3,
  NESTED: 1 << 4,
  /** NL_VALIDATE_DEPRECATED_STRICT: TRAILING | MAXTYPE. */
  DEPRECATED_STRICT: (1 << 0) | (1 << 1),
  /** NL_VALIDATE_STRICT: all of the above. */
  STRICT: (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4),
} as const);

/** MAX_POLICY_RECURSION_DEPTH. */
export const MAX_POLICY_RECURSION_DEPTH = 10;

/** Extra validation of an entry (enum nla_policy_validation, the ones tc uses). */
export type NlaValidation = 'none' | 'range' | 'min' | 'max' | 'mask' | 'range-warn-too-long';

/** One attribute's policy (struct nla_policy). */
export interface NlaPolicyEntry {
  /** Attribute name, e.g. `TCA_CHAIN` (for messages and printing; not used by validation). */
  readonly name: string;
  readonly type: NlaType;
  /** pt->len: max length for strings/binary, min length for UNSPEC and fixed types. */
  readonly len: number;
  /** pt->nested_policy (its maxtype plays pt->len's role for nests). */
  readonly nested: NlaPolicy | undefined;
  readonly validation: NlaValidation;
  readonly min: number;
  readonly max: number;
  readonly mask: number;
  /** NLA_POLICY_BITFIELD32(valid). */
  readonly bitfield32Valid: number;
  /** NLA_POLICY_REJECT message. */
  readonly rejectMessage: string;
}

/** An attribute set's policy: `entries[type]` for 0..maxtype (unset = NLA_UNSPEC, len 0). */
export interface NlaPolicy {
  readonly name: string;
  readonly maxtype: number;
  /** policy[0].strict_start_type (0 = none). */
  readonly strictStartType: number;
  readonly entries: readonly NlaPolicyEntry[];
}

/** How a policy entry is written in a declaration. */
export interface NlaPolicySpec {
  readonly name: string;
  readonly type?: NlaType;
  readonly len?: number;
  readonly nested?: NlaPolicy;
  readonly validation?: NlaValidation;
  readonly min?: number;
  readonly max?: number;
  readonly mask?: number;
  readonly bitfield32Valid?: number;
  readonly rejectMessage?: string;
}

function entry(spec: NlaPolicySpec): NlaPolicyEntry {
  const validation = spec.validation ?? (spec.min !== undefined && spec.max !== undefined ? 'range' : spec.min !== undefined ? 'min' : spec.max !== undefined ? 'max' : 'none');
  return Object.freeze({
    name: spec.name,
    type: spec.type ?? NLA.UNSPEC,
    len: spec.len ?? 0,
    nested: spec.nested,
    validation,
    min: spec.min ?? 0,
    max: spec.max ?? Number.POSITIVE_INFINITY,
    mask: spec.mask ?? 0,
    bitfield32Valid: spec.bitfield32Valid ?? 0,
    rejectMessage: spec.rejectMessage ?? '',
  });
}

/**
 * Declare an attribute set's policy: `attrs[type]` as in the kernel's
 * `static const struct nla_policy x[MAX + 1]`. Types without a spec are
 * NLA_UNSPEC with no length (anything accepted), as in C.
 */
export function definePolicy(
  name: string,
  maxtype: number,
  attrs: Readonly<Record<number, NlaPolicySpec>>,
  options: { readonly strictStartType?: number } = {},
): NlaPolicy {
  const entries: NlaPolicyEntry[] = [];
  for (let t = 0; t <= maxtype; t++) entries.push(entry(attrs[t] ?? { name: `${name}[${t}]` }));
  for (const k of Object.keys(attrs)) {
    const t = Number(k);
    if (!(t >= 0 && t <= maxtype)) throw new RangeError(`policy ${name}: attribute ${k} beyond maxtype ${maxtype}`);
  }
  return Object.freeze({ name, maxtype, strictStartType: options.strictStartType ?? 0, entries: Object.freeze(entries) });
}

// nla_attr_len: exact lengths that only warn (or fail with STRICT_ATTRS)
const ATTR_LEN: readonly number[] = Object.freeze(
  (() => {
    const a = new Array<number>(22).fill(0);
    a[NLA.U8] = 1; a[NLA.U16] = 2; a[NLA.U32] = 4; a[NLA.U64] = 8;
    a[NLA.S8] = 1; a[NLA.S16] = 2; a[NLA.S32] = 4; a[NLA.S64] = 8;
    a[NLA.BE16] = 2; a[NLA.BE32] = 4;
    return a;
  })(),
);
// nla_attr_minlen
const ATTR_MINLEN: readonly number[] = Object.freeze(
  (() => {
    const a = new Array<number>(22).fill(0);
    a[NLA.U8] = 1; a[NLA.U16] = 2; a[NLA.U32] = 4; a[NLA.U64] = 8; a[NLA.MSECS] = 8;
    a[NLA.NESTED] = NLA_HDRLEN;
    a[NLA.S8] = 1; a[NLA.S16] = 2; a[NLA.S32] = 4; a[NLA.S64] = 8;
    a[NLA.BE16] = 2; a[NLA.BE32] = 4;
    return a;
  })(),
);

const MSG_POLICY = 'Attribute failed policy validation';

/**
 * A parsed attribute set: the kernel's `struct nlattr *tb[maxtype + 1]`.
 * Offsets are into `buf`; `base` is where the request's nlmsghdr starts, so
 * `offset(t)` is what NLMSGERR_ATTR_OFFS would carry. Getters read in place
 * (host order = little-endian unless named big-endian) and return `absent`
 * when the attribute is missing; they do not allocate (except string/bytes).
 */
export class NlAttrs {
  readonly buf: Uint8Array;
  readonly dv: DataView;
  readonly base: number;
  readonly maxtype: number;
  readonly #pos: number[];

  constructor(buf: Uint8Array, dv: DataView, base: number, maxtype: number) {
    this.buf = buf;
    this.dv = dv;
    this.base = base;
    this.maxtype = maxtype;
    const pos: number[] = [];
    for (let i = 0; i <= maxtype; i++) pos.push(-1);
    this.#pos = pos;
  }

  /** @internal set tb[type] to the attribute at buffer position `pos`. */
  set(type: number, pos: number): void {
    this.#pos[type] = pos;
  }

  /** Is tb[type] set? */
  has(type: number): boolean {
    return (this.#pos[type] ?? -1) >= 0;
  }
  /** Buffer position of the attribute header, -1 if absent. */
  pos(type: number): number {
    return this.#pos[type] ?? -1;
  }
  /** Offset of the attribute from the request's nlmsghdr (for extack), -1 if absent. */
  offset(type: number): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? -1 : p - this.base;
  }
  /** Raw nla_type field including NLA_F_* flags, -1 if absent. */
  rawType(type: number): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? -1 : this.dv.getUint16(p + 2, LE);
  }
  /** nla_len(): payload length, -1 if absent. */
  len(type: number): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? -1 : this.dv.getUint16(p, LE) - NLA_HDRLEN;
  }
  /** Buffer position of the payload (nla_data), -1 if absent. */
  dataPos(type: number): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? -1 : p + NLA_HDRLEN;
  }
  // A fixed-width read of an attribute shorter than the width (possible only
  // where the policy does not check the length): the missing bytes read as
  // zero. The kernel would read on into whatever follows in the skb.
  #short(p: number, width: number): Uint8Array {
    const have = Math.max(0, Math.min(width, this.dv.getUint16(p, LE) - NLA_HDRLEN, this.buf.length - p - NLA_HDRLEN));
    const tmp = new Uint8Array(8);
    tmp.set(this.buf.subarray(p + NLA_HDRLEN, p + NLA_HDRLEN + have));
    return tmp;
  }
  #fits(p: number, width: number): boolean {
    return this.dv.getUint16(p, LE) - NLA_HDRLEN >= width && p + NLA_HDRLEN + width <= this.buf.length;
  }

  /** nla_get_u8. */
  u8(type: number, absent = 0): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 1) ? this.dv.getUint8(p + 4) : this.#short(p, 1)[0]!;
  }
  /** nla_get_u16 (little-endian). */
  u16(type: number, absent = 0): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 2) ? this.dv.getUint16(p + 4, LE) : new DataView(this.#short(p, 2).buffer).getUint16(0, LE);
  }
  /** nla_get_u32 (little-endian). */
  u32(type: number, absent = 0): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 4) ? this.dv.getUint32(p + 4, LE) : new DataView(this.#short(p, 4).buffer).getUint32(0, LE);
  }
  /** nla_get_s8. */
  s8(type: number, absent = 0): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 1) ? this.dv.getInt8(p + 4) : new DataView(this.#short(p, 1).buffer).getInt8(0);
  }
  /** nla_get_s16 (little-endian). */
  s16(type: number, absent = 0): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 2) ? this.dv.getInt16(p + 4, LE) : new DataView(this.#short(p, 2).buffer).getInt16(0, LE);
  }
  /** nla_get_s32 (little-endian). */
  s32(type: number, absent = 0): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 4) ? this.dv.getInt32(p + 4, LE) : new DataView(this.#short(p, 4).buffer).getInt32(0, LE);
  }
  /** nla_get_u64 (little-endian), as bigint (control path only). */
  u64(type: number, absent = 0n): bigint {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 8) ? this.dv.getBigUint64(p + 4, LE) : new DataView(this.#short(p, 8).buffer).getBigUint64(0, LE);
  }
  /** nla_get_s64 (little-endian), as bigint. */
  s64(type: number, absent = 0n): bigint {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 8) ? this.dv.getBigInt64(p + 4, LE) : new DataView(this.#short(p, 8).buffer).getBigInt64(0, LE);
  }
  /** nla_get_uint: a 4- or 8-byte unsigned value (NLA_UINT), little-endian. */
  uint(type: number, absent = 0n): bigint {
    const p = this.#pos[type] ?? -1;
    if (p < 0) return absent;
    return this.len(type) === 4 ? BigInt(this.u32(type)) : this.u64(type);
  }
  /** nla_get_sint: a 4- or 8-byte signed value (NLA_SINT), little-endian. */
  sint(type: number, absent = 0n): bigint {
    const p = this.#pos[type] ?? -1;
    if (p < 0) return absent;
    return this.len(type) === 4 ? BigInt(this.s32(type)) : this.s64(type);
  }
  /** nla_get_be16 (big-endian payload). */
  be16(type: number, absent = 0): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 2) ? this.dv.getUint16(p + 4, false) : new DataView(this.#short(p, 2).buffer).getUint16(0, false);
  }
  /** nla_get_be32 (big-endian payload). */
  be32(type: number, absent = 0): number {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? absent : this.#fits(p, 4) ? this.dv.getUint32(p + 4, false) : new DataView(this.#short(p, 4).buffer).getUint32(0, false);
  }
  /** nla_get_flag. */
  flag(type: number): boolean {
    return this.has(type);
  }
  /** nla_get_bitfield32 (little-endian value, selector). */
  bitfield32(type: number): { value: number; selector: number } | undefined {
    const p = this.#pos[type] ?? -1;
    if (p < 0) return undefined;
    if (!this.#fits(p, 8)) {
      const d = new DataView(this.#short(p, 8).buffer);
      return { value: d.getUint32(0, LE), selector: d.getUint32(4, LE) };
    }
    return { value: this.dv.getUint32(p + 4, LE), selector: this.dv.getUint32(p + 8, LE) };
  }
  /** The payload bytes (a view, no copy), undefined if absent. */
  bytes(type: number): Uint8Array | undefined {
    const p = this.#pos[type] ?? -1;
    if (p < 0) return undefined;
    return this.buf.subarray(p + 4, p + this.dv.getUint16(p, LE));
  }
  /** The payload as a string up to the first NUL (nla_strscpy without the size cap), undefined if absent. */
  string(type: number): string | undefined {
    const b = this.bytes(type);
    if (b === undefined) return undefined;
    const nul = b.indexOf(0);
    return decodeUtf8(nul < 0 ? b : b.subarray(0, nul));
  }
  /** nla_strcmp(tb[type], s) === 0 without allocating a string: payload (minus one trailing NUL) equals the ASCII `s`. */
  stringEquals(type: number, s: string): boolean {
    const p = this.#pos[type] ?? -1;
    if (p < 0) return false;
    let len = this.dv.getUint16(p, LE) - NLA_HDRLEN;
    if (len > 0 && this.buf[p + 4 + len - 1] === 0) len--;
    if (len !== s.length) return false;
    for (let i = 0; i < len; i++) if (this.buf[p + 4 + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  /**
   * Parse the nest tb[type] with `policy`: `mode` 'deprecated' is
   * nla_parse_nested_deprecated (liberal), 'strict' is nla_parse_nested
   * (NLA_F_NESTED required, NL_VALIDATE_STRICT). Pass `ext = null` where the
   * kernel passes a NULL extack. Returns an empty table when absent.
   */
  nested(type: number, policy: NlaPolicy, mode: 'deprecated' | 'strict', ext: ExtAck | null): NlAttrs {
    const p = this.#pos[type] ?? -1;
    if (p < 0) return new NlAttrs(this.buf, this.dv, this.base, policy.maxtype);
    return parseNestedAt(this.buf, this.dv, p, this.base, policy, mode, ext);
  }

  /** The elements of the nested array tb[type], each parsed with `policy` (see parseNestedArrayAt); [] when absent. */
  nestedArray(type: number, policy: NlaPolicy, mode: 'deprecated' | 'strict', ext: ExtAck | null): [number, NlAttrs][] {
    const p = this.#pos[type] ?? -1;
    return p < 0 ? [] : parseNestedArrayAt(this.buf, this.dv, p, this.base, policy, mode, ext);
  }
}

/**
 * A nest whose members are themselves nests of one set (NLA_NESTED_ARRAY, or
 * tc's action lists): parse each element, in order, with `policy`. Returns
 * `[index, table]` pairs (index = the element's nla_type). Empty elements are
 * skipped like nla_validate_array does; a member shorter than a header is
 * refused with ERANGE "Array element too short".
 */
export function parseNestedArrayAt(buf: Uint8Array, dv: DataView, pos: number, base: number, policy: NlaPolicy, mode: 'deprecated' | 'strict', ext: ExtAck | null): [number, NlAttrs][] {
  const out: [number, NlAttrs][] = [];
  const end = pos + dv.getUint16(pos, LE);
  let p = pos + NLA_HDRLEN;
  while (end - p >= NLA_HDRLEN) {
    const len = dv.getUint16(p, LE);
    if (len < NLA_HDRLEN || len > end - p) break;
    const elen = len - NLA_HDRLEN;
    if (elen !== 0) {
      if (elen < NLA_HDRLEN) fail(ext, 'ERANGE', 'Array element too short', p, base, undefined, policy.name);
      out.push([dv.getUint16(p + 2, LE) & NLA_F.TYPE_MASK, nlaParse(buf, dv, p + NLA_HDRLEN, elen, policy, mode === 'strict' ? NL_VALIDATE.STRICT : NL_VALIDATE.LIBERAL, ext, base)]);
    }
    p += nlaAlign(len);
  }
  return out;
}

/** nla_parse_nested / nla_parse_nested_deprecated of the attribute whose header is at `pos`. */
export function parseNestedAt(buf: Uint8Array, dv: DataView, pos: number, base: number, policy: NlaPolicy, mode: 'deprecated' | 'strict', ext: ExtAck | null): NlAttrs {
  const raw = dv.getUint16(pos + 2, LE);
  if (mode === 'strict' && (raw & NLA_F.NESTED) === 0) {
    fail(ext, 'EINVAL', 'NLA_F_NESTED is missing', pos, base, undefined, policy.name);
  }
  const len = dv.getUint16(pos, LE) - NLA_HDRLEN;
  return nlaParse(buf, dv, pos + NLA_HDRLEN, len, policy, mode === 'strict' ? NL_VALIDATE.STRICT : NL_VALIDATE.LIBERAL, ext, base);
}

function fail(ext: ExtAck | null, errno: ErrnoName, msg: string, pos: number, base: number, pt: NlaPolicyEntry | undefined, where: string): never {
  if (ext === null) throw new KernelError(errno, '', { where });
  if (pos >= 0) ext.setAttr(msg, pos - base, pt);
  else ext.setMsg(msg);
  throw new KernelError(errno, msg, pos >= 0 ? { attrOffset: pos - base, where } : { where });
}

/**
 * __nla_parse / __nla_validate_parse: validate `len` bytes of attributes at
 * `start` against `policy` with `validate` flags (NL_VALIDATE) and fill the
 * table. `base` is the buffer position of the request's nlmsghdr (offsets in
 * errors are relative to it). Throws KernelError on refusal; with `ext`, the
 * kernel's message, offset and policy entry are recorded there too. Trailing
 * bytes in liberal mode only set the warning `bytes leftover after parsing
 * attributes` on `ext`.
 */
export function nlaParse(buf: Uint8Array, dv: DataView, start: number, len: number, policy: NlaPolicy, validate: number, ext: ExtAck | null, base = 0, depth = 0): NlAttrs {
  const tb = new NlAttrs(buf, dv, base, policy.maxtype);
  validateParse(buf, dv, start, len, policy, validate, ext, base, depth, tb);
  return tb;
}

/** nla_validate / nla_validate_deprecated: validate without keeping a table. */
export function nlaValidate(buf: Uint8Array, dv: DataView, start: number, len: number, policy: NlaPolicy, validate: number, ext: ExtAck | null, base = 0): void {
  validateParse(buf, dv, start, len, policy, validate, ext, base, 0, null);
}

function validateParse(buf: Uint8Array, dv: DataView, start: number, len: number, policy: NlaPolicy, validate: number, ext: ExtAck | null, base: number, depth: number, tb: NlAttrs | null): void {
  if (depth >= MAX_POLICY_RECURSION_DEPTH) fail(ext, 'EINVAL', 'allowed policy recursion depth exceeded', -1, base, undefined, policy.name);
  const maxtype = policy.maxtype;
  let pos = start;
  let rem = len;
  // nla_for_each_attr / nla_ok
  while (rem >= NLA_HDRLEN) {
    const nlaLen = dv.getUint16(pos, LE);
    if (nlaLen < NLA_HDRLEN || nlaLen > rem) break;
    const type = dv.getUint16(pos + 2, LE) & NLA_F.TYPE_MASK;
    if (type === 0 || type > maxtype) {
      if ((validate & NL_VALIDATE.MAXTYPE) !== 0) fail(ext, 'EINVAL', 'Unknown attribute type', pos, base, undefined, `${policy.name} type ${type}`);
    } else {
      validateNla(buf, dv, pos, nlaLen, type, policy, validate, ext, base, depth);
      if (tb !== null) tb.set(type, pos);
    }
    const step = nlaAlign(nlaLen);
    pos += step;
    rem -= step;
  }
  if (rem > 0) {
    // pr_warn_ratelimited("netlink: %d bytes leftover after parsing attributes ...")
    if (ext !== null) ext.setMsg('bytes leftover after parsing attributes');
    if ((validate & NL_VALIDATE.TRAILING) !== 0) {
      if (ext === null) throw new KernelError('EINVAL', '', { where: policy.name });
      throw new KernelError('EINVAL', 'bytes leftover after parsing attributes', { where: policy.name });
    }
  }
}

function validateNla(buf: Uint8Array, dv: DataView, pos: number, nlaLen: number, type: number, policy: NlaPolicy, validateIn: number, ext: ExtAck | null, base: number, depth: number): void {
  let validate = validateIn;
  if (policy.strictStartType !== 0 && type >= policy.strictStartType) validate |= NL_VALIDATE.STRICT;
  const pt = policy.entries[type]!;
  const ptype = pt.type;
  let attrlen = nlaLen - NLA_HDRLEN;
  const data = pos + NLA_HDRLEN;

  const exact = ATTR_LEN[ptype] ?? 0;
  if (exact !== 0 && attrlen !== exact) {
    // pr_warn_ratelimited("netlink: '%s': attribute type %d has an invalid length.")
    if ((validate & NL_VALIDATE.STRICT_ATTRS) !== 0) fail(ext, 'EINVAL', 'invalid attribute length', pos, base, pt, pt.name);
  }
  if ((validate & NL_VALIDATE.NESTED) !== 0) {
    const rawType = dv.getUint16(pos + 2, LE);
    const isNest = ptype === NLA.NESTED || ptype === NLA.NESTED_ARRAY;
    if (isNest && (rawType & NLA_F.NESTED) === 0) fail(ext, 'EINVAL', 'NLA_F_NESTED is missing', pos, base, pt, pt.name);
    if (!isNest && ptype !== NLA.UNSPEC && (rawType & NLA_F.NESTED) !== 0) fail(ext, 'EINVAL', 'NLA_F_NESTED not expected', pos, base, pt, pt.name);
  }

  let errno: ErrnoName = 'ERANGE';
  let ok = true;
  switch (ptype) {
    case NLA.REJECT:
      if (ext !== null && pt.rejectMessage !== '') {
        ext.setAttr(pt.rejectMessage, pos - base, undefined);
        throw new KernelError('EINVAL', pt.rejectMessage, { attrOffset: pos - base, where: pt.name });
      }
      errno = 'EINVAL';
      ok = false;
      break;
    case NLA.FLAG:
      if (attrlen > 0) ok = false;
      break;
    case NLA.SINT:
    case NLA.UINT:
      if (attrlen !== 4 && attrlen !== 8) fail(ext, 'EINVAL', 'invalid attribute length', pos, base, pt, pt.name);
      break;
    case NLA.BITFIELD32:
      if (attrlen !== 8) ok = false;
      else if (!bitfield32Ok(dv, data, pt.bitfield32Valid)) {
        errno = 'EINVAL';
        ok = false;
      }
      break;
    case NLA.NUL_STRING:
    case NLA.STRING: {
      if (ptype === NLA.NUL_STRING) {
        const minlen = pt.len !== 0 ? Math.min(attrlen, pt.len + 1) : attrlen;
        let hasNul = false;
        for (let i = 0; i < minlen; i++) {
          if (buf[data + i] === 0) {
            hasNul = true;
            break;
          }
        }
        if (minlen === 0 || !hasNul) {
          errno = 'EINVAL';
          ok = false;
          break;
        }
      }
      if (attrlen < 1) {
        ok = false;
        break;
      }
      if (pt.len !== 0) {
        if (buf[data + attrlen - 1] === 0) attrlen--;
        if (attrlen > pt.len) ok = false;
      }
      break;
    }
    case NLA.BINARY:
      if (pt.len !== 0 && attrlen > pt.len) ok = false;
      break;
    case NLA.NESTED:
    case NLA.NESTED_ARRAY:
      if (attrlen === 0) break;
      if (attrlen < NLA_HDRLEN) {
        ok = false;
        break;
      }
      if (pt.nested !== undefined) {
        // errors inside keep the inner message and attribute
        if (ptype === NLA.NESTED) validateParse(buf, dv, data, attrlen, pt.nested, validate, ext, base, depth + 1, null);
        else validateArray(buf, dv, data, attrlen, pt.nested, validate, ext, base, depth);
      }
      break;
    case NLA.UNSPEC:
      if ((validate & NL_VALIDATE.UNSPEC) !== 0) fail(ext, 'EINVAL', 'Unsupported attribute', pos, base, undefined, pt.name);
      if (attrlen < pt.len) ok = false;
      break;
    default: {
      const minlen = pt.len !== 0 ? pt.len : (ATTR_MINLEN[ptype] ?? 0);
      if (attrlen < minlen) ok = false;
    }
  }
  if (!ok) fail(ext, errno, MSG_POLICY, pos, base, pt, pt.name);

  if (pt.validation !== 'none') validateExtra(dv, pos, nlaLen, pt, validate, ext, base);
}

function bitfield32Ok(dv: DataView, data: number, valid: number): boolean {
  if (valid === 0) return false;
  const value = dv.getUint32(data, LE);
  const selector = dv.getUint32(data + 4, LE);
  const inv = ~valid >>> 0;
  if ((selector & inv) !== 0) return false;
  if ((value & inv) !== 0) return false;
  if ((value & ~selector) !== 0) return false;
  return true;
}

// nla_validate_array
function validateArray(buf: Uint8Array, dv: DataView, start: number, len: number, policy: NlaPolicy, validate: number, ext: ExtAck | null, base: number, depth: number): void {
  let pos = start;
  let rem = len;
  while (rem >= NLA_HDRLEN) {
    const nlaLen = dv.getUint16(pos, LE);
    if (nlaLen < NLA_HDRLEN || nlaLen > rem) break;
    const elen = nlaLen - NLA_HDRLEN;
    if (elen !== 0) {
      if (elen < NLA_HDRLEN) fail(ext, 'ERANGE', 'Array element too short', pos, base, undefined, policy.name);
      validateParse(buf, dv, pos + NLA_HDRLEN, elen, policy, validate, ext, base, depth + 1, null);
    }
    const step = nlaAlign(nlaLen);
    pos += step;
    rem -= step;
  }
}

const TYPE_MAX_UNSIGNED: Readonly<Record<number, number>> = Object.freeze({
  [NLA.U8]: 0xff, [NLA.U16]: 0xffff, [NLA.U32]: 0xffffffff, [NLA.BE16]: 0xffff, [NLA.BE32]: 0xffffffff, [NLA.BINARY]: 0xffff,
  [NLA.U64]: Number.POSITIVE_INFINITY, [NLA.UINT]: Number.POSITIVE_INFINITY, [NLA.MSECS]: Number.POSITIVE_INFINITY,
});

// nla_validate_int_range / nla_validate_mask. 64-bit values are compared as
// doubles: exact for bounds up to 2^53, which is every bound the kernel's tc
// policies declare.
function validateExtra(dv: DataView, pos: number, nlaLen: number, pt: NlaPolicyEntry, validate: number, ext: ExtAck | null, base: number): void {
  const data = pos + NLA_HDRLEN;
  const attrlen = nlaLen - NLA_HDRLEN;
  const t = pt.type;
  const u64 = (): number => dv.getUint32(data, LE) + dv.getUint32(data + 4, LE) * 0x1_0000_0000;
  let value: number;
  let signed = false;
  switch (t) {
    case NLA.U8: value = dv.getUint8(data); break;
    case NLA.U16: value = dv.getUint16(data, LE); break;
    case NLA.U32: value = dv.getUint32(data, LE); break;
    case NLA.U64: case NLA.MSECS: value = u64(); break;
    case NLA.UINT: value = attrlen === 4 ? dv.getUint32(data, LE) : u64(); break;
    case NLA.BINARY: value = attrlen; break;
    case NLA.BE16: value = dv.getUint16(data, false); break;
    case NLA.BE32: value = dv.getUint32(data, false); break;
    case NLA.S8: value = dv.getInt8(data); signed = true; break;
    case NLA.S16: value = dv.getInt16(data, LE); signed = true; break;
    case NLA.S32: value = dv.getInt32(data, LE); signed = true; break;
    case NLA.S64: value = dv.getInt32(data + 4, LE) * 0x1_0000_0000 + dv.getUint32(data, LE); signed = true; break;
    case NLA.SINT: value = attrlen === 4 ? dv.getInt32(data, LE) : dv.getInt32(data + 4, LE) * 0x1_0000_0000 + dv.getUint32(data, LE); signed = true; break;
    default:
      fail(ext, 'EINVAL', '', -1, base, undefined, pt.name);
  }
  if (pt.validation === 'mask') {
    if (signed) fail(ext, 'EINVAL', '', -1, base, undefined, pt.name);
    const hi = Math.floor(value / 0x1_0000_0000);
    const lo = value >>> 0;
    if ((lo & ~pt.mask) !== 0 || hi !== 0) {
      if (ext !== null) ext.setAttr('reserved bit set', pos - base, undefined);
      throw new KernelError('EINVAL', ext === null ? '' : 'reserved bit set', ext === null ? { where: pt.name } : { attrOffset: pos - base, where: pt.name });
    }
    return;
  }
  const min = pt.validation === 'max' ? (signed ? Number.NEGATIVE_INFINITY : 0) : pt.min;
  const max = pt.validation === 'min' ? (signed ? Number.POSITIVE_INFINITY : (TYPE_MAX_UNSIGNED[t] ?? Number.POSITIVE_INFINITY)) : pt.max;
  if (pt.validation === 'range-warn-too-long' && t === NLA.BINARY && value > max) {
    if ((validate & NL_VALIDATE.STRICT_ATTRS) !== 0) fail(ext, 'EINVAL', 'invalid attribute length', pos, base, pt, pt.name);
    return;
  }
  if (value < min || value > max) {
    fail(ext, 'ERANGE', t === NLA.BINARY ? 'binary attribute size out of range' : 'integer out of range', pos, base, pt, pt.name);
  }
}

/**
 * __nlmsg_parse: the message at `msgPos` (its nlmsghdr) has a family header of
 * `hdrlen` bytes; parse the attributes after NLMSG_ALIGN(hdrlen). `mode`:
 * 'deprecated' = nlmsg_parse_deprecated (liberal, what tc uses),
 * 'deprecated-strict' = nlmsg_parse_deprecated_strict, 'strict' = nlmsg_parse.
 * nlmsg_len is read little-endian from the header and must lie within `buf`.
 * `dv` (a DataView over exactly `buf`) may be passed to save its allocation.
 */
export function nlmsgParse(
  buf: Uint8Array,
  msgPos: number,
  hdrlen: number,
  policy: NlaPolicy,
  mode: 'deprecated' | 'deprecated-strict' | 'strict',
  ext: ExtAck | null,
  dv: DataView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
): NlAttrs {
  if (!(msgPos >= 0 && msgPos + 16 <= buf.length)) throw new KernelError('EINVAL', '', { where: `nlmsghdr at ${msgPos} needs 16 B, ${buf.length - msgPos} left` });
  const nlmsgLen = dv.getUint32(msgPos, LE);
  if (nlmsgLen < 16 + hdrlen) {
    if (ext !== null) ext.setMsg('Invalid header length');
    throw new KernelError('EINVAL', ext === null ? '' : 'Invalid header length', { where: policy.name });
  }
  // netlink_rcv_skb never hands a handler a message longer than the skb
  if (msgPos + nlmsgLen > buf.length) throw new KernelError('EINVAL', '', { where: `nlmsg_len ${nlmsgLen} at ${msgPos} runs past the ${buf.length}-byte buffer` });
  const start = msgPos + 16 + nlaAlign(hdrlen);
  const validate = mode === 'strict' ? NL_VALIDATE.STRICT : mode === 'deprecated-strict' ? NL_VALIDATE.DEPRECATED_STRICT : NL_VALIDATE.LIBERAL;
  return nlaParse(buf, dv, start, nlmsgLen - 16 - nlaAlign(hdrlen), policy, validate, ext, msgPos);
}
