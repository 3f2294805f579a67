// Models kernel/bpf/arraymap.c (Linux 6.18): BPF_MAP_TYPE_ARRAY and
// BPF_MAP_TYPE_PERCPU_ARRAY. Every index exists and starts zeroed; elements are
// round_up(value_size, 8) bytes; lookups return pointers into the live storage
// (later updates are visible through them); delete is EINVAL.
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_CREATE_FLAG, BPF_MAP_TYPE, BPF_UPDATE } from '@tcbpf/uapi';
import { AddressSpace } from '../vm/address-space.js';
import { BpfMap, FOR_EACH_FAILED, NEG, checkMapMemory, checkUpdateFlags, roundUp8, type MapAttr, type MapHost } from './map.js';
import type { HelperEnv } from '../helpers/env.js';

const ALLOWED_FLAGS = BPF_MAP_CREATE_FLAG.NUMA_NODE | BPF_MAP_CREATE_FLAG.RDONLY | BPF_MAP_CREATE_FLAG.WRONLY |
  BPF_MAP_CREATE_FLAG.RDONLY_PROG | BPF_MAP_CREATE_FLAG.WRONLY_PROG | BPF_MAP_CREATE_FLAG.MMAPABLE |
  BPF_MAP_CREATE_FLAG.INNER_MAP | BPF_MAP_CREATE_FLAG.PRESERVE_ELEMS;

/** array_map_alloc_check: the attributes an array-like map accepts. */
export function checkArrayAttr(attr: MapAttr): void {
  const flags = attr.mapFlags ?? 0;
  if (attr.maxEntries === 0 || attr.keySize !== 4 || attr.valueSize === 0 || (flags & ~ALLOWED_FLAGS) !== 0)
    throw new KernelError('EINVAL', 'invalid array map attributes');
  if (attr.mapType === BPF_MAP_TYPE.PERCPU_ARRAY && (flags & BPF_MAP_CREATE_FLAG.MMAPABLE))
    throw new KernelError('EINVAL', 'per-CPU arrays cannot be mmapable');
  if (attr.valueSize > 1 << 20) throw new KernelError('E2BIG', 'value_size too large');
}

/** ARRAY and PERCPU_ARRAY. */
export class ArrayMap extends BpfMap {
  readonly percpu: boolean;
  readonly elemSize: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** Read-only region of the u32 keys bpf_for_each_map_elem passes (one slot per nesting level), -1 until first use. */
  #keyRegion = -1;
  #keyBytes: Uint8Array | undefined;
  #nest = 0;

  constructor(host: MapHost, attr: MapAttr) {
    checkArrayAttr(attr);
    checkMapMemory(roundUp8(attr.valueSize) * attr.maxEntries * (attr.mapType === BPF_MAP_TYPE.PERCPU_ARRAY ? host.nrCpus : 1));
    super(host, attr);
    this.percpu = attr.mapType === BPF_MAP_TYPE.PERCPU_ARRAY;
    this.elemSize = roundUp8(attr.valueSize);
    const copies = this.percpu ? host.nrCpus : 1;
    this.#bytes = host.mem.alloc(this.elemSize * attr.maxEntries * copies);
    this.#view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    this.region = host.mem.add(`map values (${this.percpu ? 'percpu_array' : 'array'})`, this.#bytes);
  }

  override get sysValueSize(): number {
    return this.percpu ? this.elemSize * this.host.nrCpus : this.valueSize;
  }

  /** Byte offset of `index`'s value for `cpu` in the region. */
  valueOffset(index: number, cpu = 0): number {
    return (this.percpu ? cpu * this.maxEntries + index : index) * this.elemSize;
  }

  /** The raw value bytes (live view) of an index on a CPU; for program types and tests. */
  valueView(index: number, cpu = 0): Uint8Array {
    const o = this.valueOffset(index, cpu);
    return this.#bytes.subarray(o, o + this.valueSize);
  }

  #index(key: Uint8Array): number {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true); // host order (LE)
  }

  lookup(key: Uint8Array): Uint8Array {
    const idx = this.#index(this.checkKey(key));
    if (idx >= this.maxEntries) throw new KernelError('ENOENT', 'no such element');
    if (!this.percpu) return this.#bytes.slice(this.valueOffset(idx), this.valueOffset(idx) + this.valueSize);
    const out = new Uint8Array(this.sysValueSize);
    // per-CPU values cross the syscall as round_up(value_size, 8) bytes per CPU (padding included)
    for (let c = 0; c < this.host.nrCpus; c++) {
      const o = this.valueOffset(idx, c);
      out.set(this.#bytes.subarray(o, o + this.elemSize), c * this.elemSize);
    }
    return out;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): void {
    checkUpdateFlags(flags);
    const idx = this.#index(this.checkKey(key));
    const v = this.checkValue(value);
    if (idx >= this.maxEntries) throw new KernelError('E2BIG', `index ${idx} >= max_entries ${this.maxEntries}`);
    if (flags === BPF_UPDATE.NOEXIST) throw new KernelError('EEXIST', 'array elements always exist');
    if (!this.percpu) this.#bytes.set(v.subarray(0, this.valueSize), this.valueOffset(idx));
    else for (let c = 0; c < this.host.nrCpus; c++) this.#bytes.set(v.subarray(c * this.elemSize, (c + 1) * this.elemSize), this.valueOffset(idx, c));
  }

  delete(key: Uint8Array): void {
    this.checkKey(key);
    throw new KernelError('EINVAL', 'array elements cannot be deleted');
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array {
    const idx = key === undefined ? -1 : this.#index(this.checkKey(key));
    const next = idx === -1 || idx >= this.maxEntries ? 0 : idx + 1;
    if (next >= this.maxEntries) throw new KernelError('ENOENT', 'last element');
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, next, true);
    return out;
  }

  progLookup(kb: Uint8Array, ko: number, cpu: number, out: Int32Array): void {
    const idx = (kb[ko]! | (kb[ko + 1]! << 8) | (kb[ko + 2]! << 16) | (kb[ko + 3]! << 24)) >>> 0; // LE u32
    if (idx >= this.maxEntries) { out[0] = 0; out[1] = 0; return; }
    out[0] = this.valueOffset(idx, cpu);
    out[1] = AddressSpace.hiOf(this.region);
  }

  progUpdate(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number): number {
    // array_map_update_elem's order: unknown flags, index, NOEXIST, then BPF_F_LOCK without a lock
    if (flags < 0 || (flags & ~BPF_UPDATE.F_LOCK) > BPF_UPDATE.EXIST) return NEG.EINVAL;
    const idx = (kb[ko]! | (kb[ko + 1]! << 8) | (kb[ko + 2]! << 16) | (kb[ko + 3]! << 24)) >>> 0;
    if (idx >= this.maxEntries) return NEG.E2BIG;
    if (flags & BPF_UPDATE.NOEXIST) return NEG.EEXIST;
    if (flags & BPF_UPDATE.F_LOCK) return NEG.EINVAL;
    const o = this.valueOffset(idx, cpu);
    const b = this.#bytes;
    for (let i = 0; i < this.valueSize; i++) b[o + i] = vb[vo + i]!;
    return 0;
  }

  progDelete(_kb: Uint8Array, _ko: number): number {
    return NEG.EINVAL;
  }

  /** bpf_for_each_array_elem: indexes 0..max_entries-1, the value of this CPU for per-CPU arrays. */
  override forEachElem(env: HelperEnv, entry: number, mapLo: number, mapHi: number, ctxLo: number, ctxHi: number): number {
    if (env.callback === undefined) return FOR_EACH_FAILED;
    if (this.#keyBytes === undefined) {
      this.#keyBytes = new Uint8Array(4 * 8);
      this.#keyRegion = this.host.mem.add('for_each keys (array)', this.#keyBytes, false);
    }
    const keys = this.#keyBytes;
    const slot = Math.min(this.#nest, 7) * 4;
    const khi = AddressSpace.hiOf(this.#keyRegion);
    const vhi = AddressSpace.hiOf(this.region);
    const cpu = env.cpu;
    this.#nest++;
    let n = 0;
    for (let i = 0; i < this.maxEntries; i++) {
      n++;
      keys[slot] = i & 0xff; keys[slot + 1] = (i >>> 8) & 0xff; keys[slot + 2] = (i >>> 16) & 0xff; keys[slot + 3] = i >>> 24; // LE u32
      const r = env.callback(entry, mapLo, mapHi, slot, khi, this.valueOffset(i, cpu), vhi, ctxLo, ctxHi);
      if (r < 0) { n = FOR_EACH_FAILED; break; }
      if (r !== 0) break;
    }
    this.#nest--;
    return n;
  }

  override free(): void {
    if (this.#keyRegion >= 0) this.host.mem.remove(this.#keyRegion);
    this.#keyRegion = -1;
    super.free();
  }

  /** The DataView over all values (index i, cpu c at valueOffset(i, c)). */
  get view(): DataView {
    return this.#view;
  }
}
