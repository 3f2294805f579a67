import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { CHECKSUM, NET_SKB_PAD, QDISC_CB_PRIV_LEN, SkBuff, csumPartial } from '../src/index.js';

describe('SkBuff buffer operations', () => {
  it('alloc + reserve layout: headroom NET_SKB_PAD, empty data, tailroom = size', () => {
    const skb = new SkBuff(100);
    expect(skb.headroom()).toBe(NET_SKB_PAD);
    expect(skb.len).toBe(0);
    expect(skb.tailroom()).toBe(100);
    expect(skb.cb.length).toBe(QDISC_CB_PRIV_LEN);
    expect(skb.macHeader).toBe(-1);
    expect(skb.networkHeader).toBe(-1);
    expect(skb.transportHeader).toBe(-1);
    expect(skb.dataLen).toBe(0);
  });

  it('put/push/pull/trim move data and tail like skb_put/skb_push/skb_pull/skb_trim', () => {
    const skb = new SkBuff(64, 16);
    expect(skb.put(20)).toBe(16);
    expect(skb.len).toBe(20);
    expect(skb.push(14)).toBe(2);
    expect(skb.len).toBe(34);
    expect(skb.headroom()).toBe(2);
    expect(skb.push(3)).toBe(-1); // skb_under_panic in the kernel: refused, unchanged
    expect(skb.len).toBe(34);
    expect(skb.pull(14)).toBe(16);
    expect(skb.pull(21)).toBe(-1); // skb_pull returns NULL when len < n
    expect(skb.len).toBe(20);
    expect(skb.put(45)).toBe(-1); // skb_over_panic: refused
    skb.trim(5);
    expect(skb.len).toBe(5);
    skb.trim(50); // longer than len: no change
    expect(skb.len).toBe(5);
    expect(skb.tailOff()).toBe(21);
  });

  it('expandHead keeps data and header offsets relative to data', () => {
    const skb = SkBuff.fromFrame(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), 4, 0);
    skb.resetMacHeader();
    skb.pull(14);
    skb.resetNetworkHeader();
    skb.setTransportHeader(1);
    const before = { mac: skb.macOffset(), net: skb.networkOffset(), data: skb.data() };
    expect(skb.expandHead(60, 8)).toBe(0);
    expect(skb.headroom()).toBe(4 + 14 + 60);
    expect(skb.tailroom()).toBe(8);
    expect(skb.macOffset()).toBe(before.mac);
    expect(skb.networkOffset()).toBe(before.net);
    expect(skb.transportHeader - skb.dataOff).toBe(1);
    expect(skb.data()).toEqual(before.data);
    expect(skb.view.getUint16(skb.dataOff, false)).toBe(0x0f10);
    expect(skb.expandHead(-1, 0)).toBe(-22);
  });

  it('pullRcsum keeps a CHECKSUM_COMPLETE csum equal to the sum of the remaining data', () => {
    const frame = Uint8Array.from({ length: 60 }, (_, i) => (i * 37 + 11) & 0xff);
    const skb = SkBuff.fromFrame(frame);
    skb.ipSummed = CHECKSUM.COMPLETE;
    skb.csum = csumPartial(skb.buf, skb.dataOff, skb.len, 0);
    skb.pullRcsum(14);
    // equal modulo 0xffff (one's complement), which is what csum_fold sees
    const want = csumPartial(skb.buf, skb.dataOff, skb.len, 0);
    expect(skb.csum % 0xffff).toBe(want % 0xffff);
  });

  it('reuse() restores the alloc_skb state and loads a new frame without allocating a buffer', () => {
    const skb = SkBuff.fromFrame(Uint8Array.from([1, 2, 3, 4, 5, 6]), 8, 10);
    const buf = skb.buf;
    Object.assign(skb, { mark: 9, vlanPresent: true, tcIndex: 3, macHeader: 8, ipSummed: 2 });
    skb.cb[0] = 7;
    expect(skb.reuse(Uint8Array.from([9, 9]), 4)).toBe(true);
    expect(skb.buf).toBe(buf);
    expect([skb.dataOff, skb.len, skb.mark, skb.vlanPresent, skb.tcIndex, skb.macHeader, skb.ipSummed, skb.cb[0]]).toEqual([4, 2, 0, false, 0, -1, 0, 0]);
    expect(skb.data()).toEqual(Uint8Array.from([9, 9]));
    expect(skb.reuse(new Uint8Array(30), 4)).toBe(false);
    expect(skb.len).toBe(2);
  });

  it('copy() is deep: buffer, cb and metadata', () => {
    const skb = SkBuff.fromFrame(Uint8Array.from([1, 2, 3, 4]));
    skb.mark = 7;
    skb.cb[3] = 9;
    skb.vlanPut(0x8100, 5);
    const c = skb.copy();
    c.buf[c.dataOff] = 0xff;
    c.cb[3] = 1;
    expect(skb.buf[skb.dataOff]).toBe(1);
    expect(skb.cb[3]).toBe(9);
    expect(c.mark).toBe(7);
    expect(c.vlanPresent && c.vlanTci === 5 && c.vlanProto === 0x8100).toBe(true);
    expect(c.data()).toEqual(Uint8Array.from([0xff, 2, 3, 4]));
  });

  it('scrub(xnet) clears pkt_type/skb_iif, and mark + realtime tstamp across namespaces', () => {
    const skb = SkBuff.fromFrame(new Uint8Array(20));
    Object.assign(skb, { pktType: 3, ingressIfindex: 4, mark: 5, tstamp: 100 });
    skb.scrub(false);
    expect([skb.pktType, skb.ingressIfindex, skb.mark, skb.tstamp]).toEqual([0, 0, 5, 100]);
    skb.scrub(true);
    expect([skb.mark, skb.tstamp]).toEqual([0, 0]);
  });

  test.prop([fc.array(fc.tuple(fc.constantFrom('push', 'pull', 'put', 'trim', 'expand'), fc.integer({ min: -4, max: 80 })), { maxLength: 40 })], {
    numRuns: fuzzRuns(300, 20_000),
    seed: fuzzSeed(),
  })('fuzz: random op sequences keep 0 <= dataOff <= dataOff+len <= buf.length and never throw', (ops) => {
    const skb = new SkBuff(32, 16);
    for (const [op, n] of ops) {
      if (op === 'push') skb.push(n);
      else if (op === 'pull') skb.pull(n);
      else if (op === 'put') skb.put(n);
      else if (op === 'trim') skb.trim(n);
      else skb.expandHead(n, n & 7);
      expect(skb.dataOff).toBeGreaterThanOrEqual(0);
      expect(skb.len).toBeGreaterThanOrEqual(0);
      expect(skb.dataOff + skb.len).toBeLessThanOrEqual(skb.buf.length);
      expect(skb.view.byteLength).toBe(skb.buf.length);
    }
  });
});
