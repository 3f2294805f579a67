// Live differential test: random structured programs (test/corpus/random-programs.ts)
// loaded by this machine's kernel and by the verifier must get the same verdict,
// errno and first message line.
import { fc } from '@fast-check/vitest';
import { fuzzRuns, fuzzSeed, kernelVerify, verifyOracle } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '@tcbpf/uapi';
import { verify } from '../src/index.js';
import { kernelMessage } from './corpus/kernel-message.js';
import { program } from './corpus/random-programs.js';

const k = verifyOracle();
describe.skipIf(!k.ok)(`random programs against the live kernel (kernel: ${k.reason})`, () => {
  it('agrees on every sampled program (verdict, errno, first message line)', () => {
    const n = fuzzRuns(300, 3000);
    const samples = fc.sample(program, { numRuns: n, seed: fuzzSeed() });
    const bad: string[] = [];
    let accepted = 0;
    for (const b of samples) {
      const kr = kernelVerify({ insns: b, logLevel: 1 });
      const m = verify(b, { logLevel: 1 });
      const mine = m.ok ? 0 : ERRNO[m.errno as keyof typeof ERRNO];
      const km = kr.errno === 0 ? '' : kernelMessage(kr.log);
      if (kr.errno === 0) accepted++;
      if (mine !== kr.errno || m.message !== km) bad.push(`${Buffer.from(b).toString('hex')}: kernel ${kr.errno} "${km}" mine ${mine} "${m.message}"`);
    }
    process.stdout.write(`random differential: ${samples.length} programs, ${accepted} accepted by the kernel, ${bad.length} disagreements\n`);
    expect(bad).toEqual([]);
  });
});
