// Models the part of kernel/bpf/verifier.c's per-instruction aux data
// (struct bpf_insn_aux_data, Linux 6.18) a JIT consumes: which pointer type a
// memory access was verified for. The x86 JIT trusts the verifier completely;
// this JIT only uses the fact to pick the region without looking it up, and
// keeps an offset check against that region (see compiler.ts provenAddress).
import { REGION } from '@tcbpf/ebpf';

/** The verifier's numbers for the pointer types that name a fixed region. */
export interface RegionRegTypes {
  /** REG_TYPE.PTR_TO_STACK of @tcbpf/verifier. */
  readonly stack: number;
  /** REG_TYPE.PTR_TO_CTX. */
  readonly ctx: number;
  /** REG_TYPE.PTR_TO_PACKET. */
  readonly packet: number;
}

/**
 * Per-instruction proven regions (JitInput.provenRegion) from the verifier's
 * `VerifyResult.accessTypes`: REGION.STACK / CTX / PACKET where every path
 * reached the access with that pointer type, -1 elsewhere (no access, mixed
 * types, map values and other dynamic regions).
 */
export function provenRegions(accessTypes: ArrayLike<number>, types: RegionRegTypes): Int8Array {
  const out = new Int8Array(accessTypes.length).fill(-1);
  for (let i = 0; i < accessTypes.length; i++) {
    const t = accessTypes[i]!;
    out[i] = t === types.stack ? REGION.STACK : t === types.ctx ? REGION.CTX : t === types.packet ? REGION.PACKET : -1;
  }
  return out;
}
