// Event streams from tc programs: bpf_perf_event_output with packet bytes
// appended (BPF_F_CTXLEN_MASK) into a PERF_EVENT_ARRAY read back as records,
// bpf_ringbuf_output read back with consume(); and the helper's error returns
// (flags, ctx length, index, empty slot) compared with this machine's kernel.
import { assembleKernel, encodeInsns, type RingBufMap } from '@tcbpf/ebpf';
import { buildFrame } from '@tcbpf/skb';
import { BpfOracle, bpfOracle, must } from '@tcbpf/testing';
import { BPF_MAP_TYPE } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { TcTestRunner, loadTcProgram, tcBpfSyscall } from '../src/index.js';

const FRAME = buildFrame({
  dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1),
  l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'udp', sport: 7, dport: 9 } },
});

/** perf_event_output(ctx, map, flags = (ctxlen << 32) | index, &meta(8 bytes), 8). */
function perfProg(mapFd: number, ctxLen: number, index: number): Uint8Array {
  return encodeInsns(assembleKernel([
    'r6 = r1', 'r1 = 0x11223344', '*(u64 *)(r10 -8) = r1',
    'r1 = r6', `r2 = map[fd:${mapFd}]`, `r3 = ${ctxLen}`, 'r3 <<= 32', `r4 = ${index >>> 0}`, 'r4 <<= 32', 'r4 >>= 32', 'r3 |= r4',
    'r4 = r10', 'r4 += -8', 'r5 = 8', 'call bpf_perf_event_output#25', 'exit',
  ].join('\n')));
}

describe('event output', () => {
  it('perf_event_output: meta then the first ctxlen packet bytes', () => {
    const sys = tcBpfSyscall();
    const map = sys.mapCreate({ mapType: BPF_MAP_TYPE.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    const { fd: evFd, buffer } = sys.perfEventOpen(0);
    sys.mapUpdateElem(map, Uint8Array.of(0, 0, 0, 0), Uint8Array.of(evFd, 0, 0, 0));
    const { fd } = loadTcProgram(sys, { insns: perfProg(map, 20, 0xffffffff), license: 'GPL' });
    const r = new TcTestRunner(sys).run(fd, { dataIn: FRAME });
    expect(r.retval).toBe(0);
    const recs = buffer.drain();
    expect(recs.length).toBe(1);
    expect([...recs[0]!.subarray(0, 8)]).toEqual([0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0]);
    expect([...recs[0]!.subarray(8)]).toEqual([...FRAME.subarray(0, 20)]);
  });

  it('ringbuf_output from a tc program is read back in order', () => {
    const sys = tcBpfSyscall();
    const rb = sys.mapCreate({ mapType: BPF_MAP_TYPE.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const insns = encodeInsns(assembleKernel([
      'r1 = *(u32 *)(r1 +0)', '*(u64 *)(r10 -8) = r1', `r1 = map[fd:${rb}]`, 'r2 = r10', 'r2 += -8', 'r3 = 8', 'r4 = 0', 'call bpf_ringbuf_output#130', 'exit',
    ].join('\n')));
    const { fd } = loadTcProgram(sys, { insns, license: 'GPL' });
    const t = new TcTestRunner(sys);
    t.run(fd, { dataIn: FRAME });
    const padded = new Uint8Array(60);
    padded.set(FRAME);
    t.run(fd, { dataIn: padded });
    const m = sys.map(rb) as RingBufMap;
    expect(m.consume().map((x) => x[0])).toEqual([FRAME.length, 60]);
  });

  const o = bpfOracle();
  describe.skipIf(!o.ok)(`perf_event_output errors against the kernel (kernel: ${o.reason || 'bpf() available'})`, () => {
    it('index beyond max_entries, empty slot, ctx length beyond the packet, ctx length bits beyond the mask', async () => {
      const k = BpfOracle.open();
      try {
        const kmap = must(await k.mapCreate(BPF_MAP_TYPE.PERF_EVENT_ARRAY, 4, 4, 2));
        const sys = tcBpfSyscall();
        const smap = sys.mapCreate({ mapType: BPF_MAP_TYPE.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
        const runner = new TcTestRunner(sys);
        for (const [ctxLen, index] of [[0, 0], [0, 5], [0, 1], [FRAME.length + 1, 0], [0x100000, 0], [FRAME.length, 0], [0, 0xfffffffe]] as const) {
          const kfd = must(await k.progLoad(3, perfProg(kmap, ctxLen, index)));
          const kr = must(await k.testRun(kfd, FRAME, 4096));
          const { fd } = loadTcProgram(sys, { insns: perfProg(smap, ctxLen, index), license: 'GPL' });
          expect(runner.run(fd, { dataIn: FRAME }).retval, `ctxlen ${ctxLen} index ${index}`).toBe(kr.retval >>> 0);
          await k.closeFd(kfd);
        }
      } finally {
        k.close();
      }
    });
  });
});
