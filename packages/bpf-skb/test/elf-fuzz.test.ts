// Fuzz tests of the ELF loader and the BTF parser: corrupted and truncated
// objects never make them throw anything but KernelError, never hang, and a
// successful load always describes well-formed programs. Sizes: fuzzRuns(ci, full);
// `pnpm fuzz` runs the full size.
import { fc, test } from '@fast-check/vitest';
import { KernelError } from '@tcbpf/base';
import { fuzzFull, fuzzRuns, fuzzSeed } from '@tcbpf/testing';

/** Full-size runs take minutes on a loaded machine. */
const FUZZ_TIMEOUT = fuzzFull() ? 900_000 : 60_000;
import { ELF64_LAYOUT as L } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { Btf, ElfFile, loadElfObject, type BpfObject } from '../src/index.js';
import { FIXTURES, readFixture } from './fixture-objects.js';

const OBJECTS = FIXTURES.map((f) => ({ name: f, bytes: readFixture(f) }));
/** Per fixture: byte ranges where a corruption reaches the parser (headers, symbols, relocations, BTF, code, maps). */
const HOT = OBJECTS.map(({ bytes }) => {
  const elf = new ElfFile(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ranges: [number, number][] = [[0, L.EHDR_SIZE], [dv.getUint32(L.E_SHOFF, true), elf.sections.length * L.SHDR_SIZE]];
  for (const s of elf.sections) {
    if (s.index === 0 || s.type === 8 || s.size === 0) continue;
    if (s.name.startsWith('.debug') || s.name.startsWith('.rel.debug')) continue;
    ranges.push([s.offset, s.size]);
  }
  return ranges;
});

/** Loads and, on success, checks the description's invariants; on failure requires a KernelError. */
function loadChecked(bytes: Uint8Array): BpfObject | KernelError {
  const t0 = performance.now();
  let out: BpfObject | KernelError;
  try {
    out = loadElfObject(bytes, { fileName: 'fuzz.o' });
  } catch (e) {
    if (!KernelError.isInstance(e)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
    out = e;
  }
  expect(performance.now() - t0).toBeLessThan(2000);
  if (!KernelError.isInstance(out)) {
    for (const p of out.programs) {
      expect(p.insns.length).toBe(p.insnCount * 8);
      for (const r of p.mapRelocs) {
        expect(r.insn).toBeLessThan(p.insnCount - 1);
        expect(p.insns[r.insn * 8]).toBe(0x18);
        expect(out.maps.some((m) => m.name === r.map)).toBe(true);
      }
      for (const s of p.subprograms) expect(s.start + s.insnCount).toBeLessThanOrEqual(p.insnCount);
    }
  }
  return out;
}

const flip = fc.record({ pos: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) });

describe('ELF loader fuzz', () => {
  test.prop([fc.nat(OBJECTS.length - 1), fc.array(flip, { minLength: 1, maxLength: 24 })], { numRuns: fuzzRuns(300, 30_000), seed: fuzzSeed() })(
    'fuzz: random byte flips anywhere in a fixture give a description or a KernelError',
    (i, flips) => {
      const b = OBJECTS[i]!.bytes.slice();
      for (const f of flips) b[f.pos % b.length]! ^= f.xor;
      loadChecked(b);
    },
    FUZZ_TIMEOUT,
  );

  test.prop(
    [fc.nat(OBJECTS.length - 1), fc.array(fc.record({ range: fc.nat(), off: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 8 })],
    { numRuns: fuzzRuns(600, 60_000), seed: fuzzSeed() + 1 },
  )('fuzz: flips in headers, symbols, relocations, BTF, code and map sections', (i, flips) => {
    const b = OBJECTS[i]!.bytes.slice();
    const ranges = HOT[i]!;
    for (const f of flips) {
      const [start, len] = ranges[f.range % ranges.length]!;
      b[start + (f.off % len)]! ^= f.xor;
    }
    loadChecked(b);
  }, FUZZ_TIMEOUT);

  test.prop(
    [fc.nat(OBJECTS.length - 1), fc.nat(), fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0xffff, 0xffffffff, 0x7fffffff)],
    { numRuns: fuzzRuns(300, 30_000), seed: fuzzSeed() + 2 },
  )('fuzz: extreme u32 values written over header and table fields', (i, at, v) => {
    const b = OBJECTS[i]!.bytes.slice();
    const ranges = HOT[i]!;
    const [start, len] = ranges[at % ranges.length]!;
    const off = start + ((at >>> 8) % Math.max(1, len - 3));
    if (off + 4 <= b.length) new DataView(b.buffer).setUint32(off & ~3, v, true);
    loadChecked(b);
  }, FUZZ_TIMEOUT);

  it('fuzz: truncation at every header and section boundary of every fixture', () => {
    let cuts = 0;
    for (const { bytes } of OBJECTS) {
      const elf = new ElfFile(bytes);
      const shoff = new DataView(bytes.buffer, bytes.byteOffset).getUint32(L.E_SHOFF, true);
      const at = new Set<number>([0, 1, 4, 16, 63, 64]);
      for (let i = 0; i <= elf.sections.length; i++) for (const d of [-1, 0, 1, 32]) at.add(shoff + i * L.SHDR_SIZE + d);
      for (const s of elf.sections) for (const d of [-1, 0, 1]) { at.add(s.offset + d); at.add(s.offset + s.size + d); }
      for (const n of at) {
        if (n < 0 || n >= bytes.length) continue;
        const r = loadChecked(bytes.slice(0, n));
        // every proper prefix cuts off part of the section header table, which sits at the end
        expect(KernelError.isInstance(r)).toBe(true);
        cuts++;
      }
    }
    expect(cuts).toBeGreaterThan(500);
  }, FUZZ_TIMEOUT);

  test.prop([fc.nat(OBJECTS.length - 1), fc.nat()], { numRuns: fuzzRuns(200, 20_000), seed: fuzzSeed() + 3 })(
    'fuzz: random truncation lengths',
    (i, n) => {
      const b = OBJECTS[i]!.bytes;
      loadChecked(b.slice(0, n % b.length));
    },
    FUZZ_TIMEOUT,
  );

  test.prop([fc.uint8Array({ minLength: 0, maxLength: 512 })], { numRuns: fuzzRuns(300, 30_000), seed: fuzzSeed() + 4 })(
    'fuzz: random bytes behind a valid ELF64 LE EM_BPF ident',
    (tail) => {
      const b = new Uint8Array(64 + tail.length);
      b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
      b.set(tail.subarray(0, Math.min(tail.length, 9)), 7);
      b[16] = 1;
      b[18] = 247;
      b.set(tail, 64);
      new DataView(b.buffer).setUint16(L.E_SHENTSIZE, L.SHDR_SIZE, true);
      loadChecked(b);
    },
    FUZZ_TIMEOUT,
  );
});

describe('BTF parser fuzz', () => {
  const btfs = OBJECTS.map(({ bytes }) => {
    const elf = new ElfFile(bytes);
    return elf.data(elf.section('.BTF')!).slice();
  });

  test.prop([fc.nat(btfs.length - 1), fc.array(flip, { minLength: 1, maxLength: 12 })], { numRuns: fuzzRuns(400, 40_000), seed: fuzzSeed() + 5 })(
    'fuzz: flipped .BTF parses or throws KernelError; sizes and modifier chains terminate',
    (i, flips) => {
      const b = btfs[i]!.slice();
      for (const f of flips) b[f.pos % b.length]! ^= f.xor;
      let btf: Btf;
      try {
        btf = new Btf(b);
      } catch (e) {
        expect(KernelError.isInstance(e)).toBe(true);
        return;
      }
      for (const t of btf.types) {
        for (const op of [() => btf.sizeOf(t.id), () => btf.skipModifiers(t.id)]) {
          try {
            op();
          } catch (e) {
            expect(KernelError.isInstance(e)).toBe(true);
          }
        }
      }
    },
    FUZZ_TIMEOUT,
  );
});
