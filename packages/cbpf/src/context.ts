// The sk_buff fields a classic program can observe (Linux 6.18,
// include/linux/skbuff.h as read by net/core/filter.c's ancillary loads and
// bpf_skb_load_helper_*). `ClassicSkb` is structural: @tcbpf/skb's SkBuff
// satisfies it, and tests can pass plain objects.

/** Read-only view of an sk_buff, with @tcbpf/skb's SkBuff field names. */
export interface ClassicSkb {
  /** The whole buffer, head..end. */
  readonly buf: Uint8Array;
  /** Offset of skb->data within buf. */
  readonly dataOff: number;
  /** Bytes from data (all linear). */
  readonly len: number;
  /** Offset of the MAC header in buf; -1 when unset. */
  readonly macHeader: number;
  /** Offset of the network header in buf. */
  readonly networkHeader: number;
  /** EtherType in host order (ntohs(skb->protocol)). */
  readonly protocol: number;
  readonly pktType: number;
  readonly mark: number;
  readonly queueMapping: number;
  readonly hash: number;
  readonly vlanPresent: boolean;
  readonly vlanTci: number;
  /** Host order, e.g. 0x8100. */
  readonly vlanProto: number;
  /** skb->dev->ifindex */
  readonly ifindex: number;
  /** skb->dev->type (ARPHRD_*) */
  readonly devType: number;
}

/** Where a run happens: the CPU number (SKF_AD_CPU) and the random source (SKF_AD_RANDOM). */
export interface ClassicEnv {
  readonly cpu: number;
  readonly prng: { u32(): number };
}
