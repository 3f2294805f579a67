// Models the block offload plumbing of net/sched/cls_api.c and
// net/core/flow_offload.c (Linux 6.18): drivers bind to a filter block through
// ndo_setup_tc(TC_SETUP_BLOCK) and register flow block callbacks; classifiers
// offer filters to every callback with tc_setup_cb_add/replace/destroy/call
// (err_stop = skip_sw), the block counts devices that cannot offload
// (nooffloaddevcnt) and filters in hardware (offloadcnt), and a callback that
// binds later gets the existing filters replayed (tcf_block_playback_offloads
// through tcf_proto_ops.reoffload).
import { KernelError, kerr } from '@tcbpf/base';
import { ERRNO, TCA_CLS_FLAGS, type ErrnoName } from '@tcbpf/uapi';
import type { TcfBlock, TcfProto } from './cls-api.js';
import type { NetDev } from './netdev.js';

const ERRNO_BY_CODE = new Map<number, ErrnoName>(Object.entries(ERRNO).map(([k, v]) => [v, k as ErrnoName]));

/** A KernelError for a negative errno a callback returned (EINVAL when unknown). */
export function kerrFromCode(neg: number, extack = ''): KernelError {
  return new KernelError(ERRNO_BY_CODE.get(-neg) ?? 'EINVAL', extack);
}

/** A flow block callback (flow_setup_cb_t): returns 0 or a negative errno. */
export type FlowSetupCb = (type: string, typeData: unknown) => number;

/** struct flow_block_cb. */
export interface FlowBlockCb {
  readonly cb: FlowSetupCb;
  /** cb_ident: who registered it (the driver's port). */
  readonly ident: unknown;
}

/** struct flow_block_offload handed to ndo_setup_tc(TC_SETUP_BLOCK). */
export interface FlowBlockOffload {
  readonly command: 'bind' | 'unbind';
  readonly binderType: 'ingress' | 'egress';
  readonly block: TcfBlock;
  /** The driver adds (bind) or names for removal (unbind) its callbacks here (flow_block_cb_add/remove). */
  readonly cbList: FlowBlockCb[];
}

/** ndo_setup_tc of a driver: TC_SETUP_BLOCK only in this model. */
export type NdoSetupTc = (dev: NetDev, type: 'block', bo: FlowBlockOffload) => number;

/** Per-block offload state (fields of struct tcf_block). */
export class BlockOffload {
  readonly cbs: FlowBlockCb[] = [];
  nooffloaddevcnt = 0;
  offloadcnt = 0;
  /** Per bound device: the callbacks it registered, or null when it counts as non-offloading. */
  readonly bindings = new Map<NetDev, FlowBlockCb[] | null>();
}

/** Offload state of one filter (gen flags IN_HW and in_hw_count). */
export interface HwState {
  flags: number;
  inHwCount: number;
}

/** __tc_setup_cb_call: number of callbacks that accepted, or the first error when err_stop. */
function tcSetupCbCall(block: TcfBlock, type: string, data: unknown, errStop: boolean): number {
  let ok = 0;
  for (const b of block.offload.cbs) {
    const err = b.cb(type, data);
    if (err) {
      if (errStop) return err;
    } else ok++;
  }
  return ok;
}

function cntUpdate(block: TcfBlock, hw: HwState, diff: number): void {
  if (!hw.inHwCount) {
    if (!(hw.flags & TCA_CLS_FLAGS.IN_HW)) {
      hw.flags |= TCA_CLS_FLAGS.IN_HW;
      block.offload.offloadcnt++;
    }
  }
  hw.inHwCount += diff;
}

function cntReset(block: TcfBlock, hw: HwState): void {
  if (hw.inHwCount && hw.flags & TCA_CLS_FLAGS.IN_HW) {
    hw.flags &= ~TCA_CLS_FLAGS.IN_HW;
    block.offload.offloadcnt--;
  }
  hw.inHwCount = 0;
}

/** tc_setup_cb_add: returns 0 or a negative errno; updates hw on success. */
export function tcSetupCbAdd(block: TcfBlock, _tp: TcfProto, type: string, data: unknown, errStop: boolean, hw: HwState): number {
  if (block.offload.nooffloaddevcnt && errStop) return -95; // -EOPNOTSUPP
  const ok = tcSetupCbCall(block, type, data, errStop);
  if (ok < 0) return ok;
  if (ok > 0) cntUpdate(block, hw, ok);
  return 0;
}

/** tc_setup_cb_replace: the old filter's hardware state is reset first. */
export function tcSetupCbReplace(block: TcfBlock, _tp: TcfProto, type: string, data: unknown, errStop: boolean, oldHw: HwState, newHw: HwState): number {
  if (block.offload.nooffloaddevcnt && errStop) return -95;
  cntReset(block, oldHw);
  const ok = tcSetupCbCall(block, type, data, errStop);
  if (ok < 0) return ok;
  if (ok > 0) cntUpdate(block, newHw, ok);
  return 0;
}

/** tc_setup_cb_destroy. */
export function tcSetupCbDestroy(block: TcfBlock, _tp: TcfProto, type: string, data: unknown, errStop: boolean, hw: HwState): number {
  const ok = tcSetupCbCall(block, type, data, errStop);
  cntReset(block, hw);
  return ok < 0 ? ok : 0;
}

/** tc_setup_cb_call (stats and other commands). */
export function tcSetupCbStats(block: TcfBlock, type: string, data: unknown, errStop: boolean): number {
  return tcSetupCbCall(block, type, data, errStop);
}

/** tcf_block_playback_offloads for one callback. */
function playback(block: TcfBlock, cb: FlowBlockCb, add: boolean): void {
  const inUse = block.offload.offloadcnt > 0;
  const done: TcfProto[] = [];
  try {
    for (const chain of block.chains) {
      for (const tp of chain.tps) {
        if (tp.ops.reoffload) {
          tp.ops.reoffload(tp, add, cb.cb);
          done.push(tp);
        } else if (add && inUse) {
          throw kerr('EOPNOTSUPP', 'Filter HW offload failed - classifier without re-offloading support');
        }
      }
    }
  } catch (e) {
    for (const tp of done) tp.ops.reoffload?.(tp, false, cb.cb);
    throw e;
  }
}

/**
 * tcf_block_offload_bind: ask the device to bind to `block`. A device without
 * ndo_setup_tc (or that answers -EOPNOTSUPP) counts as non-offloading, which
 * is refused while filters of the block are in hardware.
 */
export function tcfBlockOffloadBind(block: TcfBlock, nd: NetDev, binderType: 'ingress' | 'egress'): void {
  const off = block.offload;
  if (nd.ndoSetupTc !== null && nd.hwTcOffload) {
    const bo: FlowBlockOffload = { command: 'bind', binderType, block, cbList: [] };
    const err = nd.ndoSetupTc(nd, 'block', bo);
    if (err === 0) {
      const added: FlowBlockCb[] = [];
      try {
        for (const cb of bo.cbList) {
          playback(block, cb, true);
          added.push(cb);
          off.cbs.push(cb);
        }
      } catch (e) {
        for (const cb of added) off.cbs.splice(off.cbs.indexOf(cb), 1);
        nd.ndoSetupTc(nd, 'block', { command: 'unbind', binderType, block, cbList: [...bo.cbList] });
        throw e;
      }
      off.bindings.set(nd, added);
      return;
    }
    if (err !== -95) throw kerr('EINVAL', 'Driver ndo_setup_tc failed');
  } else if (nd.ndoSetupTc !== null && off.offloadcnt > 0) {
    throw kerr('EOPNOTSUPP', 'Bind to offloaded block failed as dev has offload disabled');
  }
  if (off.offloadcnt > 0) throw kerr('EOPNOTSUPP');
  off.nooffloaddevcnt++;
  off.bindings.set(nd, null);
}

/** tcf_block_offload_unbind: replay removals to the device's callbacks, then drop them. */
export function tcfBlockOffloadUnbind(block: TcfBlock, nd: NetDev, binderType: 'ingress' | 'egress'): void {
  const off = block.offload;
  if (!off.bindings.has(nd)) return;
  const mine = off.bindings.get(nd) ?? null;
  off.bindings.delete(nd);
  if (mine === null) {
    off.nooffloaddevcnt--;
    return;
  }
  for (const cb of mine) {
    try {
      playback(block, cb, false);
    } catch {
      // removal replays never fail in the kernel (errors are ignored)
    }
    const i = off.cbs.indexOf(cb);
    if (i >= 0) off.cbs.splice(i, 1);
  }
  nd.ndoSetupTc?.(nd, 'block', { command: 'unbind', binderType, block, cbList: mine });
}
