// Runs nlprobe.py inside a namespace: sends hand-made requests to the real
// kernel and returns its replies (one datagram list per request).
import { spawnSync } from 'node:child_process';
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
export function probe(ns: Netns, reqs: readonly { bytes: Uint8Array; capAck?: boolean; proto?: number; untilSeq?: number }[]): ProbeReply[] {
  const input = JSON.stringify(reqs.map((r) => ({ hex: toHex(r.bytes), capAck: r.capAck === true, proto: r.proto ?? 0, ...(r.untilSeq === undefined ? {} : { untilSeq: r.untilSeq }) })));
  // not ns.run(): the replies of thousands of requests exceed spawnSync's default 1 MiB buffer
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'python3', SCRIPT], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`nlprobe.py failed (${r.status ?? r.signal}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { replies: string[]; portid: number }[];
  return out.map((o) => ({ replies: o.replies.map(fromHex), portid: o.portid }));
}
