// Property/fuzz tests of cls_bpf_change for eBPF programs by fd (net/sched/cls_bpf.c,
// Linux 6.18): mutated TCA_OPTIONS around TCA_BPF_FD/TCA_BPF_NAME either create or
// replace a filter or are refused with a KernelError, never anything else, and a
// refusal leaves every dump as before; and arbitrary frames through a clang-built
// direct-action program (parse_classify.o) give a sanitised verdict without throwing.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { KernelError, toHex } from '@tcbpf/base';
import { instantiateObject, loadElfObject, loadTcProgram, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { SkBuff } from '@tcbpf/skb';
import { fuzzFull, fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { NlWriter, TCF_ALL_KINDS, TcClient, TcKernel, TcfResult, mirredSpec, writeActions, type IngressPriv, type TcfProto } from '@tcbpf/tcf';
import { BPF_PROG_TYPE, TCA_BPF, TC_ACT } from '@tcbpf/uapi';
import { JitRuntime } from '@tcbpf/jit';
import { createClsBpfOps } from '../src/index.js';
import { ETH_P_ALL, INGRESS } from './support/sim.js';

const TIMEOUT = fuzzFull() ? 3_600_000 : 60_000;
const PROGS = fileURLToPath(new URL('../../bpf-skb/test/fixtures/progs/', import.meta.url));
const retProg = (verdict: number): Uint8Array => Uint8Array.of(0xb7, 0, 0, 0, verdict, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);

interface FSim { readonly tc: TcClient; readonly ifindex: number; readonly fd: number; readonly tp: () => TcfProto }

// one bpf() instance and JIT for every run (a JIT per run would allocate a linear memory each time)
const shared = ((): { bpf: ReturnType<typeof tcBpfSyscall>; jit: JitRuntime } => {
  const bpf = tcBpfSyscall();
  return { bpf, jit: new JitRuntime(bpf, bpf.interpreter) };
})();

function base(): FSim {
  const { bpf, jit } = shared;
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf, jit })] } });
  const net = kernel.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  const fd = loadTcProgram(bpf, { insns: retProg(2), license: 'GPL', progType: BPF_PROG_TYPE.SCHED_CLS }).fd;
  tc.filter('add', { ifindex: va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, fd); w.str(TCA_BPF.NAME, 'base'); w.u32(TCA_BPF.FLAGS, 1); } });
  return { tc, ifindex: va.ifindex, fd, tp: () => (va.ingress!.priv as IngressPriv).ingress!.chain0!.tps[0]! };
}

function template(fd: number): Uint8Array {
  const w = new NlWriter();
  w.u32(TCA_BPF.CLASSID, 0x10003);
  w.u32(TCA_BPF.FD, fd);
  w.str(TCA_BPF.NAME, 'prog.o:[tc]');
  const a = w.nestStart(TCA_BPF.ACT);
  writeActions(w, [mirredSpec(2, 1, 3, 7)]);
  w.nestEnd(a);
  w.u32(TCA_BPF.FLAGS, 0);
  w.u32(TCA_BPF.FLAGS_GEN, 1);
  return w.bytes();
}

const noSeq = (b: Uint8Array): string => { const h = toHex(b); return h.slice(0, 16) + h.slice(24); };
const snapshot = (s: FSim): string => s.tc.filter('dump', { ifindex: s.ifindex, parent: INGRESS }).map(noSeq).join('|');

const mutation = fc.oneof(
  fc.record({ at: fc.nat(), byte: fc.nat(255) }).map((m) => (b: Uint8Array): Uint8Array => { const c = b.slice(); if (c.length) c[m.at % c.length] = m.byte; return c; }),
  fc.nat().map((n) => (b: Uint8Array): Uint8Array => b.slice(0, n % (b.length + 1))),
  fc.uint8Array({ maxLength: 12 }).map((x) => (b: Uint8Array): Uint8Array => { const c = new Uint8Array(b.length + x.length); c.set(b); c.set(x, b.length); return c; }),
);

describe('cls_bpf eBPF change and classify', () => {
  test.prop([fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.constantFrom(0, 1, 2), fc.boolean()], { numRuns: fuzzRuns(200, 10_000), seed: fuzzSeed() })(
    'fuzz: mutated eBPF-by-fd options are accepted or refused with a KernelError; refusals change nothing',
    (muts, handle, replace) => {
      const s = base();
      const before = snapshot(s);
      const opts = muts.reduce((b, m) => m(b), template(s.fd));
      let err: unknown = null;
      try {
        s.tc.filter(replace ? 'replace' : 'add', { ifindex: s.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle, kind: 'bpf', options: (w) => { w.raw(opts); } });
      } catch (e) {
        err = e;
      }
      if (err !== null) {
        expect(err).toBeInstanceOf(KernelError);
        expect(snapshot(s)).toBe(before);
        return;
      }
      const tp = s.tp();
      expect(Number.isInteger(tp.ops.classify(SkBuff.fromFrame(new Uint8Array(60)), tp, new TcfResult()))).toBe(true);
    },
    TIMEOUT,
  );

  const bpf = tcBpfSyscall();
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf })] } });
  const net = kernel.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  const file = PROGS + 'parse_classify.o';
  const fd = instantiateObject(bpf, loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file })).programs.get('classify')!;
  tc.filter('add', { ifindex: va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.CLASSID, 0x70000); w.u32(TCA_BPF.FD, fd); w.u32(TCA_BPF.FLAGS, 1); } });
  const tp = (va.ingress!.priv as IngressPriv).ingress!.chain0!.tps[0]!;
  const VERDICTS = new Set<number>([TC_ACT.OK, TC_ACT.SHOT, TC_ACT.STOLEN, TC_ACT.TRAP, TC_ACT.REDIRECT, TC_ACT.UNSPEC]);

  test.prop([fc.uint8Array({ minLength: 14, maxLength: 200 }), fc.boolean()], { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() })(
    'fuzz: arbitrary frames through parse_classify.o (da) give a sanitised verdict and a classid of major 7',
    (frame, ingress) => {
      const skb = SkBuff.fromFrame(frame);
      skb.setDev(va.dev);
      skb.macHeader = skb.dataOff;
      skb.protocol = ((frame[12] ?? 0) << 8) | (frame[13] ?? 0);
      if (ingress) {
        skb.macLen = 14;
        skb.pull(14);
        skb.tcAtIngress = true;
      }
      skb.networkHeader = skb.dataOff + (ingress ? 0 : 14);
      const res = new TcfResult();
      const v = tp.ops.classify(skb, tp, res);
      expect(VERDICTS.has(v)).toBe(true);
      expect(res.classid >>> 16).toBe(7);
      expect(skb.dataOff).toBe(ingress ? skb.macHeader + 14 : skb.macHeader);
    },
    TIMEOUT,
  );
});
