// Models net/ethernet/eth.c (eth_type_trans, eth_random_addr) and the VLAN
// untagging of net/core/skbuff.c (skb_vlan_untag, skb_reorder_vlan_header) and
// include/linux/if_vlan.h (vlan_set_encap_proto), Linux 6.18.
import type { Prng } from '@tcbpf/base';
import { ETH, ETH_P } from '@tcbpf/uapi';
import type { NetDevice } from './net-device.js';
import { VLAN_HLEN, type SkBuff } from './sk-buff.js';

const ETH_P_8021Q = ETH_P['8021Q'];
const ETH_P_8021AD = ETH_P['8021AD'];
const ETH_P_802_3_MIN = ETH_P['802_3_MIN'];
const ETH_P_802_3 = ETH_P['802_3'];
const ETH_P_802_2 = ETH_P['802_2'];
const ETH_HLEN = ETH.HLEN;

/** `eth_type_vlan()`: 802.1Q or 802.1ad (host-order EtherType). */
export function ethTypeVlan(proto: number): boolean {
  return proto === ETH_P_8021Q || proto === ETH_P_8021AD;
}

function macEqual(a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  return a[aOff] === b[0] && a[aOff + 1] === b[1] && a[aOff + 2] === b[2] && a[aOff + 3] === b[3] && a[aOff + 4] === b[4] && a[aOff + 5] === b[5];
}

/**
 * `eth_type_trans(skb, dev)`: set `skb->dev`, reset the MAC header, pull the
 * 14-byte Ethernet header, classify `pkt_type` against the device's address and
 * broadcast address, and return the protocol (host order): the EtherType when
 * >= 0x0600, else ETH_P_802_3 for a raw 0xffff frame or ETH_P_802_2 (LLC). The
 * caller stores it in `skb.protocol`. Returns -1 (no change) when `len < 14`,
 * where the kernel would read past the data.
 */
export function ethTypeTrans(skb: SkBuff, dev: NetDevice): number {
  if (skb.len < ETH_HLEN) return -1;
  skb.setDev(dev);
  skb.resetMacHeader();
  const b = skb.buf;
  const m = skb.dataOff;
  skb.pull(ETH_HLEN);
  if (!macEqual(b, m, dev.addr)) {
    if ((b[m]! & 1) !== 0) skb.pktType = macEqual(b, m, dev.broadcast) ? 1 : 2;
    else skb.pktType = 3;
  }
  const proto = (b[m + 12]! << 8) | b[m + 13]!;
  if (proto >= ETH_P_802_3_MIN) return proto;
  // skb_header_pointer(skb, 0, 2): the first two payload bytes, if present
  if (skb.len >= 2 && b[skb.dataOff] === 0xff && b[skb.dataOff + 1] === 0xff) return ETH_P_802_3;
  return ETH_P_802_2;
}

/**
 * `skb_vlan_untag()`: move an in-band 802.1Q/802.1ad tag (data at the tag,
 * `skb.protocol` the tag's TPID) into the skb's VLAN metadata, shift the MAC
 * addresses forward over it and reset the network header. Returns false when
 * the packet is too short (the kernel frees it); true otherwise (also when a
 * metadata tag is already present, which leaves the packet alone).
 */
export function skbVlanUntag(skb: SkBuff): boolean {
  if (skb.vlanPresent) return true;
  // pskb_may_pull(skb, VLAN_HLEN + sizeof(unsigned short))
  if (skb.len < VLAN_HLEN + 2) return false;
  const b = skb.buf;
  const d = skb.dataOff;
  const tci = (b[d]! << 8) | b[d + 1]!;
  skb.vlanPut(skb.protocol, tci);
  skb.pullRcsum(VLAN_HLEN);
  // vlan_set_encap_proto
  const encap = (b[d + 2]! << 8) | b[d + 3]!;
  if (encap >= ETH_P_802_3_MIN) skb.protocol = encap;
  else if (b[d + 4] === 0xff && b[d + 5] === 0xff) skb.protocol = ETH_P_802_3;
  else skb.protocol = ETH_P_802_2;
  // skb_reorder_vlan_header
  if (skb.macHeader >= 0) {
    const macLen = skb.dataOff - skb.macHeader;
    if (macLen > VLAN_HLEN + 2) b.copyWithin(skb.macHeader + VLAN_HLEN, skb.macHeader, skb.macHeader + macLen - VLAN_HLEN - 2);
    skb.macHeader += VLAN_HLEN;
  }
  skb.resetNetworkHeader();
  if (!skb.transportHeaderWasSet()) skb.resetTransportHeader();
  skb.resetMacLen();
  return true;
}

/** `eth_random_addr()`: a random locally administered unicast MAC from `prng`. */
export function ethRandomAddr(prng: Prng): Uint8Array {
  const a = new Uint8Array(6);
  const x = prng.u32();
  const y = prng.u32();
  a[0] = ((x & 0xff) & 0xfe) | 0x02;
  a[1] = (x >>> 8) & 0xff;
  a[2] = (x >>> 16) & 0xff;
  a[3] = (x >>> 24) & 0xff;
  a[4] = y & 0xff;
  a[5] = (y >>> 8) & 0xff;
  return a;
}

/** `is_valid_ether_addr()`: not multicast and not all-zero. */
export function isValidEtherAddr(a: Uint8Array): boolean {
  if (a.length !== 6) return false;
  if ((a[0]! & 1) !== 0) return false;
  return (a[0]! | a[1]! | a[2]! | a[3]! | a[4]! | a[5]!) !== 0;
}

/** Format a MAC address as `aa:bb:cc:dd:ee:ff`. */
export function formatMac(a: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i === 0 ? '' : ':') + a[off + i]!.toString(16).padStart(2, '0');
  return s;
}

/** Parse `aa:bb:cc:dd:ee:ff` (or `-` separated); throws RangeError on bad input. */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new RangeError(`bad MAC address "${s}"`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}
