// Models cls_bpf_offload_update_stats of net/sched/cls_bpf.c (Linux 6.18): at
// dump time, every cls_bpf filter that is in hardware gets a TC_CLSBPF_STATS
// call through the block's callbacks (tc_setup_cb_call, err_stop false), so
// drivers can push their hardware counters into the filter's actions.
// @tcbpf/cls-bpf issues this call for each filter it dumps; this function makes
// the same request for a whole block without a dump (e.g. to read counters).
import type { ClsBpfHead } from '@tcbpf/cls-bpf';
import { tcSetupCbStats, type IngressPriv, type NetDev, type TcfBlock } from '@tcbpf/tcf';
import { TCA_CLS_FLAGS } from '@tcbpf/uapi';
import type { ClsBpfStatsRequest } from './nsim-bpf.js';

/** TC_CLSBPF_STATS for every in-hardware cls_bpf filter of `block`; returns how many were asked. */
export function clsBpfUpdateHwStats(block: TcfBlock): number {
  let n = 0;
  for (const chain of block.chains) {
    for (const tp of chain.tps) {
      if (tp.ops.kind !== 'bpf') continue;
      for (const prog of (tp.root as ClsBpfHead).list) {
        if (!(prog.genFlags & TCA_CLS_FLAGS.IN_HW)) continue;
        const req: ClsBpfStatsRequest = { command: 'stats', prog, chainIndex: chain.index, protocol: tp.protocol };
        tcSetupCbStats(block, 'clsbpf', req, false);
        n++;
      }
    }
  }
  return n;
}

/** {@link clsBpfUpdateHwStats} on the ingress block (ingress or clsact qdisc) of a device. */
export function clsBpfUpdateDevHwStats(nd: NetDev): number {
  const q = nd.ingress;
  if (q === null) return 0;
  const block = (q.priv as IngressPriv | null)?.ingress ?? null;
  return block === null ? 0 : clsBpfUpdateHwStats(block);
}
