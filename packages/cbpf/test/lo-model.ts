// How a frame sent with an AF_PACKET socket on `lo` reaches a packet socket's
// filter on Linux 6.18, as ClassicSkb objects: the outgoing copy
// (dev_queue_xmit_nit: PACKET_OUTGOING, protocol = the sender's sll_protocol,
// tag in-band) and the host-side copy (loopback_xmit -> eth_type_trans ->
// __netif_receive_skb_core, which moves an 802.1Q/802.1ad tag out of band).
import type { ClassicSkb } from '../src/index.js';

const HEADROOM = 32;

function make(frame: Uint8Array, o: Partial<ClassicSkb>): ClassicSkb {
  const buf = new Uint8Array(HEADROOM + frame.length);
  buf.set(frame, HEADROOM);
  return {
    buf, dataOff: HEADROOM, len: frame.length, macHeader: HEADROOM, networkHeader: HEADROOM + 14,
    protocol: (frame[12]! << 8) | frame[13]!, pktType: 4, mark: 0, queueMapping: 0, hash: 0,
    vlanPresent: false, vlanTci: 0, vlanProto: 0, ifindex: 1, devType: 772, ...o,
  };
}

/**
 * eth_type_trans's pkt_type on lo: dev_addr is 00:00:00:00:00:00 and, since
 * loopback_setup does not call ether_setup, so is dev->broadcast — an
 * ff:ff:ff:ff:ff:ff destination is therefore PACKET_MULTICAST (observed).
 */
export function loPktType(frame: Uint8Array): number {
  const d = frame.subarray(0, 6);
  if (d.every((b) => b === 0)) return 0;
  return (d[0]! & 1) !== 0 ? 2 : 3;
}

export function loOutgoing(frame: Uint8Array): ClassicSkb {
  return make(frame, { pktType: 4 });
}

export function loIngress(frame: Uint8Array): ClassicSkb {
  const type = (frame[12]! << 8) | frame[13]!;
  const pktType = loPktType(frame);
  if ((type === 0x8100 || type === 0x88a8) && frame.length >= 20) {
    const tci = (frame[14]! << 8) | frame[15]!;
    const inner = (frame[16]! << 8) | frame[17]!;
    const stripped = new Uint8Array(frame.length - 4);
    stripped.set(frame.subarray(0, 12), 0);
    stripped.set(frame.subarray(16), 12);
    return make(stripped, { pktType, protocol: inner, vlanPresent: true, vlanTci: tci, vlanProto: type });
  }
  return make(frame, { pktType });
}

/**
 * The host-side copy a packet socket bound to one EtherType sees: after the
 * taps, __netif_receive_skb_core finds no VLAN device for an offloaded tag,
 * marks the frame PACKET_OTHERHOST when its VLAN id is not 0, and clears the
 * tag (__vlan_hwaccel_clear_tag: vlan_all = 0) before delivery by protocol.
 * The model's clear leaves vlanTci/vlanProto behind, as SkBuff.vlanClear does.
 */
export function loProtocolDelivery(frame: Uint8Array): ClassicSkb {
  const rx = loIngress(frame);
  if (!rx.vlanPresent) return rx;
  return { ...rx, vlanPresent: false, pktType: (rx.vlanTci & 0xfff) !== 0 ? 3 : rx.pktType };
}
