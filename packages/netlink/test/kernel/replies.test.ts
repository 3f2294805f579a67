// Messages the kernel builds on its own (NLM_F_ECHO notifications of new and
// deleted filters, actions and qdiscs) decode completely and re-encode to the
// same bytes.
import { toHex } from '@tcbpf/base';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { NLM_F, RTM, TCA, TCA_ACT, TCA_BPF, TCA_MIRRED, TCA_ROOT } from '@tcbpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NlWriter, TC_MIRRED, decodeStream, encodeStream, formatMessages, nlmsgEnd, nlmsgPut, putTcmsg, tcFilterInfo } from '../../src/index.js';
import { probe } from './probe.js';

const k0 = kernelOracle();
const k = !k0.ok ? k0 : hasTool('python3') ? k0 : { ok: false, reason: 'python3 not installed' };
const ECHO = NLM_F.REQUEST | NLM_F.ACK | NLM_F.ECHO;

describe.skipIf(!k.ok)(`kernel-built notifications decode byte-exactly (kernel: ${k.reason || 'available'})`, () => {
  let ns: Netns;
  let v0 = 0;
  let v1 = 0;
  beforeAll(() => {
    ns = new Netns('nlr');
    ns.run('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    ns.run('tc', ['qdisc', 'add', 'dev', 'v0', 'clsact']);
    const idx = (d: string): number => Number(/^(\d+):/.exec(ns.run('ip', ['-o', 'link', 'show', d]))?.[1]);
    v0 = idx('v0');
    v1 = idx('v1');
  });
  afterAll(() => ns?.close());

  function filter(type: number, flags: number, withAction: boolean): Uint8Array {
    const w = new NlWriter();
    const s = nlmsgPut(w, type, flags, 77, 0);
    putTcmsg(w, { family: 0, ifindex: v0, handle: 5, parent: 0xfffffff2, info: tcFilterInfo(3, 0x0003) });
    w.string(TCA.KIND, 'bpf');
    if (type === RTM.NEWTFILTER) {
      const o = w.nestStart(TCA.OPTIONS);
      w.u16(TCA_BPF.OPS_LEN, 1);
      w.attr(TCA_BPF.OPS, new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0]));
      w.u32(TCA_BPF.CLASSID, 0x10002);
      w.string(TCA_BPF.NAME, 'ignored-for-cbpf');
      if (withAction) {
        const list = w.nestStart(TCA_BPF.ACT);
        const slot = w.nestStart(1);
        w.string(TCA_ACT.KIND, 'mirred');
        const ao = w.nestStart(TCA_ACT.OPTIONS, true);
        w.struct(TCA_MIRRED.PARMS, TC_MIRRED, { action: 4, eaction: 2, ifindex: v1 });
        w.nestEnd(ao);
        w.bitfield32(TCA_ACT.FLAGS, 1, 1);
        w.nestEnd(slot);
        w.nestEnd(list);
      }
      w.nestEnd(o);
    }
    nlmsgEnd(w, s);
    return w.finish();
  }
  function action(type: number): Uint8Array {
    const w = new NlWriter();
    const s = nlmsgPut(w, type, ECHO | (type === RTM.NEWACTION ? NLM_F.CREATE : 0), 78, 0);
    w.reserve(4);
    const tab = w.nestStart(TCA_ROOT.TAB);
    const slot = w.nestStart(1);
    w.string(TCA_ACT.KIND, 'mirred');
    if (type === RTM.NEWACTION) {
      const ao = w.nestStart(TCA_ACT.OPTIONS);
      w.struct(TCA_MIRRED.PARMS, TC_MIRRED, { index: 33, action: 3, eaction: 1, ifindex: v1 });
      w.nestEnd(ao);
      w.attr(TCA_ACT.COOKIE, new Uint8Array([1, 2, 3]));
    } else {
      w.u32(TCA_ACT.INDEX, 33);
    }
    w.nestEnd(slot);
    w.nestEnd(tab);
    nlmsgEnd(w, s);
    return w.finish();
  }

  it('filters, actions and qdiscs created and deleted with NLM_F_ECHO', () => {
    const reqs = [
      filter(RTM.NEWTFILTER, ECHO | NLM_F.CREATE | NLM_F.EXCL, true),
      filter(RTM.NEWTFILTER, ECHO | NLM_F.CREATE, false),
      filter(RTM.DELTFILTER, ECHO, false),
      action(RTM.NEWACTION),
      action(RTM.DELACTION),
    ];
    const res = probe(ns, reqs.map((bytes) => ({ bytes })));
    const kinds = new Set<string>();
    let datagrams = 0;
    for (const r of res) {
      for (const d of r.replies) {
        const msgs = decodeStream(d);
        for (const m of msgs) {
          expect(m.body.kind, formatMessages(msgs)).not.toBe('raw');
          kinds.add(`${m.header.type}`);
        }
        expect(toHex(encodeStream(msgs))).toBe(toHex(d));
        datagrams++;
      }
      const last = decodeStream(r.replies[r.replies.length - 1]!);
      const ack = last[last.length - 1]!.body;
      expect(ack.kind === 'error' ? ack.error : NaN, formatMessages(last)).toBe(0);
    }
    // the notifications themselves came back: NEW/DELTFILTER and NEW/DELACTION echoes
    for (const t of [RTM.NEWTFILTER, RTM.DELTFILTER, RTM.NEWACTION, RTM.DELACTION]) expect(kinds.has(`${t}`), `type ${t}`).toBe(true);
    expect(datagrams).toBeGreaterThanOrEqual(10);
  });
});
