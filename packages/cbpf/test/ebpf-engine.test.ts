// Converted classic programs on @tcbpf/ebpf's interpreter (the engine the
// kernel's bpf_convert_filter output runs on): the converted instructions are
// placed in a program image by hand (the kernel runs them without the
// verifier), the context image (CLASSIC_CTX, CLASSIC_DEV) is bound as the ctx
// region and the packet as the packet region, and CLASSIC_CALL functions are
// bound as helpers. Every result must equal the classic interpreter's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Prng } from '@tcbpf/base';
import { AddressSpace, BpfSyscall, HELPER_CTRL, REGION, RUN_STATUS, type BpfProg, type HelperEnv, type HelperFn } from '@tcbpf/ebpf';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import {
  CLASSIC_CALL, CLASSIC_CTX, CLASSIC_DEV, CLASSIC_OPCODES, ClassicFilter, type ClassicEnv, type ClassicSkb, OP, type SockFilter, ancK,
  checkClassic, convertClassic, insn, loadPacket, parseDdd, skbGetNlattr, skbGetNlattrNest, skbGetPoff, stmt,
} from '../src/index.js';
import { generatePackets } from './corpus/packets.js';
import { appendixFrame, envOf, skbOf } from './helpers.js';

/** Runs converted programs on one BpfSyscall's interpreter. */
class EbpfRunner {
  readonly sys = new BpfSyscall({ nrCpus: 1 });
  skb: ClassicSkb | undefined;
  env: ClassicEnv | undefined;

  #helper(id: number): HelperFn {
    const set = (e: HelperEnv, lo: number, hi: number): number => {
      e.regs[0] = lo;
      e.regs[1] = hi;
      return HELPER_CTRL.CONTINUE;
    };
    return (e) => {
      const skb = this.skb!;
      const a = e.regs[4]! >>> 0; // R2 lo
      const x = e.regs[6]! >>> 0; // R3 lo
      switch (id) {
        case CLASSIC_CALL.SKB_LOAD_HELPER_8:
        case CLASSIC_CALL.SKB_LOAD_HELPER_16:
        case CLASSIC_CALL.SKB_LOAD_HELPER_32: {
          const size = id === CLASSIC_CALL.SKB_LOAD_HELPER_8 ? 1 : id === CLASSIC_CALL.SKB_LOAD_HELPER_16 ? 2 : 4;
          const v = loadPacket(skb, e.regs[8]! | 0, size); // offset: R4 as int
          return v < 0 ? set(e, -14, -1) : set(e, v | 0, 0);
        }
        case CLASSIC_CALL.SKB_GET_PAY_OFFSET: return set(e, skbGetPoff(skb), 0);
        case CLASSIC_CALL.SKB_GET_NLATTR: return set(e, skbGetNlattr(skb, a, x), 0);
        case CLASSIC_CALL.SKB_GET_NLATTR_NEST: return set(e, skbGetNlattrNest(skb, a, x), 0);
        case CLASSIC_CALL.GET_RAW_CPU_ID: return set(e, this.env!.cpu, 0);
        default: return set(e, this.env!.prng.u32() | 0, 0);
      }
    };
  }

  load(prog: readonly SockFilter[]): BpfProg {
    const c = convertClassic(prog);
    const image = new Int32Array(c.insns.length * 2);
    const helperAt: (HelperFn | undefined)[] = [];
    c.insns.forEach((x, i) => {
      image[i * 2] = x.code | (x.dst << 8) | (x.src << 12) | ((x.off & 0xffff) << 16);
      image[i * 2 + 1] = x.imm;
      helperAt[i] = x.code === 0x85 ? this.#helper(x.imm) : undefined;
    });
    return {
      id: 1, type: 0, name: 'classic', license: 'GPL', gplCompatible: true, insns: [], tag: '', tagBytes: new Uint8Array(8), subprogs: [0], usedMaps: [],
      typeOps: { type: 0, name: 'classic', ctxSize: CLASSIC_CTX.SIZE + CLASSIC_DEV.SIZE, getHelper: () => undefined },
      image, helperAt, stats: { runCnt: 0, runTimeNs: 0, insnCnt: 0 },
    };
  }

  run(prog: BpfProg, skb: ClassicSkb, env: ClassicEnv): number {
    this.skb = skb;
    this.env = env;
    const ctx = new Uint8Array(CLASSIC_CTX.SIZE + CLASSIC_DEV.SIZE);
    const dv = new DataView(ctx.buffer);
    dv.setUint32(CLASSIC_CTX.DATA, skb.dataOff, true); // pointer: lo = offset in the packet region
    dv.setUint32(CLASSIC_CTX.DATA + 4, AddressSpace.hiOf(REGION.PACKET), true);
    dv.setUint32(CLASSIC_CTX.LEN, skb.len, true);
    dv.setUint16(CLASSIC_CTX.PROTOCOL, skb.protocol, false); // network order
    // skb->vlan_all is 0 without a tag (__vlan_hwaccel_clear_tag)
    dv.setUint16(CLASSIC_CTX.VLAN_PROTO, skb.vlanPresent ? skb.vlanProto : 0, false);
    dv.setUint16(CLASSIC_CTX.VLAN_TCI, skb.vlanPresent ? skb.vlanTci : 0, true);
    dv.setUint8(CLASSIC_CTX.PKT_TYPE, skb.pktType & 7);
    dv.setUint32(CLASSIC_CTX.MARK, skb.mark >>> 0, true);
    dv.setUint16(CLASSIC_CTX.QUEUE_MAPPING, skb.queueMapping, true);
    dv.setUint32(CLASSIC_CTX.HASH, skb.hash >>> 0, true);
    dv.setUint32(CLASSIC_CTX.DEV, CLASSIC_CTX.SIZE, true); // the net_device image follows in the ctx region
    dv.setUint32(CLASSIC_CTX.DEV + 4, AddressSpace.hiOf(REGION.CTX), true);
    dv.setUint32(CLASSIC_CTX.SIZE + CLASSIC_DEV.IFINDEX, skb.ifindex, true);
    dv.setUint16(CLASSIC_CTX.SIZE + CLASSIC_DEV.TYPE, skb.devType, true);
    this.sys.mem.bind(REGION.CTX, 'ctx', ctx, false);
    this.sys.mem.bind(REGION.PACKET, 'packet', skb.buf, false);
    const st = this.sys.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
    if (st !== RUN_STATUS.OK) throw new Error(`eBPF run ended with status ${st} at ${this.sys.interpreter.faultPc}`);
    return this.sys.interpreter.r0Lo >>> 0;
  }
}

const runner = new EbpfRunner();

function same(prog: readonly SockFilter[], skb: ClassicSkb, seed = 1): void {
  const f = ClassicFilter.create(prog);
  expect(runner.run(runner.load(f.insns), skb, envOf(0, seed))).toBe(f.run(skb, envOf(0, seed)));
}

describe('converted programs on the @tcbpf/ebpf interpreter', () => {
  it('the libpcap corpus over 200 generated packets', () => {
    const corpus = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'libpcap-corpus.json'), 'utf8')) as { filters: { ddd: string }[] };
    const skbs = generatePackets(200).map((fr) => skbOf(fr, { ifindex: 2, devType: 1 }));
    let n = 0;
    for (const f of corpus.filters) {
      const prog = parseDdd(f.ddd);
      try {
        checkClassic(prog);
      } catch {
        continue;
      }
      const filter = ClassicFilter.create(prog);
      const loaded = runner.load(filter.insns);
      for (const s of skbs) {
        expect(runner.run(loaded, s, envOf())).toBe(filter.run(s, envOf()));
        n++;
      }
    }
    expect(n).toBeGreaterThan(10_000);
  });

  it('every ancillary load (random included) and the negative offsets', () => {
    const skb = skbOf(appendixFrame(96), { vlanPresent: true, vlanTci: 0xe064, vlanProto: 0x88a8, mark: 0xdeadbeef, hash: 0x1234567, queueMapping: 3, pktType: 2 });
    for (let off = 0; off < 64; off += 4) {
      for (const code of [OP.LD_W_ABS, OP.LD_H_ABS, OP.LD_B_ABS]) same([stmt(OP.LDX_IMM, 3), stmt(OP.LD_IMM, 14), stmt(code, ancK(off)), stmt(OP.RET_A, 0)], skb, off + 1);
    }
    for (const k of [-0x100000, -0x100000 + 10, -0x100001, -0x200000 + 12, -0x200000 - 1, -0x1000, 100000]) {
      for (const code of [OP.LD_W_IND, OP.LD_H_IND, OP.LD_B_IND, OP.LDX_MSH]) same([stmt(OP.LDX_IMM, 0), stmt(code, k >>> 0), stmt(OP.TXA, 0), stmt(OP.RET_A, 0)], skb);
    }
  });

  const VALID = Object.keys(CLASSIC_OPCODES).map(Number);
  const insnArb = fc
    .record({
      code: fc.constantFrom(...VALID),
      jt: fc.nat({ max: 3 }),
      jf: fc.nat({ max: 3 }),
      k: fc.oneof(fc.nat({ max: 70 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 15 }).map((v) => ancK(v * 4)), fc.constantFrom(0x80000000, 0xffffffff, 15, 16, 31)),
    })
    .map((r) => insn(r.code, r.jt, r.jf, r.k));
  test.prop([fc.array(insnArb, { maxLength: 30 }), fc.uint8Array({ minLength: 0, maxLength: 120 }), fc.nat({ max: 2 ** 31 })], { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() })(
    'fuzz random accepted programs: the eBPF engine result equals the classic interpreter',
    (body, data, seed) => {
      const prog = [...body, stmt(OP.RET_A, 0)];
      try {
        checkClassic(prog);
      } catch {
        return;
      }
      const r = new Prng(seed);
      const frame = new Uint8Array(data.length < 14 ? 14 : data.length);
      frame.set(data);
      const tagged = r.below(2) === 1;
      same(prog, skbOf(frame, { vlanPresent: tagged, vlanTci: tagged ? r.below(65536) : 0, vlanProto: tagged ? 0x8100 : 0, mark: r.u32(), hash: r.u32() }), seed);
    },
  );
});
