// Models net/core/filter.c (Linux 6.18) bpf_convert_ctx_access /
// tc_cls_act_convert_ctx_access for `struct __sk_buff` (include/uapi/linux/bpf.h):
// the 192-byte context a SCHED_CLS/SCHED_ACT program sees, kept here as a
// little-endian mirror of the sk_buff that is filled before a run and whose
// writable fields are copied back afterwards (the kernel's rewritten loads and
// stores touch the sk_buff directly; the observable result is the same).
// Packet pointers (data, data_end, data_meta) live in the shadow slots after
// the 192 bytes (CTX_SHADOW of @tcbpf/verifier), where the verifier's rewrite
// points the program's 4-byte loads.
import { AddressSpace, REGION } from '@tcbpf/ebpf';
import type { SkBuff } from '@tcbpf/skb';
import { CTX_SHADOW, SKB_OFF } from '@tcbpf/verifier';

/** Bytes of the context region: `struct __sk_buff` plus the packet-pointer shadow slots. */
export const SKB_CTX_REGION_SIZE = CTX_SHADOW.SIZE;

/** `struct __sk_buff` field offsets (include/uapi/linux/bpf.h). Re-exported from @tcbpf/verifier. */
export { SKB_OFF };

const O = SKB_OFF;
const PKT_HI = AddressSpace.hiOf(REGION.PACKET);

function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

/**
 * The context of one kernel instance's SCHED_CLS runs: the mirror bytes, a
 * DataView over them, and the sk_buff they describe. Reused for every run.
 */
export class SkBuffCtx {
  /** `__sk_buff` (192 bytes) + shadow pointers; bound as REGION.CTX. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  skb: SkBuff;

  /**
   * @param bytes storage for the context (SKB_CTX_REGION_SIZE bytes, e.g. from
   *   AddressSpace.alloc so a JIT reaches it in place); a new array when omitted
   */
  constructor(skb: SkBuff, bytes?: Uint8Array) {
    this.skb = skb;
    if (bytes !== undefined && bytes.byteLength !== SKB_CTX_REGION_SIZE) throw new RangeError(`sk_buff ctx storage must be ${SKB_CTX_REGION_SIZE} bytes`);
    this.bytes = bytes ?? new Uint8Array(SKB_CTX_REGION_SIZE);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** Bind the ctx and the sk_buff's buffer (as the packet region) into `mem`. */
  bind(mem: AddressSpace): void {
    mem.bind(REGION.CTX, 'ctx', this.bytes, true, this.view);
    this.bindPacket(mem);
  }

  /**
   * Bind the packet region to the sk_buff's current buffer and refresh the
   * data/data_end/data_meta pointers (after any helper that changes the packet).
   * The whole buffer is the region so that headroom/tailroom moves keep offsets;
   * the verifier's range proofs keep programs inside [data, data_end).
   */
  bindPacket(mem: AddressSpace): void {
    const skb = this.skb;
    mem.bind(REGION.PACKET, 'packet', skb.buf, true, skb.view);
    const v = this.view;
    const data = skb.dataOff;
    v.setUint32(CTX_SHADOW.data, data, true);
    v.setInt32(CTX_SHADOW.data + 4, PKT_HI, true);
    v.setUint32(CTX_SHADOW.data_end, data + skb.len - skb.dataLen, true);
    v.setInt32(CTX_SHADOW.data_end + 4, PKT_HI, true);
    v.setUint32(CTX_SHADOW.data_meta, data, true);
    v.setInt32(CTX_SHADOW.data_meta + 4, PKT_HI, true);
    // the 32-bit fields themselves read as the pointers' low halves
    v.setUint32(O.data, data, true);
    v.setUint32(O.data_end, data + skb.len - skb.dataLen, true);
    v.setUint32(O.data_meta, data, true);
  }

  /** Fill every readable field from the sk_buff (before a run, after skb-changing helpers). */
  load(): void {
    const s = this.skb;
    const v = this.view;
    v.setUint32(O.len, s.len, true);
    v.setUint32(O.pkt_type, s.pktType, true);
    v.setUint32(O.mark, s.mark, true);
    v.setUint32(O.queue_mapping, s.queueMapping, true);
    v.setUint32(O.protocol, bswap16(s.protocol), true);
    v.setUint32(O.vlan_present, s.vlanPresent ? 1 : 0, true);
    v.setUint32(O.vlan_tci, s.vlanTci, true);
    v.setUint32(O.vlan_proto, bswap16(s.vlanProto), true);
    v.setUint32(O.priority, s.priority, true);
    v.setUint32(O.ingress_ifindex, s.ingressIfindex, true);
    v.setUint32(O.ifindex, s.ifindex, true);
    v.setUint32(O.tc_index, s.tcIndex, true);
    this.bytes.set(s.cb, O.cb);
    v.setUint32(O.hash, s.hash, true);
    v.setUint32(O.tc_classid, s.tcClassid, true);
    v.setUint32(O.napi_id, s.napiId, true);
    setU64(v, O.tstamp, s.tstamp);
    v.setUint32(O.wire_len, s.qdiscPktLen, true);
    v.setUint32(O.gso_segs, s.gsoSegs, true);
    setU64(v, O.sk, 0);
    v.setUint32(O.gso_size, s.gsoSize, true);
    v.setUint32(O.tstamp_type, s.tstampType & 3, true);
    setU64(v, O.hwtstamp, s.hwtstamp);
  }

  /**
   * Copy the fields a program may write back to the sk_buff (mark, priority,
   * tc_index, cb, tc_classid, queue_mapping, tstamp), as the kernel's
   * rewritten stores do. queue_mapping writes of 0xffff or more are ignored
   * (NO_QUEUE_MAPPING); tc_index and tc_classid are u16 in the kernel.
   */
  store(): void {
    const s = this.skb;
    const v = this.view;
    s.mark = v.getUint32(O.mark, true);
    s.priority = v.getUint32(O.priority, true);
    s.tcIndex = v.getUint32(O.tc_index, true) & 0xffff;
    const cb = s.cb;
    const b = this.bytes;
    for (let i = 0; i < 20; i++) cb[i] = b[O.cb + i]!; // (a subarray view would allocate per run)
    s.tcClassid = v.getUint32(O.tc_classid, true) & 0xffff;
    const qm = v.getUint32(O.queue_mapping, true);
    if (qm < 0xffff) s.queueMapping = qm;
    s.tstamp = getU64(v, O.tstamp);
  }
}

function setU64(v: DataView, off: number, n: number): void {
  v.setUint32(off, n >>> 0, true);
  v.setUint32(off + 4, Math.floor(n / 0x100000000) >>> 0, true);
}

function getU64(v: DataView, off: number): number {
  return v.getUint32(off + 4, true) * 0x100000000 + v.getUint32(off, true);
}
