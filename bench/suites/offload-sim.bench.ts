// offload-sim (@tcbpf/offload-sim): frames per second through a netdevsim
// port's simulated hardware path with one skip_sw direct-action eBPF filter
// (r0 = skb->len > 100 ? TC_ACT_SHOT : TC_ACT_OK) in the offload slot. The
// baseline is the program alone (SkbRunState begin/run/end on the same skb,
// the interpreter), measured in the same run; tasks: the engine (HwDatapath.rx
// on a reused skb: program + verdict + counters; and with the program compiled
// by @tcbpf/jit), a whole received frame
// (port.receive: skb from the frame, hardware, then the host's ingress hook,
// where the skip_sw filter is skipped), and the same frame with the same
// program as a software-only (skip_hw) filter instead.
import { SkbRunState, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { createClsBpfOps } from '@tcbpf/cls-bpf';
import { AddressSpace, REGION } from '@tcbpf/ebpf';
import { JitRuntime } from '@tcbpf/jit';
import { NsimBus, type NsimPort } from '@tcbpf/offload-sim';
import { SkBuff } from '@tcbpf/skb';
import { TCF_ALL_KINDS, TcClient, TcKernel } from '@tcbpf/tcf';
import { TCA_BPF, TCA_CLS_FLAGS } from '@tcbpf/uapi';
import type { BenchGroup } from '../harness.js';

const PROG = new Uint8Array([
  0x61, 0x12, 0, 0, 0, 0, 0, 0, 0xb7, 0, 0, 0, 0, 0, 0, 0, 0xb5, 0x02, 1, 0, 100, 0, 0, 0,
  0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0,
]);

function setup(gen: number, withJit = false): { port: NsimPort; bpf: ReturnType<typeof tcBpfSyscall> } {
  const bpf = tcBpfSyscall();
  const jit = withJit ? new JitRuntime(bpf, bpf.interpreter) : null;
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf, jit: jit ?? false })] } });
  const net = kernel.addNet();
  const bus = new NsimBus({ net, bpf, ...(jit === null ? {} : { jit }) });
  const port = bus.newDevice('1 1').ports[0]!;
  port.nd.dev.setUp(true);
  port.setHwTcOffload(true);
  const { fd } = bus.offload!.progLoad({ insns: PROG, license: 'GPL', ...(gen & TCA_CLS_FLAGS.SKIP_SW ? { progIfindex: port.ifindex } : {}) });
  const tc = new TcClient(net.socket());
  tc.qdisc('add', { ifindex: port.ifindex, parent: 0xfffffff1, handle: 0xffff0000, kind: 'ingress' });
  tc.filter('add', {
    ifindex: port.ifindex, parent: 0xfffffff2, prio: 1, protocol: 3, kind: 'bpf',
    options: (w) => {
      w.u32(TCA_BPF.FD, fd);
      w.u32(TCA_BPF.FLAGS, 1);
      w.u32(TCA_BPF.FLAGS_GEN, gen);
    },
  });
  bpf.close(fd);
  return { port, bpf };
}

export function groups(): BenchGroup[] {
  const hw = setup(TCA_CLS_FLAGS.SKIP_SW);
  const sw = setup(TCA_CLS_FLAGS.SKIP_HW);
  const hwJit = setup(TCA_CLS_FLAGS.SKIP_SW, true);
  const frame = new Uint8Array(64);
  frame[12] = 0x08;
  frame[14] = 0x45;
  const skb = SkBuff.fromFrame(frame);
  skb.setDev(hw.port.nd.dev);
  skb.macHeader = skb.dataOff;
  skb.macLen = 14;
  skb.protocol = 0x0800;
  const prog = hw.bpf.progById(hw.port.bpfOffloadedId)!;
  const st = new SkbRunState(hw.bpf.mem, new SkBuff(0));
  const out = { sink: 0 };
  return [
    {
      suite: 'offload-sim',
      group: 'netdevsim port, 1 skip_sw da eBPF filter, 64 B frames',
      unit: 'packet',
      baseline: {
        name: 'program alone (interpreter)',
        fn: () => {
          st.begin(skb);
          hw.bpf.interpreter.runCtx = st;
          out.sink ^= hw.bpf.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
          st.end();
        },
      },
      tasks: [
        { name: 'hardware engine (HwDatapath.rx)', fn: () => void (out.sink ^= hw.port.hw.rx(skb)) },
        { name: 'hardware engine, JIT', fn: () => void (out.sink ^= hwJit.port.hw.rx(skb)) },
        { name: 'port.receive: hardware + host ingress', fn: () => void (out.sink ^= hw.port.receive(frame) ? 1 : 0) },
        { name: 'port.receive: same program as skip_hw (software)', fn: () => void (out.sink ^= sw.port.receive(frame) ? 1 : 0) },
      ],
    },
  ];
}
