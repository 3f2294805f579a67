// Differential test against this machine's kernel (BPF_PROG_LOAD + BPF_PROG_TEST_RUN as
// SCHED_CLS): generated straight-line and branching programs (a third of them also calling a
// generated bpf-to-bpf subprogram) must give the same r0 (all 64 bits) and stack contents, and
// the same program tag, in the kernel and in our engine.
import { Prng, toHex } from '@tcbpf/base';
import { BpfOracle, bpfOracle, fuzzRuns, must } from '@tcbpf/testing';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, encodeInsns, makeProgType, type Insn } from '../src/index.js';
import { RESULT_SIZE, generateProgram, withMapFd } from './gen-programs.js';

const o = bpfOracle();
const SCHED_CLS_LIKE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (test)', ctxSize: 192 });
const FRAME = Uint8Array.from({ length: 64 }, (_, i) => i);
const KEY0 = new Uint8Array(4);

/** Run a generated program in our engine: [r0 low 32 bits, the 72-byte map value]. */
function runOurs(insns: readonly Insn[]): { retval: number; value: Uint8Array; tag: string } {
  const sys = new BpfSyscall({ progTypes: [SCHED_CLS_LIKE] });
  const mapFd = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: RESULT_SIZE, maxEntries: 1 });
  const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: withMapFd(insns, mapFd), license: 'GPL' });
  sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192));
  const st = sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0);
  expect(st).toBe(RUN_STATUS.OK);
  return { retval: sys.interpreter.r0Lo >>> 0, value: sys.mapLookupElem(mapFd, KEY0), tag: sys.prog(fd).tag };
}

describe.skipIf(!o.ok)(`kernel differential: generated programs (kernel: ${o.reason || 'bpf() available'})`, () => {
  let k: BpfOracle;
  let kmap: number;
  beforeAll(async () => {
    k = BpfOracle.open();
    kmap = must(await k.mapCreate(BPF_MAP_TYPE.ARRAY, 4, RESULT_SIZE, 1), 'map_create');
  });
  afterAll(() => k.close());

  const count = fuzzRuns(520, 3000);
  it(`differential fuzz: ${count} random ALU/JMP/memory programs give the same r0, stack and tag as the kernel`, async () => {
    const p = new Prng(0x6eb9f);
    let agreed = 0;
    let tagsAgreed = 0;
    let withCalls = 0;
    for (let n = 0; n < count; n++) {
      const insns = generateProgram(p, kmap, undefined, n % 3 === 2); // every third program calls a subprogram
      const img = encodeInsns(insns);
      const loaded = await k.progLoad(BPF_PROG_TYPE.SCHED_CLS, img);
      if (!loaded.ok) throw new Error(`kernel refused program ${n} (errno ${loaded.errno}): ${loaded.log.split('\n').slice(-3).join(' | ')}`);
      must(await k.mapUpdate(kmap, KEY0, new Uint8Array(RESULT_SIZE)), 'zero map');
      const run = must(await k.testRun(loaded.value, FRAME, 0), 'test_run');
      const kval = must(await k.mapLookup(kmap, KEY0, RESULT_SIZE), 'map_lookup');
      const info = must(await k.progInfo(loaded.value), 'prog_info');
      must(await k.closeFd(loaded.value), 'close');
      const ours = runOurs(insns);
      if (insns.some((i) => i.code === 0x85 && i.src === 1)) withCalls++;
      const same = ours.retval === run.retval && toHex(ours.value) === toHex(kval);
      if (!same) {
        expect({ n, retval: ours.retval, value: toHex(ours.value) }, `program ${n}`).toEqual({ n, retval: run.retval, value: toHex(kval) });
      }
      agreed++;
      expect(ours.tag, `tag of program ${n}`).toBe(info.tag);
      tagsAgreed++;
    }
    expect(agreed).toBe(count);
    expect(tagsAgreed).toBe(count);
    expect(withCalls).toBeGreaterThan(count / 10);
  });
});
