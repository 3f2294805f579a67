import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Idr, KernelError, Prng, SimClock, fromHex, putU32be, toHex, u16be, u32be, u32le } from '../src/index.js';

describe('KernelError', () => {
  it('carries errno, number and extack', () => {
    const e = new KernelError('EINVAL', 'Invalid handle', { attrOffset: 36 });
    expect(e.code).toBe(22);
    expect(e.negErrno).toBe(-22);
    expect(e.extack).toBe('Invalid handle');
    expect(e.attrOffset).toBe(36);
    expect(e.message).toBe('EINVAL: Invalid handle');
    expect(KernelError.isInstance(e)).toBe(true);
    expect(KernelError.isInstance(new Error('x'))).toBe(false);
  });
});

describe('SimClock', () => {
  it('only moves forward and derives jiffies', () => {
    const c = new SimClock(0);
    c.advance(5_000_000);
    expect(c.nowNs()).toBe(5_000_000);
    expect(c.jiffies()).toBe(5);
    expect(() => { c.advance(-1); }).toThrow(RangeError);
  });
});

describe('Prng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Prng(42), b = new Prng(42), c = new Prng(43);
    const sa = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(sa);
    for (const v of sa) expect(v >>> 0).toBe(v);
  });
  test.prop([fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 1000 })])('below(n) stays in range', (seed, n) => {
    const p = new Prng(seed);
    for (let i = 0; i < 20; i++) {
      const v = p.below(n);
      expect(v >= 0 && v < n).toBe(true);
    }
  });
});

describe('Idr', () => {
  it('allocates the lowest free id and refuses when full', () => {
    const idr = new Idr<string>();
    expect(idr.alloc('a', 1, 3)).toBe(1);
    expect(idr.alloc('b', 1, 3)).toBe(2);
    idr.remove(1);
    expect(idr.alloc('c', 1, 3)).toBe(1);
    expect(idr.alloc('d', 1, 3)).toBe(3);
    expect(() => idr.alloc('e', 1, 3)).toThrow(KernelError);
  });
  it('allocates cyclically', () => {
    const idr = new Idr<number>();
    expect(idr.allocCyclic(0, 1, 3)).toBe(1);
    idr.remove(1);
    expect(idr.allocCyclic(0, 1, 3)).toBe(2);
    expect(idr.allocCyclic(0, 1, 3)).toBe(3);
    expect(idr.allocCyclic(0, 1, 3)).toBe(1);
  });
});

describe('byte order', () => {
  test.prop([fc.integer({ min: 0, max: 0xffffffff })])('u32 round trips big-endian and reads little-endian reversed', (v) => {
    const b = new Uint8Array(4);
    putU32be(b, 0, v);
    expect(u32be(b, 0)).toBe(v);
    expect(u32le(b.slice().reverse(), 0)).toBe(v);
  });
  it('hex', () => {
    expect(toHex(fromHex('de ad:BE ef'))).toBe('deadbeef');
    expect(u16be(fromHex('0800'), 0)).toBe(0x0800);
    expect(() => fromHex('abc')).toThrow(RangeError);
  });
});
