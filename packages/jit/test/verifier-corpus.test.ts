// The verifier corpus (packages/verifier/test/fixtures/kernel-verdicts.json: programs
// with Linux 6.18's verdicts) on the interpreter and the JIT side by side. Every
// program the structural loader of @tcbpf/ebpf accepts (accepted or not by the
// kernel verifier: the JIT must be safe on its own) gives identical results.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '@tcbpf/base';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, decodeInsns, makeProgType } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { EquivalenceRunner, JitRuntime } from '../src/index.js';

interface Verdict { readonly name: string; readonly hex: string; readonly errno: number }
const CORPUS = join(import.meta.dirname, '..', '..', 'verifier', 'test', 'fixtures', 'kernel-verdicts.json');
const TYPE = makeProgType({
  type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (jit test)', ctxSize: 192,
  ldPacket: (env, off, size) => {
    const r = env.kernel.mem.region(REGION.PACKET);
    if (r === undefined || off < 0 || off + size > r.bytes.byteLength) return -1;
    return size === 1 ? r.view.getUint8(off) : size === 2 ? r.view.getUint16(off, false) : r.view.getUint32(off, false);
  },
});

describe('verifier corpus: JIT = interpreter', () => {
  it('every program the loader accepts gives identical status, registers and memory', () => {
    const corpus = JSON.parse(readFileSync(CORPUS, 'utf8')) as Verdict[];
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    sys.interpreter.budget = 1 << 18; // the corpus has infinite loops; both engines stop with BUDGET
    const jit = new JitRuntime(sys, sys.interpreter);
    const eq = new EquivalenceRunner(jit, () => sys.prng.reseed(0x1234));
    const ctx = jit.alloc(192);
    const pkt = jit.alloc(64);
    let accepted = 0, kernelAccepted = 0;
    const statuses = new Map<number, number>();
    for (const v of corpus) {
      let fd: number;
      try {
        fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: decodeInsns(fromHex(v.hex)), license: 'GPL' });
      } catch {
        continue;
      }
      accepted++;
      if (v.errno === 0) kernelAccepted++;
      const prog = sys.prog(fd);
      expect(jit.load(prog).reason, v.name).toBeUndefined();
      for (let i = 0; i < 64; i++) pkt[i] = (i * 37 + 11) & 0xff;
      ctx.fill(0);
      sys.mem.bind(REGION.CTX, 'ctx', ctx);
      sys.mem.bind(REGION.PACKET, 'packet', pkt);
      const r = eq.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
      expect(r.difference, v.name).toBeUndefined();
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      sys.close(fd);
    }
    expect(accepted).toBeGreaterThan(100);
    expect(statuses.get(RUN_STATUS.OK) ?? 0).toBeGreaterThan(0);
    console.log(`verifier corpus: ${accepted} of ${corpus.length} programs loaded (${kernelAccepted} accepted by the kernel verifier), all identical; statuses ${JSON.stringify([...statuses])}`);
  });
});
