// Models include/uapi/linux/if.h (Linux 6.18): net_device_flags (IFF_*) and
// IFNAMSIZ. Transcribed from the header; interface facts, not code.

/** `IFF_*` device flags (`dev->flags`, `ifinfomsg.ifi_flags`). */
export const IFF = Object.freeze({
  UP: 1 << 0,
  BROADCAST: 1 << 1,
  DEBUG: 1 << 2,
  LOOPBACK: 1 << 3,
  POINTOPOINT: 1 << 4,
  NOTRAILERS: 1 << 5,
  RUNNING: 1 << 6,
  NOARP: 1 << 7,
  PROMISC: 1 << 8,
  ALLMULTI: 1 << 9,
  MASTER: 1 << 10,
  SLAVE: 1 << 11,
  MULTICAST: 1 << 12,
  PORTSEL: 1 << 13,
  AUTOMEDIA: 1 << 14,
  DYNAMIC: 1 << 15,
  LOWER_UP: 1 << 16,
  DORMANT: 1 << 17,
  ECHO: 1 << 18,
});

/** Size of an interface name buffer including the NUL (names are at most 15 bytes). */
export const IFNAMSIZ = 16;
