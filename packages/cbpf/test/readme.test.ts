// The README example, run against @tcbpf/skb's real SkBuff (which must satisfy
// ClassicSkb structurally), with the outputs the README shows.
import { describe, expect, it } from 'vitest';
import { Prng } from '@tcbpf/base';
import { SkBuff } from '@tcbpf/skb';
import { ClassicFilter, type ClassicSkb, assemble, disassemble, formatBytecode, parseBytecode } from '../src/index.js';

describe('README example', () => {
  it('prints what the README says', () => {
    const prog = assemble(`
  ldh [12]
  jne #0x800, drop
  ldb [23]
  jne #17, drop
  ldxb 4*([14]&0xf)
  ldh [x + 16]
  jeq #53, keep, drop
keep: ret #-1
drop: ret #0
`);
    expect(formatBytecode(prog)).toBe('9,40 0 0 12,21 0 6 2048,48 0 0 23,21 0 4 17,177 0 0 14,72 0 0 16,21 0 1 53,6 0 0 4294967295,6 0 0 0');
    expect(disassemble(prog).split('\n')[1]).toBe('(001) jeq      #0x800           jt 2\tjf 8');
    const filter = ClassicFilter.create(parseBytecode(formatBytecode(prog)));
    const frame = new Uint8Array(64);
    frame.set([0x08, 0x00, 0x45], 12);
    frame[23] = 17;
    frame.set([0x00, 0x35], 36);
    const sk = SkBuff.fromFrame(frame);
    sk.macHeader = sk.dataOff;
    sk.networkHeader = sk.dataOff + 14;
    sk.protocol = 0x0800;
    const skb: ClassicSkb = sk;
    const env = { cpu: 0, prng: new Prng(1) };
    expect([filter.run(skb, env), filter.runCompiled(skb, env)]).toEqual([4294967295, 4294967295]);
    frame[37] = 0x36; // port 54: a different frame, no match
    const other = SkBuff.fromFrame(frame);
    expect([filter.run(other, env), filter.runCompiled(other, env)]).toEqual([0, 0]);
    let msg = '';
    try {
      ClassicFilter.create(assemble('ld M[0]\nret a'));
    } catch (e) {
      msg = String(e);
    }
    expect(msg).toBe('KernelError: EINVAL (bpf_check_classic): insn 0: M[0] may be read before it is written');
  });

  it('SkBuff ancillary fields read through ClassicSkb (protocol host order, pay offset)', () => {
    const frame = new Uint8Array(64);
    frame.set([0x08, 0x00, 0x45], 12);
    frame[23] = 17;
    const skb = SkBuff.fromFrame(frame);
    // alloc_skb state: headers unset, so the pay offset is 0 and negative loads fail
    const probe = ClassicFilter.create(assemble('ld poff\nret a'));
    expect(probe.run(skb, { cpu: 0, prng: new Prng(1) })).toBe(0);
    expect(ClassicFilter.create(assemble(`ldb [${-0x100000 + 5}]\nret #1`)).run(skb, { cpu: 0, prng: new Prng(1) })).toBe(0);
    skb.macHeader = skb.dataOff;
    skb.networkHeader = skb.dataOff + 14;
    skb.protocol = 0x0800;
    const f = ClassicFilter.create(assemble('ld proto\nst M[0]\nld poff\nadd x\nldx M[0]\nadd x\nret a'));
    expect(f.run(skb, { cpu: 0, prng: new Prng(1) })).toBe(0x800 + 42);
  });
});
