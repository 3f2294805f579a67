// Models net/sched/act_police.c (Linux 6.18): token-bucket policing in
// nanoseconds on the simulated clock. TCA_POLICE_TBF (struct tc_police) is
// mandatory; a byte rate needs its 1024-byte rate table (qdisc_get_rtab), a
// peak rate its own; RESULT is the conform verdict, tc_police.action the
// exceed verdict; packet-rate (PKTRATE64/PKTBURST64) is mutually exclusive with
// a byte rate. AVRATE needs a rate estimator, which is not modelled: it is
// refused like the kernel refuses it without TCA_RATE (EINVAL).
import { kerr } from '@tcbpf/base';
import { TCA_ID, TCA_POLICE, TC_ACT, TC_POLICE_SIZE, TC_RTAB } from '@tcbpf/uapi';
import { tcfActionCheckCtrlact, tcfActionSetCtrlact, tcfIdrCheck, tcfIdrCreate, type TcAction, type TcActionInitArgs, type TcActionOps } from './act-api.js';
import { PschedRatecfg, pschedNs2ticks, pschedTicks2ns, type TcfResult, type TcSkb } from './sch-generic.js';
import type { NlWriter } from './nlattr.js';

/** sizeof(struct tc_police_compat) (pre-2.6 layout without peakrate fields' tail). */
export const TC_POLICE_COMPAT_SIZE = 52;
const TC_RTAB_SIZE = TC_RTAB.SIZE;

/** struct tcf_police_params + the token state. */
export interface PoliceParams {
  result: number;
  ewmaRate: number;
  burstNs: number;
  mtu: number;
  mtuPtoks: number;
  pktBurstNs: number;
  rate: PschedRatecfg | null;
  peak: PschedRatecfg | null;
  pps: PschedRatecfg | null;
  /** tc_police as given (for the dump). */
  limit: number;
  burstTicks: number;
  rawRate: Uint8Array;
  rawPeak: Uint8Array;
  rate64: number;
  peak64: number;
  pktrate64: number;
  pktburst64: number;
  // token bucket (tcfp_*)
  tC: number;
  toks: number;
  ptoks: number;
  pkttoks: number;
}

interface Ratespec {
  cellLog: number;
  linklayer: number;
  overhead: number;
  mpu: number;
  rate: number;
  raw: Uint8Array;
}

function readRatespec(v: DataView, off: number): Ratespec {
  return {
    cellLog: v.getUint8(off),
    linklayer: v.getUint8(off + 1),
    overhead: v.getUint16(off + 2, true),
    mpu: v.getUint16(off + 6, true),
    rate: v.getUint32(off + 8, true),
    raw: new Uint8Array(v.buffer.slice(v.byteOffset + off, v.byteOffset + off + 12)),
  };
}

/** qdisc_get_rtab: NULL (→ -ENOMEM in tcf_police_init) unless the table is usable. */
function rtabOk(r: Ratespec, present: boolean, len: number): boolean {
  return present && r.rate !== 0 && r.cellLog !== 0 && r.cellLog < 32 && len === TC_RTAB_SIZE;
}

function policeInit(args: TcActionInitArgs): TcAction {
  const tb = args.parse(TCA_POLICE.MAX);
  if (!tb) throw kerr('EINVAL');
  // police_policy (NULL extack): RATE/PEAKRATE .len TC_RTAB_SIZE, AVRATE/RESULT u32, *64 u64
  for (const t of [TCA_POLICE.RATE, TCA_POLICE.PEAKRATE]) if (tb.has(t) && tb.len(t) < TC_RTAB_SIZE) throw kerr('ERANGE');
  for (const t of [TCA_POLICE.AVRATE, TCA_POLICE.RESULT]) if (tb.has(t) && tb.len(t) < 4) throw kerr('ERANGE');
  for (const t of [TCA_POLICE.RATE64, TCA_POLICE.PEAKRATE64, TCA_POLICE.PKTRATE64, TCA_POLICE.PKTBURST64]) if (tb.has(t) && tb.len(t) < 8) throw kerr('ERANGE');
  for (const t of [TCA_POLICE.PKTRATE64, TCA_POLICE.PKTBURST64]) if (tb.has(t) && tb.u64(t) < 1) throw kerr('ERANGE');
  if (!tb.has(TCA_POLICE.TBF)) throw kerr('EINVAL');
  const size = tb.len(TCA_POLICE.TBF);
  if (size !== TC_POLICE_SIZE && size !== TC_POLICE_COMPAT_SIZE) throw kerr('EINVAL');
  const d = tb.data(TCA_POLICE.TBF);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const index = v.getUint32(0, true);
  const action = v.getInt32(4, true);
  const limit = v.getUint32(8, true);
  const burst = v.getUint32(12, true);
  const mtu = v.getUint32(16, true);
  const rate = readRatespec(v, 20);
  const peak = readRatespec(v, 32);
  const existing = tcfIdrCheck(args.net, 'police', index);
  if (existing && args.bind) {
    existing.refcnt++;
    existing.bindcnt++;
    return existing;
  }
  if (existing && !args.replace) throw kerr('EEXIST');
  const chain = tcfActionCheckCtrlact(action, args.tp);
  let hasRate = false;
  let hasPeak = false;
  if (rate.rate) {
    if (!rtabOk(rate, tb.has(TCA_POLICE.RATE), tb.len(TCA_POLICE.RATE))) throw kerr('ENOMEM');
    hasRate = true;
    if (peak.rate) {
      if (!rtabOk(peak, tb.has(TCA_POLICE.PEAKRATE), tb.len(TCA_POLICE.PEAKRATE))) throw kerr('ENOMEM');
      hasPeak = true;
    }
  }
  // no estimator (TCA_RATE) is modelled, so AVRATE is always refused
  if (tb.has(TCA_POLICE.AVRATE)) throw kerr('EINVAL');
  let result: number = TC_ACT.OK;
  if (tb.has(TCA_POLICE.RESULT)) {
    result = tb.s32(TCA_POLICE.RESULT);
    if ((result & ~TC_ACT.EXT_VAL_MASK) === TC_ACT.GOTO_CHAIN) throw kerr('EINVAL', 'goto chain not allowed on fallback');
  }
  if (tb.has(TCA_POLICE.PKTRATE64) !== tb.has(TCA_POLICE.PKTBURST64)) throw kerr('EINVAL', 'Both or neither packet-per-second burst and rate must be provided');
  if (tb.has(TCA_POLICE.PKTRATE64) && hasRate) throw kerr('EINVAL', 'packet-per-second and byte-per-second rate limits not allowed in same action');
  const rate64 = tb.has(TCA_POLICE.RATE64) ? tb.u64(TCA_POLICE.RATE64) : 0;
  const peak64 = tb.has(TCA_POLICE.PEAKRATE64) ? tb.u64(TCA_POLICE.PEAKRATE64) : 0;
  const p: PoliceParams = {
    result,
    ewmaRate: 0,
    burstNs: pschedTicks2ns(burst),
    mtu: mtu !== 0 ? mtu : hasRate ? 255 << rate.cellLog : 0xffffffff,
    mtuPtoks: 0,
    pktBurstNs: 0,
    rate: hasRate ? PschedRatecfg.precompute(rate.rate, rate64, rate.overhead, rate.mpu, rate.linklayer) : null,
    peak: hasPeak ? PschedRatecfg.precompute(peak.rate, peak64, peak.overhead, peak.mpu, peak.linklayer) : null,
    pps: null,
    limit,
    burstTicks: burst,
    rawRate: rate.raw,
    rawPeak: peak.raw,
    rate64,
    peak64,
    pktrate64: 0,
    pktburst64: 0,
    tC: args.net.kernel.clock.nowNs(),
    toks: 0,
    ptoks: 0,
    pkttoks: 0,
  };
  if ((p.mtu >>> 0) === 0) p.mtu = 0xffffffff;
  if (tb.has(TCA_POLICE.PKTRATE64)) {
    p.pktrate64 = tb.u64(TCA_POLICE.PKTRATE64);
    p.pktburst64 = tb.u64(TCA_POLICE.PKTBURST64);
    p.pps = PschedRatecfg.precompute(0, p.pktrate64, 0, 0, 0);
    p.pktBurstNs = p.pps.pkt2tNs(p.pktburst64);
    p.pkttoks = p.pktBurstNs;
  }
  if (p.peak) p.mtuPtoks = p.peak.l2tNs(p.mtu);
  p.toks = p.burstNs;
  if (p.peak) p.ptoks = p.mtuPtoks;
  const a = existing ?? tcfIdrCreate(policeOps, args.net, index, args.bind);
  tcfActionSetCtrlact(a, action, args.tp, chain);
  a.params = p;
  return a;
}

/** tcf_police_act. Hot path. */
function policeAct(skb: TcSkb, a: TcAction, _res: TcfResult): number {
  a.use(skb);
  let ret = a.tcfaAction;
  const p = a.params as PoliceParams;
  const pktLen = skb.len;
  // tcf_police_mtu_check: + mac_len at ingress
  const mtuLen = a.net.atIngress ? pktLen + skb.macLen : pktLen;
  if (mtuLen <= p.mtu) {
    if (p.rate === null && p.pps === null) return p.result;
    const now = a.net.kernel.clock.nowNs();
    let toks = Math.min(now - p.tC, p.burstNs);
    let ptoks = 0;
    let ppstoks = 0;
    if (p.peak !== null) {
      ptoks = toks + p.ptoks;
      if (ptoks > p.mtuPtoks) ptoks = p.mtuPtoks;
      ptoks -= p.peak.l2tNs(pktLen);
    }
    if (p.rate !== null) {
      toks += p.toks;
      if (toks > p.burstNs) toks = p.burstNs;
      toks -= p.rate.l2tNs(pktLen);
    } else if (p.pps !== null) {
      ppstoks = Math.min(now - p.tC, p.pktBurstNs);
      ppstoks += p.pkttoks;
      if (ppstoks > p.pktBurstNs) ppstoks = p.pktBurstNs;
      ppstoks -= p.pps.pkt2tNs(1);
    }
    if (toks >= 0 && ptoks >= 0 && ppstoks >= 0) {
      p.tC = now;
      p.toks = toks;
      p.ptoks = ptoks;
      p.pkttoks = ppstoks;
      ret = p.result;
      if (ret === TC_ACT.SHOT) a.stats.drops++;
      return ret;
    }
  }
  a.stats.overlimits++;
  if (ret === TC_ACT.SHOT) a.stats.drops++;
  return ret;
}

/** tcf_police_dump: the 64-bit rates first, then TBF, RESULT, TM. */
function policeDump(w: NlWriter, a: TcAction): void {
  const p = a.params as PoliceParams;
  if (p.rate && p.rate.rateBytesPs >= 0x100000000) w.u64(TCA_POLICE.RATE64, p.rate.rateBytesPs);
  if (p.peak && p.peak.rateBytesPs >= 0x100000000) w.u64(TCA_POLICE.PEAKRATE64, p.peak.rateBytesPs);
  if (p.pps) {
    w.u64(TCA_POLICE.PKTRATE64, p.pktrate64);
    w.u64(TCA_POLICE.PKTBURST64, pschedNs2ticks(p.pktBurstNs));
  }
  const o = w.attrReserve(TCA_POLICE.TBF, TC_POLICE_SIZE);
  w.setU32(o, a.index);
  w.setS32(o + 4, a.tcfaAction);
  w.setU32(o + 12, pschedNs2ticks(p.burstNs));
  w.setU32(o + 16, p.mtu);
  if (p.rate) writeRatespec(w, o + 20, p.rate);
  if (p.peak) writeRatespec(w, o + 32, p.peak);
  w.setS32(o + 44, a.refcnt);
  w.setS32(o + 48, a.bindcnt);
  if (p.result) w.u32(TCA_POLICE.RESULT, p.result);
  a.dumpTm(w, TCA_POLICE.TM);
}

/** psched_ratecfg_getrate: cell_log 0, cell_align 0, the rate capped at ~0U. */
function writeRatespec(w: NlWriter, off: number, r: PschedRatecfg): void {
  w.setU8(off + 1, r.linklayer);
  w.setU16(off + 2, r.overhead);
  w.setU16(off + 6, r.mpu);
  w.setU32(off + 8, Math.min(r.rateBytesPs, 0xffffffff));
}

/** act_police ops. */
export const policeOps: TcActionOps = Object.freeze({
  kind: 'police',
  id: TCA_ID.POLICE,
  init: policeInit,
  act: policeAct,
  dump: policeDump,
} satisfies TcActionOps);
