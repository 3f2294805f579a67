// Models iproute2's include/bpf_elf.h (the tc object-file "contract" that the
// Linux 6.18 tc tooling still honours) and the pinning values of libbpf's
// tools/lib/bpf/libbpf.h (enum libbpf_pin_type). Section names, the legacy
// `struct bpf_elf_map` layout and the pinning namespaces. Interface facts, not code.

/** iproute2 `ELF_SECTION_*` names and `ELF_MAX_MAPS`. */
export const BPF_ELF_SECTION = Object.freeze({
  LICENSE: 'license',
  MAPS: 'maps',
  PROG: 'prog',
  CLASSIFIER: 'classifier',
  ACTION: 'action',
  /** kernel version section of old objects (a u32) */
  VERSION: 'version',
  MAX_MAPS: 64,
} as const);

/** iproute2 `PIN_*` values of `struct bpf_elf_map.pinning`. */
export const BPF_ELF_PIN = Object.freeze({ NONE: 0, OBJECT_NS: 1, GLOBAL_NS: 2 } as const);

/** libbpf `enum libbpf_pin_type` (the `pinning` member of a BTF-defined map). */
export const LIBBPF_PIN = Object.freeze({ NONE: 0, BY_NAME: 1 } as const);

/** `struct bpf_elf_map` (9 × u32, host order): field offsets and size. */
export const BPF_ELF_MAP_LAYOUT = Object.freeze({
  TYPE: 0, SIZE_KEY: 4, SIZE_VALUE: 8, MAX_ELEM: 12, FLAGS: 16, ID: 20, PINNING: 24,
  INNER_ID: 28, INNER_IDX: 32, SIZE: 36,
} as const);

/** The bpffs layout tc uses (iproute2 lib/bpf_legacy.c, lib/bpf_libbpf.c). */
export const BPF_TC_FS = Object.freeze({
  /** default bpffs mount point (BPF_DIR_MNT) */
  MNT: '/sys/fs/bpf',
  /** per-program-type subdirectory for cls/act (BPF_DIR_TC) */
  TC_DIR: 'tc',
  /** global namespace (BPF_DIR_GLOBALS) */
  GLOBALS_DIR: 'globals',
  /** environment variable that overrides the mount point (BPF_ENV_MNT) */
  ENV_MNT: 'TC_BPF_MNT',
} as const);
