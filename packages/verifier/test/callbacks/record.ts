// Records this machine's kernel verdict for every callback corpus case into
// kernel-verdicts.json (run as root: pnpm exec tsx packages/verifier/test/callbacks/record.ts).
import { writeFileSync } from 'node:fs';
import { kernelVerifyFunc, kernelVerify, verifyOracle } from '@tcbpf/testing';
import { kernelMessage } from '../corpus/kernel-message.js';
import { CALLBACK_CASES } from './cases.js';

const o = verifyOracle();
if (!o.ok) throw new Error(`kernel oracle unavailable: ${o.reason}`);
const out = CALLBACK_CASES.map((c) => {
  const req = { insns: c.insns, maps: c.maps, logLevel: 1 };
  const k = c.funcs === undefined ? kernelVerify(req) : kernelVerifyFunc({ ...req, funcs: c.funcs });
  return { name: c.name, errno: k.errno, message: k.errno === 0 ? '' : kernelMessage(k.log) };
});
writeFileSync(new URL('./kernel-verdicts.json', import.meta.url), `${JSON.stringify({ kernel: 'Linux 6.18 (this machine)', cases: out }, null, 1)}\n`);
console.log(out.map((x) => `${x.name}: ${x.errno} ${x.message}`).join('\n'));
