// Models net/sched/act_skbedit.c (Linux 6.18): set skb->priority, mark (under
// a mask), queue_mapping (only below the device's real_num_tx_queues, 1 here)
// and pkt_type; the dsfield inheritance flag. At least one edit is required
// (EINVAL otherwise); queue_mapping at ingress needs skip_sw (EOPNOTSUPP).
import { kerr } from '@tcbpf/base';
import { SKBEDIT_F, TCA_ID, TCA_SKBEDIT, TC_ACT, TC_SKBEDIT_SIZE } from '@tcbpf/uapi';
import { tcfActionCheckCtrlact, tcfActionSetCtrlact, tcfIdrCheck, tcfIdrCreate, type TcAction, type TcActionInitArgs, type TcActionOps } from './act-api.js';
import type { TcfResult, TcSkb } from './sch-generic.js';
import type { NlWriter } from './nlattr.js';

/** PACKET_OTHERHOST: the largest pkt_type skb_pkt_type_ok accepts. */
const PACKET_OTHERHOST = 3;

/** struct tcf_skbedit_params. */
export interface SkbeditParams {
  readonly flags: number;
  readonly priority: number;
  readonly mark: number;
  readonly mask: number;
  readonly queueMapping: number;
  readonly ptype: number;
}

function skbeditInit(args: TcActionInitArgs): TcAction {
  const tb = args.parse(TCA_SKBEDIT.MAX);
  if (!tb) throw kerr('EINVAL');
  // skbedit_policy, NULL extack
  const lens: [number, number][] = [[TCA_SKBEDIT.PARMS, TC_SKBEDIT_SIZE], [TCA_SKBEDIT.PRIORITY, 4], [TCA_SKBEDIT.QUEUE_MAPPING, 2], [TCA_SKBEDIT.MARK, 4], [TCA_SKBEDIT.PTYPE, 2], [TCA_SKBEDIT.MASK, 4], [TCA_SKBEDIT.FLAGS, 8], [TCA_SKBEDIT.QUEUE_MAPPING_MAX, 2]];
  for (const [t, l] of lens) if (tb.has(t) && tb.len(t) < l) throw kerr('ERANGE');
  if (!tb.has(TCA_SKBEDIT.PARMS)) throw kerr('EINVAL');
  let flags = 0;
  let priority = 0;
  let queueMapping = 0;
  let mark = 0;
  let mask = 0xffffffff;
  let ptype = 0;
  if (tb.has(TCA_SKBEDIT.PRIORITY)) {
    flags |= SKBEDIT_F.PRIORITY;
    priority = tb.u32(TCA_SKBEDIT.PRIORITY);
  }
  if (tb.has(TCA_SKBEDIT.QUEUE_MAPPING)) {
    if (args.atIngress) {
      throw kerr('EOPNOTSUPP', 'act_skbedit: "queue_mapping" option on receive side is hardware only, use skip_sw');
    }
    flags |= SKBEDIT_F.QUEUE_MAPPING;
    queueMapping = tb.u16(TCA_SKBEDIT.QUEUE_MAPPING);
  }
  if (tb.has(TCA_SKBEDIT.PTYPE)) {
    ptype = tb.u16(TCA_SKBEDIT.PTYPE);
    if (ptype > PACKET_OTHERHOST) throw kerr('EINVAL');
    flags |= SKBEDIT_F.PTYPE;
  }
  if (tb.has(TCA_SKBEDIT.MARK)) {
    flags |= SKBEDIT_F.MARK;
    mark = tb.u32(TCA_SKBEDIT.MARK);
  }
  if (tb.has(TCA_SKBEDIT.MASK)) {
    flags |= SKBEDIT_F.MASK;
    mask = tb.u32(TCA_SKBEDIT.MASK);
  }
  if (tb.has(TCA_SKBEDIT.FLAGS)) {
    const pure = tb.u32(TCA_SKBEDIT.FLAGS);
    if (pure & SKBEDIT_F.TXQ_SKBHASH) throw kerr('EOPNOTSUPP', 'act_skbedit: queue_mapping_max (TXQ_SKBHASH) is not modelled');
    if (pure & SKBEDIT_F.INHERITDSFIELD) flags |= SKBEDIT_F.INHERITDSFIELD;
  }
  const d = tb.data(TCA_SKBEDIT.PARMS);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const index = v.getUint32(0, true);
  const action = v.getInt32(8, true);
  const existing = tcfIdrCheck(args.net, 'skbedit', index);
  if (existing && args.bind) {
    existing.refcnt++;
    existing.bindcnt++;
    return existing;
  }
  if (!flags) throw kerr('EINVAL');
  if (existing && !args.replace) throw kerr('EEXIST');
  const chain = tcfActionCheckCtrlact(action, args.tp);
  const a = existing ?? tcfIdrCreate(skbeditOps, args.net, index, args.bind);
  tcfActionSetCtrlact(a, action, args.tp, chain);
  a.params = { flags, priority, mark, mask, queueMapping, ptype } satisfies SkbeditParams;
  return a;
}

/** tcf_skbedit_act. Hot path. */
function skbeditAct(skb: TcSkb, a: TcAction, _res: TcfResult): number {
  a.use(skb);
  const p = a.params as SkbeditParams;
  const action = a.tcfaAction;
  if (p.flags & SKBEDIT_F.PRIORITY) skb.priority = p.priority;
  if (p.flags & SKBEDIT_F.INHERITDSFIELD) {
    const nh = skb.networkHeader;
    const proto = skb.vlanPresent ? skb.vlanProto : skb.protocol;
    if (proto === 0x0800) {
      if (nh < 0 || nh + 20 > skb.dataOff + skb.len) {
        a.stats.drops++;
        return TC_ACT.SHOT;
      }
      skb.priority = skb.buf[nh + 1]! >>> 2;
    } else if (proto === 0x86dd) {
      if (nh < 0 || nh + 40 > skb.dataOff + skb.len) {
        a.stats.drops++;
        return TC_ACT.SHOT;
      }
      // ipv6_get_dsfield: traffic class = bits 4..11 of the first 16-bit word
      skb.priority = ((((skb.buf[nh]! << 8) | skb.buf[nh + 1]!) >>> 4) & 0xff) >>> 2;
    }
  }
  // real_num_tx_queues is 1 for the modelled devices: only queue 0 applies
  if (p.flags & SKBEDIT_F.QUEUE_MAPPING && p.queueMapping < 1) skb.queueMapping = p.queueMapping;
  if (p.flags & SKBEDIT_F.MARK) {
    skb.mark = ((skb.mark & ~p.mask) | (p.mark & p.mask)) >>> 0;
  }
  if (p.flags & SKBEDIT_F.PTYPE) skb.pktType = p.ptype;
  return action;
}

/** tcf_skbedit_dump. */
function skbeditDump(w: NlWriter, a: TcAction): void {
  const p = a.params as SkbeditParams;
  const o = w.attrReserve(TCA_SKBEDIT.PARMS, 20);
  a.dumpGen(w, o);
  if (p.flags & SKBEDIT_F.PRIORITY) w.u32(TCA_SKBEDIT.PRIORITY, p.priority);
  if (p.flags & SKBEDIT_F.QUEUE_MAPPING) w.u16(TCA_SKBEDIT.QUEUE_MAPPING, p.queueMapping);
  if (p.flags & SKBEDIT_F.MARK) w.u32(TCA_SKBEDIT.MARK, p.mark);
  if (p.flags & SKBEDIT_F.PTYPE) w.u16(TCA_SKBEDIT.PTYPE, p.ptype);
  if (p.flags & SKBEDIT_F.MASK) w.u32(TCA_SKBEDIT.MASK, p.mask);
  if (p.flags & SKBEDIT_F.INHERITDSFIELD) w.u64(TCA_SKBEDIT.FLAGS, SKBEDIT_F.INHERITDSFIELD);
  a.dumpTm(w, TCA_SKBEDIT.TM);
}

/** act_skbedit ops. */
export const skbeditOps: TcActionOps = Object.freeze({
  kind: 'skbedit',
  id: TCA_ID.SKBEDIT,
  init: skbeditInit,
  act: skbeditAct,
  dump: skbeditDump,
} satisfies TcActionOps);
