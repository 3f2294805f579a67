// Test helpers: build ClassicSkb objects for Ethernet frames the way the
// kernel presents them to a socket filter / cls_bpf (data at the MAC header,
// network header after the link-layer header).
import { Prng } from '@tcbpf/base';
import type { ClassicEnv, ClassicSkb } from '../src/index.js';

export interface SkbOpts {
  headroom?: number;
  pktType?: number;
  ifindex?: number;
  devType?: number;
  mark?: number;
  queueMapping?: number;
  hash?: number;
  vlanPresent?: boolean;
  vlanTci?: number;
  vlanProto?: number;
  protocol?: number;
  networkOffset?: number;
}

/** A ClassicSkb over `frame` (Ethernet from byte 0). */
export function skbOf(frame: Uint8Array, o: SkbOpts = {}): ClassicSkb {
  const headroom = o.headroom ?? 16;
  const buf = new Uint8Array(headroom + frame.length + 8);
  buf.set(frame, headroom);
  const ethertype = frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : 0;
  return {
    buf,
    dataOff: headroom,
    len: frame.length,
    macHeader: headroom,
    networkHeader: headroom + (o.networkOffset ?? 14),
    protocol: o.protocol ?? ethertype,
    pktType: o.pktType ?? 0,
    mark: o.mark ?? 0,
    queueMapping: o.queueMapping ?? 0,
    hash: o.hash ?? 0,
    vlanPresent: o.vlanPresent ?? false,
    vlanTci: o.vlanTci ?? 0,
    vlanProto: o.vlanProto ?? 0,
    ifindex: o.ifindex ?? 1,
    devType: o.devType ?? 772,
  };
}

export function envOf(cpu = 0, seed = 1): ClassicEnv {
  return { cpu, prng: new Prng(seed) };
}

/** Appendix A's frame: 12 zero bytes, 08 00, then byte n = n for n = 14..len-1. */
export function appendixFrame(len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f[12] = 0x08;
  f[13] = 0x00;
  for (let n = 14; n < len; n++) f[n] = n & 0xff;
  return f;
}
