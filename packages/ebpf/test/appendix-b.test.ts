// The eBPF runtime edge cases of bpf-vm.md Appendix B (observed on Linux 6.18) as tests:
// each vector runs on our interpreter and, when the bpf() oracle is available, on the kernel
// (SCHED_CLS test_run, 64-byte frame with byte n = n). Vectors are written in the kernel's
// verifier-log syntax (assembleKernel); r0 is captured in full through an array map.
import { Prng, toHex } from '@tcbpf/base';
import { BpfOracle, bpfOracle, must } from '@tcbpf/testing';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, encodeInsns, insn, ldImm64, makeProgType, type Insn,
} from '../src/index.js';
import { withMapFd } from './gen-programs.js';

const FRAME = Uint8Array.from({ length: 64 }, (_, i) => i);
const V = 'r0 = 0xfedcba9876543210 ll';
const M = 'r1 = 0xffffffff00000005 ll\n*(u64 *)(r10 -8) = r1';

/** [name, program (kernel syntax, no exit), expected r0 as 16 hex digits]. */
const VECTORS: readonly (readonly [string, string, string])[] = [
  ['div64 by zero reg', `${V}\nr1 = 0\nr0 /= r1`, '0000000000000000'],
  ['mod64 by zero reg', `${V}\nr1 = 0\nr0 %= r1`, 'fedcba9876543210'],
  ['div32 by zero', `${V}\nw1 = 0\nw0 /= w1`, '0000000000000000'],
  ['mod32 by zero keeps low half', `${V}\nw1 = 0\nw0 %= w1`, '0000000076543210'],
  ['div32 divisor 0x100000000 is zero', `${V}\nr1 = 0x100000000 ll\nw0 /= w1`, '0000000000000000'],
  ['sdiv64 by zero', `${V}\nr1 = 0\nr0 s/= r1`, '0000000000000000'],
  ['smod64 by zero', `${V}\nr1 = 0\nr0 s%= r1`, 'fedcba9876543210'],
  ['smod32 by zero', `${V}\nw1 = 0\nw0 s%= w1`, '0000000076543210'],
  ['sdiv64 INT_MIN / -1', 'r0 = 0x8000000000000000 ll\nr0 s/= -1', '8000000000000000'],
  ['smod64 INT_MIN % -1', 'r0 = 0x8000000000000000 ll\nr0 s%= -1', '0000000000000000'],
  ['sdiv32 INT_MIN / -1', 'r0 = 0xffffffff80000000 ll\nw0 s/= -1', '0000000080000000'],
  ['smod32 INT_MIN % -1', 'r0 = 0xffffffff80000000 ll\nw0 s%= -1', '0000000000000000'],
  ['smod -7 % 2', 'r0 = -7\nr0 s%= 2', 'ffffffffffffffff'],
  ['sdiv -7 / 2', 'r0 = -7\nr0 s/= 2', 'fffffffffffffffd'],
  ['smod 7 % -2', 'r0 = 7\nr0 s%= -2', '0000000000000001'],
  ['udiv -7 / 2', 'r0 = -7\nr0 /= 2', '7ffffffffffffffc'],
  ['udiv64 by imm -1 (sign-extended)', `${V}\nr0 /= -1`, '0000000000000000'],
  ['lsh64 count masked', 'r0 = 1\nr1 = 65\nr0 <<= r1', '0000000000000002'],
  ['lsh32 count masked', 'w0 = 1\nw1 = 33\nw0 <<= w1', '0000000000000002'],
  ['arsh64 count masked', 'r0 = -1\nr1 = -1\nr0 s>>= r1', 'ffffffffffffffff'],
  ['arsh32 by 4', 'r0 = 0x80000000 ll\nw0 s>>= 4', '00000000f8000000'],
  ['arsh32 by 31', 'r0 = 0x80000000 ll\nw0 s>>= 31', '00000000ffffffff'],
  ['add32 wraps and zero-extends', 'r0 = -1\nw0 += 1', '0000000000000000'],
  ['mov64 imm sign-extends', 'r0 = -1', 'ffffffffffffffff'],
  ['mov32 imm zero-extends', 'w0 = -1', '00000000ffffffff'],
  ['mov32 reg zero-extends', 'r1 = -1\nw0 = w1', '00000000ffffffff'],
  ['movsx64 s8', 'r1 = 0x80\nr0 = (s8)r1', 'ffffffffffffff80'],
  ['movsx32 s16', 'r1 = 0x8000\nw0 = (s16)w1', '00000000ffff8000'],
  ['movsx64 s32', 'r1 = 0x80000000 ll\nr0 = (s32)r1', 'ffffffff80000000'],
  ['neg32', 'r0 = 0x100000005 ll\nw0 = -w0', '00000000fffffffb'],
  ['neg64', 'r0 = 0x100000005 ll\nr0 = -r0', 'fffffffefffffffb'],
  ['be16', 'r0 = 0x0102030405060708 ll\nr0 = be16 r0', '0000000000000807'],
  ['be32', 'r0 = 0x0102030405060708 ll\nr0 = be32 r0', '0000000008070605'],
  ['be64', 'r0 = 0x0102030405060708 ll\nr0 = be64 r0', '0807060504030201'],
  ['le16', 'r0 = 0x0102030405060708 ll\nr0 = le16 r0', '0000000000000708'],
  ['le32', 'r0 = 0x0102030405060708 ll\nr0 = le32 r0', '0000000005060708'],
  ['le64', 'r0 = 0x0102030405060708 ll\nr0 = le64 r0', '0102030405060708'],
  ['bswap16', 'r0 = 0x0102030405060708 ll\nr0 = bswap16 r0', '0000000000000807'],
  ['bswap32', 'r0 = 0x0102030405060708 ll\nr0 = bswap32 r0', '0000000008070605'],
  ['bswap64', 'r0 = 0x0102030405060708 ll\nr0 = bswap64 r0', '0807060504030201'],
  ['mul32', 'w0 = 0x12345\nw0 *= 0x10000', '0000000023450000'],
  ['mul64', 'r0 = 0xffffffff ll\nr1 = -1\nr0 *= r1', 'ffffffff00000001'],
  ['ldx u32 zero-extends', 'r1 = -1\n*(u64 *)(r10 -8) = r1\nr0 = *(u32 *)(r10 -8)', '00000000ffffffff'],
  ['ldx s32', 'r1 = -1\n*(u64 *)(r10 -8) = r1\nr0 = *(s32 *)(r10 -8)', 'ffffffffffffffff'],
  ['ldx s8', 'r1 = -1\n*(u64 *)(r10 -8) = r1\nr0 = *(s8 *)(r10 -8)', 'ffffffffffffffff'],
  ['ldx s16', 'r1 = -1\n*(u64 *)(r10 -8) = r1\nr0 = *(s16 *)(r10 -8)', 'ffffffffffffffff'],
  ['st u32 halves', '*(u32 *)(r10 -8) = -1\n*(u32 *)(r10 -4) = 0\nr0 = *(u64 *)(r10 -8)', '00000000ffffffff'],
  ['st u64 sign-extends imm', '*(u64 *)(r10 -8) = -1\nr0 = *(u64 *)(r10 -8)', 'ffffffffffffffff'],
  ['fetch_add32 returns old low word', `${M}\nr2 = 0xaaaaaaaa00000001 ll\nr2 = atomic_fetch_add((u32 *)(r10 -8), r2)\nr0 = r2`, '0000000000000005'],
  ['fetch_add32 memory', `${M}\nr2 = 0xaaaaaaaa00000001 ll\nr2 = atomic_fetch_add((u32 *)(r10 -8), r2)\nr0 = *(u64 *)(r10 -8)`, 'ffffffff00000006'],
  ['fetch_add64', `${M}\nr2 = 7\nr2 = atomic64_fetch_add((u64 *)(r10 -8), r2)\nr0 = r2`, 'ffffffff00000005'],
  ['xchg64', `${M}\nr2 = 9\nr2 = atomic64_xchg((u64 *)(r10 -8), r2)\nr0 = r2`, 'ffffffff00000005'],
  ['xchg32 memory', `${M}\nr2 = 9\nr2 = atomic_xchg((u32 *)(r10 -8), r2)\nr0 = *(u64 *)(r10 -8)`, 'ffffffff00000009'],
  ['cmpxchg64 match: r0 = old', `${M}\nr0 = 0xffffffff00000005 ll\nr2 = 77\nr0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r2)`, 'ffffffff00000005'],
  ['cmpxchg64 match: memory', `${M}\nr0 = 0xffffffff00000005 ll\nr2 = 77\nr0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r2)\nr0 = *(u64 *)(r10 -8)`, '000000000000004d'],
  ['cmpxchg64 mismatch: memory unchanged', `${M}\nr0 = 1\nr2 = 77\nr0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r2)\nr0 = *(u64 *)(r10 -8)`, 'ffffffff00000005'],
  ['cmpxchg32 compares low word', `${M}\nr0 = 0x1234567800000005 ll\nr2 = 77\nr0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r2)`, '0000000000000005'],
  ['cmpxchg32 memory', `${M}\nr0 = 0x1234567800000005 ll\nr2 = 77\nr0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r2)\nr0 = *(u64 *)(r10 -8)`, 'ffffffff0000004d'],
  ['cmpxchg32 mismatch: r0 = old zero-extended', `${M}\nr0 = 3\nr2 = 77\nr0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r2)`, '0000000000000005'],
  ['fetch_and32', `${M}\nr2 = 0xf\nr2 = atomic_fetch_and((u32 *)(r10 -8), r2)\nr0 = r2`, '0000000000000005'],
  ['and32 without fetch leaves src', `${M}\nr2 = 0xf\nlock *(u32 *)(r10 -8) &= r2\nr0 = r2`, '000000000000000f'],
  ['jmp32 s> on low word', 'r1 = 0x1ffffffff ll\nr0 = 0\nif w1 s> 0x0 goto pc+1\ngoto pc+1\nr0 = 1', '0000000000000000'],
  ['jmp s> on 64 bits', 'r1 = 0x1ffffffff ll\nr0 = 0\nif r1 s> 0x0 goto pc+1\ngoto pc+1\nr0 = 1', '0000000000000001'],
  ['jmp32 == 0 on low word', 'r1 = 0xffffffff00000000 ll\nr0 = 0\nif w1 == 0x0 goto pc+1\ngoto pc+1\nr0 = 1', '0000000000000001'],
  ['jmp == -1 sign-extends imm', 'r1 = -1\nr0 = 0\nif r1 == 0xffffffff goto pc+1\ngoto pc+1\nr0 = 1', '0000000000000001'],
  ['jmp 0xffffffff != -1 (64-bit)', 'r1 = 0xffffffff ll\nr0 = 0\nif r1 == 0xffffffff goto pc+1\ngoto pc+1\nr0 = 1', '0000000000000000'],
  ['jmp32 0xffffffff == -1', 'r1 = 0xffffffff ll\nr0 = 0\nif w1 == 0xffffffff goto pc+1\ngoto pc+1\nr0 = 1', '0000000000000001'],
  ['ldabs b', 'r0 = *(u8 *)skb[5]', '0000000000000005'],
  ['ldabs h big-endian', 'r0 = *(u16 *)skb[2]', '0000000000000203'],
  ['ldabs w big-endian', 'r0 = *(u32 *)skb[4]', '0000000004050607'],
  ['ldind w', 'r2 = -4\nr0 = *(u32 *)skb[r2 + 8]', '0000000004050607'],
  ['ldabs keeps r7', 'r7 = 0x55\nr0 = *(u8 *)skb[1]\nr0 = r7', '0000000000000055'],
  ['r0 = 0x100000005', 'r0 = 0x100000005 ll', '0000000100000005'],
];

/** Vectors whose program ends early with r0 = 0 (failed legacy loads): the map is not written. */
const EARLY_EXIT: readonly (readonly [string, string])[] = [
  ['ldabs w beyond the frame', 'r0 = 99\nr0 = *(u32 *)skb[100]'],
  ['ldabs w partly beyond the frame', 'r0 = 99\nr0 = *(u32 *)skb[61]'],
  ['ldind with a negative offset', 'r0 = 99\nr2 = -20\nr0 = *(u32 *)skb[r2 + 8]'],
];

/** Prologue r6 = r1, the vector, then the epilogue that copies r0 into map[0]. */
function wrap(text: string): Insn[] {
  return [
    insn(0xbf, 6, 1),
    ...assembleKernel(text),
    insn(0x7b, 10, 0, -16, 0),
    insn(0x62, 10, 0, -20, 0),
    ...ldImm64(1, 0, 0, 1),
    insn(0xbf, 2, 10),
    insn(0x07, 2, 0, 0, -20),
    insn(0x85, 0, 0, 0, 1),
    insn(0x15, 0, 0, 2, 0),
    insn(0x79, 1, 10, -16, 0),
    insn(0x7b, 0, 1, 0, 0),
    insn(0x79, 0, 10, -16, 0),
    insn(0x95),
  ];
}

/** A SCHED_CLS-like program type whose LD_ABS/IND read the packet region (non-negative offsets only). */
const TYPE = makeProgType({
  type: BPF_PROG_TYPE.SCHED_CLS,
  name: 'sched_cls (test)',
  ctxSize: 192,
  ldPacket: (env, off, size) => {
    const r = env.kernel.mem.region(REGION.PACKET);
    if (r === undefined || off < 0 || off + size > r.bytes.length) return -1;
    return size === 1 ? r.view.getUint8(off) : size === 2 ? r.view.getUint16(off, false) : r.view.getUint32(off, false);
  },
});

function runOurs(insns: readonly Insn[]): { retval: number; value: string } {
  const sys = new BpfSyscall({ progTypes: [TYPE] });
  const mapFd = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
  const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: withMapFd(insns, mapFd), license: 'GPL' });
  sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192));
  sys.mem.bind(REGION.PACKET, 'packet', FRAME.slice());
  expect(sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0)).toBe(RUN_STATUS.OK);
  const v = sys.mapLookupElem(mapFd, new Uint8Array(4));
  return { retval: sys.interpreter.r0Lo >>> 0, value: toHex(v.slice().reverse()) };
}

describe('Appendix B vectors on the interpreter', () => {
  it.each(VECTORS)('%s', (_name, text, want) => {
    const r = runOurs(wrap(text));
    expect(r.value).toBe(want);
    expect(r.retval).toBe(parseInt(want.slice(8), 16));
  });
  it.each(EARLY_EXIT)('%s: the whole program returns 0', (_name, text) => {
    const r = runOurs(wrap(text));
    expect(r).toEqual({ retval: 0, value: '0000000000000000' });
  });
  it('is deterministic across fresh instances (no hidden state)', () => {
    const p = new Prng(1);
    const pick = VECTORS[p.below(VECTORS.length)]!;
    expect(runOurs(wrap(pick[1]))).toEqual(runOurs(wrap(pick[1])));
  });
});

const o = bpfOracle();
describe.skipIf(!o.ok)(`Appendix B vectors on the kernel (kernel: ${o.reason || 'bpf() available'})`, () => {
  let k: BpfOracle;
  let kmap: number;
  beforeAll(async () => {
    k = BpfOracle.open();
    kmap = must(await k.mapCreate(BPF_MAP_TYPE.ARRAY, 4, 8, 1), 'map_create');
  });
  afterAll(() => k.close());

  it('every vector gives the same r0 in the kernel', async () => {
    const key = new Uint8Array(4);
    const all = [...VECTORS.map(([n, t, w]) => [n, t, w] as const), ...EARLY_EXIT.map(([n, t]) => [n, t, '0000000000000000'] as const)];
    for (const [name, text, want] of all) {
      const fd = must(await k.progLoad(BPF_PROG_TYPE.SCHED_CLS, encodeInsns(withMapFd(wrap(text), kmap))), `load ${name}`);
      must(await k.mapUpdate(kmap, key, new Uint8Array(8)), 'zero');
      const run = must(await k.testRun(fd, FRAME, 0), `run ${name}`);
      const v = must(await k.mapLookup(kmap, key, 8), 'lookup');
      must(await k.closeFd(fd), 'close');
      expect({ name, value: toHex(v.slice().reverse()), retval: run.retval }).toEqual({ name, value: want, retval: parseInt(want.slice(8), 16) });
    }
  });
});
