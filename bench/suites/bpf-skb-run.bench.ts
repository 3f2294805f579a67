// SCHED_CLS test-run of the parse-and-classify fixture on a 64-byte TCP SYN
// (ns per run): the full BPF_PROG_TEST_RUN model (skb built from data_in,
// eth_type_trans, ctx conversion in and out, data_out copy) and the
// per-packet path a classifier would use (ctx fill, run, write-back on a
// reused skb), against the baseline of the same program's raw interpreter run
// (ctx and packet already bound, nothing converted). The same two paths with
// @tcbpf/jit compiling the program are measured too.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { AddressSpace, REGION } from '@tcbpf/ebpf';
import { JitRuntime } from '@tcbpf/jit';
import { SkBuff, buildFrame, ethTypeTrans } from '@tcbpf/skb';
import type { BenchGroup } from '../harness.js';

const PROGS = fileURLToPath(new URL('../../packages/bpf-skb/test/fixtures/progs/', import.meta.url));

export function groups(): BenchGroup[] {
  const obj = loadElfObject(new Uint8Array(readFileSync(`${PROGS}parse_classify.o`)), { fileName: 'parse_classify.o' });
  const sys = tcBpfSyscall();
  const fd = instantiateObject(sys, obj).programs.get('classify')!;
  const prog = sys.prog(fd);
  const syn = buildFrame({
    dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1),
    l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'tcp', sport: 40000, dport: 443, flags: 0x02, payload: new Uint8Array(10) } },
  });
  if (syn.length !== 64) throw new Error(`SYN is ${syn.length} bytes, want 64`);
  const runner = new TcTestRunner(sys);
  const st = runner.state;
  const skb = SkBuff.fromFrame(syn);
  skb.protocol = ethTypeTrans(skb, runner.ns.loopback);
  skb.resetNetworkHeader();
  skb.push(14);
  st.begin(skb);
  sys.interpreter.runCtx = st;
  const ctxHi = AddressSpace.hiOf(REGION.CTX);
  const jit = new JitRuntime(sys, sys.interpreter);
  if (!jit.load(prog).jited) throw new Error('parse_classify was not compiled');
  const jitRunner = new TcTestRunner(sys, { jit });
  const out = { sink: 0 };
  return [
    {
      suite: 'bpf-skb-run',
      group: 'parse_classify on a 64 B TCP SYN',
      unit: 'run',
      baseline: {
        name: 'raw interpreter run (ctx bound)',
        fn: () => {
          out.sink ^= sys.run(prog, ctxHi, 0) + sys.interpreter.r0Lo;
        },
      },
      tasks: [
        {
          name: 'per-packet: ctx fill + run + write-back (reused skb)',
          fn: () => {
            st.begin(skb);
            sys.interpreter.runCtx = st;
            out.sink ^= sys.run(prog, ctxHi, 0);
            st.end();
          },
        },
        {
          name: 'per-packet with @tcbpf/jit: ctx fill + JIT run + write-back',
          fn: () => {
            st.begin(skb);
            jit.runCtx = st;
            out.sink ^= jit.run(prog, ctxHi, 0);
            st.end();
          },
        },
        {
          name: 'TcTestRunner.run with @tcbpf/jit',
          fn: () => {
            out.sink ^= jitRunner.run(fd, { dataIn: syn, dataSizeOut: 128, ctxSizeOut: 192 }).retval;
          },
        },
        {
          name: 'TcTestRunner.run (BPF_PROG_TEST_RUN model)',
          fn: () => {
            out.sink ^= runner.run(fd, { dataIn: syn, dataSizeOut: 128, ctxSizeOut: 192 }).retval;
          },
        },
      ],
    },
  ];
}
