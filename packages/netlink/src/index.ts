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
  NLA, NLA_TYPE_NAMES, NL_VALIDATE, MAX_POLICY_RECURSION_DEPTH, definePolicy, NlAttrs, nlaParse, nlaValidate, nlmsgParse, parseNestedAt,
} from './policy.js';
export type { NlaType, NlaValidation, NlaPolicyEntry, NlaPolicy, NlaPolicySpec } from './policy.js';
export { writePolicyAttr, netlinkAck, netlinkAckError, netlinkDumpDone, parseAck } from './ack.js';
export type { AckOptions, AckInfo } from './ack.js';
