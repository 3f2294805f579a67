// The README example, run as written (kept in sync with the API).
import { expect, it } from 'vitest';
import { tcBpfSyscall } from '@tcbpf/bpf-skb';
import { createClsBpfOps } from '@tcbpf/cls-bpf';
import { TCF_ALL_KINDS, TcClient, TcKernel } from '@tcbpf/tcf';
import { TCA_BPF, TCA_CLS_FLAGS } from '@tcbpf/uapi';
import { NsimBus } from '../src/index.js';

it('README example: a skip_sw filter classifies traffic in the simulated hardware', () => {
  const bpf = tcBpfSyscall();
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf })] } });
  const net = kernel.addNet();
  const bus = new NsimBus({ net, bpf });
  const port = bus.newDevice('1 1').ports[0]!;
  port.nd.dev.setUp(true);
  port.setHwTcOffload(true);

  const insns = new Uint8Array([
    0x61, 0x12, 0, 0, 0, 0, 0, 0,   0xb7, 0, 0, 0, 0, 0, 0, 0,   0xb5, 0x02, 1, 0, 100, 0, 0, 0,
    0xb7, 0, 0, 0, 2, 0, 0, 0,      0x95, 0, 0, 0, 0, 0, 0, 0,
  ]);
  const { fd } = bus.offload!.progLoad({ insns, license: 'GPL', progIfindex: port.ifindex });

  const tc = new TcClient(net.socket());
  tc.qdisc('add', { ifindex: port.ifindex, parent: 0xfffffff1, handle: 0xffff0000, kind: 'ingress' });
  tc.filter('add', {
    ifindex: port.ifindex, parent: 0xfffffff2, prio: 1, protocol: 3, kind: 'bpf',
    options: (w) => { w.u32(TCA_BPF.FD, fd); w.u32(TCA_BPF.FLAGS, 1); w.u32(TCA_BPF.FLAGS_GEN, TCA_CLS_FLAGS.SKIP_SW); },
  });
  bpf.close(fd);

  const frame = (n: number): Uint8Array => { const f = new Uint8Array(n); f[12] = 0x08; return f; };
  expect(port.receive(frame(60))).toBe(true);
  expect(port.receive(frame(200))).toBe(false);
  expect(port.bpfOffloadedId).toBeGreaterThan(0);
  const c = port.hw.counters!;
  expect([c.packets, c.bytes, c.drops]).toEqual([2, 260, 1]);
});
