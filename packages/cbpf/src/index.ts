// @tcbpf/cbpf — classic BPF for Linux 6.18: the sock_filter encoding, the
// load-time checker, an interpreter and a compiler to JavaScript with the
// kernel's run-time semantics (including ancillary loads), tc/tcpdump/bpf_asm
// text formats and the classic-to-eBPF conversion. See README.md.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze([
  'include/uapi/linux/filter.h',
  'net/core/filter.c (bpf_check_classic, check_load_and_stores, ancillary loads, bpf_convert_filter)',
  'net/core/flow_dissector.c (skb_get_poff)',
  'tools/bpf/bpf_exp.y (bpf_asm syntax)',
]);

export type { SockFilter } from './sock-filter.js';
export { insn, stmt, jump, encodeSockFilters, decodeSockFilters } from './sock-filter.js';
export { CLASSIC_OPCODES, OP, isClassicOpcode, ancK, ancillaryOffset } from './opcodes.js';
export { checkClassic } from './checker.js';
export type { ClassicSkb, ClassicEnv } from './context.js';
export { ancillaryLoad, loadPacket, skbGetNlattr, skbGetNlattrNest, vlanAll } from './ancillary.js';
export { skbGetPoff } from './flow-dissector.js';
export { predecode, interpret } from './interpreter.js';
export { compileClassic, classicToJsSource, classicFastPathLength } from './jit.js';
export type { CompiledClassic, ClassicJsOptions } from './jit.js';
export { ClassicFilter } from './classic-filter.js';
export type { ClassicFilterOptions } from './classic-filter.js';
export { parseBytecode, parseBytecodeFile, bytecodeFileToString, formatBytecode } from './bytecode.js';
export { disassemble, disassembleInsn, formatDdd, formatDd, parseDdd } from './tcpdump-format.js';
export { assemble } from './asm.js';
export { convertClassic, encodeBpfInsns, CLASSIC_CTX, CLASSIC_DEV, CLASSIC_CALL } from './convert.js';
export type { BpfInsn, ConvertedClassic } from './convert.js';
