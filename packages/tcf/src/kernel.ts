// Models net/core/rtnetlink.c (rtnetlink_rcv_msg dispatch for the tc message
// types), net/netlink/af_netlink.c (netlink_ack with extack TLVs, dump DONE,
// RTNLGRP_TC multicast delivery) and struct net (Linux 6.18): the simulated
// kernel instance that owns namespaces, devices, the clock, the PRNG, the
// registered qdisc/classifier/action kinds and the rtnetlink endpoint.
import { KernelError, Prng, SimClock } from '@tcbpf/base';
import { NLM_F, NLMSG, RTM, RTNLGRP, TCM_IFINDEX_MAGIC } from '@tcbpf/uapi';
import { NlWriter } from './nlattr.js';
import { ExtAck, netlinkAck, netlinkAckError, netlinkDumpDone, nlmsgParse, RTM_TCA_POLICY, TCF_TFILTER_DUMP_POLICY, TCAA_POLICY } from '@tcbpf/netlink';
import { NetNamespace, HOOK, type NetDevice, type SkBuff } from '@tcbpf/skb';
import { NetDev } from './netdev.js';
import { Datapath } from './dev-core.js';
import type { TcObserver } from './tc-observer.js';
import type { Qdisc, QdiscOps } from './sch-generic.js';
import type { TcfChain, TcfBlock} from './cls-api.js';
import { type TcfProtoOps, tcChainFill, tcNewTfilter, tcDelTfilter, tcGetTfilter, tcDumpTfilter, tcCtlChain, tcDumpChain, readTcMsg, parseTca } from './cls-api.js';
import type { TcAction, TcActionOps } from './act-api.js';
import { tcCtlAction } from './act-api.js';
import { tcModifyQdisc, tcGetQdisc, tcDumpQdisc, tcCtlTclass, tcDumpTclass, qdiscCreateDefault, qdiscLookupDev } from './sch-api.js';

/** Kinds available in a kernel instance (like the modules built into a kernel). */
export interface TcKinds {
  readonly qdiscs: readonly QdiscOps[];
  readonly classifiers: readonly TcfProtoOps[];
  readonly actions: readonly TcActionOps[];
}

/** Options of a simulated kernel instance. */
export interface TcKernelOptions {
  readonly kinds: TcKinds;
  readonly clock?: SimClock;
  readonly seed?: number;
}

/** A netlink socket bound to NETLINK_ROUTE in one namespace. */
export class RtnlSocket {
  readonly net: TcNet;
  readonly portid: number;
  /** NETLINK_EXT_ACK (on by default, like iproute2). */
  extAck = true;
  /** NETLINK_CAP_ACK. */
  capAck = false;
  readonly groups = new Set<number>();
  readonly #rx: Uint8Array[] = [];

  constructor(net: TcNet, portid: number) {
    this.net = net;
    this.portid = portid;
  }
  /** Join a multicast group (RTNLGRP_TC = 4 for `tc monitor`). */
  subscribe(group: number): void {
    this.groups.add(group);
  }
  /** Queue a message for this socket. */
  deliver(msg: Uint8Array): void {
    this.#rx.push(msg);
  }
  /** Send one datagram of netlink requests; replies are queued for recv(). */
  send(datagram: Uint8Array): void {
    this.net.rtnetlinkRcv(this, datagram);
  }
  /** Take every queued message (one Uint8Array per netlink message). */
  recv(): Uint8Array[] {
    return this.#rx.splice(0, this.#rx.length);
  }
  /** send() then recv(). */
  request(datagram: Uint8Array): Uint8Array[] {
    this.send(datagram);
    return this.recv();
  }
}

/** One netlink request being processed: header fields and reply sinks. */
export class RtnlRequest {
  readonly sock: RtnlSocket;
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly portid: number;
  readonly msg: Uint8Array;
  /** The request's extended ACK (struct netlink_ext_ack). */
  readonly ext = new ExtAck();
  /** The extack message of a successful request (a warning; TCA_EXT_WARN_MSG in notifications). */
  get warning(): string {
    return this.ext.msg;
  }
  set warning(m: string) {
    this.ext.setMsg(m);
  }
  /** GET with NLM_F_DUMP. */
  get isDump(): boolean {
    return (this.type & 3) === 2 && (this.flags & NLM_F.DUMP) === NLM_F.DUMP;
  }

  constructor(sock: RtnlSocket, msg: Uint8Array, view: DataView) {
    this.sock = sock;
    this.msg = msg;
    this.type = view.getUint16(4, true);
    this.flags = view.getUint16(6, true);
    this.seq = view.getUint32(8, true);
    this.portid = sock.portid;
  }
  /** Unicast to the requester (replies, dumps, echo). */
  unicast(b: Uint8Array): void {
    this.sock.deliver(b);
  }
  /** RTNLGRP_TC multicast (rtnetlink_send without echo). */
  notify(b: Uint8Array): void {
    this.sock.net.multicast(RTNLGRP.TC, b);
  }
}

/** struct net: one network namespace. */
export class TcNet {
  readonly kernel: TcKernel;
  readonly name: string;
  /** tc state of every device, by ifindex. */
  readonly devs = new Map<number, NetDev>();
  readonly sharedBlocks = new Map<number, TcfBlock>();
  /** Per-kind action IDRs (tc_action_net). */
  readonly actions = new Map<string, Map<number, TcAction>>();
  readonly sockets: RtnlSocket[] = [];
  /** The device layer (@tcbpf/skb). */
  readonly ns: NetNamespace;
  /** The extack of the request being processed (handlers that pass one to a policy parse use it). */
  curExt: ExtAck | null = null;
  /** Datapath state of the (single modelled) CPU. */
  atIngress = false;
  mirredNest = 0;
  reclassifyLoops = 0;
  /** The packet path (hooks, qdiscs). */
  readonly datapath = new Datapath();
  /** Sees every classifier and action run in this namespace (tracing); null: none. */
  observer: TcObserver | null = null;
  /**
   * skb_do_redirect for TC_ACT_REDIRECT verdicts: the BPF layer above replaces
   * this; the core alone has no redirect target, so the packet is freed.
   */
  skbDoRedirect: (skb: SkBuff, atIngress: boolean) => number = (skb, atIngress) => {
    this.ns.dropSkb(skb, atIngress ? 'TC_INGRESS' : 'TC_EGRESS');
    return HOOK.CONSUMED;
  };

  constructor(kernel: TcKernel, name: string) {
    this.kernel = kernel;
    this.name = name;
    this.ns = new NetNamespace({ clock: kernel.clock, prng: kernel.prng, name });
    this.adopt(this.ns.loopback);
  }

  /** Attach tc state (default noqueue root, hooks) to a device of the namespace. */
  adopt(dev: NetDevice): NetDev {
    const existing = this.devs.get(dev.ifindex);
    if (existing) return existing;
    const nd = new NetDev(this, dev);
    nd.qdisc = qdiscCreateDefault(this, nd);
    dev.tcState = nd;
    this.devs.set(dev.ifindex, nd);
    this.datapath.attach(nd);
    return nd;
  }
  /** `ip link add NAME type veth peer name PEER` (the peer gets the lower ifindex), both up. Returns [dev, peer]. */
  addVethPair(name: string, peerName: string): [NetDev, NetDev] {
    const [dev, peer] = this.ns.addVeth(name, peerName);
    dev.setUp(true);
    peer.setUp(true);
    return [this.adopt(dev), this.adopt(peer)];
  }
  /** `ip link add NAME type dummy`, up. */
  addDummy(name: string): NetDev {
    const dev = this.ns.addDummy(name);
    dev.setUp(true);
    return this.adopt(dev);
  }
  devByName(name: string): NetDev | undefined {
    const d = this.ns.getByName(name);
    return d ? this.devs.get(d.ifindex) : undefined;
  }

  /** Open a NETLINK_ROUTE socket; portids are assigned from the kernel's counter. */
  socket(): RtnlSocket {
    const s = new RtnlSocket(this, this.kernel.allocPortid());
    this.sockets.push(s);
    return s;
  }

  qdiscLookup(dev: NetDev, handle: number): Qdisc | null {
    return qdiscLookupDev(dev, handle);
  }

  multicast(group: number, msg: Uint8Array): void {
    for (const s of this.sockets) if (s.groups.has(group)) s.deliver(msg);
  }

  /** tc_chain_notify with portid 0, seq 0. */
  chainNotify(chain: TcfChain, event: number, flags: number, _unused: null): void {
    const w = new NlWriter();
    tcChainFill(w, chain, 0, 0, flags, event);
    this.multicast(RTNLGRP.TC, w.bytes());
  }

  /** netlink_rcv_skb: every message of the datagram in turn. */
  rtnetlinkRcv(sock: RtnlSocket, dg: Uint8Array): void {
    let off = 0;
    while (off + NLMSG.HDRLEN <= dg.length) {
      const view = new DataView(dg.buffer, dg.byteOffset + off, dg.length - off);
      const len = view.getUint32(0, true);
      if (len < NLMSG.HDRLEN || len > dg.length - off) return;
      const msg = dg.slice(off, off + len);
      this.#rcvMsg(sock, msg);
      off += (len + 3) & ~3;
    }
  }

  #rcvMsg(sock: RtnlSocket, msg: Uint8Array): void {
    const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    const req = new RtnlRequest(sock, msg, view);
    if (!(req.flags & NLM_F.REQUEST) || req.type < NLMSG.MIN_TYPE) return;
    const opts = { portid: req.portid, capAck: sock.capAck, extAck: sock.extAck };
    this.curExt = req.ext;
    try {
      this.#process(req, view, opts);
    } finally {
      this.curExt = null;
    }
  }

  #process(req: RtnlRequest, view: DataView, opts: { portid: number; capAck: boolean; extAck: boolean }): void {
    const msg = req.msg;
    if (isDump(req)) {
      // netlink_dump: a failing dumpit ends the dump with its errno in NLMSG_DONE
      let code = 0;
      try {
        this.#validate(req);
        this.#dispatch(req, view);
      } catch (e) {
        if (!KernelError.isInstance(e)) throw e;
        req.ext.adopt(e);
        code = e.negErrno;
      }
      req.unicast(netlinkDumpDone(req.seq, code, code === 0 ? null : req.ext, opts));
      return;
    }
    let err: KernelError | null = null;
    try {
      this.#validate(req);
      this.#dispatch(req, view);
    } catch (e) {
      if (!KernelError.isInstance(e)) throw e;
      err = e;
    }
    if (err !== null) {
      req.unicast(netlinkAckError(msg, err, req.ext, opts));
      return;
    }
    if (req.flags & NLM_F.ACK) req.unicast(netlinkAck(msg, 0, req.ext, opts));
  }

  /** The top-level parse each handler starts with (nlmsg_parse_deprecated with its policy and the extack). */
  #validate(req: RtnlRequest): void {
    const t = req.type;
    if (t === RTM.NEWACTION || t === RTM.DELACTION || t === RTM.GETACTION) {
      // RTM_{NEW,DEL,GET}ACTION parse their top level with a NULL policy; the dump uses tcaa_policy
      if (req.isDump) nlmsgParse(req.msg, 0, 4, TCAA_POLICY, 'deprecated', req.ext);
      return;
    }
    if (t === RTM.GETTCLASS && req.isDump) return;
    if (t === RTM.GETTFILTER && req.isDump) {
      if (req.msg.length < 16 + 20) return; // tc_dump_tfilter: too short → empty dump
      nlmsgParse(req.msg, 0, 20, TCF_TFILTER_DUMP_POLICY, 'deprecated', req.ext);
      return;
    }
    const isTc = t === RTM.NEWQDISC || t === RTM.DELQDISC || t === RTM.GETQDISC || t === RTM.NEWTCLASS || t === RTM.DELTCLASS || t === RTM.GETTCLASS || t === RTM.NEWTFILTER || t === RTM.DELTFILTER || t === RTM.GETTFILTER || t === RTM.NEWCHAIN || t === RTM.DELCHAIN || t === RTM.GETCHAIN;
    if (isTc) nlmsgParse(req.msg, 0, 20, RTM_TCA_POLICY, 'deprecated', req.ext);
  }

  #dispatch(req: RtnlRequest, view: DataView): void {
    const t = req.type;
    const isTc = t === RTM.NEWQDISC || t === RTM.DELQDISC || t === RTM.GETQDISC || t === RTM.NEWTCLASS || t === RTM.DELTCLASS || t === RTM.GETTCLASS || t === RTM.NEWTFILTER || t === RTM.DELTFILTER || t === RTM.GETTFILTER || t === RTM.NEWCHAIN || t === RTM.DELCHAIN || t === RTM.GETCHAIN;
    if (t === RTM.NEWACTION || t === RTM.DELACTION || t === RTM.GETACTION) {
      if (req.msg.length < 16 + 4) throw new KernelError('EINVAL', 'Invalid header length');
      tcCtlAction(this, req);
      return;
    }
    if (!isTc) throw new KernelError('EOPNOTSUPP');
    if (req.msg.length < 16 + 20) throw new KernelError('EINVAL', 'Invalid header length');
    const tcm = readTcMsg(view, 16);
    const tca = parseTca(req.msg, req.msg.length);
    if (isDump(req)) {
      if (t === RTM.GETQDISC) tcDumpQdisc(this, req, tcm, tca);
      else if (t === RTM.GETTCLASS) tcDumpTclass(this, req, tcm);
      else if (t === RTM.GETTFILTER) tcDumpTfilter(this, req, tcm, tca);
      else if (t === RTM.GETCHAIN) tcDumpChain(this, req, tcm);
      else throw new KernelError('EOPNOTSUPP');
      return;
    }
    switch (t) {
      case RTM.NEWQDISC:
        return tcModifyQdisc(this, req, tcm, tca);
      case RTM.DELQDISC:
      case RTM.GETQDISC:
        return tcGetQdisc(this, req, tcm, tca);
      case RTM.NEWTCLASS:
      case RTM.DELTCLASS:
      case RTM.GETTCLASS:
        return tcCtlTclass(this, req, tcm, tca);
      case RTM.NEWTFILTER:
        return tcNewTfilter(this, req, tcm, tca);
      case RTM.DELTFILTER:
        return tcDelTfilter(this, req, tcm, tca);
      case RTM.GETTFILTER:
        return tcGetTfilter(this, req, tcm, tca);
      default:
        return tcCtlChain(this, req, tcm, tca);
    }
  }
}

function isDump(req: RtnlRequest): boolean {
  return (req.type & 3) === 2 && (req.flags & NLM_F.DUMP) === NLM_F.DUMP;
}

/** The simulated kernel: namespaces, clock, PRNG, CPU id and registered kinds. */
export class TcKernel {
  readonly clock: SimClock;
  readonly prng: Prng;
  /** smp_processor_id() of the modelled single CPU. */
  readonly cpu = 0;
  readonly #qdiscs = new Map<string, QdiscOps>();
  readonly #cls = new Map<string, TcfProtoOps>();
  readonly #acts = new Map<string, TcActionOps>();
  readonly nets: TcNet[] = [];
  #portid = 100;

  constructor(opts: TcKernelOptions) {
    this.clock = opts.clock ?? new SimClock();
    this.prng = new Prng(opts.seed ?? 0x5eed);
    for (const q of opts.kinds.qdiscs) this.#qdiscs.set(q.id, q);
    for (const c of opts.kinds.classifiers) this.#cls.set(c.kind, c);
    for (const a of opts.kinds.actions) this.#acts.set(a.kind, a);
  }

  /** A new network namespace with a loopback device (ifindex 1). */
  addNet(name = `net${this.nets.length}`): TcNet {
    const net = new TcNet(this, name);
    this.nets.push(net);
    return net;
  }
  /**
   * Advance the simulated clock and run every root qdisc (the qdisc watchdog
   * firing): shaped packets whose tokens are now available are sent.
   */
  advance(ns: number): void {
    this.clock.advance(ns);
    for (const net of this.nets) for (const nd of net.devs.values()) if (nd.qdisc.stats.qlen > 0) net.datapath.run(nd);
  }
  qdiscOps(kind: string): QdiscOps | undefined {
    return this.#qdiscs.get(kind);
  }
  clsOps(kind: string): TcfProtoOps | undefined {
    return this.#cls.get(kind);
  }
  actOps(kind: string): TcActionOps | undefined {
    return this.#acts.get(kind);
  }
  allocPortid(): number {
    return this.#portid++;
  }
  #autohandle = 0x80000000;
  /** qdisc_alloc_handle: the next free 8001:-style handle (the kernel's counter is global). */
  allocQdiscHandle(dev: NetDev): number {
    for (let i = 0; i < 0x10000; i++) {
      this.#autohandle = (this.#autohandle + 0x10000) >>> 0;
      if (this.#autohandle === 0xffff0000) this.#autohandle = 0x80000000;
      if (!qdiscLookupDev(dev, this.#autohandle)) return this.#autohandle;
    }
    throw new KernelError('ENOMEM');
  }
}

export { TCM_IFINDEX_MAGIC };
