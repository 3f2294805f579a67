// Must-show 2: the packet-editing checksum helpers (bpf_l3_csum_replace,
// bpf_l4_csum_replace, bpf_csum_diff, bpf_skb_store_bytes with
// BPF_F_RECOMPUTE_CSUM) keep checksums valid exactly when the kernel's do.
// Property test against this machine's kernel: a random IPv4/IPv6 TCP/UDP
// frame with correct checksums, a random rewrite (addresses, ports, TOS/TTL,
// random bytes), and a random way of fixing the checksums (right sizes and
// pseudo-header flags, wrong ones, diff mode through csum_diff, invalid flag
// bits, odd or out-of-range offsets, MARK_MANGLED_0 on UDP). The same program
// runs in the kernel (BPF_PROG_TEST_RUN) and in tcbpf: retval and output bytes
// must be identical, and so must the checksum verdicts of the output.
import { assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { buildFrame, dissect } from '@tcbpf/skb';
import { BpfOracle, bpfOracle, fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { TcTestRunner, loadTcProgram, tcBpfSyscall } from '../src/index.js';

const o = bpfOracle();

interface Edit {
  readonly v6: boolean;
  readonly udp: boolean;
  readonly zeroUdpCsum: boolean;
  /** which field is rewritten */
  readonly field: 'daddr' | 'saddr' | 'dport' | 'sport' | 'tos' | 'random';
  readonly newBytes: readonly number[];
  /** how the program fixes the checksums */
  readonly fix: 'right' | 'diff' | 'no-pseudo' | 'wrong-size' | 'random-flags' | 'odd-offset' | 'far-offset' | 'none';
  readonly randomFlags: number;
  readonly randomOff: number;
  readonly payloadLen: number;
  readonly mangled0: boolean;
  readonly recompute: boolean;
}

function frameOf(e: Edit): Uint8Array {
  const payload = new Uint8Array(e.payloadLen).map((_, i) => (i * 37 + 11) & 0xff);
  const l4 = e.udp ? { kind: 'udp' as const, sport: 4000, dport: 53, payload } : { kind: 'tcp' as const, sport: 4000, dport: 80, payload };
  const mac = { dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1) };
  const f = e.v6
    ? buildFrame({ ...mac, l3: { kind: 'ipv6', src: Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), dst: Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2), l4 } })
    : buildFrame({ ...mac, l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), tos: 0x10, l4 } });
  if (e.udp && e.zeroUdpCsum && !e.v6) { f[14 + 20 + 6] = 0; f[14 + 20 + 7] = 0; }
  return f;
}

/** Field offset and size in the frame. */
function fieldOf(e: Edit): [number, number] {
  const l3 = 14;
  const l4 = e.v6 ? l3 + 40 : l3 + 20;
  switch (e.field) {
    case 'daddr': return e.v6 ? [l3 + 24 + 12, 4] : [l3 + 16, 4];
    case 'saddr': return e.v6 ? [l3 + 8 + 12, 4] : [l3 + 12, 4];
    case 'dport': return [l4 + 2, 2];
    case 'sport': return [l4, 2];
    case 'tos': return e.v6 ? [l3, 2] : [l3, 2]; // version/ihl/tos word: 2 bytes
    case 'random': return [e.udp ? l4 + 4 : l4 + 4 + (e.randomOff % 6) * 2, 2];
  }
}

function hexImm(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** The test program: write the new bytes, fix checksums as `e.fix` says, return the helpers' results packed. */
function programOf(e: Edit, frame: Uint8Array): Uint8Array {
  const [off, size] = fieldOf(e);
  const dv = new DataView(frame.buffer, frame.byteOffset);
  const oldV = size === 4 ? dv.getUint32(off, true) : dv.getUint16(off, true); // as the program would load it (LE host)
  const nb = new Uint8Array(4);
  nb.set(e.newBytes.slice(0, size));
  const newV = size === 4 ? new DataView(nb.buffer).getUint32(0, true) : new DataView(nb.buffer).getUint16(0, true);
  const l4 = e.v6 ? 14 + 40 : 14 + 20;
  const l4csum = l4 + (e.udp ? 6 : 16);
  const isL3Field = e.field === 'daddr' || e.field === 'saddr' || e.field === 'tos';
  const pseudo = e.field === 'daddr' || e.field === 'saddr';
  const mm = e.mangled0 ? 0x20 : 0;
  const lines: string[] = ['r6 = r1', 'r7 = 0', 'r8 = 0'];
  const l4call = (from: number, to: number, flags: number, o2 = l4csum): void => {
    lines.push('r1 = r6', `r2 = ${o2}`, `r3 = ${hexImm(from)}`, `r4 = ${hexImm(to)}`, `r5 = ${hexImm(flags)}`, 'call bpf_l4_csum_replace#11', 'r7 <<= 8', 'r0 &= 0xff', 'r7 |= r0');
  };
  const l3call = (from: number, to: number, flags: number): void => {
    lines.push('r1 = r6', `r2 = ${14 + 10}`, `r3 = ${hexImm(from)}`, `r4 = ${hexImm(to)}`, `r5 = ${hexImm(flags)}`, 'call bpf_l3_csum_replace#10', 'r8 <<= 8', 'r0 &= 0xff', 'r8 |= r0');
  };
  switch (e.fix) {
    case 'right':
      if (pseudo || !isL3Field) l4call(oldV, newV, (pseudo ? 0x10 : 0) | size | mm | (e.v6 ? 0x80 : 0));
      if (isL3Field && !e.v6) l3call(oldV, newV, size);
      break;
    case 'diff': {
      // csum_diff(&old, 4, &new, 4, 0) then l3/l4 replace with size 0 (diff mode)
      lines.push(`*(u32 *)(r10 -8) = ${hexImm(size === 4 ? oldV : oldV & 0xffff)}`, `*(u32 *)(r10 -16) = ${hexImm(size === 4 ? newV : newV & 0xffff)}`,
        'r1 = r10', 'r1 += -8', 'r2 = 4', 'r3 = r10', 'r3 += -16', 'r4 = 4', 'r5 = 0', 'call bpf_csum_diff#28', 'r9 = r0');
      if (pseudo || !isL3Field) lines.push('r1 = r6', `r2 = ${l4csum}`, 'r3 = 0', 'r4 = r9', `r5 = ${(pseudo ? 0x10 : 0) | mm | (e.v6 ? 0x80 : 0)}`, 'call bpf_l4_csum_replace#11', 'r7 = r0', 'r7 &= 0xff');
      if (isL3Field && !e.v6) lines.push('r1 = r6', 'r2 = 24', 'r3 = 0', 'r4 = r9', 'r5 = 0', 'call bpf_l3_csum_replace#10', 'r8 = r0', 'r8 &= 0xff');
      break;
    }
    case 'no-pseudo':
      l4call(oldV, newV, size | mm);
      if (isL3Field && !e.v6) l3call(oldV, newV, size);
      break;
    case 'wrong-size':
      l4call(oldV, newV, (pseudo ? 0x10 : 0) | (size === 4 ? 2 : 4) | mm);
      if (isL3Field && !e.v6) l3call(oldV, newV, size === 4 ? 2 : 4);
      break;
    case 'random-flags':
      l4call(oldV, newV, e.randomFlags);
      l3call(oldV, newV, e.randomFlags & 0x1f);
      break;
    case 'odd-offset':
      l4call(oldV, newV, size | 0x10, l4csum + 1);
      break;
    case 'far-offset':
      l4call(oldV, newV, size | 0x10, e.randomOff % 2 === 0 ? frame.length - 1 + (e.randomOff % 4) : 0x10000 + e.randomOff);
      break;
    case 'none':
      break;
  }
  lines.push(`*(u32 *)(r10 -24) = ${hexImm(newV)}`, 'r1 = r6', `r2 = ${off}`, 'r3 = r10', 'r3 += -24', `r4 = ${size}`, `r5 = ${e.recompute ? 1 : 0}`, 'call bpf_skb_store_bytes#9',
    'r0 &= 0xff', 'r7 <<= 8', 'r7 |= r0', 'r8 <<= 24', 'r0 = r7', 'r0 ^= r8', 'exit');
  return encodeInsns(assembleKernel(lines.join('\n')));
}

const edit = fc.record({
  v6: fc.boolean(), udp: fc.boolean(), zeroUdpCsum: fc.boolean(),
  field: fc.constantFrom('daddr' as const, 'saddr' as const, 'dport' as const, 'sport' as const, 'tos' as const, 'random' as const),
  newBytes: fc.array(fc.nat(255), { minLength: 4, maxLength: 4 }),
  fix: fc.constantFrom('right' as const, 'right' as const, 'diff' as const, 'no-pseudo' as const, 'wrong-size' as const, 'random-flags' as const, 'odd-offset' as const, 'far-offset' as const, 'none' as const),
  randomFlags: fc.oneof(fc.nat(0xff), fc.integer({ min: 0, max: 0x7fffffff })),
  randomOff: fc.nat(0xffff),
  payloadLen: fc.nat(40),
  mangled0: fc.boolean(),
  recompute: fc.boolean(),
});

describe.skipIf(!o.ok)(`checksum helpers against the kernel (kernel: ${o.reason || 'bpf() available'})`, () => {
  let k: BpfOracle;
  beforeAll(() => { k = BpfOracle.open(); });
  afterAll(() => k.close());
  const sys = tcBpfSyscall();
  const runner = new TcTestRunner(sys);
  let valid = 0;
  let invalid = 0;

  test.prop([edit], { numRuns: fuzzRuns(100, 5000), seed: fuzzSeed() })('property (fuzz): same retval, bytes and checksum validity as the kernel', async (e) => {
    const frame = frameOf(e);
    const insns = programOf(e, frame);
    const kfd = await k.progLoad(3, insns);
    if (!kfd.ok) throw new Error(`kernel refused: ${kfd.log}`);
    try {
      const kr = await k.testRun(kfd.value, frame, 4096);
      const { fd } = loadTcProgram(sys, { insns, license: 'GPL' });
      const sr = runner.run(fd, { dataIn: frame, dataSizeOut: 4096 });
      sys.close(fd);
      if (!kr.ok) throw new Error(`kernel test_run errno ${kr.errno}`);
      expect(sr.retval).toBe(kr.value.retval >>> 0);
      expect(Buffer.from(sr.dataOut!).toString('hex')).toBe(Buffer.from(kr.value.dataOut).toString('hex'));
      const ds = dissect(sr.dataOut!);
      const dk = dissect(kr.value.dataOut);
      expect([ds.ipv4CsumOk, ds.l4CsumOk]).toEqual([dk.ipv4CsumOk, dk.l4CsumOk]);
      if (ds.l4CsumOk === true && ds.ipv4CsumOk !== false) valid++;
      else invalid++;
    } finally {
      await k.closeFd(kfd.value);
    }
  }, 120_000);

  test('both outcomes occurred (valid and broken checksums)', () => {
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);
  });
});
