// pcap and pcapng capture files (not kernel code: the formats libpcap,
// tcpdump and Wireshark read and write). Models the on-disk layouts of the
// libpcap "savefile" (https://www.tcpdump.org/manpages/pcap-savefile.5.html)
// and of pcapng (draft-ietf-opsawg-pcapng): pcap in both byte orders with
// microsecond or nanosecond timestamps; pcapng SHB/IDB/EPB/SPB/PB blocks (other
// blocks skipped) with if_tsresol/if_tsoffset. Reading is streaming: bytes are
// pushed in chunks, records come out one at a time, and a bad record raises a
// CaptureError naming the record index and file offset after every good record
// before it has been delivered. Timestamps never go through BigInt.
import { KernelError, type KernelErrorOptions } from '@tcbpf/base';
import type { ErrnoName } from '@tcbpf/uapi';

/** Link-layer header types (LINKTYPE_*, https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE = Object.freeze({
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
});

/** pcap magic numbers (as read in the file's byte order). */
export const PCAP_MAGIC = Object.freeze({ MICRO: 0xa1b2c3d4, NANO: 0xa1b23c4d });
/** pcapng block types. */
export const PCAPNG_BLOCK = Object.freeze({ SHB: 0x0a0d0d0a, IDB: 1, PB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6, DSB: 10 });
const PCAPNG_BOM = 0x1a2b3c4d;
/** libpcap's MAXIMUM_SNAPLEN: larger captured lengths are refused as corrupt. */
export const MAXIMUM_SNAPLEN = 262144;

/** Capture file formats. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** One packet of a capture. */
export interface CaptureRecord {
  /** 0-based packet number in the file. */
  index: number;
  /** File offset of the record header (pcap) or block (pcapng). */
  offset: number;
  /** pcapng interface id (0 for pcap). */
  interfaceId: number;
  /** LINKTYPE of the packet's interface. */
  linkType: number;
  /** Seconds since the epoch. */
  tsSec: number;
  /** Nanoseconds within the second (microsecond files give multiples of 1000). */
  tsNsec: number;
  /** Bytes captured (`data.length`). */
  capLen: number;
  /** Bytes on the wire. */
  origLen: number;
  /** The captured bytes (own copy from `next()`; for `readInto`, `buf[dataOff, dataOff + capLen)`). */
  data: Uint8Array;
}

/** The zero-copy form filled by `CaptureDecoder.readInto`. */
export interface CaptureCursor {
  index: number;
  offset: number;
  interfaceId: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  capLen: number;
  origLen: number;
  /** The decoder's buffer: valid until the next call on the decoder. */
  buf: Uint8Array;
  /** Where the packet starts in `buf`. */
  dataOff: number;
}

/** A malformed or truncated capture: `record` is the index of the record that failed, `offset` its file offset. */
export class CaptureError extends KernelError {
  /** Index of the failing record (= number of good records delivered before it). */
  readonly record: number;
  /** File offset of the failing record or block. */
  readonly offset: number;

  constructor(errno: ErrnoName, record: number, offset: number, what: string, options: KernelErrorOptions = {}) {
    super(errno, `record ${record} at offset ${offset}: ${what}`, { where: 'capture', ...options });
    this.name = 'CaptureError';
    this.record = record;
    this.offset = offset;
  }
}

/** Header facts of an opened capture. */
export interface CaptureInfo {
  format: CaptureFormat;
  /** True when the file (or the current pcapng section) is little-endian. */
  littleEndian: boolean;
  /** pcap: nanosecond magic; pcapng: resolution of interface 0 finer than 1 µs. */
  nanosecond: boolean;
  /** pcap: the header's link type; pcapng: interface 0's (-1 before the first IDB). */
  linkType: number;
  /** pcap: the header snaplen; pcapng: interface 0's. */
  snaplen: number;
  /** pcap version. */
  versionMajor: number;
  versionMinor: number;
}

interface Iface {
  linkType: number;
  snaplen: number;
  /** Units per second is 10^n (decimal) or 2^n (binary). */
  resolBinary: boolean;
  resolExp: number;
  tsOffsetSec: number;
  /** Decimal resolution up to ns: units per second and ns per unit (0 when not applicable). */
  unitsPerSec: number;
  nsPerUnit: number;
}

const TWO32 = 0x1_0000_0000;

/**
 * Incremental capture decoder: `push()` bytes as they arrive, then call
 * `next()` (or `readInto()`) until it returns null; call `end()` at end of file.
 * Works for pcap and pcapng (detected from the first bytes).
 */
export class CaptureDecoder {
  #buf: Uint8Array = new Uint8Array(1 << 16);
  #view: DataView = new DataView(this.#buf.buffer);
  #start = 0;
  #end = 0;
  #consumed = 0;
  #index = 0;
  #info: CaptureInfo | null = null;
  #le = true;
  #ifaces: Iface[] = [];
  #nano = false;
  #failed: CaptureError | null = null;
  #q = { hi: 0, lo: 0, rem: 0 };

  /** Format details once the file header has been read; null before. */
  get info(): CaptureInfo | null {
    return this.#info;
  }

  /** Records delivered so far. */
  get recordsRead(): number {
    return this.#index;
  }

  /** Append bytes (copied; the chunk can be reused by the caller). */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    if (this.#end + n > this.#buf.length) {
      const live = this.#end - this.#start;
      if (live + n <= this.#buf.length && this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        let size = this.#buf.length;
        while (size < live + n) size *= 2;
        const nb = new Uint8Array(size);
        nb.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = nb;
        this.#view = new DataView(nb.buffer);
      }
      this.#consumed += this.#start;
      this.#end = live;
      this.#start = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += n;
  }

  /** The next record with its own copy of the data, or null when more bytes are needed. Throws CaptureError. */
  next(): CaptureRecord | null {
    const c = this.#cursor;
    if (!this.readInto(c)) return null;
    return {
      index: c.index, offset: c.offset, interfaceId: c.interfaceId, linkType: c.linkType,
      tsSec: c.tsSec, tsNsec: c.tsNsec, capLen: c.capLen, origLen: c.origLen,
      data: c.buf.slice(c.dataOff, c.dataOff + c.capLen),
    };
  }

  readonly #cursor: CaptureCursor = { index: 0, offset: 0, interfaceId: 0, linkType: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, buf: new Uint8Array(0), dataOff: 0 };

  /**
   * Decode the next record into `cur` without allocating (the data stays in
   * the decoder's buffer until the next call). Returns false when more bytes are needed.
   */
  readInto(cur: CaptureCursor): boolean {
    if (this.#failed !== null) throw this.#failed;
    try {
      if (this.#info === null && !this.#readFileHeader()) return false;
      return this.#info!.format === 'pcap' ? this.#readPcapRecord(cur) : this.#readPcapngRecord(cur);
    } catch (e) {
      if (e instanceof CaptureError) this.#failed = e;
      throw e;
    }
  }

  /** End of input: throws CaptureError if a partial record (or no header at all) remains. */
  end(): void {
    if (this.#failed !== null) throw this.#failed;
    const left = this.#end - this.#start;
    const off = this.#consumed + this.#start;
    if (this.#info === null) {
      this.#failed = new CaptureError('EINVAL', 0, 0, `truncated file header (${left} bytes)`);
      throw this.#failed;
    }
    if (left > 0) {
      const what = this.#info.format === 'pcap'
        ? (left < 16 ? `truncated record header (${left} of 16 bytes)` : `truncated packet data (${left - 16} of ${this.#u32(this.#start + 8)} bytes)`)
        : `truncated block (${left} bytes${left >= 8 ? ` of ${this.#u32(this.#start + 4)}` : ''})`;
      this.#failed = new CaptureError('EINVAL', this.#index, off, what);
      throw this.#failed;
    }
  }

  #u32(p: number): number {
    return this.#view.getUint32(p, this.#le);
  }

  #u16(p: number): number {
    return this.#view.getUint16(p, this.#le);
  }

  #err(what: string, off = this.#consumed + this.#start): CaptureError {
    return new CaptureError('EINVAL', this.#index, off, what);
  }

  #readFileHeader(): boolean {
    const avail = this.#end - this.#start;
    if (avail < 4) return false;
    const s = this.#start;
    const be = this.#view.getUint32(s, false);
    const le = this.#view.getUint32(s, true);
    if (be === PCAPNG_BLOCK.SHB) {
      // section header: byte order from the BOM at +8
      if (avail < 12) return false;
      const bomLe = this.#view.getUint32(s + 8, true);
      if (bomLe === PCAPNG_BOM) this.#le = true;
      else if (this.#view.getUint32(s + 8, false) === PCAPNG_BOM) this.#le = false;
      else throw this.#err(`pcapng section header has a bad byte-order magic 0x${bomLe.toString(16)}`);
      this.#info = { format: 'pcapng', littleEndian: this.#le, nanosecond: false, linkType: -1, snaplen: 0, versionMajor: 1, versionMinor: 0 };
      return true;
    }
    let nano: boolean;
    if (le === PCAP_MAGIC.MICRO || le === PCAP_MAGIC.NANO) {
      this.#le = true;
      nano = le === PCAP_MAGIC.NANO;
    } else if (be === PCAP_MAGIC.MICRO || be === PCAP_MAGIC.NANO) {
      this.#le = false;
      nano = be === PCAP_MAGIC.NANO;
    } else {
      throw this.#err(`not a pcap or pcapng file (magic 0x${be.toString(16).padStart(8, '0')})`);
    }
    if (avail < 24) return false;
    const major = this.#u16(s + 4);
    const minor = this.#u16(s + 6);
    if (major !== 2) throw this.#err(`unsupported pcap version ${major}.${minor}`);
    const snaplen = this.#u32(s + 16);
    const linkType = this.#u32(s + 20) & 0x0fffffff;
    this.#nano = nano;
    this.#info = { format: 'pcap', littleEndian: this.#le, nanosecond: nano, linkType, snaplen, versionMajor: major, versionMinor: minor };
    this.#start += 24;
    return true;
  }

  #readPcapRecord(cur: CaptureCursor): boolean {
    const s = this.#start;
    if (this.#end - s < 16) return false;
    const caplen = this.#u32(s + 8);
    const info = this.#info!;
    const max = Math.max(MAXIMUM_SNAPLEN, info.snaplen);
    if (caplen > max) throw this.#err(`captured length ${caplen} exceeds the maximum ${max}`);
    if (this.#end - s < 16 + caplen) return false;
    const frac = this.#u32(s + 4);
    if (frac >= (this.#nano ? 1_000_000_000 : 1_000_000)) throw this.#err(`timestamp fraction ${frac} is not below one second`);
    const v = this.#view;
    const le = this.#le;
    cur.index = this.#index++;
    cur.offset = this.#consumed + s;
    cur.interfaceId = 0;
    cur.linkType = info.linkType;
    cur.tsSec = v.getUint32(s, le);
    cur.tsNsec = this.#nano ? frac : frac * 1000;
    cur.capLen = caplen;
    cur.origLen = v.getUint32(s + 12, le);
    cur.buf = this.#buf;
    cur.dataOff = s + 16;
    this.#start = s + 16 + caplen;
    return true;
  }

  #readPcapngRecord(cur: CaptureCursor): boolean {
    for (;;) {
      const s = this.#start;
      if (this.#end - s < 12) {
        // a new section may switch byte order: peek type/length in both orders
        return false;
      }
      let type = this.#u32(s);
      if (this.#view.getUint32(s, false) === PCAPNG_BLOCK.SHB) type = PCAPNG_BLOCK.SHB;
      if (type === PCAPNG_BLOCK.SHB) {
        const bomLe = this.#view.getUint32(s + 8, true);
        if (bomLe === PCAPNG_BOM) this.#le = true;
        else if (this.#view.getUint32(s + 8, false) === PCAPNG_BOM) this.#le = false;
        else throw this.#err(`pcapng section header has a bad byte-order magic 0x${bomLe.toString(16)}`);
        this.#info!.littleEndian = this.#le;
      }
      const total = this.#u32(s + 4);
      if (total < 12 || total % 4 !== 0) throw this.#err(`pcapng block total length ${total} is invalid`);
      if (total > 0x4000000) throw this.#err(`pcapng block total length ${total} is too large`);
      if (this.#end - s < total) return false;
      if (this.#u32(s + total - 4) !== total) throw this.#err(`pcapng block trailing length ${this.#u32(s + total - 4)} differs from ${total}`);
      const body = s + 8;
      const bodyLen = total - 12;
      switch (type) {
        case PCAPNG_BLOCK.SHB: {
          if (bodyLen < 16) throw this.#err('pcapng section header is too short');
          const major = this.#u16(body + 4);
          if (major !== 1) throw this.#err(`unsupported pcapng version ${major}.${this.#u16(body + 6)}`);
          this.#info!.versionMajor = major;
          this.#info!.versionMinor = this.#u16(body + 6);
          this.#ifaces = [];
          this.#start = s + total;
          continue;
        }
        case PCAPNG_BLOCK.IDB: {
          if (bodyLen < 8) throw this.#err('pcapng interface description is too short');
          const iface: Iface = { linkType: this.#u16(body), snaplen: this.#u32(body + 4), resolBinary: false, resolExp: 6, tsOffsetSec: 0, unitsPerSec: 0, nsPerUnit: 0 };
          this.#parseIdbOptions(iface, body + 8, bodyLen - 8);
          if (!iface.resolBinary && iface.resolExp <= 9) {
            iface.unitsPerSec = 10 ** iface.resolExp;
            iface.nsPerUnit = 10 ** (9 - iface.resolExp);
          }
          this.#ifaces.push(iface);
          if (this.#ifaces.length === 1) {
            this.#info!.linkType = iface.linkType;
            this.#info!.snaplen = iface.snaplen;
            this.#info!.nanosecond = iface.resolBinary ? iface.resolExp > 19 : iface.resolExp > 6;
          }
          this.#start = s + total;
          continue;
        }
        case PCAPNG_BLOCK.EPB:
        case PCAPNG_BLOCK.PB: {
          if (bodyLen < 20) throw this.#err('pcapng packet block is too short');
          const ifId = type === PCAPNG_BLOCK.EPB ? this.#u32(body) : this.#u16(body);
          const iface = this.#ifaces[ifId];
          if (iface === undefined) throw this.#err(`pcapng packet block names interface ${ifId}, but ${this.#ifaces.length} are described`);
          const caplen = this.#u32(body + 12);
          if (caplen > bodyLen - 20) throw this.#err(`captured length ${caplen} exceeds the block (${bodyLen - 20} bytes)`);
          this.#fillTs(cur, iface, this.#u32(body + 4), this.#u32(body + 8));
          cur.index = this.#index++;
          cur.offset = this.#consumed + s;
          cur.interfaceId = ifId;
          cur.linkType = iface.linkType;
          cur.capLen = caplen;
          cur.origLen = this.#u32(body + 16);
          cur.buf = this.#buf;
          cur.dataOff = body + 20;
          this.#start = s + total;
          return true;
        }
        case PCAPNG_BLOCK.SPB: {
          if (bodyLen < 4) throw this.#err('pcapng simple packet block is too short');
          const iface = this.#ifaces[0];
          if (iface === undefined) throw this.#err('pcapng simple packet block before any interface description');
          const orig = this.#u32(body);
          let caplen = Math.min(orig, bodyLen - 4);
          if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
          cur.index = this.#index++;
          cur.offset = this.#consumed + s;
          cur.interfaceId = 0;
          cur.linkType = iface.linkType;
          cur.tsSec = 0;
          cur.tsNsec = 0;
          cur.capLen = caplen;
          cur.origLen = orig;
          cur.buf = this.#buf;
          cur.dataOff = body + 4;
          this.#start = s + total;
          return true;
        }
        default:
          this.#start = s + total; // NRB, ISB, DSB, custom...: skipped
      }
    }
  }

  #parseIdbOptions(iface: Iface, p: number, len: number): void {
    const end = p + len;
    while (p + 4 <= end) {
      const code = this.#u16(p);
      const olen = this.#u16(p + 2);
      const v = p + 4;
      if (v + olen > end) throw this.#err(`pcapng interface option ${code} overruns the block`);
      if (code === 0) break;
      if (code === 9 && olen >= 1) {
        const r = this.#buf[v]!;
        iface.resolBinary = (r & 0x80) !== 0;
        iface.resolExp = r & 0x7f;
        if ((iface.resolBinary && iface.resolExp > 31) || (!iface.resolBinary && iface.resolExp > 18)) {
          throw this.#err(`unsupported if_tsresol 0x${r.toString(16)}`);
        }
      } else if (code === 14 && olen >= 8) {
        const lo = this.#u32(v + (this.#le ? 0 : 4));
        const hi = this.#view.getInt32(v + (this.#le ? 4 : 0), this.#le);
        iface.tsOffsetSec = hi * TWO32 + lo;
      }
      p = v + ((olen + 3) & ~3);
    }
  }

  /** 64-bit timestamp units (hi:lo) -> seconds + nanoseconds for the interface resolution. */
  #fillTs(cur: CaptureCursor, iface: Iface, hi: number, lo: number): void {
    const q = this.#q;
    if (iface.unitsPerSec !== 0) {
      divmod64(hi, lo, iface.unitsPerSec, q);
      cur.tsSec = q.hi * TWO32 + q.lo + iface.tsOffsetSec;
      cur.tsNsec = q.rem * iface.nsPerUnit;
      return;
    }
    const e = iface.resolExp;
    if (iface.resolBinary) {
      if (e === 0) {
        cur.tsSec = hi * TWO32 + lo + iface.tsOffsetSec;
        cur.tsNsec = 0;
        return;
      }
      divmod64(hi, lo, 2 ** e, q);
      cur.tsSec = q.hi * TWO32 + q.lo + iface.tsOffsetSec;
      // rem / 2^e seconds in ns, exactly: rem * 5^9 * 2^9 / 2^e
      cur.tsNsec = e >= 9 ? Math.floor((q.rem * 1953125) / 2 ** (e - 9)) : q.rem * 1953125 * 2 ** (9 - e);
      return;
    }
    if (e <= 9) {
      divmod64(hi, lo, 10 ** e, q);
      cur.tsSec = q.hi * TWO32 + q.lo + iface.tsOffsetSec;
      cur.tsNsec = q.rem * 10 ** (9 - e);
      return;
    }
    // finer than 1 ns: drop the sub-ns digits, then split seconds
    divmod64(hi, lo, 10 ** (e - 9), q);
    divmod64(q.hi, q.lo, 1_000_000_000, q);
    cur.tsSec = q.hi * TWO32 + q.lo + iface.tsOffsetSec;
    cur.tsNsec = q.rem;
  }
}

/** Divide the 64-bit value hi:lo by d (1 <= d <= 2^31) into q.hi:q.lo remainder q.rem, using 16-bit limbs. */
function divmod64(hi: number, lo: number, d: number, q: { hi: number; lo: number; rem: number }): void {
  let r = 0;
  let cur = r * 65536 + (hi >>> 16);
  const q3 = Math.floor(cur / d);
  r = cur - q3 * d;
  cur = r * 65536 + (hi & 0xffff);
  const q2 = Math.floor(cur / d);
  r = cur - q2 * d;
  cur = r * 65536 + (lo >>> 16);
  const q1 = Math.floor(cur / d);
  r = cur - q1 * d;
  cur = r * 65536 + (lo & 0xffff);
  const q0 = Math.floor(cur / d);
  r = cur - q0 * d;
  q.hi = q3 * 65536 + q2;
  q.lo = q1 * 65536 + q0;
  q.rem = r;
}

// --- reading helpers -------------------------------------------------------------

/** Decode a capture from an iterable of chunks; yields records, then throws CaptureError on a bad or truncated record. */
export function* decodeCapture(chunks: Iterable<Uint8Array>): Generator<CaptureRecord, void, undefined> {
  const d = new CaptureDecoder();
  for (const c of chunks) {
    d.push(c);
    for (let r = d.next(); r !== null; r = d.next()) yield r;
  }
  d.end();
}

/** As `decodeCapture` for an async source (a Node stream, a web ReadableStream...). */
export async function* decodeCaptureAsync(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<CaptureRecord, void, undefined> {
  const d = new CaptureDecoder();
  for await (const c of chunks) {
    d.push(c);
    for (let r = d.next(); r !== null; r = d.next()) yield r;
  }
  d.end();
}

// --- writing ---------------------------------------------------------------------

/**
 * Where a writer puts bytes (e.g. `FileSink`, or an array). `chunk` is a view of
 * the writer's buffer, valid only during the call: write it out or copy it.
 */
export interface ByteSink {
  write(chunk: Uint8Array): void;
}

/** Options of the pcap writer. */
export interface PcapWriterOptions {
  /** LINKTYPE (default Ethernet). */
  readonly linkType?: number;
  /** Snapshot length (default 262144); longer packets are truncated. */
  readonly snaplen?: number;
  /** Nanosecond timestamps (magic a1b23c4d); default microseconds. */
  readonly nanosecond?: boolean;
  /** Byte order of the file; default little-endian. */
  readonly littleEndian?: boolean;
  /** Bytes buffered before a write to the sink (default 64 KiB). */
  readonly bufferSize?: number;
}

/** Base of the two writers: a reusable output buffer flushed to the sink. */
class BufferedWriter {
  protected readonly sink: ByteSink;
  protected buf: Uint8Array;
  protected view: DataView;
  protected pos = 0;
  protected readonly le: boolean;
  #closed = false;

  constructor(sink: ByteSink, size: number, le: boolean) {
    this.sink = sink;
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.le = le;
  }

  protected reserve(n: number): void {
    if (this.#closed) throw new KernelError('EBADF', 'capture writer is closed', { where: 'capture' });
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.view = new DataView(this.buf.buffer);
    }
  }

  /** Hand buffered bytes to the sink (a view of the buffer, valid during the call). */
  flush(): void {
    if (this.pos === 0) return;
    this.sink.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** Flush and refuse further writes. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
  }
}

/** Streaming pcap writer. */
export class PcapWriter extends BufferedWriter {
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly linkType: number;

  constructor(sink: ByteSink, opts: PcapWriterOptions = {}) {
    super(sink, Math.max(opts.bufferSize ?? 1 << 16, 64), opts.littleEndian ?? true);
    this.snaplen = opts.snaplen ?? MAXIMUM_SNAPLEN;
    this.nanosecond = opts.nanosecond ?? false;
    this.linkType = opts.linkType ?? LINKTYPE.ETHERNET;
    const v = this.view;
    v.setUint32(0, this.nanosecond ? PCAP_MAGIC.NANO : PCAP_MAGIC.MICRO, this.le);
    v.setUint16(4, 2, this.le);
    v.setUint16(6, 4, this.le);
    v.setInt32(8, 0, this.le);
    v.setUint32(12, 0, this.le);
    v.setUint32(16, this.snaplen, this.le);
    v.setUint32(20, this.linkType, this.le);
    this.pos = 24;
  }

  /**
   * Append a packet: `data` is truncated to the snaplen; `origLen` defaults to
   * `data.length`. `tsNsec` is rounded down to microseconds for µs files.
   */
  writePacket(data: Uint8Array, tsSec: number, tsNsec: number, origLen = data.length): void {
    const cap = Math.min(data.length, this.snaplen);
    this.reserve(16 + cap);
    const v = this.view;
    const p = this.pos;
    v.setUint32(p, tsSec >>> 0, this.le);
    v.setUint32(p + 4, this.nanosecond ? tsNsec >>> 0 : Math.floor(tsNsec / 1000) >>> 0, this.le);
    v.setUint32(p + 8, cap, this.le);
    v.setUint32(p + 12, origLen >>> 0, this.le);
    this.buf.set(cap === data.length ? data : data.subarray(0, cap), p + 16);
    this.pos = p + 16 + cap;
  }
}

/** An interface of a pcapng file. */
export interface PcapngInterface {
  readonly linkType?: number;
  readonly snaplen?: number;
  /** if_tsresol: 6 (µs, default) or 9 (ns). */
  readonly tsResolution?: 6 | 9;
  /** if_name. */
  readonly name?: string;
}

/** Options of the pcapng writer. */
export interface PcapngWriterOptions {
  /** Interfaces (default: one Ethernet interface, µs). */
  readonly interfaces?: readonly PcapngInterface[];
  /** Byte order of the section; default little-endian. */
  readonly littleEndian?: boolean;
  /** shb_userappl text (default "tcbpf"). */
  readonly application?: string;
  /** Bytes buffered before a write to the sink (default 64 KiB). */
  readonly bufferSize?: number;
}

/** Streaming pcapng writer: one section, the given interfaces, Enhanced Packet Blocks. */
export class PcapngWriter extends BufferedWriter {
  readonly #ifaces: Required<Omit<PcapngInterface, 'name'>>[] = [];
  readonly #q = { hi: 0, lo: 0 };

  constructor(sink: ByteSink, opts: PcapngWriterOptions = {}) {
    super(sink, Math.max(opts.bufferSize ?? 1 << 16, 256), opts.littleEndian ?? true);
    const enc = new TextEncoder();
    const app = enc.encode(opts.application ?? 'tcbpf');
    // SHB
    const shbLen = 28 + 4 + ((app.length + 3) & ~3) + 4;
    this.reserve(shbLen);
    let p = this.#blockStart(PCAPNG_BLOCK.SHB, shbLen);
    this.view.setUint32(p, PCAPNG_BOM, this.le);
    this.view.setUint16(p + 4, 1, this.le);
    this.view.setUint16(p + 6, 0, this.le);
    this.view.setInt32(p + 8, -1, this.le);
    this.view.setInt32(p + 12, -1, this.le);
    p = this.#option(p + 16, 4, app);
    this.#option(p, 0, new Uint8Array(0));
    this.#blockEnd(shbLen);
    for (const i of opts.interfaces ?? [{}]) this.addInterface(i);
  }

  /** Add an interface (Interface Description Block); returns its id. */
  addInterface(i: PcapngInterface): number {
    const name = i.name === undefined ? new Uint8Array(0) : new TextEncoder().encode(i.name);
    const res = i.tsResolution ?? 6;
    if (res !== 6 && res !== 9) throw new KernelError('EINVAL', `if_tsresol ${String(res)} not supported by the writer (6 or 9)`, { where: 'pcapng' });
    const len = 20 + (res !== 6 ? 8 : 0) + (name.length > 0 ? 4 + ((name.length + 3) & ~3) : 0) + 4;
    this.reserve(len);
    let p = this.#blockStart(PCAPNG_BLOCK.IDB, len);
    const linkType = i.linkType ?? LINKTYPE.ETHERNET;
    const snaplen = i.snaplen ?? MAXIMUM_SNAPLEN;
    this.view.setUint16(p, linkType, this.le);
    this.view.setUint16(p + 2, 0, this.le);
    this.view.setUint32(p + 4, snaplen, this.le);
    p += 8;
    if (name.length > 0) p = this.#option(p, 2, name);
    if (res !== 6) p = this.#option(p, 9, Uint8Array.of(res));
    this.#option(p, 0, new Uint8Array(0));
    this.#blockEnd(len);
    this.#ifaces.push({ linkType, snaplen, tsResolution: res });
    return this.#ifaces.length - 1;
  }

  /** Append an Enhanced Packet Block on interface `ifId` (default 0). */
  writePacket(data: Uint8Array, tsSec: number, tsNsec: number, origLen = data.length, ifId = 0): void {
    const iface = this.#ifaces[ifId];
    if (iface === undefined) throw new KernelError('EINVAL', `no interface ${ifId}`, { where: 'pcapng' });
    const cap = iface.snaplen > 0 ? Math.min(data.length, iface.snaplen) : data.length;
    const len = 32 + ((cap + 3) & ~3);
    this.reserve(len);
    const v = this.view;
    const p = this.pos + 8;
    v.setUint32(this.pos, PCAPNG_BLOCK.EPB, this.le);
    v.setUint32(this.pos + 4, len, this.le);
    const q = this.#q;
    if (iface.tsResolution === 9) mulAdd64(tsSec, 1_000_000_000, tsNsec, q);
    else mulAdd64(tsSec, 1_000_000, Math.floor(tsNsec / 1000), q);
    v.setUint32(p, ifId, this.le);
    v.setUint32(p + 4, q.hi, this.le);
    v.setUint32(p + 8, q.lo, this.le);
    v.setUint32(p + 12, cap, this.le);
    v.setUint32(p + 16, origLen >>> 0, this.le);
    const b = this.buf;
    b.set(cap === data.length ? data : data.subarray(0, cap), p + 20);
    for (let i = p + 20 + cap, end = p + 20 + ((cap + 3) & ~3); i < end; i++) b[i] = 0;
    v.setUint32(this.pos + len - 4, len, this.le);
    this.pos += len;
  }

  #blockStart(type: number, len: number): number {
    this.view.setUint32(this.pos, type, this.le);
    this.view.setUint32(this.pos + 4, len, this.le);
    return this.pos + 8;
  }

  #blockEnd(len: number): void {
    this.view.setUint32(this.pos + len - 4, len, this.le);
    this.pos += len;
  }

  #option(p: number, code: number, value: Uint8Array): number {
    this.view.setUint16(p, code, this.le);
    this.view.setUint16(p + 2, value.length, this.le);
    this.buf.set(value, p + 4);
    const padded = (value.length + 3) & ~3;
    this.buf.fill(0, p + 4 + value.length, p + 4 + padded);
    return p + 4 + padded;
  }
}

/** a * m + b as a 64-bit hi:lo pair, for a < 2^32, m < 2^31, b < 2^32 (exact, no BigInt). */
function mulAdd64(a: number, m: number, b: number, q: { hi: number; lo: number }): void {
  const aH = Math.floor(a / 65536);
  const aL = a % 65536;
  const t1 = aL * m + b; // < 2^48
  const x = aH * m; // < 2^47
  let low = (x % 65536) * 65536 + (t1 % TWO32);
  const hi = Math.floor(x / 65536) + Math.floor(t1 / TWO32) + Math.floor(low / TWO32);
  low %= TWO32;
  q.hi = hi >>> 0;
  q.lo = low >>> 0;
}

// --- Linux cooked capture headers ----------------------------------------------

/** A decoded LINKTYPE_LINUX_SLL (16 bytes) or LINUX_SLL2 (20 bytes) header. */
export interface SllHeader {
  /** 1 or 2. */
  version: 1 | 2;
  /** PACKET_* of the packet (sll_pkttype). */
  pktType: number;
  /** ARPHRD_* of the device. */
  arphrdType: number;
  /** Link-layer source address (up to 8 bytes). */
  addr: Uint8Array;
  /** Protocol (host order), e.g. 0x0800. */
  protocol: number;
  /** SLL2 only: interface index (0 for SLL). */
  ifindex: number;
  /** Header length (16 or 20): the payload starts here. */
  headerLen: number;
}

/** Decode the cooked header at the start of a LINUX_SLL / LINUX_SLL2 packet; null when too short. */
export function parseSllHeader(data: Uint8Array, linkType: number): SllHeader | null {
  const v = new DataView(data.buffer, data.byteOffset, data.length);
  if (linkType === LINKTYPE.LINUX_SLL) {
    if (data.length < 16) return null;
    const alen = Math.min(v.getUint16(4, false), 8);
    return { version: 1, pktType: v.getUint16(0, false), arphrdType: v.getUint16(2, false), addr: data.slice(6, 6 + alen), protocol: v.getUint16(14, false), ifindex: 0, headerLen: 16 };
  }
  if (linkType === LINKTYPE.LINUX_SLL2) {
    if (data.length < 20) return null;
    const alen = Math.min(data[11]!, 8);
    return { version: 2, protocol: v.getUint16(0, false), ifindex: v.getUint32(4, false), arphrdType: v.getUint16(8, false), pktType: data[10]!, addr: data.slice(12, 12 + alen), headerLen: 20 };
  }
  return null;
}

/** Build a LINUX_SLL (v1, 16 bytes) header. */
export function buildSllHeader(pktType: number, arphrdType: number, addr: Uint8Array, protocol: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, pktType, false);
  v.setUint16(2, arphrdType, false);
  v.setUint16(4, Math.min(addr.length, 8), false);
  b.set(addr.subarray(0, 8), 6);
  v.setUint16(14, protocol, false);
  return b;
}
