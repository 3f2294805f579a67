// The kinds this package implements, as a Linux 6.18 kernel configuration would
// build them in (CONFIG_NET_SCH_*, CONFIG_NET_CLS_MATCHALL, CONFIG_NET_ACT_*).
import type { TcKinds } from './kernel.js';
import { noqueueQdiscOps, pfifoQdiscOps, bfifoQdiscOps, pfifoFastQdiscOps } from './sch-generic-ops.js';
import { ingressQdiscOps, clsactQdiscOps } from './sch-ingress.js';
import { htbQdiscOps } from './sch-htb.js';
import { prioQdiscOps } from './sch-prio.js';
import { matchallOps } from './cls-matchall.js';
import { mirredOps } from './act-mirred.js';
import { gactOps } from './act-gact.js';
import { policeOps } from './act-police.js';
import { skbeditOps } from './act-skbedit.js';
import { csumOps } from './act-csum.js';

/** Every qdisc, classifier and action kind of @tcbpf/tcf. Classifier kinds from other packages are added by the caller. */
export const TCF_ALL_KINDS: TcKinds = Object.freeze({
  qdiscs: Object.freeze([noqueueQdiscOps, pfifoQdiscOps, bfifoQdiscOps, pfifoFastQdiscOps, ingressQdiscOps, clsactQdiscOps, htbQdiscOps, prioQdiscOps]),
  classifiers: Object.freeze([matchallOps]),
  actions: Object.freeze([mirredOps, gactOps, policeOps, skbeditOps, csumOps]),
});
