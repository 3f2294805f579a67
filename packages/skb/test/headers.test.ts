import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { KernelError, Prng, fromHex, toHex } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { GENERATED_KINDS, IPHDR, TCP_FLAG, buildFrame, dissect, generatePackets, packetStream } from '../src/index.js';

const MAC1 = fromHex('020000000001');
const MAC2 = fromHex('020000000002');

describe('builders', () => {
  it('IPv4 + TCP with options: exact bytes for a fixed SYN', () => {
    const f = buildFrame({
      dst: MAC2, src: MAC1,
      l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), id: 0x1234, df: true, ttl: 64,
        l4: { kind: 'tcp', sport: 40000, dport: 80, seq: 1, ack: 0, flags: TCP_FLAG.SYN, window: 64240, options: Uint8Array.of(2, 4, 5, 0xb4) } },
    });
    // header checksum by hand: ~(4500+002c+1234+4000+4006+0a00+0001+0a00+0002) = ~eb69 = 1496
    expect(toHex(f.subarray(14, 34))).toBe('4500002c12344000400614960a0000010a000002');
    expect(dissect(f)).toMatchObject({ etherType: 0x0800, ipVersion: 4, ipProto: 6, l3Len: 20, l4Off: 34, l4Len: 24, ipv4CsumOk: true, l4CsumOk: true, fragment: false });
    expect(f[34 + 12]).toBe(6 << 4); // doff 6 words
  });

  it('802.1ad + 802.1Q tags, IPv6 with hop-by-hop, routing and fragment headers', () => {
    const f = buildFrame({
      dst: MAC2, src: MAC1, vlans: [{ tpid: 0x88a8, tci: 100 }, { tci: 0x2005 }],
      l3: { kind: 'ipv6', src: new Uint8Array(16).fill(1), dst: new Uint8Array(16).fill(2), ext: [{ type: 0, body: Uint8Array.of(5, 2, 0, 0) }, { type: 44, offset: 0, more: true, id: 7 }],
        l4: { kind: 'udp', sport: 1, dport: 2, payload: Uint8Array.of(1, 2, 3) } },
    });
    const d = dissect(f);
    expect(d.vlans).toEqual([{ tpid: 0x88a8, tci: 100 }, { tpid: 0x8100, tci: 0x2005 }]);
    expect(d).toMatchObject({ etherType: 0x86dd, ipVersion: 6, ipProto: 17, ipv6Ext: [0, 44], fragment: true, fragOffset: 0, l3Off: 22, l3Len: 56 });
  });

  it('IPv4 fragments: a later fragment has no transport header', () => {
    const f = buildFrame({ dst: MAC2, src: MAC1, l3: { kind: 'ipv4', src: Uint8Array.of(1, 1, 1, 1), dst: Uint8Array.of(2, 2, 2, 2), mf: true, fragOffset: 10, l4: { kind: 'raw', proto: 17, payload: new Uint8Array(16) } } });
    expect(dissect(f)).toMatchObject({ fragment: true, fragOffset: 80, l4Off: -1, ipv4CsumOk: true, l4CsumOk: null });
    expect(f[14 + IPHDR.FRAG_OFF]! & 0x20).toBe(0x20);
  });

  it('refusals name the offending field', () => {
    const bad = (fn: () => unknown, where: string) => {
      try {
        fn();
        throw new Error('no error');
      } catch (e) {
        expect(KernelError.isInstance(e)).toBe(true);
        expect((e as KernelError).where).toBe(where);
      }
    };
    bad(() => buildFrame({ dst: MAC2, src: MAC1, l3: { kind: 'ipv4', src: Uint8Array.of(1, 2, 3), dst: Uint8Array.of(1, 2, 3, 4), l4: { kind: 'udp', sport: 1, dport: 2 } } }), 'ipv4 src');
    bad(() => buildFrame({ dst: MAC2, src: MAC1, l3: { kind: 'ipv4', src: Uint8Array.of(1, 2, 3, 4), dst: Uint8Array.of(1, 2, 3, 4), options: new Uint8Array(3), l4: { kind: 'udp', sport: 1, dport: 2 } } }), 'ipv4 options');
    bad(() => buildFrame({ dst: MAC2, src: MAC1, l3: { kind: 'ipv4', src: Uint8Array.of(1, 2, 3, 4), dst: Uint8Array.of(1, 2, 3, 4), l4: { kind: 'udp', sport: 1, dport: 2, payload: new Uint8Array(70000) } } }), 'ipv4 tot_len');
    bad(() => buildFrame({ dst: MAC2, src: MAC1, l3: { kind: 'ipv4', src: Uint8Array.of(1, 2, 3, 4), dst: Uint8Array.of(1, 2, 3, 4), l4: { kind: 'tcp', sport: 1, dport: 2, options: new Uint8Array(44) } } }), 'tcp options');
    bad(() => buildFrame({ dst: new Uint8Array(5), src: MAC1, l3: { kind: 'raw', etherType: 0x88b5, payload: new Uint8Array(4) } }), 'eth dst');
  });

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 199 })], { numRuns: fuzzRuns(1000, 100_000), seed: fuzzSeed() })('fuzz: dissect never throws on arbitrary or truncated frames', (junk, cut) => {
    dissect(junk);
    const f = generatePackets(new Prng(junk.length), 1)[0]!.data;
    const d = dissect(f.subarray(0, Math.min(cut, f.length)));
    if (d.l4Off >= 0) expect(d.l4Off).toBeLessThanOrEqual(f.length);
  });
});

describe('packet generator', () => {
  const pk = generatePackets(new Prng(7), 5000);

  it('is deterministic for a seed and differs across seeds', () => {
    const again = generatePackets(new Prng(7), 50);
    expect(again.map((p) => toHex(p.data))).toEqual(pk.slice(0, 50).map((p) => toHex(p.data)));
    expect([...packetStream(new Prng(7), 3)].map((p) => p.tsNsec)).toEqual(pk.slice(0, 3).map((p) => p.tsNsec));
    expect(toHex(generatePackets(new Prng(8), 1)[0]!.data)).not.toBe(toHex(pk[0]!.data));
  });

  it('5000 packets cover every kind, VLAN (single and QinQ), broadcast, multicast, IPv4 options/fragments, IPv6 extension headers', () => {
    const kinds = new Set(pk.map((p) => p.kind));
    expect([...kinds].sort()).toEqual([...GENERATED_KINDS].sort());
    let vlan1 = 0, vlan2 = 0, bcast = 0, mcast = 0, v4opts = 0, v4frag = 0, v6ext = 0, checked = 0;
    let prevT = 0;
    for (const p of pk) {
      const d = dissect(p.data);
      if (d.vlans.length === 1) vlan1++;
      if (d.vlans.length === 2) vlan2++;
      if (p.data[0] === 0xff && p.data[5] === 0xff) bcast++;
      else if ((p.data[0]! & 1) === 1) mcast++;
      if (d.ipVersion === 4 && d.l3Len > 20) v4opts++;
      if (d.fragment && d.ipVersion === 4) v4frag++;
      if (d.ipv6Ext.length > 0) v6ext++;
      expect(p.data.length).toBeLessThanOrEqual(1518);
      if (d.ipVersion === 4) expect(d.ipv4CsumOk).toBe(true);
      if (d.l4CsumOk !== null) {
        expect(d.l4CsumOk, p.kind).toBe(true);
        checked++;
      }
      const t = p.tsSec * 1e9 + p.tsNsec;
      expect(t).toBeGreaterThan(prevT);
      prevT = t;
    }
    expect(vlan1).toBeGreaterThan(300);
    expect(vlan2).toBeGreaterThan(50);
    expect(bcast).toBeGreaterThan(200);
    expect(mcast).toBeGreaterThan(500);
    expect(v4opts).toBeGreaterThan(100);
    expect(v4frag).toBeGreaterThan(300);
    expect(v6ext).toBeGreaterThan(500);
    expect(checked).toBeGreaterThan(2500);
  });
});
