// cls_bpf (@tcbpf/cls-bpf): packets per second through a clsact ingress block
// (tcf_classify with the packet as the ingress hook holds it: data at the
// network header, mac_len 14) with one and with ten classic direct-action
// filters, JIT and interpreter; the baseline is the classic program alone
// (ClassicFilter.runCompiled on the same skb with the MAC header pushed),
// measured in the same run. eBPF filters are not wired yet (see README).
import { ClassicFilter, insn, type ClassicEnv } from '@tcbpf/cbpf';
import { createClsBpfOps } from '@tcbpf/cls-bpf';
import { SkBuff } from '@tcbpf/skb';
import { TCA_BPF } from '@tcbpf/uapi';
import { Prng } from '@tcbpf/base';
import { TCF_ALL_KINDS, TcClient, TcKernel, TcfResult, tcfClassify, type IngressPriv, type NlWriter, type TcfBlock } from '@tcbpf/tcf';
import type { BenchGroup } from '../harness.js';

type Insn = readonly [number, number, number, number];
// ldh [12]; jeq #ethertype, 0, 1; ret #0 (TC_ACT_OK); ret #-1 (UNSPEC: next filter)
const match = (ethertype: number): Insn[] => [[0x28, 0, 0, 12], [0x15, 0, 1, ethertype], [0x06, 0, 0, 0], [0x06, 0, 0, 0xffffffff]];

function opts(prog: readonly Insn[]): (w: NlWriter) => void {
  return (w) => {
    const b = new Uint8Array(prog.length * 8);
    const v = new DataView(b.buffer);
    prog.forEach(([c, jt, jf, k], i) => {
      v.setUint16(i * 8, c, true);
      v.setUint8(i * 8 + 2, jt);
      v.setUint8(i * 8 + 3, jf);
      v.setUint32(i * 8 + 4, k >>> 0, true);
    });
    w.u16(TCA_BPF.OPS_LEN, prog.length);
    w.attr(TCA_BPF.OPS, b);
    w.u32(TCA_BPF.FLAGS, 1);
  };
}

function setup(filters: number, jit: boolean): TcfBlock {
  const k = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ jit })] } });
  const net = k.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  // filters-1 programs that look for IPv6 and return UNSPEC, then the IPv4 match
  for (let i = 1; i < filters; i++) tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff2, prio: i, protocol: 3, kind: 'bpf', options: opts(match(0x86dd)) });
  tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff2, prio: filters, protocol: 3, kind: 'bpf', options: opts(match(0x0800)) });
  return (va.ingress!.priv as IngressPriv).ingress!;
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

export function groups(): BenchGroup[] {
  const out = { sink: 0 };
  const skb = ingressSkb();
  const res = new TcfResult();
  const env: ClassicEnv = { cpu: 0, prng: new Prng(1) };
  const alone = ClassicFilter.create(match(0x0800).map(([c, jt, jf, k]) => insn(c, jt, jf, k)));
  const PKTS = 1000;
  const blocks = { jit1: setup(1, true), jit10: setup(10, true), int1: setup(1, false), int10: setup(10, false) };
  const through = (block: TcfBlock): (() => void) => () => {
    let s = 0;
    for (let i = 0; i < PKTS; i++) s = (s + tcfClassify(skb, block, res)) | 0;
    out.sink ^= s;
  };
  return [
    {
      suite: 'cls-bpf',
      group: 'clsact ingress, classic direct-action cls_bpf filters',
      unit: 'packet',
      baseline: {
        name: 'the program alone (JIT form, MAC pushed)',
        per: PKTS,
        fn: () => {
          let s = 0;
          for (let i = 0; i < PKTS; i++) {
            skb.push(14);
            s = (s + alone.runCompiled(skb, env)) | 0;
            skb.pull(14);
          }
          out.sink ^= s;
        },
      },
      tasks: [
        { name: '1 filter, JIT', per: PKTS, fn: through(blocks.jit1) },
        { name: '10 filters, JIT', per: PKTS, fn: through(blocks.jit10) },
        { name: '1 filter, interpreter', per: PKTS, fn: through(blocks.int1) },
        { name: '10 filters, interpreter', per: PKTS, fn: through(blocks.int10) },
      ],
    },
  ];
}
