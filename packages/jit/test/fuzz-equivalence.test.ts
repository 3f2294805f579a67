// Equivalence fuzz: random programs the loader accepts, on random packets, run
// on the interpreter and the JIT side by side; no difference may appear.
import { Prng } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, disasmKernel, makeProgType } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { EquivalenceRunner, JitRuntime } from '../src/index.js';
import { factsFor, genProgram } from './gen.js';

const TYPE = makeProgType({ type: BPF_PROG_TYPE.SOCKET_FILTER, name: 'fuzz', ctxSize: 0 });

describe('equivalence fuzz', () => {
  for (const [stackify, count] of [[true, fuzzRuns(1200, 100_000)], [false, fuzzRuns(300, 20_000)]] as const) {
    it(`fuzz: ${count} random accepted programs x packets give identical results (stackify ${stackify})`, () => {
      const p = new Prng(fuzzSeed() ^ (stackify ? 0x5a5a : 0xa5a5));
      const sys = new BpfSyscall({ progTypes: [TYPE] });
      const jit = new JitRuntime(sys, sys.interpreter, { stackify });
      const mapFd = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 16, maxEntries: 2 });
      const eq = new EquivalenceRunner(jit);
      const pktPool = jit.alloc(256);
      const statuses = new Map<number, number>();
      let accepted = 0, refused = 0, loops = 0, dispatched = 0, counted = 0, withFacts = 0;
      while (accepted < count) {
        const pktLen = 14 + p.below(80);
        const insns = genProgram(p, { pktLen, mapFd, valueSize: 16 });
        let fd: number;
        try {
          fd = sys.progLoad({ progType: BPF_PROG_TYPE.SOCKET_FILTER, insns, license: 'GPL' });
        } catch {
          refused++;
          if (refused > count * 4 + 100) throw new Error('generator produces too many refused programs');
          continue;
        }
        accepted++;
        const prog = sys.prog(fd);
        // every other program with the facts a verifier would give (proven stack and packet accesses)
        const facts = accepted % 2 === 0 ? { provenRegion: factsFor(insns, { stack: REGION.STACK, packet: REGION.PACKET }) } : undefined;
        if (facts !== undefined) withFacts++;
        const info = jit.load(prog, facts);
        expect(info.reason, `program ${accepted}`).toBeUndefined();
        loops += info.image!.loops;
        dispatched += info.image!.dispatched;
        counted += info.image!.counted;
        const bytes = p.below(2) === 0 ? pktPool.subarray(0, pktLen) : new Uint8Array(pktLen); // resident or mirrored
        for (let i = 0; i < pktLen; i++) bytes[i] = p.below(256);
        sys.mem.bind(REGION.PACKET, 'packet', bytes);
        const r = eq.run(prog, AddressSpace.hiOf(REGION.PACKET), 0, 0, pktLen);
        if (r.difference !== undefined) {
          expect.fail(`program ${accepted}: ${JSON.stringify(r.difference)}\n${disasmKernel(insns)}`);
        }
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        sys.close(fd);
      }
      expect(eq.differences).toBe(0);
      expect(statuses.get(RUN_STATUS.OK) ?? 0).toBeGreaterThan(count / 10);
      expect(statuses.get(RUN_STATUS.FAULT) ?? 0).toBeGreaterThan(0);
      if (stackify) expect(counted).toBeGreaterThan(0);
      console.log(`equivalence fuzz (stackify ${stackify}): ${accepted} programs (${refused} refused by the loader), statuses ${JSON.stringify([...statuses])}, ${loops} wasm loops (${counted} counted), ${dispatched} dispatched, ${withFacts} compiled with verifier facts`);
    }, 3_600_000);
  }
});
