// Differential test against the running kernel: generated classic programs
// (valid and invalid) are attached with SO_ATTACH_FILTER to an AF_PACKET socket
// on `lo` in a fresh network namespace (internal/testing cbpf-socket oracle);
// the kernel's checker verdict must equal ours, and for accepted programs the
// captured length of both copies of every frame must equal min(our verdict,
// frame length) — ancillary loads included (all but SKF_AD_RANDOM).
import { describe, expect, it } from 'vitest';
import { KernelError, Prng } from '@tcbpf/base';
import { cbpfSocketOracle, fuzzRuns } from '@tcbpf/testing';
import { ClassicFilter, OP, type SockFilter, ancK, insn, stmt } from '../src/index.js';
import { envOf } from './helpers.js';
import { loIngress, loOutgoing } from './lo-model.js';

const oracle = cbpfSocketOracle();

/** Frames sent on lo: every one at least 60 bytes (the sender pads nothing). */
function frames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const app = new Uint8Array(64);
  app[12] = 0x08;
  for (let n = 14; n < 64; n++) app[n] = n;
  out.push(app);
  const ipv4 = (proto: number, ihl: number, frag: number, len: number, dst: number[], tag?: number): Uint8Array => {
    const f = new Uint8Array(len);
    f.set(dst, 0);
    f.set([2, 0, 0, 0, 0, 9], 6);
    let o = 12;
    if (tag !== undefined) {
      f.set([0x81, 0x00, tag >> 8, tag & 0xff], 12);
      o = 16;
    }
    f.set([0x08, 0x00, 0x40 | ihl, 0, (len - o - 2) >> 8, (len - o - 2) & 0xff, 0, 1, frag >> 8, frag & 0xff, 64, proto], o);
    f.set([10, 0, 0, 1, 10, 0, 0, 2], o + 14);
    const l4 = o + 2 + ihl * 4;
    f.set([0x30, 0x39, 0x00, 0x50], l4);
    if (proto === 6) f[l4 + 12] = 0x80;
    for (let i = l4 + 20; i < len; i++) f[i] = (i * 7) & 0xff;
    return f;
  };
  out.push(ipv4(17, 5, 0, 90, [0, 0, 0, 0, 0, 0]));
  out.push(ipv4(6, 7, 0, 120, [0, 0, 0, 0, 0, 0]));
  out.push(ipv4(6, 5, 0x2000, 200, [0x01, 0x00, 0x5e, 0, 0, 1]));
  out.push(ipv4(17, 5, 0x0010, 100, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  out.push(ipv4(1, 5, 0, 70, [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]));
  out.push(ipv4(17, 5, 0, 80, [0, 0, 0, 0, 0, 0], 0x2064));
  out.push(ipv4(47, 5, 0, 600, [0, 0, 0, 0, 0, 0]));
  // IPv6 + hop-by-hop + UDP
  const v6 = new Uint8Array(110);
  v6.set([0x86, 0xdd, 0x60, 0, 0, 0, 0, 56, 0, 64], 12);
  v6[14 + 8 + 15] = 1;
  v6[14 + 24 + 15] = 2;
  v6.set([17, 0, 1, 4, 0, 0, 0, 0], 54);
  v6.set([0x00, 0x35, 0x00, 0x35, 0, 40, 0, 0], 62);
  out.push(v6);
  // ARP broadcast
  const arp = new Uint8Array(60);
  arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 7, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1], 0);
  out.push(arp);
  // netlink-style attributes after the Ethernet header (host order lengths/types)
  const nl = new Uint8Array(96);
  nl.set([0x88, 0xb5], 12);
  const attrs = [[8, 1, 0xaa, 0xbb, 0xcc, 0xdd], [12, 0x8002, 8, 7, 1, 2, 3, 4], [5, 3, 9], [8, 4, 1, 2, 3, 4]];
  let o = 14;
  for (const a of attrs) {
    const [len, type, ...body] = a as [number, number, ...number[]];
    nl.set([len & 0xff, len >> 8, type & 0xff, type >> 8, ...body], o);
    o += (len + 3) & ~3;
  }
  out.push(nl);
  return out;
}

const INTERESTING_K = [0, 1, 2, 4, 12, 13, 14, 15, 20, 23, 30, 34, 40, 58, 59, 60, 63, 64, 99, 100, 599, 600, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];
const ANC = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 60];
const CODES = Object.values(OP);

/** A random program: mostly valid-looking, with each checker rule broken now and then. */
function genProgram(r: Prng): SockFilter[] {
  const n = 1 + r.below(r.below(4) === 0 ? 40 : 12);
  const prog: SockFilter[] = [];
  const k = (): number => (r.below(3) === 0 ? r.u32() : INTERESTING_K[r.below(INTERESTING_K.length)]!);
  const stored = new Set<number>();
  for (let pc = 0; pc < n - 1; pc++) {
    const left = n - pc - 1;
    const roll = r.below(100);
    if (roll < 2) {
      prog.push(insn(r.below(0x100), r.below(3), r.below(3), k()));
      continue;
    }
    const code = CODES[r.below(CODES.length)]!;
    const jmp = (): number => (r.below(30) === 0 ? left + r.below(3) : r.below(left));
    switch (code) {
      case OP.LD_W_ABS:
      case OP.LD_H_ABS:
      case OP.LD_B_ABS: {
        const sel = r.below(10);
        const kk = sel < 3 ? ancK(ANC[r.below(ANC.length)]!) : sel === 3 ? (-0x100000 + r.below(80) - 4) >>> 0 : sel === 4 ? (-0x200000 + r.below(80)) >>> 0 : sel === 5 ? (0xfffff000 + r.below(80)) >>> 0 : r.below(130);
        prog.push(stmt(code, kk));
        break;
      }
      case OP.LD_W_IND:
      case OP.LD_H_IND:
      case OP.LD_B_IND:
      case OP.LDX_MSH:
        prog.push(stmt(code, r.below(4) === 0 ? k() : r.below(100)));
        break;
      case OP.ST:
      case OP.STX: {
        const m = r.below(20) === 0 ? 16 : r.below(4);
        stored.add(m);
        prog.push(stmt(code, m));
        break;
      }
      case OP.LD_MEM:
      case OP.LDX_MEM:
        prog.push(stmt(code, r.below(5) === 0 || stored.size === 0 ? r.below(17) : [...stored][r.below(stored.size)]!));
        break;
      case OP.LSH_K:
      case OP.RSH_K:
        prog.push(stmt(code, r.below(36)));
        break;
      case OP.DIV_K:
      case OP.MOD_K:
        prog.push(stmt(code, r.below(10) === 0 ? 0 : 1 + r.below(20)));
        break;
      case OP.LDX_IMM:
        prog.push(stmt(code, r.below(2) === 0 ? r.below(40) : k()));
        break;
      case OP.JA:
        prog.push(stmt(code, jmp()));
        break;
      case OP.RET_K:
        prog.push(stmt(code, r.below(700)));
        break;
      default:
        if ((code & 7) === 5) prog.push(insn(code, jmp(), jmp(), k()));
        else prog.push(stmt(code, k()));
    }
  }
  const last = r.below(12);
  if (last === 0) prog.push(stmt(OP.LD_IMM, 5));
  else if (last < 6) prog.push(stmt(OP.RET_A, 0));
  else prog.push(stmt(OP.RET_K, r.below(1000)));
  // reveal A through the capture length more often than not
  if (last >= 1 && last < 6 && r.below(2) === 0) prog.splice(prog.length - 1, 0, stmt(OP.AND_K, 0x3f));
  return prog;
}

/** Targeted programs: every ancillary load revealed through `and #0x3f; ret a` and a `jeq`. */
function targeted(): SockFilter[][] {
  const out: SockFilter[][] = [];
  for (const a of ANC) {
    for (const code of [OP.LD_W_ABS, OP.LD_B_ABS]) {
      out.push([stmt(OP.LDX_IMM, a === 12 || a === 16 ? 3 : 0xff), stmt(OP.LD_IMM, a === 16 ? 26 : 14), stmt(code, ancK(a)), stmt(OP.AND_K, 0x3f), stmt(OP.RET_A, 0)]);
      out.push([stmt(OP.LD_IMM, 14), stmt(OP.LDX_IMM, 4), stmt(code, ancK(a)), stmt(OP.RSH_K, 6), stmt(OP.AND_K, 0x3f), stmt(OP.RET_A, 0)]);
    }
  }
  return out;
}

function oursOf(f: ClassicFilter, frame: Uint8Array): { out: number; in: number } {
  const so = loOutgoing(frame);
  const si = loIngress(frame);
  const env = envOf(0);
  const a = f.run(so, env);
  const b = f.run(si, env);
  expect(f.runCompiled(so, env)).toBe(a);
  expect(f.runCompiled(si, env)).toBe(b);
  return { out: Math.min(a, so.len), in: Math.min(b, si.len) };
}

describe.skipIf(!oracle.ok)(`kernel differential: SO_ATTACH_FILTER on lo (kernel: ${oracle.reason || 'available'})`, () => {
  it('checker verdicts and per-frame results equal the kernel on generated programs', () => {
    const r = new Prng(0xc1a55);
    const count = fuzzRuns(400, 3000);
    const programs = [...targeted(), ...Array.from({ length: count }, () => genProgram(r))];
    const fr = frames();
    const results = oracle.run(programs, fr);
    let accepted = 0;
    let refused = 0;
    let frameChecks = 0;
    const disagreements: string[] = [];
    programs.forEach((p, i) => {
      const k = results[i]!;
      let ours: ClassicFilter | KernelError;
      try {
        ours = ClassicFilter.create(p);
      } catch (e) {
        if (!KernelError.isInstance(e)) throw e;
        ours = e;
      }
      const okOurs = ours instanceof ClassicFilter;
      if (okOurs !== k.accepted || (!k.accepted && !(ours instanceof ClassicFilter) && ours.code !== k.errno)) {
        disagreements.push(`program ${i} (${JSON.stringify(p)}): kernel ${k.accepted ? 'accepts' : `errno ${k.errno}`}, ours ${ours instanceof ClassicFilter ? 'accepts' : ours.message}`);
        return;
      }
      if (!k.accepted || !(ours instanceof ClassicFilter)) {
        refused++;
        return;
      }
      accepted++;
      fr.forEach((frame, j) => {
        const o = oursOf(ours, frame);
        frameChecks += 2;
        if (o.out !== k.out[j] || o.in !== k.in[j]) {
          disagreements.push(`program ${i} frame ${j}: kernel out ${k.out[j]} in ${k.in[j]}, ours out ${o.out} in ${o.in} — ${JSON.stringify(p)}`);
        }
      });
    });
    expect(disagreements.slice(0, 10)).toEqual([]);
    expect(accepted).toBeGreaterThanOrEqual(50);
    expect(refused).toBeGreaterThanOrEqual(50);
    process.stdout.write(`cbpf kernel differential: ${programs.length} programs (${accepted} accepted, ${refused} refused), ${frameChecks} frame copies compared, 0 disagreements\n`);
  }, 900_000); // the full-size run (TCBPF_FUZZ=full) takes about a minute
});
