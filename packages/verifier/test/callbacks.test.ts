// Callbacks (bpf_loop, bpf_for_each_map_elem) against Linux 6.18: verdict, errno
// and the refusal line for every program of test/callbacks/cases.ts, compared
// with the kernel's answers recorded in test/callbacks/kernel-verdicts.json
// (record.ts regenerates it) and, when root, with this machine's kernel live
// (the programs are loaded with BTF func_info through the bpf-verify-func harness).
import { kernelVerify, kernelVerifyFunc, verifyOracle } from '@tcbpf/testing';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verify, type MapDescriptor } from '../src/index.js';
import { kernelMessage } from './corpus/kernel-message.js';
import { CALLBACK_CASES, type CallbackCase } from './callbacks/cases.js';

interface Verdict { readonly name: string; readonly errno: number; readonly message: string }
const recorded = (JSON.parse(readFileSync(new URL('./callbacks/kernel-verdicts.json', import.meta.url), 'utf8')) as { cases: Verdict[] }).cases;

/**
 * Programs where tcbpf knowingly differs (docs/kernel-mapping.md, verifier row):
 * it.fails keeps them visible and flags the day they agree.
 */
const DIVERGES: Readonly<Record<string, string>> = {
  // no precision tracking: the kernel marks the counter precise (R0 is checked
  // at callback return) and so does not widen it; tcbpf widens every changed scalar
  'loop-counter-return': 'precision marks are not modelled (widen_imprecise_scalars widens the counter)',
  // Linux 6.18 fails this valid program with EFAULT "verifier bug: No program to jit"
  // after inlining the outer bpf_loop; tcbpf accepts it
  'loop-nested-unknown-counts': 'kernel verifier bug (EFAULT in jit_subprogs after bpf_loop inlining)',
};

const ERRNO: Readonly<Record<string, number>> = { EINVAL: 22, EACCES: 13, E2BIG: 7, EFAULT: 14, ENOTSUPP: 524, EPROTO: 71, EBADF: 9, ENOMEM: 12 };

function mine(c: CallbackCase): Verdict {
  const maps = new Map<number, MapDescriptor>(c.maps.map((m, i) => [i, m]));
  const r = verify(c.insns, { maps, logLevel: 1, ...(c.funcs === undefined ? {} : { funcInfo: c.funcs }) });
  return { name: c.name, errno: r.ok ? 0 : (ERRNO[r.errno] ?? -1), message: r.message };
}

describe('callback corpus: verdicts recorded from the kernel', () => {
  it('covers accepted and refused programs of both helpers', () => {
    expect(recorded.map((v) => v.name)).toEqual(CALLBACK_CASES.map((c) => c.name));
    expect(recorded.filter((v) => v.errno === 0).length).toBeGreaterThanOrEqual(15);
    expect(recorded.filter((v) => v.errno !== 0).length).toBeGreaterThanOrEqual(20);
  });
  for (const c of CALLBACK_CASES) {
    const why = DIVERGES[c.name];
    (why === undefined ? it : it.fails)(`${c.name}: same verdict, errno and message${why === undefined ? '' : ` (known divergence: ${why})`}`, () => {
      const k = recorded.find((v) => v.name === c.name)!;
      expect(mine(c)).toEqual(k);
    });
  }
});

const o = verifyOracle();
describe.skipIf(!o.ok)(`callback corpus: this machine's kernel (kernel: ${o.reason || 'available'})`, () => {
  it('every program gets the same verdict, errno and refusal line live', () => {
    const bad: string[] = [];
    for (const c of CALLBACK_CASES) {
      if (DIVERGES[c.name] !== undefined) continue;
      const req = { insns: c.insns, maps: c.maps, logLevel: 1 };
      const k = c.funcs === undefined ? kernelVerify(req) : kernelVerifyFunc({ ...req, funcs: c.funcs });
      const kv = { name: c.name, errno: k.errno, message: k.errno === 0 ? '' : kernelMessage(k.log) };
      const m = mine(c);
      if (JSON.stringify(kv) !== JSON.stringify(m)) bad.push(`${c.name}: kernel ${kv.errno} "${kv.message}" mine ${m.errno} "${m.message}"`);
    }
    expect(bad).toEqual([]);
  });
});
