// Models kernel/bpf/verifier.c convert_ctx_accesses() together with
// net/core/filter.c tc_cls_act_convert_ctx_access() (Linux 6.18), for the one
// rewrite a userspace run can observe: `skb->data`, `skb->data_end` and
// `skb->data_meta` are 32-bit fields in `struct __sk_buff` but the program
// must receive 64-bit packet pointers. The kernel replaces each verified
// 4-byte context load of them by an 8-byte load from `struct sk_buff`; here it
// becomes an 8-byte load from a shadow area appended to the context buffer
// (CTX_SHADOW), which the runtime fills with the pointer values. All other
// context accesses read and write the little-endian `__sk_buff` mirror
// unchanged (a narrow load of a mirror returns what the kernel's shift/mask
// sequence returns), so they are left alone. One instruction replaces one, so
// jump offsets stay valid.
import { SKB_OFF } from './prog-types/sched-cls.js';
import type { VerifyResult } from './verifier.js';

/** Where the runtime puts the 64-bit packet pointers after `struct __sk_buff` (192 bytes). */
export const CTX_SHADOW = Object.freeze({ data: 192, data_end: 200, data_meta: 208, SIZE: 216 } as const);

/**
 * Apply the post-verification context rewrite to an accepted program.
 * Returns new instruction bytes (the input is not modified).
 */
export function rewriteCtxAccesses(insnBytes: Uint8Array, result: VerifyResult): Uint8Array {
  if (!result.ok) throw new TypeError('rewriteCtxAccesses needs an accepted program');
  const out = insnBytes.slice();
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const a of result.ctxAccesses) {
    if (a.write || a.size !== 4) continue;
    const target = a.off === SKB_OFF.data ? CTX_SHADOW.data : a.off === SKB_OFF.data_end ? CTX_SHADOW.data_end : a.off === SKB_OFF.data_meta ? CTX_SHADOW.data_meta : -1;
    if (target < 0) continue;
    // LDX MEM W -> LDX MEM DW from the shadow slot (code 0x79), same registers
    dv.setUint8(a.insn * 8, 0x79);
    dv.setInt16(a.insn * 8 + 2, target, true);
  }
  return out;
}
