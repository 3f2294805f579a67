// @tcbpf/bpf-skb — see README.md. Linux 6.18 is the modelled kernel.
// This half: the ELF loader for clang-built BPF objects (libbpf's and tc's
// conventions) and tc's bpffs pinning namespace.

/** Kernel and tool sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze([
  'tools/lib/bpf/libbpf.c (ELF loading: sections, programs, relocations, maps, global data)',
  'tools/lib/bpf/btf.c (BTF parsing for BTF-defined maps)',
  'iproute2 lib/bpf_legacy.c, include/bpf_elf.h (legacy maps section, tail-call sections, pinning)',
  'kernel/bpf/inode.c (bpffs pin namespace)',
  'net/core/filter.c (tc helpers, bpf_fib_lookup, bpf_check_mtu, bpf_get_hash_recalc, tunnel options, bpf_skb_set_tstamp)',
  'kernel/bpf/syscall.c (BPF_MAP_FREEZE)',
]);

export { loadElfObject, objectNameOf } from './elf/bpf-object.js';
export type { BpfObject, BpfProgramSpec, BpfMapReloc, BpfSubprogram, LoadElfOptions } from './elf/bpf-object.js';
export type { BpfMapSpec, BpfMapInitSlot, BpfMapSource } from './elf/maps.js';
export { internalMapName } from './elf/maps.js';
export { Btf, btfKindName, parseBtfExt } from './elf/btf.js';
export type { BtfType, BtfMember, BtfVarSecinfo, BtfExtSummary } from './elf/btf.js';
export { ElfFile } from './elf/elf-file.js';
export type { ElfSection, ElfSymbol, ElfRel } from './elf/elf-file.js';
export { SEC_DEFS, SEC_ATTACH_TYPE, secInfo } from './elf/sec-def.js';
export type { SecDef, SecInfo } from './elf/sec-def.js';
export { BpfFs, tcPinPath, planPins } from './elf/bpffs.js';
export type { BpfFsEntry, PinnedMapShape, PinOptions, PinPlan } from './elf/bpffs.js';
export { selectProgram } from './elf/select.js';
export type { ProgramSelector } from './elf/select.js';
export { SkBuffCtx, SKB_CTX_REGION_SIZE, SKB_OFF } from './sk-buff-ctx.js';
export { SkbRunState } from './skb-run-state.js';
export type { CloneRedirectSink, TunnelInfo } from './skb-run-state.js';
export { TC_HELPERS, SKB_HELPER_FLAG } from './helpers/tc-helpers.js';
export { SCHED_CLS, SCHED_ACT, implementedTcHelpers, tcBpfSyscall, loadTcProgram } from './sched-cls.js';
export type { TcProgLoadAttr, TcProgLoadResult } from './sched-cls.js';
export { TcTestRunner, TEST_RUN_MAX_DATA } from './test-run.js';
export type { TestRunAttr, TestRunResult, TcTestRunnerOptions } from './test-run.js';
export { instantiateObject, objectFuncInfo } from './object-loader.js';
export type { InstantiateOptions, LoadedObject } from './object-loader.js';
export { TcBpfSyscall } from './frozen-maps.js';
