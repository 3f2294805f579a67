// Models the per-run state of a tc BPF program in Linux 6.18: the sk_buff the
// program runs on (net/core/filter.c, `struct bpf_redirect_info` for
// bpf_redirect/bpf_redirect_peer) and the namespace its helpers look devices
// up in. One instance per kernel instance, reused for every run.
import type { AddressSpace, Cgroup } from '@tcbpf/ebpf';
import type { NetNamespace, SkBuff } from '@tcbpf/skb';
import { SKB_CTX_REGION_SIZE, SkBuffCtx } from './sk-buff-ctx.js';

/** Receives a clone sent by bpf_clone_redirect; returns the helper's result (0, or -errno). */
export type CloneRedirectSink = (skb: SkBuff, ifindex: number, ingress: boolean) => number;

/**
 * Tunnel metadata attached to an sk_buff (`struct ip_tunnel_info` of a
 * metadata dst, include/net/ip_tunnels.h): what bpf_skb_set_tunnel_key writes
 * and bpf_skb_get_tunnel_key reads.
 */
export interface TunnelInfo {
  /** IP_TUNNEL_INFO_IPV6 set in `mode`. */
  ipv6: boolean;
  /** key.tun_id (the low 32 bits the BPF API carries). */
  tunId: number;
  tos: number;
  ttl: number;
  /** IP_TUNNEL_*_BIT mask (bit 0 CSUM, 2 KEY, 3 SEQ, 8 DONT_FRAGMENT, 13 NOCACHE). */
  flags: number;
  /** key.label in host order (IPv6 flow label). */
  label: number;
  /** key.u.ipv4/ipv6 src and dst, network order (4 or 16 bytes used). */
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** Per-run state of SCHED_CLS/SCHED_ACT helpers (`HelperEnv.runCtx`). */
export class SkbRunState {
  readonly ctx: SkBuffCtx;
  readonly mem: AddressSpace;
  /** Namespace of the device the program runs on (device lookups of clone_redirect). */
  ns: NetNamespace | undefined;
  /** bpf_redirect_info.tgt_index of the last bpf_redirect*/
  redirectIfindex = 0;
  /** bpf_redirect_info.flags (BPF_F_INGRESS). */
  redirectFlags = 0;
  /** Set by bpf_redirect_peer. */
  redirectPeer = false;
  /**
   * The cgroup (sk_cgrp_data) of the skb's full socket, or undefined when the
   * skb has none (datapath skbs); BPF_PROG_TEST_RUN sets its fake socket's.
   * Read by bpf_skb_under_cgroup.
   */
  sockCgroup: Cgroup | undefined = undefined;
  /** Where bpf_clone_redirect copies go (default: counted in `clones`, result 0). */
  onCloneRedirect: CloneRedirectSink;
  /** Clones sent by bpf_clone_redirect with the default sink: [ifindex, ingress, bytes]. */
  readonly clones: { readonly ifindex: number; readonly ingress: boolean; readonly frame: Uint8Array }[] = [];

  /** Tunnel metadata per sk_buff (the skb's metadata dst). */
  readonly tunnels = new WeakMap<SkBuff, TunnelInfo>();
  /** Tunnel options of a TunnelInfo (`ip_tunnel_info_opts`: up to 255 bytes and options_len), set by bpf_skb_set_tunnel_opt. */
  readonly tunnelOpts = new WeakMap<TunnelInfo, { readonly bytes: Uint8Array; len: number }>();
  #hashSeed: number | undefined;
  /** The resident packet buffer (see usePacketBuffer); null: runs use the sk_buff's own buffer. */
  #resident: Uint8Array | null = null;
  /** Views of the resident buffer by length (a sk_buff's buffer is replaced by the one of its length). */
  readonly #residentViews = new Map<number, { readonly buf: Uint8Array; readonly view: DataView }>();
  /** The sk_buff's own buffer while the resident one stands in for it (null: not swapped). */
  #ownBuf: Uint8Array | null = null;
  #ownView: DataView | null = null;

  constructor(mem: AddressSpace, skb: SkBuff, ns?: NetNamespace) {
    this.mem = mem;
    // from the address space's allocator: inside a JIT's linear memory when one is installed
    this.ctx = new SkBuffCtx(skb, mem.alloc(SKB_CTX_REGION_SIZE));
    this.ns = ns;
    this.onCloneRedirect = (s, ifindex, ingress) => {
      this.clones.push({ ifindex, ingress, frame: s.buf.slice(s.dataOff, s.dataOff + s.len) });
      return 0;
    };
  }

  /**
   * The flow-hash key (the kernel's per-boot random `hashrnd`): drawn once
   * from the namespace's PRNG (a fixed value without a namespace).
   */
  flowHashSeed(): number {
    this.#hashSeed ??= this.ns === undefined ? 0x2545f491 : this.ns.prng.u32();
    return this.#hashSeed;
  }

  /**
   * Give the runs a packet buffer that lives where the engine reads memory in
   * place (a JIT's linear memory): from then on begin() copies a sk_buff's buffer
   * into it (when it fits) and lets the sk_buff use it for the run, so the packet
   * region is not mirrored; end() copies it back. Helpers that grow the packet
   * beyond it reallocate the sk_buff's buffer as before (then mirrored).
   */
  usePacketBuffer(buf: Uint8Array): void {
    this.#resident = buf;
    this.#residentViews.clear();
  }

  /** Point the state at `skb` and bind ctx and packet regions for a run. */
  begin(skb: SkBuff): void {
    this.ctx.skb = skb;
    this.redirectIfindex = 0;
    this.redirectFlags = 0;
    this.redirectPeer = false;
    if (this.#resident !== null) this.#swapIn(skb);
    this.ctx.load();
    this.ctx.bind(this.mem);
  }

  /** After a run: copy the program's context writes back to the sk_buff. */
  end(): void {
    this.ctx.store();
    if (this.#ownBuf !== null) this.#swapOut(this.ctx.skb);
  }

  #swapIn(skb: SkBuff): void {
    const len = skb.buf.byteLength;
    const res = this.#resident!;
    if (len > res.byteLength) return; // larger than the resident buffer: the sk_buff's own (mirrored)
    let v = this.#residentViews.get(len);
    if (v === undefined) {
      const buf = res.subarray(0, len);
      v = { buf, view: new DataView(buf.buffer, buf.byteOffset, len) };
      if (this.#residentViews.size < 256) this.#residentViews.set(len, v); // bounded: packet sizes of a replay
    }
    v.buf.set(skb.buf);
    this.#ownBuf = skb.buf;
    this.#ownView = skb.view;
    skb.buf = v.buf;
    skb.view = v.view;
  }

  #swapOut(skb: SkBuff): void {
    const own = this.#ownBuf!;
    const res = this.#resident!;
    // still the resident buffer: copy back into the sk_buff's own; reallocated by a helper: keep the new one
    if (skb.buf.buffer === res.buffer && skb.buf.byteOffset === res.byteOffset && skb.buf.byteLength === own.byteLength) {
      own.set(skb.buf);
      skb.buf = own;
      skb.view = this.#ownView!;
    }
    this.#ownBuf = null;
    this.#ownView = null;
  }
}
