// Models the memory a BPF program can reach in Linux 6.18 (kernel/bpf/core.c
// interpreter: stack frames, ctx, packet, map values) as a simulated address
// space: each region has its own 64-bit base, so pointers are plain numbers
// (hi:lo uint32 halves) and every access is bounds-checked against its region.
// Address layout: hi = REGION_HI_BASE + region index, lo = byte offset.
// A pointer whose hi does not name a live region, or an access that leaves the
// region, is a fault: the interpreter ends the run with RUN_STATUS.FAULT.

/** hi word of region 0 (looks like the kernel's direct map, 0xffff8880_…). */
export const REGION_HI_BASE = 0xffff8880 | 0;
/** hi word of map handles (LD_IMM64 BPF_PSEUDO_MAP_FD values; not dereferenceable). */
export const MAP_HANDLE_HI = 0xffff9000 | 0;
/** hi word of BPF_PSEUDO_FUNC values (callback pointers); lo = instruction index. */
export const FUNC_HANDLE_HI = 0xffffa000 | 0;

/** Fixed region indices. */
export const REGION = Object.freeze({ STACK: 0, CTX: 1, PACKET: 2, FIRST_DYNAMIC: 3 } as const);

/** One addressable region. */
export interface Region {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Human-readable owner, e.g. `stack`, `ctx`, `map 3 values`. */
  readonly name: string;
  readonly writable: boolean;
}

interface MutableRegion {
  bytes: Uint8Array;
  view: DataView;
  name: string;
  writable: boolean;
}

/**
 * The address space of one BPF "kernel" instance. Regions 0..2 (stack, ctx,
 * packet) are rebound per run; maps register their value storage once.
 */
export class AddressSpace {
  /** Region views by index (hot path reads these directly). */
  readonly views: (DataView | undefined)[] = [];
  /** Region byte lengths by index (0 = unmapped). */
  lens = new Int32Array(16);
  /** Region writability by index (1 = writable). */
  writable = new Uint8Array(16);
  /**
   * Bumped by every bind and unbind: a consumer that saw the same value has seen the
   * same regions (a JIT skips re-reading its region table).
   */
  generation = 0;
  readonly #regions: (MutableRegion | undefined)[] = [];
  /** Region records kept per index so rebinding (per packet) allocates nothing. */
  readonly #records: (MutableRegion | undefined)[] = [];
  readonly #free: number[] = [];
  /**
   * Where long-lived region storage (map values) comes from: a JIT installs one
   * handing out bytes inside its linear memory, so its compiled code reaches them
   * in place instead of mirroring them. Returns null when it cannot serve `len`
   * bytes (the caller then gets a plain array). Unset: plain Uint8Arrays.
   */
  memoryAllocator: ((len: number) => Uint8Array | null) | undefined = undefined;

  constructor() {
    for (let i = 0; i < REGION.FIRST_DYNAMIC; i++) {
      this.#regions.push(undefined);
      this.#records.push(undefined);
      this.views.push(undefined);
    }
  }

  /**
   * Bind a fixed or dynamic region index to bytes. Per-packet callers pass the
   * `view` they keep beside the bytes: rebinding an index then allocates nothing.
   */
  bind(index: number, name: string, bytes: Uint8Array, writable = true, view?: DataView): void {
    this.#grow(index + 1);
    const v = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let rec = this.#records[index];
    if (rec === undefined) {
      rec = { bytes, view: v, name, writable };
      this.#records[index] = rec;
    } else {
      rec.bytes = bytes;
      rec.view = v;
      rec.name = name;
      rec.writable = writable;
    }
    this.#regions[index] = rec;
    this.generation = (this.generation + 1) | 0;
    this.views[index] = v;
    this.lens[index] = bytes.byteLength;
    this.writable[index] = writable ? 1 : 0;
  }

  /**
   * `len` zeroed bytes for region storage: from {@link memoryAllocator} when one is
   * installed and can serve it, else a new Uint8Array. The result may be a view into
   * a larger buffer: build DataViews with its byteOffset and byteLength.
   */
  alloc(len: number): Uint8Array {
    const a = this.memoryAllocator;
    if (a !== undefined) {
      const b = a(len);
      if (b !== null) return b;
    }
    return new Uint8Array(len);
  }

  /** Unbind a region: later accesses through old pointers fault. */
  unbind(index: number): void {
    this.#regions[index] = undefined;
    this.generation = (this.generation + 1) | 0;
    this.views[index] = undefined;
    if (index < this.lens.length) {
      this.lens[index] = 0;
      this.writable[index] = 0;
    }
  }

  /** Register a new dynamic region; returns its index. */
  add(name: string, bytes: Uint8Array, writable = true): number {
    const index = this.#free.pop() ?? Math.max(this.#regions.length, REGION.FIRST_DYNAMIC);
    this.bind(index, name, bytes, writable);
    return index;
  }

  /** Release a dynamic region index for reuse. */
  remove(index: number): void {
    if (index < REGION.FIRST_DYNAMIC) return;
    this.unbind(index);
    this.#free.push(index);
  }

  region(index: number): Region | undefined {
    return this.#regions[index];
  }

  /** Number of region slots (some may be unbound). */
  get count(): number {
    return this.#regions.length;
  }

  /** hi word of addresses in region `index`. */
  static hiOf(index: number): number {
    return (REGION_HI_BASE + index) | 0;
  }

  /** Region index of an address hi word, or -1. */
  indexOf(hi: number): number {
    const idx = (hi - REGION_HI_BASE) | 0;
    return idx >= 0 && idx < this.#regions.length && this.#regions[idx] !== undefined ? idx : -1;
  }

  /**
   * Resolve [hi:lo, +size) to a (region, offset) pair, or undefined when the
   * range is not inside one region. For helpers (control-ish paths).
   */
  resolve(hi: number, lo: number, size: number): { region: Region; offset: number } | undefined {
    const idx = this.indexOf(hi);
    if (idx < 0) return undefined;
    const r = this.#regions[idx]!;
    const off = lo >>> 0;
    if (size < 0 || off + size > r.bytes.byteLength) return undefined;
    return { region: r, offset: off };
  }

  #grow(n: number): void {
    while (this.#regions.length < n) {
      this.#regions.push(undefined);
      this.#records.push(undefined);
      this.views.push(undefined);
    }
    if (this.lens.length < n) {
      const len = Math.max(n, this.lens.length * 2);
      const l = new Int32Array(len);
      l.set(this.lens);
      this.lens = l;
      const w = new Uint8Array(len);
      w.set(this.writable);
      this.writable = w;
    }
  }
}
