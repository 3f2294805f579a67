import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng, KernelError } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import {
  CaptureDecoder, CaptureError, FileSink, LINKTYPE, PcapWriter, PcapngWriter, buildSllHeader, decodeCapture, decodeCaptureAsync,
  generatePackets, parseSllHeader, readCaptureFile, scanCaptureFile, type ByteSink, type CaptureRecord, type GeneratedPacket,
} from '../src/index.js';

class MemSink implements ByteSink {
  readonly parts: Uint8Array[] = [];
  write(c: Uint8Array): void {
    this.parts.push(c.slice());
  }
  bytes(): Uint8Array {
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

type Fmt = { name: string; write: (pk: readonly GeneratedPacket[], snaplen?: number) => Uint8Array; nano: boolean };

const FORMATS: Fmt[] = [];
for (const le of [true, false]) {
  for (const nano of [false, true]) {
    FORMATS.push({
      name: `pcap ${le ? 'LE' : 'BE'} ${nano ? 'ns' : 'us'}`,
      nano,
      write: (pk, snaplen) => {
        const s = new MemSink();
        const w = new PcapWriter(s, { littleEndian: le, nanosecond: nano, bufferSize: 4096, ...(snaplen !== undefined ? { snaplen } : {}) });
        for (const p of pk) w.writePacket(p.data, p.tsSec, p.tsNsec);
        w.close();
        return s.bytes();
      },
    });
    FORMATS.push({
      name: `pcapng ${le ? 'LE' : 'BE'} ${nano ? 'ns' : 'us'}`,
      nano,
      write: (pk, snaplen) => {
        const s = new MemSink();
        const w = new PcapngWriter(s, { littleEndian: le, bufferSize: 4096, interfaces: [{ tsResolution: nano ? 9 : 6, name: 'veth0', ...(snaplen !== undefined ? { snaplen } : {}) }] });
        for (const p of pk) w.writePacket(p.data, p.tsSec, p.tsNsec);
        w.close();
        return s.bytes();
      },
    });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fingerprint(recs: readonly CaptureRecord[]): string {
  let h = 0;
  for (const r of recs) {
    for (const x of r.data) h = (Math.imul(h, 31) + x) | 0;
    h = (Math.imul(h, 31) + r.tsSec + r.tsNsec + r.origLen + r.index * 7 + r.offset) | 0;
  }
  return `${recs.length}:${h}`;
}

function chunked(b: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  let i = 0;
  while (o < b.length) {
    const n = Math.max(1, sizes.length === 0 ? b.length : sizes[i++ % sizes.length]!);
    out.push(b.slice(o, o + n));
    o += n;
  }
  return out;
}

function readAll(b: Uint8Array, sizes: number[] = []): { recs: CaptureRecord[]; err: unknown } {
  const recs: CaptureRecord[] = [];
  try {
    for (const r of decodeCapture(chunked(b, sizes))) recs.push(r);
  } catch (e) {
    return { recs, err: e };
  }
  return { recs, err: undefined };
}

const PK = generatePackets(new Prng(42), 300);

describe('pcap/pcapng round trips', () => {
  for (const f of FORMATS) {
    it(`${f.name}: every packet, timestamp and length comes back`, () => {
      const { recs, err } = readAll(f.write(PK), [1000, 7, 65536]);
      expect(err).toBeUndefined();
      expect(recs.length).toBe(PK.length);
      for (const [i, r] of recs.entries()) {
        const p = PK[i]!;
        expect(r.index).toBe(i);
        expect(sameBytes(r.data, p.data)).toBe(true);
        expect(r.origLen).toBe(p.data.length);
        expect(r.linkType).toBe(LINKTYPE.ETHERNET);
        expect(r.tsSec).toBe(p.tsSec);
        expect(r.tsNsec).toBe(f.nano ? p.tsNsec : Math.floor(p.tsNsec / 1000) * 1000);
      }
    });
    it(`${f.name}: snaplen truncates captured bytes and keeps the wire length`, () => {
      const { recs, err } = readAll(f.write(PK.slice(0, 50), 64));
      expect(err).toBeUndefined();
      for (const [i, r] of recs.entries()) {
        const p = PK[i]!;
        expect(r.capLen).toBe(Math.min(64, p.data.length));
        expect(r.data).toEqual(p.data.subarray(0, 64));
        expect(r.origLen).toBe(p.data.length);
      }
    });
  }

  it('pcapng: several interfaces, link types and a second section in the other byte order', () => {
    const a = new MemSink();
    const w = new PcapngWriter(a, { interfaces: [{ linkType: LINKTYPE.ETHERNET }, { linkType: LINKTYPE.LINUX_SLL, tsResolution: 9 }] });
    w.writePacket(PK[0]!.data, 10, 999_999_999, PK[0]!.data.length, 1);
    w.writePacket(PK[1]!.data, 11, 5000, 2000, 0);
    w.close();
    const b = new MemSink();
    const w2 = new PcapngWriter(b, { littleEndian: false, interfaces: [{ linkType: LINKTYPE.RAW, tsResolution: 9 }] });
    w2.writePacket(PK[2]!.data, 4_000_000_000, 123_456_789);
    w2.close();
    const file = new Uint8Array([...a.bytes(), ...b.bytes()]);
    const { recs, err } = readAll(file, [3]);
    expect(err).toBeUndefined();
    expect(recs.map((r) => [r.interfaceId, r.linkType, r.tsSec, r.tsNsec, r.origLen])).toEqual([
      [1, LINKTYPE.LINUX_SLL, 10, 999_999_999, PK[0]!.data.length],
      [0, LINKTYPE.ETHERNET, 11, 5000, 2000],
      [0, LINKTYPE.RAW, 4_000_000_000, 123_456_789, PK[2]!.data.length],
    ]);
  });

  it('pcapng timestamp resolutions: binary 2^-n, 10^-12 and if_tsoffset, decoded without BigInt', () => {
    // hand-built little-endian pcapng: SHB, IDB(tsresol 0x84 = 2^-4 s, tsoffset 100), EPB, IDB(tsresol 12), EPB
    const parts: number[] = [];
    const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    const u16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
    u32(0x0a0d0d0a); u32(28); u32(0x1a2b3c4d); u16(1); u16(0); u32(0xffffffff); u32(0xffffffff); u32(28);
    u32(1); u32(44); u16(1); u16(0); u32(0); u16(9); u16(1); parts.push(0x84, 0, 0, 0); u16(14); u16(8); u32(100); u32(0); u32(0); u32(44);
    u32(6); u32(36); u32(0); u32(0); u32(33); u32(4); u32(4); parts.push(1, 2, 3, 4); u32(36); // 33/16 s = 2.0625 s
    u32(1); u32(32); u16(1); u16(0); u32(0); u16(9); u16(1); parts.push(12, 0, 0, 0); u32(0); u32(32);
    u32(6); u32(36); u32(1); u32(0x0de0b6d6); u32(0x1e5e8a00 >>> 0); u32(4); u32(4); parts.push(5, 6, 7, 8); u32(36);
    const { recs, err } = readAll(Uint8Array.from(parts));
    expect(err).toBeUndefined();
    expect([recs[0]!.tsSec, recs[0]!.tsNsec]).toEqual([102, 62_500_000]);
    const ps = (0x0de0b6d6n << 32n) | 0x1e5e8a00n; // picoseconds, checked exactly with BigInt
    expect([recs[1]!.tsSec, recs[1]!.tsNsec]).toEqual([Number(ps / 10n ** 12n), Number((ps % 10n ** 12n) / 1000n)]);
    expect(recs[1]!.linkType).toBe(1);
  });
});

describe('bad captures: good records first, then a CaptureError naming record and offset', () => {
  const FILE = FORMATS[0]!.write(PK.slice(0, 20));
  const offsets: number[] = [];
  {
    let o = 24;
    for (const p of PK.slice(0, 20)) {
      offsets.push(o);
      o += 16 + p.data.length;
    }
  }

  it('truncated in the middle of record 7 data', () => {
    const cut = FILE.slice(0, offsets[7]! + 16 + 5);
    const { recs, err } = readAll(cut, [100]);
    expect(recs.length).toBe(7);
    expect(err).toBeInstanceOf(CaptureError);
    const e = err as CaptureError;
    expect(KernelError.isInstance(e)).toBe(true);
    expect([e.record, e.offset, e.errno]).toEqual([7, offsets[7], 'EINVAL']);
    expect(e.message).toContain(`record 7 at offset ${offsets[7]}`);
    expect(e.message).toContain('truncated packet data (5 of');
  });

  it('truncated inside a record header; inside the file header; empty; not a capture', () => {
    let r = readAll(FILE.slice(0, offsets[3]! + 9));
    expect(r.recs.length).toBe(3);
    expect((r.err as CaptureError).message).toContain('truncated record header (9 of 16 bytes)');
    r = readAll(FILE.slice(0, 10));
    expect((r.err as CaptureError).message).toContain('record 0 at offset 0: truncated file header (10 bytes)');
    r = readAll(new Uint8Array(0));
    expect(r.err).toBeInstanceOf(CaptureError);
    r = readAll(new TextEncoder().encode('hello, this is not a capture file'));
    expect((r.err as CaptureError).message).toContain('not a pcap or pcapng file (magic 0x68656c6c)');
  });

  it('a corrupt captured length in record 4 (huge) is refused after records 0-3', () => {
    const bad = Uint8Array.from(FILE);
    new DataView(bad.buffer).setUint32(offsets[4]! + 8, 0x7fffffff, true);
    const r = readAll(bad, [64]);
    expect(r.recs.length).toBe(4);
    expect((r.err as CaptureError).message).toContain(`record 4 at offset ${offsets[4]}: captured length 2147483647 exceeds the maximum 262144`);
  });

  it('pcapng: a bad block length and a packet on an undescribed interface', () => {
    const ng = FORMATS[1]!.write(PK.slice(0, 5));
    // SHB 28 + shb_userappl "tcbpf" (4+8) + end 4 = 44; IDB 20 + if_name "veth0" (4+8) + end 4 = 36
    const firstEpb = 44 + 36;
    const bad = Uint8Array.from(ng);
    const secondEpb = firstEpb + 32 + ((PK[0]!.data.length + 3) & ~3);
    new DataView(bad.buffer).setUint32(secondEpb + 4, 13, true);
    let r = readAll(bad);
    expect(r.recs.length).toBe(1);
    expect((r.err as CaptureError).message).toContain(`record 1 at offset ${secondEpb}: pcapng block total length 13 is invalid`);
    const bad2 = Uint8Array.from(ng);
    new DataView(bad2.buffer).setUint32(secondEpb + 8, 3, true);
    r = readAll(bad2);
    expect((r.err as CaptureError).message).toContain('names interface 3, but 1 are described');
  });

  it('the error is sticky: later calls rethrow the same error', () => {
    const d = new CaptureDecoder();
    d.push(FILE.slice(0, offsets[2]! + 3));
    expect(d.next()).not.toBeNull();
    expect(d.next()).not.toBeNull();
    expect(d.next()).toBeNull();
    expect(() => d.end()).toThrow(CaptureError);
    expect(() => d.next()).toThrow(/record 2/);
  });

  test.prop([fc.constantFrom(...FORMATS.map((_, i) => i)), fc.nat({ max: 1 << 20 })], { numRuns: fuzzRuns(200, 20_000), seed: fuzzSeed() })(
    'fuzz: truncating any capture at any byte delivers every complete record, then fails naming the next one',
    (fi, cutAt) => {
      const f = FORMATS[fi]!;
      const file = f.write(PK.slice(0, 12));
      const cut = cutAt % (file.length + 1);
      const whole = readAll(file).recs;
      const r = readAll(file.slice(0, cut), [97]);
      // every delivered record is one of the originals, in order
      for (const [i, rec] of r.recs.entries()) expect(sameBytes(rec.data, whole[i]!.data)).toBe(true);
      if (r.err === undefined) {
        // only at a record boundary (or right after the pcapng headers)
        expect(r.recs.length === whole.length || r.recs.length < whole.length).toBe(true);
        const next = whole[r.recs.length];
        if (next !== undefined) expect(cut).toBeLessThanOrEqual(next.offset);
      } else {
        expect(r.err).toBeInstanceOf(CaptureError);
        const e = r.err as CaptureError;
        expect(e.record).toBe(r.recs.length);
        expect(e.offset).toBeLessThanOrEqual(cut);
      }
    },
  );

  test.prop([fc.constantFrom(...FORMATS.map((_, i) => i)), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 5 })], {
    numRuns: fuzzRuns(300, 30_000),
    seed: fuzzSeed(),
  })('fuzz: corrupted bytes and any chunking never crash or hang — records or a CaptureError only', (fi, flips, sizes) => {
    const file = Uint8Array.from(FORMATS[fi]!.write(PK.slice(0, 6)));
    for (const [pos, val] of flips) file[pos % file.length] = val;
    const r = readAll(file, sizes);
    if (r.err !== undefined) {
      expect(r.err).toBeInstanceOf(CaptureError);
      expect((r.err as CaptureError).record).toBe(r.recs.length);
    }
    for (const rec of r.recs) expect(rec.data.length).toBe(rec.capLen);
  });

  test.prop([fc.uint8Array({ maxLength: 400 })], { numRuns: fuzzRuns(300, 30_000), seed: fuzzSeed() })('fuzz: random bytes after a valid header', (junk) => {
    for (const f of [FORMATS[0]!, FORMATS[1]!]) {
      const head = f.write([]);
      const r = readAll(new Uint8Array([...head, ...junk]), [13]);
      if (r.err !== undefined) expect(r.err).toBeInstanceOf(CaptureError);
    }
  });

  const FILES = FORMATS.map((f) => f.write(PK.slice(0, 30)));
  const PRINTS = FILES.map((f) => fingerprint(readAll(f).recs));
  test.prop([fc.constantFrom(...FORMATS.map((_, i) => i)), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 6 })], { numRuns: fuzzRuns(200, 20_000), seed: fuzzSeed() })('fuzz: chunk boundaries do not change what is read', (fi, sizes) => {
    const b = readAll(FILES[fi]!, sizes);
    expect(b.err).toBeUndefined();
    expect(fingerprint(b.recs)).toBe(PRINTS[fi]);
  });
});

describe('files, streams and cooked headers', () => {
  it('readCaptureFile/scanCaptureFile stream a file in small chunks; FileSink writes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcbpf-skb-'));
    try {
      const path = join(dir, 'x.pcapng');
      const sink = new FileSink(path);
      const w = new PcapngWriter(sink, { bufferSize: 1000 });
      for (const p of PK) w.writePacket(p.data, p.tsSec, p.tsNsec);
      w.close();
      sink.close();
      const recs = [...readCaptureFile(path, 333)];
      expect(recs.map((r) => r.data)).toEqual(PK.map((p) => p.data));
      let bytes = 0;
      const n = scanCaptureFile(path, (c) => {
        bytes += c.capLen;
        expect(c.buf[c.dataOff + 12]).toBe(PK[c.index]!.data[12]);
      }, 4096);
      expect(n).toBe(PK.length);
      expect(bytes).toBe(PK.reduce((a, p) => a + p.data.length, 0));
      const trunc = join(dir, 't.pcap');
      writeFileSync(trunc, FORMATS[0]!.write(PK.slice(0, 3)).slice(0, -1));
      const got: number[] = [];
      expect(() => {
        for (const r of readCaptureFile(trunc)) got.push(r.index);
      }).toThrow(/record 2 at offset/);
      expect(got).toEqual([0, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decodeCaptureAsync reads an async chunk source', async () => {
    const file = FORMATS[3]!.write(PK.slice(0, 10));
    async function* src(): AsyncGenerator<Uint8Array> {
      for (const c of chunked(file, [50])) yield await Promise.resolve(c);
    }
    const out: CaptureRecord[] = [];
    for await (const r of decodeCaptureAsync(src())) out.push(r);
    expect(out.length).toBe(10);
  });

  it('Linux cooked headers v1 round trip; v2 decode', () => {
    const h = buildSllHeader(4, 1, Uint8Array.of(2, 0, 0, 0, 0, 1), 0x86dd);
    expect(parseSllHeader(h, LINKTYPE.LINUX_SLL)).toMatchObject({ version: 1, pktType: 4, arphrdType: 1, protocol: 0x86dd, headerLen: 16, addr: Uint8Array.of(2, 0, 0, 0, 0, 1) });
    const v2 = Uint8Array.of(0x08, 0x00, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0);
    expect(parseSllHeader(v2, LINKTYPE.LINUX_SLL2)).toMatchObject({ version: 2, protocol: 0x0800, ifindex: 7, arphrdType: 1, pktType: 0, headerLen: 20 });
    expect(parseSllHeader(v2.subarray(0, 10), LINKTYPE.LINUX_SLL2)).toBeNull();
  });

  it('a closed writer refuses more packets with EBADF', () => {
    const w = new PcapWriter(new MemSink());
    w.close();
    expect(() => w.writePacket(PK[0]!.data, 0, 0)).toThrow(/EBADF/);
  });
});
