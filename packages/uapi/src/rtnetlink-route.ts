// Models the routing part of include/uapi/linux/rtnetlink.h (Linux 6.18):
// route types (RTN_*), reserved table ids (RT_TABLE_*), scopes (RT_SCOPE_*),
// route origins (RTPROT_*) and nexthop flags (RTNH_F_*). rtnetlink.ts holds the
// generated tc part of the same header. Transcribed; interface facts, not code.

/** `RTN_*` route types (`rtmsg.rtm_type`). */
export const RTN = Object.freeze({
  UNSPEC: 0,
  UNICAST: 1,
  LOCAL: 2,
  BROADCAST: 3,
  ANYCAST: 4,
  MULTICAST: 5,
  BLACKHOLE: 6,
  UNREACHABLE: 7,
  PROHIBIT: 8,
  THROW: 9,
  NAT: 10,
  XRESOLVE: 11,
} as const);

/** `RT_TABLE_*` reserved routing table ids. */
export const RT_TABLE = Object.freeze({
  UNSPEC: 0,
  COMPAT: 252,
  DEFAULT: 253,
  MAIN: 254,
  LOCAL: 255,
} as const);

/** `RT_SCOPE_*` route and address scopes. */
export const RT_SCOPE = Object.freeze({
  UNIVERSE: 0,
  SITE: 200,
  LINK: 253,
  HOST: 254,
  NOWHERE: 255,
} as const);

/** `RTPROT_*` route origins (`rtmsg.rtm_protocol`). */
export const RTPROT = Object.freeze({
  UNSPEC: 0,
  REDIRECT: 1,
  KERNEL: 2,
  BOOT: 3,
  STATIC: 4,
} as const);

/** `RTNH_F_*` nexthop flags. */
export const RTNH_F = Object.freeze({
  DEAD: 1,
  PERVASIVE: 2,
  ONLINK: 4,
  OFFLOAD: 8,
  LINKDOWN: 16,
  UNRESOLVED: 32,
  TRAP: 64,
} as const);
