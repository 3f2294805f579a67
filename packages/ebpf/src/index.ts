// @tcbpf/ebpf — the eBPF engine of Linux 6.18 rebuilt in TypeScript: ISA
// (one opcode table), encoder/decoder, assembler and disassembler (kernel
// verifier-log and llvm/bpf_conformance syntaxes), structural checks, the
// interpreter over a bounds-checked address space, maps, helpers, tail calls,
// program objects and tags, and a bpf()-like syscall facade. See README.md.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze([
  'include/uapi/linux/bpf.h', 'kernel/bpf/core.c', 'kernel/bpf/disasm.c', 'kernel/bpf/verifier.c', 'kernel/bpf/syscall.c',
  'kernel/bpf/arraymap.c', 'kernel/bpf/hashtab.c', 'kernel/bpf/lpm_trie.c', 'kernel/bpf/ringbuf.c', 'kernel/bpf/map_in_map.c',
  'kernel/bpf/helpers.c', 'kernel/bpf/bpf_iter.c', 'kernel/cgroup/cgroup.c', 'kernel/trace/bpf_trace.c', 'lib/crypto/sha1.c', 'lib/crypto/sha256.c',
]);

export { OPCODES, OP_KIND } from './isa/opcodes.js';
export type { OpcodeInfo, OpKind } from './isa/opcodes.js';
export { INSN_SIZE, insn, decodeInsns, encodeInsns, ldImm64 } from './isa/insn.js';
export type { Insn } from './isa/insn.js';
export { checkStructure } from './isa/check.js';
export type { ProgramShape } from './isa/check.js';
export { assemble } from './isa/asm.js';
export { assembleKernel } from './isa/kernel-asm.js';
export { disasmKernel, disasmKernelInsn, disasmConformance, disasmConformanceInsn } from './isa/disasm.js';
export type { KernelDisasmOptions } from './isa/disasm.js';

export { AddressSpace, REGION, REGION_HI_BASE, MAP_HANDLE_HI, FUNC_HANDLE_HI } from './vm/address-space.js';
export type { Region } from './vm/address-space.js';
export { Interpreter, RUN_STATUS, FRAME_STACK, STACK_REGION_SIZE } from './vm/interpreter.js';

export { ARG, RET, HELPER_CTRL, HelperRegistry, proto } from './helpers/registry.js';
export type { ArgKind, RetKind, HelperProto, HelperFn, HelperDef } from './helpers/registry.js';
export type { HelperEnv, KernelServices } from './helpers/env.js';
export { BASE_HELPERS } from './helpers/base.js';
export { CALLBACK_HELPERS, CALLBACK_LIMITS } from './helpers/callbacks.js';

export { BpfMap, NEG, FOR_EACH_FAILED, roundUp8 } from './maps/map.js';
export type { MapAttr, MapHost } from './maps/map.js';
export { ArrayMap } from './maps/array.js';
export { HashMap } from './maps/hash.js';
export { FdArrayMap, PerfEventBuffer } from './maps/fd-array.js';
export { HashOfMapsMap } from './maps/hash-of-maps.js';
export { LpmTrieMap } from './maps/lpm-trie.js';
export { RingBufMap } from './maps/ringbuf.js';

export type { BpfProg, ProgTypeOps, ProgStats } from './prog/program.js';
export { makeProgType } from './prog/prog-type.js';
export type { ProgTypeSpec } from './prog/prog-type.js';
export { progTag, progTagBytes, progTagSha1 } from './prog/tag.js';
export { sha256 } from './prog/sha256.js';
export { sha1 } from './prog/sha1.js';

export { BpfSyscall, licenseIsGplCompatible } from './syscall.js';
export type { BpfSyscallOptions, ProgLoadAttr, ProgInfo, MapInfo, ProgVerifier, VerifierRequest } from './syscall.js';
export { Cgroup, CgroupHierarchy } from './cgroup.js';
