// Models the BTF parsing libbpf needs for loading (tools/lib/bpf/btf.c:
// btf__new / btf_parse_hdr / btf_parse_type_sec, btf__resolve_size,
// btf__resolve_type; libbpf as shipped with Linux 6.18) over the format of
// include/uapi/linux/btf.h: header, type section and string section of
// `.BTF`, and the header of `.BTF.ext` (func/line info, CO-RE relocations).
// Only little-endian BTF is accepted (the host order of the modelled x86-64).
// Enough for BTF-defined maps (.maps), DATASEC layouts and named types; it is
// not a BTF verifier (the kernel's btf_check_all_metas is not modelled).
import { kerr } from '@tcbpf/base';
import { BTF_EXT_HEADER, BTF_HEADER, BTF_KIND, BTF_KIND_EXTRA as X } from '@tcbpf/uapi';
import { readCString } from './elf-file.js';

/** A struct/union member or a DATASEC variable. */
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Bit offset (struct/union members, low 24 bits when kind_flag is set). */
  readonly offset: number;
}

/** A DATASEC entry: variable type id, byte offset, byte size. */
export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/** One BTF type record. Id 0 is `void`. */
export interface BtfType {
  readonly id: number;
  readonly kind: number;
  readonly name: string;
  readonly vlen: number;
  readonly kindFlag: boolean;
  /** `size` for sized kinds, `type` for referencing kinds. */
  readonly sizeOrType: number;
  readonly members?: readonly BtfMember[];
  readonly array?: { readonly type: number; readonly indexType: number; readonly nelems: number };
  readonly secinfos?: readonly BtfVarSecinfo[];
  /** VAR linkage (BTF_LINKAGE.VAR_*). */
  readonly linkage?: number;
}

const MAX_RESOLVE_DEPTH = 32;
const AT = 'section ".BTF"';

const KIND_NAME: readonly string[] = Object.freeze([
  'UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST',
  'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
]);

/** The `BTF_KIND_*` name of a kind number. */
export function btfKindName(kind: number): string {
  return KIND_NAME[kind] ?? `kind ${kind}`;
}

/** Parsed `.BTF`: the types by id and lookups over them. */
export class Btf {
  readonly types: readonly BtfType[];

  constructor(bytes: Uint8Array) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < BTF_HEADER.SIZE) throw kerr('EINVAL', `${AT}: ${bytes.length} bytes is shorter than the BTF header`, { where: AT });
    const magic = dv.getUint16(0, true);
    if (magic !== BTF_HEADER.MAGIC) throw kerr('EINVAL', `${AT}: bad magic 0x${magic.toString(16)} (only little-endian BTF is supported)`, { where: AT });
    const version = dv.getUint8(2);
    if (version !== BTF_HEADER.VERSION) throw kerr('EINVAL', `${AT}: unsupported version ${version}`, { where: AT });
    const hdrLen = dv.getUint32(4, true);
    if (hdrLen < BTF_HEADER.SIZE || hdrLen > bytes.length) throw kerr('EINVAL', `${AT}: header length ${hdrLen} is invalid`, { where: AT });
    const typeOff = dv.getUint32(8, true);
    const typeLen = dv.getUint32(12, true);
    const strOff = dv.getUint32(16, true);
    const strLen = dv.getUint32(20, true);
    const dataLen = bytes.length - hdrLen;
    if (typeOff % 4 !== 0 || typeOff + typeLen > dataLen) throw kerr('EINVAL', `${AT}: type section ${typeOff}+${typeLen} is outside the data (${dataLen} bytes)`, { where: AT });
    if (strOff + strLen > dataLen || strLen === 0) throw kerr('EINVAL', `${AT}: string section ${strOff}+${strLen} is outside the data (${dataLen} bytes)`, { where: AT });
    const strStart = hdrLen + strOff;
    const strEnd = strStart + strLen;
    if (bytes[strStart] !== 0 || bytes[strEnd - 1] !== 0) throw kerr('EINVAL', `${AT}: string section does not start and end with NUL`, { where: AT });
    const name = (off: number, id: number): string =>
      off === 0 ? '' : readCString(bytes, strStart + off, strEnd, `${AT} type [${id}] name`);

    const types: BtfType[] = [Object.freeze({ id: 0, kind: BTF_KIND.UNKN, name: '', vlen: 0, kindFlag: false, sizeOrType: 0 })];
    let p = hdrLen + typeOff;
    const end = p + typeLen;
    while (p < end) {
      const id = types.length;
      if (id > BTF_HEADER.MAX_TYPE) throw kerr('EINVAL', `${AT}: more than ${BTF_HEADER.MAX_TYPE} types`, { where: AT });
      if (p + BTF_HEADER.TYPE_SIZE > end) throw kerr('EINVAL', `${AT}: type [${id}] is truncated`, { where: AT });
      const nameOff = dv.getUint32(p, true);
      const info = dv.getUint32(p + 4, true);
      const sizeOrType = dv.getUint32(p + 8, true);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const kindFlag = info >>> 31 === 1;
      p += BTF_HEADER.TYPE_SIZE;
      let extra: number;
      switch (kind) {
        case BTF_KIND.INT: extra = X.INT; break;
        case BTF_KIND.ARRAY: extra = X.ARRAY; break;
        case BTF_KIND.STRUCT: case BTF_KIND.UNION: extra = vlen * X.MEMBER; break;
        case BTF_KIND.ENUM: extra = vlen * X.ENUM; break;
        case BTF_KIND.ENUM64: extra = vlen * X.ENUM64; break;
        case BTF_KIND.FUNC_PROTO: extra = vlen * X.PARAM; break;
        case BTF_KIND.VAR: extra = X.VAR; break;
        case BTF_KIND.DATASEC: extra = vlen * X.VAR_SECINFO; break;
        case BTF_KIND.DECL_TAG: extra = X.DECL_TAG; break;
        case BTF_KIND.PTR: case BTF_KIND.FWD: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE:
        case BTF_KIND.CONST: case BTF_KIND.RESTRICT: case BTF_KIND.FUNC: case BTF_KIND.FLOAT:
        case BTF_KIND.TYPE_TAG:
          extra = 0; break;
        default:
          throw kerr('EINVAL', `${AT}: type [${id}] has unknown kind ${kind}`, { where: AT });
      }
      if (p + extra > end) throw kerr('EINVAL', `${AT}: type [${id}] ${btfKindName(kind)} is truncated`, { where: AT });
      const t: { -readonly [K in keyof BtfType]: BtfType[K] } = { id, kind, name: name(nameOff, id), vlen, kindFlag, sizeOrType };
      if (kind === BTF_KIND.STRUCT || kind === BTF_KIND.UNION) {
        const m: BtfMember[] = [];
        for (let i = 0; i < vlen; i++) {
          const o = p + i * X.MEMBER;
          m.push({ name: name(dv.getUint32(o, true), id), type: dv.getUint32(o + 4, true), offset: dv.getUint32(o + 8, true) });
        }
        t.members = m;
      } else if (kind === BTF_KIND.ARRAY) {
        t.array = { type: dv.getUint32(p, true), indexType: dv.getUint32(p + 4, true), nelems: dv.getUint32(p + 8, true) };
      } else if (kind === BTF_KIND.DATASEC) {
        const v: BtfVarSecinfo[] = [];
        for (let i = 0; i < vlen; i++) {
          const o = p + i * X.VAR_SECINFO;
          v.push({ type: dv.getUint32(o, true), offset: dv.getUint32(o + 4, true), size: dv.getUint32(o + 8, true) });
        }
        t.secinfos = v;
      } else if (kind === BTF_KIND.VAR) {
        t.linkage = dv.getUint32(p, true);
      }
      types.push(t);
      p += extra;
    }
    this.types = Object.freeze(types);
  }

  /** The type with this id; throws naming the id when it does not exist. */
  type(id: number, ctx = AT): BtfType {
    const t = this.types[id];
    if (!t) throw kerr('EINVAL', `${ctx}: type id ${id} does not exist (${this.types.length} types)`, { where: AT });
    return t;
  }

  /** Skips typedef/const/volatile/restrict/type_tag (btf__resolve_type without the size step). */
  skipModifiers(id: number, ctx = AT): BtfType {
    let t = this.type(id, ctx);
    for (let depth = 0; ; depth++) {
      if (depth > MAX_RESOLVE_DEPTH) throw kerr('EINVAL', `${ctx}: type [${id}] modifier chain is too deep or loops`, { where: AT });
      if (t.kind === BTF_KIND.TYPEDEF || t.kind === BTF_KIND.VOLATILE || t.kind === BTF_KIND.CONST || t.kind === BTF_KIND.RESTRICT || t.kind === BTF_KIND.TYPE_TAG)
        t = this.type(t.sizeOrType, ctx);
      else return t;
    }
  }

  /** Byte size of a type (btf__resolve_size): -EINVAL for void, functions and forward declarations. */
  sizeOf(id: number, ctx = AT): number {
    let t = this.type(id, ctx);
    let nelems = 1;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      switch (t.kind) {
        case BTF_KIND.INT: case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM:
        case BTF_KIND.ENUM64: case BTF_KIND.DATASEC: case BTF_KIND.FLOAT: {
          const size = nelems * t.sizeOrType;
          if (size > 0xffffffff) throw kerr('E2BIG', `${ctx}: type [${id}] is larger than 4 GiB`, { where: AT });
          return size;
        }
        case BTF_KIND.PTR:
          return nelems * 8;
        case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST: case BTF_KIND.RESTRICT:
        case BTF_KIND.VAR: case BTF_KIND.DECL_TAG: case BTF_KIND.TYPE_TAG:
          t = this.type(t.sizeOrType, ctx);
          break;
        case BTF_KIND.ARRAY: {
          const a = t.array!;
          nelems *= a.nelems;
          if (nelems > 0xffffffff) throw kerr('E2BIG', `${ctx}: type [${id}] is larger than 4 GiB`, { where: AT });
          t = this.type(a.type, ctx);
          break;
        }
        default:
          throw kerr('EINVAL', `${ctx}: type [${id}] (${btfKindName(t.kind)}) has no size`, { where: AT });
      }
    }
    throw kerr('EINVAL', `${ctx}: type [${id}] chain is too deep or loops`, { where: AT });
  }

  /** The DATASEC type called `name` (e.g. ".maps", ".data"), if present. */
  datasec(name: string): BtfType | undefined {
    return this.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === name);
  }

  /** First type of `kind` called `name`. */
  find(name: string, kind: number): BtfType | undefined {
    return this.types.find((t) => t.kind === kind && t.name === name);
  }
}

/** What `.BTF.ext` holds: section lengths, and CO-RE relocation counts per program section. */
export interface BtfExtSummary {
  readonly funcInfoLen: number;
  readonly lineInfoLen: number;
  readonly coreReloLen: number;
  /** Program section name -> number of CO-RE relocation records in it. */
  readonly coreRelosBySection: ReadonlyMap<string, number>;
}

/** Parses the header of `.BTF.ext` and counts CO-RE relocation records per section (names resolved in `btf`'s strings). */
export function parseBtfExt(bytes: Uint8Array, btfBytes: Uint8Array | undefined): BtfExtSummary {
  const at = 'section ".BTF.ext"';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < BTF_EXT_HEADER.MIN_SIZE) throw kerr('EINVAL', `${at}: ${bytes.length} bytes is shorter than the BTF.ext header`, { where: at });
  if (dv.getUint16(0, true) !== BTF_EXT_HEADER.MAGIC) throw kerr('EINVAL', `${at}: bad magic`, { where: at });
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < BTF_EXT_HEADER.MIN_SIZE || hdrLen > bytes.length) throw kerr('EINVAL', `${at}: header length ${hdrLen} is invalid`, { where: at });
  const sub = (offField: number, lenField: number, what: string): { off: number; len: number } => {
    const off = dv.getUint32(offField, true);
    const len = dv.getUint32(lenField, true);
    if (hdrLen + off + len > bytes.length) throw kerr('EINVAL', `${at}: ${what} ${off}+${len} is outside the section`, { where: at });
    return { off: hdrLen + off, len };
  };
  const fi = sub(BTF_EXT_HEADER.FUNC_INFO_OFF, BTF_EXT_HEADER.FUNC_INFO_LEN, 'func_info');
  const li = sub(BTF_EXT_HEADER.LINE_INFO_OFF, BTF_EXT_HEADER.LINE_INFO_LEN, 'line_info');
  const bySec = new Map<string, number>();
  let coreLen = 0;
  if (hdrLen >= BTF_EXT_HEADER.CORE_RELO_LEN + 4) {
    const cr = sub(BTF_EXT_HEADER.CORE_RELO_OFF, BTF_EXT_HEADER.CORE_RELO_LEN, 'core_relo');
    coreLen = cr.len;
    if (cr.len > 0) {
      // record size, then blocks of { sec_name_off u32, num_info u32, records }
      if (cr.len < 4) throw kerr('EINVAL', `${at}: core_relo is shorter than its record size`, { where: at });
      const recSize = dv.getUint32(cr.off, true);
      if (recSize < 16) throw kerr('EINVAL', `${at}: core_relo record size ${recSize} is too small`, { where: at });
      let p = cr.off + 4;
      const end = cr.off + cr.len;
      const strings = btfStrings(btfBytes);
      while (p < end) {
        if (p + 8 > end) throw kerr('EINVAL', `${at}: core_relo block header is truncated`, { where: at });
        const nameOff = dv.getUint32(p, true);
        const n = dv.getUint32(p + 4, true);
        p += 8;
        if (n === 0 || p + n * recSize > end) throw kerr('EINVAL', `${at}: core_relo block of ${n} records does not fit`, { where: at });
        const name = strings ? readCString(strings.bytes, strings.start + nameOff, strings.end, `${at} section name`) : `#${nameOff}`;
        bySec.set(name, (bySec.get(name) ?? 0) + n);
        p += n * recSize;
      }
    }
  }
  return Object.freeze({ funcInfoLen: fi.len, lineInfoLen: li.len, coreReloLen: coreLen, coreRelosBySection: bySec });
}

function btfStrings(btf: Uint8Array | undefined): { bytes: Uint8Array; start: number; end: number } | undefined {
  if (!btf || btf.length < BTF_HEADER.SIZE) return undefined;
  const dv = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  const hdrLen = dv.getUint32(4, true);
  const start = hdrLen + dv.getUint32(16, true);
  const end = start + dv.getUint32(20, true);
  if (end > btf.length || start >= end) return undefined;
  return { bytes: btf, start, end };
}
