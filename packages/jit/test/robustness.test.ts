// The compiler and the module builder on arbitrary input: any instruction image
// either compiles to a valid module whose runs end with a RUN_STATUS (never a JS
// exception, never a hang: the loop budget), or is refused with a KernelError; the
// LEB128 writers round-trip.
import { KernelError } from '@tcbpf/base';
import { BpfSyscall, RUN_STATUS, makeProgType, type BpfProg, type HelperFn } from '@tcbpf/ebpf';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ByteWriter, JitRuntime, callbackFallbackReason, compileProgram } from '../src/index.js';

const TYPE = makeProgType({ type: 1, name: 'robustness', ctxSize: 0 });
const STATUSES: readonly number[] = Object.values(RUN_STATUS);

/** An interesting opcode byte (mostly valid ones) with random fields. */
const word = fc.record({
  code: fc.oneof(fc.constantFrom(0x07, 0x0f, 0x17, 0x27, 0x37, 0x3f, 0x97, 0x9f, 0x34, 0x3c, 0x94, 0x9c, 0x67, 0x77, 0xc7, 0xbf, 0xbc, 0xb7, 0xd7, 0xd4, 0xdc,
    0x05, 0x06, 0x15, 0x1d, 0x16, 0x2d, 0x3e, 0x45, 0x56, 0x65, 0xad, 0xde, 0x85, 0x95, 0x18, 0x61, 0x69, 0x71, 0x79, 0x81, 0x62, 0x63, 0x7b, 0xc3, 0xdb, 0xd3, 0x20, 0x48, 0xe5), fc.nat({ max: 255 })),
  dst: fc.nat({ max: 15 }), src: fc.nat({ max: 15 }), off: fc.integer({ min: -8, max: 8 }), imm: fc.oneof(fc.integer({ min: -8, max: 8 }), fc.integer()),
});

describe('robustness', () => {
  const sys = new BpfSyscall({ progTypes: [TYPE] });
  sys.interpreter.budget = 1 << 14;
  const jit = new JitRuntime(sys, sys.interpreter);
  const helper: HelperFn = (env) => { env.regs[0] = 7; env.regs[1] = 0; return 0; };
  test.prop([fc.array(word, { minLength: 1, maxLength: 40 }), fc.boolean()], { numRuns: fuzzRuns(400, 20_000), seed: fuzzSeed() })(
    'fuzz arbitrary images: compiled and run without exceptions, or refused with a KernelError',
    (words, stackify) => {
      const image = new Int32Array(words.length * 2);
      words.forEach((w, i) => { image[i * 2] = w.code | (w.dst << 8) | (w.src << 12) | (w.off << 16); image[i * 2 + 1] = w.imm; });
      const helperAt = words.map((w) => (w.code === 0x85 && w.src === 0 && (w.imm & 1) === 1 ? helper : undefined));
      try {
        compileProgram({ image, helperAt, subprogs: [0], hasLdPacket: false }, { stackify });
      } catch (e) {
        expect(e).toBeInstanceOf(KernelError);
        return;
      }
      const prog: BpfProg = {
        id: 0, type: 1, typeOps: TYPE, name: '', license: '', gplCompatible: false, insns: [], tag: '', tagBytes: new Uint8Array(8),
        subprogs: [0], usedMaps: [], image, helperAt, stats: { runCnt: 0, runTimeNs: 0, insnCnt: 0 },
      };
      jit.setProgJit(prog, true);
      // callback programs (BPF_PSEUDO_FUNC) stay on the interpreter by design
      expect(jit.load(prog).jited).toBe(callbackFallbackReason(image) === undefined);
      expect(STATUSES).toContain(jit.run(prog, 0, 0));
    },
  );

  test.prop([fc.integer(), fc.integer(), fc.nat()], { numRuns: fuzzRuns(500, 50_000), seed: fuzzSeed() })(
    'fuzz LEB128 writers round-trip (uleb, sleb32, sleb64)',
    (lo, hi, u) => {
      const readS = (b: Uint8Array): bigint => {
        let v = 0n, shift = 0n, i = 0;
        for (;;) {
          const byte = b[i++]!;
          v |= BigInt(byte & 0x7f) << shift;
          shift += 7n;
          if ((byte & 0x80) === 0) { if (byte & 0x40) v -= 1n << shift; break; }
        }
        expect(i).toBe(b.length);
        return v;
      };
      expect(readS(new ByteWriter().sleb32(lo).toBytes())).toBe(BigInt(lo | 0));
      expect(readS(new ByteWriter().sleb64(lo, hi).toBytes())).toBe(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0)));
      const ub = new ByteWriter().uleb(u >>> 0).toBytes();
      let v = 0, shift = 0;
      for (const b of ub) { v += (b & 0x7f) * 2 ** shift; shift += 7; }
      expect(v).toBe(u >>> 0);
    },
  );
});
