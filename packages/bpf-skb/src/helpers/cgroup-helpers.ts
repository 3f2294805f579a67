// Models net/core/filter.c (Linux 6.18) bpf_skb_under_cgroup with
// include/net/sock.h sk_fullsock / skb_to_full_sk and
// include/linux/cgroup.h sk_under_cgroup_hierarchy → cgroup_is_descendant
// (cgroup v2: the socket's sk_cgrp_data cgroup). The skb's socket is
// SkbRunState.sockCgroup: undefined for skbs without a full socket (every
// datapath skb tcbpf makes), the fake socket's cgroup under BPF_PROG_TEST_RUN.
// Per-packet path: numbers only, no allocation, never throws.
import { ARG, Cgroup, FdArrayMap, MAP_HANDLE_HI, RET, proto, type HelperDef, type HelperEnv } from '@tcbpf/ebpf';
import { BPF_FUNC, BPF_MAP_TYPE } from '@tcbpf/uapi';
import { SkbRunState } from '../skb-run-state.js';
import { setR0 } from './helper-call.js';

const ENOENT = -2;
const E2BIG = -7;
const EAGAIN = -11;
const EINVAL = -22;


/**
 * bpf_skb_under_cgroup(skb, map, index): -ENOENT without a full socket,
 * -E2BIG for index >= max_entries, -EAGAIN for an empty slot, else 1 when the
 * socket's cgroup is the slot's cgroup or below it, 0 otherwise.
 */
function skbUnderCgroup(env: HelperEnv): number {
  const st = env.runCtx;
  if (!(st instanceof SkbRunState)) return setR0(env, EINVAL);
  const sk = st.sockCgroup;
  if (sk === undefined) return setR0(env, ENOENT);
  // R2 is the map pointer (the verifier allows only a CGROUP_ARRAY here)
  const m = env.regs[5] === MAP_HANDLE_HI ? env.kernel.mapByHandle(env.regs[4]!) : undefined;
  if (!(m instanceof FdArrayMap) || m.type !== BPF_MAP_TYPE.CGROUP_ARRAY) return setR0(env, EINVAL);
  const index = env.regs[6]! >>> 0;
  if (index >= m.maxEntries) return setR0(env, E2BIG);
  const cg = m.slot(index);
  if (!(cg instanceof Cgroup)) return setR0(env, EAGAIN);
  return setR0(env, sk.isDescendantOf(cg) ? 1 : 0);
}

/** The cgroup helpers of tc programs. */
export const CGROUP_HELPERS: readonly HelperDef[] = Object.freeze([
  { proto: proto(BPF_FUNC.skb_under_cgroup, RET.INTEGER, [ARG.PTR_TO_CTX, ARG.CONST_MAP_PTR, ARG.ANYTHING]), fn: skbUnderCgroup },
]);
