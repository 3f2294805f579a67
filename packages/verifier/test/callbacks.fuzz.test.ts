// Fuzz: callback programs (the accepted programs of the callback corpus,
// randomly mutated: immediates, offsets, registers, opcodes, func_info) through
// the verifier never throw, and every mutant the verifier accepts runs in the
// @tcbpf/ebpf interpreter (after the context rewrite, with real maps and the
// real bpf_loop / bpf_for_each_map_elem) without a fault, on random packets.
import { test as fcTest, fc } from '@fast-check/vitest';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, decodeInsns, makeProgType } from '@tcbpf/ebpf';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { afterAll, describe, expect } from 'vitest';
import { CTX_SHADOW, SKB_OFF, rewriteCtxAccesses, verify, type FuncInfo, type MapDescriptor } from '../src/index.js';
import { CALLBACK_CASES } from './callbacks/cases.js';

const ACCEPTED = CALLBACK_CASES.filter((c) => !c.name.includes('no-btf') && verify(c.insns, {
  maps: new Map<number, MapDescriptor>(c.maps.map((m, i) => [i, m])), ...(c.funcs === undefined ? {} : { funcInfo: c.funcs }),
}).ok);
const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (callback fuzz)', ctxSize: 192 });

const mutation = fc.record({
  at: fc.nat(),
  field: fc.constantFrom('imm', 'off', 'dst', 'src', 'code'),
  value: fc.integer({ min: -40, max: 300 }),
});
const CODES = [0x07, 0xb7, 0xbf, 0x61, 0x79, 0x63, 0x7b, 0x62, 0x7a, 0x85, 0x95, 0x05, 0x15, 0x25, 0x55, 0xa5, 0x57, 0x77, 0xbc];
const counts = { programs: 0, accepted: 0, runs: 0 };

describe('mutated callback programs (fuzz)', () => {
  afterAll(() => {
    // the mutants reach the interpreter (not all refused): the property is not vacuous
    expect(ACCEPTED.length).toBeGreaterThanOrEqual(10);
    expect(counts.accepted).toBeGreaterThan(0);
    expect(counts.runs).toBeGreaterThan(0);
    console.log(`callback fuzz: ${counts.programs} mutants, ${counts.accepted} accepted, ${counts.runs} runs without a fault`);
  });
  fcTest.prop([
    fc.nat({ max: ACCEPTED.length - 1 }), fc.array(mutation, { minLength: 0, maxLength: 3 }), fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.array(fc.record({ insnOff: fc.nat({ max: 40 }), linkage: fc.nat({ max: 2 }) }), { maxLength: 5 }) }),
    fc.array(fc.uint8Array({ minLength: 14, maxLength: 120 }), { minLength: 3, maxLength: 3 }),
  ], { numRuns: fuzzRuns(200, 5000), seed: fuzzSeed() })(
    'fuzz: mutants never make verify() throw; accepted ones run fault-free with bpf_loop/for_each',
    (which, muts, funcs, packets) => {
      counts.programs++;
      const c = ACCEPTED[which]!;
      const bytes = c.insns.slice();
      const dv = new DataView(bytes.buffer);
      const n = bytes.length / 8;
      for (const m of muts) {
        const i = m.at % n;
        if (m.field === 'imm') dv.setInt32(i * 8 + 4, dv.getInt32(i * 8 + 4, true) + m.value, true);
        else if (m.field === 'off') dv.setInt16(i * 8 + 2, m.value, true);
        else if (m.field === 'dst') bytes[i * 8 + 1] = (bytes[i * 8 + 1]! & 0xf0) | (m.value & 0xf);
        else if (m.field === 'src') bytes[i * 8 + 1] = (bytes[i * 8 + 1]! & 0x0f) | ((m.value & 0xf) << 4);
        else bytes[i * 8] = CODES[Math.abs(m.value) % CODES.length]!;
      }
      const sys = new BpfSyscall({ progTypes: [TYPE] });
      const fds = c.maps.map((m) => sys.mapCreate({ mapType: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, mapFlags: 'flags' in m ? (m as { flags: number }).flags : 0 }));
      // LD_IMM64 map references carry the map's index: patch in the fd (as the kernel harness does)
      for (let i = 0; i + 1 < n; i++) {
        if (bytes[i * 8] === 0x18 && (bytes[i * 8 + 1]! >> 4) === 1) {
          const idx = dv.getInt32(i * 8 + 4, true);
          if (idx >= 0 && idx < fds.length) dv.setInt32(i * 8 + 4, fds[idx]!, true);
          i++;
        }
      }
      const maps = (fd: number): MapDescriptor | undefined => {
        const m = sys.mapByFd(fd);
        return m === undefined ? undefined : { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags };
      };
      const funcInfo: readonly FuncInfo[] | undefined = funcs ?? c.funcs;
      const res = verify(bytes, { maps, ...(funcInfo === undefined ? {} : { funcInfo }) });
      if (!res.ok) {
        expect(res.message.length + res.errno.length).toBeGreaterThan(0);
        return;
      }
      counts.accepted++;
      const xlated = decodeInsns(rewriteCtxAccesses(bytes, res));
      let fd: number;
      try {
        fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: bytes, license: 'GPL', verifier: () => xlated });
      } catch (e) {
        if (process.env['CBF_DEBUG'] !== undefined) console.log('LOADFAIL', c.name, String(e));
        return; // the engine's own load checks (e.g. a helper the test type lacks) may refuse
      }
      const ctx = new Uint8Array(CTX_SHADOW.SIZE);
      const cdv = new DataView(ctx.buffer);
      sys.mem.bind(REGION.CTX, 'ctx', ctx);
      const pktHi = AddressSpace.hiOf(REGION.PACKET);
      for (const pkt of packets) {
        sys.mem.bind(REGION.PACKET, 'packet', pkt);
        ctx.fill(0);
        cdv.setUint32(SKB_OFF.len, pkt.length, true);
        cdv.setInt32(CTX_SHADOW.data + 4, pktHi, true);
        cdv.setUint32(CTX_SHADOW.data_end, pkt.length, true);
        cdv.setInt32(CTX_SHADOW.data_end + 4, pktHi, true);
        cdv.setInt32(CTX_SHADOW.data_meta + 4, pktHi, true);
        const st = sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0);
        counts.runs++;
        expect(st, `${c.name} mutant, fault at insn ${sys.interpreter.faultPc}`).toBe(RUN_STATUS.OK);
      }
    },
  );
});
