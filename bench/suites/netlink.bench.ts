// Netlink codec: decoding and policy-checking a typical cls_bpf RTM_NEWTFILTER
// (the exact 132-byte request iproute2 sends for
// `tc filter add dev v0 ingress prio 6 handle 6 bpf da bytecode '1,6 0 0 4294967295,' action mirred egress redirect dev v1`,
// from the golden vectors) against a plain DataView walk over the same bytes.
import { readFileSync } from 'node:fs';
import { fromHex } from '@tcbpf/base';
import { BPF_POLICY, ExtAck, NlWriter, RTM_TCA_POLICY, decodeStream, nlmsgEnd, nlmsgParse, nlmsgPut, splitMessages } from '@tcbpf/netlink';
import { NLM_F, RTM, TCA, TCA_ACT, TCA_BPF, TCA_MIRRED, TCA_ROOT } from '@tcbpf/uapi';
import type { BenchGroup } from '../harness.js';

interface VectorFile {
  vectors: { name: string; exchanges: { dir: string; hex: string }[] }[];
}

export function groups(): BenchGroup[] {
  const file = JSON.parse(readFileSync(new URL('../../packages/netlink/test/golden/vectors.json', import.meta.url), 'utf8')) as VectorFile;
  const hex = file.vectors.find((v) => v.name === 'filter-add-bpf-mirred')?.exchanges.find((e) => e.dir === 'send')?.hex;
  if (hex === undefined) throw new Error('golden vector filter-add-bpf-mirred not found');
  const req = fromHex(hex);
  const dv = new DataView(req.buffer, req.byteOffset, req.byteLength);
  const out = { sink: 0 };

  // Baseline: walk nlmsghdr, the top-level attributes and the TCA_OPTIONS nest
  // with DataView reads, summing types and lengths (no validation, no table).
  const walk = (start: number, end: number, depth: number): number => {
    let s = 0;
    let p = start;
    while (p + 4 <= end) {
      const len = dv.getUint16(p, true);
      if (len < 4 || p + len > end) break;
      const type = dv.getUint16(p + 2, true) & 0x3fff;
      s = (s + type + len) | 0;
      if (depth === 0 && type === TCA.OPTIONS) s = (s + walk(p + 4, p + len, 1)) | 0;
      if (len >= 8) s = (s + dv.getUint32(p + 4, true)) | 0;
      p += (len + 3) & ~3;
    }
    return s;
  };

  return [
    {
      suite: 'netlink',
      group: `cls_bpf RTM_NEWTFILTER ${req.length} B: decode + policy check`,
      unit: 'message',
      bytesPerUnit: req.length,
      baseline: {
        name: 'DataView walk (header + attrs + TCA_OPTIONS nest)',
        fn: () => {
          const len = dv.getUint32(0, true);
          out.sink ^= walk(16 + 20, len, 0) + dv.getUint16(4, true);
        },
      },
      tasks: [
        {
          name: 'nlmsgParse(rtm_tca_policy) + nested bpf_policy + reads',
          fn: () => {
            const ext = new ExtAck();
            const tb = nlmsgParse(req, 0, 20, RTM_TCA_POLICY, 'deprecated', ext);
            const opt = tb.nested(TCA.OPTIONS, BPF_POLICY, 'deprecated', null);
            out.sink ^= (tb.stringEquals(TCA.KIND, 'bpf') ? 1 : 0) + opt.u32(TCA_BPF.CLASSID) + opt.u16(TCA_BPF.OPS_LEN) + opt.u32(TCA_BPF.FLAGS) + opt.len(TCA_BPF.OPS) + opt.dataPos(TCA_BPF.ACT);
          },
        },
        {
          name: 'same, reusing the caller\'s DataView, NULL extack',
          fn: () => {
            const tb = nlmsgParse(req, 0, 20, RTM_TCA_POLICY, 'deprecated', null, dv);
            const opt = tb.nested(TCA.OPTIONS, BPF_POLICY, 'deprecated', null);
            out.sink ^= (tb.stringEquals(TCA.KIND, 'bpf') ? 1 : 0) + opt.u32(TCA_BPF.CLASSID) + opt.u16(TCA_BPF.OPS_LEN) + opt.u32(TCA_BPF.FLAGS) + opt.len(TCA_BPF.OPS) + opt.dataPos(TCA_BPF.ACT);
          },
        },
        {
          name: 'splitMessages + the same parse (kernel receive path)',
          fn: () => {
            const m = splitMessages(req, 'kernel')[0]!;
            const tb = nlmsgParse(m.bytes, 0, 20, RTM_TCA_POLICY, 'deprecated', new ExtAck());
            const opt = tb.nested(TCA.OPTIONS, BPF_POLICY, 'deprecated', null);
            out.sink ^= opt.u16(TCA_BPF.OPS_LEN);
          },
        },
        {
          name: 'decodeStream to a typed tree (printer/trace path)',
          fn: () => {
            out.sink ^= decodeStream(req).length;
          },
        },
        {
          name: 'encode the same request with NlWriter',
          fn: () => {
            const w = new NlWriter(160);
            const s = nlmsgPut(w, RTM.NEWTFILTER, NLM_F.REQUEST | NLM_F.ACK | NLM_F.EXCL | NLM_F.CREATE, 1, 0);
            const t = w.reserve(20);
            w.setS32(t + 4, 3);
            w.setU32(t + 8, 6);
            w.setU32(t + 12, 0xfffffff2);
            w.setU32(t + 16, 0x60300);
            w.string(TCA.KIND, 'bpf');
            const o = w.nestStart(TCA.OPTIONS);
            const act = w.nestStart(TCA_BPF.ACT);
            const slot = w.nestStart(1);
            w.string(TCA_ACT.KIND, 'mirred');
            const ao = w.nestStart(TCA_ACT.OPTIONS, true);
            const parms = w.attr(TCA_MIRRED.PARMS, new Uint8Array(28));
            w.setS32(parms + 4 + 8, 4);
            w.nestEnd(ao);
            w.nestEnd(slot);
            w.nestEnd(act);
            w.u16(TCA_BPF.OPS_LEN, 1);
            w.attr(TCA_BPF.OPS, new Uint8Array([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
            w.u32(TCA_BPF.FLAGS, 1);
            w.nestEnd(o);
            nlmsgEnd(w, s);
            out.sink ^= w.length + TCA_ROOT.TAB;
          },
        },
      ],
    },
  ];
}
