// Checksums against independent computations: RFC 1071 summing big-endian
// 16-bit words, and a literal BigInt transcription of the x86-64 algorithms
// (64-bit adds with carry, csum_finalize_sum, the adcl chain of
// csum_tcpudp_nofold). Incremental replaces are checked against recomputing.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { u16be, u16le, u32le, putU16be, putU32be } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import {
  CHECKSUM, SkBuff, buildIpv4, buildIpv6, csumFold, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub,
  csumTcpudpMagic, csumTcpudpNofold, inetChecksum, inetProtoCsumReplace2, inetProtoCsumReplace4, inetProtoCsumReplace16,
  inetProtoCsumReplaceByDiff, ipv4HeaderChecksum, l4ChecksumV4, l4ChecksumV6, dissect,
} from '../src/index.js';

const RUNS = fuzzRuns(300, 50_000);
const opts = { numRuns: RUNS, seed: fuzzSeed() };

/** RFC 1071, the textbook way: big-endian 16-bit words, odd byte padded, fold, complement. */
function rfc1071(b: Uint8Array, extra: number[] = []): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  for (const w of extra) s += w;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

const M64 = (1n << 64n) - 1n;
/** x86-64 csum_partial (6.18) transcribed with BigInt: LE 64-bit words + zero-padded tail, adc, csum_finalize_sum. */
function x86CsumPartial(b: Uint8Array, sum: number): number {
  let t = BigInt(sum >>> 0);
  const add = (w: bigint): void => {
    t += w;
    if (t > M64) t = (t & M64) + 1n;
  };
  let i = 0;
  for (; i + 8 <= b.length; i += 8) {
    let w = 0n;
    for (let k = 7; k >= 0; k--) w = (w << 8n) | BigInt(b[i + k]!);
    add(w);
  }
  if (i < b.length) {
    let w = 0n;
    for (let k = b.length - 1; k >= i; k--) w = (w << 8n) | BigInt(b[k]!);
    add(w);
  }
  // (temp64 + ror64(temp64, 32)) >> 32
  const ror = ((t >> 32n) | (t << 32n)) & M64;
  return Number((((t + ror) & M64) >> 32n) & 0xffffffffn);
}

/** x86-64 csum_tcpudp_nofold asm: addl daddr; adcl saddr; adcl (len+proto)<<8; adcl $0. */
function x86TcpudpNofold(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  let r = BigInt(sum >>> 0) + BigInt(daddr >>> 0);
  let c = r >> 32n;
  r &= 0xffffffffn;
  r = r + BigInt(saddr >>> 0) + c;
  c = r >> 32n;
  r &= 0xffffffffn;
  r = r + (BigInt(((len + proto) << 8) >>> 0)) + c;
  c = r >> 32n;
  r &= 0xffffffffn;
  return Number((r + c) & 0xffffffffn);
}

const bytesArb = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });

describe('csum_partial and folding', () => {
  test.prop([bytesArb(300), fc.nat({ max: 0xffffffff })], opts)('csumPartial equals the x86-64 algorithm exactly (BigInt transcription)', (b, seed) => {
    expect(csumPartial(b, 0, b.length, seed)).toBe(x86CsumPartial(b, seed));
  });

  test.prop([bytesArb(300)], opts)('inetChecksum equals RFC 1071 over big-endian words', (b) => {
    expect(inetChecksum(b, 0, b.length)).toBe(rfc1071(b));
  });

  test.prop([bytesArb(100), fc.nat({ max: 40 })], opts)('csumPartial over a sub-range at any offset equals the copy', (b, pad) => {
    const big = new Uint8Array(pad + b.length + 3);
    big.set(b, pad);
    expect(csumPartial(big, pad, b.length, 7)).toBe(csumPartial(b, 0, b.length, 7));
  });

  it('large buffers (several 64 KiB summing rounds) and all-0xff data match the x86 algorithm', () => {
    const big = new Uint8Array(200_003);
    let x = 12345;
    for (let i = 0; i < big.length; i++) big[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    expect(csumPartial(big, 0, big.length, 0xdeadbeef)).toBe(x86CsumPartial(big, 0xdeadbeef));
    const ff = new Uint8Array(150_000).fill(0xff);
    expect(csumPartial(ff, 0, ff.length, 0)).toBe(x86CsumPartial(ff, 0));
    expect(csumPartial(ff, 1, ff.length - 2, 7)).toBe(x86CsumPartial(ff.subarray(1, ff.length - 1), 7));
  });

  it('edge values: empty buffer with zero seed is 0; all 0xff words; csum_fold of 0 and 0xffffffff', () => {
    expect(csumPartial(new Uint8Array(0), 0, 0, 0)).toBe(0);
    expect(csumPartial(new Uint8Array(8), 0, 8, 0)).toBe(0);
    expect(csumPartial(new Uint8Array(8).fill(0xff), 0, 8, 0)).toBe(x86CsumPartial(new Uint8Array(8).fill(0xff), 0));
    expect(csumFold(0)).toBe(0xffff);
    expect(csumFold(0xffffffff)).toBe(0);
    expect(csumFold(0x0001ffff)).toBe(0xfffe);
  });

  test.prop([fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffff }), fc.nat({ max: 255 }), fc.nat({ max: 0xffffffff })], opts)(
    'csum_tcpudp_nofold equals the x86 adcl chain exactly',
    (s, d, len, proto, sum) => {
      expect(csumTcpudpNofold(s, d, len, proto, sum)).toBe(x86TcpudpNofold(s, d, len, proto, sum));
    },
  );
});

const ip4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const ip6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const payload = fc.uint8Array({ maxLength: 200 });
const port = fc.nat({ max: 65535 });

describe('header checksums built by the builders verify independently', () => {
  test.prop([ip4, ip4, payload, port, port, fc.constantFrom(0, 4, 8, 12)], opts)('IPv4 header + UDP/TCP (RFC 1071 with the pseudo header)', (src, dst, pl, sp, dp, optLen) => {
    for (const l4 of [{ kind: 'udp' as const, sport: sp, dport: dp, payload: pl }, { kind: 'tcp' as const, sport: sp, dport: dp, payload: pl }]) {
      const p = buildIpv4({ kind: 'ipv4', src, dst, options: new Uint8Array(optLen).fill(1), l4 });
      const ihl = 20 + optLen;
      expect(rfc1071(p.subarray(0, ihl))).toBe(0); // a valid header sums to 0xffff
      const l4b = p.subarray(ihl);
      const proto = l4.kind === 'udp' ? 17 : 6;
      const pseudo = [u16be(src, 0), u16be(src, 2), u16be(dst, 0), u16be(dst, 2), proto, l4b.length];
      const r = rfc1071(l4b, pseudo);
      // 0 when the stored checksum is right (UDP's 0 -> 0xffff also sums to 0)
      expect(r).toBe(0);
      expect(dissect(Uint8Array.from([...new Uint8Array(12), 8, 0, ...p])).l4CsumOk).toBe(true);
    }
  });

  test.prop([ip6, ip6, payload, port, port], opts)('IPv6 UDP/TCP/ICMPv6 (RFC 1071 with the v6 pseudo header)', (src, dst, pl, sp, dp) => {
    for (const l4 of [{ kind: 'udp' as const, sport: sp, dport: dp, payload: pl }, { kind: 'tcp' as const, sport: sp, dport: dp, payload: pl }, { kind: 'icmpv6' as const, type: 128, code: 0, rest: sp, payload: pl }]) {
      const p = buildIpv6({ kind: 'ipv6', src, dst, l4 });
      const l4b = p.subarray(40);
      const proto = l4.kind === 'udp' ? 17 : l4.kind === 'tcp' ? 6 : 58;
      const pseudo: number[] = [];
      for (let i = 0; i < 16; i += 2) pseudo.push(u16be(src, i), u16be(dst, i));
      pseudo.push(l4b.length >>> 16, l4b.length & 0xffff, proto);
      expect(rfc1071(l4b, pseudo)).toBe(0);
    }
  });
});

describe('incremental replace = recompute', () => {
  function ipv4Packet(src: Uint8Array, dst: Uint8Array, pl: Uint8Array, sp: number, dp: number): Uint8Array {
    return buildIpv4({ kind: 'ipv4', src, dst, ttl: 64, id: 1, l4: { kind: 'tcp', sport: sp, dport: dp, payload: pl } });
  }

  test.prop([ip4, ip4, payload, port, port, fc.nat({ max: 255 }), port], opts)('csum_replace2 (TTL/id) and csum_replace4 (address) on the IPv4 header', (src, dst, pl, sp, dp, ttl, id) => {
    const p = ipv4Packet(src, dst, pl, sp, dp);
    // replace2 of the 16-bit word holding TTL+protocol
    const oldW = u16le(p, 8);
    p[8] = ttl;
    const newW = u16le(p, 8);
    let sum = u16le(p, 10);
    sum = csumReplace2(sum, oldW, newW);
    expect(((sum & 0xff) << 8) | (sum >>> 8)).toBe(ipv4HeaderChecksum(p, 0));
    // replace2 of id
    const oldId = u16le(p, 4);
    putU16be(p, 4, id);
    sum = csumReplace2(sum, oldId, u16le(p, 4));
    // replace4 of the source address
    const oldA = u32le(p, 12);
    p.set(dst, 12);
    sum = csumReplace4(sum, oldA, u32le(p, 12));
    expect(((sum & 0xff) << 8) | (sum >>> 8)).toBe(ipv4HeaderChecksum(p, 0));
  });

  test.prop([ip4, ip4, ip4, payload, port, port], opts)('inet_proto_csum_replace4 with the pseudo header (NAT of the source): TCP checksum and skb->csum', (src, dst, nsrc, pl, sp, dp) => {
    const p = ipv4Packet(src, dst, pl, sp, dp);
    const skb = SkBuff.fromFrame(p);
    skb.ipSummed = CHECKSUM.COMPLETE;
    skb.csum = csumPartial(p, 20, p.length - 20, 0); // CHECKSUM_COMPLETE covers the L4 bytes
    const oldA = u32le(p, 12);
    p.set(nsrc, 12);
    const newA = u32le(p, 12);
    const sum = inetProtoCsumReplace4(u16le(p, 36), skb, oldA, newA, true);
    p[36] = sum & 0xff;
    p[37] = sum >>> 8;
    expect(u16be(p, 36)).toBe(l4ChecksumV4(p, 0, 20, p.length - 20, 6, 16));
    // skb->csum tracks the pseudo-header change (as the stack expects for COMPLETE)
    expect(csumFold(csumTcpudpNofold(u32le(p, 12), u32le(p, 16), p.length - 20, 6, skb.csum))).toBe(0);
  });

  test.prop([ip4, ip4, ip4, payload, port, port], opts)('CHECKSUM_PARTIAL: only the pseudo-header change is applied, to the uncomplemented field', (src, dst, nsrc, pl, sp, dp) => {
    const p = ipv4Packet(src, dst, pl, sp, dp);
    const skb = SkBuff.fromFrame(p);
    skb.ipSummed = CHECKSUM.PARTIAL;
    const partial = (pk: Uint8Array) => ~csumTcpudpMagic(u32le(pk, 12), u32le(pk, 16), pk.length - 20, 6, 0) & 0xffff;
    const field = partial(p);
    const oldA = u32le(p, 12);
    p.set(nsrc, 12);
    expect(inetProtoCsumReplace4(field, skb, oldA, u32le(p, 12), true)).toBe(partial(p));
    expect(inetProtoCsumReplace4(field, skb, 1, 2, false)).toBe(field);
    expect(inetProtoCsumReplace2(field, skb, 1, 2, false)).toBe(field);
  });

  test.prop([ip4, ip4, payload, port, port, port], opts)('inet_proto_csum_replace2 of a port (no pseudo header)', (src, dst, pl, sp, dp, np) => {
    const p = ipv4Packet(src, dst, pl, sp, dp);
    const skb = SkBuff.fromFrame(p);
    const oldP = u16le(p, 20);
    putU16be(p, 20, np);
    const sum = inetProtoCsumReplace2(u16le(p, 36), skb, oldP, u16le(p, 20), false);
    p[36] = sum & 0xff;
    p[37] = sum >>> 8;
    expect(u16be(p, 36)).toBe(l4ChecksumV4(p, 0, 20, p.length - 20, 6, 16));
  });

  test.prop([ip6, ip6, ip6, payload, port, port], opts)('inet_proto_csum_replace16 (IPv6 address rewrite) and replace_by_diff', (src, dst, nsrc, pl, sp, dp) => {
    const p = buildIpv6({ kind: 'ipv6', src, dst, l4: { kind: 'udp', sport: sp, dport: dp, payload: pl } });
    const skb = SkBuff.fromFrame(p);
    const work = new Uint8Array(32);
    work.set(p.subarray(8, 24), 0);
    work.set(nsrc, 16);
    const old = u16le(p, 46);
    const sum = inetProtoCsumReplace16(old, skb, work, 0, 16, true);
    p.set(nsrc, 8);
    let want = l4ChecksumV6(p, 0, 40, p.length - 40, 17, 6);
    const got = ((sum & 0xff) << 8) | (sum >>> 8);
    // UDP maps a computed 0 to 0xffff (CSUM_MANGLED_0); the replace helpers do not
    if (want === 0xffff && got === 0) want = 0;
    expect(got).toBe(want);
    // by_diff: the same change expressed as bpf_csum_diff(from, to)
    let diff = 0;
    for (let k = 0; k < 16; k += 4) diff = csumSub(diff, u32le(work, k));
    diff = csumPartial(work, 16, 16, diff);
    const viaDiff = inetProtoCsumReplaceByDiff(old, skb, diff, true, true);
    expect(viaDiff).toBe(sum);
    expect(csumReplaceByDiff(old, diff)).toBe(sum);
  });

  it('0xffff / 0 edge cases: a header whose checksum is 0x0000, and replacing with 0x0000/0xffff words', () => {
    // find a header whose checksum field computes to 0x0000 (data sums to 0xffff)
    const h = buildIpv4({ kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'raw', proto: 253, payload: new Uint8Array(0) } });
    let found = false;
    for (let id = 0; id < 65536 && !found; id++) {
      putU16be(h, 4, id);
      h[10] = 0;
      h[11] = 0;
      if (ipv4HeaderChecksum(h, 0) === 0) found = true;
    }
    expect(found).toBe(true);
    expect(rfc1071(h.subarray(0, 20))).toBe(0);
    // from checksum 0x0000, replace the id with itself, with 0x0000 and with 0xffff
    for (const nv of [u16be(h, 4), 0x0000, 0xffff]) {
      const p = Uint8Array.from(h);
      const old = u16le(p, 4);
      putU16be(p, 4, nv);
      const s = csumReplace2(u16le(p, 10), old, u16le(p, 4));
      expect([nv, ((s & 0xff) << 8) | (s >>> 8)]).toEqual([nv, ipv4HeaderChecksum(p, 0)]);
      const s4 = csumReplace4(u16le(h, 10), old, u16le(p, 4));
      expect(s4).toBe(s);
    }
    // a 32-bit replace whose words are 0xffffffff / 0
    const p = Uint8Array.from(h);
    const oldA = u32le(p, 12);
    putU32be(p, 12, 0xffffffff);
    let s = csumReplace4(u16le(p, 10), oldA, u32le(p, 12));
    expect(((s & 0xff) << 8) | (s >>> 8)).toBe(ipv4HeaderChecksum(p, 0));
    putU32be(p, 12, 0);
    s = csumReplace4(s, 0xffffffff, 0);
    expect(((s & 0xff) << 8) | (s >>> 8)).toBe(ipv4HeaderChecksum(p, 0));
  });
});
