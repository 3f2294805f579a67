// A minimal WebAssembly binary writer (no kernel counterpart; it plays the role of
// arch/x86/net/bpf_jit_comp.c's emit_code() buffer in Linux 6.18): LEB128 encoders,
// a growable byte buffer for function bodies and a module assembler for the sections
// the JIT needs (type, import, function, global, export, code). Memory is always
// imported (one shared linear memory per JIT instance).

/** Wasm value types. */
export const VT = Object.freeze({ I32: 0x7f, I64: 0x7e } as const);

/** Opcodes the JIT emits (WebAssembly core 2.0 numbering). */
export const OP = Object.freeze({
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  br_table: 0x0e, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const);

/** Block type "no result". */
export const BLOCK_VOID = 0x40;

/** A growable byte buffer with LEB128 writers. */
export class ByteWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  /** Append one byte. */
  u8(b: number): this {
    if (this.#len === this.#buf.length) {
      const n = new Uint8Array(this.#buf.length * 2);
      n.set(this.#buf);
      this.#buf = n;
    }
    this.#buf[this.#len++] = b & 0xff;
    return this;
  }

  /** Append bytes. */
  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.u8(bs[i]!);
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  uleb(v: number): this {
    let x = v >>> 0;
    for (;;) {
      const b = x & 0x7f;
      x >>>= 7;
      if (x === 0) return this.u8(b);
      this.u8(b | 0x80);
    }
  }

  /** Signed LEB128 of an int32. */
  sleb32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) return this.u8(b);
      this.u8(b | 0x80);
    }
  }

  /** Signed LEB128 of a 64-bit value given as int32 halves (compile time only). */
  sleb64(lo: number, hi: number): this {
    let l = lo | 0, h = hi | 0;
    for (;;) {
      const b = l & 0x7f;
      // arithmetic shift right by 7 across the pair
      l = (l >>> 7) | (h << 25);
      h >>= 7;
      const done = (h === 0 && l === 0 && (b & 0x40) === 0) || (h === -1 && l === -1 && (b & 0x40) !== 0);
      if (done) return this.u8(b);
      this.u8(b | 0x80);
    }
  }

  /** A name (length-prefixed UTF-8; ASCII only here). */
  name(s: string): this {
    this.uleb(s.length);
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i));
    return this;
  }

  /** Append another writer's bytes prefixed by their length. */
  sized(w: ByteWriter): this {
    this.uleb(w.length);
    return this.bytes(w.toBytes());
  }

  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** A function type. */
export interface FuncType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

/** A function defined in the module. */
export interface FuncDef {
  readonly type: number;
  /** Extra locals beyond the parameters, in order. */
  readonly locals: readonly number[];
  /** The body's instruction bytes, including the final `end`. */
  readonly body: Uint8Array;
}

/** A mutable global defined in the module. */
export interface GlobalDef {
  readonly type: number;
}

/**
 * Assembles one module: imported memory `env.mem`, imported functions, defined
 * functions, mutable zero-initialised globals and function exports.
 */
export class ModuleBuilder {
  readonly #types: FuncType[] = [];
  readonly #imports: { module: string; name: string; type: number }[] = [];
  readonly #funcs: FuncDef[] = [];
  readonly #globals: GlobalDef[] = [];
  readonly #exports: { name: string; func: number }[] = [];

  /** Index of a function type (deduplicated). */
  type(params: readonly number[], results: readonly number[]): number {
    const key = `${params.join(',')}>${results.join(',')}`;
    const i = this.#types.findIndex((t) => `${t.params.join(',')}>${t.results.join(',')}` === key);
    if (i >= 0) return i;
    this.#types.push({ params: [...params], results: [...results] });
    return this.#types.length - 1;
  }

  /** Import a function; returns its function index. Imports must precede definitions. */
  importFunc(module: string, name: string, type: number): number {
    if (this.#funcs.length > 0) throw new Error('imports must be declared before functions');
    this.#imports.push({ module, name, type });
    return this.#imports.length - 1;
  }

  /** Reserve the index of the next defined function. */
  nextFuncIndex(): number {
    return this.#imports.length + this.#funcs.length;
  }

  /** Define a function; returns its index. */
  func(def: FuncDef): number {
    this.#funcs.push(def);
    return this.#imports.length + this.#funcs.length - 1;
  }

  /** Define a mutable global (initialised to 0); returns its index. */
  global(type: number): number {
    this.#globals.push({ type });
    return this.#globals.length - 1;
  }

  exportFunc(name: string, func: number): void {
    this.#exports.push({ name, func });
  }

  /** The module binary. */
  build(): Uint8Array {
    const out = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, w: ByteWriter): void => {
      out.u8(id).sized(w);
    };
    const types = new ByteWriter().uleb(this.#types.length);
    for (const t of this.#types) {
      types.u8(0x60).uleb(t.params.length).bytes(t.params).uleb(t.results.length).bytes(t.results);
    }
    section(1, types);
    const imps = new ByteWriter().uleb(this.#imports.length + 1);
    imps.name('env').name('mem').u8(0x02).u8(0x00).uleb(1); // memory, min 1 page, no max
    for (const im of this.#imports) imps.name(im.module).name(im.name).u8(0x00).uleb(im.type);
    section(2, imps);
    const fns = new ByteWriter().uleb(this.#funcs.length);
    for (const f of this.#funcs) fns.uleb(f.type);
    section(3, fns);
    if (this.#globals.length > 0) {
      const gs = new ByteWriter().uleb(this.#globals.length);
      for (const g of this.#globals) {
        gs.u8(g.type).u8(0x01);
        if (g.type === VT.I64) gs.u8(OP.i64_const).u8(0); else gs.u8(OP.i32_const).u8(0);
        gs.u8(OP.end);
      }
      section(6, gs);
    }
    const ex = new ByteWriter().uleb(this.#exports.length);
    for (const e of this.#exports) ex.name(e.name).u8(0x00).uleb(e.func);
    section(7, ex);
    const code = new ByteWriter().uleb(this.#funcs.length);
    for (const f of this.#funcs) {
      const body = new ByteWriter();
      // run-length encode the locals
      const groups: [number, number][] = [];
      for (const l of f.locals) {
        const last = groups[groups.length - 1];
        if (last !== undefined && last[1] === l) last[0]++; else groups.push([1, l]);
      }
      body.uleb(groups.length);
      for (const [n, t] of groups) body.uleb(n).u8(t);
      body.bytes(f.body);
      code.sized(body);
    }
    section(10, code);
    return out.toBytes();
  }
}
