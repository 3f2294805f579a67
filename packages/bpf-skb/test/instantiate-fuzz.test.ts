// Fuzz: corrupted or truncated fixture objects, taken all the way through
// instantiateObject (maps created, relocations applied, verifier, load) and a
// test-run of every program that loaded: each step ends in a result or a
// KernelError, never another exception or a hang. Sizes: fuzzRuns(ci, full).
import { KernelError } from '@tcbpf/base';
import { buildFrame } from '@tcbpf/skb';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '../src/index.js';
import { FIXTURES, readFixture } from './fixture-objects.js';

const OBJECTS = FIXTURES.map((f) => readFixture(f));
const FRAME = buildFrame({
  dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1),
  l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'udp', sport: 1, dport: 4789 } },
});
let loaded = 0;
let refused = 0;

function attempt(bytes: Uint8Array): void {
  const step = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (!KernelError.isInstance(e)) throw e;
      refused++;
      return undefined;
    }
  };
  const obj = step(() => loadElfObject(bytes, { fileName: 'fuzz.o' }));
  if (obj === undefined) return;
  const sys = tcBpfSyscall();
  const lo = step(() => instantiateObject(sys, obj));
  if (lo === undefined) return;
  loaded++;
  const runner = new TcTestRunner(sys);
  for (const fd of lo.programs.values()) step(() => runner.run(fd, { dataIn: FRAME, dataSizeOut: 4096, ctxSizeOut: 192 }));
}

describe('instantiateObject fuzz', () => {
  test.prop([fc.nat(OBJECTS.length - 1), fc.array(fc.record({ pos: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 8 })], { numRuns: fuzzRuns(150, 5000), seed: fuzzSeed() })(
    'fuzz: byte flips give loaded programs that run, or a KernelError',
    (i, flips) => {
      const b = OBJECTS[i]!.slice();
      for (const f of flips) b[f.pos % b.length]! ^= f.xor;
      attempt(b);
    },
    900_000,
  );

  test.prop([fc.nat(OBJECTS.length - 1), fc.nat()], { numRuns: fuzzRuns(60, 2000), seed: fuzzSeed() + 1 })('fuzz: truncated objects give a KernelError', (i, cut) => {
    const full = OBJECTS[i]!;
    attempt(full.subarray(0, cut % full.length));
  }, 900_000);

  test('both outcomes occurred', () => {
    expect(loaded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
