import { NLM_F, NLMSG, RTM } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { ExtAck, parseAck, runDump, splitMessages } from '../src/index.js';
import type { DumpSkb } from '../src/index.js';

// A dump of `n` objects of `size` payload bytes, resuming where the previous datagram stopped
// (the kernel's cb->args), the way tc's dump callbacks work.
function objects(n: number, size: number): (skb: DumpSkb) => number {
  let next = 0;
  return (skb) => {
    while (next < n) {
      const ok = skb.put(RTM.NEWTFILTER, NLM_F.MULTI, (w) => {
        w.reserve(20);
        w.attr(2, new Uint8Array(size));
      });
      if (!ok) return skb.len === 0 ? -90 : skb.len;
      next++;
    }
    return skb.len;
  };
}

describe('runDump (netlink_dump loop)', () => {
  it('fills datagrams, then NLMSG_DONE in a datagram of its own', () => {
    const dgs = runDump({ seq: 7, portid: 99, size: 1000 }, null, objects(5, 300));
    // each message: 16 + 20 + 304 = 340 B; two fit in 1000
    expect(dgs.map((d) => splitMessages(d).length)).toEqual([2, 2, 1, 1]);
    const last = splitMessages(dgs[3]!)[0]!;
    expect([last.type, last.flags, last.seq, last.pid]).toEqual([NLMSG.DONE, NLM_F.MULTI, 7, 99]);
    expect(parseAck(last).error).toBe(0);
  });

  it('an object larger than an empty datagram ends the dump with -EMSGSIZE and no message', () => {
    const dgs = runDump({ seq: 1, portid: 1, size: 1000, extAck: true }, new ExtAck(), objects(3, 2000));
    expect(dgs).toHaveLength(1);
    const done = splitMessages(dgs[0]!)[0]!;
    expect(parseAck(done)).toMatchObject({ kind: 'done', error: -90, msg: undefined });
    expect(done.flags).toBe(NLM_F.MULTI);
  });

  it('an error with an extack message puts it on the DONE', () => {
    const ext = new ExtAck();
    const dgs = runDump({ seq: 1, portid: 1, extAck: true }, ext, () => {
      ext.setMsg('Cannot find specified filter chain');
      return -22;
    });
    expect(parseAck(splitMessages(dgs[0]!)[0]!)).toMatchObject({ error: -22, msg: 'Cannot find specified filter chain' });
  });
});
