// The README's table of helpers still refused at load lists exactly the
// helpers Linux 6.18 offers to tc programs that tcbpf does not implement,
// and loading a call to any of them is EINVAL naming it.
import { readFileSync } from 'node:fs';
import { assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { BPF_FUNC } from '@tcbpf/uapi';
import { SCHED_CLS_OPS } from '@tcbpf/verifier';
import { expect, it } from 'vitest';
import { implementedTcHelpers, loadTcProgram, tcBpfSyscall } from '../src/index.js';

it('README: the refused-helper table is the set of offered but unimplemented helpers', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('### Helpers still refused at load');
  const table = readme.slice(start, readme.indexOf('\n\n', readme.indexOf('| helpers | why |', start)));
  const listed = new Set<string>();
  for (const line of table.split('\n').filter((l) => l.startsWith('| `'))) {
    for (const m of line.split(' | ')[0]!.matchAll(/`([a-z0-9_]+)`/g)) listed.add(m[1]!);
  }
  const impl = new Set(implementedTcHelpers());
  const refused = new Set<string>();
  for (const [name, id] of Object.entries(BPF_FUNC)) if (SCHED_CLS_OPS.helper(id) !== undefined && !impl.has(id)) refused.add(name);
  expect([...listed].sort()).toEqual([...refused].sort());
  for (const name of refused) {
    const id = (BPF_FUNC as Readonly<Record<string, number>>)[name]!;
    expect(() => loadTcProgram(tcBpfSyscall(), { insns: encodeInsns(assembleKernel(`call ${id}\nr0 = 0\nexit`)), license: 'GPL' }), name).toThrow(new RegExp(`bpf_${name}#${id} is offered by Linux 6\\.18`));
  }
});
