// The tcbpf app (@tcbpf/pipeline): end-to-end packets per second for a
// 64-byte IPv4/UDP frame received on a dummy device whose clsact ingress
// cls_bpf filter (a classic program, JIT: `ip` match) redirects it with mirred
// out of veth va, through va's clsact egress cls_bpf classifier (the demo's
// clang-built eBPF program, direct-action, JIT), to local delivery on the peer
// vb — all set up by scenario lines, capture parsing excluded (one SkBuff
// reused). The baseline is the programs alone as cls_bpf runs them: the same
// two programs in blocks of their own (no actions, no forwarding), classified
// on the same skb. The same on the interpreters (--no-jit), and both again with
// a classic egress classifier instead of the eBPF one.
import { join } from 'node:path';
import { SkBuff } from '@tcbpf/skb';
import { TcfResult, tcfClassify, type IngressPriv, type NetDev } from '@tcbpf/tcf';
import { Scenario } from '@tcbpf/pipeline';
import type { BenchGroup } from '../harness.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'apps', 'pipeline', 'examples');
/** tcpdump -ddd 'ip': accept IPv4 (-1: whole packet), else 0. */
const IP_ONLY = '4,40 0 0 12,21 0 1 2048,6 0 0 4294967295,6 0 0 0';

/** tcpdump -ddd 'ip and udp' turned into a direct-action classic classifier: TC_ACT_OK (0) for IPv4 UDP, TC_ACT_UNSPEC (-1) else. */
const UDP_OK = '6,40 0 0 12,21 0 3 2048,48 0 0 23,21 0 1 17,6 0 0 0,6 0 0 4294967295';

const setup = (egress: string): string[] => [
  'ip link add d0 type dummy',
  'ip link add d1 type dummy',
  'ip link add va type veth peer name vb',
  'ip link set d0 up',
  'ip link set va up',
  'ip link set vb up',
  'tc qdisc add dev d0 clsact',
  `tc filter add dev d0 ingress prio 1 protocol ip bpf bytecode '${IP_ONLY}' action mirred egress redirect dev va`,
  'tc qdisc add dev va clsact',
  `tc filter add dev va egress prio 1 bpf da ${egress}`,
  // the programs alone, for the baseline: d1's blocks hold them without actions
  'tc qdisc add dev d1 clsact',
  `tc filter add dev d1 ingress prio 1 protocol ip bpf da bytecode '${IP_ONLY}'`,
  `tc filter add dev d1 egress prio 1 bpf da ${egress}`,
];
const EBPF_EGRESS = 'obj demo_classify.o sec tc';
const CLASSIC_EGRESS = `bytecode '${UDP_OK}'`;

function group(jit: boolean, egress: string): BenchGroup {
  const sc = new Scenario({ outDir: '.', inDir: EXAMPLES, jit });
  setup(egress).forEach((l, i) => sc.exec('bench', i + 1, l));
  const net = sc.nets.get('default')!;
  const dev = (n: string): NetDev => net.devByName(n)!;
  const d0 = dev('d0');
  const d1 = dev('d1');
  const vb = dev('vb');
  const ns = net.ns;
  let delivered = 0;
  ns.onDeliver = () => void delivered++;
  // 64 bytes: Ethernet + IPv4 (UDP, 50 bytes) + zero padding
  const frame = new Uint8Array(64);
  frame.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa, 0x08, 0x00, 0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0, 53, 0, 30], 0);
  const skb = SkBuff.fromFrame(frame);
  const res = new TcfResult();
  const priv = d1.ingress!.priv as IngressPriv;
  const ingBlock = priv.ingress!;
  const egrBlock = priv.egress!;
  const out = { sink: 0 };
  const N = 256;
  // the path really delivers: one packet through it before timing
  skb.setDev(d0.dev);
  skb.protocol = ns.ethTypeTrans(skb, d0.dev);
  ns.netifReceiveSkb(skb);
  if (delivered !== 1 || vb.dev.stats.rxPackets !== 1) throw new Error('pipeline bench: the packet was not delivered on vb');
  const engine = jit ? 'JIT' : 'interpreter';
  const kind = egress === EBPF_EGRESS ? 'eBPF (demo_classify.o)' : 'classic';
  return {
    suite: 'pipeline',
    group: `end-to-end, cls_bpf on the ${engine}: ingress classic filter + redirect, veth, egress ${kind} classifier, delivery (64 B)`,
    unit: 'packet',
    bytesPerUnit: 64,
    baseline: {
      name: `the two programs alone (cls_bpf, ${engine}; no actions, no forwarding)`,
      per: N,
      fn: () => {
        let s = 0;
        for (let i = 0; i < N; i++) {
          // as the hooks hold it: data at the network header at ingress, at the MAC header at egress
          skb.reuse(frame);
          skb.setDev(d1.dev);
          skb.protocol = ns.ethTypeTrans(skb, d1.dev);
          skb.resetNetworkHeader();
          skb.resetMacLen();
          skb.tcAtIngress = true;
          s += tcfClassify(skb, ingBlock, res);
          skb.push(14);
          skb.tcAtIngress = false;
          s += tcfClassify(skb, egrBlock, res);
        }
        out.sink ^= s;
      },
    },
    tasks: [
      {
        name: `full pipeline (receive on d0 → cls_bpf + mirred → va egress cls_bpf → vb → deliver), ${engine}`,
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
  };
}

/**
 * IPv4 forwarding: a 64-byte UDP frame received on the router's r0, routed by
 * the namespace's table (a /16 via a gateway), TTL/checksum updated, the MAC
 * header from the neighbour entry, out of veth r1 to b0 (dropped there:
 * forwarding is off in b). Baseline: the route lookup alone.
 */
function forwarding(): BenchGroup {
  const sc = new Scenario({ outDir: '.', inDir: EXAMPLES });
  [
    'ip netns add r',
    'ip netns add b',
    'ip -n r link add r0 address 02:00:00:00:00:10 type dummy',
    'ip -n r link add r1 address 02:00:00:00:00:11 type veth peer name b0 address 02:00:00:00:00:0b netns b',
    'ip -n r link set r0 up',
    'ip -n r link set r1 up',
    'ip -n b link set b0 up',
    'ip -n r addr add 10.1.0.1/24 dev r0',
    'ip -n r addr add 10.2.0.1/24 dev r1',
    'ip -n b addr add 10.2.0.2/24 dev b0',
    'ip -n r route add 10.3.0.0/16 via 10.2.0.2',
    'ip -n r neigh add 10.2.0.2 lladdr 02:00:00:00:00:0b dev r1',
    'ip netns exec r sysctl -w net.ipv4.ip_forward=1',
  ].forEach((l, i) => sc.exec('bench', i + 1, l));
  const r = sc.nets.get('r')!;
  const r0 = r.devByName('r0')!.dev;
  const b0 = sc.nets.get('b')!.devByName('b0')!.dev;
  const ns = r.ns;
  // Ethernet to r0's MAC, IPv4 10.1.0.2 → 10.3.0.7 UDP (TTL 64, header checksum filled), padded to 64 bytes
  const frame = new Uint8Array(64);
  frame.set([0x02, 0, 0, 0, 0, 0x10, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x00, 0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 1, 0, 2, 10, 3, 0, 7, 0x0f, 0xa0, 0x13, 0x88, 0, 8, 0, 0], 0);
  const v = new DataView(frame.buffer);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(14 + i, false);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(24, ~sum & 0xffff, false);
  const skb = SkBuff.fromFrame(frame);
  const N = 256;
  const out = { sink: 0 };
  const before = b0.stats.rxPackets;
  skb.setDev(r0);
  skb.protocol = ns.ethTypeTrans(skb, r0);
  ns.netifReceiveSkb(skb);
  if (b0.stats.rxPackets !== before + 1) throw new Error('pipeline bench: the packet was not forwarded to b0');
  return {
    suite: 'pipeline',
    group: 'IPv4 forwarding: receive on r0, route, TTL/checksum, neighbour MAC, veth r1 → b0 (64 B)',
    unit: 'packet',
    bytesPerUnit: 64,
    baseline: {
      name: 'the route lookup alone (Fib.lookup of 10.3.0.7)',
      per: N,
      fn: () => {
        let s = 0;
        for (let i = 0; i < N; i++) s += ns.fib.lookup(2, frame, 30, 0, -1)?.prefixLen ?? 0;
        out.sink ^= s;
      },
    },
    tasks: [
      {
        name: 'receive → ip_rcv → ip_forward → dev_queue_xmit r1 → b0',
        per: N,
        fn: () => {
          for (let i = 0; i < N; i++) {
            skb.reuse(frame);
            skb.setDev(r0);
            skb.protocol = ns.ethTypeTrans(skb, r0);
            ns.netifReceiveSkb(skb);
          }
          out.sink ^= b0.stats.rxPackets;
        },
      },
    ],
  };
}

export function groups(): BenchGroup[] {
  return [group(true, EBPF_EGRESS), group(false, EBPF_EGRESS), group(true, CLASSIC_EGRESS), group(false, CLASSIC_EGRESS), forwarding()];
}
