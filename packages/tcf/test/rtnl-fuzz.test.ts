// Property/fuzz tests of the rtnetlink endpoint: random and mutated tc
// requests never crash or hang the kernel instance, every request gets its
// ACK/DONE, and a refused request leaves the state exactly as it was: the full
// dump (qdiscs, classes, filters of every block, chains, actions of every
// kind) afterwards equals the dump before. Sizes: fuzzRuns(ci, full).
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { fuzzFull, fuzzRuns, fuzzSeed } from '@tcbpf/testing';

/** Full-size runs take minutes: a per-test timeout instead of the default 60 s. */
const TIMEOUT = fuzzFull() ? 3_600_000 : 60_000;
import { toHex } from '@tcbpf/base';
import { NLM_F, RTM, TCA, TCA_ACT, TCA_HTB, TCA_MATCHALL, TCA_ROOT, TC_ACT } from '@tcbpf/uapi';
import { NlWriter, gactSpec, mirredSpec, matchallOptions, writeActions, type ActionSpec, type AttrWriter } from '../src/index.js';
import { makeSim } from './support/sim.js';

type Sim = ReturnType<typeof makeSim>;
const KINDS = ['gact', 'mirred', 'police', 'skbedit', 'csum'];

/**
 * Everything a user can see: every dump, in a fixed order. (A standalone action
 * dump marks used_hw_stats valid, which later filter dumps show — so callers
 * take one snapshot first to settle that, as the kernel would after `tc actions ls`.)
 */
function snapshot(sim: Sim): string {
  const out: string[] = [];
  const dump = (type: number, body: (w: NlWriter) => void): void => {
    for (const m of sim.tc.request(type, NLM_F.REQUEST | NLM_F.DUMP, body)) out.push(toHex(m.subarray(16)));
  };
  dump(RTM.GETQDISC, (w) => w.tcmsg(0, 0, 0, 0));
  for (const nd of sim.net.devs.values()) {
    dump(RTM.GETTCLASS, (w) => w.tcmsg(nd.ifindex, 0, 0, 0));
    for (const parent of [0, 0xfffffff2, 0xfffffff3, 0x10000, 0xffff0000]) {
      dump(RTM.GETTFILTER, (w) => w.tcmsg(nd.ifindex, 0, parent, 0));
      dump(RTM.GETCHAIN, (w) => w.tcmsg(nd.ifindex, 0, parent, 0));
    }
  }
  for (const b of [5, 6]) dump(RTM.GETTFILTER, (w) => w.tcmsg(0xffffffff, 0, b, 0));
  for (const k of KINDS) {
    dump(RTM.GETACTION, (w) => {
      w.zeros(4);
      const t = w.nestStart(TCA_ROOT.TAB);
      const n = w.nestStart(1);
      w.str(TCA_ACT.KIND, k);
      w.nestEnd(n);
      w.nestEnd(t);
    });
  }
  return out.join('\n');
}

/** A populated instance: clsact (shared ingress block 5) + filters + actions on va, htb with classes on vb. */
function populated(): Sim {
  const sim = makeSim(3);
  const va = sim.va.ifindex;
  const vb = sim.vb.ifindex;
  sim.tc.clsact(va, 5, 0);
  sim.tc.filter('add', { ifindex: 0xffffffff, parent: 5, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({ actions: [gactSpec(TC_ACT.OK, 7)] }) });
  sim.tc.filter('add', { ifindex: va, parent: 0xfffffff3, prio: 2, protocol: 0x0800, kind: 'matchall', chain: 3, options: matchallOptions({ classid: 0x10001, actions: [mirredSpec(2, vb, TC_ACT.PIPE, 4), gactSpec(TC_ACT.GOTO_CHAIN | 3, 0)] }) });
  sim.tc.actions('add', [gactSpec(TC_ACT.SHOT, 20)]);
  sim.tc.qdisc('add', { ifindex: vb, parent: 0xffffffff, handle: 0x10000, kind: 'htb', options: (w) => {
    const p = w.attrReserve(TCA_HTB.INIT, 20);
    w.setU32(p, 3);
    w.setU32(p + 4, 10);
    w.setU32(p + 8, 0x10);
  } });
  sim.tc.request(RTM.NEWTCLASS, 0x605, htbClassBody(vb, 0x10010, 0x10000));
  sim.tc.request(RTM.NEWTCLASS, 0x605, htbClassBody(vb, 0x10020, 0x10000));
  sim.tc.filter('add', { ifindex: vb, parent: 0x10000, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({ classid: 0x10010 }) });
  snapshot(sim);
  return sim;
}

function htbClassBody(ifindex: number, classid: number, parent: number): (w: NlWriter) => void {
  return (w) => {
    w.tcmsg(ifindex, classid, parent, 0);
    w.str(TCA.KIND, 'htb');
    const n = w.nestStart(TCA.OPTIONS);
    const p = w.attrReserve(TCA_HTB.PARMS, 44);
    w.setU8(p + 1, 1);
    w.setU32(p + 8, 125000);
    w.setU8(p + 13, 1);
    w.setU32(p + 20, 125000);
    w.setU32(p + 24, 10000);
    w.setU32(p + 28, 10000);
    w.nestEnd(n);
  };
}

/** Request templates touching every object type (valid or nearly so before mutation). */
function templates(sim: Sim): Uint8Array[] {
  const va = sim.va.ifindex;
  const vb = sim.vb.ifindex;
  const msg = (type: number, flags: number, body: (w: NlWriter) => void): Uint8Array => {
    const w = new NlWriter();
    const m = w.msgStart(type, flags, 99, 0);
    body(w);
    w.msgEnd(m);
    return w.bytes();
  };
  const filt = (ifindex: number, parent: number, prio: number, kind: string, opts: AttrWriter, chain?: number): Uint8Array =>
    msg(RTM.NEWTFILTER, 0x605, (w) => {
      w.tcmsg(ifindex, 0, parent, ((prio << 16) | 0x0300) >>> 0);
      w.str(TCA.KIND, kind);
      if (chain !== undefined) w.u32(TCA.CHAIN, chain);
      const n = w.nestStart(TCA.OPTIONS);
      opts(w);
      w.nestEnd(n);
    });
  const acts = (list: ActionSpec[]): AttrWriter => (w) => {
    const n = w.nestStart(TCA_MATCHALL.ACT);
    writeActions(w, list);
    w.nestEnd(n);
  };
  const actMsg = (type: number, flags: number, list: ActionSpec[], withOpts = true): Uint8Array =>
    msg(type, flags, (w) => {
      w.zeros(4);
      const t = w.nestStart(TCA_ROOT.TAB);
      writeActions(w, list, withOpts);
      w.nestEnd(t);
    });
  return [
    filt(va, 0xfffffff3, 9, 'matchall', acts([gactSpec(TC_ACT.SHOT, 30), mirredSpec(1, vb, TC_ACT.STOLEN, 31)])),
    filt(va, 0xfffffff3, 12, 'matchall', matchallOptions({ classid: 0x10002 }), 3),
    filt(0xffffffff, 5, 4, 'matchall', acts([gactSpec(TC_ACT.PIPE, 7), gactSpec(TC_ACT.OK, 0, { ptype: 2, pval: 3, paction: TC_ACT.SHOT })])),
    filt(vb, 0x10000, 3, 'matchall', matchallOptions({ classid: 0x10010, actions: [gactSpec(TC_ACT.JUMP | 1, 0)] })),
    filt(va, 0xfffffff3, 6, 'bpf', (w) => {
      w.u16(4, 1);
      w.attr(5, new Uint8Array([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    }),
    msg(RTM.DELTFILTER, 5, (w) => {
      w.tcmsg(va, 1, 0xfffffff3, (2 << 16) | 0x0008);
      w.u32(TCA.CHAIN, 3);
    }),
    msg(RTM.NEWCHAIN, 0x605, (w) => {
      w.tcmsg(va, 0, 0xfffffff3, 0);
      w.u32(TCA.CHAIN, 11);
    }),
    msg(RTM.DELCHAIN, 5, (w) => {
      w.tcmsg(va, 0, 0xfffffff3, 0);
      w.u32(TCA.CHAIN, 3);
    }),
    actMsg(RTM.NEWACTION, 0x605, [gactSpec(TC_ACT.SHOT, 22), mirredSpec(2, vb, TC_ACT.PIPE, 21)]),
    actMsg(RTM.NEWACTION, 0x705, [gactSpec(TC_ACT.OK, 20)]),
    actMsg(RTM.DELACTION, 5, [{ kind: 'gact', index: 20, options: () => {} }], false),
    msg(RTM.NEWQDISC, 0x605, (w) => {
      w.tcmsg(vb, 0xffff0000, 0xfffffff1, 0);
      w.str(TCA.KIND, 'clsact');
      w.u32(TCA.EGRESS_BLOCK, 6);
    }),
    msg(RTM.NEWQDISC, 0x605, (w) => {
      w.tcmsg(va, 0x30000, 0xffffffff, 0);
      w.str(TCA.KIND, 'prio');
      w.attr(TCA.OPTIONS, new Uint8Array([3, 0, 0, 0, 1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]));
    }),
    msg(RTM.DELQDISC, 5, (w) => w.tcmsg(vb, 0, 0xffffffff, 0)),
    msg(RTM.NEWTCLASS, 0x605, htbClassBody(vb, 0x10030, 0x10010)),
    msg(RTM.DELTCLASS, 5, (w) => w.tcmsg(vb, 0x10020, 0, 0)),
  ];
}

/** Send one datagram; return the error codes of its ACKs (0 = success) and check framing. */
function sendAndAcks(sim: Sim, req: Uint8Array): number[] {
  const replies = sim.tc.sock.request(req);
  const errs: number[] = [];
  for (const r of replies) {
    const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
    expect(v.getUint32(0, true)).toBe(r.length);
    if (v.getUint16(4, true) === 2) errs.push(v.getInt32(16, true));
  }
  return errs;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), v: fc.nat(255) }),
  fc.record({ kind: fc.constant('trunc' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), v: fc.nat(0xffff) }),
);

interface Mut {
  readonly kind: 'flip' | 'byte' | 'trunc' | 'u16';
  readonly at: number;
  readonly bit?: number;
  readonly v?: number;
}

function mutate(req: Uint8Array, muts: readonly Mut[]): Uint8Array {
  let b = req.slice();
  for (const m of muts) {
    // keep the nlmsghdr type/flags mostly intact: mutate the body (offset >= 16)
    const span = Math.max(1, b.length - 16);
    const at = 16 + (m.at % span);
    if (m.kind === 'flip' && at < b.length) b[at] = b[at]! ^ (1 << (m.bit ?? 0));
    else if (m.kind === 'byte' && at < b.length) b[at] = m.v ?? 0;
    else if (m.kind === 'u16' && at + 1 < b.length) {
      b[at] = (m.v ?? 0) & 0xff;
      b[at + 1] = (m.v ?? 0) >>> 8;
    } else if (m.kind === 'trunc') b = b.slice(0, Math.max(16, at));
  }
  new DataView(b.buffer).setUint32(0, b.length, true);
  return b;
}

describe('rtnetlink endpoint under malformed input', () => {
  const base = populated();
  const tpl = templates(base);

  test.prop([fc.nat(tpl.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 })], { numRuns: fuzzRuns(300, 10_000), seed: fuzzSeed() })(
    'fuzz: a refused mutated request leaves every dump unchanged',
    (which, muts) => {
      const sim = populated();
      const before = snapshot(sim);
      const req = mutate(templates(sim)[which]!, muts);
      const errs = sendAndAcks(sim, req);
      expect(errs.length).toBeLessThanOrEqual(1);
      if (errs.length === 1 && errs[0] !== 0) expect(snapshot(sim)).toBe(before);
    },
    TIMEOUT,
  );

  test.prop([fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.constantFrom(36, 37, 38, 40, 41, 42, 44, 45, 46, 48, 49, 50, 100, 101, 102), fc.nat(0xffff)], { numRuns: fuzzRuns(300, 10_000), seed: fuzzSeed() })(
    'fuzz: random bodies of every tc message type are answered and refusals change nothing',
    (body, type, flags) => {
      const sim = populated();
      const before = snapshot(sim);
      const w = new NlWriter();
      const m = w.msgStart(type, flags | NLM_F.REQUEST, 7, 0);
      w.raw(body);
      w.msgEnd(m);
      const req = w.bytes();
      const replies = sim.tc.sock.request(req);
      const last = replies[replies.length - 1];
      const isDump = (type & 3) === 2 && (flags & NLM_F.DUMP) === NLM_F.DUMP;
      if (isDump || (flags & NLM_F.ACK) !== 0) expect(last).toBeDefined();
      for (const r of replies) {
        const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
        if (v.getUint16(4, true) === 2 && v.getInt32(16, true) !== 0) expect(snapshot(sim)).toBe(before);
      }
    },
    TIMEOUT,
  );

  test.prop([fc.array(fc.tuple(fc.nat(tpl.length - 1), fc.array(mutation, { maxLength: 3 })), { minLength: 1, maxLength: 12 })], { numRuns: fuzzRuns(60, 2_000), seed: fuzzSeed() })(
    'fuzz: sequences of (mutated) requests: each refusal is a no-op, the instance stays consistent',
    (steps) => {
      const sim = populated();
      for (const [which, muts] of steps) {
        const before = snapshot(sim);
        const t = templates(sim)[which]!;
        const errs = sendAndAcks(sim, muts.length ? mutate(t, muts) : t);
        if (errs.length === 1 && errs[0] !== 0) expect(snapshot(sim)).toBe(before);
        else snapshot(sim);
      }
    },
    TIMEOUT,
  );
});

describe('fuzz templates', () => {
  it('every template is accepted by a populated instance (so mutations start from valid requests)', () => {
    const results = templates(populated()).map((_, i) => {
      const sim = populated();
      const errs = sendAndAcks(sim, templates(sim)[i]!);
      return `${i}:${errs.join(',')}`;
    });
    expect(results).toEqual(results.map((_, i) => `${i}:0`));
  });
});
