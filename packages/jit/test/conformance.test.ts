// The bpf_conformance corpus (packages/ebpf/test/conformance, MIT/Apache-2.0, see
// its PROVENANCE.md) on the JIT and the interpreter side by side: every file the
// loader accepts must give the same status, registers and memory on both.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assemble, makeProgType, type Insn } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { EquivalenceRunner, JitRuntime } from '../src/index.js';
import { parseData } from './conformance-data.js';

const DIR = join(import.meta.dirname, '..', '..', 'ebpf', 'test', 'conformance', 'tests');
const TYPE = makeProgType({ type: BPF_PROG_TYPE.SOCKET_FILTER, name: 'conformance', ctxSize: 0 });

describe('bpf_conformance corpus: JIT = interpreter', () => {
  for (const resident of [false, true]) {
    it(`every accepted file gives identical results (${resident ? 'resident' : 'mirrored'} memory)`, () => {
      const files = readdirSync(DIR).filter((f) => f.endsWith('.data')).sort();
      let accepted = 0, agreed = 0, expectedOk = 0, loops = 0, dispatched = 0;
      const notJited: string[] = [];
      for (const f of files) {
        const file = parseData(readFileSync(join(DIR, f), 'utf8'));
        let insns: Insn[];
        try {
          insns = file.raw ?? assemble(file.asm ?? '');
        } catch {
          continue;
        }
        const sys = new BpfSyscall({ progTypes: [TYPE] });
        const jit = new JitRuntime(sys, sys.interpreter);
        let fd: number;
        try {
          fd = sys.progLoad({ progType: BPF_PROG_TYPE.SOCKET_FILTER, insns, license: 'GPL' });
        } catch {
          continue;
        }
        accepted++;
        const prog = sys.prog(fd);
        const info = jit.load(prog);
        if (!info.jited) { notJited.push(`${f}: ${info.reason}`); continue; }
        loops += info.image!.loops;
        dispatched += info.image!.dispatched;
        const mem = resident ? jit.alloc(Math.max(file.mem.length, 1)) : new Uint8Array(Math.max(file.mem.length, 1));
        mem.set(file.mem);
        sys.mem.bind(REGION.CTX, 'mem', mem);
        const hi = file.mem.length > 0 ? AddressSpace.hiOf(REGION.CTX) : 0;
        const eq = new EquivalenceRunner(jit).run(prog, hi, 0, 0, file.mem.length);
        expect(eq.difference, f).toBeUndefined();
        agreed++;
        if (eq.status === RUN_STATUS.OK && file.result !== undefined) {
          expect(jit.r0(), f).toBe(file.result);
          expectedOk++;
        }
      }
      expect(notJited).toEqual([]);
      expect(accepted).toBeGreaterThan(250);
      expect(agreed).toBe(accepted);
      console.log(`conformance (${resident ? 'resident' : 'mirrored'}): ${agreed}/${accepted} accepted files identical, ${expectedOk} match the expected result, ${loops} stackified loops, ${dispatched} dispatched back-edge targets`);
    });
  }
});

