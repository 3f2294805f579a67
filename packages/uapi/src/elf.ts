// Models include/uapi/linux/elf.h and include/uapi/linux/elf-em.h (Linux 6.18),
// plus the BPF relocation numbers of the ELF psABI for BPF (R_BPF_*, as LLVM
// emits them and tools/lib/bpf/libbpf.c reads them). Only what an ELF64
// little-endian BPF relocatable object uses. Interface facts, not code.

/** `e_ident[]` indices and values. */
export const ELF_IDENT = Object.freeze({
  /** "\x7fELF" */
  MAG0: 0x7f, MAG1: 0x45, MAG2: 0x4c, MAG3: 0x46,
  EI_CLASS: 4, EI_DATA: 5, EI_VERSION: 6, EI_NIDENT: 16,
  ELFCLASS32: 1, ELFCLASS64: 2,
  ELFDATA2LSB: 1, ELFDATA2MSB: 2,
  EV_CURRENT: 1,
} as const);

/** `e_type` values. */
export const ELF_ET = Object.freeze({ NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const);

/** `e_machine` values used here (elf-em.h). */
export const ELF_EM = Object.freeze({ NONE: 0, X86_64: 62, BPF: 247 } as const);

/** `sh_type` values. */
export const ELF_SHT = Object.freeze({
  NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7,
  NOBITS: 8, REL: 9, SHLIB: 10, DYNSYM: 11,
  /** LLVM's address-significance table (.llvm_addrsig). */
  LLVM_ADDRSIG: 0x6fff4c03,
} as const);

/** `sh_flags` bits. */
export const ELF_SHF = Object.freeze({ WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const);

/** Special section indices. */
export const ELF_SHN = Object.freeze({ UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const);

/** `ELF64_ST_TYPE(st_info)`. */
export const ELF_STT = Object.freeze({ NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const);

/** `ELF64_ST_BIND(st_info)`. */
export const ELF_STB = Object.freeze({ LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const);

/** `ELF64_ST_VISIBILITY(st_other)`. */
export const ELF_STV = Object.freeze({ DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const);

/** BPF relocation types (`ELF64_R_TYPE(r_info)`). */
export const R_BPF = Object.freeze({
  NONE: 0, '64_64': 1, '64_ABS64': 2, '64_ABS32': 3, '64_NODYLD32': 4, '64_32': 10,
} as const);

/** Structure sizes and field offsets of ELF64 (bytes). */
export const ELF64_LAYOUT = Object.freeze({
  EHDR_SIZE: 64,
  /** Elf64_Ehdr field offsets */
  E_TYPE: 16, E_MACHINE: 18, E_VERSION: 20, E_ENTRY: 24, E_PHOFF: 32, E_SHOFF: 40, E_FLAGS: 48,
  E_EHSIZE: 52, E_PHENTSIZE: 54, E_PHNUM: 56, E_SHENTSIZE: 58, E_SHNUM: 60, E_SHSTRNDX: 62,
  SHDR_SIZE: 64,
  /** Elf64_Shdr field offsets */
  SH_NAME: 0, SH_TYPE: 4, SH_FLAGS: 8, SH_ADDR: 16, SH_OFFSET: 24, SH_SIZE: 32, SH_LINK: 40,
  SH_INFO: 44, SH_ADDRALIGN: 48, SH_ENTSIZE: 56,
  SYM_SIZE: 24,
  /** Elf64_Sym field offsets */
  ST_NAME: 0, ST_INFO: 4, ST_OTHER: 5, ST_SHNDX: 6, ST_VALUE: 8, ST_SIZE: 16,
  REL_SIZE: 16,
  RELA_SIZE: 24,
  /** Elf64_Rel field offsets; r_info = (sym << 32) | type */
  R_OFFSET: 0, R_INFO: 8,
} as const);
