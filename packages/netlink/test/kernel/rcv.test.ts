// netlink_rcv_skb against the kernel: datagrams of several messages (control
// messages, messages without NLM_F_REQUEST, refusals, truncated tails) get
// exactly the acks netlinkRcvSkb produces, byte for byte.
import { KernelError, toHex } from '@tcbpf/base';
import { Netns, kernelOracle } from '@tcbpf/testing';
import { NLM_F, NLMSG, RTM, TCA } from '@tcbpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtAck } from '../../src/index.js';
import { NlWriter, RTM_TCA_POLICY, formatStream, netlinkRcvSkb, nlmsgEnd, nlmsgParse, nlmsgPut } from '../../src/index.js';
import { probe } from './probe.js';

const k = kernelOracle();

function m(type: number, flags: number, seq: number, build?: (w: NlWriter) => void): Uint8Array {
  const w = new NlWriter();
  const s = nlmsgPut(w, type, flags, seq, 0);
  build?.(w);
  nlmsgEnd(w, s);
  return w.finish();
}
const qdisc = (flags: number, seq: number): Uint8Array => m(RTM.NEWQDISC, flags, seq, (w) => {
  const t = w.reserve(20);
  w.setS32(t + 4, 9999);
  w.string(TCA.KIND, 'clsact');
});
const cat = (...bs: Uint8Array[]): Uint8Array => {
  const o = new Uint8Array(bs.reduce((a, b) => a + b.length, 0));
  let p = 0;
  for (const b of bs) {
    o.set(b, p);
    p += b.length;
  }
  return o;
};
const R = NLM_F.REQUEST;
const A = NLM_F.ACK;

const CASES: { name: string; bytes: Uint8Array; untilSeq: number }[] = [
  { name: 'NOOP with ACK, then a refused request without ACK', bytes: cat(m(NLMSG.NOOP, R | A, 1), qdisc(R, 2)), untilSeq: 2 },
  { name: 'ACK without REQUEST, NOOP without ACK, short header with ACK', bytes: cat(qdisc(A, 3), m(NLMSG.NOOP, R, 4), m(RTM.NEWQDISC, R | A, 5, (w) => w.reserve(8))), untilSeq: 5 },
  { name: 'request followed by 3 stray bytes (dropped)', bytes: cat(qdisc(R | A, 6), new Uint8Array([1, 2, 3])), untilSeq: 6 },
  { name: 'request followed by a header claiming more than the datagram', bytes: cat(qdisc(R, 7), m(RTM.NEWQDISC, R | A, 8, (w) => w.reserve(20)).subarray(0, 24).map((x, i) => (i === 0 ? 200 : x))), untilSeq: 7 },
  { name: 'control types with REQUEST|ACK: DONE and ERROR', bytes: cat(m(NLMSG.DONE, R | A, 9, (w) => w.reserve(4)), m(NLMSG.ERROR, R | A, 10, (w) => w.reserve(20))), untilSeq: 10 },
];

/** The handler side of the model: rtm_tca_policy, then the device lookup fails (ifindex 9999). */
function handler(msg: { bytes: Uint8Array }, ext: ExtAck): void {
  nlmsgParse(msg.bytes, 0, 20, RTM_TCA_POLICY, 'deprecated', ext);
  throw new KernelError('ENODEV');
}

describe.skipIf(!k.ok)(`netlink_rcv_skb acks match the kernel (kernel: ${k.reason || 'available'})`, () => {
  let ns: Netns;
  beforeAll(() => {
    ns = new Netns('rcv');
  });
  afterAll(() => ns?.close());

  it('every datagram gets the same acks, in the same order', () => {
    const res = probe(ns, CASES);
    const bad: string[] = [];
    CASES.forEach((c, i) => {
      const r = res[i]!;
      const ours = netlinkRcvSkb(c.bytes, { portid: r.portid, extAck: true }, handler);
      const theirs = r.replies;
      if (ours.map(toHex).join('|') !== theirs.map(toHex).join('|')) {
        bad.push(`${c.name}\nkernel:\n${theirs.map(formatStream).join('\n')}\nmodel:\n${ours.map(formatStream).join('\n')}`);
      }
    });
    expect(bad.join('\n\n')).toBe('');
  });
});
