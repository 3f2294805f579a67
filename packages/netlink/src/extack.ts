// Models struct netlink_ext_ack of include/linux/netlink.h (Linux 6.18) and its
// NL_SET_ERR_MSG* / NL_SET_BAD_ATTR setters: the per-request record of the
// error (or warning) text, the offending attribute, the rejecting policy, a
// cookie and a missing attribute, which netlink_ack turns into TLVs.
import type { KernelError } from '@tcbpf/base';
import type { NlaPolicyEntry } from './policy.js';

/**
 * Extended-ACK state of one request. Offsets are byte offsets from the start
 * of the request's nlmsghdr (what NLMSGERR_ATTR_OFFS carries); -1 = unset.
 * A request handler creates one, passes it down (or `null` where the kernel
 * passes a NULL extack), and hands it to `netlinkAck`.
 */
export class ExtAck {
  /** NLMSGERR_ATTR_MSG text ('' = none). On success it is a warning. */
  msg = '';
  /** NLMSGERR_ATTR_OFFS: offset of the offending attribute (-1 = none). */
  badAttr = -1;
  /** NLMSGERR_ATTR_POLICY: the policy entry that rejected the attribute. */
  policy: NlaPolicyEntry | undefined = undefined;
  /** NLMSGERR_ATTR_COOKIE. */
  cookie: Uint8Array | undefined = undefined;
  /** NLMSGERR_ATTR_MISS_TYPE (0 = none). */
  missType = 0;
  /** NLMSGERR_ATTR_MISS_NEST offset (-1 = none). */
  missNest = -1;

  /** NL_SET_ERR_MSG. */
  setMsg(msg: string): void {
    this.msg = msg;
  }

  /** NL_SET_ERR_MSG_ATTR_POL (policy may be undefined: NL_SET_ERR_MSG_ATTR). */
  setAttr(msg: string, offset: number, policy?: NlaPolicyEntry): void {
    this.msg = msg;
    this.badAttr = offset;
    this.policy = policy;
  }

  /** NL_SET_ERR_ATTR_MISS: a required attribute `type` is missing in the nest at `nestOffset` (-1: top level). */
  setMissing(msg: string, type: number, nestOffset = -1): void {
    this.msg = msg;
    this.missType = type;
    this.missNest = nestOffset;
  }

  /**
   * Fold a thrown KernelError into this record: its extack text and attribute
   * offset win when set (they are what the failing code set last).
   */
  adopt(e: KernelError): void {
    if (e.extack !== '') this.msg = e.extack;
    if (e.attrOffset !== undefined && e.attrOffset >= 0) this.badAttr = e.attrOffset;
  }
}
