// Models include/linux/skbuff.h and net/core/skbuff.c (Linux 6.18): the parts
// of struct sk_buff that tc and BPF can observe — one linear buffer with
// headroom and tailroom (skb_push/pull/put/trim/reserve, pskb_expand_head),
// header offsets, metadata (mark, priority, hash, VLAN, tc_index), the qdisc
// control block (include/net/sch_generic.h struct qdisc_skb_cb) and checksum state.
// Paged data (frags, frag_list), sockets, dst entries and extensions are not modelled:
// `dataLen` is always 0 and every skb is linear.
import type { NetDevice } from './net-device.js';

/** `NET_SKB_PAD` on x86-64: max(32, L1_CACHE_BYTES = 64). Headroom of netdev_alloc_skb. */
export const NET_SKB_PAD = 64;
/** `QDISC_CB_PRIV_LEN`: bytes of `qdisc_skb_cb.data` (`__sk_buff.cb[5]`). */
export const QDISC_CB_PRIV_LEN = 20;
/** `VLAN_HLEN`: bytes of an 802.1Q/802.1ad tag. */
export const VLAN_HLEN = 4;
/** `VLAN_ETH_HLEN`: Ethernet header plus one tag. */
export const VLAN_ETH_HLEN = 18;

/** `skb->ip_summed` values (include/linux/skbuff.h). */
export const CHECKSUM = Object.freeze({
  NONE: 0,
  UNNECESSARY: 1,
  COMPLETE: 2,
  PARTIAL: 3,
});

/** `skb->tstamp_type` values (`enum skb_tstamp_type`; `__sk_buff.tstamp_type` uses the same numbers). */
export const SKB_CLOCK = Object.freeze({
  REALTIME: 0,
  MONOTONIC: 1,
  TAI: 2,
});

/**
 * A socket buffer. Offsets (`dataOff`, `macHeader`, `networkHeader`,
 * `transportHeader`) index `buf`, whose index 0 is `skb->head`; an unset header
 * offset is -1 (the kernel's `(typeof(skb->mac_header))~0U`). The linear data is
 * `buf[dataOff, dataOff + len)`; the tail pointer is `dataOff + len`; `buf.length`
 * is `skb->end`.
 *
 * Fields are plain public properties because the tc core and the BPF layers read
 * and write them on hot paths. Byte order: `protocol` and `vlanProto` are
 * EtherTypes in **host** order (0x0800 = `ntohs(skb->protocol)`); the `__sk_buff`
 * layer converts to network order at its boundary. Packet bytes in `buf` are
 * always network order; `view` is a DataView over `buf` for explicit-endian reads.
 */
export class SkBuff {
  /** The whole buffer, head..end. Replaced by `expandHead`. */
  buf: Uint8Array;
  /** DataView over exactly `buf` (kept in step with it). */
  view: DataView;
  /** Offset of `skb->data` within `buf`. */
  dataOff: number;
  /** `skb->len`: bytes from data to tail (all linear here). */
  len = 0;
  /** `skb->data_len`: paged bytes; always 0 (no frags are modelled). */
  dataLen = 0;
  /** `skb->mac_header` as an offset into `buf`; -1 when unset. */
  macHeader = -1;
  /** `skb->network_header` as an offset into `buf`; -1 when unset. */
  networkHeader = -1;
  /** `skb->transport_header` as an offset into `buf`; -1 when unset. */
  transportHeader = -1;
  /** `skb->mac_len`. */
  macLen = 0;
  /** `ntohs(skb->protocol)`: EtherType in host order, e.g. 0x0800. */
  protocol = 0;
  /** `skb->pkt_type` (PACKET_HOST = 0 ...). */
  pktType = 0;
  /** `skb->mark`. */
  mark = 0;
  /** `skb->priority`. */
  priority = 0;
  /** `skb->queue_mapping`. */
  queueMapping = 0;
  /** `skb->tc_index` (u16). */
  tcIndex = 0;
  /** `skb->hash`; meaningful when `l4Hash` or `swHash` or non-zero. */
  hash = 0;
  /** `skb->l4_hash`: the hash covers the L4 ports. */
  l4Hash = false;
  /** `skb->sw_hash`: the hash was computed in software. */
  swHash = false;
  /** `skb_vlan_tag_present()`: an offloaded (metadata) VLAN tag is present. */
  vlanPresent = false;
  /** `skb->vlan_tci` (host order). */
  vlanTci = 0;
  /** `ntohs(skb->vlan_proto)`, host order, e.g. 0x8100. */
  vlanProto = 0;
  /** `skb->dev->ifindex` (0 without a device). */
  ifindex = 0;
  /** `skb->skb_iif`: the device the packet arrived on; 0 when locally generated. */
  ingressIfindex = 0;
  /** `skb->dev->type` (ARPHRD_ETHER = 1). */
  devType = 0;
  /** `skb->dev`. */
  dev: NetDevice | null = null;
  /** `qdisc_skb_cb(skb)->tc_classid`: a u16 in the kernel; writers mask with 0xffff. */
  tcClassid = 0;
  /** `qdisc_skb_cb(skb)->pkt_len` (`__sk_buff.wire_len`). */
  qdiscPktLen = 0;
  /** `qdisc_skb_cb(skb)->data`: 20 bytes (`__sk_buff.cb[0..4]`, host-order u32 words). */
  readonly cb: Uint8Array;
  /** `skb->tstamp` in ns from the simulated clock; 0 when unset. */
  tstamp = 0;
  /** `skb->tstamp_type` (SKB_CLOCK). */
  tstampType = 0;
  /** Hardware receive timestamp (`skb_hwtstamps()->hwtstamp`), ns; 0 when none. */
  hwtstamp = 0;
  /** `skb->tc_at_ingress`: set by the ingress hook, cleared on egress. */
  tcAtIngress = false;
  /** `skb->tc_skip_classify`. */
  tcSkipClassify = false;
  /** `skb->redirected`. */
  redirected = false;
  /** `skb->from_ingress` (valid while `redirected`). */
  fromIngress = false;
  /** `skb->ip_summed` (CHECKSUM). */
  ipSummed = 0;
  /** `skb->csum`: the folded-to-32-bit sum for CHECKSUM_COMPLETE (uint32). */
  csum = 0;
  /** `skb->csum_start` as an offset into `buf` (CHECKSUM_PARTIAL). */
  csumStart = 0;
  /** `skb->csum_offset` from `csumStart` (CHECKSUM_PARTIAL). */
  csumOffset = 0;
  /** `skb->csum_level`. */
  csumLevel = 0;
  /** `skb_shinfo(skb)->gso_size` (0: not GSO). */
  gsoSize = 0;
  /** `skb_shinfo(skb)->gso_segs`. */
  gsoSegs = 0;
  /** `skb->napi_id`. */
  napiId = 0;

  /**
   * `alloc_skb(headroom + size)` followed by `skb_reserve(headroom)`: an empty skb
   * (len 0) with `size` bytes of tailroom.
   */
  constructor(size: number, headroom = NET_SKB_PAD) {
    if (!Number.isInteger(size) || size < 0 || !Number.isInteger(headroom) || headroom < 0) {
      throw new RangeError(`SkBuff: bad size ${size} / headroom ${headroom}`);
    }
    const ab = new ArrayBuffer(QDISC_CB_PRIV_LEN + headroom + size);
    // one allocation holds the cb and the packet buffer
    this.cb = new Uint8Array(ab, 0, QDISC_CB_PRIV_LEN);
    this.buf = new Uint8Array(ab, QDISC_CB_PRIV_LEN, headroom + size);
    this.view = new DataView(ab, QDISC_CB_PRIV_LEN, headroom + size);
    this.dataOff = headroom;
  }

  /** An skb holding a copy of `frame` as its linear data, `headroom` bytes before it and `tailroom` after. */
  static fromFrame(frame: Uint8Array, headroom = NET_SKB_PAD, tailroom = 0): SkBuff {
    const skb = new SkBuff(frame.length + tailroom, headroom);
    skb.buf.set(frame, headroom);
    skb.len = frame.length;
    return skb;
  }

  /**
   * Reuse this skb for a new frame without allocating: every field returns to
   * its `alloc_skb` state (the cb is zeroed), then `frame` is copied in after
   * `headroom` bytes. Returns false (and changes nothing) when it does not fit.
   */
  reuse(frame: Uint8Array, headroom = NET_SKB_PAD): boolean {
    if (headroom < 0 || headroom + frame.length > this.buf.length) return false;
    this.buf.set(frame, headroom);
    this.cb.fill(0);
    this.dataOff = headroom;
    this.len = frame.length;
    this.macHeader = -1;
    this.networkHeader = -1;
    this.transportHeader = -1;
    this.macLen = 0;
    this.protocol = 0;
    this.pktType = 0;
    this.mark = 0;
    this.priority = 0;
    this.queueMapping = 0;
    this.tcIndex = 0;
    this.hash = 0;
    this.l4Hash = false;
    this.swHash = false;
    this.vlanPresent = false;
    this.vlanTci = 0;
    this.vlanProto = 0;
    this.ifindex = 0;
    this.ingressIfindex = 0;
    this.devType = 0;
    this.dev = null;
    this.tcClassid = 0;
    this.qdiscPktLen = 0;
    this.tstamp = 0;
    this.tstampType = 0;
    this.hwtstamp = 0;
    this.tcAtIngress = false;
    this.tcSkipClassify = false;
    this.redirected = false;
    this.fromIngress = false;
    this.ipSummed = 0;
    this.csum = 0;
    this.csumStart = 0;
    this.csumOffset = 0;
    this.csumLevel = 0;
    this.gsoSize = 0;
    this.gsoSegs = 0;
    this.napiId = 0;
    return true;
  }

  /** `skb_headroom()`. */
  headroom(): number {
    return this.dataOff;
  }

  /** `skb_tailroom()`. */
  tailroom(): number {
    return this.buf.length - this.dataOff - this.len;
  }

  /** `skb_tail_pointer()` as an offset into `buf`. */
  tailOff(): number {
    return this.dataOff + this.len;
  }

  /** `skb_headlen()`: linear bytes (= len, nothing is paged). */
  headlen(): number {
    return this.len - this.dataLen;
  }

  /** `skb_reserve()`: move data and tail forward by `n` (empty skb). Returns 0, or -1 if the tailroom is short. */
  reserve(n: number): number {
    if (n < 0 || n > this.tailroom()) return -1;
    this.dataOff += n;
    return 0;
  }

  /**
   * `skb_push()`: prepend `n` bytes; returns the new data offset. The kernel
   * panics (skb_under_panic) when the headroom is short; this returns -1 and
   * changes nothing.
   */
  push(n: number): number {
    if (n < 0 || n > this.dataOff) return -1;
    this.dataOff -= n;
    this.len += n;
    return this.dataOff;
  }

  /** `skb_pull()`: remove `n` bytes from the front; returns the new data offset, or -1 (NULL) when `n > len`. */
  pull(n: number): number {
    if (n < 0 || n > this.len) return -1;
    this.dataOff += n;
    this.len -= n;
    return this.dataOff;
  }

  /**
   * `skb_pull_rcsum()`: pull, keeping a CHECKSUM_COMPLETE `csum` valid
   * (`skb_postpull_rcsum`). Returns the new data offset or -1.
   */
  pullRcsum(n: number): number {
    if (n < 0 || n > this.len) return -1;
    if (this.ipSummed === CHECKSUM.COMPLETE) this.csum = csumSubBlock(this.csum, this.buf, this.dataOff, n);
    return this.pull(n);
  }

  /**
   * `skb_postpull_rcsum(skb, buf + off, len)`: after bytes at `off` were pulled,
   * take them out of a CHECKSUM_COMPLETE `csum`.
   */
  postpullRcsum(off: number, len: number): void {
    if (this.ipSummed === CHECKSUM.COMPLETE) this.csum = csumSubBlock(this.csum, this.buf, off, len);
  }

  /**
   * `skb_put()`: extend the tail by `n` bytes; returns the offset of the old
   * tail (where the new bytes start). The kernel panics (skb_over_panic) when
   * the tailroom is short; this returns -1 and changes nothing.
   */
  put(n: number): number {
    if (n < 0 || n > this.tailroom()) return -1;
    const at = this.dataOff + this.len;
    this.len += n;
    return at;
  }

  /** `skb_trim()`: cut the data to `len` bytes if it is longer. */
  trim(len: number): void {
    if (len >= 0 && len < this.len) this.len = len;
  }

  /**
   * `pskb_expand_head(skb, nhead, ntail)`: reallocate the buffer with `nhead`
   * more bytes of headroom and `ntail` more of tailroom, keeping data and every
   * header offset in place relative to the data. Returns 0, or -22 (-EINVAL)
   * for negative sizes (the kernel BUGs).
   */
  expandHead(nhead: number, ntail: number): number {
    if (!Number.isInteger(nhead) || !Number.isInteger(ntail) || nhead < 0 || ntail < 0) return -22;
    const old = this.buf;
    const nb = new Uint8Array(old.length + nhead + ntail);
    nb.set(old, nhead);
    this.buf = nb;
    this.view = new DataView(nb.buffer, nb.byteOffset, nb.length);
    this.dataOff += nhead;
    if (this.macHeader >= 0) this.macHeader += nhead;
    if (this.networkHeader >= 0) this.networkHeader += nhead;
    if (this.transportHeader >= 0) this.transportHeader += nhead;
    this.csumStart += nhead;
    return 0;
  }

  /** `skb_cow_head()`-like: make sure at least `headroom` bytes precede data. Returns 0. */
  ensureHeadroom(headroom: number): number {
    return headroom > this.dataOff ? this.expandHead(headroom - this.dataOff, 0) : 0;
  }

  /** Make sure at least `tailroom` bytes follow the tail. Returns 0. */
  ensureTailroom(tailroom: number): number {
    const have = this.tailroom();
    return tailroom > have ? this.expandHead(0, tailroom - have) : 0;
  }

  /** `skb_reset_mac_header()`. */
  resetMacHeader(): void {
    this.macHeader = this.dataOff;
  }

  /** `skb_reset_network_header()`. */
  resetNetworkHeader(): void {
    this.networkHeader = this.dataOff;
  }

  /** `skb_reset_transport_header()`. */
  resetTransportHeader(): void {
    this.transportHeader = this.dataOff;
  }

  /** `skb_set_network_header(skb, off)`: data + off. */
  setNetworkHeader(off: number): void {
    this.networkHeader = this.dataOff + off;
  }

  /** `skb_set_transport_header(skb, off)`: data + off. */
  setTransportHeader(off: number): void {
    this.transportHeader = this.dataOff + off;
  }

  /** `skb_set_mac_header(skb, off)`: data + off. */
  setMacHeader(off: number): void {
    this.macHeader = this.dataOff + off;
  }

  /** `skb_reset_mac_len()`: network header minus MAC header (0 when either is unset). */
  resetMacLen(): void {
    this.macLen = this.macHeader >= 0 && this.networkHeader >= 0 ? this.networkHeader - this.macHeader : 0;
  }

  /** `skb_mac_header_was_set()`. */
  macHeaderWasSet(): boolean {
    return this.macHeader >= 0;
  }

  /** `skb_transport_header_was_set()`. */
  transportHeaderWasSet(): boolean {
    return this.transportHeader >= 0;
  }

  /** `skb_network_offset()`: network header relative to data (may be negative). */
  networkOffset(): number {
    return this.networkHeader - this.dataOff;
  }

  /** `skb_mac_offset()`: MAC header relative to data (may be negative). */
  macOffset(): number {
    return this.macHeader - this.dataOff;
  }

  /** `__vlan_hwaccel_put_tag()`: set the metadata tag (`proto` host order). */
  vlanPut(proto: number, tci: number): void {
    this.vlanPresent = true;
    this.vlanProto = proto & 0xffff;
    this.vlanTci = tci & 0xffff;
  }

  /** `__vlan_hwaccel_clear_tag()`. */
  vlanClear(): void {
    this.vlanPresent = false;
  }

  /** `skb_set_hash()`-like: `l4` sets l4_hash; `sw` marks a software hash. */
  setHash(hash: number, l4: boolean, sw: boolean): void {
    this.hash = hash >>> 0;
    this.l4Hash = l4;
    this.swHash = sw;
  }

  /** `skb_clear_hash()`. */
  clearHash(): void {
    this.hash = 0;
    this.l4Hash = false;
    this.swHash = false;
  }

  /** Point the skb at `dev` (`skb->dev = dev`), updating `ifindex` and `devType`. */
  setDev(dev: NetDevice | null): void {
    this.dev = dev;
    this.ifindex = dev === null ? 0 : dev.ifindex;
    this.devType = dev === null ? 0 : dev.type;
  }

  /**
   * `skb_scrub_packet(skb, xnet)`: forget per-namespace state before the packet
   * crosses devices; `xnet` (different netns) also clears the mark and a realtime timestamp.
   */
  scrub(xnet: boolean): void {
    this.pktType = 0;
    this.ingressIfindex = 0;
    if (!xnet) return;
    this.mark = 0;
    if (this.tstampType === SKB_CLOCK.REALTIME) this.tstamp = 0;
  }

  /** A copy of the linear data (allocates; for tests and tools, not hot paths). */
  data(): Uint8Array {
    return this.buf.slice(this.dataOff, this.dataOff + this.len);
  }

  /** `skb_copy()`: a deep copy with the same headroom, tailroom, offsets and metadata. */
  copy(): SkBuff {
    const c = new SkBuff(this.buf.length - this.dataOff, this.dataOff);
    c.buf.set(this.buf);
    c.cb.set(this.cb);
    c.len = this.len;
    c.macHeader = this.macHeader;
    c.networkHeader = this.networkHeader;
    c.transportHeader = this.transportHeader;
    c.macLen = this.macLen;
    c.protocol = this.protocol;
    c.pktType = this.pktType;
    c.mark = this.mark;
    c.priority = this.priority;
    c.queueMapping = this.queueMapping;
    c.tcIndex = this.tcIndex;
    c.hash = this.hash;
    c.l4Hash = this.l4Hash;
    c.swHash = this.swHash;
    c.vlanPresent = this.vlanPresent;
    c.vlanTci = this.vlanTci;
    c.vlanProto = this.vlanProto;
    c.ifindex = this.ifindex;
    c.ingressIfindex = this.ingressIfindex;
    c.devType = this.devType;
    c.dev = this.dev;
    c.tcClassid = this.tcClassid;
    c.qdiscPktLen = this.qdiscPktLen;
    c.tstamp = this.tstamp;
    c.tstampType = this.tstampType;
    c.hwtstamp = this.hwtstamp;
    c.tcAtIngress = this.tcAtIngress;
    c.tcSkipClassify = this.tcSkipClassify;
    c.redirected = this.redirected;
    c.fromIngress = this.fromIngress;
    c.ipSummed = this.ipSummed;
    c.csum = this.csum;
    c.csumStart = this.csumStart;
    c.csumOffset = this.csumOffset;
    c.csumLevel = this.csumLevel;
    c.gsoSize = this.gsoSize;
    c.gsoSegs = this.gsoSegs;
    c.napiId = this.napiId;
    return c;
  }
}

/** `csum_sub(csum, csum_partial(buf[off, off+n), 0))` on a 32-bit unfolded sum (no allocation). */
function csumSubBlock(csum: number, buf: Uint8Array, off: number, n: number): number {
  let s = 0;
  const end = off + n;
  let i = off;
  // csum_partial sums 16-bit words in memory order; little-endian host.
  for (; i + 1 < end; i += 2) s += buf[i]! | (buf[i + 1]! << 8);
  if (i < end) s += buf[i]!;
  while (s > 0xffffffff) s = (s % 0x100000000) + Math.floor(s / 0x100000000);
  // csum_sub(a, b) = csum_add(a, ~b)
  const nb = ~s >>> 0;
  let r = (csum >>> 0) + nb;
  if (r > 0xffffffff) r = (r - 0x100000000) + 1;
  return r >>> 0;
}
