// Per-packet paths allocate nothing beyond the packet buffer: the heap grows by
// less than one byte per packet over tens of thousands of packets, measured in
// a window in which no garbage collection ran (checked with a 'gc'
// PerformanceObserver; the measurement is repeated if one did).
import { describe, expect, it } from 'vitest';
import { heapBytesPerOp } from '@tcbpf/testing';
import { Prng, SimClock } from '@tcbpf/base';
import {
  CaptureDecoder, NetNamespace, PcapWriter, PcapngWriter, SkBuff, csumPartial, ethTypeTrans, generatePackets, inetProtoCsumReplace4,
  type ByteSink, type CaptureCursor,
} from '../src/index.js';

/** Steady-state heap growth per operation (setup runs before each GC-free window). */
const bytesPerOp = (setup: () => void, run: () => number): Promise<number> => heapBytesPerOp(run, { setup });

const PK = generatePackets(new Prng(11), 5000);
const sinkParts: Uint8Array[] = [];
const memSink: ByteSink = { write: (c) => void sinkParts.push(c.slice()) };
const w = new PcapWriter(memSink);
for (const p of PK) w.writePacket(p.data, p.tsSec, p.tsNsec);
w.close();
const FILE = new Uint8Array(sinkParts.reduce((a, p) => a + p.length, 0));
{
  let o = 0;
  for (const p of sinkParts) {
    FILE.set(p, o);
    o += p.length;
  }
}

describe('per-packet paths allocate nothing', () => {
  it('CaptureDecoder.readInto: < 1 byte per packet over 25,000 packets', async () => {
    let decoders: CaptureDecoder[] = [];
    const cur: CaptureCursor = { index: 0, offset: 0, interfaceId: 0, linkType: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, buf: FILE, dataOff: 0 };
    let sum = 0;
    const per = await bytesPerOp(
      () => {
        decoders = [];
        for (let i = 0; i < 5; i++) {
          const d = new CaptureDecoder();
          d.push(FILE);
          decoders.push(d);
        }
        // warm up the JIT on a separate decoder
        const warm = new CaptureDecoder();
        warm.push(FILE);
        while (warm.readInto(cur)) sum = (sum + cur.capLen) & 0xffff;
      },
      () => {
        let n = 0;
        for (const d of decoders) {
          while (d.readInto(cur)) {
            sum = (sum + cur.capLen + (cur.tsNsec & 0xff)) & 0xffff;
            n++;
          }
        }
        return n;
      },
    );
    expect(sum).toBeGreaterThan(0);
    expect(per).toBeLessThan(1);
  });

  it('PcapWriter.writePacket into its buffer: < 1 byte per packet', async () => {
    let writer = new PcapWriter(memSink, { bufferSize: FILE.length + 1024 });
    const per = await bytesPerOp(
      () => {
        writer = new PcapWriter(memSink, { bufferSize: FILE.length * 5 + 1024 });
        for (const p of PK.slice(0, 200)) writer.writePacket(p.data, p.tsSec, p.tsNsec);
      },
      () => {
        for (let k = 0; k < 4; k++) for (const p of PK) writer.writePacket(p.data, p.tsSec, p.tsNsec);
        return 4 * PK.length;
      },
    );
    expect(per).toBeLessThan(1);
  });

  it('PcapngWriter.writePacket (ns timestamps split without BigInt): < 1 byte per packet', async () => {
    let writer = new PcapngWriter(memSink);
    const per = await bytesPerOp(
      () => {
        writer = new PcapngWriter(memSink, { bufferSize: FILE.length * 5 + 4096, interfaces: [{ tsResolution: 9 }] });
        for (const p of PK.slice(0, 200)) writer.writePacket(p.data, p.tsSec, p.tsNsec);
      },
      () => {
        for (let k = 0; k < 4; k++) for (const p of PK) writer.writePacket(p.data, p.tsSec, p.tsNsec);
        return 4 * PK.length;
      },
    );
    expect(per).toBeLessThan(1);
  });

  it('SkBuff.reuse + veth transmit -> peer receive path -> deliver, eth_type_trans, inet_proto_csum_replace4: < 1 byte per packet', async () => {
    const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(1) });
    const [a, b] = ns.addVeth('a', 'b');
    a.setUp(true);
    b.setUp(true);
    let delivered = 0;
    ns.onDeliver = () => void delivered++;
    b.ingressHook = (skb) => (skb.mark === 1 ? 2 : 0);
    const skb = new SkBuff(2048);
    const frames = PK.map((p) => p.data);
    const send = (f: Uint8Array): void => {
      skb.reuse(f);
      skb.setDev(a);
      ns.devQueueXmit(skb);
    };
    let acc = 0;
    const per = await bytesPerOp(
      () => {
        for (const f of frames.slice(0, 500)) send(f);
      },
      () => {
        for (let k = 0; k < 4; k++) {
          for (const f of frames) {
            send(f);
            skb.dataOff = 64;
            skb.len = f.length;
            acc = (acc + ethTypeTrans(skb, b)) & 0xffff;
            acc = (acc + inetProtoCsumReplace4(acc, skb, 0x0100000a, 0x0200000a, true)) & 0xffff;
          }
        }
        return 4 * frames.length;
      },
    );
    expect(delivered).toBeGreaterThan(20_000);
    expect(acc).toBeGreaterThanOrEqual(0);
    expect(per).toBeLessThan(1);
  });

  it('csumPartial: no allocation beyond the boxed uint32 a non-inlined call returns (V8 boxes numbers >= 2^30)', async () => {
    const buf = PK[0]!.data;
    let acc = 0;
    const per = await bytesPerOp(
      () => {
        for (let i = 0; i < 1000; i++) acc = (acc + csumPartial(buf, 0, buf.length, i)) & 0xffff;
      },
      () => {
        for (let i = 0; i < 50_000; i++) acc = (acc + csumPartial(buf, 0, buf.length, i)) & 0xffff;
        return 50_000;
      },
    );
    expect(acc).toBeGreaterThanOrEqual(0);
    expect(per).toBeLessThanOrEqual(16);
  });
});
