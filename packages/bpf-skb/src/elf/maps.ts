// Models the map-definition parsing of tools/lib/bpf/libbpf.c (libbpf as
// shipped with Linux 6.18): BTF-defined maps in `.maps`
// (bpf_object__init_user_btf_maps, parse_btf_map_def), the initial slots of
// prog_array / map-in-map maps from `.rel.maps` (bpf_object__collect_map_relos),
// and `.data`/`.rodata`/`.bss` as single-entry array maps
// (bpf_object__init_global_data_maps, internal_map_name); plus iproute2's legacy
// `maps` section of `struct bpf_elf_map` (lib/bpf_legacy.c: bpf_fetch_maps_begin,
// bpf_fetch_maps_end). Map contents are host order.
import { kerr } from '@tcbpf/base';
import {
  BPF_ELF_MAP_LAYOUT as EM, BPF_ELF_SECTION, BPF_MAP_CREATE_FLAG, BPF_MAP_TYPE, BTF_KIND, BTF_LINKAGE,
  ELF_SHT, ELF_STB, ELF_STT, LIBBPF_PIN,
} from '@tcbpf/uapi';
import { btfKindName, type Btf, type BtfType } from './btf.js';
import type { ElfFile, ElfSection } from './elf-file.js';

/** Where a map definition came from. */
export type BpfMapSource = 'btf' | 'legacy' | 'data';

/** An initial slot of a prog_array (program name) or map-in-map (map name). */
export interface BpfMapInitSlot {
  readonly index: number;
  readonly program?: string;
  readonly map?: string;
}

/** A map as the object describes it, ready to be created by an engine. */
export interface BpfMapSpec {
  /** Name in the object: the symbol name, or the section name for global data (".rodata"). */
  readonly name: string;
  /** Name as the kernel sees it (libbpf internal_map_name for global data, else the first 15 bytes). */
  readonly kernelName: string;
  readonly source: BpfMapSource;
  /** ELF section index and byte offset of the definition (relocations find maps by these). */
  readonly sectionIndex: number;
  readonly sectionOffset: number;
  /** Size of the definition in its section (relocations into it are slot initialisers). */
  readonly sectionSize: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly numaNode: number;
  readonly mapExtra: number;
  /** LIBBPF_PIN for BTF maps, BPF_ELF_PIN (or a custom id) for legacy maps. */
  readonly pinning: number;
  /** BTF type ids of key and value (0 when absent). */
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  /** Legacy `struct bpf_elf_map` id / inner_id / inner_idx (0 for other sources). */
  readonly legacyId: number;
  readonly innerId: number;
  readonly innerIdx: number;
  /** Initial contents of element 0 for global-data maps (a copy). */
  readonly initialValue: Uint8Array | undefined;
  /** .rodata: frozen after load, read-only for programs. */
  readonly readonly: boolean;
  /** Initial slots (prog_array programs, map-in-map inner maps). */
  readonly initSlots: readonly BpfMapInitSlot[];
  /** The inner-map template of a BTF-defined map-in-map. */
  readonly innerMap: BpfMapSpec | undefined;
}

const BPF_OBJ_NAME_MAX = 15;

function mapAt(name: string): string {
  return `map "${name}"`;
}

function isMapInMap(type: number): boolean {
  return type === BPF_MAP_TYPE.ARRAY_OF_MAPS || type === BPF_MAP_TYPE.HASH_OF_MAPS;
}

type MutableMapSpec = { -readonly [K in keyof BpfMapSpec]: BpfMapSpec[K] };

function blankSpec(name: string, source: BpfMapSource, sectionIndex: number, sectionOffset: number, sectionSize: number): MutableMapSpec {
  return {
    name, kernelName: name.slice(0, BPF_OBJ_NAME_MAX), source, sectionIndex, sectionOffset, sectionSize,
    type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, numaNode: 0, mapExtra: 0, pinning: 0,
    btfKeyTypeId: 0, btfValueTypeId: 0, legacyId: 0, innerId: 0, innerIdx: 0,
    initialValue: undefined, readonly: false, initSlots: [], innerMap: undefined,
  };
}

/** `int (*name)[N]` -> N (libbpf get_map_field_int). */
function fieldInt(btf: Btf, map: string, m: { name: string; type: number }): number {
  const ctx = `${mapAt(map)} attr "${m.name}"`;
  const t = btf.skipModifiers(m.type, ctx);
  if (t.kind !== BTF_KIND.PTR) throw kerr('EINVAL', `${ctx}: expected PTR, got ${btfKindName(t.kind)}`, { where: mapAt(map) });
  const arr = btf.skipModifiers(t.sizeOrType, ctx);
  if (arr.kind !== BTF_KIND.ARRAY) throw kerr('EINVAL', `${ctx}: type [${t.sizeOrType}] is not an array`, { where: mapAt(map) });
  return arr.array!.nelems;
}

/** The member list of a map definition struct, shared by outer and inner maps. */
function parseBtfMapDef(btf: Btf, name: string, def: BtfType, spec: MutableMapSpec, isInner: boolean): { valuesOffset: number } {
  let valuesOffset = -1;
  for (const m of def.members ?? []) {
    const ctx = `${mapAt(name)} attr "${m.name}"`;
    switch (m.name) {
      case 'type': spec.type = fieldInt(btf, name, m); break;
      case 'max_entries': spec.maxEntries = fieldInt(btf, name, m); break;
      case 'map_flags': spec.flags = fieldInt(btf, name, m); break;
      case 'numa_node': spec.numaNode = fieldInt(btf, name, m); break;
      case 'map_extra': spec.mapExtra = fieldInt(btf, name, m); break;
      case 'key_size': case 'value_size': {
        const sz = fieldInt(btf, name, m);
        const prev = m.name === 'key_size' ? spec.keySize : spec.valueSize;
        if (prev !== 0 && prev !== sz) throw kerr('EINVAL', `${mapAt(name)}: conflicting ${m.name === 'key_size' ? 'key' : 'value'} size ${prev} != ${sz}`, { where: mapAt(name) });
        if (m.name === 'key_size') spec.keySize = sz;
        else spec.valueSize = sz;
        break;
      }
      case 'key': case 'value': {
        const t = btf.skipModifiers(m.type, ctx);
        if (t.kind !== BTF_KIND.PTR) throw kerr('EINVAL', `${ctx}: ${m.name} spec is not PTR: ${btfKindName(t.kind)}`, { where: mapAt(name) });
        const sz = btf.sizeOf(t.sizeOrType, ctx);
        const prev = m.name === 'key' ? spec.keySize : spec.valueSize;
        if (prev !== 0 && prev !== sz) throw kerr('EINVAL', `${mapAt(name)}: conflicting ${m.name} size ${prev} != ${sz}`, { where: mapAt(name) });
        if (m.name === 'key') { spec.keySize = sz; spec.btfKeyTypeId = t.sizeOrType; }
        else { spec.valueSize = sz; spec.btfValueTypeId = t.sizeOrType; }
        break;
      }
      case 'values': {
        if (isInner) throw kerr('EINVAL', `${mapAt(name)}: multi-level inner maps not supported`, { where: mapAt(name) });
        const inMap = isMapInMap(spec.type);
        const isProgArray = spec.type === BPF_MAP_TYPE.PROG_ARRAY;
        if (!inMap && !isProgArray) throw kerr('EINVAL', `${mapAt(name)}: should be map-in-map or prog-array`, { where: mapAt(name) });
        if (spec.valueSize !== 0 && spec.valueSize !== 4) throw kerr('EINVAL', `${mapAt(name)}: conflicting value size ${spec.valueSize} != 4`, { where: mapAt(name) });
        spec.valueSize = 4;
        const arr = btf.skipModifiers(m.type, ctx);
        if (arr.kind !== BTF_KIND.ARRAY || arr.array!.nelems !== 0)
          throw kerr('EINVAL', `${mapAt(name)}: ${inMap ? 'map-in-map inner' : 'prog-array value'} type [${m.type}] is not a zero-sized array`, { where: mapAt(name) });
        const ptr = btf.skipModifiers(arr.array!.type, ctx);
        if (ptr.kind !== BTF_KIND.PTR) throw kerr('EINVAL', `${mapAt(name)}: ${inMap ? 'map-in-map inner' : 'prog-array value'} def is of unexpected kind ${btfKindName(ptr.kind)}`, { where: mapAt(name) });
        const target = btf.skipModifiers(ptr.sizeOrType, ctx);
        if (isProgArray) {
          if (target.kind !== BTF_KIND.FUNC_PROTO) throw kerr('EINVAL', `${mapAt(name)}: prog-array value def is of unexpected kind ${btfKindName(target.kind)}`, { where: mapAt(name) });
        } else {
          if (target.kind !== BTF_KIND.STRUCT) throw kerr('EINVAL', `${mapAt(name)}: map-in-map inner def is of unexpected kind ${btfKindName(target.kind)}`, { where: mapAt(name) });
          const inner = blankSpec(`${name}.inner`, 'btf', spec.sectionIndex, 0, 0);
          parseBtfMapDef(btf, inner.name, target, inner, true);
          spec.innerMap = Object.freeze(inner);
        }
        if (m.offset % 8 !== 0 || (def.kindFlag && m.offset >>> 24 !== 0)) throw kerr('EINVAL', `${mapAt(name)}: "values" member is not byte-aligned`, { where: mapAt(name) });
        valuesOffset = (def.kindFlag ? m.offset & 0xffffff : m.offset) / 8;
        break;
      }
      case 'pinning': {
        if (isInner) throw kerr('EINVAL', `${mapAt(name)}: inner def can't be pinned`, { where: mapAt(name) });
        const v = fieldInt(btf, name, m);
        if (v !== LIBBPF_PIN.NONE && v !== LIBBPF_PIN.BY_NAME) throw kerr('EINVAL', `${mapAt(name)}: invalid pinning value ${v}`, { where: mapAt(name) });
        spec.pinning = v;
        break;
      }
      default:
        throw kerr('EOPNOTSUPP', `${mapAt(name)}: unknown field "${m.name}"`, { where: mapAt(name) });
    }
  }
  if (spec.type === 0) throw kerr('EINVAL', `${mapAt(name)}: map type is missing`, { where: mapAt(name) });
  return { valuesOffset };
}

/** Internal data (and values offsets, for slot relocations) of parsed BTF maps. */
export interface ParsedMaps {
  readonly maps: MutableMapSpec[];
  /** name -> byte offset of the "values" member inside the definition (-1 if none). */
  readonly valuesOffset: Map<string, number>;
}

/** BTF-defined maps of the `.maps` section. */
export function parseBtfMaps(elf: ElfFile, sec: ElfSection, btf: Btf | undefined): ParsedMaps {
  const at = 'section ".maps"';
  if (!btf) throw kerr('EINVAL', `${at}: BTF-defined maps need .BTF, which is missing`, { where: at });
  const ds = btf.datasec('.maps');
  const out: ParsedMaps = { maps: [], valuesOffset: new Map() };
  if (!ds) throw kerr('EINVAL', `${at}: DATASEC '.maps' not found in BTF`, { where: at });
  for (const vi of ds.secinfos ?? []) {
    const v = btf.type(vi.type, at);
    if (v.kind !== BTF_KIND.VAR) throw kerr('EINVAL', `${at}: unexpected var kind ${btfKindName(v.kind)} for type [${vi.type}]`, { where: at });
    const name = v.name;
    if (v.linkage !== BTF_LINKAGE.VAR_GLOBAL_ALLOCATED && v.linkage !== BTF_LINKAGE.VAR_STATIC)
      throw kerr('EOPNOTSUPP', `${mapAt(name)}: unsupported map linkage ${v.linkage}`, { where: mapAt(name) });
    // clang leaves DATASEC offsets at 0: libbpf's btf_fixup_datasec takes them from the symbol table
    const sym = elf.symbols.find((y) => y.shndx === sec.index && y.type === ELF_STT.OBJECT && y.name === name);
    if (!sym) throw kerr('ENOENT', `${at}: failed to find symbol for variable "${name}"`, { where: at });
    const offset = sym.value;
    const size = Math.max(vi.size, sym.size);
    if (offset + size > sec.size) throw kerr('EINVAL', `${mapAt(name)}: BTF data is corrupted (offset ${offset}+${size} past section size ${sec.size})`, { where: mapAt(name) });
    const def = btf.skipModifiers(v.sizeOrType, mapAt(name));
    if (def.kind !== BTF_KIND.STRUCT) throw kerr('EINVAL', `${mapAt(name)}: unexpected def kind ${btfKindName(def.kind)}`, { where: mapAt(name) });
    if (def.sizeOrType > size) throw kerr('EINVAL', `${mapAt(name)}: invalid def size ${def.sizeOrType} > ${size}`, { where: mapAt(name) });
    if (out.maps.some((m) => m.name === name)) throw kerr('EEXIST', `${mapAt(name)}: defined twice`, { where: mapAt(name) });
    const spec = blankSpec(name, 'btf', sec.index, offset, size);
    const { valuesOffset } = parseBtfMapDef(btf, name, def, spec, false);
    out.maps.push(spec);
    out.valuesOffset.set(name, valuesOffset);
  }
  return out;
}

/** iproute2's legacy `maps` section: an array of `struct bpf_elf_map`, one global symbol each. */
export function parseLegacyMaps(elf: ElfFile, sec: ElfSection): MutableMapSpec[] {
  const at = `section "${BPF_ELF_SECTION.MAPS}"`;
  const syms = elf.symbols
    .filter((s) => s.shndx === sec.index && s.bind === ELF_STB.GLOBAL && (s.type === ELF_STT.OBJECT || s.type === ELF_STT.NOTYPE))
    .slice()
    .sort((a, b) => a.value - b.value);
  if (syms.length === 0) throw kerr('EINVAL', `${at}: no map symbols found`, { where: at });
  if (syms.length > BPF_ELF_SECTION.MAX_MAPS) throw kerr('E2BIG', `${at}: too many BPF maps in ELF section (${syms.length} > ${BPF_ELF_SECTION.MAX_MAPS})`, { where: at });
  if (sec.size % syms.length !== 0) throw kerr('EINVAL', `${at}: size ${sec.size} is not a multiple of ${syms.length} map definitions`, { where: at });
  const mapLen = sec.size / syms.length;
  // iproute2 accepts older (shorter) specs and newer (longer) ones whose extra bytes are zero
  if (mapLen < EM.FLAGS || mapLen % 4 !== 0) throw kerr('EINVAL', `${at}: different struct bpf_elf_map in use (${mapLen} bytes per map)`, { where: at });
  const data = elf.data(sec);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: MutableMapSpec[] = [];
  for (const s of syms) {
    const name = s.name;
    if (s.value % mapLen !== 0 || s.value + mapLen > sec.size)
      throw kerr('EINVAL', `${at}: symbol "${name}" at offset ${s.value} is not at a struct bpf_elf_map boundary (${mapLen} bytes)`, { where: at });
    if (out.some((m) => m.name === name)) throw kerr('EEXIST', `${mapAt(name)}: defined twice`, { where: at });
    const field = (off: number): number => (off + 4 <= mapLen ? dv.getUint32(s.value + off, true) : 0);
    for (let o = EM.SIZE; o < mapLen; o++)
      if (data[s.value + o] !== 0) throw kerr('EINVAL', `${mapAt(name)}: newer struct bpf_elf_map with non-zero unknown fields at byte ${o}`, { where: at });
    const spec = blankSpec(name, 'legacy', sec.index, s.value, mapLen);
    spec.type = field(EM.TYPE);
    spec.keySize = field(EM.SIZE_KEY);
    spec.valueSize = field(EM.SIZE_VALUE);
    spec.maxEntries = field(EM.MAX_ELEM);
    spec.flags = field(EM.FLAGS);
    spec.legacyId = field(EM.ID);
    spec.pinning = field(EM.PINNING);
    spec.innerId = field(EM.INNER_ID);
    spec.innerIdx = field(EM.INNER_IDX);
    out.push(spec);
  }
  return out;
}

/** Kind of a global-data section, by libbpf's names. */
export function dataSectionKind(s: ElfSection): 'data' | 'rodata' | 'bss' | undefined {
  const n = s.name;
  if (s.type === ELF_SHT.NOBITS && (n === '.bss' || n.startsWith('.bss.'))) return 'bss';
  if (s.type !== ELF_SHT.PROGBITS) return undefined;
  if (n === '.data' || n.startsWith('.data.')) return 'data';
  if (n === '.rodata' || n.startsWith('.rodata.')) return 'rodata';
  return undefined;
}

/** libbpf internal_map_name: object-name prefix + section name, at most 15 bytes, sanitised. */
export function internalMapName(objName: string, secName: string): string {
  const custom = secName.indexOf('.', 1) !== -1;
  // the suffix always reserves at least 7 bytes (strlen(".rodata")), so the prefix is at most 8
  const sfxLen = Math.max(7, secName.length);
  const pfxLen = custom ? 0 : Math.max(0, Math.min(BPF_OBJ_NAME_MAX - sfxLen, objName.length));
  const raw = (objName.slice(0, pfxLen) + secName).slice(0, BPF_OBJ_NAME_MAX);
  return raw.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** A `.data`/`.rodata`/`.bss` section as a single-entry array map. */
export function globalDataMap(elf: ElfFile, sec: ElfSection, objName: string, btf: Btf | undefined): MutableMapSpec {
  const kind = dataSectionKind(sec)!;
  const spec = blankSpec(sec.name, 'data', sec.index, 0, sec.size);
  spec.kernelName = internalMapName(objName, sec.name);
  spec.type = BPF_MAP_TYPE.ARRAY;
  spec.keySize = 4;
  spec.valueSize = sec.size;
  spec.maxEntries = 1;
  spec.readonly = kind === 'rodata';
  spec.flags = kind === 'rodata' ? BPF_MAP_CREATE_FLAG.RDONLY_PROG : 0;
  // libbpf 1.1 (the loader of tc and bpftool on the reference machine) makes every
  // global-data map mmapable; later libbpf releases skip maps without non-static variables
  spec.flags |= BPF_MAP_CREATE_FLAG.MMAPABLE;
  const ds = btf?.datasec(sec.name);
  if (ds) spec.btfValueTypeId = ds.id;
  spec.initialValue = kind === 'bss' ? new Uint8Array(sec.size) : elf.data(sec).slice();
  return spec;
}
