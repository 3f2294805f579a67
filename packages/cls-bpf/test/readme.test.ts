// The README example, run as written (kept in sync with the API).
import { expect, it } from 'vitest';
import { createClsBpfOps } from '../src/index.js';
import { TCF_ALL_KINDS, TcClient, TcKernel } from '@tcbpf/tcf';
import { TCA_BPF } from '@tcbpf/uapi';

it('README example: a da classic filter is added and dumped', () => {
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps()] } });
  const net = kernel.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  const ops = new Uint8Array([0x06, 0, 0, 0, 2, 0, 0, 0]);
  tc.filter('add', {
    ifindex: va.ifindex, parent: 0xfffffff2, prio: 1, protocol: 3, kind: 'bpf',
    options: (w) => {
      w.u32(TCA_BPF.CLASSID, 0x10003);
      w.u16(TCA_BPF.OPS_LEN, 1);
      w.attr(TCA_BPF.OPS, ops);
      w.u32(TCA_BPF.FLAGS, 1);
    },
  });
  expect(tc.filter('dump', { ifindex: va.ifindex, parent: 0xfffffff2 }).length).toBe(2);
});
