// The per-packet path allocates nothing: a frame through va's clsact ingress
// hook with classic cls_bpf filters (JIT and interpreter) grows the heap by less
// than one byte per packet over 20,000 packets (eBPF runs: bounded, see below), measured in a
// window in which no garbage collection ran (a 'gc' PerformanceObserver; the
// measurement is repeated if one did). The same skb is reused (TC_ACT_OK).
import { describe, expect, it } from 'vitest';
import { heapBytesPerOp } from '@tcbpf/testing';
import { loadTcProgram, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { SkBuff } from '@tcbpf/skb';
import { TCF_ALL_KINDS, TcClient, TcKernel } from '@tcbpf/tcf';
import { BPF_PROG_TYPE, TCA_BPF } from '@tcbpf/uapi';
import { createClsBpfOps } from '../src/index.js';
import { opsBytes, type Insn } from './support/sim.js';

// ldh [12]; jeq #0x800; ret #0 (OK); ret #-1 (UNSPEC)
const CLASSIC: readonly Insn[] = [[0x28, 0, 0, 12], [0x15, 0, 1, 0x800], [0x06, 0, 0, 0], [0x06, 0, 0, 0xffffffff]];
// r2 = skb->protocol; r0 = -1; if r2 != htons(0x800) goto +1; r0 = 0; exit
const EBPF = Uint8Array.of(0x61, 0x12, 16, 0, 0, 0, 0, 0, 0xb7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x55, 0x02, 1, 0, 0x08, 0, 0, 0, 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);

function hook(kind: 'classic' | 'ebpf', jit: boolean, n = 20000): () => number {
  const bpf = tcBpfSyscall();
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf, jit })] } });
  const net = kernel.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  for (let prio = 1; prio <= 2; prio++) {
    tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff2, prio, protocol: 3, kind: 'bpf', options: (w) => {
      if (kind === 'classic') {
        w.u16(TCA_BPF.OPS_LEN, CLASSIC.length);
        w.attr(TCA_BPF.OPS, opsBytes(CLASSIC));
      } else w.u32(TCA_BPF.FD, loadTcProgram(bpf, { insns: EBPF, license: 'GPL', progType: BPF_PROG_TYPE.SCHED_CLS }).fd);
      w.u32(TCA_BPF.FLAGS, 1);
    } });
  }
  const f = new Uint8Array(64);
  f[12] = 0x08;
  f[14] = 0x45;
  const skb = SkBuff.fromFrame(f);
  skb.setDev(va.dev);
  skb.macHeader = skb.dataOff;
  skb.macLen = 14;
  skb.pull(14);
  skb.networkHeader = skb.dataOff;
  skb.protocol = 0x0800;
  skb.tcAtIngress = true;
  const h = va.dev.ingressHook!;
  if (h(skb, va.dev) !== 0) throw new Error('the filters must pass the frame');
  return () => {
    let s = 0;
    for (let i = 0; i < n; i++) s |= h(skb, va.dev);
    if (s !== 0) throw new Error('verdict changed');
    return n;
  };
}

describe('per-packet allocation', () => {
  for (const jit of [true, false]) {
    it(`classic filters, ${jit ? 'JIT' : 'interpreter'}: < 1 byte of heap per packet`, async () => {
      const run = hook('classic', jit);
      for (let i = 0; i < 5; i++) run(); // warm up (optimised code)
      expect(await heapBytesPerOp(run, { windows: 5 })).toBeLessThan(1);
    }, 30_000);
  }
  // eBPF runs allocate outside this package: @tcbpf/bpf-skb's SkBuffCtx.store copies cb
  // through a fresh subarray (48 B per run), and with the JIT, @tcbpf/jit's mirroring of the
  // non-resident __sk_buff and packet regions adds more. cls_bpf itself adds nothing: the
  // bounds below (2 filters per packet) catch any growth.
  for (const [jit, perRun] of [[false, 48], [true, 144]] as const) {
    it(`eBPF filters, ${jit ? 'JIT' : 'interpreter'}: at most ${perRun} B per program run, all of it from SkbRunState${jit ? ' and the JIT memory' : ''}`, async () => {
      const run = hook('ebpf', jit, jit ? 4000 : 20000);
      for (let i = 0; i < 5; i++) run();
      expect(await heapBytesPerOp(run, { windows: 5 })).toBeLessThan(2 * perRun + 1);
    }, 30_000);
  }
});
