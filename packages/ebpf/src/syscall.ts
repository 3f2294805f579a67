// Models kernel/bpf/syscall.c (Linux 6.18): the bpf() commands of one kernel
// instance — BPF_MAP_CREATE and the map element commands (incl. simple batch
// lookups), BPF_PROG_LOAD (name/license checks, LD_IMM64 map resolution,
// helper resolution per program type, tag, id), fd and id tables, and a
// generic run entry the program types build their test_run on.
// Verification: the structural pass of kernel/bpf/verifier.c runs now; the
// full verifier (issue 8) plugs in through BpfSyscallOptions.verifier.
import { Idr, KernelError, Prng, SimClock, toHex } from '@tcbpf/base';
import { BPF_FUNC_MAX_ID, BPF_FUNC_NAMES, BPF_LIMITS, BPF_MAP_TYPE } from '@tcbpf/uapi';
import type { Cgroup } from './cgroup.js';
import { CgroupHierarchy } from './cgroup.js';
import { checkStructure } from './isa/check.js';
import { decodeInsns, type Insn } from './isa/insn.js';
import { OPCODES, OP_KIND } from './isa/opcodes.js';
import type { HelperFn } from './helpers/registry.js';
import type { KernelServices } from './helpers/env.js';
import { ArrayMap } from './maps/array.js';
import { FdArrayMap, PerfEventBuffer, type FdResolver } from './maps/fd-array.js';
import { HashMap } from './maps/hash.js';
import { HashOfMapsMap } from './maps/hash-of-maps.js';
import { LpmTrieMap } from './maps/lpm-trie.js';
import type { BpfMap, MapAttr } from './maps/map.js';
import { RingBufMap } from './maps/ringbuf.js';
import type { BpfProg, ProgTypeOps } from './prog/program.js';
import { progTagBytes } from './prog/tag.js';
import { AddressSpace, FUNC_HANDLE_HI, MAP_HANDLE_HI } from './vm/address-space.js';
import { Interpreter } from './vm/interpreter.js';

/** Options of a simulated kernel instance. */
export interface BpfSyscallOptions {
  readonly clock?: SimClock;
  readonly prng?: Prng;
  /** Possible CPUs (per-CPU maps keep this many copies); default 1. */
  readonly nrCpus?: number;
  /** Program types by BPF_PROG_TYPE_* number. */
  readonly progTypes?: readonly ProgTypeOps[];
  /**
   * The verifier: called after the structural pass with the program about to
   * be loaded; throws KernelError to refuse. (Issue 8 provides it.) It may
   * return rewritten instructions (same count), which become the executable
   * image; the program's `insns` and tag stay those as loaded, as in the
   * kernel, where the tag is computed before the verifier's rewrites.
   */
  readonly verifier?: ProgVerifier;
}

/** The verifier hook: throws KernelError to refuse; may return the rewritten (executable) instructions. */
export type ProgVerifier = (req: VerifierRequest) => readonly Insn[] | undefined | void;

/** What the verifier gets. */
export interface VerifierRequest {
  readonly insns: readonly Insn[];
  readonly typeOps: ProgTypeOps;
  readonly subprogs: readonly number[];
  /** Map of each LD_IMM64 map load, by instruction index. */
  readonly mapAt: ReadonlyMap<number, BpfMap>;
}

/** BPF_PROG_LOAD attributes. */
export interface ProgLoadAttr {
  readonly progType: number;
  /** Instructions, or their 8-byte image. */
  readonly insns: readonly Insn[] | Uint8Array;
  readonly license: string;
  readonly name?: string;
  /** fd_array for BPF_PSEUDO_MAP_IDX / MAP_IDX_VALUE. */
  readonly fdArray?: readonly number[];
  /**
   * A per-load verifier (after the instance's): e.g. the program type's
   * context-access rewrites. Same contract as {@link BpfSyscallOptions.verifier}.
   */
  readonly verifier?: ProgVerifier;
}

/** BPF_OBJ_GET_INFO_BY_FD for programs (the fields modelled). */
export interface ProgInfo {
  readonly id: number;
  readonly type: number;
  readonly name: string;
  readonly tag: string;
  readonly xlatedProgLen: number;
  readonly nrMapIds: number;
  readonly mapIds: readonly number[];
  readonly runCnt: number;
  readonly runTimeNs: number;
  readonly gplCompatible: boolean;
}

/** BPF_OBJ_GET_INFO_BY_FD for maps. */
export interface MapInfo {
  readonly id: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
  readonly name: string;
}

const GPL_LICENSES = Object.freeze(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/** license_is_gpl_compatible (include/linux/license.h). */
export function licenseIsGplCompatible(license: string): boolean {
  return GPL_LICENSES.includes(license);
}

/** bpf_obj_name_cpy: at most 15 characters of [A-Za-z0-9_.]. */
function checkObjName(name: string | undefined): string {
  if (name === undefined) return '';
  if (name.length >= BPF_LIMITS.BPF_OBJ_NAME_LEN) throw new KernelError('EINVAL', `name "${name}" is longer than 15 characters`, { where: 'prog_name' });
  if (!/^[A-Za-z0-9_.]*$/.test(name)) throw new KernelError('EINVAL', `name "${name}" has characters other than [A-Za-z0-9_.]`, { where: 'prog_name' });
  return name;
}

/**
 * Apply a verifier's rewritten instructions to the executable image. The
 * rewrite keeps the instruction count and leaves LD_IMM64 pairs and calls
 * alone (their resolved handles and helpers are already in place).
 */
function patchImage(image: Int32Array, insns: readonly Insn[], xlated: readonly Insn[]): void {
  if (xlated.length !== insns.length) throw new KernelError('EFAULT', `verifier rewrite changed the instruction count (${insns.length} -> ${xlated.length})`);
  for (let i = 0; i < insns.length; i++) {
    const a = insns[i]!;
    const b = xlated[i]!;
    const ka = OPCODES[a.code]?.kind;
    const same = a.code === b.code && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm;
    if (ka === OP_KIND.LD_IMM64) {
      const a2 = insns[i + 1]!;
      const b2 = xlated[i + 1]!;
      if (!same || a2.code !== b2.code || a2.dst !== b2.dst || a2.src !== b2.src || a2.off !== b2.off || a2.imm !== b2.imm)
        throw new KernelError('EFAULT', 'verifier rewrite touched a 64-bit immediate load', { insn: i });
      i++;
      continue;
    }
    if (same) continue;
    const kb = OPCODES[b.code]?.kind;
    if (ka === OP_KIND.CALL || kb === undefined || kb === OP_KIND.LD_IMM64 || kb === OP_KIND.CALL)
      throw new KernelError('EFAULT', 'verifier rewrite touched a call or 64-bit immediate load', { insn: i });
    image[i * 2] = (b.code & 0xff) | ((b.dst & 0xf) << 8) | ((b.src & 0xf) << 12) | (b.off << 16);
    image[i * 2 + 1] = b.imm;
  }
}

type FdObject = { kind: 'map'; map: BpfMap } | { kind: 'prog'; prog: BpfProg } | { kind: 'perf'; ev: PerfEventBuffer } | { kind: 'cgroup'; cgroup: Cgroup };

/**
 * One simulated kernel's bpf() syscall: fd/id tables, maps, programs, the
 * interpreter, the trace buffer. Control paths throw KernelError.
 */
export class BpfSyscall implements KernelServices, FdResolver {
  readonly clock: SimClock;
  readonly prng: Prng;
  readonly nrCpus: number;
  readonly mem = new AddressSpace();
  readonly interpreter: Interpreter;
  /** The cgroup v2 hierarchy of this kernel instance (what /sys/fs/cgroup shows). */
  readonly cgroups = new CgroupHierarchy();
  /** bpf_trace_printk output (what /sys/kernel/tracing/trace_pipe would show, message part only). */
  readonly traceLines: string[] = [];
  readonly #progTypes = new Map<number, ProgTypeOps>();
  readonly #verifier: ProgVerifier | undefined;
  readonly #fds = new Map<number, FdObject>();
  readonly #mapIds = new Idr<BpfMap>();
  readonly #progIds = new Idr<BpfProg>();
  readonly #handles: (BpfMap | undefined)[] = [];
  readonly #byRegion = new Map<number, BpfMap>();
  readonly #refs = new Map<BpfMap | BpfProg, number>();

  constructor(opts: BpfSyscallOptions = {}) {
    this.clock = opts.clock ?? new SimClock();
    this.prng = opts.prng ?? new Prng();
    this.nrCpus = opts.nrCpus ?? 1;
    if (!Number.isInteger(this.nrCpus) || this.nrCpus < 1 || this.nrCpus > 1024) throw new RangeError('nrCpus must be 1..1024');
    for (const t of opts.progTypes ?? []) this.registerProgType(t);
    this.#verifier = opts.verifier;
    this.interpreter = new Interpreter(this);
  }

  /** Add a program type (SCHED_CLS comes from @tcbpf/bpf-skb). */
  registerProgType(ops: ProgTypeOps): void {
    if (this.#progTypes.has(ops.type)) throw new KernelError('EEXIST', `program type ${ops.name} registered twice`);
    this.#progTypes.set(ops.type, ops);
  }

  // ---- KernelServices ----
  mapByHandle(handle: number): BpfMap | undefined {
    return this.#handles[handle];
  }
  mapByRegion(region: number): BpfMap | undefined {
    return this.#byRegion.get(region);
  }
  trace(line: string): void {
    this.traceLines.push(line);
  }

  // ---- fds ----
  #newFd(o: FdObject): number {
    let fd = 3;
    while (this.#fds.has(fd)) fd++;
    this.#fds.set(fd, o);
    const obj = o.kind === 'map' ? o.map : o.kind === 'prog' ? o.prog : undefined;
    if (obj !== undefined) this.#refs.set(obj, (this.#refs.get(obj) ?? 0) + 1);
    return fd;
  }

  progByFd(fd: number): BpfProg | undefined {
    const o = this.#fds.get(fd);
    return o?.kind === 'prog' ? o.prog : undefined;
  }
  mapByFd(fd: number): BpfMap | undefined {
    const o = this.#fds.get(fd);
    return o?.kind === 'map' ? o.map : undefined;
  }
  perfEventByFd(fd: number): PerfEventBuffer | undefined {
    const o = this.#fds.get(fd);
    return o?.kind === 'perf' ? o.ev : undefined;
  }

  cgroupByFd(fd: number): Cgroup | undefined {
    const o = this.#fds.get(fd);
    return o?.kind === 'cgroup' ? o.cgroup : undefined;
  }

  /**
   * open("/sys/fs/cgroup/PATH", O_RDONLY | O_DIRECTORY): an fd of the cgroup
   * directory at `path` below the cgroup2 mount ('' or '/' = the root), for
   * BPF_MAP_TYPE_CGROUP_ARRAY updates. ENOENT when no such cgroup.
   */
  cgroupOpen(path: string): number {
    return this.#newFd({ kind: 'cgroup', cgroup: this.cgroups.lookup(path) });
  }

  #map(fd: number): BpfMap {
    const m = this.mapByFd(fd);
    if (m === undefined) throw new KernelError('EBADF', `fd ${fd} is not a map`, { where: 'map_fd' });
    return m;
  }
  #prog(fd: number): BpfProg {
    const p = this.progByFd(fd);
    if (p === undefined) throw new KernelError('EBADF', `fd ${fd} is not a program`, { where: 'prog_fd' });
    return p;
  }

  /** close(fd). Objects stay alive while a program or map-in-map still uses them (reference counts). */
  close(fd: number): void {
    const o = this.#fds.get(fd);
    if (o === undefined) throw new KernelError('EBADF', `fd ${fd} is not open`);
    this.#fds.delete(fd);
    if (o.kind === 'map') this.#unref(o.map);
    else if (o.kind === 'prog') this.#unref(o.prog);
  }

  #unref(obj: BpfMap | BpfProg): void {
    const n = (this.#refs.get(obj) ?? 1) - 1;
    if (n > 0) { this.#refs.set(obj, n); return; }
    this.#refs.delete(obj);
    if ('usedMaps' in obj) {
      this.#progIds.remove(obj.id);
      for (const m of obj.usedMaps) this.#unref(m);
    } else {
      this.#mapIds.remove(obj.id);
      this.#handles[obj.handle] = undefined;
      if (obj.region >= 0) this.#byRegion.delete(obj.region);
      obj.free();
    }
  }

  /**
   * bpf_prog_inc (taken by bpf_prog_get_type_dev for a kernel user such as a
   * cls_bpf filter): the program, and the maps it uses, stay alive after the
   * loader closes its fd until the matching {@link progPut}.
   */
  progHold(prog: BpfProg): void {
    const n = this.#refs.get(prog);
    if (n === undefined) throw new KernelError('ENOENT', `program id ${prog.id} is no longer alive`, { where: 'prog' });
    this.#refs.set(prog, n + 1);
  }

  /** bpf_prog_put: drop a reference taken by {@link progHold}; the last one frees the program (its id, its map references). */
  progPut(prog: BpfProg): void {
    if (!this.#refs.has(prog)) throw new KernelError('ENOENT', `program id ${prog.id} is no longer alive`, { where: 'prog' });
    this.#unref(prog);
  }

  /** The reference count of a live program or map (0 once freed); for tests and tools. */
  refCount(obj: BpfProg | BpfMap): number {
    return this.#refs.get(obj) ?? 0;
  }

  /** A simulated perf event (perf_event_open of a bpf-output event on `cpu`); its fd goes into PERF_EVENT_ARRAY. */
  perfEventOpen(cpu = 0, capacity = 4096): { fd: number; buffer: PerfEventBuffer } {
    const ev = new PerfEventBuffer(cpu, capacity);
    return { fd: this.#newFd({ kind: 'perf', ev }), buffer: ev };
  }

  // ---- maps ----
  /** BPF_MAP_CREATE: returns the map fd. `innerMapFd` is the template for map-in-map types. */
  mapCreate(attr: Omit<MapAttr, 'innerMap'> & { readonly innerMapFd?: number }): number {
    const name = checkObjName(attr.name);
    const innerMap = attr.innerMapFd === undefined ? undefined : this.mapByFd(attr.innerMapFd);
    const full: MapAttr = { ...attr, name, ...(innerMap ? { innerMap } : {}) };
    let map: BpfMap;
    switch (attr.mapType) {
      case BPF_MAP_TYPE.ARRAY:
      case BPF_MAP_TYPE.PERCPU_ARRAY:
        map = new ArrayMap(this, full);
        break;
      case BPF_MAP_TYPE.HASH:
      case BPF_MAP_TYPE.PERCPU_HASH:
      case BPF_MAP_TYPE.LRU_HASH:
      case BPF_MAP_TYPE.LRU_PERCPU_HASH:
        map = new HashMap(this, full);
        break;
      case BPF_MAP_TYPE.PROG_ARRAY:
      case BPF_MAP_TYPE.PERF_EVENT_ARRAY:
      case BPF_MAP_TYPE.ARRAY_OF_MAPS:
      case BPF_MAP_TYPE.CGROUP_ARRAY:
        if (attr.mapType === BPF_MAP_TYPE.ARRAY_OF_MAPS && attr.innerMapFd === undefined) throw new KernelError('EINVAL', 'map-in-map needs inner_map_fd');
        map = new FdArrayMap(this, full, this);
        break;
      case BPF_MAP_TYPE.HASH_OF_MAPS:
        if (attr.innerMapFd === undefined) throw new KernelError('EINVAL', 'map-in-map needs inner_map_fd');
        map = new HashOfMapsMap(this, full, this, (h) => this.#handles[h]);
        break;
      case BPF_MAP_TYPE.LPM_TRIE:
        map = new LpmTrieMap(this, full);
        break;
      case BPF_MAP_TYPE.RINGBUF:
        map = new RingBufMap(this, full);
        break;
      default:
        throw new KernelError('EINVAL', `map type ${attr.mapType} is not supported`, { where: 'map_type' });
    }
    map.id = this.#mapIds.allocCyclic(map, 1, 0x7fffffff);
    let h = this.#handles.indexOf(undefined);
    if (h < 0) { h = this.#handles.length; this.#handles.push(map); } else this.#handles[h] = map;
    map.handle = h;
    if (map.region >= 0) this.#byRegion.set(map.region, map);
    return this.#newFd({ kind: 'map', map });
  }

  /** The map object behind an fd (for program types and tests). */
  map(fd: number): BpfMap {
    return this.#map(fd);
  }

  /** BPF_MAP_LOOKUP_ELEM. */
  mapLookupElem(fd: number, key: Uint8Array): Uint8Array {
    return this.#map(fd).lookup(key);
  }
  /** BPF_MAP_UPDATE_ELEM. */
  mapUpdateElem(fd: number, key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.#map(fd).update(key, value, flags);
  }
  /** BPF_MAP_DELETE_ELEM. */
  mapDeleteElem(fd: number, key: Uint8Array): void {
    this.#map(fd).delete(key);
  }
  /** BPF_MAP_GET_NEXT_KEY (key undefined = first key). */
  mapGetNextKey(fd: number, key?: Uint8Array): Uint8Array {
    return this.#map(fd).getNextKey(key);
  }
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM. */
  mapLookupAndDeleteElem(fd: number, key: Uint8Array): Uint8Array {
    return this.#map(fd).lookupAndDelete(key);
  }

  /**
   * BPF_MAP_LOOKUP_BATCH (simplified: one pass in get_next_key order). Returns
   * up to `count` entries after `inBatch` (undefined = start) and the token for
   * the next call; ENOENT when nothing is left.
   */
  mapLookupBatch(fd: number, count: number, inBatch?: Uint8Array): { keys: Uint8Array[]; values: Uint8Array[]; outBatch: Uint8Array } {
    const m = this.#map(fd);
    if (count <= 0) throw new KernelError('EINVAL', 'count must be positive', { where: 'count' });
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let k = inBatch;
    for (;;) {
      if (keys.length >= count) break;
      let next: Uint8Array;
      try {
        next = m.getNextKey(k);
      } catch (e) {
        if (KernelError.isInstance(e) && e.errno === 'ENOENT') break;
        throw e;
      }
      k = next;
      keys.push(next);
      values.push(m.lookup(next));
    }
    if (keys.length === 0) throw new KernelError('ENOENT', 'no more elements');
    return { keys, values, outBatch: keys[keys.length - 1]! };
  }

  /** BPF_MAP_UPDATE_BATCH: apply updates in order; stops at the first error (earlier ones stay, as in the kernel). */
  mapUpdateBatch(fd: number, keys: readonly Uint8Array[], values: readonly Uint8Array[], flags = 0): number {
    const m = this.#map(fd);
    if (keys.length !== values.length) throw new KernelError('EINVAL', 'keys and values differ in count');
    for (let i = 0; i < keys.length; i++) m.update(keys[i]!, values[i]!, flags);
    return keys.length;
  }

  /** BPF_MAP_DELETE_BATCH. */
  mapDeleteBatch(fd: number, keys: readonly Uint8Array[]): number {
    const m = this.#map(fd);
    for (const k of keys) m.delete(k);
    return keys.length;
  }

  /** BPF_OBJ_GET_INFO_BY_FD on a map. */
  mapInfo(fd: number): MapInfo {
    const m = this.#map(fd);
    return Object.freeze({ id: m.id, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, mapFlags: m.flags, name: m.name });
  }

  // ---- programs ----
  /** BPF_PROG_LOAD: returns the program fd. */
  progLoad(attr: ProgLoadAttr): number {
    const prog = this.#load(attr);
    return this.#newFd({ kind: 'prog', prog });
  }

  /** The program object behind an fd. */
  prog(fd: number): BpfProg {
    return this.#prog(fd);
  }

  /** BPF_OBJ_GET_INFO_BY_FD on a program. */
  progInfo(fd: number): ProgInfo {
    const p = this.#prog(fd);
    return Object.freeze({
      id: p.id, type: p.type, name: p.name, tag: p.tag, xlatedProgLen: p.insns.length * 8,
      nrMapIds: p.usedMaps.length, mapIds: Object.freeze(p.usedMaps.map((m) => m.id)),
      runCnt: p.stats.runCnt, runTimeNs: p.stats.runTimeNs, gplCompatible: p.gplCompatible,
    });
  }

  /** Program by id (BPF_PROG_GET_FD_BY_ID without the fd). */
  progById(id: number): BpfProg | undefined {
    return this.#progIds.get(id);
  }

  /** Map by id. */
  mapById(id: number): BpfMap | undefined {
    return this.#mapIds.get(id);
  }

  #load(attr: ProgLoadAttr): BpfProg {
    const ops = this.#progTypes.get(attr.progType);
    if (ops === undefined) throw new KernelError('EINVAL', `program type ${attr.progType} is not supported`, { where: 'prog_type' });
    const insns: readonly Insn[] = attr.insns instanceof Uint8Array ? decodeInsns(attr.insns) : attr.insns;
    if (insns.length === 0) throw new KernelError('EINVAL', 'empty program', { where: 'insn_cnt' });
    if (insns.length > BPF_LIMITS.BPF_COMPLEXITY_LIMIT_INSNS) throw new KernelError('E2BIG', 'too many instructions', { where: 'insn_cnt' });
    const name = checkObjName(attr.name);
    const gpl = licenseIsGplCompatible(attr.license);
    const n = insns.length;
    const image = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const ins = insns[i]!;
      image[i * 2] = (ins.code & 0xff) | ((ins.dst & 0xf) << 8) | ((ins.src & 0xf) << 12) | (ins.off << 16);
      image[i * 2 + 1] = ins.imm;
    }
    const used: BpfMap[] = [];
    const mapAt = new Map<number, BpfMap>();
    // resolve_pseudo_ldimm64's map and BTF part, called by the structural pass in order
    const resolveLdImm64 = (i: number, ins: Insn, second: Insn): void => {
      if (ins.src === 3) {
        if (second.imm !== 0) throw new KernelError('EINVAL', 'invalid module BTF object FD specified.', { insn: i });
        if (ins.imm < 0) throw new KernelError('ENOENT', `ldimm64 insn specifies invalid btf_id ${ins.imm}.`, { insn: i });
        throw new KernelError('EINVAL', `pseudo btf_id ${ins.imm} in ldimm64 isn't KIND_VAR or KIND_FUNC`, { insn: i });
      }
      let fd = ins.imm;
      if (ins.src >= 5) {
        if (attr.fdArray === undefined) throw new KernelError('EPROTO', 'fd_idx without fd_array is invalid', { insn: i });
        const f = attr.fdArray[ins.imm];
        if (f === undefined || ins.imm < 0) throw new KernelError('EINVAL', `fd_idx ${ins.imm} is out of bounds`, { insn: i });
        fd = f;
      }
      const map = this.mapByFd(fd);
      if (map === undefined)
        throw new KernelError(this.#fds.has(fd) || fd === 0 || fd === 1 || fd === 2 ? 'EINVAL' : 'EBADF', `fd ${fd} is not pointing to valid bpf_map`, { insn: i });
      if (!used.includes(map)) used.push(map);
      mapAt.set(i, map);
      if (ins.src === 1 || ins.src === 5) {
        image[i * 2 + 1] = map.handle;
        image[i * 2 + 3] = MAP_HANDLE_HI;
        return;
      }
      const off = second.imm >>> 0;
      if (!(map instanceof ArrayMap) || map.percpu) throw new KernelError('EINVAL', 'map does not support direct value access', { insn: i });
      if (off >= map.valueSize) throw new KernelError('EINVAL', `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`, { insn: i });
      image[i * 2 + 1] = map.valueOffset(0) + off;
      image[i * 2 + 3] = AddressSpace.hiOf(map.region);
    };
    const shape = checkStructure(insns, { ldImm64: resolveLdImm64 });

    const helperAt: (HelperFn | undefined)[] = new Array<HelperFn | undefined>(n).fill(undefined);
    for (let i = 0; i < n; i++) {
      const ins = insns[i]!;
      const op = OPCODES[ins.code]!;
      if (op.kind === OP_KIND.LD_IMM64) {
        if (ins.src === 4) {
          image[i * 2 + 1] = i + 1 + ins.imm;
          image[i * 2 + 3] = FUNC_HANDLE_HI;
        }
        i++;
        continue;
      }
      if (op.kind === OP_KIND.CALL && ins.src === 0) {
        const id = ins.imm;
        if (id < 0 || id >= BPF_FUNC_MAX_ID) throw new KernelError('EINVAL', `invalid func unknown#${id}`, { insn: i });
        const def = ops.getHelper(id);
        if (def === undefined) throw new KernelError('EINVAL', `program of this type cannot use helper bpf_${BPF_FUNC_NAMES[id]!}#${id}`, { insn: i });
        if (def.proto.gplOnly && !gpl) throw new KernelError('EINVAL', 'cannot call GPL-restricted function from non-GPL compatible program', { insn: i });
        helperAt[i] = def.fn;
      }
      if ((op.kind === OP_KIND.LD_ABS || op.kind === OP_KIND.LD_IND) && ops.ldPacket === undefined)
        throw new KernelError('EINVAL', 'BPF_LD_[ABS|IND] instructions not allowed for this program type', { insn: i });
    }
    // The tag is computed over the instructions as loaded (map fds zeroed),
    // before any verifier rewrite; rewrites only change the executable image.
    const tagBytes = progTagBytes(insns);
    let xlated: readonly Insn[] = insns;
    for (const verifier of [this.#verifier, attr.verifier]) {
      if (verifier === undefined) continue;
      const out = verifier({ insns: xlated, typeOps: ops, subprogs: shape.subprogs, mapAt });
      if (out) xlated = out;
    }
    if (xlated !== insns) patchImage(image, insns, xlated);

    const prog: BpfProg = {
      id: 0, type: ops.type, typeOps: ops, name, license: attr.license, gplCompatible: gpl,
      insns: Object.freeze([...insns]), tag: toHex(tagBytes), tagBytes, subprogs: shape.subprogs,
      usedMaps: Object.freeze(used), image, helperAt: Object.freeze(helperAt),
      stats: { runCnt: 0, runTimeNs: 0, insnCnt: 0 },
    };
    const id = this.#progIds.allocCyclic(prog, 1, 0x7fffffff);
    const withId: BpfProg = { ...prog, id };
    this.#progIds.replace(id, withId);
    for (const m of used) this.#refs.set(m, (this.#refs.get(m) ?? 0) + 1);
    return withId;
  }

  /**
   * Run a program with R1 = ctx pointer (hi:lo), R10 = top of a fresh stack.
   * Returns a RUN_STATUS; R0 is in `interpreter.regs[0..1]`. Program types
   * (test_run, cls_bpf) bind their ctx/packet regions before calling this.
   */
  run(prog: BpfProg, r1hi: number, r1lo: number, r2hi = 0, r2lo = 0): number {
    return this.interpreter.run(prog, r1hi, r1lo, r2hi, r2lo);
  }
}
