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

/** All hand-written and generated cases. */
export function corpus(): Case[] {
  return [...handWritten(), ...ctxMatrix(), ...pktVariants(), ...boundsVariants(), ...encodingVariants()];
}
