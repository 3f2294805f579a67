// The message writer and liberal attribute reader (lib/nlattr.c subset).
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { NlWriter, parseAttrs } from '../src/index.js';

const op = fc.oneof(
  fc.record({ k: fc.constant('u8' as const), t: fc.integer({ min: 1, max: 30 }), v: fc.nat(255) }),
  fc.record({ k: fc.constant('u16' as const), t: fc.integer({ min: 1, max: 30 }), v: fc.nat(0xffff) }),
  fc.record({ k: fc.constant('u32' as const), t: fc.integer({ min: 1, max: 30 }), v: fc.nat(0xffffffff) }),
  fc.record({ k: fc.constant('u64' as const), t: fc.integer({ min: 1, max: 30 }), v: fc.nat(Number.MAX_SAFE_INTEGER) }),
  fc.record({ k: fc.constant('str' as const), t: fc.integer({ min: 1, max: 30 }), v: fc.string({ maxLength: 40 }) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function write(w: NlWriter, ops: readonly Op[]): void {
  for (const o of ops) {
    if (o.k === 'str') w.str(o.t, o.v);
    else w[o.k](o.t, o.v);
  }
}

describe('NlWriter / parseAttrs', () => {
  test.prop([fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 64 })], { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() })(
    'fuzz: bytes do not depend on the initial capacity (growth keeps every write), and read back',
    (ops, cap) => {
      const small = new NlWriter(cap);
      const big = new NlWriter(1 << 16);
      write(small, ops);
      write(big, ops);
      const b = small.bytes();
      expect(b).toEqual(big.bytes());
      const a = parseAttrs(b, 0, b.length, 30);
      expect(a.leftover).toBe(0);
      // the last attribute of each type wins
      const last = new Map<number, Op>();
      for (const o of ops) last.set(o.t, o);
      for (const [t, o] of last) {
        if (o.k === 'u8') expect(a.u8(t)).toBe(o.v);
        else if (o.k === 'u16') expect(a.u16(t)).toBe(o.v);
        else if (o.k === 'u32') expect(a.u32(t)).toBe(o.v);
        else if (o.k === 'u64') expect(a.u64(t)).toBe(o.v);
        else expect(a.str(t)).toBe(o.v.split('\0')[0]);
      }
    },
  );

  test.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: fuzzRuns(500, 50_000), seed: fuzzSeed() })(
    'fuzz: parseAttrs never throws on arbitrary bytes and stays inside them',
    (bytes) => {
      const a = parseAttrs(bytes, 0, bytes.length, 40);
      for (let t = 0; t <= 40; t++) if (a.has(t)) expect(a.at(t) + 4 + a.len(t)).toBeLessThanOrEqual(bytes.length);
    },
  );
});
