// bpf_skb_under_cgroup per packet (ns per run): under_cgroup.o (seven helper
// calls, six results written to an array map) on a reused skb whose socket is
// in a cgroup 8 levels deep, slots [root, level 4, a sibling subtree, empty],
// against the baseline of the same program on a socket-less skb (every call
// returns -ENOENT at once), so the difference is the slot and ancestry checks.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { AddressSpace, REGION, type Cgroup } from '@tcbpf/ebpf';
import { SkBuff } from '@tcbpf/skb';
import type { BenchGroup } from '../harness.js';

const PROGS = fileURLToPath(new URL('../../packages/bpf-skb/test/fixtures/progs/', import.meta.url));

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

export function groups(): BenchGroup[] {
  const sys = tcBpfSyscall();
  let path = '';
  for (let i = 0; i < 8; i++) sys.cgroups.mkdir((path += `/l${i}`));
  sys.cgroups.mkdir('/other');
  const loaded = instantiateObject(sys, loadElfObject(new Uint8Array(readFileSync(`${PROGS}under_cgroup.o`)), { fileName: 'under_cgroup.o' }));
  const arr = loaded.maps.get('cgrps')!;
  ['/', '/l0/l1/l2/l3', '/other'].forEach((p, i) => sys.mapUpdateElem(arr, u32(i), u32(sys.cgroupOpen(p))));
  const prog = sys.prog(loaded.programs.get('under_cgroup')!);
  const st = new TcTestRunner(sys).state;
  const task: Cgroup = sys.cgroups.lookup(path);
  const frame = Uint8Array.from([...new Array<number>(12).fill(2), 0x08, 0x00, 0x45, 0, 0, 20, ...new Array<number>(16).fill(0)]);
  const skb = SkBuff.fromFrame(frame);
  const ctxHi = AddressSpace.hiOf(REGION.CTX);
  const out = { sink: 0 };
  const run = (sk: Cgroup | undefined): void => {
    st.sockCgroup = sk;
    st.begin(skb);
    sys.interpreter.runCtx = st;
    out.sink ^= sys.run(prog, ctxHi, 0) + sys.interpreter.r0Lo;
    st.end();
  };
  run(task);
  if (sys.interpreter.r0Lo !== 1) throw new Error(`under_cgroup returned ${sys.interpreter.r0Lo}, want 1`);
  return [{
    suite: 'bpf-skb-cgroup',
    group: 'under_cgroup.o per packet (7 bpf_skb_under_cgroup calls, socket 8 levels deep)',
    unit: 'run',
    baseline: { name: 'same program, skb without a socket (-ENOENT at once)', fn: () => run(undefined) },
    tasks: [{ name: 'bpf_skb_under_cgroup with slot and ancestry checks', fn: () => run(task) }],
  }];
}
