// Test support: a minimal ELF64 LE EM_BPF relocatable-object writer, to build
// synthetic objects with chosen sections, symbols and relocations (for
// property tests of the loader's relocation and linking logic).
import { ELF64_LAYOUT as L, ELF_SHT } from '@tcbpf/uapi';

export interface WSection {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly data: Uint8Array;
}

export interface WSymbol {
  readonly name: string;
  /** Section name; '' = SHN_UNDEF. */
  readonly section: string;
  readonly value: number;
  readonly size: number;
  /** STT_* */
  readonly type: number;
  /** STB_* */
  readonly bind: number;
}

export interface WRel {
  /** The section the relocation applies to. */
  readonly target: string;
  readonly offset: number;
  /** Index into the symbols given to writeElf (0-based; the null symbol is added in front). */
  readonly sym: number;
  readonly type: number;
}

class StrTab {
  readonly parts: number[] = [0];
  add(s: string): number {
    const off = this.parts.length;
    for (const c of s) this.parts.push(c.charCodeAt(0));
    this.parts.push(0);
    return off;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Lays out header, section contents, .symtab/.strtab, .rel<sec> sections, .shstrtab and the section header table. */
export function writeElf(sections: readonly WSection[], symbols: readonly WSymbol[], rels: readonly WRel[]): Uint8Array {
  const shstr = new StrTab();
  const str = new StrTab();
  interface Out { name: number; type: number; flags: number; data: Uint8Array; link: number; info: number; entsize: number }
  const out: Out[] = [{ name: 0, type: 0, flags: 0, data: new Uint8Array(0), link: 0, info: 0, entsize: 0 }];
  const index = new Map<string, number>();
  for (const s of sections) {
    index.set(s.name, out.length);
    out.push({ name: shstr.add(s.name), type: s.type, flags: s.flags, data: s.data, link: 0, info: 0, entsize: 0 });
  }
  const strtabIdx = out.length + 1;
  const symtab = new Uint8Array((symbols.length + 1) * L.SYM_SIZE);
  const sdv = new DataView(symtab.buffer);
  symbols.forEach((y, i) => {
    const o = (i + 1) * L.SYM_SIZE;
    sdv.setUint32(o + L.ST_NAME, y.name === '' ? 0 : str.add(y.name), true);
    sdv.setUint8(o + L.ST_INFO, (y.bind << 4) | y.type);
    sdv.setUint16(o + L.ST_SHNDX, y.section === '' ? 0 : (index.get(y.section) ?? 0), true);
    sdv.setUint32(o + L.ST_VALUE, y.value, true);
    sdv.setUint32(o + L.ST_SIZE, y.size, true);
  });
  const symtabIdx = out.length;
  out.push({ name: shstr.add('.symtab'), type: ELF_SHT.SYMTAB, flags: 0, data: symtab, link: strtabIdx, info: 1, entsize: L.SYM_SIZE });
  out.push({ name: shstr.add('.strtab'), type: ELF_SHT.STRTAB, flags: 0, data: new Uint8Array(0), link: 0, info: 0, entsize: 0 });
  const byTarget = new Map<string, WRel[]>();
  for (const r of rels) byTarget.set(r.target, [...(byTarget.get(r.target) ?? []), r]);
  for (const [target, rs] of byTarget) {
    const d = new Uint8Array(rs.length * L.REL_SIZE);
    const dv = new DataView(d.buffer);
    rs.forEach((r, i) => {
      dv.setUint32(i * L.REL_SIZE + L.R_OFFSET, r.offset, true);
      dv.setUint32(i * L.REL_SIZE + L.R_INFO, r.type, true);
      dv.setUint32(i * L.REL_SIZE + L.R_INFO + 4, r.sym + 1, true);
    });
    out.push({ name: shstr.add(`.rel${target}`), type: ELF_SHT.REL, flags: 0, data: d, link: symtabIdx, info: index.get(target) ?? 0, entsize: L.REL_SIZE });
  }
  const shstrIdx = out.length;
  out.push({ name: shstr.add('.shstrtab'), type: ELF_SHT.STRTAB, flags: 0, data: new Uint8Array(0), link: 0, info: 0, entsize: 0 });
  out[strtabIdx]!.data = str.bytes();
  out[shstrIdx]!.data = shstr.bytes();

  let size: number = L.EHDR_SIZE;
  const offs: number[] = [];
  for (const s of out) {
    size = (size + 7) & ~7;
    offs.push(size);
    if (s.type !== ELF_SHT.NOBITS) size += s.data.length;
  }
  size = (size + 7) & ~7;
  const shoff = size;
  const b = new Uint8Array(shoff + out.length * L.SHDR_SIZE);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(L.E_TYPE, 1, true);
  dv.setUint16(L.E_MACHINE, 247, true);
  dv.setUint32(L.E_VERSION, 1, true);
  dv.setUint32(L.E_SHOFF, shoff, true);
  dv.setUint16(L.E_EHSIZE, L.EHDR_SIZE, true);
  dv.setUint16(L.E_SHENTSIZE, L.SHDR_SIZE, true);
  dv.setUint16(L.E_SHNUM, out.length, true);
  dv.setUint16(L.E_SHSTRNDX, shstrIdx, true);
  out.forEach((s, i) => {
    if (s.type !== ELF_SHT.NOBITS) b.set(s.data, offs[i]);
    const o = shoff + i * L.SHDR_SIZE;
    dv.setUint32(o + L.SH_NAME, s.name, true);
    dv.setUint32(o + L.SH_TYPE, s.type, true);
    dv.setUint32(o + L.SH_FLAGS, s.flags, true);
    dv.setUint32(o + L.SH_OFFSET, i === 0 ? 0 : offs[i]!, true);
    dv.setUint32(o + L.SH_SIZE, s.data.length, true);
    dv.setUint32(o + L.SH_LINK, s.link, true);
    dv.setUint32(o + L.SH_INFO, s.info, true);
    dv.setUint32(o + L.SH_ADDRALIGN, 8, true);
    dv.setUint32(o + L.SH_ENTSIZE, s.entsize, true);
  });
  return b;
}

/** One 8-byte instruction. */
export function insnBytes(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  b[0] = code;
  b[1] = (src << 4) | dst;
  dv.setInt16(2, off, true);
  dv.setInt32(4, imm, true);
  return b;
}
