// Models kernel/bpf/arraymap.c (Linux 6.18) fd arrays: BPF_MAP_TYPE_PROG_ARRAY
// (tail-call targets), BPF_MAP_TYPE_PERF_EVENT_ARRAY (perf ring per index),
// BPF_MAP_TYPE_CGROUP_ARRAY (cgroup_fd_array_get_ptr: cgroup v2 directory fds)
// and BPF_MAP_TYPE_ARRAY_OF_MAPS (kernel/bpf/map_in_map.c inner-map template check).
// User space stores file descriptors; the kernel keeps object references.
// Syscall lookups return the program / map id; updates need BPF_ANY.
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_CREATE_FLAG, BPF_MAP_TYPE, BPF_UPDATE } from '@tcbpf/uapi';
import { MAP_HANDLE_HI } from '../vm/address-space.js';
import type { Cgroup } from '../cgroup.js';
import type { BpfProg } from '../prog/program.js';
import { BpfMap, NEG, checkMapMemory, type MapAttr, type MapHost } from './map.js';

/** A simulated perf event ring (what user space reads after perf_event_open + mmap). */
export class PerfEventBuffer {
  /** Records in arrival order (each a copy of the bytes the program sent). */
  readonly records: Uint8Array[] = [];
  /** Records dropped because the ring was full (PERF_RECORD_LOST). */
  lost = 0;
  /** CPU the event was opened on (bpf_perf_event_output must run there). */
  readonly cpu: number;
  /** Maximum queued records before output fails with -ENOSPC. */
  readonly capacity: number;
  constructor(cpu: number, capacity = 4096) {
    this.cpu = cpu;
    this.capacity = capacity;
  }

  /** Take all pending records. */
  drain(): Uint8Array[] {
    return this.records.splice(0);
  }
}

/** Resolves fds stored into fd maps (provided by the owning BpfSyscall). */
export interface FdResolver {
  progByFd(fd: number): BpfProg | undefined;
  mapByFd(fd: number): BpfMap | undefined;
  perfEventByFd(fd: number): PerfEventBuffer | undefined;
  /** The cgroup v2 directory behind an fd (CGROUP_ARRAY updates); absent resolvers have none. */
  cgroupByFd?(fd: number): Cgroup | undefined;
}

function u32le(b: Uint8Array, o = 0): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
function u32leBytes(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v, true);
  return out;
}

/** Check that `inner` can be stored in a map-in-map created with template `tmpl` (bpf_map_meta_equal). */
export function innerMapMatches(tmpl: BpfMap, inner: BpfMap): boolean {
  const ignoreMax = (tmpl.flags & BPF_MAP_CREATE_FLAG.INNER_MAP) !== 0;
  return tmpl.type === inner.type && tmpl.keySize === inner.keySize && tmpl.valueSize === inner.valueSize &&
    (ignoreMax || tmpl.maxEntries === inner.maxEntries) &&
    (tmpl.flags & ~BPF_MAP_CREATE_FLAG.INNER_MAP) === (inner.flags & ~BPF_MAP_CREATE_FLAG.INNER_MAP);
}

/** Map types that cannot be inner maps (bpf_map_meta_alloc). */
export function checkInnerTemplate(inner: BpfMap | undefined): BpfMap {
  if (inner === undefined) throw new KernelError('EBADF', 'inner_map_fd is not a map');
  const t = inner.type;
  if (t === BPF_MAP_TYPE.PROG_ARRAY || t === BPF_MAP_TYPE.ARRAY_OF_MAPS || t === BPF_MAP_TYPE.HASH_OF_MAPS ||
    t === BPF_MAP_TYPE.PERF_EVENT_ARRAY || t === BPF_MAP_TYPE.CGROUP_ARRAY)
    throw new KernelError('ENOTSUPP', 'map type cannot be an inner map');
  return inner;
}

/** PROG_ARRAY, PERF_EVENT_ARRAY, CGROUP_ARRAY and ARRAY_OF_MAPS. */
export class FdArrayMap extends BpfMap {
  readonly #slots: (BpfProg | BpfMap | PerfEventBuffer | Cgroup | undefined)[];
  readonly #fds: FdResolver;
  readonly inner: BpfMap | undefined;

  constructor(host: MapHost, attr: MapAttr, fds: FdResolver) {
    const flags = attr.mapFlags ?? 0;
    const allowed = BPF_MAP_CREATE_FLAG.NUMA_NODE | BPF_MAP_CREATE_FLAG.RDONLY | BPF_MAP_CREATE_FLAG.WRONLY |
      BPF_MAP_CREATE_FLAG.RDONLY_PROG | BPF_MAP_CREATE_FLAG.WRONLY_PROG | BPF_MAP_CREATE_FLAG.PRESERVE_ELEMS;
    if (attr.maxEntries === 0 || attr.keySize !== 4 || attr.valueSize !== 4 || (flags & ~allowed) !== 0)
      throw new KernelError('EINVAL', 'fd arrays need key_size 4, value_size 4, max_entries > 0');
    if ((flags & BPF_MAP_CREATE_FLAG.PRESERVE_ELEMS) && attr.mapType !== BPF_MAP_TYPE.PERF_EVENT_ARRAY)
      throw new KernelError('EINVAL', 'BPF_F_PRESERVE_ELEMS is for perf event arrays');
    checkMapMemory(attr.maxEntries * 8);
    super(host, attr);
    this.inner = attr.mapType === BPF_MAP_TYPE.ARRAY_OF_MAPS ? checkInnerTemplate(attr.innerMap) : undefined;
    this.#slots = new Array<BpfProg | BpfMap | PerfEventBuffer | Cgroup | undefined>(attr.maxEntries).fill(undefined);
    this.#fds = fds;
  }

  /** The object at `index` (programs for PROG_ARRAY). Hot path of bpf_tail_call. */
  slot(index: number): BpfProg | BpfMap | PerfEventBuffer | Cgroup | undefined {
    return this.#slots[index];
  }

  /** Program at index (PROG_ARRAY), for bpf_tail_call. */
  progAt(index: number): BpfProg | undefined {
    return this.type === BPF_MAP_TYPE.PROG_ARRAY ? (this.#slots[index] as BpfProg | undefined) : undefined;
  }

  lookup(key: Uint8Array): Uint8Array {
    const idx = u32le(this.checkKey(key));
    if (this.type === BPF_MAP_TYPE.PERF_EVENT_ARRAY) throw new KernelError('ENOTSUPP', 'perf event arrays cannot be read');
    // cgroup_array_map_ops has no map_fd_sys_lookup_elem
    if (this.type === BPF_MAP_TYPE.CGROUP_ARRAY) throw new KernelError('ENOTSUPP', 'cgroup arrays cannot be read');
    const v = idx < this.maxEntries ? this.#slots[idx] : undefined;
    if (v === undefined) throw new KernelError('ENOENT', 'no such element');
    return u32leBytes((v as BpfProg | BpfMap).id);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): void {
    const idx = u32le(this.checkKey(key));
    const fd = u32le(this.checkValue(value));
    if (flags !== BPF_UPDATE.ANY) throw new KernelError('EINVAL', 'fd arrays take BPF_ANY only', { where: 'flags' });
    if (idx >= this.maxEntries) throw new KernelError('E2BIG', `index ${idx} >= max_entries ${this.maxEntries}`);
    let obj: BpfProg | BpfMap | PerfEventBuffer | Cgroup;
    if (this.type === BPF_MAP_TYPE.PROG_ARRAY) {
      const p = this.#fds.progByFd(fd);
      if (p === undefined) throw new KernelError('EBADF', `fd ${fd} is not a program`);
      if (this.ownerProgType >= 0 && this.ownerProgType !== p.type) throw new KernelError('EINVAL', 'program type differs from the prog array owner');
      this.ownerProgType = p.type;
      obj = p;
    } else if (this.type === BPF_MAP_TYPE.PERF_EVENT_ARRAY) {
      const e = this.#fds.perfEventByFd(fd);
      if (e === undefined) throw new KernelError('EBADF', `fd ${fd} is not a perf event`);
      obj = e;
    } else if (this.type === BPF_MAP_TYPE.CGROUP_ARRAY) {
      // cgroup_get_from_fd: a fd that is not a cgroup v2 directory is EBADF
      const c = this.#fds.cgroupByFd?.(fd);
      if (c === undefined) throw new KernelError('EBADF', `fd ${fd} is not a cgroup v2 directory`);
      obj = c;
    } else {
      const m = this.#fds.mapByFd(fd);
      if (m === undefined) throw new KernelError('EBADF', `fd ${fd} is not a map`);
      if (!innerMapMatches(this.inner!, m)) throw new KernelError('EINVAL', 'inner map does not match the template');
      obj = m;
    }
    this.#slots[idx] = obj;
  }

  delete(key: Uint8Array): void {
    const idx = u32le(this.checkKey(key));
    if (idx >= this.maxEntries) throw new KernelError('E2BIG', `index ${idx} >= max_entries ${this.maxEntries}`);
    if (this.#slots[idx] === undefined) throw new KernelError('ENOENT', 'no such element');
    this.#slots[idx] = undefined;
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array {
    const idx = key === undefined ? -1 : u32le(this.checkKey(key));
    const next = idx === -1 || idx >= this.maxEntries ? 0 : idx + 1;
    if (next >= this.maxEntries) throw new KernelError('ENOENT', 'last element');
    return u32leBytes(next);
  }

  progLookup(kb: Uint8Array, ko: number, _cpu: number, out: Int32Array): void {
    out[0] = 0; out[1] = 0;
    if (this.type !== BPF_MAP_TYPE.ARRAY_OF_MAPS) return;
    const idx = u32le(kb, ko);
    const m = idx < this.maxEntries ? (this.#slots[idx] as BpfMap | undefined) : undefined;
    if (m !== undefined) { out[0] = m.handle; out[1] = MAP_HANDLE_HI; }
  }

  progUpdate(): number {
    return NEG.EOPNOTSUPP;
  }

  progDelete(): number {
    return NEG.EOPNOTSUPP;
  }
}
