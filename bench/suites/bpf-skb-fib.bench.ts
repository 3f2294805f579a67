// bpf_fib_lookup per packet (ns per run): the fib_lookup.o probe on a reused
// skb (ctx fill, run, write-back) forwarding an IPv4 destination through a
// gateway with a neighbour, with 16 and with 256 configured routes, against the
// baseline of the same program whose lookup returns at once (-ENODEV: unknown
// ifindex), so the difference is the helper's work (route lookup, neighbour,
// struct writes).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Prng, SimClock } from '@tcbpf/base';
import { TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { AddressSpace, REGION } from '@tcbpf/ebpf';
import { NetNamespace, SkBuff, ethTypeTrans } from '@tcbpf/skb';
import { AF, NUD } from '@tcbpf/uapi';
import type { BenchGroup } from '../harness.js';

const PROGS = fileURLToPath(new URL('../../packages/bpf-skb/test/fixtures/progs/', import.meta.url));

function frame(ifindex: number): Uint8Array {
  const f = new Uint8Array(82);
  f[12] = 0x88;
  f[13] = 0xb5;
  const v = new DataView(f.buffer, 14);
  v.setUint8(0, AF.INET);
  v.setUint32(8, ifindex, true);
  f.set([8, 8, 8, 8], 14 + 32);
  return f;
}

function group(routes: number): BenchGroup {
  const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(1) });
  ns.loopback.setUp(true);
  const [a, b] = ns.addVeth('v0', 'v1', ns, { ifindex: 10 }, { ifindex: 11 });
  a.setUp(true);
  b.setUp(true);
  ns.fib.setForwarding(AF.INET, 'all', true);
  ns.fib.addAddress(AF.INET, a, { local: Uint8Array.of(10, 1, 0, 1), prefixLen: 24 });
  ns.fib.addRoute({ family: AF.INET, dst: new Uint8Array(4), prefixLen: 0, gateway: Uint8Array.of(10, 1, 0, 2) });
  for (let i = 0; i < routes; i++) ns.fib.addRoute({ family: AF.INET, dst: Uint8Array.of(172, 16 + (i >>> 8), i & 0xff, 0), prefixLen: 24, gateway: Uint8Array.of(10, 1, 0, 3) });
  ns.fib.setNeighbour(AF.INET, a, Uint8Array.of(10, 1, 0, 2), Uint8Array.of(2, 0, 0, 0, 0, 2), NUD.REACHABLE);
  const obj = loadElfObject(new Uint8Array(readFileSync(`${PROGS}fib_lookup.o`)), { fileName: 'fib_lookup.o' });
  const sys = tcBpfSyscall();
  const prog = sys.prog(instantiateObject(sys, obj).programs.get('fib_probe')!);
  const runner = new TcTestRunner(sys, { ns });
  const st = runner.state;
  const ctxHi = AddressSpace.hiOf(REGION.CTX);
  const mk = (ifindex: number): SkBuff => {
    const skb = SkBuff.fromFrame(frame(ifindex));
    skb.protocol = ethTypeTrans(skb, ns.loopback);
    skb.resetNetworkHeader();
    skb.push(14);
    return skb;
  };
  const hit = mk(1);
  const miss = mk(99);
  const out = { sink: 0 };
  const run = (skb: SkBuff, reset: boolean): void => {
    if (reset) {
      // the helper rewrote dst/ifindex: restore the request
      skb.buf.set([8, 8, 8, 8], skb.dataOff + 14 + 32);
      skb.view.setUint32(skb.dataOff + 14 + 8, 1, true);
    }
    st.begin(skb);
    sys.interpreter.runCtx = st;
    out.sink ^= sys.run(prog, ctxHi, 0) + sys.interpreter.r0Lo;
    st.end();
  };
  run(hit, true);
  if (sys.interpreter.r0Lo !== 0) throw new Error(`fib_lookup returned ${sys.interpreter.r0Lo}, want 0`);
  return {
    suite: 'bpf-skb-fib',
    group: `fib_lookup.o per packet, IPv4 via gateway, ${routes + 1} routes + kernel routes`,
    unit: 'run',
    baseline: { name: 'same program, lookup refused at once (-ENODEV)', fn: () => run(miss, false) },
    tasks: [{ name: 'bpf_fib_lookup SUCCESS (route, neighbour, smac/dmac)', fn: () => run(hit, true) }],
  };
}

export function groups(): BenchGroup[] {
  return [group(15), group(255)];
}
