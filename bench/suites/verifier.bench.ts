// Verification time of the clang-compiled corpus programs (the kernel's own
// "verification time" for the same programs is in the fixtures, measured with
// log_level 5 on this machine). Baseline: verifying `r0 = 0; exit`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify, type MapDescriptor } from '@tcbpf/verifier';
import type { BenchGroup } from '../harness.js';

interface Verdict { name: string; hex: string; maps?: MapDescriptor[]; errno: number; processed: number; usec?: number }

function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function groups(): BenchGroup[] {
  const file = join(import.meta.dirname, '..', '..', 'packages', 'verifier', 'test', 'fixtures', 'kernel-verdicts.json');
  const verdicts = (JSON.parse(readFileSync(file, 'utf8')) as Verdict[]).filter((v) => v.name.startsWith('clang-') && v.processed < 900_000);
  const trivial = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
  const out = { sink: 0 };
  return verdicts.map((v) => {
    const bytes = fromHex(v.hex);
    const maps = new Map((v.maps ?? []).map((m, i) => [i, m] as const));
    return {
      suite: 'verifier',
      group: `${v.name.replace(/^clang-/, '').replace(/-tc$/, '')} (${bytes.length / 8} insns, kernel ${v.usec ?? '?'} us)`,
      unit: 'program',
      baseline: { name: 'verify r0=0; exit', fn: () => { out.sink ^= verify(trivial).processed; } },
      tasks: [{ name: `verify (${v.errno === 0 ? 'accepted' : 'refused'})`, fn: () => { out.sink ^= verify(bytes, { maps }).processed; } }],
    };
  });
}
