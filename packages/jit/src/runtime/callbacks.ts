// Models the kernel's bpf_prog_select_runtime() choice for programs with
// callbacks (Linux 6.18): tcbpf's WebAssembly compiler does not compile
// BPF_PSEUDO_FUNC callbacks (bpf_loop, bpf_for_each_map_elem), so such
// programs stay on the interpreter, which runs callbacks, and report
// jited=false with this reason (issue 9: "interpreter as fallback for anything
// the compiler cannot handle, reported").

/** Why a program must stay on the interpreter because of callbacks, or undefined. `image`: the program's int32 pairs. */
export function callbackFallbackReason(image: Int32Array): string | undefined {
  for (let i = 0; i + 1 < image.length; i += 2) {
    const w = image[i]!;
    if ((w & 0xff) !== 0x18) continue;
    if (((w >>> 12) & 0xf) === 4) return `callbacks (BPF_PSEUDO_FUNC at insn ${i >> 1}) run on the interpreter`;
    i += 2;
  }
  return undefined;
}
