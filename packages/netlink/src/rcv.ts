// Models netlink_rcv_skb of net/netlink/af_netlink.c (Linux 6.18): how the
// kernel walks a request datagram message by message, which messages reach
// the family's handler, and which get an ack. A message without
// NLM_F_REQUEST, or a control message (type < NLMSG_MIN_TYPE), is not
// handled but still acked with 0 when it asks for NLM_F_ACK; a handler's
// refusal is always acked; a started dump is not acked (its NLMSG_DONE ends
// it). Every ack is a datagram of its own. Measured on 6.18: NOOP|ACK and
// ACK-without-REQUEST both get a capped success ack.
import { KernelError } from '@tcbpf/base';
import { NLM_F, NLMSG } from '@tcbpf/uapi';
import type { AckOptions } from './ack.js';
import { netlinkAck, netlinkAckError } from './ack.js';
import { ExtAck } from './extack.js';
import { splitMessages } from './nlmsg.js';
import type { NlMsg } from './nlmsg.js';

/** What a handler returns: nothing (done; acked if NLM_F_ACK) or 'dump-started' (netlink_dump_start's -EINTR: no ack). */
export type RcvResult = void | 'dump-started';

/**
 * Feed one request datagram through the kernel's receive loop. `handler` gets
 * each message that reaches the family (with a fresh ExtAck, like the
 * kernel's per-message extack) and throws KernelError to refuse. Returns the
 * ack datagrams, in order; anything else the handler sends (replies, dump
 * parts) is the handler's own business.
 */
export function netlinkRcvSkb(datagram: Uint8Array, opts: AckOptions, handler: (msg: NlMsg, ext: ExtAck) => RcvResult): Uint8Array[] {
  const acks: Uint8Array[] = [];
  for (const msg of splitMessages(datagram, 'kernel')) {
    const ext = new ExtAck();
    if ((msg.flags & NLM_F.REQUEST) === 0 || msg.type < NLMSG.MIN_TYPE) {
      if ((msg.flags & NLM_F.ACK) !== 0) acks.push(netlinkAck(msg.bytes, 0, ext, opts));
      continue;
    }
    let result: RcvResult;
    try {
      result = handler(msg, ext);
    } catch (e) {
      if (!KernelError.isInstance(e)) throw e;
      acks.push(netlinkAckError(msg.bytes, e, ext, opts));
      continue;
    }
    if (result === 'dump-started') continue;
    if ((msg.flags & NLM_F.ACK) !== 0) acks.push(netlinkAck(msg.bytes, 0, ext, opts));
  }
  return acks;
}
