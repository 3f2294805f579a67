// The per-packet paths of bpf_fib_lookup, bpf_get_hash_recalc and bpf_skb_under_cgroup allocate
// nothing: fib_lookup.o's probe and a get_hash_recalc program run on reused
// skbs, and the heap grows by less than a byte per run in windows in which no
// garbage collection ran (checked with a 'gc' PerformanceObserver).
import { readFileSync } from 'node:fs';
import { Prng, SimClock } from '@tcbpf/base';
import { AddressSpace, REGION, assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { NetNamespace, SkBuff, buildFrame, ethTypeTrans } from '@tcbpf/skb';
import { AF, NUD } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { heapBytesPerOp } from '@tcbpf/testing';
import { TcTestRunner, instantiateObject, loadElfObject, loadTcProgram, tcBpfSyscall } from '../src/index.js';
import { PROGS_DIR } from './fixture-objects.js';

function setup(): { ns: NetNamespace; sys: ReturnType<typeof tcBpfSyscall>; runner: TcTestRunner } {
  const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(1) });
  ns.loopback.setUp(true);
  const [a, b] = ns.addVeth('v0', 'v1', ns, { ifindex: 10 }, { ifindex: 11 });
  a.setUp(true);
  b.setUp(true);
  ns.fib.setForwarding(AF.INET, 'all', true);
  ns.fib.addAddress(AF.INET, a, { local: Uint8Array.of(10, 1, 0, 1), prefixLen: 24 });
  ns.fib.addRoute({ family: AF.INET, dst: new Uint8Array(4), prefixLen: 0, gateway: Uint8Array.of(10, 1, 0, 2) });
  ns.fib.setNeighbour(AF.INET, a, Uint8Array.of(10, 1, 0, 2), Uint8Array.of(2, 0, 0, 0, 0, 2), NUD.REACHABLE);
  const sys = tcBpfSyscall();
  return { ns, sys, runner: new TcTestRunner(sys, { ns }) };
}

function onSkb(frame: Uint8Array, ns: NetNamespace): SkBuff {
  const skb = SkBuff.fromFrame(frame);
  skb.protocol = ethTypeTrans(skb, ns.loopback);
  skb.resetNetworkHeader();
  skb.push(14);
  return skb;
}

describe('per-packet helper paths allocate nothing', () => {

  it('bpf_fib_lookup (IPv4 via gateway, neighbour, struct written): < 1 byte per run over 20,000 runs', async () => {
    const { ns, sys, runner } = setup();
    const obj = loadElfObject(new Uint8Array(readFileSync(`${PROGS_DIR}fib_lookup.o`)), { fileName: 'fib_lookup.o' });
    const prog = sys.prog(instantiateObject(sys, obj).programs.get('fib_probe')!);
    const f = new Uint8Array(82);
    f[12] = 0x88;
    f[13] = 0xb5;
    f[14] = AF.INET;
    f.set([8, 8, 8, 8], 14 + 32);
    const skb = onSkb(f, ns);
    const st = runner.state;
    const ctxHi = AddressSpace.hiOf(REGION.CTX);
    let sum = 0;
    const runs = (): number => {
      for (let i = 0; i < 20000; i++) {
        for (let j = 0; j < 4; j++) skb.buf[skb.dataOff + 14 + 32 + j] = 8;
        skb.view.setUint32(skb.dataOff + 14 + 8, 1, true);
        st.begin(skb);
        sys.interpreter.runCtx = st;
        sum += sys.run(prog, ctxHi, 0) + sys.interpreter.r0Lo;
        st.end();
      }
      return 20000;
    };
    runs();
    expect(sys.interpreter.r0Lo).toBe(0);
    expect(await heapBytesPerOp(runs)).toBeLessThan(1);
    expect(sum).not.toBe(0.5);
  }, 60_000);

  it('bpf_get_hash_recalc (flow dissection each run): < 1 byte per run over 20,000 runs', async () => {
    const { ns, sys, runner } = setup();
    const prog = sys.prog(loadTcProgram(sys, { insns: encodeInsns(assembleKernel('r6 = r1\ncall bpf_set_hash_invalid#41\nr1 = r6\ncall bpf_get_hash_recalc#34\nexit')), license: 'GPL' }).fd);
    const skb = onSkb(buildFrame({
      dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1),
      l3: { kind: 'ipv6', src: new Uint8Array(16).fill(1), dst: new Uint8Array(16).fill(2), l4: { kind: 'tcp', sport: 1, dport: 2 } },
    }), ns);
    const st = runner.state;
    const ctxHi = AddressSpace.hiOf(REGION.CTX);
    let sum = 0;
    const runs = (): number => {
      for (let i = 0; i < 20000; i++) {
        st.begin(skb);
        sys.interpreter.runCtx = st;
        sum = (sum + sys.run(prog, ctxHi, 0) + sys.interpreter.r0Lo) | 0;
        st.end();
      }
      return 20000;
    };
    runs();
    expect(sys.interpreter.r0Lo).not.toBe(0);
    expect(await heapBytesPerOp(runs)).toBeLessThan(1);
    expect(sum).not.toBe(0.5);
  }, 60_000);

  it('bpf_skb_under_cgroup (under_cgroup.o, 7 calls per run, socket 8 levels deep): < 1 byte per run over 20,000 runs', async () => {
    const sys = tcBpfSyscall();
    let path = '';
    for (let i = 0; i < 8; i++) sys.cgroups.mkdir((path += `/l${i}`));
    const loaded = instantiateObject(sys, loadElfObject(new Uint8Array(readFileSync(`${PROGS_DIR}under_cgroup.o`))));
    const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, 0, 0);
    ['/', '/l0/l1/l2'].forEach((p, i) => sys.mapUpdateElem(loaded.maps.get('cgrps')!, u32(i), u32(sys.cgroupOpen(p))));
    const prog = sys.prog(loaded.programs.get('under_cgroup')!);
    const runner = new TcTestRunner(sys);
    const st = runner.state;
    st.sockCgroup = sys.cgroups.lookup(path);
    const skb = SkBuff.fromFrame(Uint8Array.from([...new Array<number>(12).fill(2), 0x08, 0x00, 0x45, 0, 0, 20, ...new Array<number>(16).fill(0)]));
    const ctxHi = AddressSpace.hiOf(REGION.CTX);
    let sum = 0;
    const runs = (): number => {
      for (let i = 0; i < 20000; i++) {
        st.begin(skb);
        sys.interpreter.runCtx = st;
        sum = (sum + sys.run(prog, ctxHi, 0) + sys.interpreter.r0Lo) | 0;
        st.end();
      }
      return 20000;
    };
    runs();
    expect(sys.interpreter.r0Lo).toBe(1);
    expect(await heapBytesPerOp(runs)).toBeLessThan(1);
    expect(sum).not.toBe(0.5);
  }, 60_000);
});
