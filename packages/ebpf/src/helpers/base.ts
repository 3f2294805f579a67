// Models kernel/bpf/helpers.c bpf_base_func_proto, kernel/bpf/core.c
// (tail calls, bpf_user_rnd_u32), kernel/bpf/ringbuf.c helpers and
// kernel/trace/bpf_trace.c bpf_trace_printk / bpf_perf_event_output (Linux 6.18):
// the program-type independent helpers. Each reads R1..R5 from env.regs and
// writes R0; errors are negative errno values in R0 as the kernel returns them.
import { BPF_FUNC, BPF_HELPER_FLAG, BPF_LIMITS, BPF_MAP_TYPE } from '@tcbpf/uapi';
import { AddressSpace, MAP_HANDLE_HI } from '../vm/address-space.js';
import type { BpfMap } from '../maps/map.js';
import { NEG } from '../maps/map.js';
import { FdArrayMap, PerfEventBuffer } from '../maps/fd-array.js';
import { RingBufMap } from '../maps/ringbuf.js';
import type { HelperEnv } from './env.js';
import { ARG, HELPER_CTRL, RET, proto, type HelperDef } from './registry.js';
import { CALLBACK_HELPERS } from './callbacks.js';

/** R0 = a small negative errno or a non-negative number < 2^53. */
function setR0(env: HelperEnv, v: number): void {
  if (v < 0) { env.regs[0] = v | 0; env.regs[1] = -1; } else setR0u(env, v);
}

/** R0 = an unsigned 64-bit value given as a non-negative number < 2^53. */
function setR0u(env: HelperEnv, v: number): void {
  env.regs[0] = v % 0x1_0000_0000 | 0;
  env.regs[1] = Math.floor(v / 0x1_0000_0000) | 0;
}

/** The map an argument register points at (a BPF_PSEUDO_MAP_FD value), or undefined. */
function argMap(env: HelperEnv, reg: number): BpfMap | undefined {
  if (env.regs[reg * 2 + 1] !== MAP_HANDLE_HI) return undefined;
  return env.kernel.mapByHandle(env.regs[reg * 2]!);
}

/**
 * Resolve a memory argument [Rreg, +size) to its region index (bounds-checked),
 * or -1. The offset is `regs[reg*2] >>> 0`.
 */
function argMem(env: HelperEnv, reg: number, size: number): number {
  const mem = env.kernel.mem;
  const idx = (env.regs[reg * 2 + 1]! - AddressSpace.hiOf(0)) | 0;
  if (idx < 0 || idx >= mem.lens.length) return -1;
  const off = env.regs[reg * 2]! >>> 0;
  if (size < 0 || off + size > mem.lens[idx]!) return -1;
  return idx;
}

function regionBytes(env: HelperEnv, idx: number): Uint8Array {
  return env.kernel.mem.region(idx)!.bytes;
}

const lookupElem: HelperDef = {
  proto: proto(BPF_FUNC.map_lookup_elem, RET.PTR_TO_MAP_VALUE_OR_NULL, [ARG.CONST_MAP_PTR, ARG.PTR_TO_MAP_KEY]),
  fn: (env) => {
    const m = argMap(env, 1);
    if (m === undefined) return HELPER_CTRL.FAULT;
    const k = argMem(env, 2, m.keySize);
    if (k < 0) return HELPER_CTRL.FAULT;
    m.progLookup(regionBytes(env, k), env.regs[4]! >>> 0, env.cpu, env.regs);
    return HELPER_CTRL.CONTINUE;
  },
};

const updateElem: HelperDef = {
  proto: proto(BPF_FUNC.map_update_elem, RET.INTEGER, [ARG.CONST_MAP_PTR, ARG.PTR_TO_MAP_KEY, ARG.PTR_TO_MAP_VALUE, ARG.ANYTHING]),
  fn: (env) => {
    const m = argMap(env, 1);
    if (m === undefined) return HELPER_CTRL.FAULT;
    const k = argMem(env, 2, m.keySize);
    const v = argMem(env, 3, m.valueSize);
    if (k < 0 || v < 0) return HELPER_CTRL.FAULT;
    const flagsHi = env.regs[9]!;
    const flags = flagsHi !== 0 ? -1 : env.regs[8]! >>> 0;
    setR0(env, m.progUpdate(regionBytes(env, k), env.regs[4]! >>> 0, regionBytes(env, v), env.regs[6]! >>> 0, flags, env.cpu));
    return HELPER_CTRL.CONTINUE;
  },
};

const deleteElem: HelperDef = {
  proto: proto(BPF_FUNC.map_delete_elem, RET.INTEGER, [ARG.CONST_MAP_PTR, ARG.PTR_TO_MAP_KEY]),
  fn: (env) => {
    const m = argMap(env, 1);
    if (m === undefined) return HELPER_CTRL.FAULT;
    const k = argMem(env, 2, m.keySize);
    if (k < 0) return HELPER_CTRL.FAULT;
    setR0(env, m.progDelete(regionBytes(env, k), env.regs[4]! >>> 0));
    return HELPER_CTRL.CONTINUE;
  },
};

const lookupPercpuElem: HelperDef = {
  proto: proto(BPF_FUNC.map_lookup_percpu_elem, RET.PTR_TO_MAP_VALUE_OR_NULL, [ARG.CONST_MAP_PTR, ARG.PTR_TO_MAP_KEY, ARG.ANYTHING]),
  fn: (env) => {
    const m = argMap(env, 1);
    if (m === undefined) return HELPER_CTRL.FAULT;
    const k = argMem(env, 2, m.keySize);
    if (k < 0) return HELPER_CTRL.FAULT;
    const cpu = env.regs[6]! >>> 0;
    if (cpu >= env.kernel.nrCpus) { env.regs[0] = 0; env.regs[1] = 0; return HELPER_CTRL.CONTINUE; }
    m.progLookup(regionBytes(env, k), env.regs[4]! >>> 0, cpu, env.regs);
    return HELPER_CTRL.CONTINUE;
  },
};

const ktimeGetNs: HelperDef = {
  proto: proto(BPF_FUNC.ktime_get_ns, RET.INTEGER, []),
  fn: (env) => { setR0u(env, env.kernel.clock.nowNs()); return HELPER_CTRL.CONTINUE; },
};
const ktimeGetBootNs: HelperDef = {
  proto: proto(BPF_FUNC.ktime_get_boot_ns, RET.INTEGER, []),
  fn: (env) => { setR0u(env, env.kernel.clock.bootNs()); return HELPER_CTRL.CONTINUE; },
};
const ktimeGetCoarseNs: HelperDef = {
  proto: proto(BPF_FUNC.ktime_get_coarse_ns, RET.INTEGER, []),
  // coarse time advances in jiffies
  fn: (env) => { setR0u(env, env.kernel.clock.jiffies() * 1_000_000); return HELPER_CTRL.CONTINUE; },
};
const ktimeGetTaiNs: HelperDef = {
  proto: proto(BPF_FUNC.ktime_get_tai_ns, RET.INTEGER, []),
  fn: (env) => { setR0u(env, env.kernel.clock.bootNs()); return HELPER_CTRL.CONTINUE; },
};
const jiffies64: HelperDef = {
  proto: proto(BPF_FUNC.jiffies64, RET.INTEGER, []),
  fn: (env) => { setR0u(env, env.kernel.clock.jiffies()); return HELPER_CTRL.CONTINUE; },
};
const getPrandomU32: HelperDef = {
  proto: proto(BPF_FUNC.get_prandom_u32, RET.INTEGER, []),
  fn: (env) => { env.regs[0] = env.kernel.prng.u32(); env.regs[1] = 0; return HELPER_CTRL.CONTINUE; },
};
const getSmpProcessorId: HelperDef = {
  proto: proto(BPF_FUNC.get_smp_processor_id, RET.INTEGER, []),
  fn: (env) => { env.regs[0] = env.cpu; env.regs[1] = 0; return HELPER_CTRL.CONTINUE; },
};
const getNumaNodeId: HelperDef = {
  proto: proto(BPF_FUNC.get_numa_node_id, RET.INTEGER, []),
  fn: (env) => { env.regs[0] = 0; env.regs[1] = 0; return HELPER_CTRL.CONTINUE; },
};

const tailCall: HelperDef = {
  proto: proto(BPF_FUNC.tail_call, RET.VOID, [ARG.PTR_TO_CTX, ARG.CONST_MAP_PTR, ARG.ANYTHING]),
  fn: (env) => {
    const m = argMap(env, 2);
    if (!(m instanceof FdArrayMap)) return HELPER_CTRL.FAULT;
    const index = env.regs[6]! >>> 0; // u32 index
    if (index >= m.maxEntries) return HELPER_CTRL.CONTINUE;
    if (env.tailCalls >= BPF_LIMITS.MAX_TAIL_CALL_CNT) return HELPER_CTRL.CONTINUE;
    const target = m.progAt(index);
    if (target === undefined) return HELPER_CTRL.CONTINUE;
    env.tailCalls++;
    env.tailCallTarget = target;
    return HELPER_CTRL.TAIL_CALL;
  },
};

/** Format like bstr_printf for the conversions bpf_trace_printk accepts. Returns undefined for a bad format. */
function formatPrintk(fmt: string, args: readonly bigint[]): string | undefined {
  let out = '';
  let argi = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') { out += c; continue; }
    const m = /^%([-+ 0#]*)(\d*)(hh|h|ll|l|z)?([dixXupcs%])/.exec(fmt.slice(i));
    if (!m) return undefined;
    i += m[0].length - 1;
    const conv = m[4]!;
    if (conv === '%') { out += '%'; continue; }
    if (argi >= 3) return undefined;
    const raw = args[argi++]!;
    const wide = m[3] === 'll' || m[3] === 'l' || m[3] === 'z';
    let s: string;
    const u = wide ? raw : BigInt.asUintN(32, raw);
    switch (conv) {
      case 'd': case 'i': s = (wide ? BigInt.asIntN(64, raw) : BigInt.asIntN(32, raw)).toString(); break;
      case 'u': s = u.toString(); break;
      case 'x': s = u.toString(16); break;
      case 'X': s = u.toString(16).toUpperCase(); break;
      case 'p': s = `0x${raw.toString(16)}`; break;
      case 'c': s = String.fromCharCode(Number(raw & 0xffn)); break;
      default: s = ''; // %s needs a kernel string read; not modelled (prints empty)
    }
    const width = Number(m[2] || '0');
    const pad = m[1]!.includes('0') && !m[1]!.includes('-') ? '0' : ' ';
    if (s.length < width) s = m[1]!.includes('-') ? s.padEnd(width, ' ') : s.padStart(width, pad);
    out += s;
  }
  return out;
}

const tracePrintk: HelperDef = {
  proto: proto(BPF_FUNC.trace_printk, RET.INTEGER, [ARG.PTR_TO_MEM, ARG.CONST_SIZE, ARG.ANYTHING, ARG.ANYTHING, ARG.ANYTHING], { gplOnly: true }),
  fn: (env) => {
    const size = env.regs[4]! >>> 0;
    const r = argMem(env, 1, size);
    if (r < 0) return HELPER_CTRL.FAULT;
    const b = regionBytes(env, r);
    const off = env.regs[2]! >>> 0;
    let end = -1;
    for (let i = 0; i < size; i++) if (b[off + i] === 0) { end = i; break; }
    if (end < 0) { setR0(env, NEG.EINVAL); return HELPER_CTRL.CONTINUE; }
    let fmt = '';
    for (let i = 0; i < end; i++) fmt += String.fromCharCode(b[off + i]!);
    const R = env.regs;
    const arg = (n: number): bigint => (BigInt(R[n * 2 + 1]! >>> 0) << 32n) | BigInt(R[n * 2]! >>> 0);
    const s = formatPrintk(fmt, [arg(3), arg(4), arg(5)]);
    if (s === undefined) { setR0(env, NEG.EINVAL); return HELPER_CTRL.CONTINUE; }
    env.kernel.trace(s.endsWith('\n') ? s.slice(0, -1) : s);
    setR0(env, s.length);
    return HELPER_CTRL.CONTINUE;
  },
};

const perfEventOutput: HelperDef = {
  proto: proto(BPF_FUNC.perf_event_output, RET.INTEGER, [ARG.PTR_TO_CTX, ARG.CONST_MAP_PTR, ARG.ANYTHING, ARG.PTR_TO_MEM, ARG.CONST_SIZE_OR_ZERO]),
  fn: (env) => {
    const m = argMap(env, 2);
    if (!(m instanceof FdArrayMap) || m.type !== BPF_MAP_TYPE.PERF_EVENT_ARRAY) return HELPER_CTRL.FAULT;
    const size = env.regs[10]! >>> 0;
    const r = argMem(env, 4, size);
    if (r < 0) return HELPER_CTRL.FAULT;
    const flo = env.regs[6]! >>> 0, fhi = env.regs[7]! >>> 0;
    if (fhi !== 0) { setR0(env, NEG.EINVAL); return HELPER_CTRL.CONTINUE; } // ctx-length bits: program types add ctx copies
    const index = flo === BPF_HELPER_FLAG.F_CURRENT_CPU ? env.cpu : flo;
    if (index >= m.maxEntries) { setR0(env, NEG.E2BIG); return HELPER_CTRL.CONTINUE; }
    const ev = m.slot(index);
    if (!(ev instanceof PerfEventBuffer)) { setR0(env, NEG.ENOENT); return HELPER_CTRL.CONTINUE; }
    if (ev.cpu !== env.cpu) { setR0(env, NEG.EOPNOTSUPP); return HELPER_CTRL.CONTINUE; }
    if (ev.records.length >= ev.capacity) { ev.lost++; setR0(env, NEG.ENOSPC); return HELPER_CTRL.CONTINUE; }
    const off = env.regs[8]! >>> 0;
    ev.records.push(regionBytes(env, r).slice(off, off + size));
    setR0(env, 0);
    return HELPER_CTRL.CONTINUE;
  },
};

function ringOf(env: HelperEnv, reg: number): RingBufMap | undefined {
  const m = argMap(env, reg);
  return m instanceof RingBufMap ? m : undefined;
}

const ringbufOutput: HelperDef = {
  proto: proto(BPF_FUNC.ringbuf_output, RET.INTEGER, [ARG.CONST_MAP_PTR, ARG.PTR_TO_MEM, ARG.CONST_SIZE_OR_ZERO, ARG.ANYTHING]),
  fn: (env) => {
    const rb = ringOf(env, 1);
    if (rb === undefined) return HELPER_CTRL.FAULT;
    const size = env.regs[6]! >>> 0;
    const src = argMem(env, 2, size);
    if (src < 0) return HELPER_CTRL.FAULT;
    const flags = env.regs[8]! >>> 0;
    if (env.regs[9] !== 0 || (flags & ~3) !== 0) { setR0(env, NEG.EINVAL); return HELPER_CTRL.CONTINUE; }
    const at = rb.reserve(size);
    if (at < 0) { setR0(env, NEG.EAGAIN); return HELPER_CTRL.CONTINUE; }
    const from = regionBytes(env, src);
    const to = regionBytes(env, rb.region);
    const so = env.regs[4]! >>> 0;
    for (let i = 0; i < size; i++) to[at + i] = from[so + i]!;
    rb.commit(at, false, flags);
    setR0(env, 0);
    return HELPER_CTRL.CONTINUE;
  },
};

const ringbufReserve: HelperDef = {
  proto: proto(BPF_FUNC.ringbuf_reserve, RET.PTR_TO_ALLOC_MEM_OR_NULL, [ARG.CONST_MAP_PTR, ARG.CONST_ALLOC_SIZE_OR_ZERO, ARG.ANYTHING]),
  fn: (env) => {
    const rb = ringOf(env, 1);
    if (rb === undefined) return HELPER_CTRL.FAULT;
    const size = env.regs[5]! !== 0 ? -1 : env.regs[4]! >>> 0;
    const flags = env.regs[6]! | env.regs[7]!;
    const at = flags !== 0 || size < 0 ? -1 : rb.reserve(size);
    if (at < 0) { env.regs[0] = 0; env.regs[1] = 0; } else { env.regs[0] = at; env.regs[1] = rb.hi; }
    return HELPER_CTRL.CONTINUE;
  },
};

function ringCommit(discard: boolean): HelperDef {
  return {
    proto: proto(discard ? BPF_FUNC.ringbuf_discard : BPF_FUNC.ringbuf_submit, RET.VOID, [ARG.PTR_TO_ALLOC_MEM, ARG.ANYTHING]),
    fn: (env) => {
      const idx = argMem(env, 1, 0);
      const m = idx < 0 ? undefined : env.kernel.mapByRegion(idx);
      if (!(m instanceof RingBufMap)) return HELPER_CTRL.FAULT;
      if (m.commit(env.regs[2]! >>> 0, discard, env.regs[4]! >>> 0) < 0) return HELPER_CTRL.FAULT;
      env.regs[0] = 0; env.regs[1] = 0;
      return HELPER_CTRL.CONTINUE;
    },
  };
}

const ringbufQuery: HelperDef = {
  proto: proto(BPF_FUNC.ringbuf_query, RET.INTEGER, [ARG.CONST_MAP_PTR, ARG.ANYTHING]),
  fn: (env) => {
    const rb = ringOf(env, 1);
    if (rb === undefined) return HELPER_CTRL.FAULT;
    const q = env.regs[4]!;
    const v = env.regs[5] !== 0 ? 0 :
      q === BPF_HELPER_FLAG.RB_AVAIL_DATA ? rb.availData :
      q === BPF_HELPER_FLAG.RB_RING_SIZE ? rb.size :
      q === BPF_HELPER_FLAG.RB_CONS_POS ? rb.consPos :
      q === BPF_HELPER_FLAG.RB_PROD_POS ? rb.prodPos : 0;
    setR0u(env, v);
    return HELPER_CTRL.CONTINUE;
  },
};

/**
 * The generic helpers (bpf_base_func_proto for a root user, plus tail_call,
 * trace_printk and perf_event_output), frozen. Program types register these
 * and add their own.
 */
export const BASE_HELPERS: readonly HelperDef[] = Object.freeze([
  lookupElem, updateElem, deleteElem, lookupPercpuElem,
  ktimeGetNs, ktimeGetBootNs, ktimeGetCoarseNs, ktimeGetTaiNs, jiffies64,
  getPrandomU32, getSmpProcessorId, getNumaNodeId, tailCall, tracePrintk, perfEventOutput,
  ringbufOutput, ringbufReserve, ringCommit(false), ringCommit(true), ringbufQuery,
  ...CALLBACK_HELPERS,
]);
