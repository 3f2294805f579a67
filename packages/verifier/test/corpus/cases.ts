// The verifier corpus: hand-written refusals of bpf-vm.md §3.4, accepted
// counterparts, and generated variants (context access matrix, reserved
// fields, shifts, packet range proofs, stack and map value bounds).
// Program bytes are built here; the kernel's verdicts live in
// ../fixtures/kernel-verdicts.json (regenerate: gen-fixtures.ts).
import {
  ADD, AND, ARSH, DIV, I, type Ins, JEQ, JGE, JGT, JLE, JLT, JNE, LSH, MOD, RSH, SUB, SZ, XOR, add, addr, alu, alu32, alur, and, call, callLocal, exit, ja,
  jmp, jmpr, ld64, ldmap, ldmapval, ldx, mov, movr, prog, st, stx,
} from '../asm.js';

/** A map the case needs (index = fd used in LD_IMM64). */
export interface CaseMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

/** One corpus program. */
export interface Case {
  readonly name: string;
  readonly insns: Uint8Array;
  readonly maps?: readonly CaseMap[];
  readonly license?: string;
  readonly flags?: number;
}

const ARRAY8: CaseMap = { type: 2, keySize: 4, valueSize: 8, maxEntries: 1 };
const ARRAY64: CaseMap = { type: 2, keySize: 4, valueSize: 64, maxEntries: 4 };
const HASH8: CaseMap = { type: 1, keySize: 4, valueSize: 8, maxEntries: 16 };
const PROGS: CaseMap = { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 };
const RINGBUF: CaseMap = { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 };

const ret0: Ins[] = [mov(0, 0), exit()];
const pktSetup = (k: number): Ins[] => [ldx(SZ.W, 2, 1, 76), ldx(SZ.W, 3, 1, 80), movr(4, 2), add(4, k)];
const lookup = (fd: number): Ins[] => [st(SZ.W, 10, -4, 0), movr(2, 10), add(2, -4), ...ldmap(1, fd), call(1)];

function c(name: string, ins: (Ins | Ins[])[], extra: Omit<Case, 'name' | 'insns'> = {}): Case {
  return { name, insns: prog(...ins), ...extra };
}

/** §3.4 refusals and the accepted counterparts. */
function handWritten(): Case[] {
  const out: Case[] = [
    c('r0-not-set', [exit()]),
    c('read-r5', [movr(0, 5), exit()]),
    c('r1-after-call', [call(5), movr(0, 1), exit()]),
    c('no-exit', [mov(0, 0)]),
    c('jump-past-end', [ja(5), exit()]),
    c('unreachable', [mov(0, 0), exit(), mov(0, 1), exit()]),
    c('infinite-loop', [mov(0, 0), jmp(JEQ, 0, 0, -1), exit()]),
    c('too-large-skb-len-loop', [ldx(SZ.W, 2, 1, 0), alu(SUB, 2, 1), jmp(JNE, 2, 0, -2), ...ret0]),
    c('stack-520', [st(SZ.DW, 10, -520, 0), ...ret0]),
    c('stack-0', [st(SZ.DW, 10, 0, 0), ...ret0]),
    c('stack-misaligned', [st(SZ.DW, 10, -16, 0), ldx(SZ.DW, 0, 10, -12), exit()]),
    c('stack-var-off', [ldx(SZ.W, 3, 1, 0), movr(2, 10), addr(2, 3), st(SZ.DW, 2, -8, 0), ...ret0]),
    c('fp-write', [mov(10, 0), ...ret0]),
    c('r11', [mov(11, 0), ...ret0]),
    c('pkt-no-check', [ldx(SZ.W, 2, 1, 76), ldx(SZ.W, 0, 2, 0), exit()]),
    c('pkt-meta-no-check', [ldx(SZ.W, 2, 1, 140), ldx(SZ.W, 0, 2, 0), exit()]),
    c('pkt-unbounded-add', [movr(6, 1), call(5), ldx(SZ.W, 2, 6, 76), addr(2, 0), ...ret0]),
    c('pkt-end-deref', [ldx(SZ.W, 3, 1, 80), ldx(SZ.W, 0, 3, 0), exit()]),
    c('pkt-end-arith', [ldx(SZ.W, 3, 1, 80), alu(SUB, 3, 4), ...ret0]),
    c('pkt-after-store-bytes', [movr(6, 1), ...pktSetup(8), jmpr(JGT, 4, 3, 8), movr(7, 2), st(SZ.DW, 10, -8, 0), movr(1, 6), mov(2, 0), movr(3, 10), add(3, -8), mov(4, 4), mov(5, 0), call(9), ldx(SZ.B, 0, 7, 0), exit(), ...ret0]),
    c('pkt-after-load-bytes-ok', [movr(6, 1), ...pktSetup(8), jmpr(JGT, 4, 3, 8), movr(7, 2), movr(1, 6), mov(2, 0), movr(3, 10), add(3, -8), mov(4, 4), call(26), ldx(SZ.B, 0, 7, 0), exit(), ...ret0]),
    c('pkt-strict-misaligned', [...pktSetup(8), jmpr(JGT, 4, 3, 2), ldx(SZ.W, 0, 2, 1), exit(), ...ret0], { flags: 1 }),
    c('pkt-strict-aligned', [...pktSetup(8), jmpr(JGT, 4, 3, 2), ldx(SZ.W, 0, 2, 2), exit(), ...ret0], { flags: 1 }),
    c('ctx-400', [ldx(SZ.W, 0, 1, 400), exit()]),
    c('ctx-write-len', [mov(2, 0), stx(SZ.W, 1, 2, 0), ...ret0]),
    c('ctx-unaligned', [ldx(SZ.W, 0, 1, 2), exit()]),
    c('ctx-data-8', [ldx(SZ.DW, 0, 1, 76), exit()]),
    c('ctx-modified', [add(1, 4), ldx(SZ.W, 0, 1, 0), exit()]),
    c('atomic-ctx', [mov(2, 1), I(0xc3, 1, 2, 8, 0), ...ret0]),
    c('atomic-pkt', [...pktSetup(8), jmpr(JGT, 4, 3, 2), mov(5, 1), I(0xc3, 2, 5, 0, 0), ...ret0]),
    c('map-no-null-check', [...lookup(0), ldx(SZ.DW, 0, 0, 0), exit()], { maps: [ARRAY8] }),
    c('map-null-checked', [...lookup(0), jmp(JEQ, 0, 0, 1), ldx(SZ.DW, 0, 0, 0), exit()], { maps: [ARRAY8] }),
    c('map-value-oob', [...lookup(0), jmp(JEQ, 0, 0, 1), ldx(SZ.DW, 0, 0, 8), exit()], { maps: [ARRAY8] }),
    c('map-value-masked-127', [...lookup(0), jmp(JEQ, 0, 0, 5), movr(6, 0), call(7), and(0, 127), addr(6, 0), ldx(SZ.B, 0, 6, 0), exit()], { maps: [ARRAY64] }),
    c('map-value-masked-63', [...lookup(0), jmp(JEQ, 0, 0, 5), movr(6, 0), call(7), and(0, 63), addr(6, 0), ldx(SZ.B, 0, 6, 0), exit()], { maps: [ARRAY64] }),
    c('map-value-unbounded', [...lookup(0), jmp(JEQ, 0, 0, 4), movr(6, 0), call(5), addr(6, 0), ldx(SZ.B, 0, 6, 0), exit()], { maps: [ARRAY64] }),
    c('null-deref', [mov(1, 0), ldx(SZ.W, 0, 1, 0), exit()]),
    c('lookup-scalar-map', [mov(1, 0), mov(2, 0), call(1), ...ret0]),
    c('call-10000', [call(10000), ...ret0]),
    c('call-probe-read', [call(4), ...ret0]),
    c('trace-printk-proprietary', [st(SZ.W, 10, -4, 0x6968), movr(1, 10), add(1, -4), mov(2, 4), call(6), ...ret0], { license: 'Proprietary' }),
    c('trace-printk-gpl', [st(SZ.W, 10, -4, 0x6968), movr(1, 10), add(1, -4), mov(2, 4), call(6), ...ret0]),
    c('tail-call-hash', [...ldmap(2, 0), mov(3, 0), call(12), ...ret0], { maps: [HASH8] }),
    c('tail-call-ok', [...ldmap(2, 0), mov(3, 0), call(12), ...ret0], { maps: [PROGS] }),
    c('load-bytes-neg-len', [mov(2, 0), movr(3, 10), add(3, -8), mov(4, -1), call(26), ...ret0]),
    c('load-bytes-16-into-8', [mov(2, 0), movr(3, 10), add(3, -8), mov(4, 16), call(26), ...ret0]),
    c('load-bytes-ok', [mov(2, 0), movr(3, 10), add(3, -8), mov(4, 8), call(26), ldx(SZ.DW, 0, 10, -8), exit()]),
    c('div-by-zero', [mov(0, 1), alu(DIV, 0, 0), exit()]),
    c('mod-by-zero', [mov(0, 1), alu(MOD, 0, 0), exit()]),
    c('sdiv-by-zero', [mov(0, 1), I(0x37, 0, 0, 1, 0), exit()]),
    c('shift-64', [mov(0, 1), alu(LSH, 0, 64), exit()]),
    c('shift32-32', [mov(0, 1), alu32(LSH, 0, 32), exit()]),
    c('shift-neg', [mov(0, 1), alu(LSH, 0, -1), exit()]),
    c('arsh-64', [mov(0, 1), alu(ARSH, 0, 64), exit()]),
    c('op-ff', [I(0xff), ...ret0]),
    c('op-e7', [I(0xe7), ...ret0]),
    c('op-99', [I(0x99), ...ret0]),
    c('op-8d-callx', [I(0x8d), ...ret0]),
    c('op-38-lddw-abs', [I(0x38), ...ret0]),
    c('alu-x-imm', [mov(0, 0), I(0x0f, 0, 1, 0, 1), exit()]),
    c('atomic-77', [st(SZ.DW, 10, -8, 0), mov(1, 1), I(0xdb, 10, 1, -8, 0x77), ...ret0]),
    c('atomic-byte', [st(SZ.DW, 10, -8, 0), mov(1, 1), I(0xd3, 10, 1, -8, 0), ...ret0]),
    c('atomic-stack-ok', [st(SZ.DW, 10, -8, 0), mov(1, 1), I(0xdb, 10, 1, -8, 0x01), ...ret0]),
    c('ldimm64-src7', [I(0x18, 0, 7, 0, 1), I(0), exit()]),
    c('ldimm64-bad-second', [I(0x18, 0, 0, 0, 1), I(0x18), exit()]),
    c('ldimm64-bad-fd', [...ldmap(1, 9999), ...ret0]),
    c('jump-middle-ldimm64', [mov(0, 0), jmp(JEQ, 0, 0, 1), ...ld64(0, 5n), exit()]),
    c('ldabs-no-r6', [I(0x20, 0, 0, 0, 0), exit()]),
    c('ldabs-ok', [movr(6, 1), I(0x20, 0, 0, 0, 0), exit()]),
    c('ldabs-subprog', [callLocal(1), exit(), movr(6, 1), I(0x20, 0, 0, 0, 0), exit()]),
    c('call-invalid-dest', [callLocal(100), exit()]),
    c('subprog-ok', [mov(1, 2), callLocal(1), exit(), movr(0, 1), exit()]),
    c('subprog-no-r0', [callLocal(1), exit(), exit()]),
    c('stack-512-twice', [st(SZ.DW, 10, -512, 0), callLocal(2), mov(0, 0), exit(), st(SZ.DW, 10, -512, 0), ...ret0]),
    c('mov-addr-space-cast', [I(0xbf, 0, 1, 1, 1), exit()]),
    c('may-goto-src1', [I(0xe5, 0, 1, 0, 0), ...ret0]),
    c('ret-pointer', [movr(0, 1), exit()]),
    c('uninit-stack-read', [ldx(SZ.DW, 0, 10, -8), exit()]),
    c('uninit-key-lookup', [movr(2, 10), add(2, -4), ...ldmap(1, 0), call(1), ...ret0], { maps: [ARRAY8] }),
    c('void-helper-r0', [call(41), exit()]),
    c('ringbuf-leak', [...ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), ...ret0], { maps: [RINGBUF] }),
    c('ringbuf-ok', [...ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), jmp(JEQ, 0, 0, 4), st(SZ.DW, 0, 0, 1), movr(1, 0), mov(2, 0), call(132), ...ret0], { maps: [RINGBUF] }),
    c('ringbuf-oob', [...ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), jmp(JEQ, 0, 0, 4), st(SZ.DW, 0, 8, 1), movr(1, 0), mov(2, 0), call(132), ...ret0], { maps: [RINGBUF] }),
    c('lookup-prog-array', [...lookup(0), ...ret0], { maps: [PROGS] }),
    c('ptr-plus-ptr', [movr(0, 10), addr(0, 1), ...ret0]),
    c('ptr-minus-ptr', [ldx(SZ.W, 2, 1, 76), ldx(SZ.W, 3, 1, 80), movr(0, 3), alur(SUB, 0, 2), exit()]),
    c('ptr-and', [movr(0, 10), and(0, 7), ...ret0]),
    c('ptr-mul', [movr(0, 10), alu(0x20, 0, 2), ...ret0]),
    c('ptr-alu32', [movr(0, 10), alu32(ADD, 0, 2), ...ret0]),
    c('map-ptr-arith', [...ldmap(1, 0), add(1, 8), ...ret0], { maps: [ARRAY8] }),
    c('or-null-arith', [...lookup(0), add(0, 8), ...ret0], { maps: [ARRAY8] }),
    c('scalar-minus-ptr', [mov(0, 5), alur(SUB, 0, 10), ...ret0]),
    c('fp-sub', [movr(2, 10), alur(SUB, 2, 0), ...ret0]),
    c('neg-ptr', [movr(0, 10), I(0x87, 0), ...ret0]),
    c('end-ptr', [movr(0, 10), I(0xdc, 0, 0, 0, 16), ...ret0]),
    c('movsx-ptr', [I(0xbf, 0, 1, 0, 0), I(0xbf, 0, 0, 8, 0), ...ret0]),
    c('mov32-ptr', [I(0xbc, 0, 1, 0, 0), ...ret0]),
    c('spill-fill-ctx', [stx(SZ.DW, 10, 1, -8), ldx(SZ.DW, 2, 10, -8), ldx(SZ.W, 0, 2, 0), exit()]),
    c('spill-partial-ptr', [stx(SZ.W, 10, 1, -8), ...ret0]),
    c('fill-partial-ptr', [stx(SZ.DW, 10, 1, -8), ldx(SZ.W, 0, 10, -8), exit()]),
    c('ld-imm-off', [I(0x18, 0, 0, 1, 1), I(0), exit()]),
    c('ldabs-reserved', [movr(6, 1), I(0x20, 1, 0, 0, 0), exit()]),
    c('ldind-ok', [movr(6, 1), mov(2, 0), I(0x40, 0, 2, 0, 0), exit()]),
    c('call-reserved-dst', [I(0x85, 1, 0, 0, 5), ...ret0]),
    c('exit-reserved', [mov(0, 0), I(0x95, 0, 0, 0, 1)]),
    c('ja-reserved', [I(0x05, 1, 0, 0, 0), ...ret0]),
    c('jeq-reserved-src', [mov(0, 0), I(0x15, 0, 1, 0, 0), exit()]),
    c('jeq-x-imm', [mov(0, 0), I(0x1d, 0, 1, 0, 1), exit()]),
    c('stx-reserved', [I(0x7b, 10, 1, -8, 1), ...ret0]),
    c('st-reserved', [I(0x7a, 10, 1, -8, 0), ...ret0]),
    c('ldx-reserved', [I(0x79, 0, 10, -8, 1), exit()]),
    c('neg-reserved', [mov(0, 0), I(0x87, 0, 0, 0, 1), exit()]),
    c('end-reserved', [mov(0, 0), I(0xd4, 0, 0, 0, 8), exit()]),
    c('mov-reserved', [I(0xb7, 0, 1, 0, 0), exit()]),
    c('movsx-bad-off', [mov(1, 0), I(0xbf, 0, 1, 7, 0), exit()]),
    c('gotol-ok', [I(0x06, 0, 0, 0, 1), exit(), ...ret0]),
    c('bounded-loop', [mov(0, 0), add(0, 1), jmp(JLT, 0, 100, -2), exit()]),
  ];
  // 10 nested pseudo calls: f0 calls f1 ... f9
  const nested: Ins[] = [];
  for (let k = 0; k < 10; k++) nested.push(callLocal(1), exit());
  nested.push(mov(0, 0), exit());
  out.push(c('nested-calls-10', [...nested]));
  out.push(c('empty', []));
  return out;
}

/** Context access matrix: every 1/2/4/8-byte LDX, STX and ST at offsets 0..196. */
function ctxMatrix(): Case[] {
  const out: Case[] = [];
  const sizes: readonly [number, number][] = [[SZ.B, 1], [SZ.H, 2], [SZ.W, 4], [SZ.DW, 8]];
  for (let off = 0; off <= 196; off += 2) {
    for (const [sz, n] of sizes) {
      if (off % Math.min(n, 4) !== 0 && n > 2) continue;
      out.push(c(`ctx-ldx${n}-${off}`, [ldx(sz, 0, 1, off), ...ret0]));
      if (off % 4 === 0) {
        out.push(c(`ctx-stx${n}-${off}`, [mov(2, 1), stx(sz, 1, 2, off), ...ret0]));
        if (n === 4 || n === 8) out.push(c(`ctx-st${n}-${off}`, [st(sz, 1, off, 1), ...ret0]));
      }
    }
  }
  return out;
}

/** Packet range proofs: comparison shapes, offsets and access sizes. */
function pktVariants(): Case[] {
  const out: Case[] = [];
  const shapes: readonly [string, (t: number) => Ins[]][] = [
    ['gt', (t) => [jmpr(JGT, 4, 3, t)]],
    ['ge', (t) => [jmpr(JGE, 4, 3, t)]],
    ['lt-end', (t) => [jmpr(JLT, 3, 4, t)]],
    ['le-end', (t) => [jmpr(JLE, 3, 4, t)]],
  ];
  for (const [sn, cmp] of shapes) {
    for (const k of [1, 2, 4, 8, 14]) {
      for (const [sz, n] of [[SZ.B, 1], [SZ.H, 2], [SZ.W, 4], [SZ.DW, 8]] as const) {
        for (const off of new Set([0, k - n])) {
          if (off < 0) continue;
          out.push(c(`pkt-${sn}-k${k}-s${n}-o${off}`, [...pktSetup(k), ...cmp(2), ldx(sz, 0, 2, off), exit(), ...ret0]));
        }
      }
    }
    // taken-branch direction mix-up
    out.push(c(`pkt-${sn}-wrong-branch`, [...pktSetup(4), ...cmp(1), ...ret0, ldx(SZ.W, 0, 2, 0), exit()]));
  }
  // variable offset with a re-check after the addition
  out.push(c('pkt-var-recheck', [movr(6, 1), call(7), and(0, 0xff), ldx(SZ.W, 2, 6, 76), ldx(SZ.W, 3, 6, 80), addr(2, 0), movr(4, 2), add(4, 4), jmpr(JGT, 4, 3, 2), ldx(SZ.W, 0, 2, 0), exit(), ...ret0]));
  out.push(c('pkt-var-no-recheck', [movr(6, 1), call(7), and(0, 0xff), ldx(SZ.W, 2, 6, 76), ldx(SZ.W, 3, 6, 80), movr(4, 2), add(4, 4), jmpr(JGT, 4, 3, 3), addr(2, 0), ldx(SZ.W, 0, 2, 0), exit(), ...ret0]));
  out.push(c('pkt-jmp32-compare', [...pktSetup(4), I(0x2e, 4, 3, 2), ldx(SZ.W, 0, 2, 0), exit(), ...ret0]));
  out.push(c('pkt-write-ok', [...pktSetup(4), jmpr(JGT, 4, 3, 1), st(SZ.W, 2, 0, 7), ...ret0]));
  out.push(c('pkt-meta-ok', [ldx(SZ.W, 2, 1, 140), ldx(SZ.W, 3, 1, 76), movr(4, 2), add(4, 4), jmpr(JGT, 4, 3, 2), ldx(SZ.W, 0, 2, 0), exit(), ...ret0]));
  return out;
}

/** Stack offsets and sizes, and map value offsets. */
function boundsVariants(): Case[] {
  const out: Case[] = [];
  for (const off of [-512, -508, -504, -16, -12, -8, -6, -4, -2, -1, 0, 4]) {
    for (const [sz, n] of [[SZ.B, 1], [SZ.H, 2], [SZ.W, 4], [SZ.DW, 8]] as const) {
      out.push(c(`stack-st${n}${off}`, [st(sz, 10, off, 0), ...ret0]));
    }
  }
  for (const off of [0, 4, 7, 8, 60, 63, 64, -1]) {
    for (const [sz, n] of [[SZ.B, 1], [SZ.W, 4], [SZ.DW, 8]] as const) {
      out.push(c(`mapval-r${n}${off}`, [...lookup(0), jmp(JEQ, 0, 0, 1), ldx(sz, 0, 0, off), exit()], { maps: [ARRAY64] }));
    }
  }
  for (const mask of [7, 15, 31, 56, 57, 63, 64, 127]) {
    out.push(c(`mapval-idx-and${mask}`, [...lookup(0), jmp(JEQ, 0, 0, 5), movr(6, 0), call(7), and(0, mask), addr(6, 0), ldx(SZ.B, 0, 6, 0), exit()], { maps: [ARRAY64] }));
  }
  for (const lim of [8, 56, 57, 64]) {
    out.push(c(`mapval-idx-jlt${lim}`, [...lookup(0), jmp(JEQ, 0, 0, 6), movr(6, 0), call(7), jmp(JGE, 0, lim, 3), addr(6, 0), ldx(SZ.DW, 0, 6, 0), exit(), ...ret0], { maps: [ARRAY64] }));
  }
  out.push(c('mapval-direct-ok', [...ldmapval(1, 0, 4), ldx(SZ.W, 0, 1, 0), exit()], { maps: [ARRAY8] }));
  out.push(c('mapval-direct-oob', [...ldmapval(1, 0, 4), ldx(SZ.DW, 0, 1, 0), exit()], { maps: [ARRAY8] }));
  out.push(c('mapval-direct-hash', [...ldmapval(1, 0, 0), ...ret0], { maps: [HASH8] }));
  return out;
}

/** Reserved fields and immediate ranges across opcodes. */
function encodingVariants(): Case[] {
  const out: Case[] = [];
  for (const code of [0x07, 0x17, 0x27, 0x37, 0x47, 0x57, 0x97, 0xa7, 0x04, 0x14, 0x34, 0x94]) {
    out.push(c(`alu${code.toString(16)}-src-set`, [mov(0, 1), I(code, 0, 2, 0, 1), exit()]));
    out.push(c(`alu${code.toString(16)}-off2`, [mov(0, 1), I(code, 0, 0, 2, 1), exit()]));
    out.push(c(`alu${code.toString(16)}-off1`, [mov(0, 1), I(code, 0, 0, 1, 3), exit()]));
  }
  for (const sh of [0, 31, 32, 63, 64, 100, -1]) {
    out.push(c(`lsh64-${sh}`, [mov(0, 1), alu(LSH, 0, sh), exit()]));
    out.push(c(`rsh32-${sh}`, [mov(0, 1), alu32(RSH, 0, sh), exit()]));
  }
  for (const imm of [16, 32, 64, 8, 0, 128]) {
    out.push(c(`be-${imm}`, [mov(0, 1), I(0xdc, 0, 0, 0, imm), exit()]));
    out.push(c(`bswap-${imm}`, [mov(0, 1), I(0xd7, 0, 0, 0, imm), exit()]));
  }
  for (let code = 0; code < 256; code += 1) {
    if ([0xe7, 0xf7, 0xef, 0xff, 0x8f, 0xdf, 0xe4, 0xf4, 0x8c, 0x99, 0x8d, 0x9d, 0xf5, 0x0d, 0x01, 0x02, 0x09, 0x0a, 0x60, 0x68, 0x78, 0xa3, 0xe3].includes(code)) {
      out.push(c(`opcode-${code.toString(16)}`, [I(code), ...ret0]));
    }
  }
  for (const r of [11, 12, 15]) {
    out.push(c(`dst-r${r}`, [I(0xb7, r, 0, 0, 0), ...ret0]));
    out.push(c(`src-r${r}`, [I(0xbf, 0, r, 0, 0), exit()]));
  }
  out.push(c('xor-ptr', [movr(0, 10), alu(XOR, 0, 1), ...ret0]));
  out.push(c('rsh-scalar-ok', [ldx(SZ.W, 0, 1, 0), alur(RSH, 0, 0), exit()]));
  out.push(c('and-ptr-reg', [mov(2, 3), movr(0, 10), alur(AND, 0, 2), ...ret0]));
  out.push(c('add-ptr-reg-unbounded', [ldx(SZ.W, 2, 1, 0), movr(0, 10), alur(ADD, 0, 2), ...ret0]));
  return out;
}

/** bpf_conformance negative/unused-*.data: raw bytes, all must be refused. */
export function conformanceNegatives(dir: string, readdir: (d: string) => string[], read: (f: string) => string): Case[] {
  const out: Case[] = [];
  for (const f of readdir(dir).filter((x) => x.startsWith('unused-')).sort()) {
    const text = read(`${dir}/${f}`);
    const raw = text.split('-- raw')[1]?.split('--')[0] ?? '';
    const bytes: number[] = [];
    for (const line of raw.split('\n')) {
      const t = line.replace(/#.*/, '').trim();
      if (t === '') continue;
      for (const b of t.split(/\s+/)) bytes.push(parseInt(b, 16));
    }
    out.push({ name: `conformance-${f.replace(/\.data$/, '')}`, insns: Uint8Array.from(bytes) });
  }
  return out;
}

/** Scalar tracking, helper arguments, calls and references. */
function semanticsVariants(): Case[] {
  const out: Case[] = [];
  const val = (mk: Ins[]): Ins[] => [...lookup(0), jmp(JEQ, 0, 0, mk.length + 3), movr(6, 0), ...mk, addr(6, 9), ldx(SZ.B, 0, 6, 0), exit(), mov(0, 0), exit()];
  // index r9 derived from a random number through various ALU/jump shapes, then used on a 64-byte value
  const rnd: Ins[] = [call(7), movr(9, 0)];
  const shapes: readonly [string, Ins[]][] = [
    ['and63', [and(9, 63)]],
    ['rsh58', [alu(RSH, 9, 58)]],
    ['rsh57', [alu(RSH, 9, 57)]],
    ['mod64', [alu(MOD, 9, 64)]],
    ['w-and63', [alu32(AND, 9, 63)]],
    ['w-mov', [I(0xbc, 9, 9, 0, 0)]],
    ['and63-lsh1', [and(9, 31), alu(LSH, 9, 1)]],
    ['and63-add1', [and(9, 62), add(9, 1)]],
    ['and63-add2', [and(9, 62), add(9, 2)]],
    ['and63-sub', [and(9, 63), alu(SUB, 9, 1)]],
    ['and-or', [and(9, 31), alu(0x40, 9, 32)]],
    ['and-xor', [and(9, 31), alu(XOR, 9, 32)]],
    ['and-mul', [and(9, 7), alu(0x20, 9, 9)]],
    ['and-mul2', [and(9, 7), alu(0x20, 9, 8)]],
    ['neg', [and(9, 7), I(0x87, 9)]],
    ['arsh', [alu(ARSH, 9, 58)]],
    ['jlt64', [jmp(JLT, 9, 64, 1), mov(9, 0)]],
    ['jlt65', [jmp(JLT, 9, 65, 1), mov(9, 0)]],
    ['jle63', [jmp(JLE, 9, 63, 1), mov(9, 0)]],
    ['jgt63', [jmp(JGT, 9, 63, 1), jmp(JGE, 9, 0, 1), mov(9, 0)]],
    ['jslt64', [jmp(0xc0, 9, 64, 1), mov(9, 0)]],
    ['jslt64-jsge0', [jmp(0xc0, 9, 64, 2), mov(9, 0), ja(1), jmp(0x70, 9, 0, 0)]],
    ['jsgt-neg', [jmp(0x60, 9, -1, 1), mov(9, 0), and(9, 63)]],
    ['w-jlt64', [I(0xa6, 9, 0, 1, 64), mov(9, 0)]],
    ['w-jlt64-zext', [I(0xbc, 9, 9, 0, 0), I(0xa6, 9, 0, 1, 64), mov(9, 0)]],
    ['jset', [jmp(0x40, 9, 0xffffffc0, 1), ja(1), mov(9, 0)]],
    ['jne-const', [jmp(JNE, 9, 5, 1), ja(1), mov(9, 0)]],
    ['jeq-const', [jmp(JEQ, 9, 5, 1), mov(9, 0)]],
    ['linked', [movr(8, 9), jmp(JLT, 8, 64, 1), mov(9, 0)]],
    ['linked-w', [I(0xbc, 8, 9, 0, 0), I(0xbc, 9, 9, 0, 0), jmp(JLT, 8, 64, 1), mov(9, 0)]],
    ['movsx8', [I(0xbf, 9, 9, 8, 0)]],
    ['movsx8-and', [I(0xbf, 9, 9, 8, 0), and(9, 63)]],
    ['reg-bound', [mov(8, 60), jmpr(JLT, 9, 8, 1), mov(9, 0)]],
    ['reg-bound-64', [mov(8, 65), jmpr(JLT, 9, 8, 1), mov(9, 0)]],
    ['div', [and(9, 127), alu(DIV, 9, 2)]],
    ['spill-fill', [and(9, 63), stx(SZ.DW, 10, 9, -16), ldx(SZ.DW, 9, 10, -16)]],
    ['spill-fill-w', [and(9, 63), stx(SZ.W, 10, 9, -16), ldx(SZ.W, 9, 10, -16)]],
    ['ldsx', [and(9, 63), stx(SZ.B, 10, 9, -16), I(0x91, 9, 10, -16, 0)]],
    ['ldsx-and', [stx(SZ.B, 10, 9, -16), I(0x91, 9, 10, -16, 0), and(9, 63)]],
  ];
  for (const [n, mk] of shapes) out.push(c(`scalar-${n}`, val([...rnd, ...mk]), { maps: [ARRAY64] }));
  // helper arguments: keys and values from the packet, a map value, the stack
  out.push(c('key-from-pkt', [movr(6, 1), ...pktSetup(4), jmpr(JGT, 4, 3, 5), ...ldmap(1, 0), call(1), ...ret0, ...ret0], { maps: [HASH8] }));
  out.push(c('key-from-pkt-short', [movr(6, 1), ...pktSetup(2), jmpr(JGT, 4, 3, 5), ...ldmap(1, 0), call(1), ...ret0, ...ret0], { maps: [HASH8] }));
  out.push(c('key-from-mapval', [...lookup(0), jmp(JEQ, 0, 0, 4), movr(2, 0), ...ldmap(1, 1), call(1), ...ret0], { maps: [ARRAY8, HASH8] }));
  out.push(c('update-value-stack', [st(SZ.W, 10, -4, 0), st(SZ.DW, 10, -16, 0), movr(2, 10), add(2, -4), movr(3, 10), add(3, -16), mov(4, 0), ...ldmap(1, 0), call(2), ...ret0], { maps: [HASH8] }));
  out.push(c('update-value-short', [st(SZ.W, 10, -4, 0), movr(2, 10), add(2, -4), movr(3, 10), add(3, -4), mov(4, 0), ...ldmap(1, 0), call(2), ...ret0], { maps: [HASH8] }));
  out.push(c('update-flags-ptr', [st(SZ.W, 10, -4, 0), st(SZ.DW, 10, -16, 0), movr(2, 10), add(2, -4), movr(3, 10), add(3, -16), movr(4, 10), ...ldmap(1, 0), call(2), ...ret0], { maps: [HASH8] }));
  out.push(c('key-scalar', [mov(2, 0), ...ldmap(1, 0), call(1), ...ret0], { maps: [HASH8] }));
  out.push(c('map-arg-ctx', [movr(2, 10), add(2, -4), call(1), ...ret0]));
  out.push(c('ctx-arg-stack', [movr(1, 10), call(34), ...ret0]));
  out.push(c('ctx-arg-modified', [add(1, 8), call(34), ...ret0]));
  out.push(c('store-bytes-pkt-src', [movr(6, 1), ...pktSetup(8), jmpr(JGT, 4, 3, 6), movr(1, 6), movr(3, 2), mov(2, 0), mov(4, 8), mov(5, 0), call(9), ...ret0]));
  out.push(c('store-bytes-len-unbounded', [movr(6, 1), call(7), movr(4, 0), movr(1, 6), mov(2, 0), movr(3, 10), add(3, -8), st(SZ.DW, 10, -8, 0), mov(5, 0), call(9), ...ret0]));
  out.push(c('store-bytes-len-var', [movr(6, 1), st(SZ.DW, 10, -8, 0), call(7), and(0, 7), add(0, 1), movr(4, 0), movr(1, 6), mov(2, 0), movr(3, 10), add(3, -8), mov(5, 0), call(9), ...ret0]));
  out.push(c('load-bytes-len-zero', [mov(2, 0), movr(3, 10), add(3, -8), mov(4, 0), call(26), ...ret0]));
  out.push(c('csum-diff-null', [mov(1, 0), mov(2, 0), mov(3, 0), mov(4, 0), mov(5, 0), call(28), exit()]));
  out.push(c('csum-diff-stack', [st(SZ.DW, 10, -8, 0), movr(1, 10), add(1, -8), mov(2, 8), mov(3, 0), mov(4, 0), mov(5, 0), call(28), exit()]));
  out.push(c('redirect-ptr-arg', [movr(1, 10), mov(2, 0), call(23), exit()]));
  out.push(c('redirect-ok', [mov(1, 1), mov(2, 0), call(23), exit()]));
  out.push(c('check-mtu', [movr(6, 1), st(SZ.W, 10, -4, 0), movr(1, 6), mov(2, 0), movr(3, 10), add(3, -4), mov(4, 0), mov(5, 0), call(163), exit()]));
  out.push(c('ringbuf-submit-twice', [...ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), jmp(JEQ, 0, 0, 6), movr(6, 0), movr(1, 0), mov(2, 0), call(132), movr(1, 6), mov(2, 0), call(132), ...ret0], { maps: [RINGBUF] }));
  out.push(c('ringbuf-submit-stack', [movr(1, 10), add(1, -8), mov(2, 0), call(132), ...ret0], { maps: [RINGBUF] }));
  out.push(c('ringbuf-reserve-var', [call(7), movr(2, 0), ...ldmap(1, 0), mov(3, 0), call(131), ...ret0], { maps: [RINGBUF] }));
  out.push(c('ringbuf-output-hash', [st(SZ.DW, 10, -8, 0), ...ldmap(1, 0), movr(2, 10), add(2, -8), mov(3, 8), mov(4, 0), call(130), ...ret0], { maps: [HASH8] }));
  out.push(c('ringbuf-output-ok', [st(SZ.DW, 10, -8, 0), ...ldmap(1, 0), movr(2, 10), add(2, -8), mov(3, 8), mov(4, 0), call(130), ...ret0], { maps: [RINGBUF] }));
  out.push(c('ringbuf-tail-call-leak', [movr(6, 1), ...ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), movr(7, 0), movr(1, 6), ...ldmap(2, 1), mov(3, 0), call(12), jmp(JEQ, 7, 0, 3), movr(1, 7), mov(2, 0), call(133), ...ret0], { maps: [RINGBUF, PROGS] }));
  // bpf-to-bpf calls
  out.push(c('call-pass-stack', [st(SZ.DW, 10, -8, 7), movr(1, 10), add(1, -8), callLocal(1), exit(), ldx(SZ.DW, 0, 1, 0), exit()]));
  out.push(c('call-return-stack', [callLocal(1), exit(), movr(0, 10), add(0, -8), exit()]));
  out.push(c('call-read-r6', [callLocal(1), exit(), movr(0, 6), exit()]));
  out.push(c('call-r6-preserved', [mov(6, 3), callLocal(2), movr(0, 6), exit(), mov(0, 1), exit()]));
  out.push(c('call-r1-clobbered', [mov(1, 3), callLocal(2), movr(0, 1), exit(), mov(0, 1), exit()]));
  out.push(c('call-pkt-in-callee', [movr(6, 1), callLocal(2), mov(0, 0), exit(), ldx(SZ.W, 2, 1, 76), ldx(SZ.W, 3, 1, 80), movr(4, 2), add(4, 4), jmpr(JGT, 4, 3, 2), ldx(SZ.W, 0, 2, 0), exit(), mov(0, 0), exit()]));
  out.push(c('call-stack-256-twice', [st(SZ.DW, 10, -256, 0), callLocal(2), mov(0, 0), exit(), st(SZ.DW, 10, -256, 0), ...ret0]));
  out.push(c('call-stack-264-256', [st(SZ.DW, 10, -264, 0), callLocal(2), mov(0, 0), exit(), st(SZ.DW, 10, -256, 0), ...ret0]));
  const nested8: Ins[] = [];
  for (let k = 0; k < 7; k++) nested8.push(callLocal(1), exit());
  nested8.push(mov(0, 0), exit());
  out.push(c('nested-calls-7', nested8));
  // stack: spills of packet pointers and their invalidation, partial overwrite
  out.push(c('spill-pkt-checked', [movr(6, 1), ...pktSetup(4), jmpr(JGT, 4, 3, 4), stx(SZ.DW, 10, 2, -8), ldx(SZ.DW, 5, 10, -8), ldx(SZ.W, 0, 5, 0), exit(), ...ret0]));
  out.push(c('spill-pkt-invalidated', [movr(6, 1), ...pktSetup(4), jmpr(JGT, 4, 3, 7), stx(SZ.DW, 10, 2, -8), movr(1, 6), mov(2, 0), call(19), ldx(SZ.DW, 5, 10, -8), ldx(SZ.W, 0, 5, 0), exit(), ...ret0]));
  out.push(c('spill-overwrite-byte', [stx(SZ.DW, 10, 1, -8), st(SZ.B, 10, -8, 0), ldx(SZ.DW, 2, 10, -8), ldx(SZ.W, 0, 2, 0), exit()]));
  out.push(c('stack-read-partial-zero', [st(SZ.W, 10, -8, 0), ldx(SZ.DW, 0, 10, -8), exit()]));
  out.push(c('atomic-fetch-map', [...lookup(0), jmp(JEQ, 0, 0, 3), mov(1, 1), I(0xdb, 0, 1, 0, 0x01), movr(0, 1), exit()], { maps: [ARRAY8] }));
  out.push(c('atomic-cmpxchg-stack', [st(SZ.DW, 10, -8, 0), mov(0, 0), mov(1, 2), I(0xdb, 10, 1, -8, 0xf1), exit()]));
  out.push(c('atomic-xchg-ctx', [mov(2, 1), I(0xdb, 1, 2, 48, 0xe1), ...ret0]));
  out.push(c('atomic-map-oob', [...lookup(0), jmp(JEQ, 0, 0, 2), mov(1, 1), I(0xdb, 0, 1, 4, 0x00), ...ret0], { maps: [ARRAY8] }));
  // packet pointer comparisons, jmp32 and pointer vs scalar
  out.push(c('pkt-cmp-scalar', [ldx(SZ.W, 2, 1, 76), jmp(JEQ, 2, 0, 0), ...ret0]));
  out.push(c('pkt-end-minus-data', [ldx(SZ.W, 2, 1, 76), ldx(SZ.W, 3, 1, 80), alur(SUB, 3, 2), jmp(JLT, 3, 4, 1), ldx(SZ.W, 0, 2, 0), exit()]));
  out.push(c('pkt-add-len-recheck', [movr(6, 1), ldx(SZ.W, 5, 6, 0), and(5, 0xfff), ldx(SZ.W, 2, 6, 76), ldx(SZ.W, 3, 6, 80), addr(2, 5), movr(4, 2), add(4, 2), jmpr(JGT, 4, 3, 2), ldx(SZ.H, 0, 2, 0), exit(), ...ret0]));
  out.push(c('pkt-add-len-big', [movr(6, 1), ldx(SZ.W, 5, 6, 0), and(5, 0x1ffff), ldx(SZ.W, 2, 6, 76), ldx(SZ.W, 3, 6, 80), addr(2, 5), movr(4, 2), add(4, 2), jmpr(JGT, 4, 3, 2), ldx(SZ.H, 0, 2, 0), exit(), ...ret0]));
  out.push(c('pkt-neg-offset', [...pktSetup(4), jmpr(JGT, 4, 3, 2), ldx(SZ.W, 0, 2, -4), exit(), ...ret0]));
  out.push(c('pkt-sub-const', [...pktSetup(8), jmpr(JGT, 4, 3, 3), alu(SUB, 4, 4), ldx(SZ.W, 0, 4, 0), exit(), ...ret0]));
  out.push(c('pkt-meta-write', [ldx(SZ.W, 2, 1, 140), ldx(SZ.W, 3, 1, 76), movr(4, 2), add(4, 4), jmpr(JGT, 4, 3, 1), st(SZ.W, 2, 0, 1), ...ret0]));
  out.push(c('sock-null-check', [ldx(SZ.DW, 2, 1, 168), jmp(JEQ, 2, 0, 1), movr(0, 2), mov(0, 0), exit()]));
  out.push(c('sock-no-null', [ldx(SZ.DW, 2, 1, 168), ldx(SZ.W, 0, 2, 0), exit()]));
  out.push(c('tstamp-rw', [ldx(SZ.DW, 2, 1, 152), stx(SZ.DW, 1, 2, 152), st(SZ.DW, 1, 152, 0), ...ret0]));
  out.push(c('ctx-leak-ptr', [stx(SZ.W, 1, 10, 8), ...ret0]));
  out.push(c('ctx-var-off', [ldx(SZ.W, 2, 1, 0), and(2, 4), addr(1, 2), ldx(SZ.W, 0, 1, 0), exit()]));
  out.push(c('ld-imm64-ok', [...ld64(0, 0x1122334455667788n), exit()]));
  out.push(c('mov32-imm-neg', [mov(0, 0), I(0xb4, 0, 0, 0, -1), jmp(JEQ, 0, -1, 1), exit(), ldx(SZ.W, 0, 1, 400), exit()]));
  out.push(c('mov64-imm-neg', [I(0xb7, 0, 0, 0, -1), jmp(JEQ, 0, -1, 1), exit(), ldx(SZ.W, 0, 1, 400), exit()]));
  out.push(c('dead-branch-const', [mov(0, 5), jmp(JGT, 0, 10, 1), exit(), ldx(SZ.W, 0, 1, 400), exit()]));
  out.push(c('dead-branch-w', [mov(0, 0), ld64(2, 0x100000000n)[0]!, ld64(2, 0x100000000n)[1]!, I(0x16, 2, 0, 1, 0), exit(), ldx(SZ.W, 0, 1, 400), exit()]));
  return out;
}

/** All hand-written and generated cases. */
export function corpus(): Case[] {
  return [...handWritten(), ...ctxMatrix(), ...pktVariants(), ...boundsVariants(), ...encodingVariants(), ...semanticsVariants()];
}
