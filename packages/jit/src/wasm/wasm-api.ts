// The part of the WebAssembly JavaScript API the JIT uses, typed locally
// (@types/node 20 does not declare the WebAssembly globals and the shared
// tsconfig has no DOM lib). No kernel counterpart.

/** A compiled module. */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** An instance's exports. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** Constructors of the WebAssembly namespace used here. */
export interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  readonly Memory: new (desc: { initial: number; maximum?: number }) => WasmMemory;
}

/** The engine's WebAssembly namespace (Node >= 20). */
export const WASM: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
