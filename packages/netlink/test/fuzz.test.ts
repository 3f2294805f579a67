// Property tests: round trips of random attribute trees and messages, and
// random or mutated bytes that must only ever be refused with KernelError.
import { readFileSync } from 'node:fs';
import { KernelError, fromHex, toHex } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { fc, test } from '@fast-check/vitest';
import { NLA_F, NLMSG, RTM } from '@tcbpf/uapi';
import { describe, expect } from 'vitest';
import {
  BPF_POLICY, ExtAck, GACT_POLICY, MIRRED_POLICY, NLA, NL_VALIDATE, NlWriter, POLICE_POLICY, RTM_TCA_POLICY, TCAA_POLICY, TCF_ACTION_POLICY, TCF_TFILTER_DUMP_POLICY,
  decodeAttrsExact, decodeStream, definePolicy, encodeAttrs, encodeStream, formatMessages, netlinkAck, nlaParse, nlmsgEnd, nlmsgParse, nlmsgPut, parseAck, readNlmsghdr, splitMessages,
} from '../src/index.js';
import type { AttrNode, AttrSet, AttrSpec, NlaPolicy } from '../src/index.js';

const params = { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() };

// A schema covering every kind, recursive through types 12 (nest) and 13 (nested array).
const KINDS: readonly AttrSpec['kind'][] = ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'be16', 'be32', 'string', 'binary', 'flag', 'bitfield32'];
const FUZZ_SET: AttrSet = {
  name: 'FUZZ',
  attrs: Object.fromEntries([
    ...KINDS.map((k, i) => [i + 1, { name: `F_${k}`, kind: k }]),
    [20, { name: 'F_NEST', kind: 'nested', set: () => FUZZ_SET }],
    [21, { name: 'F_ARRAY', kind: 'nested', set: () => FUZZ_ARRAY }],
  ]) as Record<number, AttrSpec>,
};
const FUZZ_ARRAY: AttrSet = { name: 'FUZZ_ARRAY', attrs: {}, any: { name: 'elem', kind: 'nested', set: () => FUZZ_SET } };
// the kernel-side policy of the same set
const INNER_POLICY: { p?: NlaPolicy } = {};
const NLA_OF: Readonly<Record<string, number>> = { u8: NLA.U8, u16: NLA.U16, u32: NLA.U32, u64: NLA.U64, s8: NLA.S8, s16: NLA.S16, s32: NLA.S32, s64: NLA.S64, be16: NLA.BE16, be32: NLA.BE32, string: NLA.NUL_STRING, binary: NLA.BINARY, flag: NLA.FLAG, bitfield32: NLA.BITFIELD32 };

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const scalar = (type: number, kind: AttrSpec['kind']): fc.Arbitrary<AttrNode> => {
  const name = `F_${kind}`;
  const node = (value: AttrNode['value']): AttrNode => ({ type, flags: 0, name, value });
  switch (kind) {
    case 'u8': return fc.integer({ min: 0, max: 255 }).map((value) => node({ kind, value }));
    case 's8': return fc.integer({ min: -128, max: 127 }).map((value) => node({ kind, value }));
    case 'u16': case 'be16': return fc.integer({ min: 0, max: 0xffff }).map((value) => node({ kind, value }));
    case 's16': return fc.integer({ min: -32768, max: 32767 }).map((value) => node({ kind, value }));
    case 'u32': case 'be32': return u32.map((value) => node({ kind, value }));
    case 's32': return fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((value) => node({ kind, value }));
    case 'u64': return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value) => node({ kind, value }));
    case 's64': return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value) => node({ kind, value }));
    case 'string': return fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\0') && s.length > 0), fc.boolean()).map(([value, nul]) => node({ kind, value, nul }));
    case 'binary': return fc.uint8Array({ maxLength: 20 }).map((value) => node({ kind, value }));
    case 'flag': return fc.constant(node({ kind: 'flag' }));
    case 'bitfield32': return fc.tuple(u32, u32).map(([value, selector]) => node({ kind, value, selector }));
    default: throw new Error(kind);
  }
};
const tree = fc.letrec<{ node: AttrNode; list: AttrNode[] }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ...KINDS.map((k, i) => scalar(i + 1, k)),
    fc.tuple(tie('list'), fc.boolean()).map(([attrs, nested]): AttrNode => ({ type: 20, flags: nested ? NLA_F.NESTED : 0, name: 'F_NEST', value: { kind: 'nested', set: 'FUZZ', attrs } })),
    fc.array(tie('list'), { maxLength: 3 }).map((elems): AttrNode => ({
      type: 21, flags: 0, name: 'F_ARRAY',
      value: { kind: 'nested', set: 'FUZZ_ARRAY', attrs: elems.map((attrs, i) => ({ type: i + 1, flags: 0, name: 'elem', value: { kind: 'nested', set: 'FUZZ', attrs } })) },
    })),
  ),
  list: fc.array(tie('node'), { maxLength: 5 }),
})).list;

describe('property tests (fast-check)', () => {
  test.prop([tree], params)('fuzz: random attribute trees round-trip through bytes', (nodes) => {
    const w = new NlWriter();
    encodeAttrs(w, nodes);
    const bytes = w.finish();
    const back = decodeAttrsExact(FUZZ_SET, bytes, 0, bytes.length);
    expect(back).toEqual(nodes);
    // and the kernel-style reader sees the same last-wins values, in both modes when nothing is oversize
    INNER_POLICY.p ??= definePolicy('FUZZ', 21, {
      ...Object.fromEntries(KINDS.map((k, i) => [i + 1, { name: `F_${k}`, type: NLA_OF[k] as (typeof NLA)[keyof typeof NLA], ...(k === 'bitfield32' ? { bitfield32Valid: 0xffffffff } : {}) }])),
      20: { name: 'F_NEST', type: NLA.NESTED },
      21: { name: 'F_ARRAY', type: NLA.NESTED_ARRAY },
    });
    const dv = new DataView(bytes.buffer);
    try {
      const tb = nlaParse(bytes, dv, 0, bytes.length, INNER_POLICY.p, NL_VALIDATE.LIBERAL, new ExtAck());
      for (const n of nodes) {
        const last = [...nodes].reverse().find((x) => x.type === n.type)!;
        const v = last.value;
        if (v.kind === 'u32') expect(tb.u32(n.type)).toBe(v.value);
        if (v.kind === 'be16') expect(tb.be16(n.type)).toBe(v.value);
        if (v.kind === 's64') expect(tb.s64(n.type)).toBe(v.value);
        if (v.kind === 'u64') expect(tb.u64(n.type)).toBe(v.value);
        if (v.kind === 'string' && v.nul) expect(tb.string(n.type)).toBe(v.value);
        if (v.kind === 'flag') expect(tb.flag(n.type)).toBe(true);
      }
    } catch (e) {
      // the only refusals possible here: a string without NUL (NUL_STRING policy) or a bitfield value outside its selector
      expect(KernelError.isInstance(e)).toBe(true);
      const bad = nodes.some((n) => (n.value.kind === 'string' && !n.value.nul) || (n.value.kind === 'bitfield32' && (n.value.value & ~n.value.selector) !== 0) || n.value.kind === 'nested');
      expect(bad).toBe(true);
    }
  });

  const tcHeader = fc.record({ family: fc.integer({ min: 0, max: 255 }), ifindex: fc.integer({ min: -5, max: 100 }), handle: u32, parent: u32, info: u32 });
  test.prop([fc.constantFrom(RTM.NEWTFILTER, RTM.GETTFILTER, RTM.DELQDISC, RTM.NEWCHAIN), fc.integer({ min: 0, max: 0xffff }), u32, u32, tcHeader, tree], params)(
    'fuzz: random tc messages round-trip through decodeStream/encodeStream',
    (type, flags, seq, pid, h, attrs) => {
      const w = new NlWriter();
      const s = nlmsgPut(w, type, flags, seq, pid);
      const at = w.reserve(20);
      w.setU8(at, h.family);
      w.setS32(at + 4, h.ifindex);
      w.setU32(at + 8, h.handle);
      w.setU32(at + 12, h.parent);
      w.setU32(at + 16, h.info);
      encodeAttrs(w, attrs);
      nlmsgEnd(w, s);
      const bytes = w.finish();
      const msgs = decodeStream(bytes);
      expect(toHex(encodeStream(msgs))).toBe(toHex(bytes));
      expect(formatMessages(msgs).length).toBeGreaterThan(0);
    },
  );
});

const golden = (JSON.parse(readFileSync(new URL('./golden/vectors.json', import.meta.url), 'utf8')) as { vectors: { exchanges: { hex: string }[] }[] }).vectors.flatMap((v) => v.exchanges.map((e) => fromHex(e.hex)));

const POLICIES: readonly [NlaPolicy, number][] = [[RTM_TCA_POLICY, 20], [TCF_TFILTER_DUMP_POLICY, 20], [TCAA_POLICY, 4], [BPF_POLICY, 0], [TCF_ACTION_POLICY, 0], [MIRRED_POLICY, 0], [GACT_POLICY, 0], [POLICE_POLICY, 0]];

/** Every entry point on `bytes`: only KernelError may come out. Returns how many refused. */
function everything(bytes: Uint8Array): number {
  let refused = 0;
  const guard = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (!KernelError.isInstance(e)) throw e;
      expect(e.code).toBeGreaterThan(0);
      refused++;
    }
  };
  const kmsgs = splitMessages(bytes, 'kernel');
  guard(() => {
    const msgs = decodeStream(bytes);
    formatMessages(msgs);
    if (splitMessages(bytes).every((m) => m.len % 4 === 0)) expect(toHex(encodeStream(msgs))).toBe(toHex(bytes));
  });
  for (const m of kmsgs) {
    for (const [p, hdr] of POLICIES) {
      for (const mode of ['deprecated', 'deprecated-strict', 'strict'] as const) {
        guard(() => {
          const ext = new ExtAck();
          const tb = nlmsgParse(m.bytes, 0, hdr, p, mode, ext);
          for (let t = 0; t <= p.maxtype; t++) {
            tb.u32(t); tb.string(t); tb.bytes(t); tb.bitfield32(t);
            if (tb.len(t) >= 8) tb.u64(t);
            if (p === RTM_TCA_POLICY && t === 2) tb.nested(t, BPF_POLICY, 'deprecated', null);
            if (p === RTM_TCA_POLICY && t === 2) tb.nested(t, BPF_POLICY, 'strict', ext);
          }
          if (ext.badAttr >= 0) expect(ext.badAttr).toBeLessThan(m.len);
        });
      }
    }
    if (m.type === NLMSG.ERROR || m.type === NLMSG.DONE) guard(() => parseAck(m));
  }
  return refused;
}

describe('random and mutated bytes', () => {
  test.prop([fc.uint8Array({ maxLength: 300 })], params)('fuzz: random bytes only ever raise KernelError', (b) => {
    everything(b);
  });

  // mutate real kernel traffic: flip bytes, overwrite length fields, truncate, duplicate
  const mutation = fc.record({
    vector: fc.integer({ min: 0, max: golden.length - 1 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    cut: fc.option(fc.nat(), { freq: 4 }),
  });
  test.prop([mutation], params)('fuzz: mutated golden vectors only ever raise KernelError and re-encode exactly when decodable', ({ vector, flips, cut }) => {
    const src = golden[vector]!;
    let b = src.slice();
    for (const [pos, val] of flips) b[pos % b.length] = val;
    if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
    everything(b);
  });
});

describe('edge cases found while fuzzing', () => {
  test('an attribute header that claims the maximum length inside a short message is just leftover bytes (liberal)', () => {
    const w = new NlWriter();
    const s = nlmsgPut(w, RTM.NEWTFILTER, 5, 1, 0);
    w.reserve(20);
    const a = w.reserve(4);
    w.setU16(a, 0xffff);
    nlmsgEnd(w, s);
    const ext = new ExtAck();
    nlmsgParse(w.finish(), 0, 20, RTM_TCA_POLICY, 'deprecated', ext);
    expect(ext.msg).toBe('bytes leftover after parsing attributes');
  });
});

describe('entry points on arbitrary buffers', () => {
  test.prop([fc.uint8Array({ maxLength: 40 }), fc.integer({ min: -4, max: 44 })], params)('fuzz: nlmsgParse, netlinkAck and readers on short or odd buffers raise only KernelError', (b, off) => {
    const only = (f: () => unknown): void => {
      try {
        f();
      } catch (e) {
        expect(KernelError.isInstance(e)).toBe(true);
      }
    };
    only(() => nlmsgParse(b, off, 20, RTM_TCA_POLICY, 'deprecated', new ExtAck()));
    only(() => netlinkAck(b, -22, new ExtAck(), { portid: 1, extAck: true }));
    only(() => readNlmsghdr(b, off));
    only(() => splitMessages(b, 'strict'));
  });
});
