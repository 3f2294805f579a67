// Malformed objects: each corruption is refused with KernelError, an errno
// and a message naming the section, symbol or relocation at fault.
import { ELF64_LAYOUT as L } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { ElfFile, loadElfObject } from '../src/index.js';
import { expectKernelError, readFixture, type FixtureName } from './fixture-objects.js';

/** A mutable copy of a fixture plus offsets into it. */
function copy(name: FixtureName): { b: Uint8Array; dv: DataView; elf: ElfFile; shdr: (sec: string) => number } {
  const b = readFixture(name).slice();
  const dv = new DataView(b.buffer);
  const elf = new ElfFile(b);
  const shoff = dv.getUint32(L.E_SHOFF, true);
  const shdr = (sec: string): number => {
    const s = elf.section(sec);
    if (!s) throw new Error(`no section ${sec}`);
    return shoff + s.index * L.SHDR_SIZE;
  };
  return { b, dv, elf, shdr };
}

describe('malformed ELF objects', () => {
  it('refuses short files, bad magic, class, data encoding, type and machine in the header', () => {
    expectKernelError(() => loadElfObject(new Uint8Array(10)), 'EINVAL', /ELF header.*shorter/);
    const { b } = copy('vlan.o');
    const bad = (i: number, v: number, re: RegExp): void => {
      const x = b.slice();
      x[i] = v;
      expectKernelError(() => loadElfObject(x), 'EINVAL', re);
    };
    bad(0, 0, /bad magic/);
    bad(4, 1, /ELFCLASS64/);
    bad(5, 2, /ELFDATA2LSB/);
    bad(L.E_TYPE, 2, /ET_REL/);
    bad(L.E_MACHINE, 62, /EM_BPF/);
    bad(L.E_SHENTSIZE, 40, /e_shentsize/);
  });

  it('refuses a section whose contents run past the end of the file, naming the section header', () => {
    const { b, dv, shdr } = copy('vlan.o');
    dv.setUint32(shdr('tcx/egress') + L.SH_SIZE, 0x100000, true);
    const e = expectKernelError(() => loadElfObject(b), 'EINVAL', /section header \d+: contents at \d+\+1048576 run past the end/);
    expect(e.where).toMatch(/^section header/);
  });

  it('refuses a huge .bss (SHT_NOBITS is not bounded by the file) with E2BIG instead of allocating it', () => {
    const { b, dv, shdr } = copy('redirect_global.o');
    dv.setUint32(shdr('.bss') + L.SH_SIZE, 0x57000018, true); // found by fuzzing: 1.4 GB of zeros
    expectKernelError(() => loadElfObject(b), 'E2BIG', 'section ".bss": size 1459617816 exceeds the largest array-map value (4194304 bytes)');
  });

  it('refuses a missing symbol table', () => {
    const { b, dv, elf } = copy('vlan.o');
    const shoff = dv.getUint32(L.E_SHOFF, true);
    dv.setUint32(shoff + elf.symtabIndex * L.SHDR_SIZE + L.SH_TYPE, 1, true);
    expectKernelError(() => loadElfObject(b), 'EINVAL', /no symbol table/);
  });

  it('refuses a relocation whose symbol is outside the symbol table, naming section and relocation', () => {
    const { b, dv, elf } = copy('parse_classify.o');
    const rel = elf.section('.reltc')!;
    dv.setUint32(rel.offset + L.R_INFO + 4, 999, true);
    expectKernelError(() => loadElfObject(b), 'EINVAL', `section ".reltc": relocation 0 refers to symbol 999 outside the symbol table (${elf.symbols.length} symbols)`);
  });

  it('refuses a relocation that points at an instruction other than LD_IMM64 or CALL', () => {
    const { b, dv, elf } = copy('parse_classify.o');
    const rel = elf.section('.reltc')!;
    dv.setUint32(rel.offset + L.R_OFFSET, 0, true); // instruction 0 is not a map load
    const code = b[elf.section('tc')!.offset]!;
    expectKernelError(() => loadElfObject(b), 'EINVAL', `section ".reltc": relocation 0: invalid relo against "class_stats" for insns[0].code 0x${code.toString(16)}`);
  });

  it('refuses a misaligned relocation offset', () => {
    const { b, dv, elf } = copy('parse_classify.o');
    dv.setUint32(elf.section('.reltc')!.offset + L.R_OFFSET, 3, true);
    expectKernelError(() => loadElfObject(b), 'EINVAL', /relocation 0 has bad offset 3/);
  });

  it('refuses a map relocation that does not land on a map definition', () => {
    const { b, dv, elf } = copy('tail_call.o');
    const sym = elf.symbols.find((s) => s.name === 'jmp_table')!;
    const symtab = elf.sections[elf.symtabIndex]!;
    dv.setUint32(symtab.offset + sym.index * L.SYM_SIZE + L.ST_VALUE, sym.value + 8, true);
    expectKernelError(() => loadElfObject(b), 'EINVAL', 'section ".rel.maps": relocation 0: unexpected offset 24 into map "jmp_table"');
  });

  it('refuses a program relocation against a symbol that is neither map, data nor code', () => {
    const { b, dv, elf } = copy('parse_classify.o');
    const lic = elf.symbols.find((s) => s.name === '_license')!;
    dv.setUint32(elf.section('.reltc')!.offset + L.R_INFO + 4, lic.index, true);
    const sec = elf.section('license')!.index;
    expectKernelError(() => loadElfObject(b), 'EINVAL', `section ".reltc": relocation 0: program "classify" contains non-map related relo data pointing to section ${sec} ("license")`);
  });

  it('refuses a call into the middle of a .text subprogram, naming the program and instruction', () => {
    const { b, dv, elf } = copy('parse_classify.o');
    const tc = elf.section('tc')!;
    // first bpf-to-bpf call: bump its imm by one instruction
    for (let i = 0; i < tc.size / 8; i++) {
      const o = tc.offset + i * 8;
      if (b[o] === 0x85 && b[o + 1]! >> 4 === 1) {
        dv.setInt32(o + 4, dv.getInt32(o + 4, true) + 1, true);
        break;
      }
    }
    const e = expectKernelError(() => loadElfObject(b), 'EINVAL', /prog "classify": insns\[\d+\] calls into \.text at instruction 1, which is not the start of a subprogram \("[^"]+"\)/);
    expect(e.insn).toBeGreaterThan(0);
  });

  it('refuses .maps without BTF', () => {
    const { b, dv, shdr } = copy('nat_rewrite.o');
    // rename ".BTF" to "BTF" (its name offset + 1, inside the same string)
    const off = shdr('.BTF') + L.SH_NAME;
    dv.setUint32(off, dv.getUint32(off, true) + 1, true);
    expectKernelError(() => loadElfObject(b), 'EINVAL', 'section ".maps": BTF-defined maps need .BTF, which is missing');
  });

  it('refuses corrupt BTF: bad magic and an unknown kind', () => {
    const { b, elf } = copy('nat_rewrite.o');
    const btf = elf.section('.BTF')!;
    const x = b.slice();
    x[btf.offset] = 0;
    expectKernelError(() => loadElfObject(x), 'EINVAL', /section "\.BTF": bad magic/);
    const y = b.slice();
    const dv = new DataView(y.buffer);
    const hdrLen = dv.getUint32(btf.offset + 4, true);
    const typeOff = dv.getUint32(btf.offset + 8, true);
    // first type's info: kind 31
    y[btf.offset + hdrLen + typeOff + 7] = 31;
    expectKernelError(() => loadElfObject(y), 'EINVAL', /section "\.BTF": type \[1\] has unknown kind 31/);
  });

  it('refuses a legacy maps section that is not a whole number of struct bpf_elf_map', () => {
    const { b, dv, shdr } = copy('legacy_maps.o');
    dv.setUint32(shdr('maps') + L.SH_SIZE, 71, true);
    expectKernelError(() => loadElfObject(b), 'EINVAL', 'section "maps": size 71 is not a multiple of 2 map definitions');
    dv.setUint32(shdr('maps') + L.SH_SIZE, 70, true);
    expectKernelError(() => loadElfObject(b), 'EINVAL', 'section "maps": different struct bpf_elf_map in use (35 bytes per map)');
  });

  it('refuses a legacy ID/KEY tail-call section without its prog_array (ENOENT) or beyond max_elem (E2BIG)', () => {
    const { b, dv, elf } = copy('legacy_maps.o');
    const maps = elf.section('maps')!;
    const jmp = elf.symbols.find((y) => y.name === 'legacy_jmp')!;
    const x = b.slice();
    new DataView(x.buffer).setUint32(maps.offset + jmp.value + 20, 5, true); // id 1 -> 5
    expectKernelError(() => loadElfObject(x), 'ENOENT', 'section "1/0": no prog_array with id 1 for tail call "legacy_tail"');
    dv.setUint32(maps.offset + jmp.value + 12, 0, true); // max_elem 0
    expectKernelError(() => loadElfObject(b), 'E2BIG', 'section "1/0": tail-call key 0 is beyond max_elem 0 of map "legacy_jmp"');
  });

  it('refuses an unknown member of a BTF map definition with EOPNOTSUPP naming it', () => {
    const { b, elf } = copy('nat_rewrite.o');
    // rename the "max_entries" string inside .BTF's string section to "max_entriez"
    const btf = elf.section('.BTF')!;
    const d = b.subarray(btf.offset, btf.offset + btf.size);
    const needle = new TextEncoder().encode('max_entries\0');
    let at = -1;
    for (let i = 0; i + needle.length <= d.length && at < 0; i++) if (needle.every((c, j) => d[i + j] === c)) at = i;
    expect(at).toBeGreaterThan(0);
    d[at + 10] = 0x7a;
    expectKernelError(() => loadElfObject(b), 'EOPNOTSUPP', 'map "nat_table": unknown field "max_entriez"');
  });
});
