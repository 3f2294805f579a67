// The tcbpf app (@tcbpf/pipeline): end-to-end packets per second for a
// 64-byte frame received on a device whose clsact ingress filter redirects it
// (matchall + mirred: cls_bpf is not in the build yet) out of a veth, through
// that veth's egress classifier (matchall + gact pass), to local delivery on
// the peer — set up by scenario lines, capture parsing excluded. The baseline
// is the classifier work alone (the two filters' tcf_classify on the same skb).
import { SkBuff } from '@tcbpf/skb';
import { TcfResult, tcfClassify, type IngressPriv } from '@tcbpf/tcf';
import { Scenario } from '@tcbpf/pipeline';
import type { BenchGroup } from '../harness.js';

const SETUP = [
  'ip link add d0 type dummy',
  'ip link add va type veth peer name vb',
  'ip link set d0 up',
  'ip link set va up',
  'ip link set vb up',
  'tc qdisc add dev d0 clsact',
  'tc filter add dev d0 ingress prio 1 matchall action mirred egress redirect dev va',
  'tc qdisc add dev va clsact',
  'tc filter add dev va egress prio 1 matchall action pass',
];

export function groups(): BenchGroup[] {
  const sc = new Scenario({ outDir: '.', inDir: '.' });
  SETUP.forEach((l, i) => sc.exec('bench', i + 1, l));
  const net = sc.nets.get('default')!;
  const d0 = net.devByName('d0')!;
  const va = net.devByName('va')!;
  const vb = net.devByName('vb')!;
  const ns = net.ns;
  let delivered = 0;
  ns.onDeliver = () => void delivered++;
  const frame = new Uint8Array(64);
  frame.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa, 0x08, 0x00, 0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17], 0);
  const skb = SkBuff.fromFrame(frame);
  const res = new TcfResult();
  const egrBlock = (va.ingress!.priv as IngressPriv).egress!;
  const out = { sink: 0 };
  const N = 256;
  // the path really delivers: one packet through it before timing
  skb.setDev(d0.dev);
  skb.protocol = ns.ethTypeTrans(skb, d0.dev);
  ns.netifReceiveSkb(skb);
  if (delivered !== 1 || vb.dev.stats.rxPackets !== 1) throw new Error('pipeline bench: the packet was not delivered on vb');
  return [
    {
      suite: 'pipeline',
      group: 'end-to-end: ingress filter + redirect, veth, egress filter, delivery (64 B)',
      unit: 'packet',
      bytesPerUnit: 64,
      baseline: {
        name: 'classification alone: two matchall+gact tcf_classify runs, no forwarding',
        per: N,
        fn: () => {
          let s = 0;
          for (let i = 0; i < N; i++) {
            skb.reuse(frame);
            skb.protocol = 0x0800;
            s += tcfClassify(skb, egrBlock, res);
            s += tcfClassify(skb, egrBlock, res);
          }
          out.sink ^= s;
        },
      },
      tasks: [
        {
          name: 'full pipeline (receive on d0 → va → vb → deliver)',
          per: N,
          fn: () => {
            for (let i = 0; i < N; i++) {
              skb.reuse(frame);
              skb.setDev(d0.dev);
              skb.protocol = ns.ethTypeTrans(skb, d0.dev);
              ns.netifReceiveSkb(skb);
            }
            out.sink ^= delivered;
          },
        },
      ],
    },
  ];
}
