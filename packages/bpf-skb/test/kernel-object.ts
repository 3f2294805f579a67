// Test support: load a parsed BpfObject into this machine's kernel through
// the bpf() oracle of @tcbpf/testing, the way libbpf would (maps created,
// global data written, map fds put into the LD_IMM64s, programs loaded,
// prog_array slots filled), and dump map contents on both sides.
import type { BpfSyscall } from '@tcbpf/ebpf';
import { must, type BpfOracle } from '@tcbpf/testing';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import type { BpfObject } from '../src/index.js';

export interface KernelObject {
  readonly maps: Map<string, number>;
  readonly programs: Map<string, number>;
}

export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** Load every map and program of `obj` into the kernel (throws with the verifier log on refusal). */
export async function loadIntoKernel(k: BpfOracle, obj: BpfObject): Promise<KernelObject> {
  const maps = new Map<string, number>();
  const programs = new Map<string, number>();
  for (const m of obj.maps) {
    let inner = -1;
    if (m.innerMap !== undefined) inner = must(await k.mapCreate(m.innerMap.type, m.innerMap.keySize, m.innerMap.valueSize, m.innerMap.maxEntries, m.innerMap.flags), `inner of ${m.name}`);
    const fd = must(await k.mapCreate(m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, inner), `map ${m.name}`);
    maps.set(m.name, fd);
    if (m.initialValue !== undefined) must(await k.mapUpdate(fd, u32le(0), m.initialValue), `init ${m.name}`);
  }
  for (const p of obj.programs) {
    const insns = p.insns.slice();
    const dv = new DataView(insns.buffer);
    for (const r of p.mapRelocs) dv.setInt32(r.insn * 8 + 4, maps.get(r.map)!, true);
    const type = p.progType === BPF_PROG_TYPE.SCHED_ACT ? BPF_PROG_TYPE.SCHED_ACT : BPF_PROG_TYPE.SCHED_CLS;
    const r = await k.progLoad(type, insns, obj.license);
    if (!r.ok) throw new Error(`kernel refused ${p.name}: errno ${r.errno}\n${r.log.slice(-2000)}`);
    programs.set(p.name, r.value);
  }
  for (const m of obj.maps) {
    for (const s of m.initSlots) {
      const t = s.program !== undefined ? programs.get(s.program) : undefined;
      if (t !== undefined) must(await k.mapUpdate(maps.get(m.name)!, u32le(s.index), u32le(t)), `slot ${m.name}[${s.index}]`);
    }
  }
  for (const p of obj.programs) {
    if (p.tailCall === undefined) continue;
    const m = obj.maps.find((x) => x.source === 'legacy' && x.legacyId === p.tailCall!.mapId)!;
    must(await k.mapUpdate(maps.get(m.name)!, u32le(p.tailCall.key), u32le(programs.get(p.name)!)), `tail ${p.section}`);
  }
  return { maps, programs };
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Value bytes as compared: per-CPU values are summed over CPUs as u64 words (the CPU a run lands on is the kernel's choice). */
function normalise(type: number, valueSize: number, v: Uint8Array): string {
  if (type !== BPF_MAP_TYPE.PERCPU_ARRAY && type !== BPF_MAP_TYPE.PERCPU_HASH && type !== BPF_MAP_TYPE.LRU_PERCPU_HASH) return hex(v);
  const stride = (valueSize + 7) & ~7;
  const words = stride / 8;
  const out = new Array<bigint>(words).fill(0n);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  for (let c = 0; c * stride < v.length; c++) for (let w = 0; w < words; w++) out[w] = (out[w]! + dv.getBigUint64(c * stride + w * 8, true)) & 0xffffffffffffffffn;
  return out.map((x) => x.toString(16)).join(',');
}

/** Sorted `key=value` lines of a kernel map (PROG_ARRAY is skipped: its user-space lookup is not a value). */
export async function dumpKernelMap(k: BpfOracle, fd: number, type: number, keySize: number, valueSize: number, nrCpus: number): Promise<string[]> {
  if (type === BPF_MAP_TYPE.PROG_ARRAY) return [];
  const percpu = type === BPF_MAP_TYPE.PERCPU_ARRAY || type === BPF_MAP_TYPE.PERCPU_HASH || type === BPF_MAP_TYPE.LRU_PERCPU_HASH;
  const vsize = percpu ? ((valueSize + 7) & ~7) * nrCpus : valueSize;
  const out: string[] = [];
  let key: Uint8Array | undefined;
  for (;;) {
    const n = await k.mapNextKey(fd, key, keySize);
    if (!n.ok) break;
    key = n.value;
    const v = await k.mapLookup(fd, key, vsize);
    if (v.ok) out.push(`${hex(key)}=${normalise(type, valueSize, v.value)}`);
  }
  return out.sort();
}

/** The same dump of a tcbpf map. */
export function dumpSimMap(sys: BpfSyscall, fd: number): string[] {
  const m = sys.map(fd);
  if (m.type === BPF_MAP_TYPE.PROG_ARRAY) return [];
  const out: string[] = [];
  let key: Uint8Array | undefined;
  for (;;) {
    try {
      key = sys.mapGetNextKey(fd, key);
    } catch {
      break;
    }
    out.push(`${hex(key)}=${normalise(m.type, m.valueSize, sys.mapLookupElem(fd, key))}`);
  }
  return out.sort();
}
