// @tcbpf/verifier — the eBPF verifier for tc programs (Linux 6.18 model). See README.md.
export { verify, verifyOrThrow, licenseIsGplCompatible, ACCESS_MIXED } from './verifier.js';
export type { VerifyOptions, VerifyResult, StructuredRefusal, CtxAccessSite } from './verifier.js';
export { SCHED_CLS_OPS, SKB_OFF } from './prog-types/sched-cls.js';
export { ARG, RET, REG_TYPE, REG_TYPE_NAME, ACCESS, BTF_FUNC_LINKAGE } from './types.js';
export type { ProgTypeOps, HelperProto, MapDescriptor, CtxAccess, ArgKind, RetKind, RegType, FuncInfo } from './types.js';
export { decodeInsns, encodeInsn } from './insn.js';
export type { Insns } from './insn.js';
export { disasmInsn } from './disasm.js';

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['kernel/bpf/verifier.c', 'kernel/bpf/tnum.c', 'kernel/bpf/log.c', 'kernel/bpf/disasm.c', 'net/core/filter.c (tc_cls_act_is_valid_access)']);
export { rewriteCtxAccesses, CTX_SHADOW } from './rewrite.js';
