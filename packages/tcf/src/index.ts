// @tcbpf/tcf — the tc core: kernel instance, rtnetlink endpoint, qdiscs,
// filters, chains, blocks, actions, statistics. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze([
  'net/sched/sch_api.c',
  'net/sched/cls_api.c',
  'net/sched/act_api.c',
  'net/sched/sch_ingress.c',
  'net/sched/sch_generic.c',
  'net/sched/sch_fifo.c',
  'net/sched/sch_htb.c',
  'net/sched/sch_prio.c',
  'net/sched/act_mirred.c',
  'net/sched/act_gact.c',
  'net/sched/act_police.c',
  'net/sched/act_skbedit.c',
  'net/sched/act_csum.c',
  'net/sched/cls_matchall.c',
  'net/core/flow_offload.c',
  'net/core/rtnetlink.c',
  'net/core/dev.c',
]);

export { TcKernel, TcNet, RtnlSocket, RtnlRequest } from './kernel.js';
export type { TcKinds, TcKernelOptions } from './kernel.js';
export { NetDev } from './netdev.js';
export { Datapath, TC_ACT_CONSUMED } from './dev-core.js';
export { NlWriter, NlAttrs, parseAttrs, nlaAlign } from './nlattr.js';
export { Qdisc, TcfResult, TcStats, NET_XMIT, gnetDumpStats } from './sch-generic.js';
export type { TcSkb, QdiscOps, QdiscClassOps, QdiscInitArgs } from './sch-generic.js';
export { TcfBlock, TcfChain, TcfProto, tcfClassify, tcfBindFilter, tcfUnbindFilter, TCF_MAX_RECLASSIFY_LOOP, TC_CHAIN_MAX, ETH_P_ALL } from './cls-api.js';
export type { TcfProtoOps, TcfChangeArgs } from './cls-api.js';
export { TcAction, TcfExts, tcfActionExec, tcfActionInit, tcfActionCheckCtrlact, tcfActionSetCtrlact, tcfIdrCheck, tcfIdrCreate, tcfActionRelease } from './act-api.js';
export type { TcActionOps, TcActionInitArgs } from './act-api.js';
export { noqueueQdiscOps, pfifoQdiscOps, bfifoQdiscOps, pfifoFastQdiscOps, SkbQueue, PFIFO_FAST_PRIO2BAND } from './sch-generic-ops.js';
export { ingressQdiscOps, clsactQdiscOps } from './sch-ingress.js';
export { mirredOps, MIRRED_NEST_LIMIT } from './act-mirred.js';
export { htbQdiscOps, HtbClass, HTB_VER } from './sch-htb.js';
export { PschedRatecfg, pschedTicks2ns, pschedNs2ticks } from './sch-generic.js';
export { prioQdiscOps } from './sch-prio.js';
export { gactOps } from './act-gact.js';
export type { GactParams } from './act-gact.js';
export { policeOps, TC_POLICE_COMPAT_SIZE } from './act-police.js';
export type { PoliceParams } from './act-police.js';
export { skbeditOps } from './act-skbedit.js';
export { csumOps } from './act-csum.js';
export { matchallOps, MallHead } from './cls-matchall.js';
export { TCF_ALL_KINDS } from './kinds.js';
export { TcClient, TC_CMD, writeActions, gactSpec, mirredSpec, matchallOptions } from './tc-client.js';
export type { ActionSpec, AttrWriter } from './tc-client.js';
export type { IngressPriv } from './sch-ingress.js';
export { BlockOffload, tcSetupCbAdd, tcSetupCbReplace, tcSetupCbDestroy, tcSetupCbStats, tcfBlockOffloadBind, tcfBlockOffloadUnbind, kerrFromCode } from './flow-offload.js';
export type { FlowSetupCb, FlowBlockCb, FlowBlockOffload, NdoSetupTc, HwState } from './flow-offload.js';
export type { ClsMatchallOffload } from './cls-matchall.js';
export type { TcObserver } from './tc-observer.js';
