// get_hash_recalc, set_tstamp and tunnel options on the model alone (no
// kernel): the flow hash is symmetric in the endpoints and stable, random
// frames never break the dissector.
import { fc, test } from '@fast-check/vitest';
import { assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { buildFrame } from '@tcbpf/skb';
import { fuzzRuns } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { TcTestRunner, loadTcProgram, tcBpfSyscall } from '../src/index.js';

function runner(text: string): (frame: Uint8Array) => { retval: number; ctx: DataView } {
  const sys = tcBpfSyscall();
  const { fd } = loadTcProgram(sys, { insns: encodeInsns(assembleKernel(text)), license: 'GPL' });
  const r = new TcTestRunner(sys);
  return (frame) => {
    const out = r.run(fd, { dataIn: frame, dataSizeOut: 4096, ctxIn: new Uint8Array(192), ctxSizeOut: 192 });
    return { retval: out.retval >>> 0, ctx: new DataView(out.ctxOut!.buffer) };
  };
}
const MAC = { dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1) };

describe('get_hash_recalc on the model', () => {
  const hash = runner('call bpf_get_hash_recalc#34\nexit');
  it('is the same for both directions of a flow and differs between flows', () => {
    const f = (s: number, d: number, sp: number, dp: number): Uint8Array =>
      buildFrame({ ...MAC, l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, s), dst: Uint8Array.of(10, 0, 0, d), l4: { kind: 'udp', sport: sp, dport: dp } } });
    const a = hash(f(1, 2, 1000, 53));
    expect(a.retval).not.toBe(0);
    expect(hash(f(2, 1, 53, 1000)).retval).toBe(a.retval);
    expect(hash(f(1, 2, 1001, 53)).retval).not.toBe(a.retval);
  });

  test.prop([fc.uint8Array({ minLength: 14, maxLength: 200 }), fc.constantFrom(0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806)], { numRuns: fuzzRuns(300, 10000) })(
    'fuzz: random frames of any EtherType get a non-zero hash and never throw',
    (bytes, type) => {
      const fr = bytes.slice();
      fr[12] = type >>> 8;
      fr[13] = type & 0xff;
      // test_run wants a whole IP header for IP EtherTypes: pad so it is there
      const frame = new Uint8Array(Math.max(fr.length, 14 + 40));
      frame.set(fr);
      if (type === 0x0800) frame[14] = 0x45;
      if (type === 0x86dd) frame[14] = 0x60 | (frame[14]! & 0x0f);
      expect(hash(frame).retval).not.toBe(0);
    },
  );
});

describe('set_tstamp on the model', () => {
  it('sets tstamp and its type on IP packets, EOPNOTSUPP otherwise', () => {
    const set = runner('r2 = 777\nr3 = 1\ncall bpf_skb_set_tstamp#192\nexit');
    const ip = set(buildFrame({ ...MAC, l3: { kind: 'ipv4', src: Uint8Array.of(1, 1, 1, 1), dst: Uint8Array.of(2, 2, 2, 2), l4: { kind: 'udp', sport: 1, dport: 2 } } }));
    expect(ip.retval).toBe(0);
    expect(ip.ctx.getUint32(152, true)).toBe(777);
    const arp = set(buildFrame({ dst: new Uint8Array(6).fill(0xff), src: MAC.src, l3: { kind: 'arp', op: 1, sha: MAC.src, spa: new Uint8Array(4), tha: new Uint8Array(6), tpa: new Uint8Array(4) } }));
    expect(arp.retval | 0).toBe(-95);
  });
});
