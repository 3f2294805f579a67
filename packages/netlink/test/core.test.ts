import { KernelError, toHex } from '@tcbpf/base';
import { NLA_F, NLM_F, NLMSG, NLMSGERR_ATTR, NL_ATTR_TYPE, NL_POLICY_TYPE_ATTR } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  ExtAck, NLA, NL_VALIDATE, NlWriter, definePolicy, netlinkAck, netlinkAckError, netlinkDumpDone, nlaParse, nlmsgEnd, nlmsgParse, nlmsgPut, parseAck,
  splitMessages, walkAttrs,
} from '../src/index.js';

function msgWith(build: (w: NlWriter) => void, hdrlen = 4): Uint8Array {
  const w = new NlWriter();
  const s = nlmsgPut(w, 44, NLM_F.REQUEST | NLM_F.ACK, 7, 1234);
  w.reserve(hdrlen);
  build(w);
  nlmsgEnd(w, s);
  return w.finish();
}

const INNER = definePolicy('INNER', 2, { 1: { name: 'IN_A', type: NLA.U32 }, 2: { name: 'IN_S', type: NLA.NUL_STRING, len: 3 } });
const P = definePolicy('TEST', 9, {
  1: { name: 'T_U8', type: NLA.U8 },
  2: { name: 'T_U32', type: NLA.U32 },
  3: { name: 'T_STR', type: NLA.STRING, len: 4 },
  4: { name: 'T_BIN', type: NLA.BINARY, len: 3 },
  5: { name: 'T_FLAG', type: NLA.FLAG },
  6: { name: 'T_NEST', type: NLA.NESTED, nested: INNER },
  7: { name: 'T_BF', type: NLA.BITFIELD32, bitfield32Valid: 0x3 },
  8: { name: 'T_MIN', type: NLA.UNSPEC, len: 6 },
  9: { name: 'T_RANGE', type: NLA.U16, min: 1, max: 10 },
});

function tryParse(req: Uint8Array, mode: 'deprecated' | 'strict', withExt = true): { err?: KernelError; ext: ExtAck } {
  const ext = new ExtAck();
  try {
    nlmsgParse(req, 0, 4, P, mode, withExt ? ext : null);
    return { ext };
  } catch (e) {
    if (!KernelError.isInstance(e)) throw e;
    return { err: e, ext };
  }
}

describe('NlWriter / attribute walking', () => {
  it('aligns attributes, excludes padding from nla_len and includes it in nlmsg_len', () => {
    const req = msgWith((w) => {
      w.u8(1, 0xab);
      w.string(3, 'ab');
    });
    // 16 hdr + 4 family + (5 -> 8) + (7 -> 8)
    expect(req.length).toBe(36);
    expect(toHex(req.subarray(20))).toBe('0500' + '0100' + 'ab000000' + '0700' + '0300' + '61620000');
    const { attrs, rem } = walkAttrs(req, 20, 16);
    expect(rem).toBe(0);
    expect(attrs.map((a) => [a.type, a.len])).toEqual([[1, 1], [3, 3]]);
  });

  it('nests: start/end fix the length, cancel drops everything, NLA_F_NESTED on request', () => {
    const w = new NlWriter();
    const n = w.nestStart(6, true);
    w.u32(1, 5);
    const c = w.nestStart(2);
    w.u32(1, 1);
    w.nestCancel(c);
    expect(w.nestEnd(n)).toBe(12);
    const b = w.finish();
    expect(toHex(b)).toBe('0c00' + '0680' + '0800' + '0100' + '05000000');
    const { attrs } = walkAttrs(b, 0, b.length);
    expect(attrs[0]?.flags).toBe(NLA_F.NESTED);
  });

  it('writes every integer width and byte order explicitly', () => {
    const w = new NlWriter();
    w.u16(1, 0x1234);
    w.be16(2, 0x1234);
    w.be32(3, 0x01020304);
    w.s32(4, -2);
    w.u64(5, 0x0102030405060708n);
    w.s8(6, -1);
    w.s16(7, -2);
    w.s64(8, -3n);
    w.bitfield32(9, 1, 3);
    w.flag(10);
    const b = w.finish();
    const h = toHex(b);
    expect(h.startsWith('060001003412' + '0000' + '060002001234' + '0000' + '08000300' + '01020304' + '08000400' + 'feffffff' + '0c000500' + '0807060504030201')).toBe(true);
    expect(h.endsWith('0c000900' + '01000000' + '03000000' + '04000a00')).toBe(true);
  });
});

describe('policy validation (lib/nlattr.c rules)', () => {
  it('accepts a good request, last duplicate wins, unknown types ignored in liberal mode', () => {
    const req = msgWith((w) => {
      w.u32(2, 1);
      w.u32(2, 2);
      w.u32(99, 0);
      w.u32(0, 0);
      w.string(3, 'abcd'); // 4 chars + NUL: len excludes one NUL
      w.flag(5);
    });
    const tb = nlmsgParse(req, 0, 4, P, 'deprecated', null);
    expect(tb.u32(2)).toBe(2);
    expect(tb.string(3)).toBe('abcd');
    expect(tb.stringEquals(3, 'abcd')).toBe(true);
    expect(tb.flag(5)).toBe(true);
    expect(tb.has(1)).toBe(false);
    expect(tb.u8(1, 77)).toBe(77);
  });

  it('longer-than-needed integers pass liberal, fail strict with "invalid attribute length"', () => {
    const req = msgWith((w) => w.attr(2, new Uint8Array(8)));
    expect(tryParse(req, 'deprecated').err).toBeUndefined();
    const { err, ext } = tryParse(req, 'strict');
    expect(err?.errno).toBe('EINVAL');
    expect(err?.extack).toBe('invalid attribute length');
    expect(err?.attrOffset).toBe(20);
    expect(ext.policy?.name).toBe('T_U32');
  });

  const refusals: [string, (w: NlWriter) => void, string, string, number][] = [
    ['short u32', (w) => w.attr(2, new Uint8Array(2)), 'ERANGE', 'Attribute failed policy validation', 20],
    ['string too long', (w) => w.string(3, 'abcde'), 'ERANGE', 'Attribute failed policy validation', 20],
    ['empty string', (w) => w.attr(3, new Uint8Array(0)), 'ERANGE', 'Attribute failed policy validation', 20],
    ['binary too long', (w) => w.attr(4, new Uint8Array(4)), 'ERANGE', 'Attribute failed policy validation', 20],
    ['flag with payload', (w) => w.u8(5, 1), 'ERANGE', 'Attribute failed policy validation', 20],
    ['nest shorter than a header', (w) => w.attr(6, new Uint8Array(2)), 'ERANGE', 'Attribute failed policy validation', 20],
    ['bitfield32 bad size', (w) => w.u32(7, 1), 'ERANGE', 'Attribute failed policy validation', 20],
    ['bitfield32 value outside selector', (w) => w.bitfield32(7, 2, 1), 'EINVAL', 'Attribute failed policy validation', 20],
    ['bitfield32 invalid bit', (w) => w.bitfield32(7, 4, 4), 'EINVAL', 'Attribute failed policy validation', 20],
    ['UNSPEC with len: too short', (w) => w.attr(8, new Uint8Array(5)), 'ERANGE', 'Attribute failed policy validation', 20],
    ['range: below min', (w) => w.u16(9, 0), 'ERANGE', 'integer out of range', 20],
    ['range: above max', (w) => w.u16(9, 11), 'ERANGE', 'integer out of range', 20],
    ['nested policy: inner short u32 keeps the inner offset', (w) => {
      const n = w.nestStart(6);
      w.u8(1, 1);
      w.nestEnd(n);
    }, 'ERANGE', 'Attribute failed policy validation', 24],
    ['nested NUL_STRING without NUL within len+1', (w) => {
      w.u8(1, 1);
      const n = w.nestStart(6);
      w.attr(2, new Uint8Array([0x61, 0x62, 0x63, 0x64, 0]));
      w.nestEnd(n);
    }, 'EINVAL', 'Attribute failed policy validation', 32],
  ];
  for (const [name, build, errno, msg, off] of refusals) {
    it(`refuses: ${name}`, () => {
      const req = msgWith(build);
      {
        const { err, ext } = tryParse(req, 'deprecated');
        expect(err?.errno).toBe(errno);
        expect(err?.extack).toBe(msg);
        expect(err?.attrOffset).toBe(off);
        expect(ext.badAttr).toBe(off);
      }
      // a NULL extack gives the bare errno
      const bare = tryParse(req, 'deprecated', false);
      expect(bare.err?.errno).toBe(errno);
      expect(bare.err?.extack).toBe('');
      expect(bare.err?.attrOffset).toBeUndefined();
    });
  }

  it('strict mode: unknown type, missing NLA_F_NESTED, unexpected NLA_F_NESTED, trailing bytes', () => {
    const unknown = msgWith((w) => w.u32(99, 0));
    expect(tryParse(unknown, 'strict').err?.extack).toBe('Unknown attribute type');
    const noNested = msgWith((w) => {
      const n = w.nestStart(6);
      w.nestEnd(n);
    });
    expect(tryParse(noNested, 'deprecated').err).toBeUndefined();
    expect(tryParse(noNested, 'strict').err?.extack).toBe('NLA_F_NESTED is missing');
    const unexpected = msgWith((w) => w.u32(2 | NLA_F.NESTED, 1));
    expect(tryParse(unexpected, 'deprecated').err).toBeUndefined();
    expect(tryParse(unexpected, 'strict').err?.extack).toBe('NLA_F_NESTED not expected');
    const trailing = msgWith((w) => {
      w.u32(2, 1);
      w.reserve(3);
    });
    const lib = tryParse(trailing, 'deprecated');
    expect(lib.err).toBeUndefined();
    expect(lib.ext.msg).toBe('bytes leftover after parsing attributes');
    const st = tryParse(trailing, 'strict');
    expect(st.err?.errno).toBe('EINVAL');
    expect(st.err?.extack).toBe('bytes leftover after parsing attributes');
  });

  it('header shorter than the family header: "Invalid header length"', () => {
    const w = new NlWriter();
    const s = nlmsgPut(w, 44, 1, 1, 1);
    nlmsgEnd(w, s);
    const ext = new ExtAck();
    expect(() => nlmsgParse(w.finish(), 0, 20, P, 'deprecated', ext)).toThrow(/Invalid header length/);
    expect(ext.msg).toBe('Invalid header length');
  });

  it('recursion depth is capped at MAX_POLICY_RECURSION_DEPTH', () => {
    // a self-referencing policy, built the way C would (a nest of itself)
    const deep: { p?: ReturnType<typeof definePolicy> } = {};
    const inner = definePolicy('LEAF', 1, { 1: { name: 'X', type: NLA.NESTED } });
    let p = inner;
    for (let i = 0; i < 12; i++) p = definePolicy(`L${i}`, 1, { 1: { name: `N${i}`, type: NLA.NESTED, nested: p } });
    deep.p = p;
    const w = new NlWriter();
    const opens: number[] = [];
    for (let i = 0; i < 12; i++) opens.push(w.nestStart(1));
    w.u32(1, 0);
    while (opens.length > 0) w.nestEnd(opens.pop()!);
    const b = w.finish();
    const ext = new ExtAck();
    expect(() => nlaParse(b, new DataView(b.buffer), 0, b.length, deep.p!, NL_VALIDATE.LIBERAL, ext)).toThrow(KernelError);
    expect(ext.msg).toBe('allowed policy recursion depth exceeded');
  });
});

describe('message streams and acks', () => {
  it('splits several messages; kernel mode drops a malformed tail silently, strict mode refuses it', () => {
    const a = msgWith((w) => w.u8(1, 1));
    const b = msgWith((w) => w.u32(2, 9));
    const both = new Uint8Array(a.length + b.length + 5);
    both.set(a, 0);
    both.set(b, a.length);
    expect(splitMessages(both, 'kernel').map((m) => m.offset)).toEqual([0, a.length]);
    expect(() => splitMessages(both, 'strict')).toThrow(KernelError);
    expect(splitMessages(both.subarray(0, a.length + b.length), 'strict')).toHaveLength(2);
  });

  it('success ack is capped; error ack echoes the request and carries MSG/OFFS/POLICY', () => {
    const req = msgWith((w) => w.attr(2, new Uint8Array(2)));
    const ok = netlinkAck(req, 0, new ExtAck(), { portid: 1234, extAck: true });
    expect(ok.length).toBe(36);
    const okInfo = parseAck(splitMessages(ok)[0]!);
    expect(okInfo.error).toBe(0);
    expect(okInfo.capped).toBe(true);
    expect(splitMessages(ok)[0]!.flags).toBe(NLM_F.CAPPED);

    const ext = new ExtAck();
    let thrown: unknown;
    try {
      nlmsgParse(req, 0, 4, P, 'deprecated', ext);
    } catch (e) {
      thrown = e;
    }
    const bad = netlinkAckError(req, thrown, ext, { portid: 1234, extAck: true });
    const m = splitMessages(bad)[0]!;
    expect(m.type).toBe(NLMSG.ERROR);
    expect(m.flags).toBe(NLM_F.ACK_TLVS);
    const info = parseAck(m);
    expect(info.error).toBe(-34);
    expect(info.requestPayload?.length).toBe(req.length - 16);
    expect(info.msg).toBe('Attribute failed policy validation');
    expect(info.offset).toBe(20);
    expect(info.policy?.get(NL_POLICY_TYPE_ATTR.TYPE)).toBe(NL_ATTR_TYPE.U32);
    expect(info.policy?.get(NL_POLICY_TYPE_ATTR.MAX_VALUE_U)).toBe(0xffffffffn);

    const capped = parseAck(splitMessages(netlinkAck(req, -22, ext, { portid: 1, capAck: true, extAck: true }))[0]!);
    expect(capped.capped).toBe(true);
    expect(capped.requestPayload).toBeUndefined();
    expect(capped.offset).toBe(20);

    const noTlv = splitMessages(netlinkAck(req, -22, ext, { portid: 1 }))[0]!;
    expect(noTlv.flags).toBe(0);
  });

  it('a warning rides on a success ack (MSG only, no OFFS)', () => {
    const req = msgWith(() => undefined);
    const ext = new ExtAck();
    ext.setAttr('bytes leftover after parsing attributes', 20);
    const m = splitMessages(netlinkAck(req, 0, ext, { portid: 1, extAck: true }))[0]!;
    expect(m.flags).toBe(NLM_F.CAPPED | NLM_F.ACK_TLVS);
    const info = parseAck(m);
    expect(info.msg).toBe('bytes leftover after parsing attributes');
    expect(info.offset).toBeUndefined();
  });

  it('NLMSG_DONE carries the dump result and, with ext ack, the message', () => {
    const d = splitMessages(netlinkDumpDone(5, 0, null, { portid: 9 }))[0]!;
    expect([d.type, d.flags, d.seq, d.pid, d.len]).toEqual([NLMSG.DONE, NLM_F.MULTI, 5, 9, 20]);
    const ext = new ExtAck();
    ext.setMsg('Buffer too small for object');
    const e = splitMessages(netlinkDumpDone(5, -90, ext, { portid: 9, extAck: true }))[0]!;
    const info = parseAck(e);
    expect(info.error).toBe(-90);
    expect(info.msg).toBe('Buffer too small for object');
    expect(e.flags).toBe(NLM_F.MULTI | NLM_F.ACK_TLVS);
    expect(NLMSGERR_ATTR.MSG).toBe(1);
  });
});

describe('typed tc helpers', () => {
  it('tcmsg and tcm_info of a filter', async () => {
    const { putTcmsg, readTcmsg, tcFilterInfo, tcFilterInfoParts, TC_MIRRED, decodeStruct } = await import('../src/index.js');
    expect(tcFilterInfo(1, 0x0800)).toBe(0x10008);
    expect(tcFilterInfoParts(0x30300)).toEqual({ prio: 3, protocol: 0x0003 });
    const w = new NlWriter();
    const s = nlmsgPut(w, 44, 5, 1, 2);
    putTcmsg(w, { family: 0, ifindex: 3, handle: 1, parent: 0xfffffff2, info: tcFilterInfo(1, 0x0800) });
    const p = w.struct(2, TC_MIRRED, { index: 1, action: 7, eaction: 1, ifindex: 2 });
    nlmsgEnd(w, s);
    const b = w.finish();
    expect(readTcmsg(b)).toEqual({ family: 0, ifindex: 3, handle: 1, parent: 0xfffffff2, info: 0x10008 });
    expect(decodeStruct(TC_MIRRED, b, p + 4)['action']).toBe(7);
    expect(() => readTcmsg(b.subarray(0, 30))).toThrow(KernelError);
  });
});

describe('nested arrays and control messages', () => {
  it('parses a tc action list element by element and refuses a too-short element', async () => {
    const { TCF_ACTION_POLICY } = await import('../src/index.js');
    const req = msgWith((w) => {
      const list = w.nestStart(8);
      for (const [i, kind] of [[1, 'mirred'], [2, 'gact']] as const) {
        const slot = w.nestStart(i);
        w.string(1, kind);
        w.u32(3, 10 + i);
        w.nestEnd(slot);
      }
      w.flag(3); // an empty element is skipped
      w.nestEnd(list);
    });
    const tb = nlmsgParse(req, 0, 4, P, 'deprecated', null);
    const acts = tb.nestedArray(8, TCF_ACTION_POLICY, 'deprecated', null);
    expect(acts.map(([i, a]) => [i, a.string(1), a.u32(3)])).toEqual([[1, 'mirred', 11], [2, 'gact', 12]]);
    const bad = msgWith((w) => {
      const list = w.nestStart(8);
      w.u16(1, 0);
      w.nestEnd(list);
    });
    const ext = new ExtAck();
    expect(() => nlmsgParse(bad, 0, 4, P, 'deprecated', null).nestedArray(8, TCF_ACTION_POLICY, 'deprecated', ext)).toThrow('Array element too short');
    expect(ext.badAttr).toBe(24);
  });

  it('NLMSG_NOOP and requests share a datagram; the kernel loop sees both', () => {
    const w = new NlWriter();
    const s = nlmsgPut(w, NLMSG.NOOP, NLM_F.REQUEST, 1, 0);
    nlmsgEnd(w, s);
    w.putBytes(msgWith((x) => x.u32(2, 1)));
    const msgs = splitMessages(w.finish(), 'kernel');
    expect(msgs.map((m) => m.type)).toEqual([NLMSG.NOOP, 44]);
    expect(msgs[0]!.len).toBe(16);
  });
});

describe('netlinkAckError', () => {
  it('rethrows what is not a KernelError (a handler bug is not a refusal)', () => {
    const req = msgWith(() => undefined);
    expect(() => netlinkAckError(req, new TypeError('bug'), null, { portid: 1 })).toThrow(TypeError);
    const m = splitMessages(netlinkAckError(req, new KernelError('EEXIST', 'Filter already exists'), new ExtAck(), { portid: 1, extAck: true }))[0]!;
    expect(parseAck(m)).toMatchObject({ error: -17, msg: 'Filter already exists', capped: false });
  });
});

describe('NLA_UINT / NLA_SINT', () => {
  it('put the short form when it fits, read either, and the policy takes only 4 or 8 bytes', () => {
    const UP = definePolicy('U', 3, { 1: { name: 'A', type: NLA.UINT }, 2: { name: 'B', type: NLA.SINT }, 3: { name: 'C', type: NLA.UINT } });
    const req = msgWith((w) => {
      w.uint(1, 5);
      w.sint(2, -(2n ** 40n));
      w.uint(3, 2n ** 63n);
    });
    expect(req.length).toBe(20 + 8 + 12 + 12);
    const tb = nlmsgParse(req, 0, 4, UP, 'strict', null);
    expect([tb.uint(1), tb.sint(2), tb.uint(3)]).toEqual([5n, -(2n ** 40n), 2n ** 63n]);
    const bad = msgWith((w) => w.attr(1, new Uint8Array(6)));
    const ext = new ExtAck();
    expect(() => nlmsgParse(bad, 0, 4, UP, 'deprecated', ext)).toThrow(KernelError);
    expect([ext.msg, ext.badAttr]).toEqual(['invalid attribute length', 20]);
  });
});

describe('printer', () => {
  it('prints an error ack with its policy TLV', async () => {
    const { formatStream } = await import('../src/index.js');
    const req = msgWith((w) => w.attr(2, new Uint8Array(2)));
    const ext = new ExtAck();
    let err: unknown;
    try {
      nlmsgParse(req, 0, 4, P, 'deprecated', ext);
    } catch (e) {
      err = e;
    }
    const text = formatStream(netlinkAckError(req, err, ext, { portid: 7, extAck: true }));
    expect(text).toContain('error=-ERANGE (-34) request: RTM_NEWTFILTER len=28');
    expect(text).toContain('NLMSGERR_ATTR_MSG "Attribute failed policy validation"');
    expect(text).toContain('NLMSGERR_ATTR_OFFS 20');
    expect(text).toContain('NLMSGERR_ATTR_POLICY [N]');
    expect(text).toContain('NL_POLICY_TYPE_ATTR_TYPE 4 (U32)');
    expect(text).toContain('NL_POLICY_TYPE_ATTR_MAX_VALUE_U 4294967295');
  });
});

describe('NlWriter reuse after cancel', () => {
  it('bytes dropped by nestCancel/truncate never leak into later padding or strings', () => {
    const w = new NlWriter(16);
    const n = w.nestStart(1);
    w.attr(2, new Uint8Array(40).fill(0xff));
    w.nestCancel(n);
    w.string(3, 'a'); // 4 + 2 -> 8, NUL and padding must be zero
    w.u8(4, 1);
    w.truncate(8);
    w.attr(5, new Uint8Array([0xee])); // padding after it must be zero
    expect(toHex(w.finish())).toBe('0600' + '0300' + '61000000' + '0500' + '0500' + 'ee000000');
    const long = new NlWriter(16);
    long.attr(1, new Uint8Array(100).fill(0xaa)); // grows the buffer
    long.truncate(0);
    long.string(2, 'é'); // non-ASCII path
    expect(toHex(long.finish())).toBe('0700' + '0200' + 'c3a90000');
  });
});
