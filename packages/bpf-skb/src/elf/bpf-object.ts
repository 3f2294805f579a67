// Models the object-opening and relocation steps of tools/lib/bpf/libbpf.c
// (libbpf as shipped with Linux 6.18): bpf_object__elf_collect (license,
// version, program sections, data sections, .maps, .BTF/.BTF.ext),
// bpf_object__add_programs (one program per STT_FUNC symbol; `.text` functions
// are subprograms), bpf_program__record_reloc (LD_IMM64 against maps and
// global data, calls and callback addresses into `.text`), and
// bpf_object__relocate_calls / bpf_object__reloc_code (subprograms appended
// depth-first after the main program, call offsets rewritten). iproute2's legacy
// `maps` section and "ID/KEY" tail-call sections (lib/bpf_legacy.c) are read too.
// The result is a plain description: no map or program is created here.
import { kerr } from '@tcbpf/base';
import { BPF_CLASS, BPF_ELF_SECTION, BPF_JMP_OP, BPF_MAP_TYPE, BPF_MODE, BPF_PSEUDO, BPF_SIZE, ELF_SHF, ELF_SHN, ELF_SHT, ELF_STB, ELF_STT } from '@tcbpf/uapi';
import { Btf, parseBtfExt, type BtfExtSummary } from './btf.js';
import { ElfFile, type ElfSection, type ElfSymbol } from './elf-file.js';
import { dataSectionKind, globalDataMap, parseBtfMaps, parseLegacyMaps, type BpfMapInitSlot, type BpfMapSpec } from './maps.js';
import { secInfo } from './sec-def.js';

const INSN_SIZE = 8;
/** include/linux/slab.h KMALLOC_MAX_SIZE on x86-64 (4 MiB): array_map_alloc_check's value_size limit. */
const KMALLOC_MAX_SIZE = 4 << 20;
const LD_IMM64 = BPF_CLASS.LD | BPF_MODE.IMM | BPF_SIZE.DW;
const CALL = BPF_CLASS.JMP | BPF_JMP_OP.CALL;

/** An LD_IMM64 that must be pointed at a map (MAP_FD) or into element 0's value (MAP_VALUE). */
export interface BpfMapReloc {
  /** Index of the LD_IMM64's first slot in the program's `insns`. */
  readonly insn: number;
  /** BPF_PSEUDO.MAP_FD or BPF_PSEUDO.MAP_VALUE (already written to the src_reg field). */
  readonly pseudo: number;
  /** The map's name in the object (`BpfMapSpec.name`). */
  readonly map: string;
  /** Byte offset into the value (MAP_VALUE; also written to the second slot's imm). */
  readonly offset: number;
}

/** A `.text` function appended to a program. */
export interface BpfSubprogram {
  readonly name: string;
  /** First instruction of the subprogram in the program's `insns`. */
  readonly start: number;
  readonly insnCount: number;
  /** STB_GLOBAL (BTF_FUNC_GLOBAL linkage); false for `static` functions. */
  readonly global: boolean;
}

/** One entry program with its subprograms linked in. */
export interface BpfProgramSpec {
  /** Function (symbol) name; the section name for old objects without function symbols. */
  readonly name: string;
  readonly section: string;
  /** The libbpf section-table row matched, `undefined` for names libbpf does not know. */
  readonly secDef: string | undefined;
  /** BPF_PROG_TYPE hint from the section name (`undefined` when unknown). */
  readonly progType: number | undefined;
  readonly expectedAttachType: number;
  /** Relocated instructions, `struct bpf_insn` bytes in host order (little-endian). */
  readonly insns: Uint8Array;
  readonly insnCount: number;
  /** Instructions of the program itself, before appended subprograms. */
  readonly mainInsnCount: number;
  readonly subprograms: readonly BpfSubprogram[];
  readonly mapRelocs: readonly BpfMapReloc[];
  /** Legacy iproute2 tail-call section "ID/KEY". */
  readonly tailCall: { readonly mapId: number; readonly key: number } | undefined;
  /** CO-RE relocation records (.BTF.ext) for this program's sections; tcbpf does not apply them. */
  readonly coreRelocs: number;
  /** STB_GLOBAL (false for `static` programs). */
  readonly global: boolean;
}

/** Everything an object file describes. */
export interface BpfObject {
  /** libbpf's object name: file basename up to the first '.'. */
  readonly name: string;
  /** The `license` section ("" when absent). */
  readonly license: string;
  /** The `version` section (0 when absent). */
  readonly kernVersion: number;
  readonly hasBtf: boolean;
  readonly btfExt: BtfExtSummary | undefined;
  readonly programs: readonly BpfProgramSpec[];
  readonly maps: readonly BpfMapSpec[];
  /** Parsed `.BTF`, for engines that want type information. */
  readonly btf: Btf | undefined;
}

/** Options of {@link loadElfObject}. */
export interface LoadElfOptions {
  /** File name, for the object name and internal map names (default "obj.o"). */
  readonly fileName?: string;
}

interface RawProg {
  readonly name: string;
  readonly sec: ElfSection;
  /** instruction offset inside the section */
  readonly secInsnOff: number;
  readonly insnCnt: number;
  readonly global: boolean;
  /** this program's own instructions, data/map relocations applied */
  insns: Uint8Array;
  mapRelocs: BpfMapReloc[];
  /** relocations of calls/callbacks, by instruction index inside the program */
  readonly codeRelocs: Map<number, { kind: 'call' | 'addr'; symOff: number; sym: string }>;
}

function secAt(s: ElfSection): string {
  return `section "${s.name}"`;
}

function insnCode(b: Uint8Array, i: number): number {
  return b[i * INSN_SIZE]!;
}
function insnSrc(b: Uint8Array, i: number): number {
  return b[i * INSN_SIZE + 1]! >>> 4;
}
function setSrc(b: Uint8Array, i: number, src: number): void {
  const o = i * INSN_SIZE + 1;
  b[o] = (b[o]! & 0x0f) | (src << 4);
}
function getImm(dv: DataView, i: number): number {
  return dv.getInt32(i * INSN_SIZE + 4, true);
}
function setImm(dv: DataView, i: number, v: number): void {
  dv.setInt32(i * INSN_SIZE + 4, v, true);
}

/** Object name as libbpf derives it: basename, cut at the first '.'. */
export function objectNameOf(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot === -1 ? base : base.slice(0, dot);
}

/**
 * Parses a clang-built BPF object (ELF64 LE, EM_BPF) into programs and maps.
 * Throws KernelError (EINVAL unless stated) naming the section, symbol or
 * relocation at fault; never anything else.
 */
export function loadElfObject(bytes: Uint8Array, options: LoadElfOptions = {}): BpfObject {
  try {
    return load(bytes, options);
  } catch (e) {
    if (e instanceof RangeError) throw kerr('EINVAL', `ELF object: read outside the file (${e.message})`, { cause: e });
    throw e;
  }
}

function load(bytes: Uint8Array, options: LoadElfOptions): BpfObject {
  const elf = new ElfFile(bytes);
  const objName = objectNameOf(options.fileName ?? 'obj.o');

  let license = '';
  let kernVersion = 0;
  let btf: Btf | undefined;
  let btfBytes: Uint8Array | undefined;
  let btfExtSec: ElfSection | undefined;
  let mapsSec: ElfSection | undefined;
  let legacyMapsSec: ElfSection | undefined;
  let textSec: ElfSection | undefined;
  const progSecs: ElfSection[] = [];
  const dataSecs: ElfSection[] = [];

  for (const s of elf.sections) {
    if (s.index === 0) continue;
    const at = secAt(s);
    if (s.name === BPF_ELF_SECTION.LICENSE) {
      const d = elf.data(s);
      let end = d.indexOf(0);
      if (end === -1) end = d.length;
      // libbpf copies at most sizeof(obj->license) - 1 = 63 bytes
      license = String.fromCharCode(...d.subarray(0, Math.min(end, 63)));
    } else if (s.name === BPF_ELF_SECTION.VERSION) {
      if (s.size !== 4) throw kerr('EINVAL', `${at}: invalid kver section size ${s.size}`, { where: at });
      kernVersion = new DataView(bytes.buffer, bytes.byteOffset + s.offset, 4).getUint32(0, true);
    } else if (s.name === BPF_ELF_SECTION.MAPS && s.type === ELF_SHT.PROGBITS) {
      legacyMapsSec = s;
    } else if (s.name === '.maps') {
      mapsSec = s;
    } else if (s.name === '.BTF') {
      btfBytes = elf.data(s);
    } else if (s.name === '.BTF.ext') {
      btfExtSec = s;
    } else if (s.type === ELF_SHT.PROGBITS && (s.flags & ELF_SHF.EXECINSTR) !== 0) {
      if (s.size === 0) continue;
      if (s.size % INSN_SIZE !== 0) throw kerr('EINVAL', `${at}: size ${s.size} is not a multiple of the instruction size`, { where: at });
      if (s.name === '.text') textSec = s;
      else progSecs.push(s);
    } else if (dataSectionKind(s) !== undefined && s.size > 0) {
      // the section becomes an array map's value: the kernel refuses values above KMALLOC_MAX_SIZE
      if (s.size > KMALLOC_MAX_SIZE) throw kerr('E2BIG', `${at}: size ${s.size} exceeds the largest array-map value (${KMALLOC_MAX_SIZE} bytes)`, { where: at });
      dataSecs.push(s);
    }
  }
  if (btfBytes) btf = new Btf(btfBytes);
  const btfExt = btfExtSec ? parseBtfExt(elf.data(btfExtSec), btfBytes) : undefined;

  // ---- maps: .maps (BTF), legacy "maps", global data
  const maps: (BpfMapSpec & { initSlots: BpfMapInitSlot[] })[] = [];
  let valuesOffset = new Map<string, number>();
  if (mapsSec) {
    const parsed = parseBtfMaps(elf, mapsSec, btf);
    valuesOffset = parsed.valuesOffset;
    for (const m of parsed.maps) maps.push({ ...m, initSlots: [] });
  }
  if (legacyMapsSec) for (const m of parseLegacyMaps(elf, legacyMapsSec)) maps.push({ ...m, initSlots: [] });
  for (const s of dataSecs) maps.push({ ...globalDataMap(elf, s, objName, btf), initSlots: [] });
  const seenMapNames = new Set<string>();
  for (const m of maps) {
    if (seenMapNames.has(m.name)) throw kerr('EEXIST', `map "${m.name}": defined twice`, { where: `map "${m.name}"` });
    seenMapNames.add(m.name);
  }

  // ---- programs: one per STT_FUNC symbol; .text functions are subprograms
  const progsOf = (s: ElfSection): RawProg[] => {
    const at = secAt(s);
    const syms = elf.symbols.filter((y) => y.shndx === s.index && y.type === ELF_STT.FUNC).slice().sort((a, b) => a.value - b.value);
    const data = elf.data(s);
    const mk = (name: string, off: number, cnt: number, global: boolean): RawProg => ({
      name, sec: s, secInsnOff: off, insnCnt: cnt, global,
      insns: data.slice(off * INSN_SIZE, (off + cnt) * INSN_SIZE),
      mapRelocs: [], codeRelocs: new Map(),
    });
    if (syms.length === 0) {
      if (s === textSec) return [];
      // an old-style object without function symbols: the whole section is one program
      return [mk(s.name, 0, s.size / INSN_SIZE, true)];
    }
    const out: RawProg[] = [];
    let prevEnd = 0;
    for (const y of syms) {
      const name = y.name;
      if (name === '') throw kerr('EINVAL', `${at}: function symbol ${y.index} has no name`, { where: at });
      if (y.value % INSN_SIZE !== 0 || y.size % INSN_SIZE !== 0 || y.size === 0 || y.value + y.size > s.size)
        throw kerr('EINVAL', `${at}: program "${name}" at offset ${y.value} size ${y.size} is not a whole run of instructions inside the section (${s.size} bytes)`, { where: at });
      if (y.value < prevEnd) throw kerr('EINVAL', `${at}: program "${name}" overlaps the previous function`, { where: at });
      prevEnd = y.value + y.size;
      out.push(mk(name, y.value / INSN_SIZE, y.size / INSN_SIZE, y.bind !== ELF_STB.LOCAL));
    }
    return out;
  };
  const mains: RawProg[] = [];
  for (const s of progSecs) mains.push(...progsOf(s));
  const subs: RawProg[] = textSec ? progsOf(textSec) : [];
  const allNames = new Set<string>();
  for (const p of [...mains, ...subs]) {
    if (allNames.has(p.name)) throw kerr('EEXIST', `${secAt(p.sec)}: program "${p.name}" is defined twice`, { where: secAt(p.sec) });
    allNames.add(p.name);
  }

  // ---- relocations
  const mapBySecOff = (shndx: number, off: number): (typeof maps)[number] | undefined =>
    maps.find((m) => m.source !== 'data' && m.sectionIndex === shndx && m.sectionOffset === off);
  const dataMapBySec = (shndx: number): (typeof maps)[number] | undefined => maps.find((m) => m.source === 'data' && m.sectionIndex === shndx);

  for (const rs of elf.sections) {
    if (rs.type !== ELF_SHT.REL && rs.type !== ELF_SHT.RELA) continue;
    const target = elf.sections[rs.info];
    const rat = secAt(rs);
    if (!target || rs.info === 0) throw kerr('EINVAL', `${rat}: sh_info ${rs.info} is not a section`, { where: rat });
    const isProgSec = target === textSec || progSecs.includes(target);
    if (target === mapsSec) {
      collectMapSlotRelocs(elf, rs, target, maps, valuesOffset, mains);
      continue;
    }
    if (!isProgSec) continue; // .rel.BTF, .rel.BTF.ext, debug sections: not needed for loading
    const progs = target === textSec ? subs : mains.filter((p) => p.sec === target);
    for (const r of elf.rels(rs)) {
      const relAt = `${rat}: relocation ${r.index}`;
      if (r.offset % INSN_SIZE !== 0 || r.offset >= target.size) throw kerr('EINVAL', `${relAt} has bad offset ${r.offset}`, { where: rat });
      const secInsn = r.offset / INSN_SIZE;
      const prog = progs.find((p) => secInsn >= p.secInsnOff && secInsn < p.secInsnOff + p.insnCnt);
      if (!prog) continue; // libbpf: relocation outside any program is skipped
      const i = secInsn - prog.secInsnOff;
      const sym = elf.symbols[r.sym]!;
      recordReloc(elf, prog, i, sym, relAt, { textSec, mapsSec, legacyMapsSec, mapBySecOff, dataMapBySec, progSecs });
    }
  }

  // ---- link subprograms into every entry program
  const programs = mains.map((main): BpfProgramSpec => {
    const info = secInfo(main.sec.name);
    const linked = linkProgram(main, subs);
    // CO-RE records are kept per section: the program's own, plus .text's when it links subprograms
    let core = btfExt?.coreRelosBySection.get(main.sec.name) ?? 0;
    if (linked.subprograms.length > 0) core += btfExt?.coreRelosBySection.get('.text') ?? 0;
    return Object.freeze({
      name: main.name,
      section: main.sec.name,
      secDef: info.secDef,
      progType: info.progType,
      expectedAttachType: info.expectedAttachType,
      insns: linked.insns,
      insnCount: linked.insns.length / INSN_SIZE,
      mainInsnCount: main.insnCnt,
      subprograms: Object.freeze(linked.subprograms),
      mapRelocs: Object.freeze(linked.mapRelocs),
      tailCall: info.tailCall,
      coreRelocs: core,
      global: main.global,
    });
  });

  // iproute2's legacy tail calls: a program in section "ID/KEY" goes into slot KEY of the
  // prog_array whose struct bpf_elf_map id is ID (lib/bpf_legacy.c bpf_fill_prog_arrays)
  if (legacyMapsSec) {
    for (const p of programs) {
      if (!p.tailCall) continue;
      const at = `section "${p.section}"`;
      const m = maps.find((x) => x.source === 'legacy' && x.type === BPF_MAP_TYPE.PROG_ARRAY && x.legacyId === p.tailCall!.mapId);
      if (!m) throw kerr('ENOENT', `${at}: no prog_array with id ${p.tailCall.mapId} for tail call "${p.name}"`, { where: at });
      if (p.tailCall.key >= m.maxEntries) throw kerr('E2BIG', `${at}: tail-call key ${p.tailCall.key} is beyond max_elem ${m.maxEntries} of map "${m.name}"`, { where: at });
      if (m.initSlots.some((x) => x.index === p.tailCall!.key)) throw kerr('EEXIST', `${at}: slot ${p.tailCall.key} of map "${m.name}" is taken twice`, { where: at });
      m.initSlots.push(Object.freeze({ index: p.tailCall.key, program: p.name }));
    }
  }

  return Object.freeze({
    name: objName,
    license,
    kernVersion,
    hasBtf: btf !== undefined,
    btfExt,
    programs: Object.freeze(programs),
    maps: Object.freeze(maps.map((m) => Object.freeze({ ...m, initSlots: Object.freeze(m.initSlots.slice().sort((a, b) => a.index - b.index)) }))),
    btf,
  });
}

interface RelocCtx {
  readonly textSec: ElfSection | undefined;
  readonly mapsSec: ElfSection | undefined;
  readonly legacyMapsSec: ElfSection | undefined;
  readonly progSecs: readonly ElfSection[];
  readonly mapBySecOff: (shndx: number, off: number) => BpfMapSpec | undefined;
  readonly dataMapBySec: (shndx: number) => BpfMapSpec | undefined;
}

/** bpf_program__record_reloc + the data half of bpf_object__relocate_data. */
function recordReloc(elf: ElfFile, prog: RawProg, i: number, sym: ElfSymbol, relAt: string, c: RelocCtx): void {
  const code = insnCode(prog.insns, i);
  const dv = new DataView(prog.insns.buffer, prog.insns.byteOffset, prog.insns.byteLength);
  const symName = sym.name !== '' ? sym.name : (elf.sections[sym.shndx]?.name ?? `#${sym.index}`);
  const where = relAt.slice(0, relAt.indexOf(':'));
  if (code === CALL) {
    if (sym.shndx === ELF_SHN.UNDEF) throw kerr('EOPNOTSUPP', `${relAt}: call to extern function "${symName}" (kfunc) is not supported`, { where });
    if (insnSrc(prog.insns, i) !== BPF_PSEUDO.CALL) throw kerr('EINVAL', `${relAt}: incorrect bpf_call opcode (src ${insnSrc(prog.insns, i)}) against "${symName}"`, { where });
    if (!c.textSec || sym.shndx !== c.textSec.index) throw kerr('EINVAL', `${relAt}: bad call relo against "${symName}" in section "${elf.sections[sym.shndx]?.name ?? sym.shndx}"`, { where });
    if (sym.value % INSN_SIZE !== 0) throw kerr('EINVAL', `${relAt}: bad call relo offset ${sym.value}`, { where });
    prog.codeRelocs.set(i, { kind: 'call', symOff: sym.value, sym: symName });
    return;
  }
  if (code !== LD_IMM64) throw kerr('EINVAL', `${relAt}: invalid relo against "${symName}" for insns[${i}].code 0x${code.toString(16)}`, { where });
  if (i + 1 >= prog.insnCnt) throw kerr('EINVAL', `${relAt}: LD_IMM64 at insns[${i}] has no second slot`, { where });
  if (sym.shndx === ELF_SHN.UNDEF) throw kerr('EOPNOTSUPP', `${relAt}: extern "${symName}" (.kconfig/.ksyms) is not supported`, { where });
  if (sym.shndx >= ELF_SHN.LORESERVE) throw kerr('EINVAL', `${relAt}: symbol "${symName}" has special section index 0x${sym.shndx.toString(16)}`, { where });
  if (c.textSec && sym.shndx === c.textSec.index) {
    // address of a .text function (callback for bpf_loop and friends)
    if ((sym.value + getImm(dv, i)) % INSN_SIZE !== 0) throw kerr('EINVAL', `${relAt}: bad subprog addr relo against "${symName}"`, { where });
    setSrc(prog.insns, i, BPF_PSEUDO.FUNC);
    prog.codeRelocs.set(i, { kind: 'addr', symOff: sym.value, sym: symName });
    return;
  }
  if ((c.mapsSec && sym.shndx === c.mapsSec.index) || (c.legacyMapsSec && sym.shndx === c.legacyMapsSec.index)) {
    const m = c.mapBySecOff(sym.shndx, sym.value);
    if (!m) throw kerr('EINVAL', `${relAt}: map relo failed to find map for section "${elf.sections[sym.shndx]!.name}", off ${sym.value}`, { where });
    setSrc(prog.insns, i, BPF_PSEUDO.MAP_FD);
    setImm(dv, i, 0);
    setImm(dv, i + 1, 0);
    prog.mapRelocs.push(Object.freeze({ insn: i, pseudo: BPF_PSEUDO.MAP_FD, map: m.name, offset: 0 }));
    return;
  }
  const dm = c.dataMapBySec(sym.shndx);
  if (dm) {
    const off = getImm(dv, i) + sym.value;
    if (off < 0 || off >= Math.max(dm.valueSize, 1)) throw kerr('EINVAL', `${relAt}: offset ${off} into "${dm.name}" is outside its ${dm.valueSize} bytes`, { where });
    setSrc(prog.insns, i, BPF_PSEUDO.MAP_VALUE);
    setImm(dv, i, 0);
    setImm(dv, i + 1, off);
    prog.mapRelocs.push(Object.freeze({ insn: i, pseudo: BPF_PSEUDO.MAP_VALUE, map: dm.name, offset: off }));
    return;
  }
  const tsec = elf.sections[sym.shndx];
  throw kerr('EINVAL', `${relAt}: program "${prog.name}" contains non-map related relo data pointing to section ${sym.shndx} ("${tsec?.name ?? '?'}")`, { where });
}

/** bpf_object__collect_map_relos: prog_array / map-in-map initial slots from `.rel.maps`. */
function collectMapSlotRelocs(
  elf: ElfFile, rs: ElfSection, mapsSec: ElfSection,
  maps: (BpfMapSpec & { initSlots: BpfMapInitSlot[] })[], valuesOffset: Map<string, number>, mains: readonly RawProg[],
): void {
  const rat = secAt(rs);
  for (const r of elf.rels(rs)) {
    const relAt = `${rat}: relocation ${r.index}`;
    const sym = elf.symbols[r.sym]!;
    const m = maps.find((x) => x.source === 'btf' && x.sectionIndex === mapsSec.index && r.offset >= x.sectionOffset && r.offset < x.sectionOffset + x.sectionSize);
    if (!m) throw kerr('EINVAL', `${relAt}: cannot find map at offset ${r.offset}`, { where: rat });
    const vo = valuesOffset.get(m.name) ?? -1;
    if (vo < 0) throw kerr('EINVAL', `${relAt}: map "${m.name}" has no "values" to initialise`, { where: rat });
    const moff = r.offset - m.sectionOffset - vo;
    if (moff < 0 || moff % 8 !== 0) throw kerr('EINVAL', `${relAt}: unexpected offset ${r.offset} into map "${m.name}"`, { where: rat });
    const index = moff / 8;
    if (index >= m.maxEntries) throw kerr('EINVAL', `${relAt}: slot ${index} is beyond max_entries ${m.maxEntries} of map "${m.name}"`, { where: rat });
    if (m.initSlots.some((s) => s.index === index)) throw kerr('EINVAL', `${relAt}: slot ${index} of map "${m.name}" is initialised twice`, { where: rat });
    if (m.type === BPF_MAP_TYPE.PROG_ARRAY) {
      const p = mains.find((x) => x.sec.index === sym.shndx && sym.type === ELF_STT.FUNC && x.secInsnOff * INSN_SIZE === sym.value);
      if (!p) throw kerr('EINVAL', `${relAt}: prog-array "${m.name}" slot ${index} refers to "${sym.name}", which is not a BPF program`, { where: rat });
      m.initSlots.push(Object.freeze({ index, program: p.name }));
    } else {
      const inner = maps.find((x) => x.source === 'btf' && x.sectionIndex === sym.shndx && x.sectionOffset === sym.value);
      if (!inner || sym.shndx !== mapsSec.index) throw kerr('EINVAL', `${relAt}: map-in-map "${m.name}" slot ${index} refers to "${sym.name}", which is not a map`, { where: rat });
      m.initSlots.push(Object.freeze({ index, map: inner.name }));
    }
  }
}

/** bpf_object__reloc_code for one entry program: subprograms appended depth-first, calls rewritten. */
function linkProgram(main: RawProg, subs: readonly RawProg[]): { insns: Uint8Array; subprograms: BpfSubprogram[]; mapRelocs: BpfMapReloc[] } {
  const chunks: Uint8Array[] = [main.insns];
  let total = main.insnCnt;
  const placed = new Map<RawProg, number>([[main, 0]]);
  const subprograms: BpfSubprogram[] = [];
  const mapRelocs: BpfMapReloc[] = main.mapRelocs.slice();
  // call fix-ups are applied after all chunks are placed
  const fixups: { at: number; target: number; pseudoFunc: boolean }[] = [];
  const at = `section "${main.sec.name}"`;

  const walk = (prog: RawProg, base: number): void => {
    const b = prog.insns;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < prog.insnCnt; i++) {
      const code = insnCode(b, i);
      const isCall = code === CALL && insnSrc(b, i) === BPF_PSEUDO.CALL;
      const isFunc = code === LD_IMM64 && insnSrc(b, i) === BPF_PSEUDO.FUNC;
      if (!isCall && !isFunc) continue;
      const relo = prog.codeRelocs.get(i);
      let subIdx: number;
      if (relo) {
        subIdx = relo.kind === 'call' ? relo.symOff / INSN_SIZE + getImm(dv, i) + 1 : (relo.symOff + getImm(dv, i)) / INSN_SIZE;
      } else if (isFunc) {
        throw kerr('EINVAL', `${at}: prog "${prog.name}": insns[${i}] is a callback address without a relocation`, { where: at, insn: base + i });
      } else {
        // a call inside the same section has no relocation: pc-relative
        if (prog.sec !== subs[0]?.sec) throw kerr('EINVAL', `${at}: prog "${prog.name}": no .text section found yet sub-program call exists at insns[${i}]`, { where: at, insn: base + i });
        subIdx = prog.secInsnOff + i + getImm(dv, i) + 1;
      }
      const sub = subs.find((s) => subIdx >= s.secInsnOff && subIdx < s.secInsnOff + s.insnCnt);
      if (!sub || sub.secInsnOff !== subIdx)
        throw kerr('EINVAL', `${at}: prog "${prog.name}": insns[${i}] calls into .text at instruction ${subIdx}, which is not the start of a subprogram${relo ? ` ("${relo.sym}")` : ''}`, { where: at, insn: base + i });
      let start = placed.get(sub);
      if (start === undefined) {
        start = total;
        placed.set(sub, start);
        chunks.push(sub.insns);
        total += sub.insnCnt;
        subprograms.push(Object.freeze({ name: sub.name, start, insnCount: sub.insnCnt, global: sub.global }));
        for (const r of sub.mapRelocs) mapRelocs.push(Object.freeze({ ...r, insn: r.insn + start }));
        walk(sub, start);
      }
      fixups.push({ at: base + i, target: start, pseudoFunc: isFunc });
    }
  };
  walk(main, 0);

  const insns = new Uint8Array(total * INSN_SIZE);
  let o = 0;
  for (const c of chunks) {
    insns.set(c, o);
    o += c.length;
  }
  const dv = new DataView(insns.buffer);
  for (const f of fixups) setImm(dv, f.at, f.target - f.at - 1);
  return { insns, subprograms, mapRelocs };
}
