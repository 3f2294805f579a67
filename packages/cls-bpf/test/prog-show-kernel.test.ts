// What `tc filter show` prints after an eBPF cls_bpf filter (iproute2's
// bpf_dump_prog_info: id, name, tag, "jited"), from this machine's kernel
// (bpf_jit_enable=1 here) and from tcbpf's progShow + progInfoText for the same
// clang-built objects; the program id is the kernel's own counter, so it is
// compared as "a number" and the rest byte for byte. Also the runtime switch:
// with bpf_jit_enable=0 at attach tcbpf prints no "jited" (the kernel's
// bpf_jit_enable is left alone: it is shared by everyone on this machine).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { JitRuntime } from '@tcbpf/jit';
import { TCF_ALL_KINDS, TcClient, TcKernel } from '@tcbpf/tcf';
import { kernelOracle, Netns } from '@tcbpf/testing';
import { TCA_BPF } from '@tcbpf/uapi';
import { createClsBpfOps, progInfoText } from '../src/index.js';
import { ETH_P_ALL, INGRESS } from './support/sim.js';

const PROGS = fileURLToPath(new URL('../../bpf-skb/test/fixtures/progs/', import.meta.url));
const k = kernelOracle();
const OBJS = [['parse_classify.o', 'classify', 'tc'], ['redirect_global.o', 'redirect_udp', 'tc'], ['nat_rewrite.o', 'nat_ingress', 'classifier']] as const;

function tcbpfLines(enable: 0 | 1): string[] {
  const bpf = tcBpfSyscall();
  const jit = new JitRuntime(bpf, bpf.interpreter);
  jit.enable = enable;
  const ops = createClsBpfOps({ bpf, jit });
  const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, ops] } });
  const net = kernel.addNet();
  const [va] = net.addVethPair('va', 'vb');
  const tc = new TcClient(net.socket());
  tc.clsact(va.ifindex);
  return OBJS.map(([file, prog, sec], i) => {
    const loaded = instantiateObject(bpf, loadElfObject(new Uint8Array(readFileSync(PROGS + file)), { fileName: file }));
    const fd = loaded.programs.get(prog);
    if (fd === undefined) throw new Error(`${file}: no program ${prog} (has ${[...loaded.programs.keys()].join(', ')})`);
    tc.filter('add', { ifindex: va.ifindex, parent: INGRESS, prio: i + 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, fd); w.str(TCA_BPF.NAME, `${file}:[${sec}]`); w.u32(TCA_BPF.FLAGS, 1); } });
    const id = bpf.prog(fd).id;
    return progInfoText(id, ops.progShow(id));
  });
}

const normId = (s: string): string => s.replace(/^id \d+ /, 'id N ');

describe.skipIf(!k.ok)(`tc filter show's program text equals the kernel's (kernel: ${k.ok ? 'ok' : k.reason})`, () => {
  const ns = k.ok ? new Netns('clsbpf-show') : null;
  afterAll(() => ns?.close());

  it('id, name, tag and jited for three clang-built objects; no "jited" with bpf_jit_enable=0 at attach', () => {
    const n = ns!;
    n.run('ip', ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
    n.run('tc', ['qdisc', 'add', 'dev', 'va', 'clsact']);
    OBJS.forEach(([file, , sec], i) => n.run('tc', ['filter', 'add', 'dev', 'va', 'ingress', 'prio', String(i + 1), 'handle', '1', 'bpf', 'da', 'obj', PROGS + file, 'sec', sec]));
    const shown = n.run('tc', ['filter', 'show', 'dev', 'va', 'ingress']).split('\n').filter((l) => l.includes(' id '));
    const kernelLines = shown.map((l) => l.slice(l.indexOf(' id ') + 1));
    expect(kernelLines.length).toBe(OBJS.length);
    expect(kernelLines.every((l) => l.endsWith('jited '))).toBe(true); // this machine: bpf_jit_enable=1
    expect(tcbpfLines(1).map(normId)).toEqual(kernelLines.map(normId));
    const off = tcbpfLines(0).map(normId);
    expect(off).toEqual(kernelLines.map(normId).map((l) => l.replace(/jited $/, '')));
  });
});
