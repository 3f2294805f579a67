// Extract the verifier's refusal message (first line) from a kernel log:
// the first line after the last instruction echo that is not a register
// state dump, or the first line when no instruction was echoed.
const ECHO = /^\d+: (\([0-9a-f]{2}\)|BUG_)/;
const STATE = /^(\d+: )?(frame\d+: )?(R\d+(_w)?=|fp-?\d+=|caller:|callee:|returning from callee:|to caller at| )/;

/** The refusal message of a kernel verifier log ('' when there is none). */
export function kernelMessage(log: string): string {
  const lines = log.split('\n').filter((l) => l !== '' && !l.startsWith('processed ') && !l.startsWith('verification time') && !l.startsWith('stack depth'));
  let last = -1;
  lines.forEach((l, i) => {
    if (ECHO.test(l)) last = i;
  });
  for (let i = last + 1; i < lines.length; i++) {
    const l = lines[i]!;
    // a message printed without a newline runs into the statistics text
    if (!STATE.test(l)) return l.replace(/(verification time \d+ usec|processed \d+ insns .*)$/, '');
  }
  return '';
}

/** "processed N insns" of a kernel log, or -1. */
export function kernelProcessed(log: string): number {
  const m = /processed (\d+) insns/.exec(log);
  return m ? Number(m[1]) : -1;
}
