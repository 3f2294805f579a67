// Kernel differential for the parts of offload that are cls_bpf's own (gen
// flag validation, skip_sw without an accepting driver, the replace flag rule,
// in_hw/not_in_hw in dumps): netdevsim is not built into this machine's
// kernel, so these run against a veth (a device without ndo_setup_tc) in a
// namespace made for the test, with iproute2's tc and cBPF bytecode, and are
// compared with tcbpf on a veth and on a netdevsim port (whose refusals carry
// the same errno; netdevsim adds its extack only to skip_sw refusals).
import { afterAll, describe, expect, it } from 'vitest';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { TCF_ALL_KINDS, TcClient, TcKernel } from '@tcbpf/tcf';
import { tcBpfSyscall } from '@tcbpf/bpf-skb';
import { createClsBpfOps } from '@tcbpf/cls-bpf';
import { NsimBus } from '../src/index.js';
import { addIngress, tcBpf, tcDel, tcShow, type NSim, type TcBpfOpts } from './support/nsim-sim.js';

interface Step {
  readonly op: 'add' | 'replace' | 'del';
  readonly prio: number;
  readonly flags: readonly ('skip_sw' | 'skip_hw')[];
}

const STEPS: readonly Step[] = [
  { op: 'add', prio: 1, flags: ['skip_sw'] },
  { op: 'add', prio: 1, flags: ['skip_sw', 'skip_hw'] },
  { op: 'add', prio: 1, flags: ['skip_hw'] },
  { op: 'replace', prio: 1, flags: [] },
  { op: 'replace', prio: 1, flags: ['skip_sw'] },
  { op: 'replace', prio: 1, flags: ['skip_hw'] },
  { op: 'add', prio: 2, flags: [] },
  { op: 'replace', prio: 2, flags: ['skip_hw'] },
  { op: 'replace', prio: 2, flags: ['skip_sw'] },
  { op: 'replace', prio: 2, flags: [] },
  { op: 'del', prio: 1, flags: [] },
  { op: 'replace', prio: 1, flags: ['skip_sw'] },
  { op: 'del', prio: 2, flags: [] },
];

/** One step's outcome: errno ('' = success) and the flags `tc filter show` prints afterwards. */
type Outcome = readonly [string, string];

const ERRNO_TEXT: Readonly<Record<string, string>> = Object.freeze({ 'Invalid argument': 'EINVAL', 'Operation not supported': 'EOPNOTSUPP', 'No such file or directory': 'ENOENT' });

function kernelRun(ns: Netns): Outcome[] {
  ns.run('ip', ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
  ns.run('tc', ['qdisc', 'add', 'dev', 'va', 'ingress']);
  const out: Outcome[] = [];
  for (const s of STEPS) {
    const args = s.op === 'del' ? ['filter', 'del', 'dev', 'va', 'ingress', 'prio', String(s.prio), 'handle', '1', 'bpf'] : ['filter', s.op, 'dev', 'va', 'ingress', 'prio', String(s.prio), 'handle', '1', 'bpf', 'bytecode', '1,6 0 0 4294967295,', ...s.flags];
    const r = ns.tryRun('tc', args);
    let errno = '';
    if (r.status !== 0) {
      const m = /RTNETLINK answers: (.*)/.exec(r.stderr);
      errno = m ? (ERRNO_TEXT[m[1]!.trim()] ?? m[1]!.trim()) : `status ${r.status}`;
    }
    const shown = ns.run('tc', ['filter', 'show', 'dev', 'va', 'ingress']);
    const flags = shown
      .split('\n')
      .filter((l) => l.includes('handle 0x1'))
      .map((l) => {
        const pref = /pref (\d+)/.exec(l)![1]!;
        const f = ['skip_hw', 'skip_sw', 'not_in_hw', 'in_hw'].filter((w) => new RegExp(`(^| )${w}( |$)`).test(l));
        return `${pref}:${f.join(',')}`;
      })
      .join(' ');
    out.push([errno, flags]);
  }
  return out;
}

function simRun(s: NSim): Outcome[] {
  const out: Outcome[] = [];
  for (const st of STEPS) {
    const o: TcBpfOpts = { op: st.op === 'del' ? 'add' : st.op, prio: st.prio, handle: 1, prog: 'bytecode', skipSw: st.flags.includes('skip_sw'), skipHw: st.flags.includes('skip_hw') };
    const r = st.op === 'del' ? tcDel(s, st.prio, 1) : tcBpf(s, o);
    const flags = tcShow(s)
      .sort((a, b) => a.pref - b.pref)
      .map((f) => `${f.pref}:${[f.skipHw && 'skip_hw', f.skipSw && 'skip_sw', f.notInHw && 'not_in_hw', f.inHw && 'in_hw'].filter(Boolean).join(',')}`)
      .join(' ');
    out.push([r.ok ? '' : r.errno, flags]);
  }
  return out;
}

const k = kernelOracle();
const tcOk = hasTool('tc');

describe.skipIf(!k.ok || !tcOk)(`cls_bpf offload flags: tcbpf vs the kernel on a veth (kernel: ${k.ok ? (tcOk ? 'ok' : 'tc missing') : k.reason})`, () => {
  const namespaces: Netns[] = [];
  afterAll(() => {
    for (const n of namespaces) n.close();
  });
  let kernelOut: Outcome[] | null = null;
  const kernel = (): Outcome[] => {
    if (kernelOut === null) {
      const ns = new Netns('offl');
      namespaces.push(ns);
      kernelOut = kernelRun(ns);
    }
    return kernelOut;
  };
  it('a veth in tcbpf gives the kernel errno and flags at every step', () => {
    expect(simRun(vethSim())).toEqual(kernel());
  });
  it('a netdevsim port with hw-tc-offload off gives the same', () => {
    expect(simRun(nsimSim(false))).toEqual(kernel());
  });
  it('a netdevsim port with hw-tc-offload on (unbound programs refused) gives the same', () => {
    expect(simRun(nsimSim(true))).toEqual(kernel());
  });
});

/** tcbpf with a veth standing where test_offload has the netdevsim port (the helpers only use its ifindex). */
function vethSim(): NSim {
  const s = nsimSim(false);
  const [va] = s.net.addVethPair('va', 'vb');
  const port = { ifindex: va.ifindex } as NSim['port'];
  addIngress(s.tc, port);
  return { ...s, port };
}

function nsimSim(hwTc: boolean): NSim {
  const bpf = tcBpfSyscall();
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf })] } });
  const net = kernel.addNet();
  const bus = new NsimBus({ net, bpf });
  const dev = bus.newDevice('1 1');
  const port = dev.ports[0]!;
  port.setHwTcOffload(hwTc);
  const sock = net.socket();
  const tc = new TcClient(sock);
  addIngress(tc, port);
  return { kernel, net, bpf, bus, dev, port, sock, tc };
}
