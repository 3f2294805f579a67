// Models include/uapi/linux/netlink.h framing (NLMSG_ALIGN, NLMSG_OK,
// NLMSG_NEXT), include/net/netlink.h nlmsg_put/nlmsg_end, and the message loop
// of netlink_rcv_skb in net/netlink/af_netlink.c (Linux 6.18): streams of
// nlmsghdr-framed messages, several per buffer, each padded to 4 bytes.
// nlmsghdr fields are host order: little-endian (HOST_LITTLE_ENDIAN).
import { HOST_LITTLE_ENDIAN, KernelError } from '@tcbpf/base';
import type { NlWriter } from './nlattr.js';

const LE = HOST_LITTLE_ENDIAN;

/** NLMSG_HDRLEN: sizeof(struct nlmsghdr). */
export const NLMSG_HDRLEN = 16;

/** NLMSG_ALIGN(len). */
export function nlmsgAlign(len: number): number {
  return (len + 3) & ~3;
}

/** The fields of struct nlmsghdr. */
export interface NlMsgHeader {
  /** nlmsg_len: header + payload (+ attribute padding), without the message's trailing alignment. */
  readonly len: number;
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** nlmsg_pid: the sender's port id (0 from the kernel). */
  readonly pid: number;
}

/** One message found in a stream. */
export interface NlMsg extends NlMsgHeader {
  /** Offset of the nlmsghdr in the stream buffer. */
  readonly offset: number;
  /** The message's bytes, nlmsghdr first, exactly `len` long (a view into the stream). */
  readonly bytes: Uint8Array;
}

/** Read a nlmsghdr at `off` (little-endian fields). KernelError EINVAL when fewer than 16 bytes are there. */
export function readNlmsghdr(buf: Uint8Array, off: number): NlMsgHeader {
  if (!(off >= 0 && off + NLMSG_HDRLEN <= buf.length)) throw new KernelError('EINVAL', '', { where: `nlmsghdr at ${off} needs 16 B, ${buf.length - off} left` });
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    len: dv.getUint32(off, LE),
    type: dv.getUint16(off + 4, LE),
    flags: dv.getUint16(off + 6, LE),
    seq: dv.getUint32(off + 8, LE),
    pid: dv.getUint32(off + 12, LE),
  };
}

/**
 * Split a buffer into messages.
 *
 * - `'kernel'` is how netlink_rcv_skb reads a request datagram: messages are
 *   taken while at least a header remains, nlmsg_len >= 16 and nlmsg_len fits;
 *   anything after that is dropped silently (no error, no ack).
 * - `'strict'` is how a user-space receiver checks a reply (NLMSG_OK): the
 *   buffer must be exactly a sequence of well-formed messages (the last may
 *   lack its alignment padding); otherwise KernelError EINVAL naming the offset.
 */
export function splitMessages(buf: Uint8Array, mode: 'kernel' | 'strict' = 'strict'): NlMsg[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NlMsg[] = [];
  let off = 0;
  while (buf.length - off >= NLMSG_HDRLEN) {
    const len = dv.getUint32(off, LE);
    if (len < NLMSG_HDRLEN || len > buf.length - off) {
      if (mode === 'kernel') return out;
      throw new KernelError('EINVAL', '', { where: `nlmsghdr at offset ${off}: nlmsg_len ${len} with ${buf.length - off} bytes left` });
    }
    out.push({
      len,
      type: dv.getUint16(off + 4, LE),
      flags: dv.getUint16(off + 6, LE),
      seq: dv.getUint32(off + 8, LE),
      pid: dv.getUint32(off + 12, LE),
      offset: off,
      bytes: buf.subarray(off, off + len),
    });
    off += Math.min(nlmsgAlign(len), buf.length - off);
  }
  if (off !== buf.length && mode === 'strict') {
    throw new KernelError('EINVAL', '', { where: `${buf.length - off} trailing bytes at offset ${off}, shorter than a nlmsghdr` });
  }
  return out;
}

/**
 * nlmsg_put: start a message in `w` (16-byte header, length fixed by
 * nlmsgEnd). Returns the message's start offset.
 */
export function nlmsgPut(w: NlWriter, type: number, flags: number, seq: number, pid: number): number {
  const at = w.reserve(NLMSG_HDRLEN);
  w.setU16(at + 4, type);
  w.setU16(at + 6, flags);
  w.setU32(at + 8, seq);
  w.setU32(at + 12, pid);
  w.setU32(at, NLMSG_HDRLEN);
  return at;
}

/** nlmsg_end: set nlmsg_len to everything written since `start`. Returns it. */
export function nlmsgEnd(w: NlWriter, start: number): number {
  const len = w.length - start;
  w.setU32(start, len);
  return len;
}

/** nlmsg_cancel: drop the message started at `start`. */
export function nlmsgCancel(w: NlWriter, start: number): void {
  w.truncate(start);
}
