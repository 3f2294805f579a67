// Models include/uapi/linux/if_packet.h (Linux 6.18): the packet types of
// skb->pkt_type (PACKET_HOST ...), as AF_PACKET sockets and __sk_buff.pkt_type see them.
// Transcribed from the header; interface facts, not code.

/** `PACKET_*` packet types (`skb->pkt_type`). */
export const PACKET = Object.freeze({
  HOST: 0,
  BROADCAST: 1,
  MULTICAST: 2,
  OTHERHOST: 3,
  OUTGOING: 4,
  LOOPBACK: 5,
  USER: 6,
  KERNEL: 7,
  /** Unused; shares the value of USER in the header. */
  FASTROUTE: 6,
});
