// Models kernel/bpf/verifier.c (Linux 6.18): the checks that run before any
// path is walked — add_subprog_and_kfunc(), check_subprogs(),
// check_abnormal_return(), resolve_pseudo_ldimm64() with
// bpf_opcode_in_insntable() (kernel/bpf/core.c), and check_cfg()'s
// reachability and ldimm64 rules, check_btf_func()'s func_info layout checks
// and the prune/force-checkpoint points of callback-calling helpers
// (bpf_loop, bpf_for_each_map_elem). Each refusal carries the kernel's message.
import type { Insns } from './insn.js';
import type { FuncInfo, MapDescriptor } from './types.js';

/** A refusal: errno name, the kernel's message (one log line, no newline), instruction index (-1 if none). */
export interface Refusal {
  readonly errno: 'EINVAL' | 'EACCES' | 'E2BIG' | 'EBADF' | 'EFAULT' | 'ENOTSUPP' | 'EPROTO' | 'ENOMEM';
  readonly message: string;
  readonly insn: number;
  /** The kernel prints this message without a newline (the next log text follows on the same line). */
  readonly glued?: boolean;
  /** Extra log lines the kernel prints after the message. */
  readonly more?: readonly string[];
}

/** Valid opcodes (bpf_opcode_in_insntable of kernel/bpf/core.c, Linux 6.18). */
const VALID_OPCODES: ReadonlySet<number> = new Set([
  0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7,
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac, 0xb4, 0xbc, 0xc4, 0xcc, 0xd4, 0xdc,
  0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0x85, 0x95, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0xe5,
  0x06, 0x16, 0x1e, 0x26, 0x2e, 0x36, 0x3e, 0x46, 0x4e, 0x56, 0x5e, 0x66, 0x6e, 0x76, 0x7e, 0xa6, 0xae, 0xb6, 0xbe, 0xc6, 0xce, 0xd6, 0xde,
  0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91,
  0x62, 0x6a, 0x72, 0x7a,
  0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0xd3, 0xcb,
  0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
]);

/** What the structural pass learns: subprogram starts, the map of each LD_IMM64, prune points. */
export interface Structure {
  /** Sorted subprogram start indexes (subprog 0 starts at 0). */
  readonly subprogStarts: readonly number[];
  /** Map descriptor of each LD_IMM64 with a map source, by instruction index. */
  readonly ldMaps: ReadonlyMap<number, MapDescriptor>;
  /** Per instruction: is it a prune point (is_state_visited runs there). */
  readonly prunePoint: Uint8Array;
  /** Per instruction: a helper call that calls a callback synchronously (calls_callback + force checkpoint). */
  readonly callsCallback: Uint8Array;
}

/** is_sync_callback_calling_function: bpf_for_each_map_elem, bpf_find_vma, bpf_loop, bpf_user_ringbuf_drain. */
export function isSyncCallbackHelper(id: number): boolean {
  return id === 164 || id === 180 || id === 181 || id === 209;
}

/** Options of the structural pass. */
export interface StructuralOptions {
  readonly maps: (fd: number) => MapDescriptor | undefined;
  /** func_info records (BTF given); undefined = loaded without BTF. */
  readonly funcInfo?: readonly FuncInfo[] | undefined;
}

function isLdImm64(p: Insns, i: number): boolean {
  return p.code[i] === 0x18;
}

/** Run the pre-walk checks; returns the structure or the kernel's refusal. */
export function checkStructure(p: Insns, opts: StructuralOptions): Structure | Refusal {
  const n = p.len;
  // add_subprog_and_kfunc
  const starts = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const code = p.code[i]!;
    const src = p.src[i]!;
    const pseudoCall = code === 0x85 && src === 1;
    const pseudoFunc = code === 0x18 && src === 4;
    const kfunc = code === 0x85 && src === 2;
    if (!pseudoCall && !pseudoFunc && !kfunc) continue;
    if (kfunc) return { errno: 'EINVAL', message: `kfunc calls are not supported by this verifier (kernel btf_id ${p.imm[i]!})`, insn: i };
    const t = i + p.imm[i]! + 1;
    if (t < 0 || t >= n) return { errno: 'EINVAL', message: 'call to invalid destination', insn: i };
    starts.add(t);
  }
  const subprogStarts = [...starts].sort((a, b) => a - b);
  // check_subprogs
  let cur = 0;
  let subStart = 0;
  let subEnd = subprogStarts[1] ?? n;
  const hasLdAbs: boolean[] = [];
  const hasTail: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const code = p.code[i]!;
    const cls = code & 7;
    if (code === 0x85 && p.src[i] === 0 && p.imm[i] === 12) hasTail[cur] = true;
    if (cls === 0 && ((code & 0xe0) === 0x20 || (code & 0xe0) === 0x40)) hasLdAbs[cur] = true;
    if ((cls === 5 || cls === 6) && (code & 0xf0) !== 0x90 && (code & 0xf0) !== 0x80) {
      const off = code === 0x06 ? i + p.imm[i]! + 1 : i + p.off[i]! + 1;
      if (off < subStart || off >= subEnd) return { errno: 'EINVAL', message: `jump out of range from insn ${i} to ${off}`, insn: i };
    }
    if (i === subEnd - 1) {
      if (code !== 0x95 && code !== 0x06 && code !== 0x05) return { errno: 'EINVAL', message: 'last insn is not an exit or jmp', insn: i };
      subStart = subEnd;
      cur++;
      subEnd = subprogStarts[cur + 1] ?? n;
    }
  }
  // check_btf_info -> check_btf_func: one record per subprogram, at its start
  const fi = opts.funcInfo;
  if (fi !== undefined) {
    if (fi.length !== subprogStarts.length) return { errno: 'EINVAL', message: "number of funcs in func_info doesn't match number of subprogs", insn: -1 };
    for (let k = 0; k < fi.length; k++) {
      if (fi[k]!.insnOff !== subprogStarts[k]) return { errno: 'EINVAL', message: "func_info BTF section doesn't match subprog layout in BPF program", insn: -1 };
    }
  }
  // check_abnormal_return (without BTF; with it every FUNC here returns int, a scalar)
  for (let s = 1; s < subprogStarts.length && fi === undefined; s++) {
    if (hasLdAbs[s] === true) return { errno: 'EINVAL', message: 'LD_ABS is not allowed in subprogs without BTF', insn: -1 };
    if (hasTail[s] === true) return { errno: 'EINVAL', message: 'tail_call is not allowed in subprogs without BTF', insn: -1 };
  }
  // resolve_pseudo_ldimm64
  const ldMaps = new Map<number, MapDescriptor>();
  for (let i = 0; i < n; i++) {
    const code = p.code[i]!;
    if ((code & 7) === 1 && (((code & 0xe0) !== 0x60 && (code & 0xe0) !== 0x80) || p.imm[i] !== 0)) {
      return { errno: 'EINVAL', message: 'BPF_LDX uses reserved fields', insn: i };
    }
    if (code === 0x18) {
      if (i === n - 1 || p.code[i + 1] !== 0 || p.dst[i + 1] !== 0 || p.src[i + 1] !== 0 || p.off[i + 1] !== 0) {
        return { errno: 'EINVAL', message: 'invalid bpf_ld_imm64 insn', insn: i };
      }
      const src = p.src[i]!;
      if (src === 0 || src === 4) {
        i++;
        continue;
      }
      if (src === 3) return { errno: 'EINVAL', message: 'BTF_ID loads (ksyms) are not supported by this verifier', insn: i };
      if (!(src === 2 || src === 6 || ((src === 1 || src === 5) && p.imm[i + 1] === 0))) {
        return { errno: 'EINVAL', message: 'unrecognized bpf_ld_imm64 insn', insn: i };
      }
      if (src === 5 || src === 6) return { errno: 'EPROTO', message: 'fd_idx without fd_array is invalid', insn: i };
      const fd = p.imm[i]!;
      const map = opts.maps(fd);
      if (map === undefined) return { errno: 'EBADF', message: `fd ${fd} is not pointing to valid bpf_map`, insn: i };
      if (src === 2) {
        const off = p.imm[i + 1]! >>> 0;
        if (off >= 1 << 29) return { errno: 'EINVAL', message: `direct value offset of ${off} is not allowed`, insn: i };
        if (map.type !== 2) return { errno: 'EINVAL', message: 'no direct value access support for this map type', insn: i };
        if (map.maxEntries !== 1) return { errno: 'ENOTSUPP', message: `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`, insn: i };
        if (off >= map.valueSize) return { errno: 'EINVAL', message: `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`, insn: i };
      }
      ldMaps.set(i, map);
      i++;
      continue;
    }
    if (!VALID_OPCODES.has(code)) return { errno: 'EINVAL', message: `unknown opcode ${code.toString(16).padStart(2, '0')}`, insn: i };
  }
  // check_cfg: depth-first walk, prune points, reachability
  const prunePoint = new Uint8Array(n + 1);
  const callsCallback = new Uint8Array(n + 1);
  const seen = new Uint8Array(n + 1);
  const stack: number[] = [0];
  const push = (w: number): void => {
    if (seen[w] === 0) {
      seen[w] = 1;
      stack.push(w);
    }
  };
  seen[0] = 1;
  while (stack.length > 0) {
    const t = stack.pop()!;
    const code = p.code[t]!;
    const cls = code & 7;
    if (cls === 5 || cls === 6) {
      const op = code & 0xf0;
      if (op === 0x90) continue;
      if (op === 0x80) {
        if (p.src[t] === 0 && isSyncCallbackHelper(p.imm[t]!)) {
          // mark_calls_callback + mark_force_checkpoint + mark_prune_point
          callsCallback[t] = 1;
          prunePoint[t] = 1;
        }
        prunePoint[t + 1] = 1;
        if (t + 1 < n) push(t + 1);
        if (p.src[t] === 1) {
          prunePoint[t] = 1;
          push(t + p.imm[t]! + 1);
        }
        continue;
      }
      if (op === 0x00) {
        const w = cls === 6 ? t + p.imm[t]! + 1 : t + p.off[t]! + 1;
        prunePoint[w] = 1;
        push(w);
        continue;
      }
      prunePoint[t] = 1;
      const w = t + p.off[t]! + 1;
      prunePoint[w] = 1;
      push(t + 1);
      push(w);
      continue;
    }
    if (code === 0x18) {
      if (p.src[t] === 4) {
        // visit_func_call_insn(visit_callee): prune points at the insn and after it
        push(t + 2);
        prunePoint[t + 2] = 1;
        prunePoint[t] = 1;
        push(t + p.imm[t]! + 1);
        continue;
      }
      push(t + 2);
      continue;
    }
    push(t + 1);
  }
  for (let i = 0; i < n; i++) {
    if (seen[i] === 0) return { errno: 'EINVAL', message: `unreachable insn ${i}`, insn: i };
    if (isLdImm64(p, i)) {
      if (seen[i + 1] !== 0) return { errno: 'EINVAL', message: `jump into the middle of ldimm64 insn ${i}`, insn: i };
      i++;
    }
  }
  return { subprogStarts, ldMaps, prunePoint, callsCallback };
}
