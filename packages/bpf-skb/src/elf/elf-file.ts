// Models the ELF-reading part of tools/lib/bpf/libbpf.c (bpf_object__elf_init,
// bpf_object__elf_collect; libbpf as shipped with Linux 6.18): an ELF64
// little-endian relocatable object for EM_BPF, its section headers, the
// symbol table and the string tables. Every offset and size is checked against
// the file before it is read; a malformed file throws KernelError naming the
// section or symbol at fault. Field reads are little-endian (ELFDATA2LSB).
import { kerr } from '@tcbpf/base';
import { ELF64_LAYOUT as L, ELF_EM, ELF_ET, ELF_IDENT, ELF_SHN, ELF_SHT } from '@tcbpf/uapi';

/** One section header, with its name resolved. */
export interface ElfSection {
  /** Index in the section header table. */
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  /** File offset of the contents (meaningless for SHT_NOBITS). */
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

/** One symbol-table entry, with its name resolved. */
export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  /** ELF64_ST_TYPE */
  readonly type: number;
  /** ELF64_ST_BIND */
  readonly bind: number;
  /** ELF64_ST_VISIBILITY */
  readonly visibility: number;
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

/** One SHT_REL entry. */
export interface ElfRel {
  readonly index: number;
  readonly offset: number;
  readonly sym: number;
  readonly type: number;
}

/** Largest SHT_NOBITS section materialised (16 MiB; a .bss map value is limited to 4 MiB anyway). */
const NOBITS_MAX = 16 << 20;

function where(name: string): string {
  return `section "${name}"`;
}

/** Reads a u64 field that must fit a file offset or size (< 2^53): -1 when the high word is 2^21 or more. */
function u64raw(dv: DataView, off: number): number {
  const hi = dv.getUint32(off + 4, true);
  return hi >= 0x200000 ? -1 : hi * 0x100000000 + dv.getUint32(off, true);
}

/** As u64raw, throwing EINVAL naming the field and the place (`what` of item `idx`, built only on failure). */
function u64(dv: DataView, off: number, field: string, what: string, idx = -1): number {
  const v = u64raw(dv, off);
  if (v < 0) {
    const w = idx < 0 ? what : `${what} ${idx}`;
    throw kerr('EINVAL', `${w}: ${field} 0x${dv.getUint32(off + 4, true).toString(16)}${dv.getUint32(off, true).toString(16).padStart(8, '0')} is out of range`, { where: w });
  }
  return v;
}

/** A NUL-terminated string from a string table section. */
export function readCString(bytes: Uint8Array, start: number, end: number, at: string): string {
  if (start < 0 || start >= end) throw kerr('EINVAL', `${at}: string offset ${start} is outside the string table`, { where: at });
  let i = start;
  while (i < end && bytes[i] !== 0) i++;
  if (i >= end) throw kerr('EINVAL', `${at}: string at offset ${start} is not NUL-terminated`, { where: at });
  // a char-by-char build measured faster than fromCharCode.apply or TextDecoder for short names
  let s = '';
  for (let j = start; j < i; j++) s += String.fromCharCode(bytes[j]!);
  return s;
}

/**
 * A parsed ELF64 LE EM_BPF relocatable object. Constructing it validates the
 * header, every section header and the symbol table; contents of other
 * sections are validated when asked for.
 */
export class ElfFile {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  /** Index of the SHT_SYMTAB section. */
  readonly symtabIndex: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const hdr = 'ELF header';
    if (bytes.length < L.EHDR_SIZE) throw kerr('EINVAL', `${hdr}: file of ${bytes.length} bytes is shorter than the 64-byte ELF64 header`, { where: hdr });
    if (bytes[0] !== ELF_IDENT.MAG0 || bytes[1] !== ELF_IDENT.MAG1 || bytes[2] !== ELF_IDENT.MAG2 || bytes[3] !== ELF_IDENT.MAG3)
      throw kerr('EINVAL', `${hdr}: bad magic, not an ELF file`, { where: hdr });
    if (bytes[ELF_IDENT.EI_CLASS] !== ELF_IDENT.ELFCLASS64) throw kerr('EINVAL', `${hdr}: EI_CLASS ${bytes[ELF_IDENT.EI_CLASS]} is not ELFCLASS64`, { where: hdr });
    if (bytes[ELF_IDENT.EI_DATA] !== ELF_IDENT.ELFDATA2LSB)
      throw kerr('EINVAL', `${hdr}: EI_DATA ${bytes[ELF_IDENT.EI_DATA]} is not ELFDATA2LSB (only little-endian BPF objects are supported)`, { where: hdr });
    const dv = this.dv;
    const type = dv.getUint16(L.E_TYPE, true);
    if (type !== ELF_ET.REL) throw kerr('EINVAL', `${hdr}: e_type ${type} is not ET_REL`, { where: hdr });
    const machine = dv.getUint16(L.E_MACHINE, true);
    if (machine !== ELF_EM.BPF && machine !== ELF_EM.NONE) throw kerr('EINVAL', `${hdr}: e_machine ${machine} is not EM_BPF`, { where: hdr });
    const shoff = u64(dv, L.E_SHOFF, 'e_shoff', hdr);
    const shentsize = dv.getUint16(L.E_SHENTSIZE, true);
    let shnum = dv.getUint16(L.E_SHNUM, true);
    let shstrndx = dv.getUint16(L.E_SHSTRNDX, true);
    if (shoff === 0) throw kerr('EINVAL', `${hdr}: no section header table`, { where: hdr });
    if (shentsize !== L.SHDR_SIZE) throw kerr('EINVAL', `${hdr}: e_shentsize ${shentsize} is not ${L.SHDR_SIZE}`, { where: hdr });
    if (shoff + L.SHDR_SIZE > bytes.length) throw kerr('EINVAL', `${hdr}: section header table at ${shoff} is outside the file (${bytes.length} bytes)`, { where: hdr });
    // extended numbering: section 0 carries the real count / string-table index
    if (shnum === 0) shnum = u64(dv, shoff + L.SH_SIZE, 'section count', hdr);
    if (shstrndx === ELF_SHN.XINDEX) shstrndx = dv.getUint32(shoff + L.SH_LINK, true);
    if (shnum === 0 || shoff + shnum * L.SHDR_SIZE > bytes.length)
      throw kerr('EINVAL', `${hdr}: ${shnum} section headers at ${shoff} do not fit the file (${bytes.length} bytes)`, { where: hdr });
    if (shstrndx >= shnum) throw kerr('EINVAL', `${hdr}: e_shstrndx ${shstrndx} is not a section (${shnum} sections)`, { where: hdr });

    // raw headers first, names once the section-name table is known
    const SH = 'section header';
    const raw: { -readonly [K in keyof ElfSection]: ElfSection[K] }[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * L.SHDR_SIZE;
      const s = {
        index: i,
        name: '',
        type: dv.getUint32(o + L.SH_TYPE, true),
        flags: u64(dv, o + L.SH_FLAGS, 'sh_flags', SH, i),
        offset: u64(dv, o + L.SH_OFFSET, 'sh_offset', SH, i),
        size: u64(dv, o + L.SH_SIZE, 'sh_size', SH, i),
        link: dv.getUint32(o + L.SH_LINK, true),
        info: dv.getUint32(o + L.SH_INFO, true),
        addralign: u64(dv, o + L.SH_ADDRALIGN, 'sh_addralign', SH, i),
        entsize: u64(dv, o + L.SH_ENTSIZE, 'sh_entsize', SH, i),
      };
      if (i > 0 && s.type !== ELF_SHT.NOBITS && s.type !== ELF_SHT.NULL && s.offset + s.size > bytes.length)
        throw kerr('EINVAL', `${SH} ${i}: contents at ${s.offset}+${s.size} run past the end of the file (${bytes.length} bytes)`, { where: `${SH} ${i}` });
      raw.push(s);
      nameOffs.push(dv.getUint32(o + L.SH_NAME, true));
    }
    const strsec = raw[shstrndx]!;
    if (strsec.type !== ELF_SHT.STRTAB) throw kerr('EINVAL', `${hdr}: e_shstrndx ${shstrndx} is not a string table`, { where: hdr });
    for (let i = 1; i < shnum; i++) raw[i]!.name = readCString(bytes, strsec.offset + nameOffs[i]!, strsec.offset + strsec.size, `section header ${i} name`);
    const sections: readonly ElfSection[] = raw;
    this.sections = Object.freeze(sections);

    // the symbol table (libbpf: exactly one SHT_SYMTAB is required)
    let symtab: ElfSection | undefined;
    for (const s of sections) {
      if (s.type !== ELF_SHT.SYMTAB) continue;
      if (symtab) throw kerr('EINVAL', `${where(s.name)}: multiple SYMTAB sections found, not supported`, { where: where(s.name) });
      symtab = s;
    }
    if (!symtab) throw kerr('EINVAL', 'ELF object: no symbol table (SHT_SYMTAB) found', { where: 'symtab' });
    this.symtabIndex = symtab.index;
    this.symbols = this.#readSymbols(symtab);
  }

  #readSymbols(symtab: ElfSection): readonly ElfSymbol[] {
    const at = where(symtab.name);
    if (symtab.entsize !== L.SYM_SIZE || symtab.size % L.SYM_SIZE !== 0)
      throw kerr('EINVAL', `${at}: entry size ${symtab.entsize} / size ${symtab.size} is not a whole number of ${L.SYM_SIZE}-byte symbols`, { where: at });
    const strtab = this.sections[symtab.link];
    if (!strtab || strtab.type !== ELF_SHT.STRTAB) throw kerr('EINVAL', `${at}: sh_link ${symtab.link} is not a string table`, { where: at });
    const n = symtab.size / L.SYM_SIZE;
    const out: ElfSymbol[] = [];
    const dv = this.dv;
    for (let i = 0; i < n; i++) {
      const o = symtab.offset + i * L.SYM_SIZE;
      const nameOff = dv.getUint32(o + L.ST_NAME, true);
      const info = dv.getUint8(o + L.ST_INFO);
      const name = nameOff === 0 ? '' : readCString(this.bytes, strtab.offset + nameOff, strtab.offset + strtab.size, `${at} symbol ${i} name`);
      out.push({
          index: i,
          name,
          type: info & 0xf,
          bind: info >>> 4,
          visibility: dv.getUint8(o + L.ST_OTHER) & 0x3,
          shndx: dv.getUint16(o + L.ST_SHNDX, true),
          value: u64(dv, o + L.ST_VALUE, 'st_value', 'symbol', i),
          size: u64(dv, o + L.ST_SIZE, 'st_size', 'symbol', i),
      });
    }
    return Object.freeze(out);
  }

  /** The section called `name`, if any (first match). */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The contents of a section (a view, not a copy); SHT_NOBITS gives zeros of its size. */
  data(s: ElfSection): Uint8Array {
    if (s.type === ELF_SHT.NOBITS) {
      // NOBITS sizes are not bounded by the file: refuse what no BPF object section can be
      if (s.size > NOBITS_MAX) throw kerr('E2BIG', `${where(s.name)}: SHT_NOBITS size ${s.size} is too large`, { where: where(s.name) });
      return new Uint8Array(s.size);
    }
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /** The relocation entries of an SHT_REL section, symbol indices checked against the symbol table. */
  rels(s: ElfSection): readonly ElfRel[] {
    const at = where(s.name);
    if (s.type === ELF_SHT.RELA) throw kerr('EINVAL', `${at}: RELA relocations are not supported for BPF objects`, { where: at });
    if (s.entsize !== L.REL_SIZE || s.size % L.REL_SIZE !== 0)
      throw kerr('EINVAL', `${at}: entry size ${s.entsize} / size ${s.size} is not a whole number of ${L.REL_SIZE}-byte relocations`, { where: at });
    if (s.link !== this.symtabIndex) throw kerr('EINVAL', `${at}: sh_link ${s.link} is not the symbol table`, { where: at });
    const n = s.size / L.REL_SIZE;
    const out: ElfRel[] = [];
    for (let i = 0; i < n; i++) {
      const o = s.offset + i * L.REL_SIZE;
      const offset = u64(this.dv, o + L.R_OFFSET, 'r_offset', `${at} relocation`, i);
      const type = this.dv.getUint32(o + L.R_INFO, true);
      const sym = this.dv.getUint32(o + L.R_INFO + 4, true);
      if (sym >= this.symbols.length)
        throw kerr('EINVAL', `${at}: relocation ${i} refers to symbol ${sym} outside the symbol table (${this.symbols.length} symbols)`, { where: at });
      out.push({ index: i, offset, sym, type });
    }
    return out;
  }
}
