// Models kernel/bpf/ringbuf.c (Linux 6.18): BPF_MAP_TYPE_RINGBUF. max_entries is
// the data size (a power of 2, multiple of the 4096-byte page); records are an
// 8-byte header (u32 len with BUSY bit 31 / DISCARD bit 30, u32 page offset)
// plus data padded to 8 bytes. Reserve fails (NULL) when the producer would
// overrun the consumer or the oldest uncommitted record. The kernel maps the
// data pages twice so a record can wrap; here the region is 2 × size and the
// wrapped tail is folded back at commit. User space consumes with consume().
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_CREATE_FLAG, BPF_RINGBUF } from '@tcbpf/uapi';
import { AddressSpace } from '../vm/address-space.js';
import { BpfMap, NEG, checkMapMemory, type MapAttr, type MapHost } from './map.js';

const PAGE_SIZE = 4096;

/** RINGBUF. */
export class RingBufMap extends BpfMap {
  readonly size: number;
  readonly mask: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** Producer and consumer positions (monotonic byte counters, < 2^53). */
  prodPos = 0;
  consPos = 0;
  /** Records submitted with BPF_RB_FORCE_WAKEUP or normal wakeups (simulator statistic). */
  wakeups = 0;

  constructor(host: MapHost, attr: MapAttr) {
    const flags = attr.mapFlags ?? 0;
    const n = attr.maxEntries;
    if ((flags & ~(BPF_MAP_CREATE_FLAG.NUMA_NODE)) !== 0 || attr.keySize !== 0 || attr.valueSize !== 0 ||
      n === 0 || (n & (n - 1)) !== 0 || n % PAGE_SIZE !== 0)
      throw new KernelError('EINVAL', 'ringbuf needs key_size 0, value_size 0, max_entries a power-of-2 multiple of the page size');
    checkMapMemory(2 * n);
    super(host, attr);
    this.size = n;
    this.mask = n - 1;
    this.#bytes = host.mem.alloc(2 * n);
    this.#view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    this.region = host.mem.add('ringbuf data', this.#bytes);
  }

  /** Oldest position still reserved but not committed (the kernel's pending position). */
  #pendPos(): number {
    let p = this.consPos;
    while (p < this.prodPos) {
      const hdr = this.#view.getUint32(p & this.mask, true);
      if (hdr & BPF_RINGBUF.BUSY_BIT) return p;
      p += ((hdr & 0x3fffffff) + BPF_RINGBUF.HDR_SZ + 7) & ~7;
    }
    return this.prodPos;
  }

  /** bpf_ringbuf_reserve: region offset of the record data, or -1. */
  reserve(size: number): number {
    if (size < 0 || size > 0x3fffffff - BPF_RINGBUF.HDR_SZ) return -1;
    const len = (size + BPF_RINGBUF.HDR_SZ + 7) & ~7;
    if (len > this.mask + 1) return -1;
    const newProd = this.prodPos + len;
    if (newProd - this.consPos > this.mask) return -1;
    if (newProd - this.#pendPos() > this.mask) return -1;
    const off = this.prodPos & this.mask;
    this.#view.setUint32(off, (size | BPF_RINGBUF.BUSY_BIT) >>> 0, true);
    this.#view.setUint32(off + 4, (off + 2 * PAGE_SIZE) >>> 12, true); // page offset from the ring's first page
    this.prodPos = newProd;
    return off + BPF_RINGBUF.HDR_SZ;
  }

  /** bpf_ringbuf_submit / discard for the record whose data starts at region offset `dataOff`. */
  commit(dataOff: number, discard: boolean, flags: number): number {
    const off = dataOff - BPF_RINGBUF.HDR_SZ;
    if (off < 0 || off >= this.size) return NEG.EINVAL;
    const hdr = this.#view.getUint32(off, true);
    if (!(hdr & BPF_RINGBUF.BUSY_BIT)) return NEG.EINVAL;
    const size = hdr & 0x3fffffff;
    const end = dataOff + size;
    if (end > this.size) this.#bytes.copyWithin(0, this.size, end); // fold the wrapped tail back
    this.#view.setUint32(off, (size | (discard ? BPF_RINGBUF.DISCARD_BIT : 0)) >>> 0, true);
    if (!(flags & 1)) this.wakeups++;
    return 0;
  }

  /** Available data (bpf_ringbuf_query BPF_RB_AVAIL_DATA). */
  get availData(): number {
    return this.prodPos - this.consPos;
  }

  /** User-space consumer: committed, non-discarded records in order; advances the consumer position. */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.consPos < this.prodPos) {
      const off = this.consPos & this.mask;
      const hdr = this.#view.getUint32(off, true);
      if (hdr & BPF_RINGBUF.BUSY_BIT) break;
      const size = hdr & 0x3fffffff;
      if (!(hdr & BPF_RINGBUF.DISCARD_BIT)) {
        const rec = new Uint8Array(size);
        for (let i = 0; i < size; i++) rec[i] = this.#bytes[(off + BPF_RINGBUF.HDR_SZ + i) & this.mask]!;
        out.push(rec);
      }
      this.consPos += (size + BPF_RINGBUF.HDR_SZ + 7) & ~7;
    }
    return out;
  }

  lookup(): Uint8Array {
    throw new KernelError('ENOTSUPP', 'ringbuf has no elements');
  }
  update(): void {
    throw new KernelError('ENOTSUPP', 'ringbuf has no elements');
  }
  delete(): void {
    throw new KernelError('ENOTSUPP', 'ringbuf has no elements');
  }
  getNextKey(): Uint8Array {
    throw new KernelError('ENOTSUPP', 'ringbuf has no elements');
  }
  progLookup(_kb: Uint8Array, _ko: number, _cpu: number, out: Int32Array): void {
    out[0] = 0; out[1] = 0;
  }
  progUpdate(): number {
    return NEG.ENOTSUPP;
  }
  progDelete(): number {
    return NEG.ENOTSUPP;
  }

  /** hi word of pointers into this ring. */
  get hi(): number {
    return AddressSpace.hiOf(this.region);
  }
}
