// Models netlink_ack, netlink_ack_tlv_fill and netlink_dump_done of
// net/netlink/af_netlink.c, and netlink_policy_dump_write_attr of
// net/netlink/policy.c (Linux 6.18): NLMSG_ERROR acks (success and error, full
// or capped) with extended-ACK TLVs, the NLMSG_DONE that ends a dump, and the
// parsing of both on the receiving side. Integers are little-endian (host order).
import { HOST_LITTLE_ENDIAN, KernelError } from '@tcbpf/base';
import { NLM_F, NLMSG, NLMSGERR_ATTR, NL_ATTR_TYPE, NL_POLICY_TYPE_ATTR } from '@tcbpf/uapi';
import type { ExtAck } from './extack.js';
import { NLA_HDRLEN, NlWriter, decodeUtf8, walkAttrs } from './nlattr.js';
import { NLMSG_HDRLEN, nlmsgEnd, nlmsgPut, readNlmsghdr } from './nlmsg.js';
import type { NlMsg, NlMsgHeader } from './nlmsg.js';
import { NLA } from './policy.js';
import type { NlaPolicyEntry } from './policy.js';

const LE = HOST_LITTLE_ENDIAN;

/** Socket options of the requesting socket that shape its acks. */
export interface AckOptions {
  /** nlmsg_pid of the ack: the requester's port id. */
  readonly portid: number;
  /** NETLINK_CAP_ACK set: error acks echo only the request header. */
  readonly capAck?: boolean;
  /** NETLINK_EXT_ACK set: extack TLVs are included. */
  readonly extAck?: boolean;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * netlink_policy_dump_write_attr(skb, pt, NLMSGERR_ATTR_POLICY): describe the
 * rejecting policy entry as a nest (NLA_F_NESTED set). Entries the kernel does
 * not describe (UNSPEC, REJECT) write nothing. Returns whether it wrote.
 */
export function writePolicyAttr(w: NlWriter, pt: NlaPolicyEntry, nestType: number): boolean {
  const nest = w.nestStart(nestType, true);
  let type: number;
  switch (pt.type) {
    case NLA.UNSPEC:
    case NLA.REJECT:
      w.nestCancel(nest);
      return false;
    case NLA.NESTED:
      type = NL_ATTR_TYPE.NESTED;
      break;
    case NLA.NESTED_ARRAY:
      type = NL_ATTR_TYPE.NESTED_ARRAY;
      break;
    case NLA.U8:
    case NLA.U16:
    case NLA.U32:
    case NLA.U64:
    case NLA.UINT:
    case NLA.MSECS:
    case NLA.BE16:
    case NLA.BE32: {
      const t = pt.type;
      type = t === NLA.U8 ? NL_ATTR_TYPE.U8 : t === NLA.U16 || t === NLA.BE16 ? NL_ATTR_TYPE.U16 : t === NLA.U32 || t === NLA.BE32 ? NL_ATTR_TYPE.U32 : t === NLA.U64 ? NL_ATTR_TYPE.U64 : NL_ATTR_TYPE.UINT;
      if (pt.validation === 'mask') {
        w.u64(NL_POLICY_TYPE_ATTR.MASK, BigInt(pt.mask >>> 0));
        break;
      }
      const typeMax = t === NLA.U8 ? 0xffn : t === NLA.U16 || t === NLA.BE16 ? 0xffffn : t === NLA.U32 || t === NLA.BE32 ? 0xffff_ffffn : U64_MAX;
      const min = pt.validation === 'range' || pt.validation === 'min' ? BigInt(pt.min) : 0n;
      const max = pt.validation === 'range' || pt.validation === 'max' ? BigInt(pt.max) : typeMax;
      w.u64(NL_POLICY_TYPE_ATTR.MIN_VALUE_U, min);
      w.u64(NL_POLICY_TYPE_ATTR.MAX_VALUE_U, max);
      break;
    }
    case NLA.S8:
    case NLA.S16:
    case NLA.S32:
    case NLA.S64:
    case NLA.SINT: {
      const t = pt.type;
      type = t === NLA.S8 ? NL_ATTR_TYPE.S8 : t === NLA.S16 ? NL_ATTR_TYPE.S16 : t === NLA.S32 ? NL_ATTR_TYPE.S32 : t === NLA.S64 ? NL_ATTR_TYPE.S64 : NL_ATTR_TYPE.SINT;
      const bits = t === NLA.S8 ? 8n : t === NLA.S16 ? 16n : t === NLA.S32 ? 32n : 64n;
      const tmin = -(1n << (bits - 1n));
      const tmax = (1n << (bits - 1n)) - 1n;
      const min = pt.validation === 'range' || pt.validation === 'min' ? BigInt(pt.min) : tmin;
      const max = pt.validation === 'range' || pt.validation === 'max' ? BigInt(pt.max) : tmax;
      w.s64(NL_POLICY_TYPE_ATTR.MIN_VALUE_S, min);
      w.s64(NL_POLICY_TYPE_ATTR.MAX_VALUE_S, max);
      break;
    }
    case NLA.BITFIELD32:
      type = NL_ATTR_TYPE.BITFIELD32;
      w.u32(NL_POLICY_TYPE_ATTR.BITFIELD32_MASK, pt.bitfield32Valid);
      break;
    case NLA.STRING:
    case NLA.NUL_STRING:
    case NLA.BINARY:
      type = pt.type === NLA.STRING ? NL_ATTR_TYPE.STRING : pt.type === NLA.NUL_STRING ? NL_ATTR_TYPE.NUL_STRING : NL_ATTR_TYPE.BINARY;
      if (pt.validation === 'range' || pt.validation === 'range-warn-too-long' || pt.validation === 'min' || pt.validation === 'max') {
        const min = pt.validation === 'max' ? 0 : pt.min;
        const max = pt.validation === 'min' ? 0xffff : pt.max;
        if (min !== 0) w.u32(NL_POLICY_TYPE_ATTR.MIN_LENGTH, min);
        if (max < 0xffff) w.u32(NL_POLICY_TYPE_ATTR.MAX_LENGTH, max);
      } else if (pt.len !== 0) {
        w.u32(NL_POLICY_TYPE_ATTR.MAX_LENGTH, pt.len);
      }
      break;
    case NLA.FLAG:
      type = NL_ATTR_TYPE.FLAG;
      break;
    default:
      w.nestCancel(nest);
      return false;
  }
  w.u32(NL_POLICY_TYPE_ATTR.TYPE, type);
  w.nestEnd(nest);
  return true;
}

/**
 * netlink_ack: the NLMSG_ERROR reply to `req` (the request's bytes, nlmsghdr
 * first). `error` is 0 or a negative errno. Success acks and, with
 * NETLINK_CAP_ACK, error acks echo only the request header (NLM_F_CAPPED);
 * other error acks echo the whole request. With NETLINK_EXT_ACK the TLVs of
 * `ext` follow (NLM_F_ACK_TLVS): MSG and COOKIE always, OFFS, POLICY,
 * MISS_TYPE, MISS_NEST only for errors.
 */
export function netlinkAck(req: Uint8Array, error: number, ext: ExtAck | null, opts: AckOptions): Uint8Array {
  const hdr = readNlmsghdr(req, 0);
  const capped = error === 0 || opts.capAck === true;
  let flags = capped ? NLM_F.CAPPED : 0;
  const tlvs = opts.extAck === true && ext !== null ? ackTlvs(ext, error, hdr.len) : undefined;
  if (tlvs !== undefined && tlvs.length > 0) flags |= NLM_F.ACK_TLVS;
  const w = new NlWriter(64 + (capped ? 0 : req.length));
  const start = nlmsgPut(w, NLMSG.ERROR, flags, hdr.seq, opts.portid);
  const at = w.reserve(4 + NLMSG_HDRLEN);
  w.setS32(at, error);
  // errmsg->msg = *nlh (the header as received)
  w.setU32(at + 4, hdr.len);
  w.setU16(at + 8, hdr.type);
  w.setU16(at + 10, hdr.flags);
  w.setU32(at + 12, hdr.seq);
  w.setU32(at + 16, hdr.pid);
  if (!capped) w.putBytes(req.subarray(NLMSG_HDRLEN, Math.min(hdr.len, req.length)));
  if (tlvs !== undefined && tlvs.length > 0) w.putBytes(tlvs);
  nlmsgEnd(w, start);
  return w.finish();
}

function ackTlvs(ext: ExtAck, error: number, reqLen: number): Uint8Array {
  const w = new NlWriter(64);
  if (ext.msg !== '') w.string(NLMSGERR_ATTR.MSG, ext.msg);
  if (ext.cookie !== undefined && ext.cookie.length > 0) w.attr(NLMSGERR_ATTR.COOKIE, ext.cookie);
  if (error !== 0) {
    // the kernel WARNs and skips an offset outside the request
    if (ext.badAttr >= 0 && ext.badAttr < reqLen) w.u32(NLMSGERR_ATTR.OFFS, ext.badAttr);
    if (ext.policy !== undefined) writePolicyAttr(w, ext.policy, NLMSGERR_ATTR.POLICY);
    if (ext.missType !== 0) w.u32(NLMSGERR_ATTR.MISS_TYPE, ext.missType);
    if (ext.missNest >= 0 && ext.missNest < reqLen) w.u32(NLMSGERR_ATTR.MISS_NEST, ext.missNest);
  }
  return w.finish();
}

/**
 * The ack for a request that failed with `e`, a KernelError: its errno, and
 * its extack text and attribute offset folded into `ext`. Anything else is a
 * bug in the handler, not a refusal, and is rethrown.
 */
export function netlinkAckError(req: Uint8Array, e: unknown, ext: ExtAck | null, opts: AckOptions): Uint8Array {
  if (!KernelError.isInstance(e)) throw e;
  if (ext !== null) ext.adopt(e);
  return netlinkAck(req, e.negErrno, ext, opts);
}

/**
 * netlink_dump_done: NLMSG_DONE (flags NLM_F_MULTI) carrying the s32 dump
 * result. With NETLINK_EXT_ACK, the same TLVs as an ack follow
 * (NLM_F_ACK_TLVS): the message, and for a failed dump the offending
 * attribute's offset in the dump request and the policy (measured on 6.18).
 */
export function netlinkDumpDone(seq: number, error: number, ext: ExtAck | null, opts: AckOptions): Uint8Array {
  const w = new NlWriter(64);
  const tlvs = opts.extAck === true && ext !== null ? ackTlvs(ext, error, 0xffff_ffff) : undefined;
  const withTlv = tlvs !== undefined && tlvs.length > 0;
  const start = nlmsgPut(w, NLMSG.DONE, withTlv ? NLM_F.MULTI | NLM_F.ACK_TLVS : NLM_F.MULTI, seq, opts.portid);
  const at = w.reserve(4);
  w.setS32(at, error);
  if (withTlv) w.putBytes(tlvs);
  nlmsgEnd(w, start);
  return w.finish();
}

/** A decoded NLMSG_ERROR or NLMSG_DONE, as a receiver sees it. */
export interface AckInfo {
  /** NLMSG_ERROR or NLMSG_DONE. */
  readonly kind: 'error' | 'done';
  /** 0 (success) or a negative errno. */
  readonly error: number;
  /** The echoed request header (NLMSG_ERROR only). */
  readonly request: NlMsgHeader | undefined;
  /** The echoed request payload (uncapped error acks). */
  readonly requestPayload: Uint8Array | undefined;
  readonly capped: boolean;
  /** NLMSGERR_ATTR_MSG without its NUL. */
  readonly msg: string | undefined;
  readonly offset: number | undefined;
  readonly cookie: Uint8Array | undefined;
  /** NLMSGERR_ATTR_POLICY: the policy description's u32/u64 attributes by NL_POLICY_TYPE_ATTR number (u64 as bigint). */
  readonly policy: ReadonlyMap<number, number | bigint> | undefined;
  readonly missType: number | undefined;
  readonly missNest: number | undefined;
}

/**
 * Parse an NLMSG_ERROR or NLMSG_DONE message (its bytes, nlmsghdr first).
 * Malformed input throws KernelError EINVAL naming what is wrong.
 */
export function parseAck(msg: NlMsg): AckInfo {
  const b = msg.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bad = (what: string): never => {
    throw new KernelError('EINVAL', '', { where: `${msg.type === NLMSG.DONE ? 'NLMSG_DONE' : 'NLMSG_ERROR'} at ${msg.offset}: ${what}` });
  };
  if (msg.type !== NLMSG.ERROR && msg.type !== NLMSG.DONE) bad(`type ${msg.type} is not an ack`);
  const capped = (msg.flags & NLM_F.CAPPED) !== 0;
  let pos = NLMSG_HDRLEN;
  if (b.length < pos + 4) bad('no error code');
  const error = dv.getInt32(pos, LE);
  pos += 4;
  let request: NlMsgHeader | undefined;
  let requestPayload: Uint8Array | undefined;
  if (msg.type === NLMSG.ERROR) {
    if (b.length < pos + NLMSG_HDRLEN) bad('echoed request header truncated');
    request = readNlmsghdr(b, pos);
    pos += NLMSG_HDRLEN;
    if (!capped) {
      if (request.len < NLMSG_HDRLEN) bad(`echoed nlmsg_len ${request.len}`);
      const plen = request.len - NLMSG_HDRLEN;
      if (b.length < pos + plen) bad(`echoed request payload truncated (${plen} B expected)`);
      requestPayload = b.subarray(pos, pos + plen);
      pos += (plen + 3) & ~3;
    }
  }
  let m: string | undefined;
  let offset: number | undefined;
  let cookie: Uint8Array | undefined;
  let policy: Map<number, number | bigint> | undefined;
  let missType: number | undefined;
  let missNest: number | undefined;
  if ((msg.flags & NLM_F.ACK_TLVS) !== 0 && pos < b.length) {
    const { attrs, rem } = walkAttrs(b, pos, b.length - pos);
    if (rem > 0) bad(`${rem} bytes after the extack TLVs`);
    for (const a of attrs) {
      const d = a.offset + NLA_HDRLEN;
      switch (a.type) {
        case NLMSGERR_ATTR.MSG: {
          const s = b.subarray(d, d + a.len);
          const nul = s.indexOf(0);
          m = decodeUtf8(nul < 0 ? s : s.subarray(0, nul));
          break;
        }
        case NLMSGERR_ATTR.OFFS:
          if (a.len < 4) bad('short NLMSGERR_ATTR_OFFS');
          offset = dv.getUint32(d, LE);
          break;
        case NLMSGERR_ATTR.COOKIE:
          cookie = b.slice(d, d + a.len);
          break;
        case NLMSGERR_ATTR.POLICY: {
          policy = new Map();
          const inner = walkAttrs(b, d, a.len);
          if (inner.rem > 0) bad('malformed NLMSGERR_ATTR_POLICY');
          for (const p of inner.attrs) {
            const pd = p.offset + NLA_HDRLEN;
            if (p.len === 4) policy.set(p.type, dv.getUint32(pd, LE));
            else if (p.len === 8) policy.set(p.type, p.type === NL_POLICY_TYPE_ATTR.MIN_VALUE_S || p.type === NL_POLICY_TYPE_ATTR.MAX_VALUE_S ? dv.getBigInt64(pd, LE) : dv.getBigUint64(pd, LE));
            else bad(`policy attribute ${p.type} of ${p.len} B`);
          }
          break;
        }
        case NLMSGERR_ATTR.MISS_TYPE:
          if (a.len < 4) bad('short NLMSGERR_ATTR_MISS_TYPE');
          missType = dv.getUint32(d, LE);
          break;
        case NLMSGERR_ATTR.MISS_NEST:
          if (a.len < 4) bad('short NLMSGERR_ATTR_MISS_NEST');
          missNest = dv.getUint32(d, LE);
          break;
        default:
          break;
      }
    }
  }
  return { kind: msg.type === NLMSG.DONE ? 'done' : 'error', error, request, requestPayload, capped, msg: m, offset, cookie, policy, missType, missNest };
}
