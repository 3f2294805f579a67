// Test-only classifier of kind "bpf" that models the *control path* of
// net/sched/cls_bpf.c (Linux 6.18) for classic programs: handle allocation,
// list order (newest first), TCA_BPF_* validation and the dump layout. It does
// not run BPF: it only accepts one-instruction `ret #k` programs and returns k
// (the kernel's classic semantics for such a program), so the tc core can be
// compared with this machine's kernel, which has cls_bpf but not matchall.
// The real cls_bpf lives in @tcbpf/cls-bpf, above this package.
import { kerr } from '@tcbpf/base';
import { TCA, TCA_BPF, TCA_CLS_FLAGS, TC_ACT } from '@tcbpf/uapi';
import { TcfExts, TcfResult, tcfBindFilter, tcfUnbindFilter, type TcfProto, type TcfProtoOps, type TcfChangeArgs, type TcSkb, type NlWriter } from '../../src/index.js';

interface Prog {
  handle: number;
  ops: Uint8Array;
  k: number;
  da: boolean;
  genFlags: number;
  res: TcfResult;
  exts: TcfExts;
}
interface Head {
  list: Prog[];
}

function head(tp: TcfProto): Head {
  return tp.root as Head;
}

export const clsBpfStubOps: TcfProtoOps = Object.freeze({
  kind: 'bpf',
  init(tp: TcfProto): void {
    tp.root = { list: [] } satisfies Head;
  },
  destroy(tp: TcfProto): void {
    for (const p of head(tp).list) {
      tcfUnbindFilter(tp, p.res);
      p.exts.destroy();
    }
    head(tp).list = [];
  },
  classify(skb: TcSkb, tp: TcfProto, res: TcfResult): number {
    for (const p of head(tp).list) {
      skb.tcClassid = p.res.classid;
      const filterRes = p.k | 0;
      if (p.da) {
        res.cls = null;
        res.classid = ((p.res.classid & 0xffff0000) | skb.tcClassid) >>> 0;
        if (filterRes === 0 || filterRes === 2 || filterRes === 4 || filterRes === 7 || filterRes === 8) return filterRes;
        continue;
      }
      if (filterRes === 0) continue;
      if (filterRes === -1) {
        res.classid = p.res.classid;
        res.cls = p.res.cls;
      } else {
        res.classid = filterRes >>> 0;
        res.cls = null;
      }
      const r = p.exts.exec(skb, res);
      if (r < 0) continue;
      return r;
    }
    return TC_ACT.UNSPEC;
  },
  get(tp: TcfProto, handle: number): unknown {
    for (const p of head(tp).list) if (p.handle === handle) return p;
    return null;
  },
  change(tp: TcfProto, a: TcfChangeArgs): unknown {
    if (!a.tca.has(TCA.OPTIONS)) throw kerr('EINVAL');
    const tb = a.tca.nested(TCA.OPTIONS, TCA_BPF.MAX);
    if (tb.has(TCA_BPF.CLASSID) && tb.len(TCA_BPF.CLASSID) < 4) throw kerr('ERANGE');
    if (tb.has(TCA_BPF.OPS_LEN) && tb.len(TCA_BPF.OPS_LEN) < 2) throw kerr('ERANGE');
    if (tb.has(TCA_BPF.OPS) && tb.len(TCA_BPF.OPS) > 32768) throw kerr('ERANGE');
    const h = head(tp);
    const old = a.old as Prog | null;
    let handle = old ? old.handle : a.handle;
    if (!old && handle === 0) {
      handle = 1;
      while (h.list.some((p) => p.handle === handle)) handle++;
    }
    const isCbpf = tb.has(TCA_BPF.OPS) && tb.has(TCA_BPF.OPS_LEN);
    if (!isCbpf || tb.has(TCA_BPF.FD)) throw kerr('EINVAL');
    let flags = 0;
    if (tb.has(TCA_BPF.FLAGS)) {
      flags = tb.u32(TCA_BPF.FLAGS);
      if (flags & ~1) throw kerr('EINVAL');
    }
    let gen = 0;
    if (tb.has(TCA_BPF.FLAGS_GEN)) {
      gen = tb.u32(TCA_BPF.FLAGS_GEN);
      if (gen & ~3 || gen === 3) throw kerr('EINVAL');
    }
    const n = tb.u16(TCA_BPF.OPS_LEN);
    const ops = tb.data(TCA_BPF.OPS);
    if (n === 0 || n > 4096 || n * 8 !== ops.length) throw kerr('EINVAL');
    const dv = new DataView(ops.buffer, ops.byteOffset, ops.byteLength);
    if (n !== 1 || dv.getUint16(0, true) !== 0x06) throw kerr('EOPNOTSUPP', 'test stub: only `ret #k` programs');
    const exts = TcfExts.validate(a.net, tb, TCA_BPF.ACT, tp, a.replaceActs, a.base);
    const p: Prog = { handle, ops: ops.slice(), k: dv.getUint32(4, true), da: (flags & 1) !== 0, genFlags: gen | TCA_CLS_FLAGS.NOT_IN_HW, res: new TcfResult(), exts };
    if (tb.has(TCA_BPF.CLASSID)) {
      p.res.classid = tb.u32(TCA_BPF.CLASSID);
      tcfBindFilter(tp, p.res, a.base);
    }
    if (old) {
      const i = h.list.indexOf(old);
      h.list[i] = p;
      tcfUnbindFilter(tp, old.res);
      old.exts.destroy();
    } else h.list.unshift(p);
    return p;
  },
  delete(tp: TcfProto, fh: unknown): boolean {
    const h = head(tp);
    const p = fh as Prog;
    h.list.splice(h.list.indexOf(p), 1);
    tcfUnbindFilter(tp, p.res);
    p.exts.destroy();
    return h.list.length === 0;
  },
  walk(tp: TcfProto): readonly unknown[] {
    return head(tp).list;
  },
  dump(_tp: TcfProto, fh: unknown, w: NlWriter): number {
    const p = fh as Prog;
    const n = w.nestStart(TCA.OPTIONS);
    if (p.res.classid) w.u32(TCA_BPF.CLASSID, p.res.classid);
    w.u16(TCA_BPF.OPS_LEN, p.ops.length / 8);
    w.attr(TCA_BPF.OPS, p.ops);
    p.exts.dump(w, TCA_BPF.ACT);
    if (p.da) w.u32(TCA_BPF.FLAGS, 1);
    w.u32(TCA_BPF.FLAGS_GEN, p.genFlags);
    w.nestEnd(n);
    return p.handle;
  },
} satisfies TcfProtoOps);
