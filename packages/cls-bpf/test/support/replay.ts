// Replays a sequence captured by fixtures/capture_cls_bpf.py against a fresh
// tcbpf kernel (lo=1, va=2 <-> vb=3 veth) with the real cls_bpf kind
// registered, and returns the differences (empty = identical). Normalised, as
// in @tcbpf/tcf's differential test: nlmsg_pid of kernel-sent messages, the
// wall-clock tcf_t timestamps of mirred actions and HTB tokens after traffic.
import { fromHex, toHex } from '@tcbpf/base';
import { SkBuff } from '@tcbpf/skb';
import { TcKernel, noqueueQdiscOps, pfifoQdiscOps, bfifoQdiscOps, pfifoFastQdiscOps, ingressQdiscOps, clsactQdiscOps, mirredOps, htbQdiscOps } from '@tcbpf/tcf';
import { createClsBpfOps } from '../../src/index.js';

export interface Step {
  req?: string;
  replies?: string[];
  send?: { ifindex: number; count: number; size: number; proto: number };
  notify: string[];
}
export interface Fixture {
  kernel: string;
  sequences: Record<string, Step[]>;
}

/** The kinds this machine's kernel has built in, with tcbpf's cls_bpf. */
export function kernelLikeThisMachine(jit = true): TcKernel {
  return new TcKernel({
    kinds: {
      qdiscs: [noqueueQdiscOps, pfifoQdiscOps, bfifoQdiscOps, pfifoFastQdiscOps, ingressQdiscOps, clsactQdiscOps, htbQdiscOps],
      classifiers: [createClsBpfOps({ jit })],
      actions: [mirredOps],
    },
  });
}

function normPid(hex: string): string {
  const h = hex.slice(0, 24) + '00000000' + hex.slice(32);
  return h.replace(/(20000200[0-9a-f]{56}24000100)([0-9a-f]{64})/g, (_m, a: string) => a + '0'.repeat(64));
}

function normHtbTokens(hex: string): string {
  return hex.replace(/(18000400[0-9a-f]{24})([0-9a-f]{16})/g, (_m, a: string) => a + '0'.repeat(16));
}

/** A frame like capture_rtnl.py's frame(), as an AF_PACKET send builds it. */
function makeSkb(size: number, proto: number, seq: number): SkBuff {
  const f = new Uint8Array(size);
  f.fill(0xff, 0, 6);
  f.set([2, 0, 0, 0, 0, 1], 6);
  f[12] = proto >>> 8;
  f[13] = proto & 0xff;
  for (let i = 0; i < size - 14; i++) f[14 + i] = (seq + i) & 0xff;
  return SkBuff.fromFrame(f);
}

/** Replay `steps`; returns human-readable differences. */
export function diffKernel(steps: readonly Step[], jit = true): string[] {
  const kernel = kernelLikeThisMachine(jit);
  const net = kernel.addNet();
  net.ns.loopback.setUp(true);
  net.addVethPair('va', 'vb');
  const sock = net.socket();
  const mon = net.socket();
  mon.subscribe(4);
  const diffs: string[] = [];
  let sent = false;
  const norm = (b: string): string => (sent ? normHtbTokens(normPid(b)) : normPid(b));
  steps.forEach((st, i) => {
    if (st.send) {
      const dev = net.devs.get(st.send.ifindex)!;
      for (let n = 0; n < st.send.count; n++) {
        const skb = makeSkb(st.send.size, st.send.proto, n);
        skb.setDev(dev.dev);
        net.ns.devQueueXmit(skb);
      }
      sent = true;
      const got = mon.recv().map((b) => norm(toHex(b)));
      const want = st.notify.map(norm);
      if (JSON.stringify(got) !== JSON.stringify(want)) diffs.push(`step ${i} (send) notify:\n want ${want.join('\n      ')}\n got  ${got.join('\n      ')}`);
      return;
    }
    sock.send(fromHex(st.req!));
    const got = sock.recv().map((b) => norm(toHex(b)));
    const want = st.replies!.map(norm);
    if (JSON.stringify(got) !== JSON.stringify(want)) diffs.push(`step ${i} replies:\n want ${want.join('\n      ')}\n got  ${got.join('\n      ')}`);
    const gotN = mon.recv().map((b) => norm(toHex(b)));
    const wantN = st.notify.map(norm);
    if (JSON.stringify(gotN) !== JSON.stringify(wantN)) diffs.push(`step ${i} notify:\n want ${wantN.join('\n      ')}\n got  ${gotN.join('\n      ')}`);
  });
  return diffs;
}
