// Models kernel/bpf/lpm_trie.c (Linux 6.18): BPF_MAP_TYPE_LPM_TRIE. Keys are
// `struct bpf_lpm_trie_key_u8 { u32 prefixlen (host order); u8 data[] }`; lookups
// return the longest stored prefix matching the key's first prefixlen bits (none when
// prefixlen exceeds the trie's max_prefixlen);
// updates and deletes are exact (prefixlen + the first prefixlen bits). The map
// must be created with BPF_F_NO_PREALLOC; a full trie is ENOSPC. Iteration
// (get_next_key) follows the kernel's post-order: a longer prefix before the
// prefix that contains it, otherwise the 0 branch before the 1 branch.
// Storage is a flat entry table (linear scan) rather than a trie.
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_CREATE_FLAG, BPF_UPDATE } from '@tcbpf/uapi';
import { AddressSpace } from '../vm/address-space.js';
import { BpfMap, NEG, checkMapMemory, roundUp8, type MapAttr, type MapHost } from './map.js';

const LPM_DATA_SIZE_MAX = 256;
const LPM_VAL_SIZE_MAX = (1 << 20) - 256 - 4; // KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - sizeof(node): documented bound
const LPM_FLAGS = BPF_MAP_CREATE_FLAG.NO_PREALLOC | BPF_MAP_CREATE_FLAG.NUMA_NODE | BPF_MAP_CREATE_FLAG.RDONLY |
  BPF_MAP_CREATE_FLAG.WRONLY | BPF_MAP_CREATE_FLAG.RDONLY_PROG | BPF_MAP_CREATE_FLAG.WRONLY_PROG;

/** LPM_TRIE. */
export class LpmTrieMap extends BpfMap {
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  readonly elemSize: number;
  readonly #plen: Int32Array;
  readonly #data: Uint8Array;
  readonly #used: Uint8Array;
  readonly #values: Uint8Array;
  #count = 0;

  constructor(host: MapHost, attr: MapAttr) {
    const flags = attr.mapFlags ?? 0;
    if (attr.maxEntries === 0 || !(flags & BPF_MAP_CREATE_FLAG.NO_PREALLOC) || (flags & ~LPM_FLAGS) !== 0 ||
      attr.keySize < 4 + 1 || attr.keySize > 4 + LPM_DATA_SIZE_MAX || attr.valueSize < 1 || attr.valueSize > LPM_VAL_SIZE_MAX)
      throw new KernelError('EINVAL', 'invalid LPM trie attributes');
    checkMapMemory((attr.maxEntries + 1) * (attr.keySize + 8 + roundUp8(attr.valueSize)));
    super(host, attr);
    this.dataSize = attr.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
    this.elemSize = roundUp8(attr.valueSize);
    const cap = attr.maxEntries + 1;
    this.#plen = new Int32Array(cap);
    this.#data = new Uint8Array(cap * this.dataSize);
    this.#used = new Uint8Array(cap);
    this.#values = host.mem.alloc(cap * this.elemSize);
    this.region = host.mem.add('map values (lpm_trie)', this.#values);
  }

  /** Number of stored prefixes. */
  get count(): number {
    return this.#count;
  }

  /** Do the first `bits` bits of slot `s` and key data at kb[ko..] agree? */
  #prefixEq(s: number, kb: Uint8Array, ko: number, bits: number): boolean {
    const base = s * this.dataSize;
    const d = this.#data;
    const full = bits >> 3;
    for (let i = 0; i < full; i++) if (d[base + i] !== kb[ko + i]) return false;
    const rem = bits & 7;
    if (rem === 0) return true;
    const mask = (0xff << (8 - rem)) & 0xff;
    return ((d[base + full]! ^ kb[ko + full]!) & mask) === 0;
  }

  #plenOf(kb: Uint8Array, ko: number): number {
    return (kb[ko]! | (kb[ko + 1]! << 8) | (kb[ko + 2]! << 16) | (kb[ko + 3]! << 24)) >>> 0;
  }

  /** Longest match for a key (its prefixlen bounds the match; above max_prefixlen: none), or -1. */
  #longest(kb: Uint8Array, ko: number): number {
    const plen = this.#plenOf(kb, ko);
    if (plen > this.maxPrefixlen) return -1;
    let best = -1;
    let bestLen = -1;
    for (let s = 0; s < this.#used.length; s++) {
      if (!this.#used[s]) continue;
      const l = this.#plen[s]!;
      if (l > plen || l <= bestLen) continue;
      if (this.#prefixEq(s, kb, ko + 4, l)) { best = s; bestLen = l; }
    }
    return best;
  }

  #exact(kb: Uint8Array, ko: number): number {
    const plen = this.#plenOf(kb, ko);
    for (let s = 0; s < this.#used.length; s++)
      if (this.#used[s] && this.#plen[s] === plen && this.#prefixEq(s, kb, ko + 4, plen)) return s;
    return -1;
  }

  #keyOf(s: number): Uint8Array {
    const out = new Uint8Array(this.keySize);
    new DataView(out.buffer).setUint32(0, this.#plen[s]!, true);
    out.set(this.#data.subarray(s * this.dataSize, (s + 1) * this.dataSize), 4);
    return out;
  }

  lookup(key: Uint8Array): Uint8Array {
    const s = this.#longest(this.checkKey(key), 0);
    if (s < 0) throw new KernelError('ENOENT', 'no matching prefix');
    return this.#values.slice(s * this.elemSize, s * this.elemSize + this.valueSize);
  }

  #upsert(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number): number {
    if (flags > BPF_UPDATE.EXIST || flags < 0) return NEG.EINVAL;
    const plen = this.#plenOf(kb, ko);
    if (plen > this.maxPrefixlen) return NEG.EINVAL;
    let s = this.#exact(kb, ko);
    if (s >= 0 && flags === BPF_UPDATE.NOEXIST) return NEG.EEXIST;
    if (s < 0 && flags === BPF_UPDATE.EXIST) return NEG.ENOENT;
    if (s < 0) {
      if (this.#count >= this.maxEntries) return NEG.ENOSPC;
      s = this.#used.indexOf(0);
      this.#used[s] = 1;
      this.#count++;
    }
    this.#plen[s] = plen;
    for (let i = 0; i < this.dataSize; i++) this.#data[s * this.dataSize + i] = kb[ko + 4 + i]!;
    for (let i = 0; i < this.valueSize; i++) this.#values[s * this.elemSize + i] = vb[vo + i]!;
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): void {
    const r = this.#upsert(this.checkKey(key), 0, this.checkValue(value), 0, flags);
    if (r === NEG.EINVAL) throw new KernelError('EINVAL', 'invalid prefixlen or flags');
    if (r === NEG.EEXIST) throw new KernelError('EEXIST', 'prefix exists');
    if (r === NEG.ENOENT) throw new KernelError('ENOENT', 'no such prefix');
    if (r === NEG.ENOSPC) throw new KernelError('ENOSPC', 'trie is full');
  }

  delete(key: Uint8Array): void {
    const k = this.checkKey(key);
    if (this.#plenOf(k, 0) > this.maxPrefixlen) throw new KernelError('EINVAL', 'invalid prefixlen');
    const s = this.#exact(k, 0);
    if (s < 0) throw new KernelError('ENOENT', 'no such prefix');
    this.#used[s] = 0;
    this.#count--;
  }

  /** Post-order comparison of two stored slots (negative: a first). */
  #order(a: number, b: number): number {
    const la = this.#plen[a]!, lb = this.#plen[b]!;
    const m = Math.min(la, lb);
    const da = a * this.dataSize, db = b * this.dataSize;
    for (let bit = 0; bit < m; bit++) {
      const x = (this.#data[da + (bit >> 3)]! >> (7 - (bit & 7))) & 1;
      const y = (this.#data[db + (bit >> 3)]! >> (7 - (bit & 7))) & 1;
      if (x !== y) return x - y;
    }
    return lb - la;
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array {
    const slots: number[] = [];
    for (let s = 0; s < this.#used.length; s++) if (this.#used[s]) slots.push(s);
    slots.sort((a, b) => this.#order(a, b));
    if (slots.length === 0) throw new KernelError('ENOENT', 'empty trie');
    if (key === undefined) return this.#keyOf(slots[0]!);
    const k = this.checkKey(key);
    if (this.#plenOf(k, 0) > this.maxPrefixlen) return this.#keyOf(slots[0]!);
    const cur = this.#exact(k, 0);
    if (cur < 0) return this.#keyOf(slots[0]!);
    const at = slots.indexOf(cur);
    const nx = slots[at + 1];
    if (nx === undefined) throw new KernelError('ENOENT', 'last element');
    return this.#keyOf(nx);
  }

  progLookup(kb: Uint8Array, ko: number, _cpu: number, out: Int32Array): void {
    const s = this.#longest(kb, ko);
    if (s < 0) { out[0] = 0; out[1] = 0; return; }
    out[0] = s * this.elemSize;
    out[1] = AddressSpace.hiOf(this.region);
  }

  progUpdate(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number): number {
    return this.#upsert(kb, ko, vb, vo, flags);
  }

  progDelete(kb: Uint8Array, ko: number): number {
    if (this.#plenOf(kb, ko) > this.maxPrefixlen) return NEG.EINVAL;
    const s = this.#exact(kb, ko);
    if (s < 0) return NEG.ENOENT;
    this.#used[s] = 0;
    this.#count--;
    return 0;
  }
}
