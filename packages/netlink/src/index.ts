// @tcbpf/netlink — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze([
  'include/uapi/linux/netlink.h',
  'include/net/netlink.h',
  'lib/nlattr.c',
  'net/netlink/af_netlink.c (acks, extack)',
  'net/netlink/policy.c (policy TLV of extack)',
  'include/uapi/linux/rtnetlink.h',
  'include/uapi/linux/pkt_cls.h',
  'include/uapi/linux/pkt_sched.h',
]);

export { NLA_HDRLEN, NLA_ALIGNTO, nlaAlign, nlaTotalSize, walkAttrs, NlWriter, decodeUtf8, decodeUtf8Strict, encodeUtf8 } from './nlattr.js';
export type { NlAttrView } from './nlattr.js';
export { NLMSG_HDRLEN, nlmsgAlign, readNlmsghdr, splitMessages, nlmsgPut, nlmsgEnd, nlmsgCancel } from './nlmsg.js';
export type { NlMsg, NlMsgHeader } from './nlmsg.js';
export { ExtAck } from './extack.js';
export {
  NLA, NLA_TYPE_NAMES, NL_VALIDATE, MAX_POLICY_RECURSION_DEPTH, definePolicy, NlAttrs, nlaParse, nlaValidate, nlmsgParse, parseNestedAt, parseNestedArrayAt,
} from './policy.js';
export type { NlaType, NlaValidation, NlaPolicyEntry, NlaPolicy, NlaPolicySpec } from './policy.js';
export { writePolicyAttr, netlinkAck, netlinkAckError, netlinkDumpDone, parseAck } from './ack.js';
export type { AckOptions, AckInfo } from './ack.js';
export { defineStruct, decodeStruct, encodeStruct, structPaddingIsZero } from './struct.js';
export {
  NLMSGHDR, TCMSG, TCAMSG, TC_ESTIMATOR, TC_STATS, GNET_STATS_BASIC, GNET_STATS_RATE_EST, GNET_STATS_RATE_EST64, GNET_STATS_QUEUE, TCF_T,
  TC_GACT, TC_GACT_P, TC_MIRRED, TC_RATESPEC, TC_POLICE, NLA_BITFIELD32, SOCK_FILTER, TC_HTB_OPT, TC_HTB_GLOB, TC_HTB_XSTATS,
} from './struct.js';
export type { FieldType, StructField, StructLayout, StructValue } from './struct.js';
export { decodeAttrsExact, encodeAttrs, encodeAttrsToBytes } from './tree.js';
export type { AttrSet, AttrSpec, AttrNode, AttrValue, AttrFormat, ScalarKind, SetRef } from './tree.js';
export {
  CLS_BPF_NAME_LEN, BPF_MAXINSNS, RTM_TCA_POLICY, TCF_TFILTER_DUMP_POLICY, BPF_POLICY, TCF_ACTION_POLICY, TCAA_POLICY, MIRRED_POLICY, GACT_POLICY,
  POLICE_POLICY, ACTION_OPTIONS_POLICIES, HTB_SET, GNET_STATS_SET, MIRRED_SET, GACT_SET, POLICE_SET, ACTION_SET, ACTION_LIST_SET, BPF_SET, TCA_SET, TCA_ROOT_SET,
  POLICY_DESC_SET, NLMSGERR_SET, tcMessageLayout, readTcmsg, putTcmsg, tcFilterInfo, tcFilterInfoParts,
} from './tc.js';
export type { Tcmsg } from './tc.js';
export { decodeBody, decodeMessage, decodeStream, encodeStream, encodeMessage, RTNL_TYPE_NAMES, formatNlmsgFlags } from './rtnl.js';
export type { RtnlHeader, RtnlBody, RtnlMessage } from './rtnl.js';
export { formatHandle, formatVerdict, formatMessages, formatStream } from './format.js';
export { runDump } from './dump.js';
export type { DumpSkb, DumpOptions } from './dump.js';
export { netlinkRcvSkb } from './rcv.js';
export type { RcvResult } from './rcv.js';
