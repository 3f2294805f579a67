// Models kernel/bpf/hashtab.c (Linux 6.18): BPF_MAP_TYPE_HASH, PERCPU_HASH,
// LRU_HASH and LRU_PERCPU_HASH with preallocated elements. Keys are compared
// byte-wise; a bucket list gets new elements at its head; an update of an
// existing key installs a new element (pointers to the old one keep pointing at
// its memory, which a later insert may reuse); a full table is E2BIG unless the
// map is LRU, which evicts the least recently used element instead.
// Storage: keys in a key arena, values in an AddressSpace region, chains as
// int32 arrays, so program-side lookups allocate nothing.
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_CREATE_FLAG, BPF_MAP_TYPE, BPF_UPDATE, BPF_LIMITS } from '@tcbpf/uapi';
import { AddressSpace } from '../vm/address-space.js';
import { BpfMap, FOR_EACH_FAILED, NEG, checkMapMemory, checkUpdateFlags, roundUp8, type MapAttr, type MapHost } from './map.js';
import type { HelperEnv } from '../helpers/env.js';

const HASH_FLAGS = BPF_MAP_CREATE_FLAG.NO_PREALLOC | BPF_MAP_CREATE_FLAG.NO_COMMON_LRU | BPF_MAP_CREATE_FLAG.NUMA_NODE |
  BPF_MAP_CREATE_FLAG.RDONLY | BPF_MAP_CREATE_FLAG.WRONLY | BPF_MAP_CREATE_FLAG.ZERO_SEED |
  BPF_MAP_CREATE_FLAG.RDONLY_PROG | BPF_MAP_CREATE_FLAG.WRONLY_PROG | BPF_MAP_CREATE_FLAG.INNER_MAP;

/** htab_map_alloc_check: the attributes a hash map accepts. */
export function checkHashAttr(attr: MapAttr): void {
  const flags = attr.mapFlags ?? 0;
  const lru = attr.mapType === BPF_MAP_TYPE.LRU_HASH || attr.mapType === BPF_MAP_TYPE.LRU_PERCPU_HASH;
  const percpu = attr.mapType === BPF_MAP_TYPE.PERCPU_HASH || attr.mapType === BPF_MAP_TYPE.LRU_PERCPU_HASH;
  if ((flags & ~HASH_FLAGS) !== 0) throw new KernelError('EINVAL', 'invalid hash map flags');
  if (lru && (flags & BPF_MAP_CREATE_FLAG.NO_PREALLOC)) throw new KernelError('ENOTSUPP', 'LRU maps are always preallocated');
  if (!lru && (flags & BPF_MAP_CREATE_FLAG.NO_COMMON_LRU)) throw new KernelError('EINVAL', 'NO_COMMON_LRU needs an LRU map');
  if (percpu && (flags & BPF_MAP_CREATE_FLAG.INNER_MAP)) throw new KernelError('EINVAL', 'per-CPU maps cannot be inner maps');
  if (attr.maxEntries === 0 || attr.keySize === 0 || attr.valueSize === 0) throw new KernelError('EINVAL', 'invalid hash map attributes');
  // KMALLOC_MAX_SIZE (4 MiB on x86-64) - MAX_BPF_STACK - sizeof(struct htab_elem)
  if (attr.valueSize >= (1 << 22) - BPF_LIMITS.MAX_BPF_STACK - 48) throw new KernelError('E2BIG', 'value_size too large');
}

/** FNV-1a over key bytes (the kernel uses jhash with a random seed; order is unspecified either way). */
function hashBytes(b: Uint8Array, o: number, n: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ b[o + i]!, 0x01000193);
  return h >>> 0;
}

/** HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH. */
export class HashMap extends BpfMap {
  readonly percpu: boolean;
  readonly lru: boolean;
  readonly elemSize: number;
  /** Element slots (max_entries + 1 spare for replacing when full). */
  readonly cap: number;
  readonly #keys: Uint8Array;
  readonly #values: Uint8Array;
  readonly #heads: Int32Array;
  readonly #next: Int32Array;
  readonly #used: Uint8Array;
  readonly #free: Int32Array;
  #nfree: number;
  #count = 0;
  // LRU recency list (doubly linked, most recent at head)
  readonly #lprev: Int32Array;
  readonly #lnext: Int32Array;
  #lhead = -1;
  #ltail = -1;
  readonly #mask: number;
  /** The key arena as a read-only region (bpf_for_each_map_elem key pointers), -1 until first use. */
  #keyRegion = -1;

  constructor(host: MapHost, attr: MapAttr) {
    checkHashAttr(attr);
    checkMapMemory((attr.maxEntries + 1) * (attr.keySize + 24 + roundUp8(attr.valueSize) * (attr.mapType === BPF_MAP_TYPE.PERCPU_HASH || attr.mapType === BPF_MAP_TYPE.LRU_PERCPU_HASH ? host.nrCpus : 1)));
    super(host, attr);
    const t = attr.mapType;
    this.percpu = t === BPF_MAP_TYPE.PERCPU_HASH || t === BPF_MAP_TYPE.LRU_PERCPU_HASH;
    this.lru = t === BPF_MAP_TYPE.LRU_HASH || t === BPF_MAP_TYPE.LRU_PERCPU_HASH;
    this.elemSize = roundUp8(attr.valueSize);
    this.cap = attr.maxEntries + 1;
    let nb = 1;
    while (nb < attr.maxEntries) nb *= 2;
    this.#mask = nb - 1;
    this.#heads = new Int32Array(nb).fill(-1);
    this.#next = new Int32Array(this.cap).fill(-1);
    this.#used = new Uint8Array(this.cap);
    this.#free = new Int32Array(this.cap);
    for (let i = 0; i < this.cap; i++) this.#free[i] = this.cap - 1 - i; // pop gives 0 first
    this.#nfree = this.cap;
    this.#keys = new Uint8Array(this.cap * attr.keySize);
    this.#values = host.mem.alloc(this.cap * this.elemSize * (this.percpu ? host.nrCpus : 1));
    this.#lprev = new Int32Array(this.lru ? this.cap : 0).fill(-1);
    this.#lnext = new Int32Array(this.lru ? this.cap : 0).fill(-1);
    this.region = host.mem.add(`map values (${this.lru ? 'lru_' : ''}${this.percpu ? 'percpu_' : ''}hash)`, this.#values);
  }

  override get sysValueSize(): number {
    return this.percpu ? this.elemSize * this.host.nrCpus : this.valueSize;
  }

  /** Number of elements. */
  get count(): number {
    return this.#count;
  }

  #valueOffset(slot: number, cpu: number): number {
    return (this.percpu ? cpu * this.cap + slot : slot) * this.elemSize;
  }

  #keyEq(slot: number, kb: Uint8Array, ko: number): boolean {
    const ks = this.keySize;
    const keys = this.#keys;
    const base = slot * ks;
    for (let i = 0; i < ks; i++) if (keys[base + i] !== kb[ko + i]) return false;
    return true;
  }

  /** Slot holding key, or -1. */
  #find(kb: Uint8Array, ko: number): number {
    let s = this.#heads[hashBytes(kb, ko, this.keySize) & this.#mask]!;
    while (s >= 0) {
      if (this.#keyEq(s, kb, ko)) return s;
      s = this.#next[s]!;
    }
    return -1;
  }

  #unlinkBucket(slot: number): void {
    const b = hashBytes(this.#keys, slot * this.keySize, this.keySize) & this.#mask;
    let s = this.#heads[b]!;
    let prev = -1;
    while (s >= 0 && s !== slot) { prev = s; s = this.#next[s]!; }
    if (s < 0) return;
    if (prev < 0) this.#heads[b] = this.#next[slot]!; else this.#next[prev] = this.#next[slot]!;
    this.#next[slot] = -1;
  }

  #lruUnlink(slot: number): void {
    const p = this.#lprev[slot]!, n = this.#lnext[slot]!;
    if (p >= 0) this.#lnext[p] = n; else if (this.#lhead === slot) this.#lhead = n;
    if (n >= 0) this.#lprev[n] = p; else if (this.#ltail === slot) this.#ltail = p;
    this.#lprev[slot] = -1;
    this.#lnext[slot] = -1;
  }

  #lruPushHead(slot: number): void {
    this.#lprev[slot] = -1;
    this.#lnext[slot] = this.#lhead;
    if (this.#lhead >= 0) this.#lprev[this.#lhead] = slot;
    this.#lhead = slot;
    if (this.#ltail < 0) this.#ltail = slot;
  }

  #release(slot: number): void {
    this.#unlinkBucket(slot);
    if (this.lru) this.#lruUnlink(slot);
    this.#used[slot] = 0;
    this.#free[this.#nfree++] = slot;
    this.#count--;
  }

  /** Take a free slot; for LRU evict the least recently used element when none is free. */
  #alloc(): number {
    if (this.#nfree === 0) return -1;
    return this.#free[--this.#nfree]!;
  }

  /**
   * Insert or replace; value from vb[vo..] for one CPU (allCpus false: others
   * zeroed on insert, kept on replace) or for all CPUs (syscall layout).
   * Returns 0 or a negative errno.
   */
  #upsert(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number, allCpus: boolean): number {
    const old = this.#find(kb, ko);
    if (old >= 0 && flags === BPF_UPDATE.NOEXIST) return NEG.EEXIST;
    if (old < 0 && flags === BPF_UPDATE.EXIST) return NEG.ENOENT;
    if (this.percpu && old >= 0) {
      // per-CPU maps update in place
      this.#writeValue(old, vb, vo, cpu, allCpus, false);
      if (this.lru) { this.#lruUnlink(old); this.#lruPushHead(old); }
      return 0;
    }
    if (old < 0 && this.#count >= this.maxEntries) {
      if (!this.lru || this.#ltail < 0) return NEG.E2BIG;
      this.#release(this.#ltail);
    }
    const slot = this.#alloc();
    if (slot < 0) return NEG.ENOMEM;
    const keys = this.#keys;
    for (let i = 0, base = slot * this.keySize; i < this.keySize; i++) keys[base + i] = kb[ko + i]!;
    this.#writeValue(slot, vb, vo, cpu, allCpus, true);
    if (old >= 0) this.#release(old);
    const b = hashBytes(kb, ko, this.keySize) & this.#mask;
    this.#next[slot] = this.#heads[b]!;
    this.#heads[b] = slot;
    this.#used[slot] = 1;
    this.#count++;
    if (this.lru) this.#lruPushHead(slot);
    return 0;
  }

  #writeValue(slot: number, vb: Uint8Array, vo: number, cpu: number, allCpus: boolean, fresh: boolean): void {
    const vals = this.#values;
    const vs = this.valueSize;
    if (!this.percpu) {
      const o = this.#valueOffset(slot, 0);
      for (let i = 0; i < vs; i++) vals[o + i] = vb[vo + i]!;
      for (let i = vs; i < this.elemSize; i++) vals[o + i] = 0;
      return;
    }
    for (let c = 0; c < this.host.nrCpus; c++) {
      const o = this.#valueOffset(slot, c);
      if (allCpus) { for (let i = 0; i < this.elemSize; i++) vals[o + i] = vb[vo + c * this.elemSize + i]!; }
      else if (c === cpu) { for (let i = 0; i < vs; i++) vals[o + i] = vb[vo + i]!; }
      else if (fresh) vals.fill(0, o, o + this.elemSize);
    }
  }

  #copyOut(slot: number): Uint8Array {
    if (!this.percpu) {
      const o = this.#valueOffset(slot, 0);
      return this.#values.slice(o, o + this.valueSize);
    }
    const out = new Uint8Array(this.sysValueSize);
    for (let c = 0; c < this.host.nrCpus; c++) {
      const o = this.#valueOffset(slot, c);
      out.set(this.#values.subarray(o, o + this.elemSize), c * this.elemSize);
    }
    return out;
  }

  lookup(key: Uint8Array): Uint8Array {
    const k = this.checkKey(key);
    const s = this.#find(k, 0);
    if (s < 0) throw new KernelError('ENOENT', 'no such element');
    return this.#copyOut(s);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): void {
    checkUpdateFlags(flags);
    const k = this.checkKey(key);
    const v = this.checkValue(value);
    const r = this.#upsert(k, 0, v, 0, flags, 0, true);
    if (r === NEG.EEXIST) throw new KernelError('EEXIST', 'element exists');
    if (r === NEG.ENOENT) throw new KernelError('ENOENT', 'no such element');
    if (r === NEG.E2BIG) throw new KernelError('E2BIG', 'map is full');
    if (r !== 0) throw new KernelError('ENOMEM', 'no free element');
  }

  delete(key: Uint8Array): void {
    const k = this.checkKey(key);
    const s = this.#find(k, 0);
    if (s < 0) throw new KernelError('ENOENT', 'no such element');
    this.#release(s);
  }

  override lookupAndDelete(key: Uint8Array): Uint8Array {
    const k = this.checkKey(key);
    const s = this.#find(k, 0);
    if (s < 0) throw new KernelError('ENOENT', 'no such element');
    const v = this.#copyOut(s);
    this.#release(s);
    return v;
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array {
    let bucket = 0;
    let s = -1;
    if (key !== undefined) {
      const k = this.checkKey(key);
      const cur = this.#find(k, 0);
      if (cur >= 0) {
        s = this.#next[cur]!;
        bucket = (hashBytes(k, 0, this.keySize) & this.#mask) + 1;
      }
    }
    if (s < 0) {
      for (; bucket <= this.#mask; bucket++) {
        if (this.#heads[bucket]! >= 0) { s = this.#heads[bucket]!; break; }
      }
    }
    if (s < 0) throw new KernelError('ENOENT', 'last element');
    return this.#keys.slice(s * this.keySize, (s + 1) * this.keySize);
  }

  progLookup(kb: Uint8Array, ko: number, cpu: number, out: Int32Array): void {
    const s = this.#find(kb, ko);
    if (s < 0) { out[0] = 0; out[1] = 0; return; }
    if (this.lru) { this.#lruUnlink(s); this.#lruPushHead(s); }
    out[0] = this.#valueOffset(s, cpu);
    out[1] = AddressSpace.hiOf(this.region);
  }

  progUpdate(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number): number {
    if (flags < 0 || flags > BPF_UPDATE.EXIST) return NEG.EINVAL;
    return this.#upsert(kb, ko, vb, vo, flags, cpu, false);
  }

  progDelete(kb: Uint8Array, ko: number): number {
    const s = this.#find(kb, ko);
    if (s < 0) return NEG.ENOENT;
    this.#release(s);
    return 0;
  }

  /**
   * bpf_for_each_hash_elem: bucket by bucket, each chain from its head (newest
   * first), the next element taken before the callback runs; per-CPU maps give
   * this CPU's value. Bucket order follows this model's hash (the kernel's is
   * seeded jhash), see docs/kernel-mapping.md.
   */
  override forEachElem(env: HelperEnv, entry: number, mapLo: number, mapHi: number, ctxLo: number, ctxHi: number): number {
    if (env.callback === undefined) return FOR_EACH_FAILED;
    if (this.#keyRegion < 0) this.#keyRegion = this.host.mem.add(`for_each keys (${this.lru ? 'lru_' : ''}${this.percpu ? 'percpu_' : ''}hash)`, this.#keys, false);
    const khi = AddressSpace.hiOf(this.#keyRegion);
    const vhi = AddressSpace.hiOf(this.region);
    const cpu = env.cpu;
    const ks = this.keySize;
    let n = 0;
    for (let b = 0; b <= this.#mask; b++) {
      let s = this.#heads[b]!;
      while (s >= 0) {
        const next = this.#next[s]!;
        n++;
        const r = env.callback(entry, mapLo, mapHi, s * ks, khi, this.#valueOffset(s, cpu), vhi, ctxLo, ctxHi);
        if (r < 0) return FOR_EACH_FAILED;
        if (r !== 0) return n;
        s = next;
      }
    }
    return n;
  }

  override free(): void {
    if (this.#keyRegion >= 0) this.host.mem.remove(this.#keyRegion);
    this.#keyRegion = -1;
    super.free();
  }
}
