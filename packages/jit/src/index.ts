// @tcbpf/jit — the eBPF JIT of Linux 6.18 rebuilt for a JavaScript engine: eBPF
// (and classic BPF through its eBPF conversion) compiled to WebAssembly, results
// identical to the interpreter of @tcbpf/ebpf. See README.md.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze([
  'kernel/bpf/core.c (bpf_jit_enable, bpf_prog_select_runtime, tail-call limit)',
  'arch/x86/net/bpf_jit_comp.c (do_jit: what a JIT must compute)',
  'net/core/filter.c (bpf_prog_create, bpf_migrate_filter: classic programs run converted and JITed)',
]);

export { compileProgram, planLoops, countedLoopBound, FRAME0 } from './compile/compiler.js';
export { provenRegions } from './compile/facts.js';
export type { RegionRegTypes } from './compile/facts.js';
export type { JitInput, JitImage, CompileOptions, LoopPlan } from './compile/compiler.js';
export { JitRuntime } from './runtime/jit.js';
export type { JitEnable, JitFacts, JitInfo, JitRuntimeOptions } from './runtime/jit.js';
export { JitMemory } from './runtime/jit-memory.js';
export { LAYOUT, JIT_STATUS } from './runtime/layout.js';
export { ModuleBuilder, ByteWriter, OP as WASM_OP, VT as WASM_VT, BLOCK_VOID } from './wasm/module-builder.js';
export type { FuncDef, FuncType, GlobalDef } from './wasm/module-builder.js';
export type { WasmApi, WasmInstance, WasmMemory, WasmModule } from './wasm/wasm-api.js';
export { WASM } from './wasm/wasm-api.js';
export { EquivalenceRunner } from './runtime/equivalence.js';
export type { Difference, EquivalenceResult } from './runtime/equivalence.js';
export { ClassicProgram } from './runtime/classic.js';
export { ClassicJitRuntime } from './runtime/classic-runtime.js';
export { callbackFallbackReason } from './runtime/callbacks.js';
