// Test support: reads a bpf_conformance `.data` file (sections `-- asm`, `-- raw`,
// `-- mem`, `-- result`, `-- error`; see packages/ebpf/test/conformance/FORMAT.txt).
import { insn, type Insn } from '@tcbpf/ebpf';

/** One parsed file. */
export interface DataFile {
  readonly asm: string | undefined;
  readonly raw: Insn[] | undefined;
  readonly mem: Uint8Array;
  readonly result: bigint | undefined;
}

export function parseData(text: string): DataFile {
  const sections = new Map<string, string[]>();
  let cur: string | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*$/, '');
    const m = /^\s*--\s*(.*)$/.exec(line);
    if (m) { cur = m[1]!.trim().toLowerCase(); sections.set(cur, []); continue; }
    if (cur !== undefined) sections.get(cur)!.push(line);
  }
  let raw: Insn[] | undefined;
  const rawLines = sections.get('raw');
  if (rawLines) {
    raw = [];
    for (const t of rawLines.join(' ').trim().split(/\s+/).filter((x) => x !== '')) {
      const v = BigInt(t);
      const lo = Number(v & 0xffffffffn), hi = Number((v >> 32n) & 0xffffffffn);
      raw.push(insn(lo & 0xff, (lo >> 8) & 0xf, (lo >> 12) & 0xf, ((lo >>> 16) << 16) >> 16, hi | 0));
    }
  }
  const memToks = (sections.get('mem') ?? []).join(' ').trim().split(/\s+/).filter((t) => t !== '');
  const res = sections.get('result')?.join(' ').trim();
  return {
    asm: sections.get('asm')?.join('\n'),
    raw,
    mem: new Uint8Array(memToks.map((t) => parseInt(t, 16))),
    result: res ? BigInt.asUintN(64, BigInt(res)) : undefined,
  };
}
