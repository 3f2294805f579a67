// SkbRunState.usePacketBuffer: for a run the sk_buff works on a copy of its buffer
// inside a resident area (a JIT's linear memory); end() copies the run's writes
// back into the sk_buff's own buffer, keeps a buffer a helper reallocated, and a
// buffer larger than the resident one is used as is.
import { fc, test } from '@fast-check/vitest';
import { AddressSpace, REGION } from '@tcbpf/ebpf';
import { SkBuff } from '@tcbpf/skb';
import { fuzzRuns } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { SkbRunState } from '../src/index.js';

const frame = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + 3) & 0xff);

function rig(residentLen: number): { mem: AddressSpace; arena: ArrayBuffer; st: SkbRunState } {
  const mem = new AddressSpace();
  const arena = new ArrayBuffer(residentLen + 1024);
  let top = 0;
  mem.memoryAllocator = (len) => {
    const b = new Uint8Array(arena, top, len);
    top += (len + 7) & ~7;
    return b;
  };
  const st = new SkbRunState(mem, new SkBuff(0));
  st.usePacketBuffer(new Uint8Array(arena, 1024 - 256, residentLen));
  return { mem, arena, st };
}

describe('SkbRunState resident packet buffer', () => {
  it('the ctx comes from the address space allocator', () => {
    const { arena, st } = rig(512);
    expect(st.ctx.bytes.buffer).toBe(arena);
  });

  it('a run sees the packet in the resident buffer, its writes land in the sk_buff afterwards', () => {
    const { mem, arena, st } = rig(512);
    const skb = SkBuff.fromFrame(frame(60));
    const own = skb.buf;
    st.begin(skb);
    expect(skb.buf.buffer).toBe(arena);
    expect(mem.region(REGION.PACKET)!.bytes).toBe(skb.buf);
    expect([...skb.buf]).toEqual([...own]);
    skb.buf[skb.dataOff] = 0xaa;
    mem.region(REGION.PACKET)!.view.setUint16(skb.dataOff + 2, 0xbeef, false);
    st.end();
    expect(skb.buf).toBe(own);
    expect(own[skb.dataOff]).toBe(0xaa);
    expect(skb.view.getUint16(skb.dataOff + 2, false)).toBe(0xbeef);
  });

  it('a buffer reallocated during the run (pskb_expand_head) is kept', () => {
    const { st } = rig(512);
    const skb = SkBuff.fromFrame(frame(60));
    const own = skb.buf;
    st.begin(skb);
    expect(skb.expandHead(32, 0)).toBe(0);
    const grown = skb.buf;
    st.end();
    expect(skb.buf).toBe(grown);
    expect(skb.buf).not.toBe(own);
    expect([...skb.buf.subarray(32)]).toEqual([...own]);
  });

  it('a packet larger than the resident buffer runs on its own buffer', () => {
    const { mem, st } = rig(128);
    const skb = SkBuff.fromFrame(frame(200));
    const own = skb.buf;
    st.begin(skb);
    expect(skb.buf).toBe(own);
    expect(mem.region(REGION.PACKET)!.bytes).toBe(own);
    st.end();
    expect(skb.buf).toBe(own);
  });

  test.prop([fc.array(fc.record({ size: fc.integer({ min: 14, max: 600 }), writes: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), grow: fc.boolean() }), { minLength: 1, maxLength: 6 })], { numRuns: fuzzRuns(100, 5000) })(
    'fuzz: runs of any size, writes and reallocations leave the sk_buff as if it had used its own buffer', (runs) => {
      const { st } = rig(512);
      for (const r of runs) {
        const skb = SkBuff.fromFrame(frame(r.size));
        const expected = skb.buf.slice();
        st.begin(skb);
        for (const [at, v] of r.writes) {
          skb.buf[at % skb.buf.length] = v;
          expected[at % expected.length] = v;
        }
        let want = expected;
        if (r.grow) {
          skb.expandHead(16, 8);
          want = new Uint8Array(expected.length + 24);
          want.set(expected, 16);
        }
        st.end();
        expect([...skb.buf]).toEqual([...want]);
        expect(skb.view.byteLength).toBe(skb.buf.byteLength);
        expect(skb.view.buffer).toBe(skb.buf.buffer);
      }
    });
});
