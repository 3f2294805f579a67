// The README example, kept runnable.
import { it, expect } from 'vitest';
import { SkBuff } from '@tcbpf/skb';
import { TC_ACT } from '@tcbpf/uapi';
import { TcKernel, TcClient, TCF_ALL_KINDS, gactSpec, matchallOptions } from '../src/index.js';

it('README example runs as documented', () => {
  const kernel = new TcKernel({ kinds: TCF_ALL_KINDS, seed: 1 });
  const net = kernel.addNet();
  const [va] = net.addVethPair('va', 'vb');
  expect(va.ifindex).toBe(3);
  const mon = net.socket();
  mon.subscribe(4);
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  tc.filter('add', {
    ifindex: va.ifindex, parent: 0xfffffff3, prio: 1, protocol: 0x0003, kind: 'matchall',
    options: matchallOptions({ actions: [gactSpec(TC_ACT.SHOT, 1)] }),
  });
  const skb = SkBuff.fromFrame(new Uint8Array(60));
  skb.setDev(va.dev);
  net.ns.devQueueXmit(skb);
  expect(va.ingress!.stats.drops).toBe(1);
  expect(mon.recv().length).toBe(3);
});
