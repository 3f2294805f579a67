// bpf_skb_set_tunnel_key / bpf_skb_get_tunnel_key against the kernel: a
// program writes a struct bpf_tunnel_key on the stack, sets it (size, flags),
// reads it back (size, flags) into a zeroed buffer, stores that buffer over
// the first 44 packet bytes and returns both results. Also get without any
// tunnel metadata (test_run's skb has none). Same retval and data_out.
import { assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { BpfOracle, bpfOracle } from '@tcbpf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcTestRunner, loadTcProgram, tcBpfSyscall } from '../src/index.js';

const o = bpfOracle();
const FRAME = new Uint8Array(80);
FRAME.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]);

interface Case { set?: { size: number; flags: number; label: number; ext: number }; get: { size: number; flags: number } }

function program(c: Case): Uint8Array {
  const t: string[] = ['r6 = r1', 'r7 = 0'];
  // the key at r10-48 (44 bytes + pad), the output at r10-96
  for (let off = -96; off < 0; off += 8) t.push(`r1 = 0`, `*(u64 *)(r10 ${off}) = r1`);
  if (c.set !== undefined) {
    t.push('*(u32 *)(r10 -48) = 0x00abcdef', '*(u32 *)(r10 -44) = 0x0a000001', '*(u32 *)(r10 -40) = 0x11111111', '*(u32 *)(r10 -36) = 0x22222222', '*(u32 *)(r10 -32) = 0x33333333');
    t.push('*(u8 *)(r10 -28) = 0x10', '*(u8 *)(r10 -27) = 64', `*(u16 *)(r10 -26) = ${c.set.ext}`, `*(u32 *)(r10 -24) = ${c.set.label}`);
    t.push('*(u32 *)(r10 -20) = 0x0a000002', '*(u32 *)(r10 -16) = 0x44444444', '*(u32 *)(r10 -12) = 0x55555555', '*(u32 *)(r10 -8) = 0x66666666');
    t.push('r1 = r6', 'r2 = r10', 'r2 += -48', `r3 = ${c.set.size}`, `r4 = ${c.set.flags}`, 'call bpf_skb_set_tunnel_key#21', 'r7 = r0', 'r7 &= 0xff');
  }
  t.push('r1 = r6', 'r2 = r10', 'r2 += -96', `r3 = ${c.get.size}`, `r4 = ${c.get.flags}`, 'call bpf_skb_get_tunnel_key#20', 'r0 &= 0xff', 'r0 <<= 8', 'r7 |= r0');
  t.push('r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -96', 'r4 = 44', 'r5 = 0', 'call bpf_skb_store_bytes#9', 'r0 = r7', 'exit');
  return encodeInsns(assembleKernel(t.join('\n')));
}

const CASES: Case[] = [{ get: { size: 44, flags: 0 } }];
for (const setFlags of [0, 1, 2, 4, 8, 16, 30, 32]) {
  for (const [getSize, getFlags] of [[44, 0], [44, 1], [44, 16], [44, 17], [28, 0], [24, 0], [22, 0], [8, 0], [8, 1], [12, 0], [44, 2]] as const) {
    CASES.push({ set: { size: 44, flags: setFlags, label: 0, ext: 0 }, get: { size: getSize, flags: getFlags } });
  }
}
for (const [size, label, ext] of [[28, 0, 0], [24, 0, 0], [22, 0, 0], [8, 0, 0], [30, 0, 0], [44, 0x123456, 0], [44, 0, 1]] as const) {
  CASES.push({ set: { size, flags: 0, label, ext }, get: { size: 44, flags: 0 } });
  CASES.push({ set: { size, flags: 1, label, ext }, get: { size: 44, flags: 1 } });
}

describe.skipIf(!o.ok)(`tunnel key helpers against the kernel (kernel: ${o.reason || 'bpf() available'})`, () => {
  let k: BpfOracle;
  beforeAll(() => { k = BpfOracle.open(); });
  afterAll(() => k.close());
  it(`${CASES.length} set/get combinations agree`, async () => {
    const sys = tcBpfSyscall();
    const runner = new TcTestRunner(sys);
    const outcomes = new Set<number>();
    let withKey = 0;
    for (const c of CASES) {
      const insns = program(c);
      const kfd = await k.progLoad(3, insns);
      if (!kfd.ok) throw new Error(`kernel refused ${JSON.stringify(c)}: ${kfd.log.slice(-600)}`);
      const kr = await k.testRun(kfd.value, FRAME, 4096);
      await k.closeFd(kfd.value);
      if (!kr.ok) throw new Error(`test_run errno ${kr.errno}`);
      const { fd } = loadTcProgram(sys, { insns, license: 'GPL' });
      const sr = runner.run(fd, { dataIn: FRAME, dataSizeOut: 4096 });
      sys.close(fd);
      const what = JSON.stringify(c);
      expect(sr.retval.toString(16), `${what} retval`).toBe((kr.value.retval >>> 0).toString(16));
      expect(Buffer.from(sr.dataOut!).toString('hex'), `${what} data_out`).toBe(Buffer.from(kr.value.dataOut).toString('hex'));
      outcomes.add(sr.retval);
      if (sr.dataOut![0] === 0xef) withKey++;
    }
    // success, EINVAL and EPROTO from both helpers occurred, and keys were read back
    expect([...outcomes].sort((a, b) => a - b).map((x) => x.toString(16))).toEqual(expect.arrayContaining(['0', 'b900', 'ea00', 'eaea']));
    expect(withKey).toBeGreaterThan(20);
  });
});
