// Callback programs (bpf_loop, bpf_for_each_map_elem) for the kernel-differential
// corpus: each case is raw instructions plus its func_info (one record per
// subprogram: start, BTF linkage) and the maps it needs (LD_IMM64 imm = map index).
import { I, type Ins, add, call, callLocal, exit, ldmap, ldx, mov, movr, prog, st, stx, SZ, alu, jmp, JGT, AND } from '../asm.js';

/** An instruction, a callback address load of subprogram `fn`, or a bpf-to-bpf call of subprogram `call`. */
type Item = Ins | Ins[] | { readonly fn: number; readonly dst: number } | { readonly call: number };

/** One corpus program. */
export interface CallbackCase {
  readonly name: string;
  readonly insns: Uint8Array;
  /** func_info records; undefined = loaded without BTF. */
  readonly funcs: readonly { readonly insnOff: number; readonly linkage: number }[] | undefined;
  readonly maps: readonly { readonly type: number; readonly keySize: number; readonly valueSize: number; readonly maxEntries: number }[];
}

function size(x: Item): number {
  if ('fn' in x) return 2;
  if ('call' in x) return 1;
  return Array.isArray(x[0]) ? (x as Ins[]).length : 1;
}

/** Lay out subprograms in order (main first) and resolve callback loads and calls. */
export function build(parts: readonly (readonly Item[])[]): { insns: Uint8Array; starts: number[] } {
  const starts: number[] = [];
  let n = 0;
  for (const p of parts) {
    starts.push(n);
    for (const x of p) n += size(x);
  }
  const out: Ins[] = [];
  for (const p of parts) {
    for (const x of p) {
      const at = out.length;
      if ('fn' in x) out.push(I(0x18, x.dst, 4, 0, starts[x.fn]! - at - 1), I(0));
      else if ('call' in x) out.push(callLocal(starts[x.call]! - at - 1));
      else if (Array.isArray(x[0])) out.push(...(x as Ins[]));
      else out.push(x as Ins);
    }
  }
  return { insns: prog(out), starts };
}

const ARRAY = { type: 2, keySize: 4, valueSize: 8, maxEntries: 4 };
const HASH = { type: 1, keySize: 4, valueSize: 8, maxEntries: 16 };
const PROG_ARRAY = { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 };
const LPM = { type: 11, keySize: 8, valueSize: 8, maxEntries: 16, flags: 1 };

const LOOP = 181;
const FOR_EACH = 164;
const ret0: Ins[] = [mov(0, 0), exit()];

function mk(name: string, parts: readonly (readonly Item[])[], opts: { linkage?: number[]; noBtf?: boolean; maps?: CallbackCase['maps']; funcStarts?: number[] } = {}): CallbackCase {
  const b = build(parts);
  return {
    name,
    insns: b.insns,
    funcs: opts.noBtf === true ? undefined : (opts.funcStarts ?? b.starts).map((s, k) => ({ insnOff: s, linkage: opts.linkage?.[k] ?? 0 })),
    maps: opts.maps ?? [],
  };
}

/** bpf_loop(nr, fn 1, ctx = fp-8 holding 0 | NULL, flags). */
function loopMain(nr: Item[], ctx: boolean, flags = 0): Item[] {
  return [
    st(SZ.DW, 10, -8, 0),
    ...nr,
    { fn: 1, dst: 2 },
    ...(ctx ? [movr(3, 10), add(3, -8)] : [mov(3, 0)]),
    mov(4, flags),
    call(LOOP),
    ...ret0,
  ];
}

/** bpf_for_each_map_elem(map 0, fn 1, fp-8, 0). */
function forEachMain(ctx = true): Item[] {
  return [st(SZ.DW, 10, -8, 0), ldmap(1, 0), { fn: 1, dst: 2 }, ...(ctx ? [movr(3, 10), add(3, -8)] : [mov(3, 0)]), mov(4, 0), call(FOR_EACH), ...ret0];
}

const counterCb: Item[] = [ldx(SZ.DW, 1, 2, 0), add(1, 1), stx(SZ.DW, 2, 1, 0), ...ret0];
const skbLen: Item[] = [ldx(SZ.W, 1, 1, 0)];

/** The corpus. */
export const CALLBACK_CASES: readonly CallbackCase[] = [
  // accepted
  mk('loop-basic', [loopMain([mov(1, 10)], false), ret0]),
  mk('loop-ctx-counter', [loopMain([mov(1, 100)], true), counterCb]),
  mk('loop-unknown-count-counter', [loopMain(skbLen, true), counterCb]),
  mk('loop-return-1', [loopMain([mov(1, 5)], false), [mov(0, 1), exit()]]),
  mk('loop-return-index-bit', [loopMain(skbLen, false), [movr(0, 1), alu(AND, 0, 1), exit()]]),
  mk('loop-flags-nonzero', [loopMain([mov(1, 3)], false, 1), ret0]),
  mk('loop-nr-zero-bad-callback', [loopMain([mov(1, 0)], false), [mov(0, 2), exit()]]),
  mk('loop-callback-subcall', [loopMain([mov(1, 4)], true), [movr(6, 2), { call: 2 }, ldx(SZ.DW, 1, 6, 0), add(1, 1), stx(SZ.DW, 6, 1, 0), ...ret0], [mov(0, 7), exit()]]),
  mk('loop-nested', [loopMain([mov(1, 4)], true), [movr(3, 2), mov(1, 3), { fn: 2, dst: 2 }, mov(4, 0), call(LOOP), ...ret0], counterCb]),
  mk('loop-nested-r3-func', [loopMain([mov(1, 4)], true), [mov(1, 3), { fn: 2, dst: 2 }, movr(3, 2), mov(4, 0), call(LOOP), ...ret0], counterCb]),
  mk('loop-nested-unknown-counts', [loopMain(skbLen, true), [movr(3, 2), ldx(SZ.DW, 1, 2, 0), { fn: 2, dst: 2 }, mov(4, 0), call(LOOP), ...ret0], counterCb]),
  mk('loop-func-spilled', [[st(SZ.DW, 10, -8, 0), { fn: 1, dst: 2 }, stx(SZ.DW, 10, 2, -16), mov(1, 2), ldx(SZ.DW, 2, 10, -16), mov(3, 0), mov(4, 0), call(LOOP), ...ret0], ret0]),
  mk('loop-index-bounded-use', [[st(SZ.DW, 10, -8, 0), st(SZ.DW, 10, -16, 0), ...skbLen, { fn: 1, dst: 2 }, movr(3, 10), add(3, -16), mov(4, 0), call(LOOP), ...ret0],
    [jmp(JGT, 1, 7, 3), movr(3, 2), alur0(3, 1), ldx(SZ.B, 0, 3, 0), mov(0, 0), exit()]]),
  mk('loop-returns-r0-helper', [loopMain([mov(1, 2)], false), [call(7), alu(AND, 0, 1), exit()]]),
  mk('for-each-array', [forEachMain(), [ldx(SZ.DW, 0, 3, 0), ldx(SZ.W, 5, 2, 0), ldx(SZ.DW, 1, 4, 0), add(1, 1), stx(SZ.DW, 4, 1, 0), ...ret0]], { maps: [ARRAY] }),
  mk('for-each-hash', [forEachMain(), [ldx(SZ.DW, 0, 3, 0), add(0, 1), stx(SZ.DW, 3, 0, 0), ldx(SZ.W, 5, 2, 0), ...ret0]], { maps: [HASH] }),
  mk('for-each-null-ctx', [forEachMain(false), [mov(0, 1), exit()]], { maps: [ARRAY] }),
  mk('for-each-lookup-in-callback', [forEachMain(), [ldmap(1, 0), call(1), ...ret0]], { maps: [HASH] }),
  // refused
  mk('loop-no-btf', [loopMain([mov(1, 10)], false), ret0], { noBtf: true }),
  mk('loop-global-callback', [loopMain([mov(1, 10)], false), ret0], { linkage: [0, 1] }),
  mk('loop-return-2', [loopMain([mov(1, 10)], false), [mov(0, 2), exit()]]),
  mk('loop-return-minus-1', [loopMain([mov(1, 10)], false), [mov(0, -1), exit()]]),
  mk('loop-return-unknown', [loopMain([mov(1, 10)], false), [movr(0, 1), exit()]]),
  mk('loop-return-u32', [loopMain([mov(1, 10)], false), [movr(0, 1), I(0xbc, 0, 0), exit()]]),
  mk('loop-return-uninit', [loopMain([mov(1, 10)], false), [exit()]]),
  mk('loop-return-stack-ptr', [loopMain([mov(1, 10)], true), [movr(0, 10), exit()]]),
  mk('loop-return-ctx-ptr', [loopMain([mov(1, 10)], true), [movr(0, 2), exit()]]),
  mk('loop-r2-scalar', [[mov(1, 10), mov(2, 0), mov(3, 0), mov(4, 0), call(LOOP), ...ret0]]),
  mk('loop-r3-ctx', [[movr(3, 1), mov(1, 10), { fn: 1, dst: 2 }, mov(4, 0), call(LOOP), ...ret0], ret0]),
  mk('loop-r3-scalar', [[mov(1, 10), { fn: 1, dst: 2 }, mov(3, 8), mov(4, 0), call(LOOP), ...ret0], ret0]),
  mk('loop-ctx-uninit-read', [[mov(1, 10), { fn: 1, dst: 2 }, movr(3, 10), add(3, -8), mov(4, 0), call(LOOP), ...ret0], counterCb]),
  mk('loop-index-unbounded-use', [[st(SZ.DW, 10, -8, 0), ...skbLen, { fn: 1, dst: 2 }, movr(3, 10), add(3, -8), mov(4, 0), call(LOOP), ...ret0],
    [movr(3, 2), alur0(3, 1), ldx(SZ.B, 0, 3, 0), mov(0, 0), exit()]]),
  mk('loop-counter-return', [loopMain([mov(1, 100)], true), [ldx(SZ.DW, 0, 2, 0), add(0, 1), stx(SZ.DW, 2, 0, 0), exit()]]),
  mk('for-each-prog-array', [forEachMain(), ret0], { maps: [PROG_ARRAY] }),
  mk('for-each-lpm', [forEachMain(), ret0], { maps: [LPM] }),
  mk('for-each-write-key', [forEachMain(), [st(SZ.W, 2, 0, 1), ...ret0]], { maps: [HASH] }),
  mk('for-each-key-oob', [forEachMain(), [ldx(SZ.W, 0, 2, 4), ...ret0]], { maps: [ARRAY] }),
  mk('for-each-value-oob', [forEachMain(), [ldx(SZ.DW, 0, 3, 8), ...ret0]], { maps: [ARRAY] }),
  mk('for-each-map-scalar', [[mov(1, 0), { fn: 1, dst: 2 }, mov(3, 0), mov(4, 0), call(FOR_EACH), ...ret0], ret0]),
  mk('for-each-return-map', [forEachMain(), [movr(0, 1), exit()]], { maps: [ARRAY] }),
  mk('for-each-return-value', [forEachMain(), [movr(0, 3), exit()]], { maps: [ARRAY] }),
  mk('for-each-ctx-write-null', [forEachMain(false), [st(SZ.DW, 4, 0, 1), ...ret0]], { maps: [ARRAY] }),
  mk('main-returns-func', [[{ fn: 1, dst: 0 }, exit()], ret0]),
  mk('for-each-percpu-array', [forEachMain(), [ldx(SZ.DW, 0, 3, 0), ldx(SZ.W, 5, 2, 0), ...ret0]], { maps: [{ type: 6, keySize: 4, valueSize: 8, maxEntries: 4 }] }),
  mk('for-each-lru-hash', [forEachMain(), [ldx(SZ.DW, 0, 3, 0), ...ret0]], { maps: [{ type: 9, keySize: 4, valueSize: 8, maxEntries: 8 }] }),
  mk('for-each-write-value', [forEachMain(), [st(SZ.DW, 3, 0, 7), ...ret0]], { maps: [ARRAY] }),
  mk('for-each-in-loop-callback', [loopMain([mov(1, 3)], true), [movr(6, 2), ldmap(1, 0), { fn: 2, dst: 2 }, movr(3, 6), mov(4, 0), call(FOR_EACH), ...ret0], [ldx(SZ.DW, 1, 4, 0), add(1, 1), stx(SZ.DW, 4, 1, 0), ...ret0]], { maps: [HASH] }),
  mk('loop-callback-big-stack', [[st(SZ.DW, 10, -320, 0), mov(1, 2), { fn: 1, dst: 2 }, mov(3, 0), mov(4, 0), call(LOOP), ...ret0], [st(SZ.DW, 10, -256, 0), ...ret0]]),
  mk('loop-callback-stack-too-big', [[st(SZ.DW, 10, -320, 0), mov(1, 2), { fn: 1, dst: 2 }, mov(3, 0), mov(4, 0), call(LOOP), ...ret0], [st(SZ.DW, 10, -256, 0), { call: 2 }, ...ret0], [st(SZ.DW, 10, -8, 0), ...ret0]]),
  mk('loop-callback-infinite', [loopMain([mov(1, 3)], false), [mov(0, 0), jmp(0x50, 0, 0, -1), ...ret0]]),
  mk('loop-callback-endless', [loopMain([mov(1, 3)], false), [mov(0, 0), jmp(0x10, 0, 0, -2), exit()]]),
  mk('for-each-callback-endless', [forEachMain(), [mov(0, 0), jmp(0x10, 0, 0, -2), exit()]], { maps: [ARRAY] }),
  mk('loop-nr-from-ctx-unbounded-index', [[st(SZ.DW, 10, -8, 0), st(SZ.DW, 10, -16, 0), ...skbLen, { fn: 1, dst: 2 }, movr(3, 10), add(3, -16), mov(4, 0), call(LOOP), ...ret0],
    [jmp(JGT, 1, 15, 3), movr(3, 2), alur0(3, 1), ldx(SZ.B, 0, 3, 0), mov(0, 0), exit()]]),
  mk('loop-callback-r1-uninit-read', [loopMain([mov(1, 2)], false), [movr(0, 3), exit()]]),
  mk('loop-callback-tail-call', [loopMain([mov(1, 2)], false), [ldmap(2, 0), mov(3, 0), call(12), ...ret0]], { maps: [PROG_ARRAY] }),
  withImm(mk('loop-func-second-imm-nonzero', [loopMain([mov(1, 2)], false), ret0]), 3, 5),
  mk('func-info-count-mismatch', [loopMain([mov(1, 10)], false), ret0], { funcStarts: [0] }),
  mk('func-info-layout-mismatch', [loopMain([mov(1, 10)], false), ret0], { funcStarts: [0, 1] }),
];

/** The case with the imm of instruction `at` replaced. */
function withImm(c: CallbackCase, at: number, imm: number): CallbackCase {
  const insns = c.insns.slice();
  new DataView(insns.buffer).setInt32(at * 8 + 4, imm, true);
  return { ...c, insns };
}

function alur0(d: number, s: number): Ins {
  return I(0x0f, d, s);
}
