// cls_bpf (@tcbpf/cls-bpf): packets per second through a clsact ingress hook
// (the device's ingress hook slot: sch_handle_ingress, tcf_classify, cls_bpf;
// the packet as the hook holds it: data at the network header, mac_len 14) with
// one and with ten direct-action filters (nine that miss and return UNSPEC, then
// one that returns TC_ACT_OK), for classic and eBPF programs, each on the JIT
// (@tcbpf/jit: WebAssembly; classic through its eBPF conversion) and on the
// interpreter (classic: @tcbpf/cbpf's; eBPF: @tcbpf/ebpf's). The baseline of
// each group is the matching program alone on the JIT, with what cls_bpf does
// around a run (MAC header pushed and pulled; for eBPF the __sk_buff mirror
// begin/end), measured in the same run; the program alone on the interpreter is
// a task beside it.
import { setFlagsFromString } from 'node:v8';
import { ClassicFilter, decodeSockFilters, type ClassicEnv } from '@tcbpf/cbpf';
import { ClassicJitRuntime, createClsBpfOps } from '@tcbpf/cls-bpf';
import { SkBuff } from '@tcbpf/skb';
import { BPF_PROG_TYPE, TCA_BPF } from '@tcbpf/uapi';
import { Prng } from '@tcbpf/base';
import { SkbRunState, loadTcProgram, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { AddressSpace, BpfSyscall, REGION } from '@tcbpf/ebpf';
import { JitRuntime } from '@tcbpf/jit';
import { TCF_ALL_KINDS, TcClient, TcKernel, type NetDev, type NlWriter } from '@tcbpf/tcf';
import type { BenchGroup } from '../harness.js';

type Insn = readonly [number, number, number, number];
// ldh [12]; jeq #ethertype, 0, 1; ret #0 (TC_ACT_OK); ret #-1 (UNSPEC: next filter)
const match = (ethertype: number): Insn[] => [[0x28, 0, 0, 12], [0x15, 0, 1, ethertype], [0x06, 0, 0, 0], [0x06, 0, 0, 0xffffffff]];

function opsBytes(prog: readonly Insn[]): Uint8Array {
  const b = new Uint8Array(prog.length * 8);
  const v = new DataView(b.buffer);
  prog.forEach(([c, jt, jf, k], i) => {
    v.setUint16(i * 8, c, true);
    v.setUint8(i * 8 + 2, jt);
    v.setUint8(i * 8 + 3, jf);
    v.setUint32(i * 8 + 4, k >>> 0, true);
  });
  return b;
}

/**
 * eBPF twin of `match`: r2 = skb->protocol (network order, __sk_buff offset 16);
 * if (r2 == htons(type)) r0 = TC_ACT_OK else r0 = TC_ACT_UNSPEC; exit.
 */
function ebpfMatch(ethertype: number): Uint8Array {
  const be = ((ethertype & 0xff) << 8) | (ethertype >> 8); // __sk_buff.protocol holds network order
  const b = new Uint8Array(5 * 8);
  const v = new DataView(b.buffer);
  const put = (i: number, code: number, regs: number, off: number, imm: number): void => {
    v.setUint8(i * 8, code);
    v.setUint8(i * 8 + 1, regs);
    v.setInt16(i * 8 + 2, off, true);
    v.setInt32(i * 8 + 4, imm, true);
  };
  put(0, 0x61, 0x12, 16, 0); // r2 = *(u32 *)(r1 + 16)
  put(1, 0xb7, 0x00, 0, -1); // r0 = -1
  put(2, 0x55, 0x02, 1, be); // if r2 != be goto +1
  put(3, 0xb7, 0x00, 0, 0); // r0 = 0
  put(4, 0x95, 0x00, 0, 0); // exit
  return b;
}

interface Hook { readonly va: NetDev; readonly bpf: BpfSyscall }

/** A kernel with clsact on va and `filters` direct-action filters (classic or eBPF), JIT on or off. */
function setup(kind: 'classic' | 'ebpf', filters: number, jit: boolean): Hook {
  const bpf = tcBpfSyscall();
  const k = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf, jit })] } });
  const net = k.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  const load = (t: number): number => loadTcProgram(bpf, { insns: ebpfMatch(t), license: 'GPL', progType: BPF_PROG_TYPE.SCHED_CLS }).fd;
  const add = (prio: number, ethertype: number): void => {
    tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff2, prio, protocol: 3, kind: 'bpf', options: (w: NlWriter) => {
      if (kind === 'classic') {
        w.u16(TCA_BPF.OPS_LEN, 4);
        w.attr(TCA_BPF.OPS, opsBytes(match(ethertype)));
      } else w.u32(TCA_BPF.FD, load(ethertype));
      w.u32(TCA_BPF.FLAGS, 1);
    } });
  };
  for (let i = 1; i < filters; i++) add(i, 0x86dd);
  add(filters, 0x0800);
  return { va, bpf };
}

function ingressSkb(): SkBuff {
  const f = new Uint8Array(64);
  f.fill(0xff, 0, 6);
  f[12] = 0x08;
  f[14] = 0x45;
  const skb = SkBuff.fromFrame(f);
  skb.macHeader = skb.dataOff;
  skb.macLen = 14;
  skb.pull(14);
  skb.networkHeader = skb.dataOff;
  skb.protocol = 0x0800;
  skb.tcAtIngress = true;
  return skb;
}

const PKTS = 1000;

export function groups(): BenchGroup[] {
  // as bench/suites/jit.bench.ts: compile Wasm with the optimising tier at once (the kernel
  // JITs at load); TCBPF_JIT_LIFTOFF=1 measures Node's default tiering instead
  if (process.env['TCBPF_JIT_LIFTOFF'] !== '1') setFlagsFromString('--no-liftoff');
  const out = { sink: 0 };
  const skb = ingressSkb();
  const through = (h: Hook): (() => void) => {
    const dev = h.va.dev;
    skb.setDev(dev);
    const hook = dev.ingressHook!;
    // the figures only mean something if every packet passes the last filter (HOOK.PASS = 0)
    if (hook(skb, dev) !== 0) throw new Error('bench filters do not pass the packet');
    return () => {
      let s = 0;
      for (let i = 0; i < PKTS; i++) s = (s + hook(skb, dev)) | 0;
      out.sink ^= s;
    };
  };
  return [classicGroup(skb, out, through), ebpfGroup(skb, out, through)];
}

function classicGroup(skb: SkBuff, out: { sink: number }, through: (h: Hook) => () => void): BenchGroup {
  const env: ClassicEnv = { cpu: 0, prng: new Prng(1) };
  const insns = decodeSockFilters(opsBytes(match(0x0800)));
  const sys = new BpfSyscall();
  const rt = new ClassicJitRuntime(new JitRuntime(sys, sys.interpreter, { pages: 32, residentPages: 4 }));
  const converted = rt.create(insns);
  const interp = ClassicFilter.create(insns, { compile: false });
  const alone = (run: () => number): (() => void) => () => {
    let s = 0;
    for (let i = 0; i < PKTS; i++) {
      skb.push(14);
      s = (s + run()) | 0;
      skb.pull(14);
    }
    out.sink ^= s;
  };
  return {
    suite: 'cls-bpf',
    group: 'clsact ingress hook, classic direct-action cls_bpf filters',
    unit: 'packet',
    baseline: { name: 'the program alone, JIT (converted, MAC pushed)', per: PKTS, fn: alone(() => rt.run(converted, skb, env)) },
    tasks: [
      { name: 'the program alone, interpreter', per: PKTS, fn: alone(() => interp.run(skb, env)) },
      { name: '1 filter, JIT', per: PKTS, fn: through(setup('classic', 1, true)) },
      { name: '10 filters, JIT', per: PKTS, fn: through(setup('classic', 10, true)) },
      { name: '1 filter, interpreter', per: PKTS, fn: through(setup('classic', 1, false)) },
      { name: '10 filters, interpreter', per: PKTS, fn: through(setup('classic', 10, false)) },
    ],
  };
}

function ebpfGroup(skb: SkBuff, out: { sink: number }, through: (h: Hook) => () => void): BenchGroup {
  const bpf = tcBpfSyscall();
  const fd = loadTcProgram(bpf, { insns: ebpfMatch(0x0800), license: 'GPL', progType: BPF_PROG_TYPE.SCHED_CLS }).fd;
  const prog = bpf.prog(fd);
  const jit = new JitRuntime(bpf, bpf.interpreter);
  jit.load(prog);
  const st = new SkbRunState(bpf.mem, skb);
  const interp = bpf.interpreter;
  const alone = (useJit: boolean): (() => void) => () => {
    let s = 0;
    for (let i = 0; i < PKTS; i++) {
      skb.push(14);
      st.begin(skb);
      interp.runCtx = st;
      jit.runCtx = st;
      if (useJit) {
        jit.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
        s = (s + jit.r0Lo) | 0;
      } else {
        bpf.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
        s = (s + interp.r0Lo) | 0;
      }
      st.end();
      skb.pull(14);
    }
    out.sink ^= s;
  };
  return {
    suite: 'cls-bpf',
    group: 'clsact ingress hook, eBPF direct-action cls_bpf filters',
    unit: 'packet',
    baseline: { name: 'the program alone, JIT (MAC pushed, __sk_buff begin/end)', per: PKTS, fn: alone(true) },
    tasks: [
      { name: 'the program alone, interpreter', per: PKTS, fn: alone(false) },
      { name: '1 filter, JIT', per: PKTS, fn: through(setup('ebpf', 1, true)) },
      { name: '10 filters, JIT', per: PKTS, fn: through(setup('ebpf', 10, true)) },
      { name: '1 filter, interpreter', per: PKTS, fn: through(setup('ebpf', 1, false)) },
      { name: '10 filters, interpreter', per: PKTS, fn: through(setup('ebpf', 10, false)) },
    ],
  };
}
