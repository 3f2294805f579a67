// Models the section-name table of tools/lib/bpf/libbpf.c (section_defs[],
// find_sec_def; libbpf as shipped with Linux 6.18) for the program types that
// matter around tc, plus iproute2's legacy conventions (include/bpf_elf.h:
// "classifier", "action", "prog", and "ID/KEY" tail-call sections).
// A section name gives a program-type hint and an expected attach type; tc
// itself overrides the type (`type cls`/`type act`), so the hint is advisory.
import { BPF_PROG_TYPE } from '@tcbpf/uapi';

/**
 * `enum bpf_attach_type` values named by the section table (include/uapi/linux/bpf.h, 6.18).
 * Kept here until @tcbpf/uapi's bpf.ts carries the full enum.
 */
export const SEC_ATTACH_TYPE = Object.freeze({
  NONE: 0,
  CGROUP_INET_INGRESS: 0,
  CGROUP_INET_EGRESS: 1,
  FLOW_DISSECTOR: 17,
  XDP: 37,
  TCX_INGRESS: 46,
  TCX_EGRESS: 47,
  NETKIT_PRIMARY: 54,
  NETKIT_PEER: 55,
} as const);

/** One row of the section table. `prefix` rows match `name` or `name/...`. */
export interface SecDef {
  readonly sec: string;
  readonly progType: number;
  readonly attachType: number;
  /** libbpf SEC_ATTACHABLE: expected_attach_type is passed at load. */
  readonly attachable: boolean;
  /** Matches "sec" exactly, or also "sec/anything" (libbpf's `+` suffix). */
  readonly prefix: boolean;
}

const row = (sec: string, progType: number, attachType: number, attachable: boolean, prefix = false): SecDef =>
  Object.freeze({ sec, progType, attachType, attachable, prefix });

const P = BPF_PROG_TYPE;
const A = SEC_ATTACH_TYPE;

/** The rows, in libbpf's order (first match wins). */
export const SEC_DEFS: readonly SecDef[] = Object.freeze([
  row('socket', P.SOCKET_FILTER, A.NONE, false, true),
  row('tc/ingress', P.SCHED_CLS, A.TCX_INGRESS, true),
  row('tc/egress', P.SCHED_CLS, A.TCX_EGRESS, true),
  row('tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS, true),
  row('tcx/egress', P.SCHED_CLS, A.TCX_EGRESS, true),
  row('tc', P.SCHED_CLS, A.NONE, false),
  row('classifier', P.SCHED_CLS, A.NONE, false),
  row('action', P.SCHED_ACT, A.NONE, false),
  row('netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY, true),
  row('netkit/peer', P.SCHED_CLS, A.NETKIT_PEER, true),
  row('xdp', P.XDP, A.XDP, true),
  row('cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS, true),
  row('cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS, true),
  row('lwt_in', P.LWT_IN, A.NONE, false, true),
  row('lwt_out', P.LWT_OUT, A.NONE, false, true),
  row('lwt_xmit', P.LWT_XMIT, A.NONE, false, true),
  row('flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, true, true),
]);

/** What a section name says about its programs. */
export interface SecInfo {
  /** The matching table row's name, `undefined` when the name is unknown to libbpf. */
  readonly secDef: string | undefined;
  /** Program-type hint (BPF_PROG_TYPE), `undefined` when unknown. */
  readonly progType: number | undefined;
  readonly expectedAttachType: number;
  /** iproute2 legacy tail-call section "ID/KEY": insert into the prog_array with id ID at KEY. */
  readonly tailCall: { readonly mapId: number; readonly key: number } | undefined;
}

const TAIL_CALL_SEC = /^(\d+)\/(\d+)$/;

/** Classifies a program section name as libbpf's find_sec_def and iproute2's legacy loader do. */
export function secInfo(name: string): SecInfo {
  let tailCall: SecInfo['tailCall'];
  const m = TAIL_CALL_SEC.exec(name);
  if (m) {
    const mapId = Number(m[1]);
    const key = Number(m[2]);
    if (mapId <= 0xffffffff && key <= 0xffffffff) tailCall = Object.freeze({ mapId, key });
  }
  for (const d of SEC_DEFS) {
    if (name === d.sec || (d.prefix && name.startsWith(`${d.sec}/`)))
      return Object.freeze({ secDef: d.sec, progType: d.progType, expectedAttachType: d.attachable ? d.attachType : 0, tailCall });
  }
  // iproute2's legacy default section for cls, and "prog" for xdp/lwt: tc forces the type anyway
  return Object.freeze({ secDef: undefined, progType: undefined, expectedAttachType: 0, tailCall });
}
