// The tc core (@tcbpf/tcf): classification cost per packet through
// tcf_classify with a trivial classifier (matchall, no actions), and
// control-plane requests per second through the rtnetlink endpoint.
import { SkBuff } from '@tcbpf/skb';
import { TC_ACT } from '@tcbpf/uapi';
import { TcKernel, TcClient, TCF_ALL_KINDS, TcfResult, NlWriter, tcfClassify, gactSpec, matchallOptions, type TcfBlock, type IngressPriv } from '@tcbpf/tcf';
import type { BenchGroup } from '../harness.js';

function frame(): SkBuff {
  const f = new Uint8Array(64);
  f.fill(0xff, 0, 6);
  f[12] = 0x08;
  const skb = SkBuff.fromFrame(f);
  skb.protocol = 0x0800;
  return skb;
}

function setup(filters: number, withAction: boolean): { block: TcfBlock; tc: TcClient } {
  const k = new TcKernel({ kinds: TCF_ALL_KINDS });
  const net = k.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  // filters-1 non-matching tps (IPv6) before the matching one
  for (let i = 1; i < filters; i++) tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff3, prio: i, protocol: 0x86dd, kind: 'matchall', options: matchallOptions({}) });
  tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff3, prio: filters, protocol: 3, kind: 'matchall', options: matchallOptions(withAction ? { actions: [gactSpec(TC_ACT.OK, 1)] } : {}) });
  return { block: (va.ingress!.priv as IngressPriv).egress!, tc };
}

export function groups(): BenchGroup[] {
  const out = { sink: 0 };
  const skb = frame();
  const res = new TcfResult();
  const one = setup(1, false);
  const oneAct = setup(1, true);
  const ten = setup(10, false);
  // baseline: the classifier's own work with no core around it (a direct call)
  const direct = (s: SkBuff, r: TcfResult): number => {
    r.classid = 0;
    return s.len > 0 ? TC_ACT.OK : -1;
  };
  const PKTS = 1000;

  const ctl = setup(1, false).tc;
  const va = 3;
  const addReq = (prio: number): Uint8Array => {
    const w = new NlWriter();
    const m = w.msgStart(44, 0x605, 1, 0);
    w.tcmsg(va, 0, 0xfffffff2, ((prio << 16) | 0x0300) >>> 0);
    w.str(1, 'matchall');
    const n = w.nestStart(2);
    matchallOptions({ actions: [gactSpec(TC_ACT.OK, 0)] })(w);
    w.nestEnd(n);
    w.msgEnd(m);
    return w.bytes();
  };
  const delReq = (prio: number): Uint8Array => {
    const w = new NlWriter();
    const m = w.msgStart(45, 0x5, 1, 0);
    w.tcmsg(va, 0, 0xfffffff2, ((prio << 16) | 0x0300) >>> 0);
    w.msgEnd(m);
    return w.bytes();
  };
  const add7 = addReq(7);
  const del7 = delReq(7);
  const dumpReq = (() => {
    const w = new NlWriter();
    const m = w.msgStart(46, 0x301, 1, 0);
    w.tcmsg(va, 0, 0xfffffff3, 0);
    w.msgEnd(m);
    return w.bytes();
  })();

  return [
    {
      suite: 'tcf',
      group: 'classification per packet (tcf_classify, trivial classifier)',
      unit: 'packet',
      baseline: {
        name: 'direct classifier call (no core)',
        per: PKTS,
        fn: () => {
          let s = 0;
          for (let i = 0; i < PKTS; i++) s += direct(skb, res);
          out.sink ^= s;
        },
      },
      tasks: [
        {
          name: 'tcf_classify, 1 matchall, no actions',
          per: PKTS,
          fn: () => {
            let s = 0;
            for (let i = 0; i < PKTS; i++) s += tcfClassify(skb, one.block, res);
            out.sink ^= s;
          },
        },
        {
          name: 'tcf_classify, 1 matchall + gact ok',
          per: PKTS,
          fn: () => {
            let s = 0;
            for (let i = 0; i < PKTS; i++) s += tcfClassify(skb, oneAct.block, res);
            out.sink ^= s;
          },
        },
        {
          name: 'tcf_classify, 9 skipped tps (protocol) + 1 matchall',
          per: PKTS,
          fn: () => {
            let s = 0;
            for (let i = 0; i < PKTS; i++) s += tcfClassify(skb, ten.block, res);
            out.sink ^= s;
          },
        },
      ],
    },
    {
      suite: 'tcf',
      group: 'control plane (rtnetlink requests through the endpoint)',
      unit: 'request',
      baseline: {
        name: 'encode a filter add request only',
        fn: () => {
          out.sink ^= addReq(7).length;
        },
      },
      tasks: [
        {
          name: 'filter add + delete (matchall + gact), 2 requests',
          per: 2,
          fn: () => {
            ctl.sock.request(add7);
            out.sink ^= ctl.sock.request(del7).length;
          },
        },
        {
          name: 'filter dump (1 tp, 1 filter)',
          fn: () => {
            out.sink ^= ctl.sock.request(dumpReq).length;
          },
        },
      ],
    },
  ];
}
