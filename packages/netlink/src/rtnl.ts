// Models the rtnetlink traffic-control messages of Linux 6.18 as whole
// messages (include/uapi/linux/rtnetlink.h tcmsg/tcamsg + TCA_* attributes,
// and the NLMSG_ERROR / NLMSG_DONE replies of net/netlink/af_netlink.c):
// decode any message of a stream into a tree, encode the tree back to the same
// bytes, and print it. Nothing here validates (see policy.ts); decoding never
// throws for message contents: what it cannot type it keeps as raw bytes.
import { NLM_F, NLMSG, RTM } from '@tcbpf/uapi';
import { NlWriter } from './nlattr.js';
import { NLMSG_HDRLEN, nlmsgEnd, nlmsgPut, splitMessages } from './nlmsg.js';
import type { NlMsg } from './nlmsg.js';
import { NLMSGHDR, TCAMSG, TCMSG, decodeStruct, encodeStruct, structPaddingIsZero } from './struct.js';
import type { StructValue } from './struct.js';
import { NLMSGERR_SET, tcMessageLayout } from './tc.js';
import { decodeAttrsExact, encodeAttrs } from './tree.js';
import type { AttrNode } from './tree.js';

/** nlmsghdr fields other than the length (which encoding computes). */
export interface RtnlHeader {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
}

/** The body of a decoded message. */
export type RtnlBody =
  | { readonly kind: 'tc'; readonly family: 'tcmsg' | 'tcamsg'; readonly fixed: StructValue; readonly attrs: readonly AttrNode[] }
  | {
      readonly kind: 'error';
      readonly error: number;
      /** The echoed request header exactly as sent (including its nlmsg_len). */
      readonly request: StructValue;
      /** The echoed request payload (uncapped acks), decoded like a request body. */
      readonly requestBody: RtnlBody | undefined;
      readonly tlvs: readonly AttrNode[];
    }
  | { readonly kind: 'done'; readonly error: number; readonly tlvs: readonly AttrNode[] }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array };

/** A decoded rtnetlink message. */
export interface RtnlMessage {
  readonly header: RtnlHeader;
  readonly body: RtnlBody;
}

function raw(b: Uint8Array): RtnlBody {
  return { kind: 'raw', bytes: b.slice() };
}

/** Decode a message body (the bytes after nlmsghdr) of message `type`. */
export function decodeBody(type: number, flags: number, payload: Uint8Array): RtnlBody {
  if (type === NLMSG.ERROR) {
    if (payload.length < 4 + NLMSG_HDRLEN) return raw(payload);
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const error = dv.getInt32(0, true);
    const request = decodeStruct(NLMSGHDR, payload, 4);
    let pos = 4 + NLMSG_HDRLEN;
    let requestBody: RtnlBody | undefined;
    if ((flags & NLM_F.CAPPED) === 0) {
      const rlen = Number(request['len']) - NLMSG_HDRLEN;
      if (rlen < 0 || pos + rlen > payload.length) return raw(payload);
      requestBody = decodeBody(Number(request['type']), Number(request['flags']), payload.subarray(pos, pos + rlen));
      const padded = (rlen + 3) & ~3;
      if (pos + padded > payload.length || payload.subarray(pos + rlen, pos + padded).some((x) => x !== 0)) return raw(payload);
      pos += padded;
    }
    let tlvs: AttrNode[] = [];
    if (pos < payload.length) {
      if ((flags & NLM_F.ACK_TLVS) === 0) return raw(payload);
      const t = decodeAttrsExact(NLMSGERR_SET, payload, pos, payload.length - pos);
      if (t === undefined) return raw(payload);
      tlvs = t;
    }
    return { kind: 'error', error, request, requestBody, tlvs };
  }
  if (type === NLMSG.DONE) {
    if (payload.length < 4) return raw(payload);
    const error = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getInt32(0, true);
    let tlvs: AttrNode[] = [];
    if (payload.length > 4) {
      const t = decodeAttrsExact(NLMSGERR_SET, payload, 4, payload.length - 4);
      if (t === undefined || (flags & NLM_F.ACK_TLVS) === 0) return raw(payload);
      tlvs = t;
    }
    return { kind: 'done', error, tlvs };
  }
  const layout = tcMessageLayout(type);
  if (layout === undefined) return raw(payload);
  const st = layout.family === 'tcmsg' ? TCMSG : TCAMSG;
  if (payload.length < st.size || !structPaddingIsZero(st, payload, 0)) return raw(payload);
  const fixed = decodeStruct(st, payload, 0);
  const attrs = decodeAttrsExact(layout.set, payload, st.size, payload.length - st.size);
  if (attrs === undefined) return raw(payload);
  return { kind: 'tc', family: layout.family, fixed, attrs };
}

/** Decode one message (its bytes, nlmsghdr first, exactly nlmsg_len long). */
export function decodeMessage(m: NlMsg): RtnlMessage {
  return { header: { type: m.type, flags: m.flags, seq: m.seq, pid: m.pid }, body: decodeBody(m.type, m.flags, m.bytes.subarray(NLMSG_HDRLEN)) };
}

/**
 * Decode a datagram of messages. The framing must be sound (KernelError
 * EINVAL otherwise, see splitMessages 'strict'); message contents never make
 * it throw.
 */
export function decodeStream(buf: Uint8Array): RtnlMessage[] {
  return splitMessages(buf, 'strict').map(decodeMessage);
}

function encodeBody(w: NlWriter, body: RtnlBody): void {
  switch (body.kind) {
    case 'raw':
      w.putBytes(body.bytes);
      return;
    case 'tc':
      w.putBytes(encodeStruct(body.family === 'tcmsg' ? TCMSG : TCAMSG, body.fixed));
      encodeAttrs(w, body.attrs);
      return;
    case 'error': {
      const at = w.reserve(4);
      w.setS32(at, body.error);
      w.putBytes(encodeStruct(NLMSGHDR, body.request));
      if (body.requestBody !== undefined) encodeBody(w, body.requestBody);
      encodeAttrs(w, body.tlvs);
      return;
    }
    case 'done': {
      const at = w.reserve(4);
      w.setS32(at, body.error);
      encodeAttrs(w, body.tlvs);
      return;
    }
  }
}

/** Encode messages into one datagram (each message padded to 4 bytes). */
export function encodeStream(msgs: readonly RtnlMessage[]): Uint8Array {
  const w = new NlWriter(256);
  for (const m of msgs) {
    const s = nlmsgPut(w, m.header.type, m.header.flags, m.header.seq, m.header.pid);
    encodeBody(w, m.body);
    nlmsgEnd(w, s);
  }
  return w.finish();
}

/** Encode one message. */
export function encodeMessage(m: RtnlMessage): Uint8Array {
  return encodeStream([m]);
}

/** Names of the rtnetlink tc message types and netlink control types. */
export const RTNL_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries([
    ...Object.entries(RTM).filter(([k]) => k !== 'BASE' && k !== 'MAX').map(([k, v]) => [v, `RTM_${k}`]),
    [NLMSG.NOOP, 'NLMSG_NOOP'], [NLMSG.ERROR, 'NLMSG_ERROR'], [NLMSG.DONE, 'NLMSG_DONE'], [NLMSG.OVERRUN, 'NLMSG_OVERRUN'],
  ]) as Record<number, string>,
);

/** Name the nlmsg_flags bits the way they read for this message type (GET, NEW, DEL or ACK modifiers). */
export function formatNlmsgFlags(type: number, flags: number): string {
  const names: string[] = [];
  const base: [number, string][] = [[NLM_F.REQUEST, 'REQUEST'], [NLM_F.MULTI, 'MULTI'], [NLM_F.ACK, 'ACK'], [NLM_F.ECHO, 'ECHO'], [NLM_F.DUMP_INTR, 'DUMP_INTR'], [NLM_F.DUMP_FILTERED, 'DUMP_FILTERED']];
  const kind = type === NLMSG.ERROR || type === NLMSG.DONE ? 'ack' : type >= 16 ? ['new', 'del', 'get', 'set'][(type - 16) & 3] : 'ctl';
  let mods: [number, string][] = [];
  if (kind === 'get') mods = [[NLM_F.ROOT, 'ROOT'], [NLM_F.MATCH, 'MATCH'], [NLM_F.ATOMIC, 'ATOMIC']];
  else if (kind === 'new') mods = [[NLM_F.REPLACE, 'REPLACE'], [NLM_F.EXCL, 'EXCL'], [NLM_F.CREATE, 'CREATE'], [NLM_F.APPEND, 'APPEND']];
  else if (kind === 'del') mods = [[NLM_F.NONREC, 'NONREC'], [NLM_F.BULK, 'BULK']];
  else if (kind === 'ack') mods = [[NLM_F.CAPPED, 'CAPPED'], [NLM_F.ACK_TLVS, 'ACK_TLVS']];
  let left = flags;
  for (const [bit, n] of [...base, ...mods]) {
    if ((flags & bit) !== 0) {
      names.push(n);
      left &= ~bit;
    }
  }
  if (left !== 0) names.push(`0x${left.toString(16)}`);
  return names.length === 0 ? '0' : names.join('|');
}
