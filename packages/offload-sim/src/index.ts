// @tcbpf/offload-sim — a netdevsim-like offload driver whose offloaded BPF
// programs really run on a simulated hardware path. See README.md.
// Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze([
  'drivers/net/netdevsim/bus.c',
  'drivers/net/netdevsim/dev.c',
  'drivers/net/netdevsim/netdev.c',
  'drivers/net/netdevsim/bpf.c',
  'kernel/bpf/offload.c',
  'net/sched/cls_bpf.c (cls_bpf_offload_update_stats)',
  'drivers/net/ethernet/netronome/nfp/bpf (capability limits of the "nfp" profile)',
]);

export { NsimBus, createNetdevsim, parseNewDevice, parseDelDevice, sscanfU32, NSIM_MAX_PORTS } from './nsim-bus.js';
export type { NsimBusOptions, NsimNewDeviceSpec, CreateNetdevsimOptions } from './nsim-bus.js';
export { NsimDev, NsimPort, NSIM_DEV_KNOB_DEFAULTS, NSIM_PORT_KNOB_DEFAULTS } from './nsim-dev.js';
export type { NsimDevKnobs, NsimPortKnobs, NsimDevContext } from './nsim-dev.js';
export { NSIM_MSG, NSIM_BPF_MAX_KEYS, NsimBoundProg, nsimSetupTcBlockCb, nsimXdpOffload, clsBpfProgKey } from './nsim-bpf.js';
export type { ClsBpfStatsRequest, NsimSlot } from './nsim-bpf.js';
export { BpfOffload } from './bpf-offload.js';
export type { BoundProgState, OffloadDevOps, OffloadNetdev, OffloadProgLoadAttr, OffloadProgLoadResult } from './bpf-offload.js';
export { HW_PROFILES, hwProfileCheckProgram, hwProfileCheckMap } from './hw-profile.js';
export type { HwProfile, HwProfileName } from './hw-profile.js';
export { HwDatapath, HwFilterCounters, HW_VERDICT } from './hw-datapath.js';
export { clsBpfUpdateHwStats, clsBpfUpdateDevHwStats } from './cls-bpf-stats.js';
