// Clang-compiled tc programs (test/corpus/c/*.c, built by build.sh into *.o):
// a minimal ELF64 little-endian section reader extracts each program section
// and patches LD_IMM64 map references (relocations against the `maps`
// symbols) to map indexes 0.. in declaration order.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Case, CaseMap } from './cases.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, 'c');

interface Section { name: string; type: number; off: number; size: number; link: number; info: number; entsize: number }

function sections(b: Uint8Array): Section[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: dv.getUint32(o, true), type: dv.getUint32(o + 4, true), off: Number(dv.getBigUint64(o + 0x18, true)), size: Number(dv.getBigUint64(o + 0x20, true)),
      link: dv.getUint32(o + 0x28, true), info: dv.getUint32(o + 0x2c, true), entsize: Number(dv.getBigUint64(o + 0x38, true)),
    });
  }
  const strtab = raw[shstrndx]!;
  const str = (o: number): string => {
    let e = strtab.off + o;
    while (b[e] !== 0) e++;
    return new TextDecoder().decode(b.subarray(strtab.off + o, e));
  };
  return raw.map((s) => ({ name: str(s.nameOff), type: s.type, off: s.off, size: s.size, link: s.link, info: s.info, entsize: s.entsize }));
}

/** Map definitions per object, by symbol name (declared in the C file as `// map NAME type key value max`). */
function mapDecls(src: string): Map<string, CaseMap> {
  const m = new Map<string, CaseMap>();
  for (const line of src.split('\n')) {
    const x = /\/\/ map (\w+) (\d+) (\d+) (\d+) (\d+)/.exec(line);
    if (x) m.set(x[1]!, { type: Number(x[2]), keySize: Number(x[3]), valueSize: Number(x[4]), maxEntries: Number(x[5]) });
  }
  return m;
}

/** Cases for every program section of every committed object. */
export function clangCases(): Case[] {
  if (!existsSync(dir)) return [];
  const out: Case[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.o')).sort()) {
    const b = new Uint8Array(readFileSync(join(dir, f)));
    const src = readFileSync(join(dir, f.replace(/\.o$/, '.c')), 'utf8');
    const decls = mapDecls(src);
    const names = [...decls.keys()];
    const secs = sections(b);
    const symtab = secs.find((s) => s.type === 2);
    const symName = (idx: number): string => {
      if (!symtab) return '';
      const strs = secs[symtab.link]!;
      const dv = new DataView(b.buffer, b.byteOffset);
      const nameOff = dv.getUint32(symtab.off + idx * 24, true);
      let e = strs.off + nameOff;
      while (b[e] !== 0) e++;
      return new TextDecoder().decode(b.subarray(strs.off + nameOff, e));
    };
    secs.forEach((s, si) => {
      if (s.type !== 1 || !(s.name.startsWith('tc') || s.name.startsWith('classifier'))) return;
      const insns = b.slice(s.off, s.off + s.size);
      const dv = new DataView(insns.buffer);
      const rel = secs.find((r) => r.type === 9 && r.info === si);
      if (rel) {
        const rdv = new DataView(b.buffer, b.byteOffset);
        for (let k = 0; k < rel.size / 16; k++) {
          const roff = Number(rdv.getBigUint64(rel.off + k * 16, true));
          const sym = Number(rdv.getBigUint64(rel.off + k * 16 + 8, true) >> 32n);
          const idx = names.indexOf(symName(sym));
          if (idx < 0) continue;
          dv.setUint8(roff + 1, (dv.getUint8(roff + 1) & 0x0f) | 0x10);
          dv.setInt32(roff + 4, idx, true);
        }
      }
      const lic = /char _license\[\] SEC\("license"\) = "([^"]*)"/.exec(src)?.[1] ?? 'GPL';
      out.push({ name: `clang-${f.replace(/\.o$/, '')}-${s.name.replace(/\//g, '_')}`, insns, maps: names.map((n) => decls.get(n)!), license: lic });
    });
  }
  return out;
}
