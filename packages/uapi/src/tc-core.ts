// Models the parts of include/uapi/linux/pkt_cls.h (matchall), pkt_sched.h
// (prio, fifo), tc_act/tc_skbedit.h and tc_act/tc_csum.h (Linux 6.18 UAPI)
// that the tc core (@tcbpf/tcf) needs and the generated files do not carry.
// Values transcribed from the installed headers.

/** cls_matchall attributes (TCA_OPTIONS of kind "matchall"). */
export const TCA_MATCHALL = Object.freeze({
  UNSPEC: 0,
  CLASSID: 1,
  ACT: 2,
  FLAGS: 3,
  PCNT: 4,
  PAD: 5,
  MAX: 5,
} as const);

/** sch_prio band limits and TC_PRIO_MAX. */
export const TCQ_PRIO = Object.freeze({
  BANDS: 16,
  MIN_BANDS: 2,
  TC_PRIO_MAX: 15,
} as const);

/** TC_HTB_PROTOVER: the tc_htb_glob.version user space must send. */
export const TC_HTB_PROTOVER = 3;

/** skbedit action attributes. */
export const TCA_SKBEDIT = Object.freeze({
  UNSPEC: 0,
  TM: 1,
  PARMS: 2,
  PRIORITY: 3,
  QUEUE_MAPPING: 4,
  MARK: 5,
  PAD: 6,
  PTYPE: 7,
  MASK: 8,
  FLAGS: 9,
  QUEUE_MAPPING_MAX: 10,
  MAX: 10,
} as const);

/** SKBEDIT_F_* flags. */
export const SKBEDIT_F = Object.freeze({
  PRIORITY: 0x1,
  QUEUE_MAPPING: 0x2,
  MARK: 0x4,
  PTYPE: 0x8,
  MASK: 0x10,
  INHERITDSFIELD: 0x20,
  TXQ_SKBHASH: 0x40,
} as const);

/** csum action attributes. */
export const TCA_CSUM = Object.freeze({
  UNSPEC: 0,
  PARMS: 1,
  TM: 2,
  PAD: 3,
  MAX: 3,
} as const);

/** TCA_CSUM_UPDATE_FLAG_* (tc_csum.update_flags). */
export const TCA_CSUM_UPDATE_FLAG = Object.freeze({
  IPV4HDR: 1,
  ICMP: 2,
  IGMP: 4,
  TCP: 8,
  UDP: 16,
  UDPLITE: 32,
  SCTP: 64,
} as const);

/** Struct sizes in bytes (x86-64). */
export const TC_SKBEDIT_SIZE = 20;
export const TC_CSUM_SIZE = 24;
export const TC_PRIO_QOPT_SIZE = 20;
export const TC_FIFO_QOPT_SIZE = 4;
export const TC_MATCHALL_PCNT_SIZE = 8;
