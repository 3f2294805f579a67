// Models the rtnetlink traffic-control message set of Linux 6.18: the kernel's
// attribute policies (net/sched/sch_api.c rtm_tca_policy, cls_api.c
// tcf_tfilter_dump_policy, cls_bpf.c bpf_policy, act_api.c tcf_action_policy
// and tcaa_policy, act_mirred.c mirred_policy, act_gact.c gact_policy,
// act_police.c police_policy) as data, and the schema of every tc attribute
// set (include/uapi/linux/rtnetlink.h, pkt_cls.h, pkt_sched.h, gen_stats.h,
// tc_act/*.h) that the tree decoder, encoder and printer follow.
import {
  RTM, TCA, TCA_ACT, TCA_HTB, TCA_ACT_FLAG, TCA_ACT_FLAGS, TCA_ACT_HW_STATS, TCA_BPF, TCA_DUMP_FLAGS, TCA_GACT, TCA_MIRRED, TCA_POLICE, TCA_ROOT, TCA_STATS,
  TC_COOKIE, NLMSGERR_ATTR, NL_POLICY_TYPE_ATTR, TC_RTAB,
} from '@tcbpf/uapi';
import { NLA, definePolicy } from './policy.js';
import type { NlaPolicy } from './policy.js';
import {
  GNET_STATS_BASIC, GNET_STATS_QUEUE, GNET_STATS_RATE_EST, GNET_STATS_RATE_EST64, SOCK_FILTER, TCF_T, TCMSG, TC_ESTIMATOR, TC_GACT, TC_GACT_P, TC_MIRRED, TC_POLICE,
  TC_STATS, TC_HTB_GLOB, TC_HTB_OPT, TC_HTB_XSTATS, decodeStruct, encodeStruct,
} from './struct.js';
import type { StructLayout, StructValue } from './struct.js';
import type { NlWriter } from './nlattr.js';
import type { AttrSet, AttrSpec } from './tree.js';

/** CLS_BPF_NAME_LEN (net/sched/cls_bpf.c). */
export const CLS_BPF_NAME_LEN = 256;
/** BPF_MAXINSNS (include/uapi/linux/bpf_common.h). */
export const BPF_MAXINSNS = 4096;

// ---------------------------------------------------------------------------
// Kernel policies (what the kernel validates). Attributes without an entry in
// the kernel's array are listed with only a name (NLA_UNSPEC, len 0).

/** rtm_tca_policy (net/sched/sch_api.c): top level of RTM_{NEW,DEL,GET}{QDISC,TCLASS,TFILTER,CHAIN}. */
export const RTM_TCA_POLICY: NlaPolicy = definePolicy('rtm_tca_policy', TCA.MAX, {
  [TCA.KIND]: { name: 'TCA_KIND', type: NLA.STRING },
  [TCA.OPTIONS]: { name: 'TCA_OPTIONS' },
  [TCA.RATE]: { name: 'TCA_RATE', type: NLA.BINARY, len: 2 },
  [TCA.STAB]: { name: 'TCA_STAB', type: NLA.NESTED },
  [TCA.DUMP_INVISIBLE]: { name: 'TCA_DUMP_INVISIBLE', type: NLA.FLAG },
  [TCA.CHAIN]: { name: 'TCA_CHAIN', type: NLA.U32 },
  [TCA.INGRESS_BLOCK]: { name: 'TCA_INGRESS_BLOCK', type: NLA.U32 },
  [TCA.EGRESS_BLOCK]: { name: 'TCA_EGRESS_BLOCK', type: NLA.U32 },
});

/** tcf_tfilter_dump_policy (net/sched/cls_api.c): RTM_GETTFILTER dumps. */
export const TCF_TFILTER_DUMP_POLICY: NlaPolicy = definePolicy('tcf_tfilter_dump_policy', TCA.MAX, {
  [TCA.CHAIN]: { name: 'TCA_CHAIN', type: NLA.U32 },
  [TCA.DUMP_FLAGS]: { name: 'TCA_DUMP_FLAGS', type: NLA.BITFIELD32, bitfield32Valid: TCA_DUMP_FLAGS.TERSE },
});

/** bpf_policy (net/sched/cls_bpf.c): TCA_OPTIONS of kind "bpf". cls_bpf parses it liberally with a NULL extack. */
export const BPF_POLICY: NlaPolicy = definePolicy('bpf_policy', TCA_BPF.MAX, {
  [TCA_BPF.ACT]: { name: 'TCA_BPF_ACT' },
  [TCA_BPF.POLICE]: { name: 'TCA_BPF_POLICE' },
  [TCA_BPF.CLASSID]: { name: 'TCA_BPF_CLASSID', type: NLA.U32 },
  [TCA_BPF.FLAGS]: { name: 'TCA_BPF_FLAGS', type: NLA.U32 },
  [TCA_BPF.FLAGS_GEN]: { name: 'TCA_BPF_FLAGS_GEN', type: NLA.U32 },
  [TCA_BPF.FD]: { name: 'TCA_BPF_FD', type: NLA.U32 },
  [TCA_BPF.NAME]: { name: 'TCA_BPF_NAME', type: NLA.NUL_STRING, len: CLS_BPF_NAME_LEN },
  [TCA_BPF.OPS_LEN]: { name: 'TCA_BPF_OPS_LEN', type: NLA.U16 },
  [TCA_BPF.OPS]: { name: 'TCA_BPF_OPS', type: NLA.BINARY, len: SOCK_FILTER.size * BPF_MAXINSNS },
  [TCA_BPF.TAG]: { name: 'TCA_BPF_TAG' },
  [TCA_BPF.ID]: { name: 'TCA_BPF_ID' },
});

/** tcf_action_policy (net/sched/act_api.c): one action's attributes. */
export const TCF_ACTION_POLICY: NlaPolicy = definePolicy('tcf_action_policy', TCA_ACT.MAX, {
  [TCA_ACT.KIND]: { name: 'TCA_ACT_KIND', type: NLA.STRING },
  [TCA_ACT.OPTIONS]: { name: 'TCA_ACT_OPTIONS', type: NLA.NESTED },
  [TCA_ACT.INDEX]: { name: 'TCA_ACT_INDEX', type: NLA.U32 },
  [TCA_ACT.STATS]: { name: 'TCA_ACT_STATS' },
  [TCA_ACT.COOKIE]: { name: 'TCA_ACT_COOKIE', type: NLA.BINARY, len: TC_COOKIE.MAX_SIZE },
  [TCA_ACT.FLAGS]: { name: 'TCA_ACT_FLAGS', type: NLA.BITFIELD32, bitfield32Valid: TCA_ACT_FLAGS.NO_PERCPU_STATS | TCA_ACT_FLAGS.SKIP_HW | TCA_ACT_FLAGS.SKIP_SW },
  [TCA_ACT.HW_STATS]: { name: 'TCA_ACT_HW_STATS', type: NLA.BITFIELD32, bitfield32Valid: TCA_ACT_HW_STATS.IMMEDIATE | TCA_ACT_HW_STATS.DELAYED },
});

/** tcaa_policy (net/sched/act_api.c): top level of RTM_{NEW,DEL,GET}ACTION. */
export const TCAA_POLICY: NlaPolicy = definePolicy('tcaa_policy', TCA_ROOT.MAX, {
  [TCA_ROOT.TAB]: { name: 'TCA_ROOT_TAB' },
  [TCA_ROOT.FLAGS]: { name: 'TCA_ROOT_FLAGS', type: NLA.BITFIELD32, bitfield32Valid: TCA_ACT_FLAG.LARGE_DUMP_ON | TCA_ACT_FLAG.TERSE_DUMP },
  [TCA_ROOT.TIME_DELTA]: { name: 'TCA_ROOT_TIME_DELTA', type: NLA.U32 },
});

/** mirred_policy (net/sched/act_mirred.c). */
export const MIRRED_POLICY: NlaPolicy = definePolicy('mirred_policy', TCA_MIRRED.MAX, {
  [TCA_MIRRED.PARMS]: { name: 'TCA_MIRRED_PARMS', len: TC_MIRRED.size },
  [TCA_MIRRED.BLOCKID]: { name: 'TCA_MIRRED_BLOCKID', type: NLA.U32, min: 1 },
});

/** gact_policy (net/sched/act_gact.c). */
export const GACT_POLICY: NlaPolicy = definePolicy('gact_policy', TCA_GACT.MAX, {
  [TCA_GACT.PARMS]: { name: 'TCA_GACT_PARMS', len: TC_GACT.size },
  [TCA_GACT.PROB]: { name: 'TCA_GACT_PROB', len: TC_GACT_P.size },
});

/** police_policy (net/sched/act_police.c). TCA_POLICE_TBF has no entry: act_police checks its size itself. */
export const POLICE_POLICY: NlaPolicy = definePolicy('police_policy', TCA_POLICE.MAX, {
  [TCA_POLICE.TBF]: { name: 'TCA_POLICE_TBF' },
  [TCA_POLICE.RATE]: { name: 'TCA_POLICE_RATE', len: TC_RTAB.SIZE },
  [TCA_POLICE.PEAKRATE]: { name: 'TCA_POLICE_PEAKRATE', len: TC_RTAB.SIZE },
  [TCA_POLICE.AVRATE]: { name: 'TCA_POLICE_AVRATE', type: NLA.U32 },
  [TCA_POLICE.RESULT]: { name: 'TCA_POLICE_RESULT', type: NLA.U32 },
  [TCA_POLICE.RATE64]: { name: 'TCA_POLICE_RATE64', type: NLA.U64 },
  [TCA_POLICE.PEAKRATE64]: { name: 'TCA_POLICE_PEAKRATE64', type: NLA.U64 },
  [TCA_POLICE.PKTRATE64]: { name: 'TCA_POLICE_PKTRATE64', type: NLA.U64, min: 1 },
  [TCA_POLICE.PKTBURST64]: { name: 'TCA_POLICE_PKTBURST64', type: NLA.U64, min: 1 },
});

/** The action-kind policies by TCA_ACT_KIND, for validating TCA_ACT_OPTIONS. */
export const ACTION_OPTIONS_POLICIES: Readonly<Record<string, NlaPolicy>> = Object.freeze({ mirred: MIRRED_POLICY, gact: GACT_POLICY, police: POLICE_POLICY });

// ---------------------------------------------------------------------------
// Schemas (what the bytes mean), for the tree decoder/encoder/printer.

function set(name: string, attrs: Record<number, AttrSpec>, extra: { any?: AttrSpec; kindAttr?: number } = {}): AttrSet {
  const s: { name: string; attrs: Readonly<Record<number, AttrSpec>>; any?: AttrSpec; kindAttr?: number } = { name, attrs: Object.freeze(attrs) };
  if (extra.any !== undefined) s.any = extra.any;
  if (extra.kindAttr !== undefined) s.kindAttr = extra.kindAttr;
  return Object.freeze(s);
}

/** gnet_stats attributes (TCA_STATS2, TCA_ACT_STATS). */
export const GNET_STATS_SET: AttrSet = set('TCA_STATS', {
  [TCA_STATS.BASIC]: { name: 'TCA_STATS_BASIC', kind: 'struct', struct: GNET_STATS_BASIC },
  [TCA_STATS.RATE_EST]: { name: 'TCA_STATS_RATE_EST', kind: 'struct', struct: GNET_STATS_RATE_EST },
  [TCA_STATS.QUEUE]: { name: 'TCA_STATS_QUEUE', kind: 'struct', struct: GNET_STATS_QUEUE },
  [TCA_STATS.APP]: { name: 'TCA_STATS_APP', kind: 'binary' },
  [TCA_STATS.RATE_EST64]: { name: 'TCA_STATS_RATE_EST64', kind: 'struct', struct: GNET_STATS_RATE_EST64 },
  [TCA_STATS.PAD]: { name: 'TCA_STATS_PAD', kind: 'binary' },
  [TCA_STATS.BASIC_HW]: { name: 'TCA_STATS_BASIC_HW', kind: 'struct', struct: GNET_STATS_BASIC },
  [TCA_STATS.PKT64]: { name: 'TCA_STATS_PKT64', kind: 'u64' },
});

/** mirred action options. */
export const MIRRED_SET: AttrSet = set('TCA_MIRRED', {
  [TCA_MIRRED.TM]: { name: 'TCA_MIRRED_TM', kind: 'struct', struct: TCF_T },
  [TCA_MIRRED.PARMS]: { name: 'TCA_MIRRED_PARMS', kind: 'struct', struct: TC_MIRRED },
  [TCA_MIRRED.PAD]: { name: 'TCA_MIRRED_PAD', kind: 'binary' },
  [TCA_MIRRED.BLOCKID]: { name: 'TCA_MIRRED_BLOCKID', kind: 'u32' },
});

/** gact action options. */
export const GACT_SET: AttrSet = set('TCA_GACT', {
  [TCA_GACT.TM]: { name: 'TCA_GACT_TM', kind: 'struct', struct: TCF_T },
  [TCA_GACT.PARMS]: { name: 'TCA_GACT_PARMS', kind: 'struct', struct: TC_GACT },
  [TCA_GACT.PROB]: { name: 'TCA_GACT_PROB', kind: 'struct', struct: TC_GACT_P },
  [TCA_GACT.PAD]: { name: 'TCA_GACT_PAD', kind: 'binary' },
});

/** police action options (also cls_bpf's legacy TCA_BPF_POLICE). */
export const POLICE_SET: AttrSet = set('TCA_POLICE', {
  [TCA_POLICE.TBF]: { name: 'TCA_POLICE_TBF', kind: 'struct', struct: TC_POLICE },
  [TCA_POLICE.RATE]: { name: 'TCA_POLICE_RATE', kind: 'binary' },
  [TCA_POLICE.PEAKRATE]: { name: 'TCA_POLICE_PEAKRATE', kind: 'binary' },
  [TCA_POLICE.AVRATE]: { name: 'TCA_POLICE_AVRATE', kind: 'u32' },
  [TCA_POLICE.RESULT]: { name: 'TCA_POLICE_RESULT', kind: 's32', fmt: 'verdict' },
  [TCA_POLICE.TM]: { name: 'TCA_POLICE_TM', kind: 'struct', struct: TCF_T },
  [TCA_POLICE.PAD]: { name: 'TCA_POLICE_PAD', kind: 'binary' },
  [TCA_POLICE.RATE64]: { name: 'TCA_POLICE_RATE64', kind: 'u64' },
  [TCA_POLICE.PEAKRATE64]: { name: 'TCA_POLICE_PEAKRATE64', kind: 'u64' },
  [TCA_POLICE.PKTRATE64]: { name: 'TCA_POLICE_PKTRATE64', kind: 'u64' },
  [TCA_POLICE.PKTBURST64]: { name: 'TCA_POLICE_PKTBURST64', kind: 'u64' },
});

const ACTION_OPTION_SETS: Readonly<Record<string, AttrSet>> = Object.freeze({ mirred: MIRRED_SET, gact: GACT_SET, police: POLICE_SET });

/** One action (a slot of an action list). */
export const ACTION_SET: AttrSet = set(
  'TCA_ACT',
  {
    [TCA_ACT.KIND]: { name: 'TCA_ACT_KIND', kind: 'string' },
    [TCA_ACT.OPTIONS]: { name: 'TCA_ACT_OPTIONS', kind: 'nested', set: (k) => (k === undefined ? undefined : ACTION_OPTION_SETS[k]) },
    [TCA_ACT.INDEX]: { name: 'TCA_ACT_INDEX', kind: 'u32' },
    [TCA_ACT.STATS]: { name: 'TCA_ACT_STATS', kind: 'nested', set: () => GNET_STATS_SET },
    [TCA_ACT.PAD]: { name: 'TCA_ACT_PAD', kind: 'binary' },
    [TCA_ACT.COOKIE]: { name: 'TCA_ACT_COOKIE', kind: 'binary' },
    [TCA_ACT.FLAGS]: { name: 'TCA_ACT_FLAGS', kind: 'bitfield32' },
    [TCA_ACT.HW_STATS]: { name: 'TCA_ACT_HW_STATS', kind: 'bitfield32' },
    [TCA_ACT.USED_HW_STATS]: { name: 'TCA_ACT_USED_HW_STATS', kind: 'bitfield32' },
    [TCA_ACT.IN_HW_COUNT]: { name: 'TCA_ACT_IN_HW_COUNT', kind: 'u32' },
  },
  { kindAttr: TCA_ACT.KIND },
);

/** An action list: a nested array whose slots (types 1..TCA_ACT_MAX_PRIO) are actions. */
export const ACTION_LIST_SET: AttrSet = set('TCA_ACT_TAB', {}, { any: { name: 'action', kind: 'nested', set: () => ACTION_SET } });

/** cls_bpf options. */
export const BPF_SET: AttrSet = set('TCA_BPF', {
  [TCA_BPF.ACT]: { name: 'TCA_BPF_ACT', kind: 'nested', set: () => ACTION_LIST_SET },
  [TCA_BPF.POLICE]: { name: 'TCA_BPF_POLICE', kind: 'nested', set: () => POLICE_SET },
  [TCA_BPF.CLASSID]: { name: 'TCA_BPF_CLASSID', kind: 'u32', fmt: 'handle' },
  [TCA_BPF.OPS_LEN]: { name: 'TCA_BPF_OPS_LEN', kind: 'u16' },
  [TCA_BPF.OPS]: { name: 'TCA_BPF_OPS', kind: 'ops' },
  [TCA_BPF.FD]: { name: 'TCA_BPF_FD', kind: 'u32' },
  [TCA_BPF.NAME]: { name: 'TCA_BPF_NAME', kind: 'string' },
  [TCA_BPF.FLAGS]: { name: 'TCA_BPF_FLAGS', kind: 'u32', fmt: 'hex' },
  [TCA_BPF.FLAGS_GEN]: { name: 'TCA_BPF_FLAGS_GEN', kind: 'u32', fmt: 'clsflags' },
  [TCA_BPF.TAG]: { name: 'TCA_BPF_TAG', kind: 'binary' },
  [TCA_BPF.ID]: { name: 'TCA_BPF_ID', kind: 'u32' },
});

/** HTB qdisc and class options (the rate specs of tc_htb_opt, rate tables). */
export const HTB_SET: AttrSet = set('TCA_HTB', {
  [TCA_HTB.PARMS]: { name: 'TCA_HTB_PARMS', kind: 'struct', struct: TC_HTB_OPT },
  [TCA_HTB.INIT]: { name: 'TCA_HTB_INIT', kind: 'struct', struct: TC_HTB_GLOB },
  [TCA_HTB.CTAB]: { name: 'TCA_HTB_CTAB', kind: 'binary' },
  [TCA_HTB.RTAB]: { name: 'TCA_HTB_RTAB', kind: 'binary' },
  [TCA_HTB.DIRECT_QLEN]: { name: 'TCA_HTB_DIRECT_QLEN', kind: 'u32' },
  [TCA_HTB.RATE64]: { name: 'TCA_HTB_RATE64', kind: 'u64' },
  [TCA_HTB.CEIL64]: { name: 'TCA_HTB_CEIL64', kind: 'u64' },
  [TCA_HTB.PAD]: { name: 'TCA_HTB_PAD', kind: 'binary' },
  [TCA_HTB.OFFLOAD]: { name: 'TCA_HTB_OFFLOAD', kind: 'flag' },
});

/** Empty option sets of qdiscs without options (clsact, ingress report none or an empty nest). */
const EMPTY_SET: AttrSet = set('(no options)', {});
const TC_OPTION_SETS: Readonly<Record<string, AttrSet>> = Object.freeze({ bpf: BPF_SET, clsact: EMPTY_SET, ingress: EMPTY_SET, htb: HTB_SET });
const TC_XSTATS: Readonly<Record<string, StructLayout>> = Object.freeze({ htb: TC_HTB_XSTATS });

/** Top-level attributes of tcmsg messages (qdisc, class, filter, chain). */
export const TCA_SET: AttrSet = set(
  'TCA',
  {
    [TCA.KIND]: { name: 'TCA_KIND', kind: 'string' },
    [TCA.OPTIONS]: { name: 'TCA_OPTIONS', kind: 'nested', set: (k) => (k === undefined ? undefined : TC_OPTION_SETS[k]) },
    [TCA.STATS]: { name: 'TCA_STATS', kind: 'struct', struct: TC_STATS },
    [TCA.XSTATS]: { name: 'TCA_XSTATS', kind: 'struct-by-kind', struct: (k) => (k === undefined ? undefined : TC_XSTATS[k]) },
    [TCA.RATE]: { name: 'TCA_RATE', kind: 'struct', struct: TC_ESTIMATOR },
    [TCA.FCNT]: { name: 'TCA_FCNT', kind: 'u32' },
    [TCA.STATS2]: { name: 'TCA_STATS2', kind: 'nested', set: () => GNET_STATS_SET },
    [TCA.STAB]: { name: 'TCA_STAB', kind: 'binary' },
    [TCA.PAD]: { name: 'TCA_PAD', kind: 'binary' },
    [TCA.DUMP_INVISIBLE]: { name: 'TCA_DUMP_INVISIBLE', kind: 'flag' },
    [TCA.CHAIN]: { name: 'TCA_CHAIN', kind: 'u32' },
    [TCA.HW_OFFLOAD]: { name: 'TCA_HW_OFFLOAD', kind: 'u8' },
    [TCA.INGRESS_BLOCK]: { name: 'TCA_INGRESS_BLOCK', kind: 'u32' },
    [TCA.EGRESS_BLOCK]: { name: 'TCA_EGRESS_BLOCK', kind: 'u32' },
    [TCA.DUMP_FLAGS]: { name: 'TCA_DUMP_FLAGS', kind: 'bitfield32' },
    [TCA.EXT_WARN_MSG]: { name: 'TCA_EXT_WARN_MSG', kind: 'string' },
  },
  { kindAttr: TCA.KIND },
);

/** Top-level attributes of tcamsg (action) messages. */
export const TCA_ROOT_SET: AttrSet = set('TCA_ROOT', {
  [TCA_ROOT.TAB]: { name: 'TCA_ROOT_TAB', kind: 'nested', set: () => ACTION_LIST_SET },
  [TCA_ROOT.FLAGS]: { name: 'TCA_ROOT_FLAGS', kind: 'bitfield32' },
  [TCA_ROOT.COUNT]: { name: 'TCA_ROOT_COUNT', kind: 'u32' },
  [TCA_ROOT.TIME_DELTA]: { name: 'TCA_ROOT_TIME_DELTA', kind: 'u32' },
  [TCA_ROOT.EXT_WARN_MSG]: { name: 'TCA_ROOT_EXT_WARN_MSG', kind: 'string' },
});

/** A policy description (NLMSGERR_ATTR_POLICY). */
export const POLICY_DESC_SET: AttrSet = set('NL_POLICY_TYPE_ATTR', {
  [NL_POLICY_TYPE_ATTR.TYPE]: { name: 'NL_POLICY_TYPE_ATTR_TYPE', kind: 'u32', fmt: 'nlattrtype' },
  [NL_POLICY_TYPE_ATTR.MIN_VALUE_S]: { name: 'NL_POLICY_TYPE_ATTR_MIN_VALUE_S', kind: 's64' },
  [NL_POLICY_TYPE_ATTR.MAX_VALUE_S]: { name: 'NL_POLICY_TYPE_ATTR_MAX_VALUE_S', kind: 's64' },
  [NL_POLICY_TYPE_ATTR.MIN_VALUE_U]: { name: 'NL_POLICY_TYPE_ATTR_MIN_VALUE_U', kind: 'u64' },
  [NL_POLICY_TYPE_ATTR.MAX_VALUE_U]: { name: 'NL_POLICY_TYPE_ATTR_MAX_VALUE_U', kind: 'u64' },
  [NL_POLICY_TYPE_ATTR.MIN_LENGTH]: { name: 'NL_POLICY_TYPE_ATTR_MIN_LENGTH', kind: 'u32' },
  [NL_POLICY_TYPE_ATTR.MAX_LENGTH]: { name: 'NL_POLICY_TYPE_ATTR_MAX_LENGTH', kind: 'u32' },
  [NL_POLICY_TYPE_ATTR.POLICY_IDX]: { name: 'NL_POLICY_TYPE_ATTR_POLICY_IDX', kind: 'u32' },
  [NL_POLICY_TYPE_ATTR.POLICY_MAXTYPE]: { name: 'NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE', kind: 'u32' },
  [NL_POLICY_TYPE_ATTR.BITFIELD32_MASK]: { name: 'NL_POLICY_TYPE_ATTR_BITFIELD32_MASK', kind: 'u32', fmt: 'hex' },
  [NL_POLICY_TYPE_ATTR.PAD]: { name: 'NL_POLICY_TYPE_ATTR_PAD', kind: 'binary' },
  [NL_POLICY_TYPE_ATTR.MASK]: { name: 'NL_POLICY_TYPE_ATTR_MASK', kind: 'u64' },
});

/** Extended-ACK TLVs after struct nlmsgerr / the NLMSG_DONE error code. */
export const NLMSGERR_SET: AttrSet = set('NLMSGERR_ATTR', {
  [NLMSGERR_ATTR.MSG]: { name: 'NLMSGERR_ATTR_MSG', kind: 'string' },
  [NLMSGERR_ATTR.OFFS]: { name: 'NLMSGERR_ATTR_OFFS', kind: 'u32' },
  [NLMSGERR_ATTR.COOKIE]: { name: 'NLMSGERR_ATTR_COOKIE', kind: 'binary' },
  [NLMSGERR_ATTR.POLICY]: { name: 'NLMSGERR_ATTR_POLICY', kind: 'nested', set: () => POLICY_DESC_SET },
  [NLMSGERR_ATTR.MISS_TYPE]: { name: 'NLMSGERR_ATTR_MISS_TYPE', kind: 'u32' },
  [NLMSGERR_ATTR.MISS_NEST]: { name: 'NLMSGERR_ATTR_MISS_NEST', kind: 'u32' },
});

/** Which family header and attribute set each tc message type uses. */
export function tcMessageLayout(type: number): { readonly family: 'tcmsg' | 'tcamsg'; readonly set: AttrSet } | undefined {
  switch (type) {
    case RTM.NEWQDISC: case RTM.DELQDISC: case RTM.GETQDISC:
    case RTM.NEWTCLASS: case RTM.DELTCLASS: case RTM.GETTCLASS:
    case RTM.NEWTFILTER: case RTM.DELTFILTER: case RTM.GETTFILTER:
    case RTM.NEWCHAIN: case RTM.DELCHAIN: case RTM.GETCHAIN:
      return { family: 'tcmsg', set: TCA_SET };
    case RTM.NEWACTION: case RTM.DELACTION: case RTM.GETACTION:
      return { family: 'tcamsg', set: TCA_ROOT_SET };
    default:
      return undefined;
  }
}

/** struct tcmsg as numbers (host order; ifindex signed). */
export interface Tcmsg {
  readonly family: number;
  readonly ifindex: number;
  readonly handle: number;
  readonly parent: number;
  /** Filters: TC_H_MAKE(prio << 16, htons(protocol)); qdiscs: refcount. */
  readonly info: number;
}

/** Read the tcmsg at `off` (default: right after the nlmsghdr), little-endian. KernelError EINVAL if it does not fit. */
export function readTcmsg(msg: Uint8Array, off = 16): Tcmsg {
  const v = decodeStruct(TCMSG, msg, off);
  return { family: Number(v['family']), ifindex: Number(v['ifindex']), handle: Number(v['handle']), parent: Number(v['parent']), info: Number(v['info']) };
}

/** Append a tcmsg (20 bytes, little-endian, pads zero). Returns its offset. */
export function putTcmsg(w: NlWriter, t: Tcmsg): number {
  return w.putBytes(encodeStruct(TCMSG, t as unknown as StructValue));
}

/** tcm_info of a filter: TC_H_MAKE(prio << 16, htons(protocol)), protocol given as the host-order EtherType (e.g. 0x0800). */
export function tcFilterInfo(prio: number, protocol: number): number {
  return (((prio & 0xffff) << 16) | (((protocol & 0xff) << 8) | ((protocol >>> 8) & 0xff))) >>> 0;
}

/** Split a filter's tcm_info into prio and the host-order EtherType. */
export function tcFilterInfoParts(info: number): { readonly prio: number; readonly protocol: number } {
  return { prio: info >>> 16, protocol: ((info & 0xff) << 8) | ((info >>> 8) & 0xff) };
}
