// The BPF constants of @tcbpf/uapi (bpf.ts, bpf-helpers.ts) against this machine's
// <linux/bpf.h>, compiled with gcc: every name the installed header has must have the same value.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool } from '@tcbpf/testing';
import { BPF_CMD, BPF_FUNC, BPF_MAP_TYPE, BPF_PROG_TYPE, BPF_MAP_CREATE_FLAG, BPF_UPDATE, BPF_ATOMIC_OP, BPF_PSEUDO } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';

const ok = hasTool('gcc') && spawnSync('sh', ['-c', 'test -f /usr/include/linux/bpf.h']).status === 0;

/** [C expression, our value]. */
function pairs(): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(BPF_MAP_TYPE)) out.push([`BPF_MAP_TYPE_${k}`, v]);
  for (const [k, v] of Object.entries(BPF_PROG_TYPE)) out.push([`BPF_PROG_TYPE_${k}`, v]);
  for (const [k, v] of Object.entries(BPF_CMD)) out.push([`BPF_${k}`, v]);
  for (const [k, v] of Object.entries(BPF_FUNC)) out.push([`BPF_FUNC_${k}`, v]);
  for (const [k, v] of Object.entries(BPF_MAP_CREATE_FLAG)) out.push([`BPF_F_${k}`, v]);
  for (const [k, v] of Object.entries(BPF_UPDATE)) out.push([k === 'F_LOCK' ? 'BPF_F_LOCK' : `BPF_${k}`, v]);
  for (const [k, v] of Object.entries(BPF_ATOMIC_OP)) if (k !== 'LOAD_ACQ' && k !== 'STORE_REL') out.push([`BPF_${k}`, v]);
  out.push(['BPF_PSEUDO_MAP_FD', BPF_PSEUDO.MAP_FD], ['BPF_PSEUDO_MAP_VALUE', BPF_PSEUDO.MAP_VALUE], ['BPF_PSEUDO_CALL', BPF_PSEUDO.CALL], ['BPF_PSEUDO_FUNC', BPF_PSEUDO.FUNC]);
  return out;
}

describe.skipIf(!ok)(`uapi BPF constants equal <linux/bpf.h> (${ok ? 'gcc + header present' : 'gcc or linux/bpf.h missing'})`, () => {
  it('every constant the installed header defines has our value', () => {
    const ps = pairs();
    const dir = mkdtempSync(join(tmpdir(), 'tcbpf-uapi-'));
    try {
      // names the installed (older) header lacks are probed with #ifdef for macros; enum members
      // are checked through a generated list of the header's own names
      const hdr = spawnSync('sh', ['-c', "grep -oE '\\b(BPF_[A-Za-z0-9_]+)\\b' /usr/include/linux/bpf.h | sort -u"], { encoding: 'utf8' }).stdout.split('\n');
      const known = new Set(hdr);
      // helper ids come from the __BPF_FUNC_MAPPER(FN) list (BPF_FUNC_ ## name)
      const fns = spawnSync('sh', ['-c', "grep -oE 'FN\\(([a-z_0-9]+)' /usr/include/linux/bpf.h"], { encoding: 'utf8' }).stdout.split('\n');
      for (const f of fns) if (f.startsWith('FN(')) known.add(`BPF_FUNC_${f.slice(3)}`);
      const present = ps.filter(([n]) => known.has(n));
      const src = ['#include <stdio.h>', '#include <linux/bpf.h>', 'int main(void) {',
        ...present.map(([n]) => `  printf("%s %lld\\n", "${n}", (long long)(${n}));`), '  return 0;', '}'].join('\n');
      writeFileSync(join(dir, 'c.c'), src);
      const cc = spawnSync('gcc', ['-w', '-o', join(dir, 'c'), join(dir, 'c.c')], { encoding: 'utf8' });
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync(join(dir, 'c'), [], { encoding: 'utf8' });
      const got = new Map(run.stdout.trim().split('\n').map((l) => { const [n, v] = l.split(' '); return [n!, Number(v)] as const; }));
      for (const [n, v] of present) expect([n, v]).toEqual([n, got.get(n)]);
      expect(present.length).toBeGreaterThan(300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
