// Models kernel/bpf/bpf_iter.c bpf_loop and kernel/bpf/helpers.c +
// kernel/bpf/arraymap.c / hashtab.c bpf_for_each_map_elem (Linux 6.18): the
// helpers that call a callback subprogram. bpf_loop checks flags (-EINVAL)
// before nr_loops (> BPF_MAX_LOOPS: -E2BIG) and returns the iterations done,
// the stopping one included; bpf_for_each_map_elem returns the elements visited.
// Nothing is allocated per iteration: the callback re-enters the interpreter
// through HelperEnv.callback.
import { BPF_FUNC } from '@tcbpf/uapi';
import { FOR_EACH_FAILED, NEG } from '../maps/map.js';
import { FUNC_HANDLE_HI, MAP_HANDLE_HI } from '../vm/address-space.js';
import type { HelperEnv } from './env.js';
import { ARG, HELPER_CTRL, RET, proto, type HelperDef } from './registry.js';

/** Limits of the callback helpers (include/linux/bpf.h). */
export const CALLBACK_LIMITS = Object.freeze({
  /** BPF_MAX_LOOPS: largest nr_loops bpf_loop accepts. */
  MAX_LOOPS: 8 * 1024 * 1024,
} as const);

function setR0(env: HelperEnv, v: number): void {
  env.regs[0] = v | 0;
  env.regs[1] = v < 0 ? -1 : 0;
}

/** bpf_loop(u32 nr_loops, callback_fn, callback_ctx, u64 flags): callback(u64 index, ctx). */
const loop: HelperDef = {
  proto: proto(BPF_FUNC.loop, RET.INTEGER, [ARG.ANYTHING, ARG.PTR_TO_FUNC, ARG.PTR_TO_STACK_OR_NULL, ARG.ANYTHING]),
  fn: (env) => {
    const R = env.regs;
    const nr = R[2]! >>> 0; // u32 argument: the low word
    const fnLo = R[4]!, fnHi = R[5]!, ctxLo = R[6]!, ctxHi = R[7]!;
    if (R[8] !== 0 || R[9] !== 0) { setR0(env, NEG.EINVAL); return HELPER_CTRL.CONTINUE; }
    if (nr > CALLBACK_LIMITS.MAX_LOOPS) { setR0(env, NEG.E2BIG); return HELPER_CTRL.CONTINUE; }
    if (nr === 0) { setR0(env, 0); return HELPER_CTRL.CONTINUE; }
    if (fnHi !== FUNC_HANDLE_HI || env.callback === undefined) return HELPER_CTRL.FAULT;
    let i = 0;
    while (i < nr) {
      const r = env.callback(fnLo, i, 0, ctxLo, ctxHi, 0, 0, 0, 0);
      i++;
      if (r < 0) return HELPER_CTRL.FAULT;
      if (r !== 0) break;
    }
    setR0(env, i);
    return HELPER_CTRL.CONTINUE;
  },
};

/** bpf_for_each_map_elem(map, callback_fn, callback_ctx, u64 flags): callback(map, key, value, ctx). */
const forEachMapElem: HelperDef = {
  proto: proto(BPF_FUNC.for_each_map_elem, RET.INTEGER, [ARG.CONST_MAP_PTR, ARG.PTR_TO_FUNC, ARG.PTR_TO_STACK_OR_NULL, ARG.ANYTHING]),
  fn: (env) => {
    const R = env.regs;
    const mapLo = R[2]!, mapHi = R[3]!;
    const map = mapHi === MAP_HANDLE_HI ? env.kernel.mapByHandle(mapLo) : undefined;
    if (map === undefined) return HELPER_CTRL.FAULT;
    const fnLo = R[4]!, fnHi = R[5]!, ctxLo = R[6]!, ctxHi = R[7]!;
    if (R[8] !== 0 || R[9] !== 0) { setR0(env, NEG.EINVAL); return HELPER_CTRL.CONTINUE; }
    if (fnHi !== FUNC_HANDLE_HI) return HELPER_CTRL.FAULT;
    const n = map.forEachElem(env, fnLo, mapLo, mapHi, ctxLo, ctxHi);
    if (n === FOR_EACH_FAILED) return HELPER_CTRL.FAULT;
    setR0(env, n);
    return HELPER_CTRL.CONTINUE;
  },
};

/** bpf_loop and bpf_for_each_map_elem (part of bpf_base_func_proto for bpf_capable users). */
export const CALLBACK_HELPERS: readonly HelperDef[] = Object.freeze([loop, forEachMapElem]);
