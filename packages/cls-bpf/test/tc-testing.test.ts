// The cases of the kernel's tools/testing/selftests/tc-testing/tc-tests/filters/bpf.json,
// rewritten for tcbpf (same intent, own text): an ingress qdisc, filters at parent ffff:
// with handle 1, protocol ip, prio 100. The same requests are also replayed byte for
// byte against this machine's kernel in kernel-differential.test.ts (sequences tct-*).
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { TCF_ALL_KINDS, TcClient, TcKernel, parseAttrs } from '@tcbpf/tcf';
import { TCA, TCA_BPF } from '@tcbpf/uapi';
import { createClsBpfOps } from '../src/index.js';
import { bpfOptions, opsBytes, type Insn } from './support/sim.js';

const ING = 0xffff0000;
const IP = 0x0800;
// '4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0'
const VALID: Insn[] = [[40, 0, 0, 12], [21, 0, 1, 2048], [6, 0, 0, 262144], [6, 0, 0, 0]];
const INVALID: Insn[] = [[40, 0, 0, 12], [31, 0, 1, 2048], [6, 0, 0, 262144], [6, 0, 0, 0]];
const ARP: Insn[] = [[40, 0, 0, 12], [21, 0, 1, 2054], [6, 0, 0, 262144], [6, 0, 0, 0]];

function setup(): { tc: TcClient; ifindex: number } {
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps()] } });
  const net = kernel.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.qdisc('add', { ifindex: va.ifindex, parent: 0xfffffff1, handle: ING, kind: 'ingress' });
  return { tc, ifindex: va.ifindex };
}

function add(s: ReturnType<typeof setup>, prog: Insn[], handle = 1, cmd: 'add' | 'replace' = 'add'): void {
  s.tc.filter(cmd, { ifindex: s.ifindex, parent: ING, prio: 100, protocol: IP, handle, kind: 'bpf', options: bpfOptions(prog) });
}

/** `tc filter get ... handle H protocol ip prio 100 bpf`: the dumped TCA_BPF_OPS, or the error. */
function getOps(s: ReturnType<typeof setup>, handle = 1): Uint8Array | KernelError {
  try {
    const [m] = s.tc.filter('get', { ifindex: s.ifindex, parent: ING, prio: 100, protocol: IP, handle, kind: 'bpf' });
    const tca = parseAttrs(m!, 16 + 20, m!.length, TCA.MAX);
    return tca.nested(TCA.OPTIONS, TCA_BPF.MAX).data(TCA_BPF.OPS).slice();
  } catch (e) {
    if (e instanceof KernelError) return e;
    throw e;
  }
}

describe('tc-testing filters/bpf.json (cBPF cases)', () => {
  it('23c3: a filter with valid bytecode is added and shows that bytecode', () => {
    const s = setup();
    add(s, VALID);
    expect(getOps(s)).toEqual(opsBytes(VALID));
  });

  it('1563: invalid bytecode (opcode 31) is refused with EINVAL and nothing is added', () => {
    const s = setup();
    expect(() => add(s, INVALID)).toThrow(expect.objectContaining({ errno: 'EINVAL' }) as Error);
    expect(getOps(s)).toBeInstanceOf(KernelError);
  });

  it('4423: replace swaps in the new bytecode', () => {
    const s = setup();
    add(s, VALID);
    add(s, ARP, 1, 'replace');
    expect(getOps(s)).toEqual(opsBytes(ARP));
  });

  it('5122: delete removes the filter', () => {
    const s = setup();
    add(s, VALID);
    s.tc.filter('del', { ifindex: s.ifindex, parent: ING, prio: 100, protocol: IP, handle: 1, kind: 'bpf' });
    expect(getOps(s)).toBeInstanceOf(KernelError);
  });

  it('e0a9: three filters (handles 1, 2, 100) in one prio are all listed, newest first', () => {
    const s = setup();
    for (const h of [1, 2, 100]) add(s, VALID, h);
    const msgs = s.tc.filter('dump', { ifindex: s.ifindex, parent: ING });
    const handles = msgs.map((m) => new DataView(m.buffer, m.byteOffset).getUint32(16 + 8, true)).filter((h) => h !== 0);
    expect(handles).toEqual([100, 2, 1]);
  });
});

// 2334 (valid eBPF object-file) and 2373 (verifier-rejected object) are in ebpf.test.ts.
