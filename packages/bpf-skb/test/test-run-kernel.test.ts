// Must-show 1: for every fixture program, at least 50 packets each, tcbpf's
// test-run gives the same return value, output packet and context-out as this
// machine's kernel (BPF_PROG_TEST_RUN through the bpf() oracle, the same
// object loaded with the same relocations), and the same map contents after
// the runs. Maps are seeded identically on both sides (NAT table, LPM policy).
// ctx_in varies the fields test_run accepts (mark, priority, cb, tstamp,
// wire_len, gso_segs/size, hwtstamp) so the ctx conversion is exercised too.
import { Prng } from '@tcbpf/base';
import { buildFrame, generatePackets } from '@tcbpf/skb';
import { JitRuntime } from '@tcbpf/jit';
import { BpfOracle, bpfOracle, must } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { SKB_OFF, TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall, type BpfObject } from '../src/index.js';
import { readFixture, type FixtureName } from './fixture-objects.js';
import { dumpKernelMap, dumpSimMap, loadIntoKernel, u32le } from './kernel-object.js';

const o = bpfOracle();

/** Fixtures compared (the callback fixtures callbacks.o and for_each.o need BTF func_info: callbacks-kernel.test.ts loads them with libbpf). */
const DIFF_FIXTURES: readonly FixtureName[] = [
  'parse_classify.o', 'nat_rewrite.o', 'lpm_lru.o', 'tail_call.o', 'vlan.o', 'redirect_global.o', 'legacy_maps.o', 'core_read.o',
];
const PACKETS = 60;

const MAC_A = Uint8Array.of(0x02, 0, 0, 0, 0, 0xa);
const MAC_B = Uint8Array.of(0x02, 0, 0, 0, 0, 0xb);
const ip4 = (a: number, b: number, c: number, d: number): Uint8Array => Uint8Array.of(a, b, c, d);
const ip6 = (last: number): Uint8Array => Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last);

/** Frames every fixture sees: generated mixed traffic plus frames aimed at the fixtures' rules. */
function packets(seed: number): Uint8Array[] {
  const prng = new Prng(seed);
  const out: Uint8Array[] = generatePackets(prng, 30, { maxPayload: 120 }).map((p) => p.data);
  const dsts = [ip4(10, 0, 0, 2), ip4(10, 0, 0, 3), ip4(192, 168, 1, 1)];
  // a few frames every rule matches: VXLAN-port UDP (redirect_global), NAT entries, TTL 1
  for (const [d, dport, udp, ttl] of [[2, 4789, true, 64], [3, 4789, true, 64], [2, 80, false, 64], [2, 53, true, 1], [3, 443, false, 1]] as const) {
    const l4 = udp ? { kind: 'udp' as const, sport: 999, dport } : { kind: 'tcp' as const, sport: 999, dport };
    out.push(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src: ip4(10, 1, 2, 3), dst: ip4(10, 0, 0, d), ttl, l4 } }));
  }
  for (let i = 0; out.length < PACKETS; i++) {
    const r = prng.below(8);
    const src = ip4(10, prng.below(2), prng.below(3), 1 + prng.below(3));
    const dst = dsts[prng.below(dsts.length)]!;
    const dport = [80, 443, 53, 4789, 8080, 22][prng.below(6)]!;
    const sport = 1024 + prng.below(4);
    const ttl = prng.below(4) === 0 ? 1 : 64;
    if (r < 3) out.push(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src, dst, ttl, l4: { kind: 'tcp', sport, dport, payload: new Uint8Array(prng.below(20)) } } }));
    else if (r < 6) out.push(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src, dst, ttl, l4: { kind: 'udp', sport, dport, payload: new Uint8Array(prng.below(20)) } } }));
    else if (r < 7) out.push(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv6', src: ip6(1), dst: ip6(2), hopLimit: ttl, l4: { kind: 'udp', sport, dport } } }));
    else out.push(buildFrame({ dst: MAC_B, src: MAC_A, vlans: [{ tci: 100 }], l3: { kind: 'ipv4', src, dst, l4: { kind: 'udp', sport, dport } } }));
  }
  return out;
}

/** ctx_in with the fields test_run allows, varied per packet (zero for every third packet). */
function ctxIn(prng: Prng, len: number): Uint8Array {
  const c = new Uint8Array(192);
  if (prng.below(3) === 0) return c;
  const v = new DataView(c.buffer);
  v.setUint32(SKB_OFF.mark, prng.u32(), true);
  v.setUint32(SKB_OFF.priority, prng.below(8), true);
  for (let i = 0; i < 5; i++) v.setUint32(SKB_OFF.cb + 4 * i, prng.below(4) === 0 ? prng.u32() : 0, true);
  v.setUint32(SKB_OFF.tstamp, prng.u32(), true);
  v.setUint32(SKB_OFF.wire_len, prng.below(2) === 0 ? 0 : len + prng.below(100), true);
  v.setUint32(SKB_OFF.gso_segs, prng.below(3), true);
  v.setUint32(SKB_OFF.gso_size, prng.below(2) === 0 ? 0 : 1400, true);
  v.setUint32(SKB_OFF.hwtstamp, prng.u32(), true);
  return c;
}

/** Map seeds (key, value) per fixture, written on both sides before the runs. */
function seeds(file: FixtureName): { map: string; key: Uint8Array; value: Uint8Array }[] {
  if (file === 'nat_rewrite.o') {
    const out: { map: string; key: Uint8Array; value: Uint8Array }[] = [];
    for (const [d, port, proto, nd, nport] of [[2, 80, 6, 20, 8080], [2, 53, 17, 21, 5353], [3, 443, 6, 22, 8443], [3, 4789, 17, 23, 4790]] as const) {
      const key = new Uint8Array(8);
      key.set(ip4(10, 0, 0, d), 0);
      new DataView(key.buffer).setUint16(4, port, false);
      key[6] = proto;
      const value = new Uint8Array(16);
      value.set(ip4(10, 9, 9, nd), 0);
      new DataView(value.buffer).setUint16(4, nport, false);
      out.push({ map: 'nat_table', key, value });
    }
    return out;
  }
  if (file === 'lpm_lru.o') {
    const lpm = (plen: number, a: Uint8Array, verdict: number, mark: number): { map: string; key: Uint8Array; value: Uint8Array } => {
      const key = new Uint8Array(8);
      new DataView(key.buffer).setUint32(0, plen, true);
      key.set(a, 4);
      const value = new Uint8Array(8);
      new DataView(value.buffer).setUint32(0, verdict, true);
      new DataView(value.buffer).setUint32(4, mark, true);
      return { map: 'src_policy', key, value };
    };
    return [lpm(8, ip4(10, 0, 0, 0), 0, 0x10), lpm(16, ip4(10, 1, 0, 0), 2, 0x20), lpm(24, ip4(10, 1, 2, 0), 0, 0x30), lpm(32, ip4(10, 0, 1, 2), 2, 0x40)];
  }
  return [];
}

/** Bytes the kernel fills from its own clock (redirect_global's last_seen_ns in .bss) are not compared. */
function maskDump(file: FixtureName, map: string, lines: string[]): string[] {
  if (file === 'redirect_global.o' && map === '.bss') return lines.map((l) => `${l.slice(0, l.indexOf('=') + 1)}<last_seen_ns>${l.slice(l.indexOf('=') + 17)}`);
  return lines;
}

interface Coverage { runs: number; maps: number; changed: number; retvals: Map<number, number> }

async function compareFixture(file: FixtureName, useJit = false): Promise<Coverage> {
  const obj: BpfObject = loadElfObject(readFixture(file), { fileName: file });
  const k = BpfOracle.open();
  try {
    const nrCpus = await k.nrCpus();
    const ko = await loadIntoKernel(k, obj);
    const sys = tcBpfSyscall({ nrCpus });
    const so = instantiateObject(sys, obj);
    for (const s of seeds(file)) {
      must(await k.mapUpdate(ko.maps.get(s.map)!, s.key, s.value));
      sys.mapUpdateElem(so.maps.get(s.map)!, s.key, s.value);
    }
    const jit = useJit ? new JitRuntime(sys, sys.interpreter) : undefined;
    const runner = new TcTestRunner(sys, jit ? { jit } : {});
    let jited = 0;
    const frames = packets(0x7b + file.length);
    const prng = new Prng(0xc7 + file.length);
    let runs = 0;
    let changed = 0;
    const retvals = new Map<number, number>();
    for (const p of obj.programs) {
      const kfd = ko.programs.get(p.name)!;
      const sfd = so.programs.get(p.name)!;
      for (let i = 0; i < frames.length; i++) {
        const data = frames[i]!;
        const ctx = ctxIn(prng, data.length);
        const kr = must(await k.testRun(kfd, data, 4096, ctx, 192), `${p.name} packet ${i}`);
        const sr = runner.run(sfd, { dataIn: data, dataSizeOut: 4096, ctxIn: ctx, ctxSizeOut: 192 });
        const where = `${file} ${p.name} packet ${i}`;
        expect(sr.retval, `${where} retval`).toBe(kr.retval >>> 0);
        expect(Buffer.from(sr.dataOut!).toString('hex'), `${where} data_out`).toBe(Buffer.from(kr.dataOut).toString('hex'));
        expect(Buffer.from(sr.ctxOut!).toString('hex'), `${where} ctx_out`).toBe(Buffer.from(kr.ctxOut).toString('hex'));
        runs++;
        if (jit?.lastJited === true) jited++;
        if (Buffer.compare(Buffer.from(sr.dataOut!), Buffer.from(data)) !== 0) changed++;
        retvals.set(sr.retval, (retvals.get(sr.retval) ?? 0) + 1);
      }
    }
    if (jit !== undefined) expect(jited, `${file}: runs compiled by the JIT`).toBe(runs);
    let maps = 0;
    for (const m of obj.maps) {
      const kd = await dumpKernelMap(k, ko.maps.get(m.name)!, m.type, m.keySize, m.valueSize, nrCpus);
      const sd = dumpSimMap(sys, so.maps.get(m.name)!);
      expect(maskDump(file, m.name, sd), `${file} map ${m.name}`).toEqual(maskDump(file, m.name, kd));
      maps++;
    }
    return { runs, maps, changed, retvals };
  } finally {
    k.close();
  }
}

describe.skipIf(!o.ok)(`test-run against the kernel's BPF_PROG_TEST_RUN (kernel: ${o.reason || 'bpf() available'})`, () => {
  for (const file of DIFF_FIXTURES) {
    it(`${file}: every program × ${PACKETS} packets: retval, data_out, ctx_out and maps agree`, async () => {
      const r = await compareFixture(file);
      expect(r.runs).toBeGreaterThanOrEqual(PACKETS);
      // the packets reach the programs' interesting paths (so agreement is not agreement on "nothing happened")
      if (file === 'nat_rewrite.o') expect(r.changed).toBeGreaterThan(0);
      if (file === 'redirect_global.o') expect(r.retvals.get(7) ?? 0).toBeGreaterThan(0);
      if (file === 'lpm_lru.o' || file === 'tail_call.o') expect(r.retvals.get(2) ?? 0).toBeGreaterThan(0);
    }, 60_000);
  }

  for (const file of DIFF_FIXTURES) {
    it(`${file} with @tcbpf/jit: every program × ${PACKETS} packets agree`, async () => {
      expect((await compareFixture(file, true)).runs).toBeGreaterThanOrEqual(PACKETS);
    }, 60_000);
  }

  it('ctx_in rules agree: each disallowed field, wire_len below len, ENODEV ifindex, E2BIG tail, short data', async () => {
    const obj = loadElfObject(readFixture('parse_classify.o'), { fileName: 'parse_classify.o' });
    const k = BpfOracle.open();
    try {
      const ko = await loadIntoKernel(k, obj);
      const sys = tcBpfSyscall();
      const so = instantiateObject(sys, obj);
      const runner = new TcTestRunner(sys);
      const kfd = ko.programs.get('classify')!;
      const sfd = so.programs.get('classify')!;
      const frame = packets(1)[0]!;
      const cases: { what: string; data: Uint8Array; ctx: Uint8Array }[] = [];
      for (let off = 0; off < 192; off += 4) {
        const c = new Uint8Array(192);
        new DataView(c.buffer).setUint32(off, off === 40 ? 77 : off === 160 ? 1 : 5, true);
        cases.push({ what: `field at ${off}`, data: frame, ctx: c });
      }
      const big = new Uint8Array(200);
      big[196] = 1;
      cases.push({ what: 'ctx 200 bytes, non-zero tail', data: frame, ctx: big });
      cases.push({ what: 'ctx 200 bytes, zero tail', data: frame, ctx: new Uint8Array(200) });
      cases.push({ what: 'data 13 bytes', data: frame.subarray(0, 13), ctx: new Uint8Array(192) });
      for (const [et, n] of [[0x0800, 14], [0x0800, 33], [0x0800, 34], [0x86dd, 53], [0x86dd, 54], [0x0806, 14], [0x0000, 14]] as const) {
        const f = new Uint8Array(n);
        f[12] = et >> 8;
        f[13] = et & 0xff;
        cases.push({ what: `data ${n} bytes, ethertype ${et.toString(16)}`, data: f, ctx: new Uint8Array(192) });
      }
      cases.push({ what: 'data 4000 bytes', data: new Uint8Array(4000), ctx: new Uint8Array(192) });
      cases.push({ what: 'data 3712 bytes', data: new Uint8Array(3712), ctx: new Uint8Array(192) });
      for (const c of cases) {
        const kr = await k.testRun(kfd, c.data, 4096, c.ctx, 192);
        let serr = 0;
        let sres: { retval: number; ctx: string; data: string } | undefined;
        try {
          const r = runner.run(sfd, { dataIn: c.data, dataSizeOut: 4096, ctxIn: c.ctx, ctxSizeOut: 192 });
          sres = { retval: r.retval, ctx: Buffer.from(r.ctxOut!).toString('hex'), data: Buffer.from(r.dataOut!).toString('hex') };
        } catch (e) {
          serr = (e as { code?: number }).code ?? -1;
        }
        if (!kr.ok) expect(serr, c.what).toBe(kr.errno);
        else {
          expect(serr, c.what).toBe(0);
          expect(sres, c.what).toEqual({ retval: kr.value.retval >>> 0, ctx: Buffer.from(kr.value.ctxOut).toString('hex'), data: Buffer.from(kr.value.dataOut).toString('hex') });
        }
      }
      // data_out too small: ENOSPC from the kernel, errno 'ENOSPC' here with the same prefix
      const kr = await k.testRun(kfd, frame, 20, new Uint8Array(192), 192);
      const sr = runner.run(sfd, { dataIn: frame, dataSizeOut: 20, ctxIn: new Uint8Array(192), ctxSizeOut: 192 });
      expect(kr.ok).toBe(false);
      if (!kr.ok) expect(kr.errno).toBe(28);
      expect(sr.errno).toBe('ENOSPC');
      expect(sr.dataOut!.length).toBe(20);
      void u32le;
    } finally {
      k.close();
    }
  }, 60_000);
});
