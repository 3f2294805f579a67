// cls_bpf (@tcbpf/cls-bpf): packets per second through a clsact ingress block
// (tcf_classify with the packet as the ingress hook holds it: data at the
// network header, mac_len 14) with one and with ten classic direct-action
// filters, JIT and interpreter; the baseline is the classic program alone
// (ClassicFilter.runCompiled on the same skb with the MAC header pushed),
// measured in the same run. A second group does the same with eBPF direct-action
// filters by fd (the program alone: SkbRunState begin/run/end on the same skb); eBPF
// programs run in @tcbpf/ebpf's interpreter (the JIT is not wired for cls_bpf yet).
import { ClassicFilter, insn, type ClassicEnv } from '@tcbpf/cbpf';
import { createClsBpfOps } from '@tcbpf/cls-bpf';
import { SkBuff } from '@tcbpf/skb';
import { TCA_BPF } from '@tcbpf/uapi';
import { Prng } from '@tcbpf/base';
import { SkbRunState, loadTcProgram, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { AddressSpace, REGION, type BpfSyscall } from '@tcbpf/ebpf';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { TCF_ALL_KINDS, TcClient, TcKernel, TcfResult, tcfClassify, type IngressPriv, type NlWriter, type TcfBlock } from '@tcbpf/tcf';
import type { BenchGroup } from '../harness.js';

type Insn = readonly [number, number, number, number];
// ldh [12]; jeq #ethertype, 0, 1; ret #0 (TC_ACT_OK); ret #-1 (UNSPEC: next filter)
const match = (ethertype: number): Insn[] => [[0x28, 0, 0, 12], [0x15, 0, 1, ethertype], [0x06, 0, 0, 0], [0x06, 0, 0, 0xffffffff]];

function opts(prog: readonly Insn[]): (w: NlWriter) => void {
  return (w) => {
    const b = new Uint8Array(prog.length * 8);
    const v = new DataView(b.buffer);
    prog.forEach(([c, jt, jf, k], i) => {
      v.setUint16(i * 8, c, true);
      v.setUint8(i * 8 + 2, jt);
      v.setUint8(i * 8 + 3, jf);
      v.setUint32(i * 8 + 4, k >>> 0, true);
    });
    w.u16(TCA_BPF.OPS_LEN, prog.length);
    w.attr(TCA_BPF.OPS, b);
    w.u32(TCA_BPF.FLAGS, 1);
  };
}

function setup(filters: number, jit: boolean): TcfBlock {
  const k = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ jit })] } });
  const net = k.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  // filters-1 programs that look for IPv6 and return UNSPEC, then the IPv4 match
  for (let i = 1; i < filters; i++) tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff2, prio: i, protocol: 3, kind: 'bpf', options: opts(match(0x86dd)) });
  tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff2, prio: filters, protocol: 3, kind: 'bpf', options: opts(match(0x0800)) });
  return (va.ingress!.priv as IngressPriv).ingress!;
}

function ingressSkb(): SkBuff {
  const f = new Uint8Array(64);
  f.fill(0xff, 0, 6);
  f[12] = 0x08;
  f[14] = 0x45;
  const skb = SkBuff.fromFrame(f);
  skb.macHeader = skb.dataOff;
  skb.macLen = 14;
  skb.pull(14);
  skb.networkHeader = skb.dataOff;
  skb.protocol = 0x0800;
  skb.tcAtIngress = true;
  return skb;
}

/**
 * eBPF twin of `match`: r2 = skb->protocol (network order, __sk_buff offset 16);
 * if (r2 == htons(type)) r0 = TC_ACT_OK else r0 = TC_ACT_UNSPEC; exit.
 */
function ebpfMatch(ethertype: number): Uint8Array {
  const be = ((ethertype & 0xff) << 8) | (ethertype >> 8); // __sk_buff.protocol holds network order
  const b = new Uint8Array(6 * 8);
  const v = new DataView(b.buffer);
  const put = (i: number, code: number, regs: number, off: number, imm: number): void => {
    v.setUint8(i * 8, code);
    v.setUint8(i * 8 + 1, regs);
    v.setInt16(i * 8 + 2, off, true);
    v.setInt32(i * 8 + 4, imm, true);
  };
  put(0, 0x61, 0x12, 16, 0); // r2 = *(u32 *)(r1 + 16)
  put(1, 0xb7, 0x00, 0, -1); // r0 = -1
  put(2, 0x55, 0x02, 1, be); // if r2 != be goto +1
  put(3, 0xb7, 0x00, 0, 0); // r0 = 0
  put(4, 0x95, 0x00, 0, 0); // exit
  return b.subarray(0, 5 * 8);
}

function setupEbpf(filters: number): { block: TcfBlock; bpf: BpfSyscall; fd: number } {
  const bpf = tcBpfSyscall();
  const k = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf })] } });
  const net = k.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  const load = (t: number): number => loadTcProgram(bpf, { insns: ebpfMatch(t), license: 'GPL', progType: BPF_PROG_TYPE.SCHED_CLS }).fd;
  const miss = load(0x86dd);
  const hit = load(0x0800);
  const add = (prio: number, fd: number): void => {
    tc.filter('add', { ifindex: va.ifindex, parent: 0xfffffff2, prio, protocol: 3, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, fd); w.u32(TCA_BPF.FLAGS, 1); } });
  };
  for (let i = 1; i < filters; i++) add(i, miss);
  add(filters, hit);
  return { block: (va.ingress!.priv as IngressPriv).ingress!, bpf, fd: hit };
}

export function groups(): BenchGroup[] {
  const out = { sink: 0 };
  const skb = ingressSkb();
  const res = new TcfResult();
  const env: ClassicEnv = { cpu: 0, prng: new Prng(1) };
  const alone = ClassicFilter.create(match(0x0800).map(([c, jt, jf, k]) => insn(c, jt, jf, k)));
  const PKTS = 1000;
  const blocks = { jit1: setup(1, true), jit10: setup(10, true), int1: setup(1, false), int10: setup(10, false) };
  const through = (block: TcfBlock): (() => void) => () => {
    let s = 0;
    for (let i = 0; i < PKTS; i++) s = (s + tcfClassify(skb, block, res)) | 0;
    out.sink ^= s;
  };
  return [
    {
      suite: 'cls-bpf',
      group: 'clsact ingress, classic direct-action cls_bpf filters',
      unit: 'packet',
      baseline: {
        name: 'the program alone (JIT form, MAC pushed)',
        per: PKTS,
        fn: () => {
          let s = 0;
          for (let i = 0; i < PKTS; i++) {
            skb.push(14);
            s = (s + alone.runCompiled(skb, env)) | 0;
            skb.pull(14);
          }
          out.sink ^= s;
        },
      },
      tasks: [
        { name: '1 filter, JIT', per: PKTS, fn: through(blocks.jit1) },
        { name: '10 filters, JIT', per: PKTS, fn: through(blocks.jit10) },
        { name: '1 filter, interpreter', per: PKTS, fn: through(blocks.int1) },
        { name: '10 filters, interpreter', per: PKTS, fn: through(blocks.int10) },
      ],
    },
    ebpfGroup(skb, res, out, PKTS, through),
  ];
}

function ebpfGroup(skb: SkBuff, res: TcfResult, out: { sink: number }, PKTS: number, through: (b: TcfBlock) => () => void): BenchGroup {
  const e1 = setupEbpf(1);
  const e10 = setupEbpf(10);
  const prog = e1.bpf.prog(e1.fd);
  const st = new SkbRunState(e1.bpf.mem, skb);
  const interp = e1.bpf.interpreter;
  // the figures are only meaningful if the IPv4 filter matches (TC_ACT_OK) behind the misses
  for (const b of [e1.block, e10.block]) if (tcfClassify(skb, b, res) !== 0) throw new Error('eBPF bench filters do not return TC_ACT_OK');
  return {
    suite: 'cls-bpf',
    group: 'clsact ingress, eBPF direct-action cls_bpf filters (interpreter)',
    unit: 'packet',
    baseline: {
      name: 'the program alone (interpreter, MAC pushed, __sk_buff begin/end)',
      per: PKTS,
      fn: () => {
        let s = 0;
        for (let i = 0; i < PKTS; i++) {
          skb.push(14);
          st.begin(skb);
          interp.runCtx = st;
          e1.bpf.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
          st.end();
          s = (s + interp.r0Lo) | 0;
          skb.pull(14);
        }
        out.sink ^= s;
      },
    },
    tasks: [
      { name: '1 eBPF filter', per: PKTS, fn: through(e1.block) },
      { name: '10 eBPF filters', per: PKTS, fn: through(e10.block) },
    ],
  };
}
