// @tcbpf/tcf — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['net/sched/sch_api.c', 'net/sched/cls_api.c', 'net/sched/act_api.c', 'net/sched/sch_ingress.c', 'net/sched/sch_htb.c', 'net/sched/act_gact.c', 'net/sched/act_mirred.c', 'net/sched/act_police.c']);
