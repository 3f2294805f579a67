// Random tc programs for the fuzz and for the live differential test: a
// bounds check of K bytes, then blocks of packet, stack and context accesses
// with random offsets, sizes and checks (some verify, most do not).
import { fc } from '@fast-check/vitest';
import { SKB_OFF } from '../../src/index.js';
import { type Ins, JGT, SZ, add, addr, and, exit, jmpr, ldx, mov, movr, prog, st, stx } from '../asm.js';

const SIZES = [SZ.B, SZ.H, SZ.W, SZ.DW] as const;

/** One random block: a few instructions that may or may not verify. */
export const block: fc.Arbitrary<Ins[]> = fc.oneof(
  // packet read/write at a random offset of the checked pointer r2
  fc.record({ sz: fc.constantFrom(...SIZES), off: fc.integer({ min: -2, max: 40 }), w: fc.boolean() }).map(({ sz, off, w }) => [w ? st(sz, 2, off, 0x5a) : ldx(sz, 0, 2, off)]),
  // variable offset: r5 = len & mask; r7 = r2 + r5; check r7 + n against data_end; access r7
  fc.record({ mask: fc.constantFrom(0x0f, 0x3f, 0xff, 0x7fff, 0xffff), n: fc.integer({ min: 0, max: 12 }), sz: fc.constantFrom(...SIZES), off: fc.integer({ min: 0, max: 12 }) }).map(
    ({ mask, n, sz, off }) => [ldx(SZ.W, 5, 6, 0), and(5, mask), movr(7, 2), addr(7, 5), movr(8, 7), add(8, n), jmpr(JGT, 8, 3, 1), ldx(sz, 0, 7, off)],
  ),
  // stack write then read at a random offset
  fc.record({ sz: fc.constantFrom(...SIZES), off: fc.integer({ min: -520, max: 4 }) }).map(({ sz, off }) => [st(sz, 10, off, 7), ldx(sz, 0, 10, off)]),
  // context read at a random offset and size
  fc.record({ sz: fc.constantFrom(...SIZES), off: fc.integer({ min: 0, max: 200 }) }).map(({ sz, off }) => [ldx(sz, 0, 6, off)]),
  // context write of a writable field
  fc.record({ off: fc.constantFrom(SKB_OFF.mark, SKB_OFF.priority, SKB_OFF.cb, SKB_OFF.cb + 4, SKB_OFF.cb + 16, SKB_OFF.tc_index, 0), v: fc.integer() }).map(({ off, v }) => [mov(9, v), stx(SZ.W, 6, 9, off)]),
  // reload data/data_end (also through data_meta) and re-check
  fc.integer({ min: 0, max: 64 }).map((k) => [ldx(SZ.W, 2, 6, SKB_OFF.data), ldx(SZ.W, 3, 6, SKB_OFF.data_end), movr(4, 2), add(4, k), jmpr(JGT, 4, 3, 1), ldx(SZ.B, 0, 2, 0)]),
);

/** A program: r6 = ctx, r2/r3 = data/data_end, a bounds check of K, then blocks, each skipped as a whole when the check fails. */
export const program: fc.Arbitrary<Uint8Array> = fc.record({ k: fc.integer({ min: 0, max: 64 }), blocks: fc.array(block, { minLength: 1, maxLength: 6 }) }).map(({ k, blocks }) => {
  const body = blocks.flat();
  return prog(movr(6, 1), ldx(SZ.W, 2, 6, SKB_OFF.data), ldx(SZ.W, 3, 6, SKB_OFF.data_end), movr(4, 2), add(4, k), jmpr(JGT, 4, 3, body.length), ...body, mov(0, 0), exit());
});

