// Models the object-loading steps after parsing in tools/lib/bpf/libbpf.c
// (Linux 6.18: bpf_object__create_maps with global-data initial values,
// bpf_object__relocate's map fds in LD_IMM64, bpf_object_load_prog,
// init_prog_array_slots / init_map_in_map_slots) and iproute2
// lib/bpf_legacy.c (bpf_fill_prog_arrays for "ID/KEY" tail-call sections,
// pinning with reuse of compatible pinned maps): a BpfObject description
// becomes real maps and programs in a @tcbpf/ebpf BpfSyscall. A failure
// closes every fd it opened and unpins nothing it did not pin (nothing half-applied).
// Programs of objects with BTF get func_info (bpf_prog_load with
// prog_btf_fd/func_info), which callbacks (BPF_PSEUDO_FUNC) need.
import { KernelError } from '@tcbpf/base';
import type { BpfSyscall } from '@tcbpf/ebpf';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { BTF_FUNC_LINKAGE, type FuncInfo } from '@tcbpf/verifier';
import type { BpfObject, BpfProgramSpec } from './elf/bpf-object.js';
import { planPins, type BpfFs, type PinOptions, type PinPlan } from './elf/bpffs.js';
import { TcBpfSyscall } from './frozen-maps.js';
import type { BpfMapSpec } from './elf/maps.js';
import { loadTcProgram } from './sched-cls.js';

/** Options of {@link instantiateObject}. */
export interface InstantiateOptions {
  /** Which programs to load (default: every program). Tail-call targets of loaded prog_arrays are loaded too. */
  readonly programs?: (p: BpfProgramSpec) => boolean;
  /** Program type for sections without a type hint (legacy "ID/KEY"; default SCHED_CLS). */
  readonly defaultProgType?: number;
  /** The simulated bpffs; pinned maps are reused or pinned here (handles are map fds of `sys`). */
  readonly fs?: BpfFs<number>;
  readonly pin?: PinOptions;
}

/** What an instantiated object holds. */
export interface LoadedObject {
  /** Map fds by object map name. */
  readonly maps: ReadonlyMap<string, number>;
  /** Program fds by program (function) name. */
  readonly programs: ReadonlyMap<string, number>;
  /** Pins resolved for this object (reused or newly pinned). */
  readonly pins: readonly PinPlan[];
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

function progTypeOf(p: BpfProgramSpec, dflt: number): number {
  if (p.progType === BPF_PROG_TYPE.SCHED_CLS || p.progType === BPF_PROG_TYPE.SCHED_ACT) return p.progType;
  if (p.progType === undefined) return dflt;
  throw new KernelError('EINVAL', `program "${p.name}" in section "${p.section}" has program type ${p.progType}, not a tc type`, { where: `section "${p.section}"` });
}

/**
 * Create the maps of `obj` in `sys`, load its tc programs with their map
 * references resolved, initialise prog_array / map-in-map slots and pin maps
 * as tc does. Throws KernelError naming the map, program or slot at fault;
 * on failure every fd opened here is closed and nothing is pinned.
 */
export function instantiateObject(sys: BpfSyscall, obj: BpfObject, opts: InstantiateOptions = {}): LoadedObject {
  const fs = opts.fs;
  const plans = fs === undefined ? [] : planPins(obj, fs, opts.pin ?? {});
  const planOf = new Map(plans.map((p) => [p.map, p]));
  const opened: number[] = [];
  const pinnedHere: string[] = [];
  const mapFds = new Map<string, number>();
  const progFds = new Map<string, number>();
  try {
    const create = (m: BpfMapSpec, innerMapFd?: number): number => {
      const fd = sys.mapCreate({
        mapType: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, mapFlags: m.flags,
        name: m.kernelName, ...(innerMapFd === undefined ? {} : { innerMapFd }),
      });
      opened.push(fd);
      return fd;
    };
    for (const m of obj.maps) {
      const plan = planOf.get(m.name);
      if (plan?.reuse === true && fs !== undefined) {
        mapFds.set(m.name, fs.get(plan.path).handle);
        continue;
      }
      let innerFd: number | undefined;
      if (m.type === BPF_MAP_TYPE.ARRAY_OF_MAPS || m.type === BPF_MAP_TYPE.HASH_OF_MAPS) {
        if (m.innerMap !== undefined) innerFd = create(m.innerMap);
        else {
          const inner = obj.maps.find((x) => x.source === 'legacy' && x.legacyId === m.innerId && x !== m);
          if (inner === undefined) throw new KernelError('EINVAL', `map "${m.name}": no inner map with id ${m.innerId}`, { where: `map "${m.name}"` });
          innerFd = mapFds.get(inner.name) ?? create(inner);
        }
      }
      const fd = create(m, innerFd);
      mapFds.set(m.name, fd);
      try {
        if (m.initialValue !== undefined) sys.mapUpdateElem(fd, u32le(0), m.initialValue, 0);
        // libbpf freezes .rodata once its initial value is written (bpf_object__populate_internal_map)
        if (m.readonly && sys instanceof TcBpfSyscall) sys.mapFreeze(fd);
      } catch (e) {
        throw new KernelError(KernelError.isInstance(e) ? e.errno : 'EINVAL', `map "${m.name}": initial value: ${KernelError.isInstance(e) ? e.extack : String(e)}`, { where: `map "${m.name}"` });
      }
    }

    const wanted = new Set<string>();
    for (const p of obj.programs) if (opts.programs === undefined || opts.programs(p)) wanted.add(p.name);
    // tail-call targets of the object's prog_arrays come along
    for (const m of obj.maps) for (const s of m.initSlots) if (s.program !== undefined) wanted.add(s.program);
    for (const p of obj.programs) if (p.tailCall !== undefined) wanted.add(p.name);
    const dflt = opts.defaultProgType ?? BPF_PROG_TYPE.SCHED_CLS;
    for (const p of obj.programs) {
      if (!wanted.has(p.name)) continue;
      const insns = p.insns.slice();
      const dv = new DataView(insns.buffer);
      for (const r of p.mapRelocs) {
        const fd = mapFds.get(r.map);
        if (fd === undefined) throw new KernelError('EINVAL', `program "${p.name}": relocation at insn ${r.insn} names unknown map "${r.map}"`, { insn: r.insn });
        dv.setInt32(r.insn * 8 + 4, fd, true);
      }
      let loaded;
      try {
        const funcInfo = objectFuncInfo(obj, p);
        loaded = loadTcProgram(sys, { progType: progTypeOf(p, dflt), insns, license: obj.license, name: p.name.slice(0, 15), ...(funcInfo === undefined ? {} : { funcInfo }) });
      } catch (e) {
        if (!KernelError.isInstance(e)) throw e;
        throw new KernelError(e.errno, `program "${p.name}": ${e.extack}${e.insn === undefined ? '' : ` (insn ${e.insn})`}`, { where: `section "${p.section}"`, cause: e });
      }
      opened.push(loaded.fd);
      progFds.set(p.name, loaded.fd);
    }

    // prog_array / map-in-map slots
    for (const m of obj.maps) {
      const fd = mapFds.get(m.name)!;
      for (const s of m.initSlots) {
        const target = s.program !== undefined ? progFds.get(s.program) : s.map !== undefined ? mapFds.get(s.map) : undefined;
        if (target === undefined) throw new KernelError('EINVAL', `map "${m.name}": slot ${s.index} names "${s.program ?? s.map ?? '?'}", which is not loaded`, { where: `map "${m.name}"` });
        sys.mapUpdateElem(fd, u32le(s.index), u32le(target), 0);
      }
    }
    for (const p of obj.programs) {
      if (p.tailCall === undefined) continue;
      const m = obj.maps.find((x) => x.source === 'legacy' && x.legacyId === p.tailCall!.mapId && x.type === BPF_MAP_TYPE.PROG_ARRAY);
      if (m === undefined) throw new KernelError('ENOENT', `section "${p.section}": no prog_array with id ${p.tailCall.mapId}`, { where: `section "${p.section}"` });
      sys.mapUpdateElem(mapFds.get(m.name)!, u32le(p.tailCall.key), u32le(progFds.get(p.name)!), 0);
    }

    if (fs !== undefined) {
      for (const plan of plans) {
        if (plan.reuse) continue;
        const m = obj.maps.find((x) => x.name === plan.map)!;
        fs.pin(plan.path, { kind: 'map', shape: { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }, handle: mapFds.get(m.name)! });
        pinnedHere.push(plan.path);
      }
    }
    return { maps: mapFds, programs: progFds, pins: plans };
  } catch (e) {
    for (const p of pinnedHere) fs?.unlink(p);
    for (const fd of opened.reverse()) {
      try { sys.close(fd); } catch { /* already closed */ }
    }
    throw e;
  }
}

/**
 * The func_info libbpf passes with an object that has BTF and .BTF.ext func
 * records: one record per function of the linked program (the program, then
 * its subprograms by start), linkage from the function's symbol binding
 * (clang emits BTF_FUNC_GLOBAL for non-static functions). undefined without BTF.
 */
export function objectFuncInfo(obj: BpfObject, p: BpfProgramSpec): FuncInfo[] | undefined {
  if (!obj.hasBtf || obj.btfExt === undefined || obj.btfExt.funcInfoLen === 0) return undefined;
  const subs = [...p.subprograms].sort((a, b) => a.start - b.start);
  return [{ insnOff: 0, linkage: p.global ? BTF_FUNC_LINKAGE.GLOBAL : BTF_FUNC_LINKAGE.STATIC },
    ...subs.map((s) => ({ insnOff: s.start, linkage: s.global ? BTF_FUNC_LINKAGE.GLOBAL : BTF_FUNC_LINKAGE.STATIC }))];
}
