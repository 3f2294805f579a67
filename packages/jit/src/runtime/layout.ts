// Models the JIT's view of the BPF address space (Linux 6.18 kernel/bpf/core.c runs
// JITed code on real kernel addresses; here every region of @tcbpf/ebpf's
// AddressSpace is placed in one WebAssembly linear memory): fixed addresses of the
// control block, the register file and the region table shared by the compiled
// modules and the runtime.

/** Byte addresses in the linear memory. */
export const LAYOUT = Object.freeze({
  /** i32: run status (RUN_STATUS, or JIT_STATUS.LD_ABS_EXIT while unwinding). */
  STATUS: 0,
  /** i32: current bpf-to-bpf call depth (0 = main frame). */
  DEPTH: 4,
  /** i32: instruction index of the fault (-1 = none). */
  FAULT_PC: 8,
  /** i64: loop budget a run starts with. */
  BUDGET: 16,
  /** R0..R10 as little-endian i64 (lo word at +0, hi word at +4). */
  REGS: 64,
  /** Region table: MAX_REGIONS entries of {base i32, len i32, writable len i32, pad}. */
  REGION_TABLE: 256,
  /** Bytes per region-table entry (log2 = 4). */
  REGION_ENTRY: 16,
  /** Region slots the compiled code can address. */
  MAX_REGIONS: 256,
  /**
   * Proven-access table, rebuilt with the region table: for the fixed regions
   * (stack, ctx, packet) one u32 per key (region << 5 | size << 1 | write):
   * max(len - size + 1, 0) with the readable (write 0) or writable (write 1)
   * length, and the region's linear base at size 15.
   */
  FIXED_BOUNDS: 4352,
  /** First byte of the allocation heap (resident regions, then the mirror area). */
  HEAP: 8192,
} as const);

/** Internal status codes beyond RUN_STATUS. */
export const JIT_STATUS = Object.freeze({
  /** A failed LD_ABS/LD_IND: unwind every frame, the run ends OK with R0 = 0. */
  LD_ABS_EXIT: 64,
} as const);
