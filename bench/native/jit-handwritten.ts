// Hand-written WebAssembly for the JIT benchmark (the practical limit for the same
// work): a parse-and-classify function and a 16-bit checksum loop, written directly
// as Wasm instructions with @tcbpf/jit's module builder (the .wat equivalent is in
// the comments). Both read the packet from the shared linear memory at (ptr, end),
// with the same bounds checks the BPF programs make.
import { BLOCK_VOID, ByteWriter, ModuleBuilder, WASM, WASM_OP as OP, WASM_VT as VT, type WasmMemory } from '@tcbpf/jit';

const I32 = VT.I32, I64 = VT.I64;

/** Instantiate both functions over `memory`: parse(ptr, end) and csum(ptr, end). */
export function handWritten(memory: WasmMemory): { parse: (ptr: number, end: number) => number; csum: (ptr: number, end: number) => number } {
  const mb = new ModuleBuilder();
  const t = mb.type([I32, I32], [I32]);
  // parse: locals 2 eth, 3 l3, 4 proto, 5 l4, 6 dport
  const w = new ByteWriter();
  const get = (l: number): ByteWriter => w.u8(OP.local_get).uleb(l);
  const set = (l: number): ByteWriter => w.u8(OP.local_set).uleb(l);
  const c = (v: number): ByteWriter => w.u8(OP.i32_const).sleb32(v);
  const ret0IfPast = (base: number, n: number): void => { // if (base + n > end) return 0
    get(base); c(n); w.u8(OP.i32_add); get(1); w.u8(OP.i32_gt_u); w.u8(OP.if).u8(BLOCK_VOID); c(0); w.u8(OP.return); w.u8(OP.end);
  };
  ret0IfPast(0, 14);
  get(0); w.u8(OP.i32_load16_u).uleb(0).uleb(12); set(2);
  get(0); c(14); w.u8(OP.i32_add); set(3);
  get(2); c(0x0081); w.u8(OP.i32_eq); w.u8(OP.if).u8(BLOCK_VOID);
  ret0IfPast(0, 18);
  get(0); w.u8(OP.i32_load16_u).uleb(0).uleb(16); set(2);
  get(0); c(18); w.u8(OP.i32_add); set(3);
  w.u8(OP.end);
  get(2); c(0x0008); w.u8(OP.i32_eq); w.u8(OP.if).u8(BLOCK_VOID);
  ret0IfPast(3, 20);
  get(3); w.u8(OP.i32_load8_u).uleb(0).uleb(9); set(4);
  get(3); get(3); w.u8(OP.i32_load8_u).uleb(0).uleb(0); c(15); w.u8(OP.i32_and); c(2); w.u8(OP.i32_shl); w.u8(OP.i32_add); set(5);
  w.u8(OP.else);
  get(2); c(0xdd86); w.u8(OP.i32_ne); w.u8(OP.if).u8(BLOCK_VOID); c(0); w.u8(OP.return); w.u8(OP.end);
  ret0IfPast(3, 40);
  get(3); w.u8(OP.i32_load8_u).uleb(0).uleb(6); set(4);
  get(3); c(40); w.u8(OP.i32_add); set(5);
  w.u8(OP.end);
  get(4); c(6); w.u8(OP.i32_ne); get(4); c(17); w.u8(OP.i32_ne); w.u8(OP.i32_and); w.u8(OP.if).u8(BLOCK_VOID); c(0); w.u8(OP.return); w.u8(OP.end);
  ret0IfPast(5, 4);
  // dport = bswap16(load16(l4 + 2))
  get(5); w.u8(OP.i32_load16_u).uleb(0).uleb(2); w.u8(OP.local_tee).uleb(6); c(8); w.u8(OP.i32_shl); get(6); c(8); w.u8(OP.i32_shr_u); w.u8(OP.i32_or); c(0xffff); w.u8(OP.i32_and); set(6);
  for (const [port, cls] of [[80, 0x10001], [443, 0x10002], [22, 0x10003]] as const) {
    get(6); c(port); w.u8(OP.i32_eq); w.u8(OP.if).u8(BLOCK_VOID); c(cls); w.u8(OP.return); w.u8(OP.end);
  }
  get(6); c(0xff); w.u8(OP.i32_and); c(0x10000); w.u8(OP.i32_add); w.u8(OP.end);
  const parse = mb.func({ type: t, locals: [I32, I32, I32, I32, I32], body: w.toBytes() });
  // csum: locals 2 i (i32), 3 sum (i64)
  const k = new ByteWriter();
  const kg = (l: number): ByteWriter => k.u8(OP.local_get).uleb(l);
  const ks = (l: number): ByteWriter => k.u8(OP.local_set).uleb(l);
  k.u8(OP.block).u8(BLOCK_VOID).u8(OP.loop).u8(BLOCK_VOID);
  kg(0); k.u8(OP.i32_const).sleb32(2); k.u8(OP.i32_add); kg(1); k.u8(OP.i32_gt_u); k.u8(OP.br_if).uleb(1);
  kg(3); kg(0); k.u8(OP.i64_load16_u).uleb(0).uleb(0); k.u8(OP.i64_add); ks(3);
  kg(0); k.u8(OP.i32_const).sleb32(2); k.u8(OP.i32_add); ks(0);
  kg(2); k.u8(OP.i32_const).sleb32(1); k.u8(OP.i32_add); k.u8(OP.local_tee).uleb(2); k.u8(OP.i32_const).sleb32(1000); k.u8(OP.i32_lt_u); k.u8(OP.br_if).uleb(0);
  k.u8(OP.end).u8(OP.end);
  for (let f = 0; f < 2; f++) { // sum = (sum & 0xffff) + (sum >> 16)
    kg(3); k.u8(OP.i64_const).sleb64(0xffff, 0); k.u8(OP.i64_and); kg(3); k.u8(OP.i64_const).sleb64(16, 0); k.u8(OP.i64_shr_u); k.u8(OP.i64_add); ks(3);
  }
  kg(3); k.u8(OP.i32_wrap_i64); k.u8(OP.end);
  const csum = mb.func({ type: t, locals: [I32, I64], body: k.toBytes() });
  mb.exportFunc('parse', parse);
  mb.exportFunc('csum', csum);
  const inst = new WASM.Instance(new WASM.Module(mb.build()), { env: { mem: memory } });
  return { parse: inst.exports['parse'] as (p: number, e: number) => number, csum: inst.exports['csum'] as (p: number, e: number) => number };
}
