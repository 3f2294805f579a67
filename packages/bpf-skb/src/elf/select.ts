// Models how tc picks the program to attach from an object (iproute2
// lib/bpf_libbpf.c load_bpf_object and lib/bpf_legacy.c: `sec NAME`, `program
// NAME`, default section "classifier" for cls and "action" for act).
import { kerr } from '@tcbpf/base';
import { BPF_ELF_SECTION } from '@tcbpf/uapi';
import type { BpfObject, BpfProgramSpec } from './bpf-object.js';

/** `tc ... obj FILE [sec NAME] [program NAME] [type cls|act]`. */
export interface ProgramSelector {
  readonly section?: string;
  readonly program?: string;
  readonly type?: 'cls' | 'act';
}

/**
 * The program tc attaches: by program name when given, else the first program
 * of the section (default "classifier" for cls, "action" for act). ENOENT names
 * what was not found.
 */
export function selectProgram(obj: BpfObject, sel: ProgramSelector = {}): BpfProgramSpec {
  if (sel.program !== undefined) {
    const p = obj.programs.find((x) => x.name === sel.program && (sel.section === undefined || x.section === sel.section));
    if (!p) throw kerr('ENOENT', `program "${sel.program}" not found in object "${obj.name}"`, { where: `program "${sel.program}"` });
    return p;
  }
  const sec = sel.section ?? (sel.type === 'act' ? BPF_ELF_SECTION.ACTION : BPF_ELF_SECTION.CLASSIFIER);
  const p = obj.programs.find((x) => x.section === sec);
  if (!p) throw kerr('ENOENT', `section "${sec}" not found in object "${obj.name}"`, { where: `section "${sec}"` });
  return p;
}
