// Models the dump loop of net/netlink/af_netlink.c (netlink_dump,
// netlink_dump_done; Linux 6.18): a dump callback is called once per
// datagram ("skb") until it reports completion; each call fills as many
// messages as fit, and the NLMSG_DONE carrying the result goes into the
// datagram of the call that returned <= 0. For tc dumps that is always a
// datagram of its own (measured: filter dumps end with a separate 20-byte
// NLMSG_DONE), and an object that does not fit an empty datagram ends the
// dump with NLMSG_DONE -EMSGSIZE and no extack message (measured).
import { ERRNO } from '@tcbpf/uapi';
import type { AckOptions } from './ack.js';
import { netlinkDumpDone } from './ack.js';
import type { ExtAck } from './extack.js';
import { NlWriter } from './nlattr.js';
import { nlmsgEnd, nlmsgPut } from './nlmsg.js';

/** The datagram one dump call fills. */
export interface DumpSkb {
  /** Bytes already in this datagram. */
  readonly len: number;
  /**
   * Append one message (nlmsg_put ... nlmsg_end) built by `fill`; if it would
   * exceed the datagram's size it is cancelled (nlmsg_cancel) and false is
   * returned, so the callback stops and resumes there on the next call.
   */
  put(type: number, flags: number, fill: (w: NlWriter) => void): boolean;
}

/** Options of a dump: the ack options plus the request's sequence number and the datagram size. */
export interface DumpOptions extends AckOptions {
  readonly seq: number;
  /** Usable bytes per datagram (the kernel allocates up to 32 KiB for a reader with a large buffer). */
  readonly size?: number;
}

const MAX_ROUNDS = 1 << 20;

/**
 * Run a dump: `dumpit` is called with a fresh datagram until it returns 0
 * (done) or a negative errno, like a kernel `->dumpit` (return the datagram's
 * length to be called again). -EMSGSIZE with messages in the datagram means
 * "full, call me again" (netlink_dump turns it into skb->len). Returns the
 * datagrams a reader would receive; the last one ends with NLMSG_DONE.
 */
export function runDump(opts: DumpOptions, ext: ExtAck | null, dumpit: (skb: DumpSkb) => number): Uint8Array[] {
  const size = opts.size ?? 32768;
  const out: Uint8Array[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const w = new NlWriter(Math.min(size, 4096));
    const skb: DumpSkb = {
      get len() {
        return w.length;
      },
      put(type, flags, fill) {
        const start = nlmsgPut(w, type, flags, opts.seq, opts.portid);
        fill(w);
        nlmsgEnd(w, start);
        if (w.length > size) {
          w.truncate(start);
          return false;
        }
        return true;
      },
    };
    let ret = dumpit(skb);
    if (ret === -ERRNO.EMSGSIZE && w.length > 0) ret = w.length;
    if (ret > 0 && w.length > 0) {
      out.push(w.finish());
      continue;
    }
    const done = netlinkDumpDone(opts.seq, ret > 0 ? 0 : ret, ext, opts);
    w.putBytes(done);
    out.push(w.finish());
    return out;
  }
  throw new RangeError(`dump did not finish after ${MAX_ROUNDS} datagrams`);
}

