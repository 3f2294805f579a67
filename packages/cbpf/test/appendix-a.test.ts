// The cBPF vectors observed on Linux 6.18 (reference bpf-vm.md Appendix A):
// programs written in bpf_asm syntax, run on the Appendix frame as the host
// copy on `lo` (ifindex 1, hatype 772). Each row checks the interpreter and
// the compiled form; "drop" = 0, a number = the return value, EINVAL = refused.
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { ClassicFilter, OP, assemble, insn, stmt } from '../src/index.js';
import { appendixFrame, envOf, skbOf } from './helpers.js';

const expectV = (v: number): string => `jeq #${v}, yes, no\nyes: ret #10\nno: ret #20`;

type Row = [name: string, src: string, expected: number | 'EINVAL', pktType?: number];

const rows: Row[] = [
  ['ret #20', 'ret #20', 20],
  ['ret #0', 'ret #0', 0],
  ['ret #0xffffffff', 'ret #0xffffffff', 0xffffffff],
  ['ld #33; ret a', 'ld #33\nret a', 33],
  ['ldh [12]', `ldh [12]\n${expectV(0x0800)}`, 10],
  ['ld [14] big-endian', `ld [14]\n${expectV(0x0e0f1011)}`, 10],
  ['ldb [63]', `ldb [63]\n${expectV(63)}`, 10],
  ['ldb [64] past the end', 'ldb [64]\nret #30', 0],
  ['ldh [63] half out', 'ldh [63]\nret #30', 0],
  ['ld [1000]', 'ld [1000]\nret #30', 0],
  ['ld [-5] unknown ancillary', 'ld [-5]\nret #30', 'EINVAL'],
  ['div x by 0', 'ldx #0\nld #10\ndiv x\nret #30', 0],
  ['mod x by 0', 'ldx #0\nld #10\nmod x\nret #30', 0],
  ['div #0', 'ld #10\ndiv #0\nret a', 'EINVAL'],
  ['mod #0', 'ld #10\nmod #0\nret a', 'EINVAL'],
  ['div x', `ldx #3\nld #10\ndiv x\n${expectV(3)}`, 10],
  ['ld M[0] never stored', 'ld M[0]\nret a', 'EINVAL'],
  ['st/ld M[0]', 'ld #7\nst M[0]\nld M[0]\nret a', 7],
  ['st M[16]', 'st M[16]\nret #1', 'EINVAL'],
  ['store on one path', 'jeq #5, s, l\ns: st M[0]\nl: ld M[0]\nret a', 'EINVAL'],
  ['last not RET', 'ld #1', 'EINVAL'],
  ['dead code', 'ret #30\nld #1\nret #40', 30],
  ['lsh #32', 'ld #1\nlsh #32\nret a', 'EINVAL'],
  ['lsh #31', 'ld #1\nlsh #31\nret #30', 30],
  ['lsh x 33', `ldx #33\nld #1\nlsh x\n${expectV(2)}`, 10],
  ['lsh x 32', `ldx #32\nld #1\nlsh x\n${expectV(1)}`, 10],
  ['add wraps', `ld #0xffffffff\nadd #2\n${expectV(1)}`, 10],
  ['neg', `ld #5\nneg\n${expectV(0xfffffffb)}`, 10],
  ['jgt unsigned', 'ld #0xffffffff\njgt #1, t, f\nt: ret #1\nf: ret #2', 1],
  ['jset', 'ld #6\njset #4, t, f\nt: ret #1\nf: ret #2', 1],
  ['ld #len', `ld #len\n${expectV(64)}`, 10],
  ['ldx #len; txa', `ldx #len\ntxa\n${expectV(64)}`, 10],
  ['ldxb msh', `ldxb 4*([14]&0xf)\ntxa\n${expectV(56)}`, 10],
  ['ldxb past end', 'ldxb 4*([64]&0xf)\nret #30', 0],
  ['ldb [x+4]', `ldx #10\nldb [x + 4]\n${expectV(14)}`, 10],
  ['ind wraps to 0', `ldx #0xffffffff\nldb [x + 1]\n${expectV(0)}`, 10],
  ['ind wraps to 14', `ldx #0xffffffff\nldb [x + 15]\n${expectV(14)}`, 10],
  ['ret x', 'ldx #25\nret x', 'EINVAL'],
  ['ldh proto', `ldh proto\n${expectV(0x0800)}`, 10],
  ['ldb proto ignores size', `ldb proto\n${expectV(0x0800)}`, 10],
  ['type outgoing', 'ld type\nadd #10\nret a', 14, 4],
  ['type host', 'ld type\nadd #10\nret a', 10, 0],
  ['ifidx', `ld ifidx\n${expectV(1)}`, 10],
  ['mark', `ld mark\n${expectV(0)}`, 10],
  ['queue', `ld queue\n${expectV(0)}`, 10],
  ['hatype', `ld hatype\n${expectV(772)}`, 10],
  ['rxhash', 'ld rxhash\njeq #0, a, b\na: ret #11\nb: ret #12', 11],
  ['cpu', 'ld cpu\nadd #10\nret a', 10],
  ['xor_x', `ldx #0xff\nld #0x0f\nld [${0xfffff000 + 40}]\n${expectV(0xf0)}`, 10],
  ['vlan_tci', `ld vlan_tci\n${expectV(0)}`, 10],
  ['vlan_avail', `ld vlan_avail\n${expectV(0)}`, 10],
  ['vlan_tpid', `ld vlan_tpid\n${expectV(0)}`, 10],
  ['poff clamped', 'ld poff\nret a', 64],
  ['ld [SKF_AD_OFF+64]', `ld [${0xfffff000 + 64}]\nret a`, 'EINVAL'],
  ['ind SKF_AD_OFF is not ancillary', `ldx #0\nld [x + ${-0x1000}]\nret #30`, 0],
  ['SKF_NET_OFF+0', `ldb [${-0x100000}]\n${expectV(14)}`, 10],
  ['SKF_LL_OFF+12', `ldh [${-0x200000 + 12}]\n${expectV(0x0800)}`, 10],
  ['SKF_NET_OFF-1', `ldb [${-0x100000 - 1}]\nret #30`, 0],
  ['nla on non-netlink', 'ldx #0\nld #0\nld nla\nret #30', 30],
  ['ld #26; ret a', 'ld #26\nret a', 26],
];

function run(src: string, pktType = 0): number | 'EINVAL' {
  let f: ClassicFilter;
  try {
    f = ClassicFilter.create(assemble(src));
  } catch (e) {
    if (KernelError.isInstance(e) && e.errno === 'EINVAL') return 'EINVAL';
    throw e;
  }
  const skb = skbOf(appendixFrame(), { pktType });
  const a = f.run(skb, envOf());
  const b = f.runCompiled(skb, envOf());
  expect(b).toBe(a);
  return a;
}

describe('Appendix A vectors (Linux 6.18 observations)', () => {
  for (const [name, src, want, pkt] of rows) {
    it(name, () => {
      expect(run(src, pkt)).toBe(want);
    });
  }

  it('accepts 4096 instructions and refuses 4097 and 0', () => {
    const mk = (n: number) => [...Array.from({ length: n - 1 }, () => stmt(OP.LD_IMM, 1)), stmt(OP.RET_A, 0)];
    expect(ClassicFilter.create(mk(4096)).run(skbOf(appendixFrame()), envOf())).toBe(1);
    expect(() => ClassicFilter.create(mk(4097))).toThrow(/EINVAL/);
    expect(() => ClassicFilter.create([])).toThrow(/EINVAL/);
  });

  it('refuses code 0xff and names the instruction', () => {
    try {
      ClassicFilter.create([insn(0xff, 0, 0, 0), stmt(OP.RET_K, 0)]);
      expect.unreachable();
    } catch (e) {
      expect(KernelError.isInstance(e) && e.errno === 'EINVAL' && e.insn === 0).toBe(true);
      expect(String(e)).toMatch(/opcode 0xff/);
    }
  });

  it('poff on Ethernet+IPv4+UDP and +TCP is 42 / 54', () => {
    const f = ClassicFilter.create(assemble('ld poff\nret a'));
    const udp = new Uint8Array(64);
    udp.set([0x08, 0x00, 0x45], 12);
    udp[23] = 17;
    expect(f.run(skbOf(udp), envOf())).toBe(42);
    const tcp = udp.slice();
    tcp[23] = 6;
    tcp[34 + 12] = 0x50;
    expect(f.run(skbOf(tcp), envOf())).toBe(54);
    expect(f.runCompiled(skbOf(tcp), envOf())).toBe(54);
  });

  it('rand draws from the environment PRNG, identically in both forms', () => {
    const f = ClassicFilter.create(assemble('ld rand\nret a'));
    const skb = skbOf(appendixFrame());
    expect(f.run(skb, envOf(0, 7))).toBe(f.runCompiled(skb, envOf(0, 7)));
  });
});
