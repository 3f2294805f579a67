// Runs nlprobe.py inside a namespace: sends hand-made requests to the real
// kernel and returns its replies (one datagram list per request).
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '@tcbpf/base';
import type { Netns } from '@tcbpf/testing';

/** The kernel's answer to one request. */
export interface ProbeReply {
  /** Datagrams received up to and including the one with the ERROR/DONE for the request. */
  readonly replies: Uint8Array[];
  /** The probe socket's port id (nlmsg_pid of the replies). */
  readonly portid: number;
}

const SCRIPT = fileURLToPath(new URL('./nlprobe.py', import.meta.url));

/** Send `reqs` from inside `ns`, in order, on sockets of protocol `proto` (default NETLINK_ROUTE) with NETLINK_EXT_ACK (and NETLINK_CAP_ACK when asked). */
export function probe(ns: Netns, reqs: readonly { bytes: Uint8Array; capAck?: boolean; proto?: number }[]): ProbeReply[] {
  const input = JSON.stringify(reqs.map((r) => ({ hex: toHex(r.bytes), capAck: r.capAck === true, proto: r.proto ?? 0 })));
  const out = JSON.parse(ns.run('python3', [SCRIPT], input)) as { replies: string[]; portid: number }[];
  return out.map((o) => ({ replies: o.replies.map(fromHex), portid: o.portid }));
}
