// eBPF interpreter: ns per executed instruction on a parse_classify-style program
// (Ethernet/VLAN/IPv4/IPv6/TCP/UDP parse, classid from the destination port) and a
// checksum loop (16-bit words with a bounds check per iteration). Baseline: a
// hand-written JS function doing the same work on the same packets (a DataView
// kept beside each packet), reported per executed BPF instruction too.
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { AddressSpace, BpfSyscall, RUN_STATUS, assembleKernel, makeProgType } from '@tcbpf/ebpf';
import type { BenchGroup } from '../harness.js';

const PARSE_CLASSIFY = `
    r3 = r1
    r3 += r2
    r0 = 0
    r4 = r1
    r4 += 14
    if r4 > r3 goto out
    r5 = *(u16 *)(r1 +12)
    r6 = 14
    if r5 != 0x81 goto novlan
    r4 = r1
    r4 += 18
    if r4 > r3 goto out
    r5 = *(u16 *)(r1 +16)
    r6 = 18
  novlan:
    r7 = r1
    r7 += r6
    if r5 == 0x8 goto ipv4
    if r5 == 0xdd86 goto ipv6
    goto out
  ipv4:
    r4 = r7
    r4 += 20
    if r4 > r3 goto out
    r8 = *(u8 *)(r7 +0)
    r8 &= 15
    r8 <<= 2
    r9 = *(u8 *)(r7 +9)
    r7 += r8
    goto l4
  ipv6:
    r4 = r7
    r4 += 40
    if r4 > r3 goto out
    r9 = *(u8 *)(r7 +6)
    r7 += 40
  l4:
    if r9 == 0x6 goto ports
    if r9 == 0x11 goto ports
    r0 = 1
    goto out
  ports:
    r4 = r7
    r4 += 4
    if r4 > r3 goto out
    r8 = *(u16 *)(r7 +2)
    r8 = be16 r8
    if r8 == 0x50 goto web
    if r8 == 0x1bb goto web
    if r8 == 0x35 goto dns
    r0 = 0x10003
    goto out
  web:
    r0 = 0x10001
    goto out
  dns:
    r0 = 0x10002
  out:
    exit`;

const CHECKSUM = `
    r3 = r1
    r3 += r2
    r0 = 0
  loop:
    r4 = r1
    r4 += 2
    if r4 > r3 goto done
    r5 = *(u16 *)(r1 +0)
    r0 += r5
    r1 += 2
    goto loop
  done:
    r4 = r0
    r4 >>= 16
    r0 &= 0xffff
    r0 += r4
    r4 = r0
    r4 >>= 16
    r0 += r4
    r0 &= 0xffff
    exit`;

function frame(kind: 'v4tcp' | 'vlan-v4udp' | 'v6tcp', len: number): Uint8Array {
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < 12; i++) b[i] = i + 1;
  let l3 = 14;
  if (kind === 'vlan-v4udp') { dv.setUint16(12, 0x8100, false); dv.setUint16(14, 5, false); dv.setUint16(16, 0x0800, false); l3 = 18; }
  else dv.setUint16(12, kind === 'v6tcp' ? 0x86dd : 0x0800, false);
  let l4: number;
  if (kind === 'v6tcp') { b[l3] = 0x60; b[l3 + 6] = 6; l4 = l3 + 40; }
  else { b[l3] = 0x45; b[l3 + 9] = kind === 'v4tcp' ? 6 : 17; l4 = l3 + 20; }
  dv.setUint16(l4, 40000, false);
  dv.setUint16(l4 + 2, kind === 'vlan-v4udp' ? 53 : kind === 'v4tcp' ? 80 : 8080, false);
  for (let i = l4 + 4; i < len; i++) b[i] = (i * 7) & 0xff;
  return b;
}

/** The same parse in JS, on a DataView (little-endian reads, as the program does). */
function parseClassifyJs(dv: DataView, len: number): number {
  if (14 > len) return 0;
  let et = dv.getUint16(12, true);
  let l3 = 14;
  if (et === 0x81) { if (18 > len) return 0; et = dv.getUint16(16, true); l3 = 18; }
  let proto: number;
  let l4: number;
  if (et === 0x8) { if (l3 + 20 > len) return 0; l4 = l3 + ((dv.getUint8(l3) & 15) << 2); proto = dv.getUint8(l3 + 9); }
  else if (et === 0xdd86) { if (l3 + 40 > len) return 0; proto = dv.getUint8(l3 + 6); l4 = l3 + 40; }
  else return 0;
  if (proto !== 6 && proto !== 17) return 1;
  if (l4 + 4 > len) return 0;
  const port = dv.getUint16(l4 + 2, false);
  return port === 80 || port === 443 ? 0x10001 : port === 53 ? 0x10002 : 0x10003;
}

function checksumJs(dv: DataView, len: number): number {
  let s = 0;
  for (let o = 0; o + 2 <= len; o += 2) s += dv.getUint16(o, true);
  s = (s & 0xffff) + Math.floor(s / 65536);
  s += s >>> 16;
  return s & 0xffff;
}

export function groups(): BenchGroup[] {
  const sys = new BpfSyscall({ progTypes: [makeProgType({ type: BPF_PROG_TYPE.SOCKET_FILTER, name: 'bench', ctxSize: 0 })] });
  const load = (text: string): ReturnType<BpfSyscall['prog']> =>
    sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SOCKET_FILTER, insns: assembleKernel(text), license: 'GPL' }));
  const pc = load(PARSE_CLASSIFY);
  const ck = load(CHECKSUM);
  // packets live in their own regions (bound once: no DataView per run)
  const pkts = [frame('v4tcp', 64), frame('vlan-v4udp', 64), frame('v6tcp', 90)].map((b) => ({ b, dv: new DataView(b.buffer), hi: AddressSpace.hiOf(sys.mem.add('packet', b)) }));
  const big = [frame('v4tcp', 64), frame('v4tcp', 1500)].map((b) => ({ b, dv: new DataView(b.buffer), hi: AddressSpace.hiOf(sys.mem.add('packet', b)) }));
  const out = { sink: 0 };

  // executed instructions per packet (and a correctness check against the JS baseline)
  const executed = (prog: typeof pc, p: { b: Uint8Array; dv: DataView; hi: number }, js: (dv: DataView, n: number) => number): number => {
    const st = sys.run(prog, p.hi, 0, 0, p.b.length);
    if (st !== RUN_STATUS.OK || sys.interpreter.r0Lo !== js(p.dv, p.b.length)) throw new Error('bench program disagrees with its JS baseline');
    return sys.interpreter.executed;
  };
  const pcInsns = pkts.reduce((a, p) => a + executed(pc, p, parseClassifyJs), 0);
  const groupsOut: BenchGroup[] = [
    {
      suite: 'ebpf',
      group: `parse_classify, 3 packet shapes (${(pcInsns / 3).toFixed(1)} insns/packet)`,
      unit: 'insn',
      baseline: {
        name: 'hand-written JS parse (DataView)',
        per: pcInsns,
        fn: () => { let s = 0; for (const p of pkts) s += parseClassifyJs(p.dv, p.b.length); out.sink ^= s; },
      },
      tasks: [{
        name: 'interpreter',
        per: pcInsns,
        fn: () => { let s = 0; for (const p of pkts) { sys.run(pc, p.hi, 0, 0, p.b.length); s += sys.interpreter.r0Lo; } out.sink ^= s; },
      }],
    },
  ];
  for (const p of big) {
    const n = executed(ck, p, checksumJs);
    groupsOut.push({
      suite: 'ebpf',
      group: `checksum loop, ${p.b.length} B (${n} insns)`,
      unit: 'insn',
      baseline: { name: 'hand-written JS loop (DataView)', per: n, fn: () => { out.sink ^= checksumJs(p.dv, p.b.length); } },
      tasks: [{ name: 'interpreter', per: n, fn: () => { sys.run(ck, p.hi, 0, 0, p.b.length); out.sink ^= sys.interpreter.r0Lo; } }],
    });
  }
  return groupsOut;
}
