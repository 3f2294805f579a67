// @tcbpf/skb: capture read/write throughput, sk_buff construction and the veth
// receive path per packet, and checksums. Every group has a baseline measured
// in the same run (a plain copy of the same bytes, or a textbook loop).
import { Prng, SimClock } from '@tcbpf/base';
import {
  CaptureDecoder, NetNamespace, PcapWriter, PcapngWriter, SkBuff, csumPartial, csumReplace4, ethTypeTrans, generatePackets,
  type ByteSink, type CaptureCursor,
} from '@tcbpf/skb';
import type { BenchGroup } from '../harness.js';

const N = 5000;

export function groups(): BenchGroup[] {
  const pk = generatePackets(new Prng(0x5eed), N);
  const totalBytes = pk.reduce((a, p) => a + p.data.length, 0);
  const out = { sink: 0 };

  // --- capture files in memory ---------------------------------------------
  const chunks: Uint8Array[] = [];
  const mem: ByteSink = { write: (c) => void chunks.push(c.slice()) };
  const pw = new PcapWriter(mem);
  for (const p of pk) pw.writePacket(p.data, p.tsSec, p.tsNsec);
  pw.close();
  const pcap = concat(chunks);
  chunks.length = 0;
  const nw = new PcapngWriter(mem, { interfaces: [{ tsResolution: 9 }] });
  for (const p of pk) nw.writePacket(p.data, p.tsSec, p.tsNsec);
  nw.close();
  const pcapng = concat(chunks);
  const CHUNK = 1 << 16;
  const copyBuf = new Uint8Array(CHUNK);
  const cur: CaptureCursor = { index: 0, offset: 0, interfaceId: 0, linkType: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, buf: copyBuf, dataOff: 0 };
  const feed = (file: Uint8Array, each: (d: CaptureDecoder) => void): void => {
    const d = new CaptureDecoder();
    for (let o = 0; o < file.length; o += CHUNK) {
      d.push(file.subarray(o, Math.min(o + CHUNK, file.length)));
      each(d);
    }
    d.end();
  };

  // --- writing ------------------------------------------------------------------
  const nullSink: ByteSink = { write: (c) => void (out.sink ^= c.length) };
  const outBuf = new Uint8Array(totalBytes + 16 * N + 24);

  // --- sk_buff ----------------------------------------------------------------
  const frames = pk.map((p) => p.data);
  const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(1) });
  const [va, vb] = ns.addVeth('va', 'vb');
  va.setUp(true);
  vb.setUp(true);
  ns.onDeliver = (skb) => void (out.sink ^= skb.len);
  const reused = new SkBuff(2048);
  const buf1500 = new Uint8Array(1400);
  const rnd = new Prng(3);
  for (let i = 0; i < buf1500.length; i++) buf1500[i] = rnd.u32() & 0xff;

  return [
    {
      suite: 'skb',
      group: `pcap read, ${N} mixed packets from memory in 64 KiB chunks`,
      unit: 'packet',
      bytesPerUnit: pcap.length / N,
      baseline: { name: 'copy the file bytes in 64 KiB chunks', per: N, fn: () => {
        for (let o = 0; o < pcap.length; o += CHUNK) copyBuf.set(pcap.subarray(o, Math.min(o + CHUNK, pcap.length)));
        out.sink ^= copyBuf[7]!;
      } },
      tasks: [
        { name: 'pcap CaptureDecoder.readInto (zero copy)', per: N, fn: () => feed(pcap, (d) => { while (d.readInto(cur)) out.sink ^= cur.capLen; }) },
        { name: 'pcap CaptureDecoder.next (copies each packet)', per: N, fn: () => feed(pcap, (d) => { for (let r = d.next(); r !== null; r = d.next()) out.sink ^= r.capLen; }) },
        { name: 'pcapng (ns) CaptureDecoder.readInto', per: N, fn: () => feed(pcapng, (d) => { while (d.readInto(cur)) out.sink ^= cur.tsNsec; }) },
      ],
    },
    {
      suite: 'skb',
      group: `pcap write, ${N} mixed packets`,
      unit: 'packet',
      bytesPerUnit: pcap.length / N,
      baseline: { name: 'copy the packets into one buffer', per: N, fn: () => {
        let o = 0;
        for (const f of frames) {
          outBuf.set(f, o + 16);
          o += 16 + f.length;
        }
        out.sink ^= o;
      } },
      tasks: [
        { name: 'PcapWriter (µs) to a sink', per: N, fn: () => {
          const w = new PcapWriter(nullSink);
          for (const p of pk) w.writePacket(p.data, p.tsSec, p.tsNsec);
          w.close();
        } },
        { name: 'PcapngWriter (ns) to a sink', per: N, fn: () => {
          const w = new PcapngWriter(nullSink, { interfaces: [{ tsResolution: 9 }] });
          for (const p of pk) w.writePacket(p.data, p.tsSec, p.tsNsec);
          w.close();
        } },
      ],
    },
    {
      suite: 'skb',
      group: `sk_buff per packet, ${N} mixed frames (avg ${(totalBytes / N).toFixed(0)} B)`,
      unit: 'packet',
      baseline: { name: 'new Uint8Array(64 + len) + set (the packet buffer alone)', per: N, fn: () => {
        for (const f of frames) {
          const b = new Uint8Array(64 + f.length);
          b.set(f, 64);
          out.sink ^= b[70]!;
        }
      } },
      tasks: [
        { name: 'SkBuff.fromFrame', per: N, fn: () => {
          for (const f of frames) out.sink ^= SkBuff.fromFrame(f).len;
        } },
        { name: 'one SkBuff reused (reuse: reset fields + copy the frame)', per: N, fn: () => {
          for (const f of frames) {
            reused.reuse(f);
            out.sink ^= reused.len;
          }
        } },
        { name: 'SkBuff.fromFrame + eth_type_trans', per: N, fn: () => {
          for (const f of frames) {
            const skb = SkBuff.fromFrame(f);
            out.sink ^= ethTypeTrans(skb, vb);
          }
        } },
        { name: 'SkBuff.fromFrame + dev_queue_xmit on veth -> peer rx path -> deliver', per: N, fn: () => {
          for (const f of frames) {
            const skb = SkBuff.fromFrame(f);
            skb.setDev(va);
            ns.devQueueXmit(skb);
          }
        } },
        { name: 'reused SkBuff + dev_queue_xmit on veth -> peer rx path -> deliver', per: N, fn: () => {
          for (const f of frames) {
            reused.reuse(f);
            reused.setDev(va);
            ns.devQueueXmit(reused);
          }
        } },
      ],
    },
    {
      suite: 'skb',
      group: 'checksum over 1400 B',
      unit: 'packet',
      bytesPerUnit: 1400,
      baseline: { name: 'RFC 1071 loop over big-endian 16-bit words', fn: () => {
        let s = 0;
        for (let i = 0; i + 1 < 1400; i += 2) s += (buf1500[i]! << 8) | buf1500[i + 1]!;
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        out.sink ^= s;
      } },
      tasks: [
        { name: 'csumPartial (x86-64 exact __wsum)', fn: () => void (out.sink ^= csumPartial(buf1500, 0, 1400, 0)) },
        { name: 'csumReplace4 (incremental, per call)', per: 1, fn: () => void (out.sink ^= csumReplace4(out.sink & 0xffff, 0x0a000001, 0x0a000002)) },
      ],
    },
  ];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const o = new Uint8Array(n);
  let k = 0;
  for (const p of parts) {
    o.set(p, k);
    k += p.length;
  }
  return o;
}
