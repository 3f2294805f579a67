// Models include/uapi/linux/neighbour.h (Linux 6.18): neighbour states
// (NUD_*) and NUD_VALID/NUD_CONNECTED of include/net/neighbour.h.
// Transcribed; interface facts, not code.

/** `NUD_*` neighbour cache entry states (`ndmsg.ndm_state`). */
export const NUD = Object.freeze({
  NONE: 0x00,
  INCOMPLETE: 0x01,
  REACHABLE: 0x02,
  STALE: 0x04,
  DELAY: 0x08,
  PROBE: 0x10,
  FAILED: 0x20,
  NOARP: 0x40,
  PERMANENT: 0x80,
  /** include/net/neighbour.h: states with a usable link-layer address. */
  VALID: 0x80 | 0x40 | 0x02 | 0x10 | 0x04 | 0x08,
  /** include/net/neighbour.h: PERMANENT | NOARP | REACHABLE. */
  CONNECTED: 0x80 | 0x40 | 0x02,
} as const);
