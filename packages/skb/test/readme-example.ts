import { Prng, SimClock } from '@tcbpf/base';
import { HOOK, NetNamespace, PcapWriter, SkBuff, buildFrame, decodeCapture, dissect, type ByteSink } from '@tcbpf/skb';

// A namespace with lo (ifindex 1) and a veth pair; the peer is registered first.
const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(1) });
const [veth0, veth1] = ns.addVeth('veth0', 'veth1');
veth0.setUp(true);
veth1.setUp(true);
console.log(veth1.ifindex, veth0.ifindex); // 2 3

// What the tc layer would do: a hook on veth1's ingress that drops UDP to port 53.
veth1.ingressHook = (skb) => {
  const d = skb.buf[skb.networkHeader + 9] === 17 ? skb.view.getUint16(skb.networkHeader + 22, false) : -1;
  return d === 53 ? HOOK.DROP : HOOK.PASS;
};
const delivered: SkBuff[] = [];
ns.onDeliver = (skb) => delivered.push(skb);

// Build two frames (checksums filled in), capture them to pcap, send them on veth0.
const chunks: Uint8Array[] = [];
const sink: ByteSink = { write: (c) => void chunks.push(c.slice()) }; // c is only valid during the call
const pcap = new PcapWriter(sink, { nanosecond: true });
for (const dport of [53, 80]) {
  const frame = buildFrame({
    dst: veth1.addr, src: veth0.addr,
    l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'udp', sport: 4000, dport } },
  });
  pcap.writePacket(frame, 1_700_000_000, ns.clock.nowNs() % 1e9);
  const skb = SkBuff.fromFrame(frame);
  skb.setDev(veth0);
  ns.devQueueXmit(skb);
}
pcap.close();

console.log(delivered.length, delivered[0]?.protocol.toString(16)); // 1 '800'
console.log(veth0.stats.txPackets, veth1.stats.rxPackets); // 2 2

// Read the capture back, streaming; checksums verify.
for (const rec of decodeCapture(chunks)) console.log(rec.index, rec.capLen, dissect(rec.data).l4CsumOk); // 0 42 true / 1 42 true
