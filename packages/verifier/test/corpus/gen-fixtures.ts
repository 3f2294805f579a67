// Regenerate ../fixtures/kernel-verdicts.json from this machine's kernel
// (root + gcc needed): `cd packages/verifier && npx tsx --conditions=@tcbpf/source test/corpus/gen-fixtures.ts`
import { writeFileSync } from 'node:fs';
import { kernelVerify } from '@tcbpf/testing';
import { FIXTURE, type Verdict, allCases, toHex } from './fixtures.js';
import { kernelMessage, kernelProcessed } from './kernel-message.js';

const out: Verdict[] = [];
for (const c of allCases()) {
  const load = { insns: c.insns, maps: c.maps ?? [], license: c.license ?? 'GPL', progFlags: c.flags ?? 0, logLevel: 5 };
  const k = kernelVerify(load);
  const usec = /verification time (\d+) usec/.exec(k.log);
  out.push({
    name: c.name, hex: toHex(c.insns), ...(c.maps ? { maps: c.maps } : {}), ...(c.license ? { license: c.license } : {}), ...(c.flags ? { flags: c.flags } : {}),
    errno: k.errno, message: k.errno === 0 ? '' : kernelMessage(k.log), processed: kernelProcessed(k.log), verifiedInsns: k.verifiedInsns,
    ...(c.name.startsWith('clang-') && usec ? { usec: Number(usec[1]) } : {}),
  });
}
writeFileSync(FIXTURE, `${JSON.stringify(out, null, 1)}\n`);
process.stdout.write(`${out.length} verdicts written to ${FIXTURE}\n`);
