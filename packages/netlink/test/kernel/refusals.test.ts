// Differential tests against the running kernel: hand-made and fuzzed
// rtnetlink requests are sent (nlprobe.py, inside a throw-away namespace) and
// the kernel's whole ack (or NLMSG_DONE) must equal, byte for byte, the one
// this package builds: same errno, extack message, offending-attribute offset,
// policy TLV and echoed request. Each case models the kernel path up to and
// including the policy check, then the kernel's first step after it:
//   - RTM_NEWTFILTER/NEWQDISC to ifindex 9999: rtm_tca_policy (extack), then
//     the device lookup fails: -ENODEV, no message (measured).
//   - RTM_GETTFILTER dump to ifindex 9999: tcf_tfilter_dump_policy, then an
//     empty dump: NLMSG_DONE 0.
//   - RTM_NEWACTION: no top-level policy; the action slot is parsed with
//     tcf_action_policy (extack); kind "nosuchact" then fails with -ENOENT
//     "Failed to load TC action module".
//   - RTM_NEWTFILTER replacing a cls_bpf filter on v0: bpf_policy with a NULL
//     extack (bare errno), else the replace succeeds.
//   - strict mode (NL_VALIDATE_STRICT), which tc never uses: a generic-netlink
//     CTRL_CMD_GETPOLICY dump request to nlctrl, whose ctrl_policy_policy is
//     validated strictly; family "nosuchfamily" then fails with -ENOENT.
import { KernelError, toHex } from '@tcbpf/base';
import { Netns, fuzzRuns, fuzzSeed, hasTool, kernelOracle } from '@tcbpf/testing';
import { NLA_F, NLM_F, RTM, TCA, TCA_ACT, TCA_BPF, TCA_ROOT } from '@tcbpf/uapi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BPF_POLICY, ExtAck, NLA, NlWriter, RTM_TCA_POLICY, TCF_ACTION_POLICY, TCF_TFILTER_DUMP_POLICY, definePolicy, formatStream, netlinkAck, netlinkAckError,
  netlinkDumpDone, nlmsgEnd, nlmsgParse, nlmsgPut, splitMessages,
} from '../../src/index.js';
import { probe } from './probe.js';

const k0 = kernelOracle();
// nlprobe.py needs python3 (its socket module speaks AF_NETLINK)
const k = !k0.ok ? k0 : hasTool('python3') ? k0 : { ok: false, reason: 'python3 not installed' };
const SEQ = 4242;
const NO_DEV = 9999;
const ETH_P_ALL_BE = 0x0300; // htons(ETH_P_ALL) as the host-order u16 in tcm_info
const INFO = (1 << 16) | ETH_P_ALL_BE;
const INGRESS = 0xfffffff2;

interface Case {
  readonly name: string;
  readonly path: 'tfilter' | 'qdisc' | 'dump' | 'action' | 'cls_bpf' | 'genl';
  readonly bytes: Uint8Array;
  readonly capAck?: boolean;
  /** What the kernel answered when this list was written (errno / message), for the record; the test compares bytes. */
  readonly kernel: string;
}

function tcmsgReq(type: number, flags: number, ifindex: number, handle: number, build: (w: NlWriter) => void): Uint8Array {
  const w = new NlWriter();
  const s = nlmsgPut(w, type, NLM_F.REQUEST | NLM_F.ACK | flags, SEQ, 0);
  const at = w.reserve(20);
  w.setS32(at + 4, ifindex);
  w.setU32(at + 8, handle);
  w.setU32(at + 12, INGRESS);
  w.setU32(at + 16, INFO);
  build(w);
  nlmsgEnd(w, s);
  return w.finish();
}

function actionReq(build: (w: NlWriter) => void): Uint8Array {
  const w = new NlWriter();
  const s = nlmsgPut(w, RTM.NEWACTION, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE, SEQ, 0);
  w.reserve(4);
  const tab = w.nestStart(TCA_ROOT.TAB);
  const slot = w.nestStart(1);
  w.string(TCA_ACT.KIND, 'nosuchact');
  build(w);
  w.nestEnd(slot);
  w.nestEnd(tab);
  nlmsgEnd(w, s);
  return w.finish();
}

const tfilter = (build: (w: NlWriter) => void): Uint8Array => tcmsgReq(RTM.NEWTFILTER, NLM_F.CREATE | NLM_F.EXCL, NO_DEV, 1, (w) => {
  w.string(TCA.KIND, 'bpf');
  build(w);
});
const dump = (build: (w: NlWriter) => void): Uint8Array => tcmsgReq(RTM.GETTFILTER, NLM_F.DUMP, NO_DEV, 0, build);
const NOP = new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0]); // ret #0

function clsBpf(v0: number, build: (w: NlWriter) => void, optFlags = 0): Uint8Array {
  return tcmsgReq(RTM.NEWTFILTER, NLM_F.CREATE, v0, 1, (w) => {
    w.string(TCA.KIND, 'bpf');
    const o = w.nestStart(TCA.OPTIONS | optFlags);
    w.u16(TCA_BPF.OPS_LEN, 1);
    w.attr(TCA_BPF.OPS, NOP);
    build(w);
    w.nestEnd(o);
  });
}

const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETPOLICY = 10;
const NETLINK_GENERIC = 16;
/** ctrl_policy_policy (net/netlink/genetlink.c), validated strictly by genetlink for CTRL_CMD_GETPOLICY. */
const CTRL_POLICY_POLICY = definePolicy('ctrl_policy_policy', 10, {
  1: { name: 'CTRL_ATTR_FAMILY_ID', type: NLA.U16 },
  2: { name: 'CTRL_ATTR_FAMILY_NAME', type: NLA.NUL_STRING, len: 15 },
  10: { name: 'CTRL_ATTR_OP', type: NLA.U32 },
});

function genl(build: (w: NlWriter) => void, name = 'nosuchfamily'): Uint8Array {
  const w = new NlWriter();
  const s = nlmsgPut(w, GENL_ID_CTRL, NLM_F.REQUEST | NLM_F.ACK | NLM_F.DUMP, SEQ, 0);
  const at = w.reserve(4);
  w.setU8(at, CTRL_CMD_GETPOLICY);
  w.setU8(at + 1, 1);
  w.string(2, name);
  build(w);
  nlmsgEnd(w, s);
  return w.finish();
}

function cases(v0: number): Case[] {
  const str = (n: number): string => 'x'.repeat(n);
  return [
    { name: 'TCA_CHAIN of 2 bytes', path: 'tfilter', bytes: tfilter((w) => w.attr(TCA.CHAIN, new Uint8Array(2))), kernel: 'ERANGE "Attribute failed policy validation" offs 44 + policy U32' },
    { name: 'TCA_CHAIN of 8 bytes (longer is accepted)', path: 'tfilter', bytes: tfilter((w) => w.attr(TCA.CHAIN, new Uint8Array(8))), kernel: 'ENODEV (passed policy)' },
    { name: 'TCA_CHAIN with NLA_F_NESTED (flag ignored)', path: 'tfilter', bytes: tfilter((w) => w.u32(TCA.CHAIN | NLA_F.NESTED, 0)), kernel: 'ENODEV (passed policy)' },
    { name: 'empty TCA_KIND after a good one (duplicates validated in order)', path: 'tfilter', bytes: tfilter((w) => w.attr(TCA.KIND, new Uint8Array(0))), kernel: 'ERANGE offs 44 + policy STRING' },
    { name: 'TCA_KIND without NUL', path: 'tfilter', bytes: tcmsgReq(RTM.NEWTFILTER, NLM_F.CREATE | NLM_F.EXCL, NO_DEV, 1, (w) => w.stringNoNul(TCA.KIND, 'bpf')), kernel: 'ENODEV (passed policy)' },
    { name: 'TCA_RATE of 3 bytes (BINARY max 2)', path: 'tfilter', bytes: tfilter((w) => w.attr(TCA.RATE, new Uint8Array(3))), kernel: 'ERANGE offs 44 + policy BINARY max 2' },
    { name: 'TCA_DUMP_INVISIBLE with a payload (FLAG)', path: 'tfilter', bytes: tfilter((w) => w.u8(TCA.DUMP_INVISIBLE, 1)), kernel: 'ERANGE offs 44 + policy FLAG' },
    { name: 'TCA_STAB of 2 bytes (NESTED < NLA_HDRLEN)', path: 'tfilter', bytes: tfilter((w) => w.attr(TCA.STAB, new Uint8Array(2))), kernel: 'ERANGE offs 44 + policy NESTED' },
    { name: 'empty TCA_STAB', path: 'tfilter', bytes: tfilter((w) => w.attr(TCA.STAB, new Uint8Array(0))), kernel: 'ENODEV (passed policy)' },
    { name: 'TCA_INGRESS_BLOCK of 3 bytes', path: 'tfilter', bytes: tfilter((w) => w.attr(TCA.INGRESS_BLOCK, new Uint8Array(3))), kernel: 'ERANGE offs 44 + policy U32' },
    { name: 'unknown types 0 and 200 (ignored)', path: 'tfilter', bytes: tfilter((w) => { w.u32(0, 1); w.u32(200, 1); }), kernel: 'ENODEV (passed policy)' },
    { name: '3 trailing bytes (warning kept on the later error)', path: 'tfilter', bytes: tfilter((w) => w.reserve(3)), kernel: 'ENODEV + "bytes leftover after parsing attributes"' },
    { name: 'attribute with nla_len 2 stops the walk (leftover warning)', path: 'tfilter', bytes: tfilter((w) => { const a = w.reserve(4); w.setU16(a, 2); w.setU16(a + 2, TCA.CHAIN); }), kernel: 'ENODEV + leftover warning' },
    { name: 'attribute longer than the message', path: 'tfilter', bytes: tfilter((w) => { const a = w.reserve(8); w.setU16(a, 64); w.setU16(a + 2, TCA.CHAIN); }), kernel: 'ENODEV + leftover warning' },
    { name: 'bad TCA_CHAIN after a malformed attribute is never seen', path: 'tfilter', bytes: tfilter((w) => { const a = w.reserve(4); w.setU16(a, 3); w.attr(TCA.CHAIN, new Uint8Array(1)); }), kernel: 'ENODEV + leftover warning' },
    { name: 'nlmsg_len shorter than tcmsg', path: 'tfilter', bytes: (() => { const w = new NlWriter(); const s = nlmsgPut(w, RTM.NEWTFILTER, NLM_F.REQUEST | NLM_F.ACK, SEQ, 0); w.reserve(8); nlmsgEnd(w, s); return w.finish(); })(), kernel: 'EINVAL "Invalid header length"' },
    { name: 'capped ack (NETLINK_CAP_ACK) of a policy error', path: 'tfilter', capAck: true, bytes: tfilter((w) => w.attr(TCA.CHAIN, new Uint8Array(2))), kernel: 'ERANGE, request not echoed' },
    { name: 'RTM_NEWQDISC with TCA_CHAIN of 2 bytes', path: 'qdisc', bytes: tcmsgReq(RTM.NEWQDISC, NLM_F.CREATE | NLM_F.EXCL, NO_DEV, 0, (w) => { w.string(TCA.KIND, 'clsact'); w.attr(TCA.CHAIN, new Uint8Array(2)); }), kernel: 'ERANGE offs 48 + policy U32' },
    { name: 'dump with TCA_CHAIN of 2 bytes (tcf_tfilter_dump_policy)', path: 'dump', bytes: dump((w) => w.attr(TCA.CHAIN, new Uint8Array(2))), kernel: 'NLMSG_DONE ERANGE offs 36 + policy' },
    { name: 'dump with TCA_DUMP_FLAGS bit outside TERSE', path: 'dump', bytes: dump((w) => w.bitfield32(TCA.DUMP_FLAGS, 2, 2)), kernel: 'NLMSG_DONE EINVAL + policy BITFIELD32 mask 1' },
    { name: 'dump with TCA_DUMP_FLAGS value outside selector', path: 'dump', bytes: dump((w) => w.bitfield32(TCA.DUMP_FLAGS, 1, 0)), kernel: 'NLMSG_DONE EINVAL' },
    { name: 'dump with TCA_DUMP_FLAGS of 4 bytes', path: 'dump', bytes: dump((w) => w.u32(TCA.DUMP_FLAGS, 1)), kernel: 'NLMSG_DONE ERANGE' },
    { name: 'dump with good TERSE flag', path: 'dump', bytes: dump((w) => w.bitfield32(TCA.DUMP_FLAGS, 1, 1)), kernel: 'NLMSG_DONE 0' },
    { name: 'dump with 3 trailing bytes: the warning rides on a successful NLMSG_DONE', path: 'dump', bytes: dump((w) => w.reserve(3)), kernel: 'NLMSG_DONE 0 + ACK_TLVS "bytes leftover after parsing attributes"' },
    { name: 'action: TCA_ACT_COOKIE of 17 bytes', path: 'action', bytes: actionReq((w) => w.attr(TCA_ACT.COOKIE, new Uint8Array(17))), kernel: 'ERANGE + policy BINARY max 16' },
    { name: 'action: TCA_ACT_INDEX of 2 bytes', path: 'action', bytes: actionReq((w) => w.attr(TCA_ACT.INDEX, new Uint8Array(2))), kernel: 'ERANGE + policy U32' },
    { name: 'action: TCA_ACT_FLAGS with an invalid bit', path: 'action', bytes: actionReq((w) => w.bitfield32(TCA_ACT.FLAGS, 8, 8)), kernel: 'EINVAL + policy BITFIELD32 mask 7' },
    { name: 'action: TCA_ACT_HW_STATS of 4 bytes', path: 'action', bytes: actionReq((w) => w.u32(TCA_ACT.HW_STATS, 1)), kernel: 'ERANGE' },
    { name: 'action: TCA_ACT_OPTIONS of 2 bytes', path: 'action', bytes: actionReq((w) => w.attr(TCA_ACT.OPTIONS, new Uint8Array(2))), kernel: 'ERANGE + policy NESTED' },
    { name: 'action: valid attributes, unknown kind', path: 'action', bytes: actionReq((w) => w.u32(TCA_ACT.INDEX, 3)), kernel: 'ENOENT "Failed to load TC action module"' },
    { name: 'cls_bpf: TCA_BPF_CLASSID of 2 bytes', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.attr(TCA_BPF.CLASSID, new Uint8Array(2))), kernel: 'ERANGE, no message (NULL extack)' },
    { name: 'cls_bpf: TCA_BPF_CLASSID of 8 bytes', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.attr(TCA_BPF.CLASSID, new Uint8Array([1, 0, 1, 0, 9, 9, 9, 9]))), kernel: 'success' },
    { name: 'cls_bpf: TCA_BPF_OPS_LEN of 1 byte', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.attr(TCA_BPF.OPS_LEN, new Uint8Array(1))), kernel: 'ERANGE, no message' },
    { name: 'cls_bpf: TCA_BPF_OPS of 32776 bytes (> 8*4096)', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.attr(TCA_BPF.OPS, new Uint8Array(32776))), kernel: 'ERANGE, no message' },
    { name: 'cls_bpf: TCA_BPF_NAME without NUL', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.stringNoNul(TCA_BPF.NAME, 'abc')), kernel: 'EINVAL, no message' },
    { name: 'cls_bpf: TCA_BPF_NAME of 257 chars + NUL (no NUL within len+1)', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.string(TCA_BPF.NAME, str(257))), kernel: 'EINVAL, no message' },
    { name: 'cls_bpf: TCA_BPF_NAME of 256 chars + NUL', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.string(TCA_BPF.NAME, str(256))), kernel: 'success' },
    { name: 'cls_bpf: TCA_BPF_FD of 2 bytes', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.attr(TCA_BPF.FD, new Uint8Array(2))), kernel: 'ERANGE, no message' },
    { name: 'cls_bpf: TCA_BPF_FLAGS_GEN of 3 bytes', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.attr(TCA_BPF.FLAGS_GEN, new Uint8Array(3))), kernel: 'ERANGE, no message' },
    { name: 'cls_bpf: unknown type 99 and NLA_F_NESTED on TCA_OPTIONS', path: 'cls_bpf', bytes: clsBpf(v0, (w) => w.u32(99, 1), NLA_F.NESTED), kernel: 'success' },
    { name: 'cls_bpf: capped ack of a bare ERANGE', path: 'cls_bpf', capAck: true, bytes: clsBpf(v0, (w) => w.attr(TCA_BPF.CLASSID, new Uint8Array(1))), kernel: 'ERANGE, capped, no TLVs' },
    { name: 'strict: unknown attribute type 99', path: 'genl', bytes: genl((w) => w.u32(99, 1)), kernel: 'EINVAL "Unknown attribute type" offs 40' },
    { name: 'strict: attribute type 0', path: 'genl', bytes: genl((w) => w.u32(0, 1)), kernel: 'EINVAL "Unknown attribute type"' },
    { name: 'strict: 3 trailing bytes', path: 'genl', bytes: genl((w) => w.reserve(3)), kernel: 'EINVAL "bytes leftover after parsing attributes", no offset' },
    { name: 'strict: U16 of 4 bytes', path: 'genl', bytes: genl((w) => w.u32(1, 1)), kernel: 'EINVAL "invalid attribute length" + policy U16' },
    { name: 'strict: NLA_F_NESTED on a U16', path: 'genl', bytes: genl((w) => w.u16(1 | NLA_F.NESTED, 1)), kernel: 'EINVAL "NLA_F_NESTED not expected"' },
    { name: 'strict: attribute without policy (NLA_UNSPEC)', path: 'genl', bytes: genl((w) => w.u32(3, 1)), kernel: 'EINVAL "Unsupported attribute"' },
    { name: 'strict: NUL_STRING without NUL', path: 'genl', bytes: (() => { const w = new NlWriter(); const s = nlmsgPut(w, GENL_ID_CTRL, NLM_F.REQUEST | NLM_F.ACK | NLM_F.DUMP, SEQ, 0); const at = w.reserve(4); w.setU8(at, CTRL_CMD_GETPOLICY); w.stringNoNul(2, 'nosuchfamily'); nlmsgEnd(w, s); return w.finish(); })(), kernel: 'EINVAL "Attribute failed policy validation" + policy NUL_STRING max 15' },
    { name: 'strict: NUL_STRING of 16 chars', path: 'genl', bytes: genl(() => undefined, 'x'.repeat(16)), kernel: 'EINVAL (no NUL within len+1)' },
    { name: 'strict: U32 of 2 bytes', path: 'genl', bytes: genl((w) => w.u16(10, 1)), kernel: 'EINVAL "invalid attribute length" (exact length first)' },
    { name: 'strict: valid request, unknown family', path: 'genl', bytes: genl((w) => w.u32(10, 1)), kernel: 'ENOENT, no message' },
  ];
}

const NO_POLICY_ROOT = definePolicy('tc_ctl_action (NULL policy)', TCA_ROOT.MAX, {});
const NO_POLICY_TAB = definePolicy('tca_action_gd (NULL policy)', 32, {});

/** What this package says the kernel answers to `c` (the final ack or NLMSG_DONE bytes). */
function model(c: Pick<Case, 'path' | 'bytes' | 'capAck'>, portid: number): Uint8Array {
  const req = c.bytes;
  const opts = { portid, extAck: true, capAck: c.capAck === true };
  const ext = new ExtAck();
  try {
    switch (c.path) {
      case 'tfilter':
      case 'qdisc':
        nlmsgParse(req, 0, 20, RTM_TCA_POLICY, 'deprecated', ext);
        throw new KernelError('ENODEV');
      case 'dump':
        try {
          nlmsgParse(req, 0, 20, TCF_TFILTER_DUMP_POLICY, 'deprecated', ext);
        } catch (e) {
          if (!KernelError.isInstance(e)) throw e;
          return netlinkDumpDone(SEQ, e.negErrno, ext, opts);
        }
        return netlinkDumpDone(SEQ, 0, ext, opts);
      case 'action': {
        const root = nlmsgParse(req, 0, 4, NO_POLICY_ROOT, 'deprecated', ext);
        if (!root.has(TCA_ROOT.TAB)) throw new KernelError('EINVAL', 'Netlink action attributes missing');
        const tab = root.nested(TCA_ROOT.TAB, NO_POLICY_TAB, 'deprecated', ext);
        tab.nested(1, TCF_ACTION_POLICY, 'deprecated', ext);
        throw new KernelError('ENOENT', 'Failed to load TC action module');
      }
      case 'genl':
        nlmsgParse(req, 0, 4, CTRL_POLICY_POLICY, 'strict', ext);
        throw new KernelError('ENOENT');
      case 'cls_bpf': {
        const tb = nlmsgParse(req, 0, 20, RTM_TCA_POLICY, 'deprecated', ext);
        tb.nested(TCA.OPTIONS, BPF_POLICY, 'deprecated', null);
        return netlinkAck(req, 0, ext, opts);
      }
    }
  } catch (e) {
    return netlinkAckError(req, e, ext, opts);
  }
}

function lastAck(replies: readonly Uint8Array[]): Uint8Array {
  const d = replies[replies.length - 1];
  if (d === undefined) throw new Error('no reply from the kernel');
  const msgs = splitMessages(d);
  return msgs[msgs.length - 1]!.bytes;
}

describe.skipIf(!k.ok)(`refusals agree with the kernel byte for byte (kernel: ${k.reason || 'available'})`, () => {
  let ns: Netns;
  let v0 = 0;
  beforeAll(() => {
    ns = new Netns('nl');
    ns.run('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    ns.run('tc', ['qdisc', 'add', 'dev', 'v0', 'clsact']);
    ns.run('tc', ['filter', 'add', 'dev', 'v0', 'ingress', 'prio', '1', 'handle', '1', 'protocol', 'all', 'bpf', 'bytecode', '1,6 0 0 0,']);
    v0 = Number(/^(\d+):/.exec(ns.run('ip', ['-o', 'link', 'show', 'v0']))?.[1]);
  });
  afterAll(() => ns?.close());

  it('hand-made cases: every ack equals the model', () => {
    const list = cases(v0);
    const res = probe(ns, list.map((c) => ({ ...c, proto: c.path === 'genl' ? NETLINK_GENERIC : 0 })));
    const mismatches: string[] = [];
    list.forEach((c, i) => {
      const r = res[i]!;
      const got = lastAck(r.replies);
      const want = model(c, r.portid);
      if (toHex(got) !== toHex(want)) mismatches.push(`${c.name} (kernel said ${c.kernel})\nkernel:\n${formatStream(got)}\nmodel:\n${formatStream(want)}`);
    });
    expect(mismatches.join('\n\n')).toBe('');
    expect(list.length).toBeGreaterThanOrEqual(51);
  });

  const attrArb = fc.record({
    type: fc.oneof(fc.integer({ min: 0, max: 17 }), fc.constant(200)),
    flags: fc.constantFrom(0, 0, 0, NLA_F.NESTED, NLA_F.NET_BYTEORDER),
    payload: fc.uint8Array({ maxLength: 12 }),
    badLen: fc.option(fc.integer({ min: 0, max: 80 }), { freq: 12 }),
  });
  const genTop = fc.record({ attrs: fc.array(attrArb, { maxLength: 6 }), trailing: fc.integer({ min: 0, max: 3 }), path: fc.constantFrom('tfilter' as const, 'dump' as const, 'action' as const, 'genl' as const) });

  type Gen = typeof genTop extends fc.Arbitrary<infer T> ? T : never;
  function build(g: Gen): Uint8Array {
    const body = (w: NlWriter): void => {
      for (const a of g.attrs) {
        // keep the attribute that decides the post-policy outcome intact
        const type = g.path === 'action' && a.type === TCA_ACT.KIND ? a.type + 1 : g.path === 'genl' && (a.type === 1 || a.type === 2) ? a.type + 2 : a.type;
        const at = w.attr(type | a.flags, a.payload);
        if (a.badLen !== null) w.setU16(at, a.badLen);
      }
      if (g.trailing > 0) w.reserve(g.trailing);
    };
    if (g.path === 'tfilter') return tfilter(body);
    if (g.path === 'dump') return dump(body);
    if (g.path === 'genl') return genl(body);
    return actionReq(body);
  }

  it('fuzz: random top-level, dump, action and strict-mode attributes are refused exactly where the kernel refuses them', () => {
    const samples = fc.sample(genTop, { numRuns: fuzzRuns(300, 10_000), seed: fuzzSeed() });
    const reqs = samples.map((g) => ({ path: g.path, bytes: build(g), proto: g.path === 'genl' ? NETLINK_GENERIC : 0 }));
    const res = probe(ns, reqs);
    let refused = 0;
    let accepted = 0;
    const mismatches: string[] = [];
    reqs.forEach((c, i) => {
      const r = res[i]!;
      const got = lastAck(r.replies);
      const want = model(c, r.portid);
      if (toHex(got) !== toHex(want)) mismatches.push(`${c.path} ${toHex(c.bytes)}\nkernel:\n${formatStream(got)}\nmodel:\n${formatStream(want)}`);
      const err = got.length >= 20 ? new DataView(got.buffer, got.byteOffset).getInt32(16, true) : 0;
      if (err === -34 || (err === -22 && c.path !== 'action')) refused++;
      if (err === -19 || err === -2 || err === 0) accepted++;
    });
    expect(mismatches.slice(0, 3).join('\n\n')).toBe('');
    if (process.env['NL_REPORT'] === '1') process.stderr.write(`kernel fuzz: ${reqs.length} requests, ${refused} refused by policy, ${accepted} accepted, ${mismatches.length} mismatches\n`);
    // the generator must reach both outcomes often
    expect(refused).toBeGreaterThan(reqs.length / 10);
    expect(accepted).toBeGreaterThan(reqs.length / 10);
  });
});
