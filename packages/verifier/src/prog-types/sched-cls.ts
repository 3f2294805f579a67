// Models net/core/filter.c (Linux 6.18): tc_cls_act_is_valid_access,
// bpf_skb_is_valid_access and tc_cls_act_func_proto (plus the base protos of
// kernel/bpf/helpers.c reachable from it) for BPF_PROG_TYPE_SCHED_CLS.
// Kept here as data until the SCHED_CLS program type (@tcbpf/bpf-skb) owns it.
import { BPF_FUNC_NAMES } from '@tcbpf/uapi';
import { ARG, type ArgKind, type CtxAccess, type HelperProto, type ProgTypeOps, REG_TYPE, RET, type RetKind } from '../types.js';

/** `struct __sk_buff` offsets the access rules name (include/uapi/linux/bpf.h). */
export const SKB_OFF = Object.freeze({
  len: 0, pkt_type: 4, mark: 8, queue_mapping: 12, protocol: 16, vlan_present: 20, vlan_tci: 24,
  vlan_proto: 28, priority: 32, ingress_ifindex: 36, ifindex: 40, tc_index: 44, cb: 48, hash: 68,
  tc_classid: 72, data: 76, data_end: 80, napi_id: 84, family: 88, remote_ip4: 92, local_ip4: 96,
  remote_ip6: 100, local_ip6: 116, remote_port: 132, local_port: 136, data_meta: 140, flow_keys: 144,
  tstamp: 152, wire_len: 160, gso_segs: 164, sk: 168, gso_size: 176, tstamp_type: 180, hwtstamp: 184,
  SIZE: 192,
} as const);

const O = SKB_OFF;
const SCALAR: CtxAccess = Object.freeze({ regType: REG_TYPE.SCALAR });
const PKT: CtxAccess = Object.freeze({ regType: REG_TYPE.PTR_TO_PACKET });
const PKT_META: CtxAccess = Object.freeze({ regType: REG_TYPE.PTR_TO_PACKET_META });
const PKT_END: CtxAccess = Object.freeze({ regType: REG_TYPE.PTR_TO_PACKET_END });
const SOCK: CtxAccess = Object.freeze({ regType: REG_TYPE.PTR_TO_SOCK_COMMON_OR_NULL });

function inField(off: number, start: number, size: number): boolean {
  return off >= start && off < start + size;
}

/** bpf_skb_is_valid_access */
function skbValidAccess(off: number, size: number, type: 1 | 2): CtxAccess | null {
  if (off < 0 || off >= O.SIZE) return null;
  if (off % size !== 0) return null;
  if (inField(off, O.cb, 20)) return off + size > O.cb + 20 ? null : SCALAR;
  if (inField(off, O.remote_ip6, 16) || inField(off, O.local_ip6, 16) || inField(off, O.remote_ip4, 4) || inField(off, O.local_ip4, 4) ||
    inField(off, O.data, 4) || inField(off, O.data_meta, 4) || inField(off, O.data_end, 4)) {
    return size !== 4 ? null : SCALAR;
  }
  if (inField(off, O.flow_keys, 8)) return null;
  if (inField(off, O.hwtstamp, 8)) return type === 2 || size !== 8 ? null : SCALAR;
  if (inField(off, O.tstamp, 8)) return size !== 8 ? null : SCALAR;
  if (inField(off, O.sk, 8)) return off !== O.sk || type === 2 || size !== 8 ? null : SOCK;
  if (off === O.tstamp_type) return null;
  if (off > O.tstamp_type && off < O.hwtstamp) return null;
  if (type === 2) return size !== 4 ? null : SCALAR;
  // bpf_ctx_narrow_access_ok(off, size, 4)
  return size <= 4 && (size & (size - 1)) === 0 ? SCALAR : null;
}

/** tc_cls_act_is_valid_access */
function tcClsActValidAccess(off: number, size: number, type: 1 | 2): CtxAccess | null {
  if (type === 2) {
    const ok = inField(off, O.mark, 4) || inField(off, O.tc_index, 4) || inField(off, O.priority, 4) || inField(off, O.tc_classid, 4) ||
      inField(off, O.cb, 20) || inField(off, O.tstamp, 8) || inField(off, O.queue_mapping, 4);
    if (!ok) return null;
  }
  let out: CtxAccess = SCALAR;
  if (inField(off, O.data, 4)) out = PKT;
  else if (inField(off, O.data_meta, 4)) out = PKT_META;
  else if (inField(off, O.data_end, 4)) out = PKT_END;
  else if (off >= O.family && off < O.local_port + 4) return null;
  else if (off === O.tstamp_type) return size !== 1 ? null : SCALAR;
  const r = skbValidAccess(off, size, type);
  return r === null ? null : r.regType === REG_TYPE.SCALAR ? out : r;
}

const A = ARG;
type P = readonly [ArgKind[], RetKind, { pkt?: boolean; gpl?: boolean; unsupported?: string; pktAccess?: boolean }?];
// tc_cls_act_func_proto / bpf_sk_base_func_proto / bpf_base_func_proto of net/core/filter.c and kernel/bpf/helpers.c
const PROTOS: Readonly<Record<number, P>> = Object.freeze({
  1: [[A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY], RET.PTR_TO_MAP_VALUE_OR_NULL, { pktAccess: true }],
  2: [[A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY, A.PTR_TO_MAP_VALUE, A.ANYTHING], RET.INTEGER, { pktAccess: true }],
  3: [[A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY], RET.INTEGER, { pktAccess: true }],
  5: [[], RET.INTEGER],
  6: [[A.PTR_TO_MEM, A.CONST_SIZE], RET.INTEGER, { gpl: true }],
  7: [[], RET.INTEGER],
  8: [[], RET.INTEGER],
  9: [[A.PTR_TO_CTX, A.ANYTHING, A.PTR_TO_MEM, A.CONST_SIZE, A.ANYTHING], RET.INTEGER, { pkt: true }],
  10: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING, A.ANYTHING, A.ANYTHING], RET.INTEGER, { pkt: true }],
  11: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING, A.ANYTHING, A.ANYTHING], RET.INTEGER, { pkt: true }],
  12: [[A.PTR_TO_CTX, A.CONST_MAP_PTR, A.ANYTHING], RET.VOID],
  13: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING], RET.INTEGER, { pkt: true }],
  14: [[], RET.INTEGER],
  15: [[], RET.INTEGER],
  16: [[A.PTR_TO_UNINIT_MEM, A.CONST_SIZE], RET.INTEGER],
  17: [[A.PTR_TO_CTX], RET.INTEGER],
  18: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING], RET.INTEGER, { pkt: true }],
  19: [[A.PTR_TO_CTX], RET.INTEGER, { pkt: true }],
  20: [[A.PTR_TO_CTX, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE, A.ANYTHING], RET.INTEGER],
  21: [[A.PTR_TO_CTX, A.PTR_TO_MEM, A.CONST_SIZE, A.ANYTHING], RET.INTEGER],
  22: [[A.CONST_MAP_PTR, A.ANYTHING], RET.INTEGER],
  23: [[A.ANYTHING, A.ANYTHING], RET.INTEGER],
  24: [[A.PTR_TO_CTX], RET.INTEGER],
  25: [[A.PTR_TO_CTX, A.CONST_MAP_PTR, A.ANYTHING, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO], RET.INTEGER],
  26: [[A.PTR_TO_CTX, A.ANYTHING, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE], RET.INTEGER],
  28: [[A.PTR_TO_MEM_OR_NULL, A.CONST_SIZE_OR_ZERO, A.PTR_TO_MEM_OR_NULL, A.CONST_SIZE_OR_ZERO, A.ANYTHING], RET.INTEGER, { pktAccess: true }],
  29: [[A.PTR_TO_CTX, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE], RET.INTEGER],
  30: [[A.PTR_TO_CTX, A.PTR_TO_MEM, A.CONST_SIZE], RET.INTEGER],
  31: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING], RET.INTEGER, { pkt: true }],
  32: [[A.PTR_TO_CTX, A.ANYTHING], RET.INTEGER],
  33: [[A.PTR_TO_CTX, A.CONST_MAP_PTR, A.ANYTHING], RET.INTEGER],
  34: [[A.PTR_TO_CTX], RET.INTEGER],
  35: [[], RET.INTEGER],
  38: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING], RET.INTEGER, { pkt: true }],
  39: [[A.PTR_TO_CTX, A.ANYTHING], RET.INTEGER, { pkt: true }],
  40: [[A.PTR_TO_CTX, A.ANYTHING], RET.INTEGER],
  41: [[A.PTR_TO_CTX], RET.VOID],
  42: [[], RET.INTEGER],
  43: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING], RET.INTEGER, { pkt: true }],
  46: [[A.PTR_TO_CTX], RET.INTEGER],
  47: [[A.PTR_TO_CTX], RET.INTEGER],
  48: [[A.PTR_TO_CTX, A.ANYTHING], RET.INTEGER],
  50: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING, A.ANYTHING], RET.INTEGER, { pkt: true }],
  68: [[A.PTR_TO_CTX, A.ANYTHING, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE, A.ANYTHING], RET.INTEGER],
  69: [[A.PTR_TO_CTX, A.PTR_TO_MEM, A.CONST_SIZE, A.ANYTHING], RET.INTEGER],
  87: [[A.CONST_MAP_PTR, A.PTR_TO_MAP_VALUE, A.ANYTHING], RET.INTEGER, { pktAccess: true }],
  88: [[A.CONST_MAP_PTR, A.PTR_TO_UNINIT_MAP_VALUE], RET.INTEGER, { pktAccess: true }],
  89: [[A.CONST_MAP_PTR, A.PTR_TO_UNINIT_MAP_VALUE], RET.INTEGER, { pktAccess: true }],
  97: [[A.PTR_TO_CTX], RET.INTEGER],
  118: [[], RET.INTEGER],
  125: [[], RET.INTEGER],
  130: [[A.CONST_MAP_PTR, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING], RET.INTEGER],
  131: [[A.CONST_MAP_PTR, A.CONST_ALLOC_SIZE_OR_ZERO, A.ANYTHING], RET.PTR_TO_RINGBUF_MEM_OR_NULL],
  132: [[A.PTR_TO_RINGBUF_MEM, A.ANYTHING], RET.VOID],
  133: [[A.PTR_TO_RINGBUF_MEM, A.ANYTHING], RET.VOID],
  134: [[A.CONST_MAP_PTR, A.ANYTHING], RET.INTEGER],
  135: [[A.PTR_TO_CTX, A.ANYTHING], RET.INTEGER],
  151: [[A.PTR_TO_CTX], RET.INTEGER],
  152: [[A.ANYTHING, A.PTR_TO_MEM_OR_NULL, A.CONST_SIZE_OR_ZERO, A.ANYTHING], RET.INTEGER],
  155: [[A.ANYTHING, A.ANYTHING], RET.INTEGER],
  160: [[], RET.INTEGER],
  163: [[A.PTR_TO_CTX, A.ANYTHING, A.PTR_TO_FIXED_UNINIT_MEM4, A.ANYTHING, A.ANYTHING], RET.INTEGER],
  164: [[A.CONST_MAP_PTR, A.PTR_TO_FUNC, A.PTR_TO_STACK_OR_NULL, A.ANYTHING], RET.INTEGER],
  181: [[A.ANYTHING, A.PTR_TO_FUNC, A.PTR_TO_STACK_OR_NULL, A.ANYTHING], RET.INTEGER],
  192: [[A.PTR_TO_CTX, A.ANYTHING, A.ANYTHING], RET.INTEGER],
  195: [[A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY, A.ANYTHING], RET.PTR_TO_MAP_VALUE_OR_NULL],
  208: [[], RET.INTEGER],
});

/** Helper ids a root SCHED_CLS program may call on 6.18 (bpf-vm.md §5.1); ids without a PROTOS row are refused as unsupported. */
const ALLOWED: ReadonlySet<number> = new Set([
  1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35, 37, 38, 39, 40, 41, 42, 43, 46,
  47, 48, 50, 55, 66, 68, 69, 79, 80, 83, 84, 85, 86, 87, 88, 89, 93, 94, 95, 96, 97, 98, 99, 100, 105, 106, 107, 108, 109, 110, 112, 113, 114, 115, 117,
  118, 120, 122, 123, 124, 125, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 148, 149, 151, 152, 153, 154, 155, 156, 157, 158, 160, 163,
  164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 192, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208,
  209, 210, 211,
]);

const protoCache = new Map<number, HelperProto>();
for (const id of ALLOWED) {
  const p = PROTOS[id];
  const name = BPF_FUNC_NAMES[id] ?? `unknown${id}`;
  const proto: HelperProto = p === undefined
    ? Object.freeze({ id, name, args: [], ret: RET.INTEGER, unsupported: 'helper not modelled by this verifier' })
    : Object.freeze({ id, name, args: p[0], ret: p[1], changesPkt: p[2]?.pkt ?? false, gplOnly: p[2]?.gpl ?? false, pktAccess: p[2]?.pktAccess ?? false, ...(p[2]?.unsupported === undefined ? {} : { unsupported: p[2].unsupported }) });
  protoCache.set(id, proto);
}

/** The SCHED_CLS program-type ops: `__sk_buff` access table and tc helper prototypes. */
export const SCHED_CLS_OPS: ProgTypeOps = Object.freeze({
  name: 'sched_cls',
  ctxSize: O.SIZE,
  isValidAccess: (off: number, size: number, type: 1 | 2): CtxAccess | null => tcClsActValidAccess(off, size, type),
  helper: (id: number): HelperProto | undefined => protoCache.get(id),
  mayAccessSkb: true,
  pktWrite: true,
});
