// Corpus fixtures: the kernel's verdict for every corpus program, committed
// so the agreement test runs without root. Regenerate with gen-fixtures.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Case, conformanceNegatives, corpus } from './cases.js';

/** One kernel verdict. */
export interface Verdict {
  readonly name: string;
  readonly hex: string;
  readonly maps?: Case['maps'];
  readonly license?: string;
  readonly flags?: number;
  /** errno (0 = accepted). */
  readonly errno: number;
  readonly message: string;
  readonly processed: number;
  readonly verifiedInsns: number;
  /** kernel-reported "verification time N usec" at log level 5, clang programs only */
  readonly usec?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Where the fixture file lives. */
export const FIXTURE = join(here, '..', 'fixtures', 'kernel-verdicts.json');
/** bpf_conformance negatives (shared read-only copy). */
export const CONFORMANCE_NEGATIVE = join(here, '..', '..', '..', '..', '..', 'shared', 'conformance', 'bpf_conformance', 'negative');

/** Clang-compiled programs: section bytes extracted from the committed .o files. */
export { clangCases } from './clang.js';

import { clangCases } from './clang.js';

/** Every corpus case: generated, conformance negatives, clang programs. */
export function allCases(): Case[] {
  let conf: Case[];
  try {
    conf = conformanceNegatives(CONFORMANCE_NEGATIVE, (d) => readdirSync(d), (f) => readFileSync(f, 'utf8'));
  } catch {
    conf = [];
  }
  return [...corpus(), ...conf, ...clangCases()];
}

/** The committed kernel verdicts. */
export function loadVerdicts(): Verdict[] {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as Verdict[];
}

/** Hex of program bytes. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
/** Bytes of a hex string. */
export function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}
