// Models include/uapi/linux/in.h and the IPv6 protocol numbers of
// include/uapi/linux/in6.h (Linux 6.18): IPPROTO_* values of the IPv4 `protocol`
// and IPv6 `nexthdr` fields. Transcribed from the headers; interface facts, not code.

/** `IPPROTO_*` IP protocol / IPv6 next-header numbers. */
export const IPPROTO = Object.freeze({
  IP: 0,
  /** IPv6 hop-by-hop options (in6.h); same value as IP. */
  HOPOPTS: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  EGP: 8,
  PUP: 12,
  UDP: 17,
  IDP: 22,
  TP: 29,
  DCCP: 33,
  IPV6: 41,
  /** IPv6 routing header (in6.h). */
  ROUTING: 43,
  /** IPv6 fragment header (in6.h). */
  FRAGMENT: 44,
  RSVP: 46,
  GRE: 47,
  ESP: 50,
  AH: 51,
  /** ICMPv6 (in6.h). */
  ICMPV6: 58,
  /** IPv6 no next header (in6.h). */
  NONE: 59,
  /** IPv6 destination options (in6.h). */
  DSTOPTS: 60,
  MTP: 92,
  BEETPH: 94,
  ENCAP: 98,
  PIM: 103,
  COMP: 108,
  L2TP: 115,
  SCTP: 132,
  /** IPv6 mobility header (in6.h). */
  MH: 135,
  UDPLITE: 136,
  MPLS: 137,
  ETHERNET: 143,
  AGGFRAG: 144,
  RAW: 255,
  SMC: 256,
  MPTCP: 262,
});
