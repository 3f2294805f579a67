// The verifier's facts reach the JIT in production: loadTcProgram turns the
// verifier's per-instruction access types into proven regions (stack, ctx, packet),
// returns them and keeps them on a TcBpfSyscall, and TcTestRunner (like cls_bpf)
// compiles with them. Programs compiled with the facts give the interpreter's
// results on every fixture program and random frames.
import { fc, test } from '@fast-check/vitest';
import { REGION } from '@tcbpf/ebpf';
import { JitRuntime } from '@tcbpf/jit';
import { fuzzRuns } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { TcTestRunner, instantiateObject, loadElfObject, loadTcProgram, tcBpfSyscall, type TcBpfSyscall } from '../src/index.js';
import { FIXTURES, readFixture, type FixtureName } from './fixture-objects.js';

const insns = (words: number[]): Uint8Array => new Uint8Array(new Int32Array(words).buffer);

/** A JIT (with facts) and an interpreter runner on two identical instances of `file`. */
function pair(file: FixtureName): { progs: string[]; jit: JitRuntime; run: (name: string, data: Uint8Array) => [string, string] } {
  const obj = loadElfObject(readFixture(file), { fileName: file });
  const mk = (): { sys: TcBpfSyscall; fds: ReadonlyMap<string, number> } => {
    const sys = tcBpfSyscall();
    return { sys, fds: instantiateObject(sys, obj).programs };
  };
  const a = mk(), b = mk();
  const jit = new JitRuntime(a.sys, a.sys.interpreter);
  const rj = new TcTestRunner(a.sys, { jit });
  const ri = new TcTestRunner(b.sys);
  const show = (r: ReturnType<TcTestRunner['run']>): string => `${r.retval} ${Buffer.from(r.dataOut!).toString('hex')} ${Buffer.from(r.ctxOut!).toString('hex')}`;
  return {
    progs: [...a.fds.keys()], jit,
    run: (name, data) => {
      const attr = { dataIn: data, dataSizeOut: 4096, ctxIn: new Uint8Array(192), ctxSizeOut: 192 };
      return [show(rj.run(a.fds.get(name)!, attr)), show(ri.run(b.fds.get(name)!, attr))];
    },
  };
}

describe('verifier facts for the JIT', () => {
  it('loadTcProgram returns and keeps the proven regions of ctx, stack and packet accesses', () => {
    const sys = tcBpfSyscall();
    // r2 = *(u32 *)(r1 +0); *(u64 *)(r10 -8) = r2; r0 = 0; exit
    const res = loadTcProgram(sys, { insns: insns([0x61 | (2 << 8) | (1 << 12), 0, 0x7b | (10 << 8) | (2 << 12) | (-8 << 16), 0, 0xb7, 0, 0x95, 0]), license: 'GPL' });
    expect([...res.provenRegion]).toEqual([REGION.CTX, REGION.STACK, -1, -1]);
    expect(sys.jitFacts(sys.prog(res.fd))?.provenRegion).toBe(res.provenRegion);
  });

  it('every fixture program has facts covering its instructions, with packet accesses where it parses', () => {
    let packetAccesses = 0;
    for (const file of FIXTURES) {
      const obj = loadElfObject(readFixture(file), { fileName: file });
      const sys = tcBpfSyscall();
      for (const [, fd] of instantiateObject(sys, obj).programs) {
        const p = sys.prog(fd);
        const f = sys.jitFacts(p)!.provenRegion!;
        expect(f.length).toBe(p.image.length / 2);
        for (const r of Array.from(f)) if (r === REGION.PACKET) packetAccesses++;
      }
    }
    expect(packetAccesses).toBeGreaterThan(10);
  });

  const pairs: Partial<Record<FixtureName, ReturnType<typeof pair>>> = {};
  for (const file of ['parse_classify.o', 'nat_rewrite.o', 'vlan.o', 'lpm_lru.o'] as const) {
    test.prop([fc.array(fc.uint8Array({ minLength: 60, maxLength: 200 }), { minLength: 1, maxLength: 8 })], { numRuns: fuzzRuns(20, 500) })(
      `fuzz: ${file} compiled with the verifier's facts gives the interpreter's retval, data and ctx on random frames`, (frames) => {
        // one pair for the whole property: both sides see the same sequence of runs (map state included)
        const { progs, jit, run } = (pairs[file] ??= pair(file));
        for (const name of progs) {
          for (const data of frames) {
            // IPv4 ethertype on half the frames so the parsers go deep
            if (data[0]! & 1) { data[12] = 0x08; data[13] = 0x00; data[14] = 0x45; }
            const [j, i] = run(name, data);
            expect(j, `${file} ${name}`).toBe(i);
          }
          expect(jit.lastJited).toBe(true);
        }
      });
  }
});
