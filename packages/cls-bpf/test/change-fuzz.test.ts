// Property/fuzz tests of cls_bpf_change (net/sched/cls_bpf.c, Linux 6.18):
// arbitrary and mutated TCA_OPTIONS either create/replace a filter or are
// refused with a KernelError, never anything else, and a refusal leaves every
// dump (and the action table) exactly as before. Sizes: fuzzRuns(ci, full).
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { KernelError, toHex } from '@tcbpf/base';
import { fuzzFull, fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { NlWriter, TcfResult, mirredSpec } from '@tcbpf/tcf';
import { INGRESS, addBpf, bpfOptions, ingressSkb, ingressTp, makeSim, ret, type Sim } from './support/sim.js';

const TIMEOUT = fuzzFull() ? 3_600_000 : 60_000;

/** Message bytes without nlmsg_seq (each request has its own). */
const noSeq = (b: Uint8Array): string => {
  const h = toHex(b);
  return h.slice(0, 16) + h.slice(24);
};

function snapshot(sim: Sim): string {
  const f = sim.tc.filter('dump', { ifindex: sim.va.ifindex, parent: INGRESS }).map(noSeq).join('|');
  const a = sim.tc.actions('dump', [{ kind: 'mirred', options: () => undefined }]).map(noSeq).join('|');
  return `${f}#${a}`;
}

/** A valid TCA_OPTIONS payload to mutate. */
function template(): Uint8Array {
  const w = new NlWriter();
  bpfOptions([[0x28, 0, 0, 12], [0x15, 0, 1, 0x800], ret(-1), ret(0)], { classid: 0x10003, da: true, gen: 1, actions: [mirredSpec(2, 1, 3, 7)] })(w);
  return w.bytes();
}

const TPL = template();

function tryChange(sim: Sim, opts: Uint8Array, handle: number, replace: boolean): unknown {
  try {
    sim.tc.filter(replace ? 'replace' : 'add', { ifindex: sim.va.ifindex, parent: INGRESS, prio: 1, protocol: 3, handle, kind: 'bpf', options: (w) => { w.raw(opts); } });
    return null;
  } catch (e) {
    return e;
  }
}

function base(): Sim {
  const sim = makeSim();
  addBpf(sim, 1, [ret(-1)], { handle: 1, classid: 0x10001, actions: [mirredSpec(2, 1, 3, 5)] });
  addBpf(sim, 1, [ret(2)], { handle: 2, da: true });
  // the first RTM_GETACTION dump makes later filter dumps carry TCA_ACT_USED_HW_STATS (a @tcbpf/tcf
  // behaviour, not cls_bpf's): prime it so that before/after compare like with like
  snapshot(sim);
  return sim;
}

const mutation = fc.oneof(
  fc.record({ at: fc.nat(), byte: fc.nat(255) }).map((m) => (b: Uint8Array): Uint8Array => { const c = b.slice(); if (c.length) c[m.at % c.length] = m.byte; return c; }),
  fc.nat().map((n) => (b: Uint8Array): Uint8Array => b.slice(0, n % (b.length + 1))),
  fc.uint8Array({ maxLength: 12 }).map((x) => (b: Uint8Array): Uint8Array => { const c = new Uint8Array(b.length + x.length); c.set(b); c.set(x, b.length); return c; }),
);

describe('cls_bpf change', () => {
  test.prop([fc.uint8Array({ maxLength: 160 }), fc.constantFrom(0, 1, 2, 9), fc.boolean()], { numRuns: fuzzRuns(200, 10_000), seed: fuzzSeed() })(
    'fuzz: random TCA_OPTIONS bytes are accepted or refused with a KernelError, and refusals change nothing',
    (opts, handle, replace) => {
      const sim = base();
      const before = snapshot(sim);
      const e = tryChange(sim, opts, handle, replace);
      if (e !== null) {
        expect(e).toBeInstanceOf(KernelError);
        expect(snapshot(sim)).toBe(before);
      }
    },
    TIMEOUT,
  );

  test.prop([fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.constantFrom(0, 1, 2, 9), fc.boolean()], { numRuns: fuzzRuns(200, 10_000), seed: fuzzSeed() })(
    'fuzz: mutated valid options are accepted or refused cleanly; accepted ones classify without throwing',
    (muts, handle, replace) => {
      const sim = base();
      const before = snapshot(sim);
      const opts = muts.reduce((b, m) => m(b), TPL);
      const e = tryChange(sim, opts, handle, replace);
      if (e !== null) {
        expect(e).toBeInstanceOf(KernelError);
        expect(snapshot(sim)).toBe(before);
        return;
      }
      const tp = ingressTp(sim);
      const v = tp.ops.classify(ingressSkb(sim.va), tp, new TcfResult());
      expect(Number.isInteger(v)).toBe(true);
    },
    TIMEOUT,
  );

  test.prop([fc.array(fc.tuple(fc.nat(0xffff), fc.nat(255), fc.nat(255), fc.nat({ max: 0xffffffff })), { minLength: 1, maxLength: 12 })], { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() })(
    'fuzz: arbitrary classic programs are refused with EINVAL or run to the same verdict under JIT and interpreter',
    (prog) => {
      const sims = [makeSim(true), makeSim(false)];
      const errs = sims.map((s) => {
        try {
          addBpf(s, 1, prog, { da: true });
          return null;
        } catch (e) {
          return e;
        }
      });
      if (errs[0] !== null || errs[1] !== null) {
        for (const e of errs) expect(e).toBeInstanceOf(KernelError);
        expect((errs[0] as KernelError).errno).toBe('EINVAL');
        return;
      }
      for (const size of [14, 60, 300]) {
        const v = sims.map((s) => {
          const tp = ingressTp(s);
          return tp.ops.classify(ingressSkb(s.va, size), tp, new TcfResult());
        });
        expect(v[0]).toBe(v[1]);
      }
    },
    TIMEOUT,
  );
});
