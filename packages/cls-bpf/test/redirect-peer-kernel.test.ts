// bpf_redirect_peer against this machine's kernel: a da program on va's
// ingress (namespace A) redirects to the peer of vx, i.e. vy in namespace B;
// per frame, vy's rx packets/bytes (dev_sw_netstats_rx_add), vy's clsact
// ingress counter (the receive path's second round runs vy's hook) and va's
// clsact drops must match tcbpf's; then the same with the peer in the same
// namespace (vb, peer of va), which skb_do_redirect frees (no counter moves). The program
// (fixtures/progs/redirect_peer.c) is built with clang for the ifindex the
// kernel gave vx, and loaded from the same object in tcbpf.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { SkBuff, buildFrame } from '@tcbpf/skb';
import { TCF_ALL_KINDS, TcClient, TcKernel } from '@tcbpf/tcf';
import { hasTool, kernelOracle, Netns } from '@tcbpf/testing';
import { TCA_BPF } from '@tcbpf/uapi';
import { createClsBpfOps } from '../src/index.js';
import { ETH_P_ALL, INGRESS, bpfOptions, ret } from './support/sim.js';

const SRC = fileURLToPath(new URL('./fixtures/progs/redirect_peer.c', import.meta.url));
const k = kernelOracle();
const tools = hasTool('python3') && hasTool('clang-19');
const SEND = 'import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind(("vb",0))\nfor h in sys.argv[1:]: s.send(bytes.fromhex(h))\n';
const MAC = Uint8Array.of(2, 0, 0, 0, 0, 1);
const FRAMES = [0, 40, 300].map((n) => buildFrame({ dst: MAC, src: Uint8Array.of(2, 0, 0, 0, 0, 2), l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 2), dst: Uint8Array.of(10, 0, 0, 1), l4: { kind: 'udp', sport: 1, dport: 2, payload: new Uint8Array(n) } } }));

interface Seen { vyRx: number; vyBytes: number; vyHook: number; vaDrops: number }

function build(dir: string, target: number): Uint8Array {
  const out = join(dir, `peer-${target}.o`);
  const multiarch = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout.trim() || 'x86_64-linux-gnu';
  const r = spawnSync('clang-19', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${multiarch}`, `-DTARGET=${target}`, '-c', SRC, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return new Uint8Array(readFileSync(out));
}

describe.skipIf(!k.ok || !tools)(`bpf_redirect_peer equals the kernel's (kernel: ${k.ok ? (tools ? 'ok' : 'python3 or clang-19 missing') : k.reason})`, () => {
  const a = k.ok && tools ? new Netns('clsbpf-peer-a') : null;
  const b = k.ok && tools ? new Netns('clsbpf-peer-b') : null;
  const dir = mkdtempSync(join(tmpdir(), 'clsbpf-peer-'));
  afterAll(() => {
    a?.close();
    b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('to a peer in another namespace: received there, its ingress hook runs; to a same-namespace peer: dropped', () => {
    const A = a!;
    const B = b!;
    for (const n of [A, B]) n.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    A.run('ip', ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
    A.run('ip', ['link', 'add', 'vx', 'type', 'veth', 'peer', 'name', 'vy', 'netns', B.name]);
    for (const d of ['va', 'vb', 'vx']) A.run('ip', ['link', 'set', d, 'up']);
    B.run('ip', ['link', 'set', 'vy', 'up']);
    const ifindex = (n: Netns, d: string): number => Number(n.run('cat', [`/sys/class/net/${d}/ifindex`]).trim());
    const idx = { vb: ifindex(A, 'vb'), va: ifindex(A, 'va'), vx: ifindex(A, 'vx'), vy: ifindex(B, 'vy') };
    A.run('tc', ['qdisc', 'add', 'dev', 'va', 'clsact']);
    B.run('tc', ['qdisc', 'add', 'dev', 'vy', 'clsact']);
    B.run('tc', ['filter', 'add', 'dev', 'vy', 'ingress', 'prio', '1', 'handle', '1', 'bpf', 'bytecode', '1,6 0 0 4294967295']);
    const objX = build(dir, idx.vx);
    const objB = build(dir, idx.vb);

    // tcbpf: the same namespaces and ifindexes
    const bpf = tcBpfSyscall();
    const kernel = new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps({ bpf })] } });
    const netA = kernel.addNet();
    const netB = kernel.addNet();
    netA.ns.loopback.setUp(true);
    netB.ns.loopback.setUp(true);
    const [tva, tvb] = netA.ns.addVeth('va', 'vb', netA.ns, { ifindex: idx.va }, { ifindex: idx.vb });
    const [tvx, tvy] = netA.ns.addVeth('vx', 'vy', netB.ns, { ifindex: idx.vx }, { ifindex: idx.vy });
    const va = netA.adopt(tva);
    netA.adopt(tvb);
    netA.adopt(tvx);
    const vy = netB.adopt(tvy);
    for (const d of [tva, tvb, tvx, tvy]) d.setUp(true);
    const tcA = new TcClient(netA.socket());
    const tcB = new TcClient(netB.socket());
    tcA.clsact(va.ifindex);
    tcB.clsact(vy.ifindex);
    tcB.filter('add', { ifindex: vy.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: bpfOptions([ret(-1)]) });

    const qdiscSent = (n: Netns, dev: string): { packets: number; drops: number } => {
      const m = /Sent \d+ bytes (\d+) pkt \(dropped (\d+)/.exec(n.run('tc', ['-s', 'qdisc', 'show', 'dev', dev, 'clsact']))!;
      return { packets: Number(m[1]), drops: Number(m[2]) };
    };
    const stat = (n: Netns, d: string, s: string): number => Number(n.run('cat', [`/sys/class/net/${d}/statistics/${s}`]).trim());
    const kseen = (): Seen => ({ vyRx: stat(B, 'vy', 'rx_packets'), vyBytes: stat(B, 'vy', 'rx_bytes'), vyHook: qdiscSent(B, 'vy').packets, vaDrops: qdiscSent(A, 'va').drops });
    const tseen = (): Seen => ({ vyRx: tvy.stats.rxPackets, vyBytes: tvy.stats.rxBytes, vyHook: vy.ingress!.stats.packets, vaDrops: va.ingress!.stats.drops });

    let agree = 0;
    const totals = { peerRx: 0, peerHook: 0, sameNsRx: 0, sameNsQdiscDrops: 0 };
    for (const [obj, label] of [[objX, 'vx (peer vy in B)'], [objB, 'vb (peer va in A)']] as const) {
      A.run('tc', ['filter', 'replace', 'dev', 'va', 'ingress', 'prio', '1', 'handle', '1', 'bpf', 'da', 'obj', join(dir, `peer-${obj === objX ? idx.vx : idx.vb}.o`), 'sec', 'tc']);
      const fd = instantiateObject(bpf, loadElfObject(obj, { fileName: 'peer.o' })).programs.get('peer')!;
      tcA.filter('replace', { ifindex: va.ifindex, parent: INGRESS, prio: 1, protocol: ETH_P_ALL, handle: 1, kind: 'bpf', options: (w) => { w.u32(TCA_BPF.FD, fd); w.str(TCA_BPF.NAME, 'peer.o:[tc]'); w.u32(TCA_BPF.FLAGS, 1); } });
      for (const frame of FRAMES) {
        const k0 = kseen();
        A.run('python3', ['-c', SEND, Buffer.from(frame).toString('hex')]);
        const k1 = kseen();
        const t0 = tseen();
        const skb = SkBuff.fromFrame(frame);
        skb.setDev(tvb);
        netA.ns.devQueueXmit(skb);
        const t1 = tseen();
        const d = (x: Seen, y: Seen): Seen => ({ vyRx: y.vyRx - x.vyRx, vyBytes: y.vyBytes - x.vyBytes, vyHook: y.vyHook - x.vyHook, vaDrops: y.vaDrops - x.vaDrops });
        expect({ label, len: frame.length, ...d(t0, t1) }).toEqual({ label, len: frame.length, ...d(k0, k1) });
        agree++;
        const kd = d(k0, k1);
        if (obj === objX) { totals.peerRx += kd.vyRx; totals.peerHook += kd.vyHook; } else { totals.sameNsRx += kd.vyRx; totals.sameNsQdiscDrops += kd.vaDrops; }
      }
    }
    expect(agree).toBe(2 * FRAMES.length);
    // skb_do_redirect frees the skb after the verdict: no qdisc drop is counted for the same-namespace peer
    expect(totals).toEqual({ peerRx: FRAMES.length, peerHook: FRAMES.length, sameNsRx: 0, sameNsQdiscDrops: 0 });
  }, 30_000);
});
