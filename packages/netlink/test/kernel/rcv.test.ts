// netlink_rcv_skb against the kernel: datagrams of several messages (control
// messages, messages without NLM_F_REQUEST, refusals, truncated tails) get
// exactly the acks netlinkRcvSkb produces, byte for byte.
import { KernelError, toHex } from '@tcbpf/base';
import { Netns, fuzzRuns, fuzzSeed, hasTool, kernelOracle } from '@tcbpf/testing';
import fc from 'fast-check';
import { NLM_F, NLMSG, RTM, TCA } from '@tcbpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtAck } from '../../src/index.js';
import { NlWriter, RTM_TCA_POLICY, formatStream, netlinkRcvSkb, nlmsgEnd, nlmsgParse, nlmsgPut } from '../../src/index.js';
import { probe } from './probe.js';

const k0 = kernelOracle();
// nlprobe.py needs python3 (its socket module speaks AF_NETLINK)
const k = !k0.ok ? k0 : hasTool('python3') ? k0 : { ok: false, reason: 'python3 not installed' };

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

  // one message of a random datagram
  const part = fc.record({
    kind: fc.constantFrom('noop', 'qdisc', 'short', 'done', 'garbage', 'overlong'),
    request: fc.boolean(),
    ack: fc.boolean(),
    junk: fc.uint8Array({ minLength: 1, maxLength: 15 }),
  });
  function datagram(parts: readonly { kind: string; request: boolean; ack: boolean; junk: Uint8Array }[], last: number): Uint8Array {
    const bs: Uint8Array[] = [];
    parts.forEach((p, i) => {
      const flags = (p.request ? R : 0) | (p.ack ? A : 0);
      const seq = 100 + i;
      switch (p.kind) {
        case 'noop': bs.push(m(NLMSG.NOOP, flags, seq)); break;
        case 'qdisc': bs.push(qdisc(flags, seq)); break;
        case 'short': bs.push(m(RTM.NEWQDISC, flags, seq, (w) => w.reserve(8))); break;
        case 'done': bs.push(m(NLMSG.DONE, flags, seq, (w) => w.reserve(4))); break;
        case 'garbage': bs.push(p.junk); break;
        case 'overlong': bs.push(qdisc(flags, seq).map((x, j) => (j === 0 ? 250 : x))); break;
      }
    });
    // a final NOOP|ACK that always answers, so the probe knows when the datagram is done
    // (unless garbage before it swallowed it: then the probe waits for an earlier one)
    bs.push(m(NLMSG.NOOP, R | A, last));
    return cat(...bs);
  }

  it('fuzz: random multi-message datagrams get the kernel\'s acks', () => {
    const samples = fc.sample(fc.array(part, { maxLength: 5 }), { numRuns: fuzzRuns(100, 2000), seed: fuzzSeed() });
    const cases = samples.map((parts, i) => {
      const bytes = datagram(parts, 5000 + i);
      const ours = netlinkRcvSkb(bytes, { portid: 0, extAck: true }, handler);
      // wait for the last ack our model expects (none: nothing to wait for, skip the datagram)
      const lastAck = ours[ours.length - 1];
      const untilSeq = lastAck === undefined ? -1 : new DataView(lastAck.buffer).getUint32(8, true);
      return { bytes, untilSeq, expectNone: ours.length === 0 };
    }).filter((c) => !c.expectNone);
    const res = probe(ns, cases);
    const bad: string[] = [];
    cases.forEach((c, i) => {
      const r = res[i]!;
      const ours = netlinkRcvSkb(c.bytes, { portid: r.portid, extAck: true }, handler);
      if (ours.map(toHex).join('|') !== r.replies.map(toHex).join('|')) bad.push(`${toHex(c.bytes)}\nkernel:\n${r.replies.map(formatStream).join('\n')}\nmodel:\n${ours.map(formatStream).join('\n')}`);
    });
    if (process.env['NL_REPORT'] === '1') process.stderr.write(`rcv fuzz: ${cases.length} datagrams compared (${res.reduce((a, r) => a + r.replies.length, 0)} acks), ${bad.length} mismatches\n`);
    expect(bad.slice(0, 2).join('\n\n')).toBe('');
    expect(cases.length).toBeGreaterThan(samples.length / 2);
  });
});
