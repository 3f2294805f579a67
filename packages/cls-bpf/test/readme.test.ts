// The README example, run as written (kept in sync with the API).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { JitRuntime } from '@tcbpf/jit';
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

it('README example: an eBPF program by fd is added, survives close(fd) and is dumped', () => {
  const bpf = tcBpfSyscall();
  const jit = new JitRuntime(bpf, bpf.interpreter); // jit.enable: net.core.bpf_jit_enable (1)
  const ops = createClsBpfOps({ bpf, jit });
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, ops] } });
  const net = kernel.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  const file = fileURLToPath(new URL('../../bpf-skb/test/fixtures/progs/parse_classify.o', import.meta.url));
  const fd = instantiateObject(bpf, loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file })).programs.get('classify')!;
  tc.filter('add', {
    ifindex: va.ifindex, parent: 0xfffffff2, prio: 1, protocol: 3, kind: 'bpf',
    options: (w) => {
      w.u32(TCA_BPF.FD, fd);
      w.str(TCA_BPF.NAME, 'parse_classify.o:[tc]');
      w.u32(TCA_BPF.FLAGS, 1);
    },
  });
  const id = bpf.prog(fd).id;
  bpf.close(fd);
  expect(tc.filter('dump', { ifindex: va.ifindex, parent: 0xfffffff2 }).length).toBe(2);
  expect(ops.progShow(id)).toEqual({ id, name: 'classify', tag: '6d166b12f0f021d9', jited: true });
});
