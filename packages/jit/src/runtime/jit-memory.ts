// Models the kernel's direct map as the JIT sees it (Linux 6.18: JITed code
// dereferences real kernel addresses): the regions of @tcbpf/ebpf's AddressSpace
// placed in one WebAssembly linear memory. A region whose bytes already live in
// this memory ("resident", allocated with alloc()) is used in place; any other
// region is mirrored: copied in before a run and after every helper call, copied
// back (writable ones) after the run and before every helper call. The JIT installs
// tryAlloc() as its AddressSpace's memoryAllocator, so maps created after it keep
// their values here (resident); while the region table is unchanged a refresh only
// re-copies the mirrored regions.
import type { AddressSpace, Region } from '@tcbpf/ebpf';
import { LAYOUT } from './layout.js';
import { WASM, type WasmMemory } from '../wasm/wasm-api.js';

const PAGE = 65536;
/** Regions with a fixed index the verifier's facts can name (stack, ctx, packet). */
const FIXED_REGIONS = 3;

/** The linear memory of one JIT instance. */
export class JitMemory {
  readonly memory: WasmMemory;
  readonly bytes: Uint8Array;
  /** Int32 view over the whole memory (control block, register file, region table). */
  readonly i32: Int32Array;
  readonly #as: AddressSpace;
  readonly #residentEnd: number;
  #residentTop: number = LAYOUT.HEAP;
  readonly #mirrorRegion: (Region | undefined)[] = [];
  readonly #mirrorBase: number[] = [];
  /** Region index of each mirrored region. */
  readonly #mirrorIndex: number[] = [];
  /** The memory's ArrayBuffer (fixed: the memory never grows). */
  readonly #buffer: ArrayBufferLike;
  #mirrorCount = 0;
  /** DataView, length and writability of each region at the last refresh (records are reused on rebind). */
  readonly #seenViews: (DataView | undefined)[] = [];
  readonly #seenLens = new Int32Array(LAYOUT.MAX_REGIONS);
  readonly #seenWritable = new Uint8Array(LAYOUT.MAX_REGIONS);
  #seenCount = 0;
  #allResident = true;
  /** AddressSpace.generation at the last refresh. */
  #seenGeneration = -1;

  /**
   * @param as the address space whose regions the compiled code reaches
   * @param pages memory size in 64 KiB pages (fixed: the memory never grows, so views stay valid)
   * @param residentPages pages reserved for alloc(); the rest mirrors non-resident regions
   */
  constructor(as: AddressSpace, pages = 256, residentPages = 64) {
    this.memory = new WASM.Memory({ initial: pages, maximum: pages });
    this.#buffer = this.memory.buffer;
    this.bytes = new Uint8Array(this.#buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.#as = as;
    this.#residentEnd = Math.min(pages, residentPages) * PAGE;
  }

  /** Allocate `len` zeroed bytes inside the linear memory (8-aligned); regions bound to them need no copies. */
  alloc(len: number): Uint8Array {
    const base = (this.#residentTop + 7) & ~7;
    if (base + len > this.#residentEnd) throw new RangeError(`jit memory: resident area exhausted (${len} bytes requested)`);
    this.#residentTop = base + len;
    return new Uint8Array(this.memory.buffer, base, len);
  }

  /** Like alloc(), but null when the resident area cannot serve `len` bytes (an AddressSpace.memoryAllocator). */
  tryAlloc(len: number): Uint8Array | null {
    const base = (this.#residentTop + 7) & ~7;
    if (len < 0 || base + len > this.#residentEnd) return null;
    this.#residentTop = base + len;
    return new Uint8Array(this.memory.buffer, base, len);
  }

  /** Is `b` inside this linear memory? */
  isResident(b: Uint8Array): boolean {
    return b.buffer === this.#buffer;
  }

  /**
   * Rebuild the region table from the address space and copy mirrored regions in.
   * Returns false when the regions do not fit (too many, or mirror area full).
   */
  refresh(): boolean {
    const as = this.#as;
    // nothing bound or unbound since the last successful refresh: the table stands
    if (as.generation === this.#seenGeneration && this.#seenCount >= 0) {
      if (!this.#allResident) this.#copyIn();
      return true;
    }
    const views = as.views;
    const n = views.length;
    if (n > LAYOUT.MAX_REGIONS) return false;
    this.#seenGeneration = as.generation;
    // fast path: same regions as last time (a rebind with a new DataView, length or
    // writability differs); the table stands, only mirrored regions are copied in again
    if (n === this.#seenCount) {
      const lens = as.lens, wr = as.writable, sv = this.#seenViews, sl = this.#seenLens, sw = this.#seenWritable;
      let i = 0;
      for (; i < n; i++) if (views[i] !== sv[i] || lens[i] !== sl[i] || wr[i] !== sw[i]) break;
      if (i === n) {
        if (!this.#allResident) this.#copyIn();
        return true;
      }
      // rebound regions (ctx and packet per run): patched in place when resident before and after
      if (this.#patch(i)) {
        if (!this.#allResident) this.#copyIn();
        return true;
      }
    }
    return this.#rebuild();
  }

  /**
   * Update the table entries of the regions rebound since the last refresh, from
   * index `from` on, when every such region was and is resident (the mirror list is
   * unchanged). False (nothing changed) when a full rebuild is needed.
   */
  #patch(from: number): boolean {
    const as = this.#as;
    const views = as.views, lens = as.lens, wr = as.writable;
    const sv = this.#seenViews, sl = this.#seenLens, sw = this.#seenWritable;
    const n = this.#seenCount;
    const buf = this.#buffer;
    for (let i = from; i < n; i++) {
      if (views[i] === sv[i] && lens[i] === sl[i] && wr[i] === sw[i]) continue;
      const r = as.region(i);
      if (r === undefined || r.bytes.buffer !== buf || sv[i] === undefined || this.#mirroredIndex(i)) return false;
    }
    const T = this.i32;
    const t0 = LAYOUT.REGION_TABLE >> 2;
    let fixed = false;
    for (let i = from; i < n; i++) {
      if (views[i] === sv[i] && lens[i] === sl[i] && wr[i] === sw[i]) continue;
      const r = as.region(i)!;
      const e = t0 + i * (LAYOUT.REGION_ENTRY >> 2);
      const len = r.bytes.byteLength;
      T[e] = r.bytes.byteOffset; T[e + 1] = len; T[e + 2] = r.writable ? len : 0;
      sv[i] = views[i]; sl[i] = lens[i]!; sw[i] = wr[i]!;
      if (i < FIXED_REGIONS) fixed = true;
    }
    if (fixed) this.#fixedBounds();
    return true;
  }

  /** Was region `i` mirrored at the last rebuild? */
  #mirroredIndex(i: number): boolean {
    for (let k = 0; k < this.#mirrorCount; k++) if (this.#mirrorIndex[k] === i) return true;
    return false;
  }

  /** Copy every mirrored region into its place (the region table is unchanged). */
  #copyIn(): void {
    const bytes = this.bytes;
    for (let k = 0; k < this.#mirrorCount; k++) bytes.set(this.#mirrorRegion[k]!.bytes, this.#mirrorBase[k]);
  }

  /** refresh()'s slow path (kept out of line so the fast path stays small enough to inline). */
  #rebuild(): boolean {
    const as = this.#as;
    const n = as.views.length;
    const T = this.i32;
    const t0 = LAYOUT.REGION_TABLE >> 2;
    this.#seenCount = -1; // until the table is complete (a failed rebuild must not satisfy the fast paths)
    let cursor = this.#residentEnd;
    const limit = this.bytes.length;
    this.#mirrorCount = 0;
    let allResident = true;
    for (let i = 0; i < LAYOUT.MAX_REGIONS; i++) {
      const e = t0 + i * (LAYOUT.REGION_ENTRY >> 2);
      const r = i < n ? as.region(i) : undefined;
      this.#seenViews[i] = i < n ? as.views[i] : undefined;
      this.#seenLens[i] = i < n ? as.lens[i]! : 0;
      this.#seenWritable[i] = i < n ? as.writable[i]! : 0;
      if (r === undefined) { T[e] = 0; T[e + 1] = 0; T[e + 2] = 0; continue; }
      const len = r.bytes.byteLength;
      let base: number;
      if (r.bytes.buffer === this.#buffer) base = r.bytes.byteOffset;
      else {
        allResident = false;
        base = (cursor + 7) & ~7;
        if (base + len > limit) return false;
        cursor = base + len;
        this.bytes.set(r.bytes, base);
        this.#mirrorRegion[this.#mirrorCount] = r;
        this.#mirrorBase[this.#mirrorCount] = base;
        this.#mirrorIndex[this.#mirrorCount] = i;
        this.#mirrorCount++;
      }
      T[e] = base; T[e + 1] = len; T[e + 2] = r.writable ? len : 0;
    }
    this.#seenCount = n;
    this.#allResident = allResident;
    this.#fixedBounds();
    return true;
  }

  /** The proven-access table of the fixed regions (see LAYOUT.FIXED_BOUNDS), from their table entries. */
  #fixedBounds(): void {
    const T = this.i32;
    const t0 = LAYOUT.REGION_TABLE >> 2;
    const fb = LAYOUT.FIXED_BOUNDS >> 2;
    for (let r = 0; r < FIXED_REGIONS; r++) {
      const e = t0 + r * (LAYOUT.REGION_ENTRY >> 2);
      const len = T[e + 1]!, wlen = T[e + 2]!;
      T[fb + ((r << 5) | (15 << 1) | 1)] = T[e]!;
      for (let size = 1; size <= 8; size <<= 1) {
        T[fb + ((r << 5) | (size << 1))] = len >= size ? len - size + 1 : 0;
        T[fb + ((r << 5) | (size << 1) | 1)] = wlen >= size ? wlen - size + 1 : 0;
      }
    }
  }

  /** Are some regions mirrored (copied) rather than resident? */
  get mirrored(): boolean {
    return this.#mirrorCount > 0;
  }

  /** Copy writable mirrored regions back to their owners' bytes. */
  syncOut(): void {
    for (let k = 0; k < this.#mirrorCount; k++) {
      const r = this.#mirrorRegion[k]!;
      if (!r.writable) continue;
      const base = this.#mirrorBase[k]!;
      r.bytes.set(this.bytes.subarray(base, base + r.bytes.byteLength));
    }
  }
}
