// Fuzz: arbitrary instruction bytes never crash or hang the verifier; the
// verdict is well formed (accepted, or an errno with a message) and stable.
import { test as fcTest, fc } from '@fast-check/vitest';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { describe, expect } from 'vitest';
import { verify } from '../src/index.js';

const ERRNOS = new Set(['EINVAL', 'EACCES', 'E2BIG', 'EBADF', 'EFAULT', 'ENOTSUPP', 'EPROTO', 'ENOMEM']);
const MAPS = new Map([[0, { type: 2, keySize: 4, valueSize: 16, maxEntries: 2 }], [1, { type: 1, keySize: 8, valueSize: 8, maxEntries: 8 }]]);

/** Instructions biased towards valid opcodes and small registers/offsets. */
const insn = fc.record({
  code: fc.oneof(fc.constantFrom(0x07, 0x0f, 0xb7, 0xbf, 0x61, 0x69, 0x71, 0x79, 0x62, 0x7a, 0x63, 0x7b, 0x15, 0x1d, 0x25, 0x2d, 0x55, 0xa5, 0x05, 0x85, 0x95, 0x18, 0x04, 0xb4, 0x57, 0x77, 0x67, 0xdb, 0xc3, 0x20, 0x16, 0xd4, 0xdc), fc.integer({ min: 0, max: 255 })),
  dst: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 15 })),
  src: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 15 })),
  off: fc.oneof(fc.integer({ min: -16, max: 16 }), fc.integer({ min: -520, max: 200 })),
  imm: fc.oneof(fc.integer({ min: -8, max: 200 }), fc.integer()),
});

function encode(xs: readonly { code: number; dst: number; src: number; off: number; imm: number }[]): Uint8Array {
  const out = new Uint8Array(xs.length * 8);
  const dv = new DataView(out.buffer);
  xs.forEach((x, i) => {
    dv.setUint8(i * 8, x.code);
    dv.setUint8(i * 8 + 1, (x.src << 4) | x.dst);
    dv.setInt16(i * 8 + 2, x.off, true);
    dv.setInt32(i * 8 + 4, x.imm, true);
  });
  return out;
}

function wellFormed(bytes: Uint8Array): void {
  const r = verify(bytes, { maps: MAPS, logLevel: 1 });
  if (r.ok) {
    expect(r.errno).toBe('');
    expect(r.log).toMatch(/^processed \d+ insns \(limit 1000000\)/m);
  } else {
    expect(ERRNOS.has(r.errno)).toBe(true);
    if (r.errno !== 'E2BIG' || r.message !== '') expect(r.message.length).toBeGreaterThan(0);
    expect(r.code).toBeLessThan(0);
  }
  const again = verify(bytes, { maps: MAPS, logLevel: 1 });
  expect([again.ok, again.errno, again.message, again.processed]).toEqual([r.ok, r.errno, r.message, r.processed]);
}

describe('verifier robustness (fuzz)', () => {
  fcTest.prop([fc.uint8Array({ minLength: 0, maxLength: 256 })], { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() })('fuzz: random bytes give a well-formed verdict', (b) => {
    wellFormed(b);
  });
  fcTest.prop([fc.array(insn, { minLength: 1, maxLength: 40 })], { numRuns: fuzzRuns(500, 50_000), seed: fuzzSeed() })('fuzz: random instructions give a well-formed verdict', (xs) => {
    wellFormed(encode(xs));
  });
  fcTest.prop([fc.array(insn, { minLength: 1, maxLength: 30 })], { numRuns: fuzzRuns(200, 20_000), seed: fuzzSeed() })('fuzz: a refusal names an instruction inside the program or none', (xs) => {
    const b = encode(xs);
    const r = verify(b, { maps: MAPS });
    if (!r.ok) expect(r.insn).toBeGreaterThanOrEqual(-1);
    if (!r.ok) expect(r.insn).toBeLessThan(xs.length);
  });
});
