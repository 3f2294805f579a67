// Fuzz and soak sizes: small in the default run (CI), full with `pnpm fuzz`
// (TCBPF_FUZZ=full). Closing notes quote the full-size figures.

/** True when the full-size fuzz run was asked for. */
export function fuzzFull(): boolean {
  return process.env['TCBPF_FUZZ'] === 'full';
}

/** `ci` iterations normally, `full` under `pnpm fuzz`. */
export function fuzzRuns(ci: number, full: number): number {
  return fuzzFull() ? full : ci;
}

/** The fast-check seed: fixed unless TCBPF_FUZZ_SEED is set, so CI runs are reproducible. */
export function fuzzSeed(): number {
  const s = process.env['TCBPF_FUZZ_SEED'];
  return s === undefined ? 0x7cbf : Number(s);
}
