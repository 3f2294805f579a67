// Models include/linux/bpf.h (Linux 6.18) `struct bpf_map` / `struct bpf_map_ops`
// and the attribute checks of kernel/bpf/syscall.c map_create: the common part
// of every map type. Two faces: the syscall side (copies, throws KernelError
// with the kernel's errno) and the program side (helpers: numbers, no throw,
// no allocation, values live in an AddressSpace region so pointers work).
import { KernelError } from '@tcbpf/base';
import { BPF_UPDATE } from '@tcbpf/uapi';
import type { AddressSpace } from '../vm/address-space.js';
import type { HelperEnv } from '../helpers/env.js';

/** BPF_MAP_CREATE attributes (the fields this model uses). */
export interface MapAttr {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags?: number;
  /** Up to 15 characters. */
  readonly name?: string;
  /** Inner map template for ARRAY_OF_MAPS / HASH_OF_MAPS. */
  readonly innerMap?: BpfMap;
}

/** What a map needs from its kernel instance. */
export interface MapHost {
  readonly mem: AddressSpace;
  readonly nrCpus: number;
}

/** Negative errno values helpers return (R0), as numbers. */
export const NEG = Object.freeze({
  ENOENT: -2, E2BIG: -7, EBADF: -9, EAGAIN: -11, ENOMEM: -12, EFAULT: -14, EBUSY: -16, EEXIST: -17,
  EINVAL: -22, ENOSPC: -28, EOPNOTSUPP: -95, ENOTSUPP: -524,
} as const);

/** What {@link BpfMap.forEachElem} returns when a callback run failed (not an errno: the helper faults). */
export const FOR_EACH_FAILED = -0x40000000;

/** Largest storage one simulated map may allocate (the kernel fails such maps with ENOMEM). */
export const MAP_MEMORY_LIMIT = 256 * 1024 * 1024;

/** Refuse a map whose storage would exceed {@link MAP_MEMORY_LIMIT} (bpf_map_area_alloc failing). */
export function checkMapMemory(bytes: number): void {
  if (!(bytes <= MAP_MEMORY_LIMIT)) throw new KernelError('ENOMEM', `map needs ${bytes} bytes, more than the simulator's ${MAP_MEMORY_LIMIT}`);
}

/** round_up(n, 8) */
export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

/** Check BPF_MAP_UPDATE_ELEM flags as array/hash maps do (no spin locks are modelled). */
export function checkUpdateFlags(flags: number): void {
  if (flags & BPF_UPDATE.F_LOCK) throw new KernelError('EINVAL', 'BPF_F_LOCK needs a bpf_spin_lock in the value', { where: 'flags' });
  if (flags < 0 || flags > BPF_UPDATE.EXIST) throw new KernelError('EINVAL', `invalid update flags ${flags}`, { where: 'flags' });
}

/** The common part of every map (`struct bpf_map`). */
export abstract class BpfMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly host: MapHost;
  /** Kernel map id (set by the owner when registered). */
  id = 0;
  /** Handle index: the lo word of this map's BPF_PSEUDO_MAP_FD value. */
  handle = -1;
  /** Region holding the values, or -1 when programs cannot point into this map. */
  region = -1;
  /** Program type that owns a PROG_ARRAY (first program stored/using it), -1 if none. */
  ownerProgType = -1;

  constructor(host: MapHost, attr: MapAttr) {
    this.host = host;
    this.type = attr.mapType;
    this.keySize = attr.keySize;
    this.valueSize = attr.valueSize;
    this.maxEntries = attr.maxEntries;
    this.flags = attr.mapFlags ?? 0;
    this.name = attr.name ?? '';
  }

  /** Value size seen by the syscall side (per-CPU maps: round_up(value_size, 8) × CPUs). */
  get sysValueSize(): number {
    return this.valueSize;
  }

  /** Check a syscall key buffer. */
  protected checkKey(key: Uint8Array | undefined): Uint8Array {
    if (key === undefined || key.length < this.keySize) throw new KernelError('EFAULT', `key must be ${this.keySize} bytes`, { where: 'key' });
    return key.length === this.keySize ? key : key.subarray(0, this.keySize);
  }

  /** Check a syscall value buffer. */
  protected checkValue(value: Uint8Array): Uint8Array {
    const n = this.sysValueSize;
    if (value.length < n) throw new KernelError('EFAULT', `value must be ${n} bytes`, { where: 'value' });
    return value.length === n ? value : value.subarray(0, n);
  }

  // ---- syscall side (BPF_MAP_*_ELEM); throw KernelError ----

  /** BPF_MAP_LOOKUP_ELEM: a copy of the value (ENOENT when absent). */
  abstract lookup(key: Uint8Array): Uint8Array;
  /** BPF_MAP_UPDATE_ELEM. */
  abstract update(key: Uint8Array, value: Uint8Array, flags: number): void;
  /** BPF_MAP_DELETE_ELEM. */
  abstract delete(key: Uint8Array): void;
  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (first key when `key` is undefined or absent); ENOENT at the end. */
  abstract getNextKey(key: Uint8Array | undefined): Uint8Array;

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash types; others EOPNOTSUPP... as the kernel: ENOTSUPP). */
  lookupAndDelete(key: Uint8Array): Uint8Array {
    void key;
    throw new KernelError('ENOTSUPP', 'lookup_and_delete not supported by this map type');
  }

  /** Release storage (map freed when its last reference goes). */
  free(): void {
    if (this.region >= 0) this.host.mem.remove(this.region);
    this.region = -1;
  }

  // ---- program side (helpers); numbers only ----

  /**
   * bpf_map_lookup_elem from a program: key at `kb[ko..]`. Writes the value
   * pointer (or NULL) into out[0] (lo) / out[1] (hi).
   */
  abstract progLookup(kb: Uint8Array, ko: number, cpu: number, out: Int32Array): void;
  /** bpf_map_update_elem from a program: 0 or a negative errno. */
  abstract progUpdate(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number): number;
  /** bpf_map_delete_elem from a program: 0 or a negative errno. */
  abstract progDelete(kb: Uint8Array, ko: number): number;

  /**
   * map_for_each_callback (bpf_for_each_map_elem): call the callback at
   * instruction `entry` with (map, key pointer, value pointer, ctx) for each
   * element in the kernel's order until it returns non-zero. Returns the number
   * of elements visited, a negative errno, or {@link FOR_EACH_FAILED}.
   * Map types without the operation return -ENOTSUPP (the verifier refuses them first).
   */
  forEachElem(env: HelperEnv, entry: number, mapLo: number, mapHi: number, ctxLo: number, ctxHi: number): number {
    void env; void entry; void mapLo; void mapHi; void ctxLo; void ctxHi;
    return NEG.ENOTSUPP;
  }
}
