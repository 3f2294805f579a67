// Fuzz: every program the verifier accepts runs in the @tcbpf/ebpf interpreter
// (after the context rewrite) without a single access outside its regions,
// over random packets. Programs are random sequences of packet, stack and
// context accesses with random offsets, sizes and bounds checks.
import { test as fcTest, fc } from '@fast-check/vitest';
import { Prng, SimClock } from '@tcbpf/base';
import { AddressSpace, Interpreter, REGION, RUN_STATUS, type BpfProg, type KernelServices } from '@tcbpf/ebpf';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { describe, expect } from 'vitest';
import { CTX_SHADOW, SKB_OFF, rewriteCtxAccesses, verify } from '../src/index.js';
import { I, SZ, exit, ldx, prog } from './asm.js';
import { program } from './corpus/random-programs.js';

function runner(): { run: (bytes: Uint8Array, pkt: Uint8Array) => number } {
  const mem = new AddressSpace();
  const kernel: KernelServices = {
    clock: new SimClock(), prng: new Prng(1), mem, nrCpus: 1, mapByHandle: () => undefined, mapByRegion: () => undefined, trace: () => undefined,
  };
  const vm = new Interpreter(kernel);
  const ctx = new Uint8Array(CTX_SHADOW.SIZE);
  const cdv = new DataView(ctx.buffer);
  mem.bind(REGION.CTX, 'ctx', ctx);
  const pktHi = AddressSpace.hiOf(REGION.PACKET);
  return {
    run(bytes, pkt) {
      mem.bind(REGION.PACKET, 'packet', pkt);
      ctx.fill(0);
      cdv.setUint32(SKB_OFF.len, pkt.length, true);
      cdv.setUint32(CTX_SHADOW.data, 0, true);
      cdv.setInt32(CTX_SHADOW.data + 4, pktHi, true);
      cdv.setUint32(CTX_SHADOW.data_end, pkt.length, true);
      cdv.setInt32(CTX_SHADOW.data_end + 4, pktHi, true);
      cdv.setUint32(CTX_SHADOW.data_meta, 0, true);
      cdv.setInt32(CTX_SHADOW.data_meta + 4, pktHi, true);
      const n = bytes.length / 8;
      const image = new Int32Array(n * 2);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) {
        const r = dv.getUint8(i * 8 + 1);
        image[i * 2] = dv.getUint8(i * 8) | ((r & 0xf) << 8) | ((r >> 4) << 12) | (dv.getInt16(i * 8 + 2, true) << 16);
        image[i * 2 + 1] = dv.getInt32(i * 8 + 4, true);
      }
      const p: BpfProg = {
        id: 1, type: 3, typeOps: { type: 3, name: 'sched_cls', ctxSize: CTX_SHADOW.SIZE, getHelper: () => undefined }, name: 'fuzz', license: 'GPL', gplCompatible: true,
        insns: [], tag: '', tagBytes: new Uint8Array(8), subprogs: [0], usedMaps: [], image, helperAt: [], stats: { runCnt: 0, runTimeNs: 0, insnCnt: 0 },
      };
      return vm.run(p, AddressSpace.hiOf(REGION.CTX), 0);
    },
  };
}

const PKTS = fuzzRuns(20, 150);
const counts = { programs: 0, accepted: 0, runs: 0, faults: 0 };

describe('accepted programs never leave their regions (fuzz)', () => {
  const r = runner();
  fcTest.prop([program, fc.array(fc.uint8Array({ minLength: 0, maxLength: 160 }), { minLength: PKTS, maxLength: PKTS })], { numRuns: fuzzRuns(300, 5000), seed: fuzzSeed() })(
    'fuzz: verified programs run fault-free on random packets',
    (bytes, packets) => {
      counts.programs++;
      const v = verify(bytes);
      if (!v.ok) return;
      counts.accepted++;
      const code = rewriteCtxAccesses(bytes, v);
      for (const pkt of packets) {
        counts.runs++;
        const st = r.run(code, pkt);
        if (st !== RUN_STATUS.OK) counts.faults++;
        expect(st).toBe(RUN_STATUS.OK);
      }
    },
  );
  fcTest('the interpreter does report an out-of-region access of a refused program (so the fuzz can fail)', () => {
    const bad = prog(ldx(SZ.W, 2, 1, SKB_OFF.data), ldx(SZ.W, 0, 2, 0), exit());
    const v = verify(bad);
    expect(v.ok).toBe(false);
    const forced = rewriteCtxAccesses(bad, { ...v, ok: true });
    expect(r.run(forced, new Uint8Array(2))).toBe(RUN_STATUS.FAULT);
  });
  fcTest('fuzz summary: enough accepted programs were exercised', () => {
    process.stdout.write(`accepted-run fuzz: ${counts.programs} programs, ${counts.accepted} accepted, ${counts.runs} runs, ${counts.faults} faults\n`);
    expect(counts.faults).toBe(0);
    expect(counts.accepted).toBeGreaterThan(counts.programs / 10);
  });
  void I;
});
