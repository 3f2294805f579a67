import { describe, expect, it } from 'vitest';
import { KernelError, Prng, SimClock, fromHex } from '@tcbpf/base';
import { ARPHRD, IFF } from '@tcbpf/uapi';
import { HOOK, NET_RX, NET_XMIT, NetNamespace, PcapWriter, SkBuff, csumFold, csumPartial, decodeCapture, ethTypeTrans, type DropReason, type NetDevice } from '../src/index.js';

function mkNs(seed = 1): NetNamespace {
  return new NetNamespace({ clock: new SimClock(), prng: new Prng(seed) });
}

/** An Ethernet frame dst/src/type + payload. */
function frame(dst: string, src: string, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(fromHex(dst), 0);
  f.set(fromHex(src), 6);
  f[12] = type >>> 8;
  f[13] = type & 0xff;
  f.set(payload, 14);
  return f;
}

const IPV4_PAYLOAD = fromHex('4500001c0001000040110000c0a80001c0a80002d431003500080000');

function expectKernelError(fn: () => unknown, errno: string, extack?: string): void {
  try {
    fn();
  } catch (e) {
    expect(KernelError.isInstance(e)).toBe(true);
    const k = e as KernelError;
    expect(k.errno).toBe(errno);
    if (extack !== undefined) expect(k.extack).toBe(extack);
    return;
  }
  throw new Error(`expected ${errno}`);
}

describe('device table', () => {
  it('lo is ifindex 1, type loopback, down, zero addresses', () => {
    const ns = mkNs();
    expect(ns.loopback.ifindex).toBe(1);
    expect(ns.loopback.name).toBe('lo');
    expect(ns.loopback.type).toBe(ARPHRD.LOOPBACK);
    expect(ns.loopback.mtu).toBe(65536);
    expect(ns.loopback.isUp()).toBe(false);
    expect(ns.loopback.reportedFlags() & IFF.LOOPBACK).toBe(IFF.LOOPBACK);
  });

  it('veth peers register first; ifindexes are cyclic (a freed index is not reused)', () => {
    const ns = mkNs();
    const [va, vb] = ns.addVeth('va', 'vb');
    expect([vb.ifindex, va.ifindex]).toEqual([2, 3]);
    const [v1, v0] = ns.addVeth(); // names from veth%d: the peer takes veth0
    expect([v0.name, v0.ifindex, v1.name, v1.ifindex]).toEqual(['veth0', 4, 'veth1', 5]);
    ns.removeDevice(va);
    expect(ns.getByName('vb')).toBeUndefined();
    const [vc, vd] = ns.addVeth('vc', 'vd');
    expect([vd.ifindex, vc.ifindex]).toEqual([6, 7]);
    expect(ns.devices().map((d) => d.name)).toEqual(['lo', 'veth0', 'veth1', 'vd', 'vc']);
  });

  it('refusals: duplicate name EEXIST, long name EINVAL with the policy extack, index in use EBUSY, nothing half-created', () => {
    const ns = mkNs();
    ns.addDummy('d0');
    expectKernelError(() => ns.addDummy('d0'), 'EEXIST');
    expectKernelError(() => ns.addDummy('abcdefghijklmnop'), 'EINVAL', 'Attribute failed policy validation');
    expectKernelError(() => ns.addDummy('a/b'), 'EINVAL');
    expectKernelError(() => ns.addDummy('x', { ifindex: 1 }), 'EBUSY');
    expectKernelError(() => ns.addVeth('d0', 'fresh'), 'EEXIST');
    expect(ns.getByName('fresh')).toBeUndefined();
    expectKernelError(() => ns.addVeth('v', 'v'), 'EEXIST');
    expect(ns.devices().map((d) => d.name)).toEqual(['lo', 'd0']);
    const [v] = ns.addVeth('v1', 'v2');
    expectKernelError(() => v.setMtu(67), 'EINVAL', 'mtu less than device minimum');
    expectKernelError(() => v.setMtu(65536), 'EINVAL', 'mtu greater than device maximum');
    expectKernelError(() => v.setAddress(fromHex('010203040506')), 'EADDRNOTAVAIL');
    expectKernelError(() => ns.removeDevice(ns.loopback), 'EOPNOTSUPP');
  });

  it('random MACs are locally administered unicast and deterministic for a seed', () => {
    const a = mkNs(9).addDummy('d').addr;
    const b = mkNs(9).addDummy('d').addr;
    expect(a).toEqual(b);
    expect(a[0]! & 0x03).toBe(0x02);
  });
});

describe('eth_type_trans', () => {
  const ns = mkNs();
  const [dev] = ns.addVeth('e0', 'e1', ns, { addr: fromHex('020000000001') });
  const cases: [string, string, number, number, number][] = [
    ['to us', '020000000001', 0x0800, 0, 0x0800],
    ['broadcast', 'ffffffffffff', 0x86dd, 1, 0x86dd],
    ['multicast', '01005e000001', 0x0800, 2, 0x0800],
    ['other host', '020000000002', 0x0806, 3, 0x0806],
    ['802.3 length, LLC', '020000000001', 0x0040, 0, 0x0004],
  ];
  for (const [name, dst, type, pktType, proto] of cases) {
    it(name, () => {
      const skb = SkBuff.fromFrame(frame(dst, '020000000009', type, IPV4_PAYLOAD));
      expect(ethTypeTrans(skb, dev)).toBe(proto);
      expect(skb.pktType).toBe(pktType);
      expect(skb.macHeader).toBe(skb.dataOff - 14);
      expect(skb.ifindex).toBe(dev.ifindex);
    });
  }
  it('raw 802.3 (0xffff payload) gives ETH_P_802_3', () => {
    const skb = SkBuff.fromFrame(frame('020000000001', '020000000009', 0x0020, fromHex('ffff0000')));
    expect(ethTypeTrans(skb, dev)).toBe(0x0001);
  });
  it('lo: even ff:ff:ff:ff:ff:ff is multicast (lo broadcast is all-zero)', () => {
    const skb = SkBuff.fromFrame(frame('ffffffffffff', '000000000000', 0x0800, IPV4_PAYLOAD));
    ethTypeTrans(skb, ns.loopback);
    expect(skb.pktType).toBe(2);
  });
});

describe('veth, loopback and dummy paths with hooks', () => {
  function pair(): { ns: NetNamespace; a: NetDevice; b: NetDevice; got: SkBuff[]; drops: DropReason[] } {
    const ns = mkNs();
    const [a, b] = ns.addVeth('a', 'b', ns, { addr: fromHex('020000000001') }, { addr: fromHex('020000000002') });
    a.setUp(true);
    b.setUp(true);
    const got: SkBuff[] = [];
    const drops: DropReason[] = [];
    ns.onDeliver = (skb) => got.push(skb);
    ns.onDrop = (_s, r) => drops.push(r);
    return { ns, a, b, got, drops };
  }
  function send(ns: NetNamespace, dev: NetDevice, f: Uint8Array): number {
    const skb = SkBuff.fromFrame(f);
    skb.setDev(dev);
    return ns.devQueueXmit(skb);
  }

  it('veth transmit is reception on the peer; counters like ip -s link', () => {
    const { ns, a, b, got } = pair();
    const f = frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD);
    expect(send(ns, a, f)).toBe(NET_XMIT.SUCCESS);
    expect(got.length).toBe(1);
    const skb = got[0]!;
    expect(skb.ifindex).toBe(b.ifindex);
    expect(skb.ingressIfindex).toBe(b.ifindex);
    expect(skb.protocol).toBe(0x0800);
    expect(skb.pktType).toBe(0);
    expect(skb.macLen).toBe(14);
    expect(skb.networkHeader).toBe(skb.dataOff);
    expect([a.stats.txPackets, a.stats.txBytes, b.stats.rxPackets, b.stats.rxBytes]).toEqual([1, f.length, 1, f.length]);
    expect([a.stats.rxPackets, b.stats.txPackets]).toEqual([0, 0]);
  });

  it('peer down: no carrier, noop qdisc drops (tx_dropped on the sender only, NET_XMIT_CN); the egress hook still runs', () => {
    const { ns, a, b, got, drops } = pair();
    b.setUp(false);
    expect(a.hasCarrier()).toBe(false);
    let hooked = 0;
    a.egressHook = () => (hooked++, HOOK.PASS);
    expect(send(ns, a, frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD))).toBe(NET_XMIT.CN);
    expect(got.length).toBe(0);
    expect([a.stats.txDropped, b.stats.rxDropped, a.stats.txPackets, hooked]).toEqual([1, 0, 0, 1]);
    expect(drops).toEqual(['QDISC_DROP']);
  });

  it('sender down: noop qdisc drop and tx_dropped', () => {
    const { ns, a } = pair();
    a.setUp(false);
    expect(send(ns, a, frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD))).toBe(NET_XMIT.CN);
    expect(a.stats.txDropped).toBe(1);
  });

  it('frame longer than the peer MTU allows: not forwardable, tx_dropped on the sender and rx_dropped on the peer', () => {
    const { ns, a, b, got, drops } = pair();
    b.setMtu(1000);
    expect(send(ns, a, frame('020000000002', '020000000001', 0x0800, new Uint8Array(1005)))).toBe(NET_XMIT.DROP);
    expect(send(ns, a, frame('020000000002', '020000000001', 0x0800, new Uint8Array(1004)))).toBe(NET_XMIT.SUCCESS);
    expect(got.length).toBe(1);
    expect([a.stats.txDropped, b.stats.rxDropped, a.stats.txPackets]).toEqual([1, 1, 1]);
    expect(drops).toEqual(['DEV_READY']);
  });

  it('in-band VLAN tag is moved to metadata before the ingress hook', () => {
    const { ns, a, b, got } = pair();
    const seen: { data: Uint8Array; present: boolean; tci: number; proto: number; protocol: number; atIngress: boolean; pktLen: number }[] = [];
    b.ingressHook = (skb) => {
      seen.push({ data: skb.buf.slice(skb.macHeader, skb.dataOff + skb.len), present: skb.vlanPresent, tci: skb.vlanTci, proto: skb.vlanProto, protocol: skb.protocol, atIngress: skb.tcAtIngress, pktLen: skb.qdiscPktLen });
      return HOOK.PASS;
    };
    const tagged = frame('020000000002', '020000000001', 0x8100, new Uint8Array([0x20, 0x00, 0x08, 0x00, ...IPV4_PAYLOAD])); // vid 0 prio 1
    send(ns, a, tagged);
    expect(seen.length).toBe(1);
    const s = seen[0]!;
    expect([s.present, s.tci, s.proto, s.protocol, s.atIngress, s.pktLen]).toEqual([true, 0x2000, 0x8100, 0x0800, true, IPV4_PAYLOAD.length]);
    expect(s.data).toEqual(frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD));
    // vid 0: tag cleared after the hook, delivered
    expect(got.length).toBe(1);
    expect(got[0]!.vlanPresent).toBe(false);
    // vid 5: no VLAN device, PACKET_OTHERHOST
    send(ns, a, frame('020000000002', '020000000001', 0x8100, new Uint8Array([0x00, 0x05, 0x08, 0x00, ...IPV4_PAYLOAD])));
    expect(got[1]!.pktType).toBe(3);
  });

  it('hook verdicts: DROP, CONSUMED, PASS; egress hook sees the MAC header', () => {
    const { ns, a, b, got, drops } = pair();
    const f = frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD);
    b.ingressHook = () => HOOK.DROP;
    expect(send(ns, a, f)).toBe(NET_XMIT.SUCCESS);
    expect(drops).toEqual(['TC_INGRESS']);
    b.ingressHook = () => HOOK.CONSUMED;
    send(ns, a, f);
    expect(got.length).toBe(0);
    b.ingressHook = () => 7; // unknown numbers continue, as in the kernel
    send(ns, a, f);
    expect(got.length).toBe(1);
    let egressLen = -1;
    let egressMac = -1;
    a.egressHook = (skb) => {
      egressLen = skb.len;
      egressMac = skb.macHeader - skb.dataOff;
      return HOOK.DROP;
    };
    expect(send(ns, a, f)).toBe(NET_XMIT.DROP);
    expect([egressLen, egressMac]).toEqual([f.length, 0]);
    expect(drops).toEqual(['TC_INGRESS', 'TC_EGRESS']);
    expect(b.stats.rxPackets).toBe(3); // ingress drops are not device drops
  });

  it('a hook that redirects back and forth does not recurse (backlog) and ANOTHER_ROUND re-runs on the new device', () => {
    const { ns, a, b, got } = pair();
    let n = 0;
    b.ingressHook = (skb) => {
      if (++n > 5) return HOOK.PASS;
      skb.push(skb.macLen);
      skb.setDev(b);
      ns.devQueueXmit(skb); // out of b, into a
      return HOOK.CONSUMED;
    };
    a.ingressHook = (skb) => {
      skb.push(skb.macLen);
      skb.setDev(a);
      ns.devQueueXmit(skb); // back into b
      return HOOK.CONSUMED;
    };
    send(ns, a, frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD));
    expect(n).toBe(6);
    expect(got.length).toBe(1);
    expect(ns.xmitRecursion).toBe(0);
    // ANOTHER_ROUND: move to a
    a.ingressHook = null;
    b.ingressHook = (skb) => {
      skb.setDev(a);
      return HOOK.ANOTHER_ROUND;
    };
    send(ns, a, frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD));
    expect(got[1]!.ingressIfindex).toBe(a.ifindex);
  });

  it('loopback counts rx and tx without the L2 header; dummy counts tx and frees', () => {
    const ns = mkNs();
    ns.loopback.setUp(true);
    const got: SkBuff[] = [];
    ns.onDeliver = (s) => got.push(s);
    const f = frame('000000000000', '000000000000', 0x0800, IPV4_PAYLOAD);
    expect(send(ns, ns.loopback, f)).toBe(NET_XMIT.SUCCESS);
    expect(got.length).toBe(1);
    expect(ns.loopback.stats).toMatchObject({ rxPackets: 1, txPackets: 1, rxBytes: f.length - 14, txBytes: f.length - 14 });
    const d = ns.addDummy();
    d.setUp(true);
    expect(d.name).toBe('dummy0');
    expect(send(ns, d, f)).toBe(NET_XMIT.SUCCESS);
    expect(d.stats).toMatchObject({ txPackets: 1, txBytes: f.length, rxPackets: 0 });
    expect(got.length).toBe(1);
  });

  it('veth across namespaces scrubs mark and keeps priority cleared', () => {
    const ns1 = mkNs(1);
    const ns2 = mkNs(2);
    const [a, b] = ns1.addVeth('a', 'b', ns2);
    a.setUp(true);
    b.setUp(true);
    expect(b.ns).toBe(ns2);
    expect(b.ifindex).toBe(2);
    const got: SkBuff[] = [];
    ns2.onDeliver = (s) => got.push(s);
    const skb = SkBuff.fromFrame(frame('ffffffffffff', '020000000001', 0x0806, new Uint8Array(28)));
    skb.mark = 42;
    skb.priority = 6;
    skb.setDev(a);
    expect(ns1.devQueueXmit(skb)).toBe(NET_XMIT.SUCCESS);
    expect(got.length).toBe(1);
    expect([got[0]!.mark, got[0]!.priority, got[0]!.pktType, got[0]!.protocol]).toEqual([0, 0, 1, 0x0806]);
  });

  it('devForwardSkb: MTU checked for dev_forward_skb, not for the BPF_F_INGRESS path; CHECKSUM_COMPLETE csum loses the pulled header', () => {
    const { ns, b, got } = pair();
    b.setMtu(100);
    const big = frame('020000000002', '020000000001', 0x0800, new Uint8Array(200).fill(3));
    expect(ns.devForwardSkb(b, SkBuff.fromFrame(big))).toBe(NET_RX.DROP);
    expect(b.stats.rxDropped).toBe(1);
    const skb = SkBuff.fromFrame(big);
    skb.ipSummed = 2; // CHECKSUM_COMPLETE over the whole frame
    skb.csum = csumPartial(skb.buf, skb.dataOff, skb.len, 0);
    expect(ns.devForwardSkb(b, skb, false)).toBe(NET_RX.SUCCESS);
    expect(got.length).toBe(1);
    expect(csumFold(skb.csum)).toBe(csumFold(csumPartial(skb.buf, skb.dataOff, skb.len, 0)));
  });

  it('packet taps: receive taps run before the ingress hook, transmit taps after the egress hook; a tap can write a pcap', () => {
    const { ns, a, b } = pair();
    const order: string[] = [];
    const frames: Uint8Array[] = [];
    b.taps.push((skb, _dev, outgoing) => {
      order.push(`tap-b-${outgoing ? 'out' : 'in'}`);
      frames.push(skb.buf.slice(skb.macHeader, skb.dataOff + skb.len));
    });
    a.taps.push((_s, _d, outgoing) => order.push(`tap-a-${outgoing ? 'out' : 'in'}`));
    a.egressHook = () => (order.push('egress-a'), HOOK.PASS);
    b.ingressHook = () => (order.push('ingress-b'), HOOK.DROP);
    const f = frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD);
    send(ns, a, f);
    expect(order).toEqual(['egress-a', 'tap-a-out', 'tap-b-in', 'ingress-b']);
    expect(frames).toEqual([f]);
    const parts: Uint8Array[] = [];
    const w = new PcapWriter({ write: (c) => void parts.push(c.slice()) });
    for (const fr of frames) w.writePacket(fr, 1, 0);
    w.close();
    expect([...decodeCapture(parts)].map((r) => r.data)).toEqual([f]);
  });

  it('backlog limit: more than netdev_max_backlog queued packets are dropped (CPU_BACKLOG)', () => {
    const { ns, a, b, drops } = pair();
    let fired = false;
    b.ingressHook = () => {
      if (fired) return HOOK.CONSUMED;
      fired = true;
      // while the first packet is processed, queue 1005 more
      for (let i = 0; i < 1005; i++) send(ns, a, frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD));
      return HOOK.CONSUMED;
    };
    send(ns, a, frame('020000000002', '020000000001', 0x0800, IPV4_PAYLOAD));
    // enqueue_to_backlog queues while qlen <= netdev_max_backlog: 1001 fit
    expect(drops.filter((d) => d === 'CPU_BACKLOG').length).toBe(4);
    expect(b.stats.rxDropped).toBe(4);
    expect(a.stats.txDropped).toBe(4);
    expect(NET_RX.DROP).toBe(1);
  });
});
