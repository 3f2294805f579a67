// Models iproute2 6.1 (not kernel code) lib/bpf_legacy.c bpf_dump_prog_info as
// `tc filter show` uses it after an eBPF cls_bpf filter (f_bpf.c bpf_print_opt,
// TCA_BPF_ID present): the program's id, then from BPF_OBJ_GET_INFO_BY_FD its
// name (when set), tag and "jited" when jited_prog_len is not 0.
import type { ClsBpfProgShow } from './cls-bpf.js';

/**
 * The text `tc filter show` prints for an eBPF filter's program (plain output,
 * no `-d`), e.g. `id 7 name classify tag 6d166b12f0f021d9 jited `; only
 * `id N ` when the program cannot be looked up (`show` undefined).
 */
export function progInfoText(id: number, show: ClsBpfProgShow | undefined): string {
  let s = `id ${id >>> 0} `;
  if (show === undefined) return s;
  if (show.name !== '') s += `name ${show.name} `;
  s += `tag ${show.tag} `;
  if (show.jited) s += 'jited ';
  return s;
}
