// Compare this verifier with the committed kernel verdicts (used by the
// agreement test and runnable by hand to list disagreements).
import { ERRNO } from '@tcbpf/uapi';
import { verify } from '../../src/index.js';
import { type Verdict, fromHex } from './fixtures.js';

/** One comparison. */
export interface Agreement {
  readonly name: string;
  readonly verdict: boolean;
  readonly errno: boolean;
  readonly message: boolean;
  readonly kernel: string;
  readonly mine: string;
}

/** Verify one fixture program and compare verdict, errno and first message line. */
export function compareOne(v: Verdict): Agreement {
  const maps = new Map((v.maps ?? []).map((m, i) => [i, m] as const));
  const r = verify(fromHex(v.hex), { maps, license: v.license ?? 'GPL', progFlags: v.flags ?? 0, logLevel: 1 });
  const myErrno = r.ok ? 0 : (ERRNO[r.errno as keyof typeof ERRNO] ?? (r.errno === 'ENOTSUPP' ? 524 : -1));
  return {
    name: v.name, verdict: r.ok === (v.errno === 0), errno: myErrno === v.errno, message: r.message === v.message,
    kernel: `${v.errno} ${v.message}`, mine: `${myErrno} ${r.message}`,
  };
}
