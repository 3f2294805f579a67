// The scenario runner of `tcbpf run`: a text file of ip/tc commands and
// simulation verbs executed against a simulated Linux 6.18 kernel
// (@tcbpf/tcf over @tcbpf/skb). Models the command-line side of iproute2 6.1
// (ip/iplink.c for `ip link add|set|del`, `ip netns add|exec`; ip-command.ts
// for `ip addr|route|neigh` and sysctl; netdevsim-control.ts for the netdevsim
// files and ethtool) and, for the datapath, net/core/dev.c as the tcf and skb
// packages implement it, cls_bpf (@tcbpf/cls-bpf) on one bpf() per kernel with
// tc's `obj` loading (iproute2 lib/bpf_libbpf.c), the IPv4 layer of
// ipv4-input.ts and netdevsim ports' hardware path (@tcbpf/offload-sim).
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { KernelError } from '@tcbpf/base';
import { BpfFs, instantiateObject, loadElfObject, selectProgram, tcBpfSyscall, type BpfObject, type BpfProgramSpec } from '@tcbpf/bpf-skb';
import { createClsBpfOps, type ClsBpfHead } from '@tcbpf/cls-bpf';
import type { BpfSyscall } from '@tcbpf/ebpf';
import { HOOK, PcapWriter, SkBuff, readCaptureFile, type DropReason, type NetDevice } from '@tcbpf/skb';
import { AF, ERRNO_TEXT } from '@tcbpf/uapi';
import { ipAddr, ipNeigh, ipRoute, parseMac, sysctlWrite } from './ip-command.js';
import { Ipv4Input, type Ipv4DropReason } from './ipv4-input.js';
import { NetdevsimControl } from './netdevsim-control.js';
import { TCF_ALL_KINDS, TcClient, TcKernel, type TcKinds, type TcNet, type TcObserver, type TcfProto } from '@tcbpf/tcf';
import { Args, UsageError, splitWords } from './iproute2/args.js';
import { execTc, parseTc } from './iproute2/tc.js';
import { execBpftool } from './bpftool.js';
import type { TcEnv } from './iproute2/tc-action.js';
import { sprintTcClassid } from './iproute2/tc-util.js';

/** One line of the per-packet trace (JSON lines). */
export interface TraceEntry {
  readonly pkt: number;
  readonly ns: string;
  readonly dev: string;
  readonly event: 'rx' | 'tx' | 'ingress' | 'egress' | 'filter' | 'action' | 'deliver' | 'forward' | 'drop' | 'hw';
  /** forward events: the output device and the gateway (absent for a directly connected destination). */
  readonly out?: string;
  readonly via?: string;
  readonly len: number;
  /** tc hook verdict (ingress/egress events): pass, drop, consumed (stolen/redirected/queued). */
  readonly verdict?: string;
  /** skb->priority at transmission (the class htb/prio pick from it), as tc prints a classid. */
  readonly priority?: string;
  /** skb->tc_index after the ingress hook (the classid the classifier returned). */
  readonly classid?: string;
  /** filter events: the classifier kind, the filter's priority and chain; action events: the action kind. */
  readonly kind?: string;
  /** bpf filter events: the program (`NAME id N` of an eBPF program, `classic N insns`). */
  readonly prog?: string;
  /** action events: the action's index. */
  readonly index?: number;
  readonly prio?: number;
  readonly chain?: number;
  /** filter events: the TC_ACT_* result after its actions (`unspec`: no match, try the next filter); for a direct-action bpf filter, the program's return value. */
  readonly result?: string;
  /** Drop reason, as the kernel's SKB_DROP_REASON_* name suffix. */
  readonly reason?: DropReason | Ipv4DropReason;
}

/** A scenario error: file:line:col plus the errno/extack (or iproute2's usage text). */
export class ScenarioError extends Error {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly errno: string | undefined;
  constructor(file: string, line: number, col: number, text: string, errno?: string) {
    super(`${file}:${line}:${col}: ${text}${errno === undefined ? '' : ` (${errno})`}`);
    this.name = 'ScenarioError';
    this.file = file;
    this.line = line;
    this.col = col;
    this.errno = errno;
  }
}

/** Options of a run. */
export interface RunOptions {
  /** Directory for capture files (relative capture paths resolve here). */
  readonly outDir: string;
  /** Directory replay paths resolve against (the scenario's folder). */
  readonly inDir: string;
  /** Receives each trace entry. */
  readonly trace?: (e: TraceEntry) => void;
  /** Receives the text of show commands. */
  readonly print?: (s: string) => void;
  /** Progress callback for long replays (done, total). */
  readonly progress?: (done: number) => void;
  /** Simulation seed. */
  readonly seed?: number;
  /** net.core.bpf_jit_enable: run BPF programs compiled (default true) or on the interpreter (`--no-jit`). */
  readonly jit?: boolean;
}

interface Capture {
  readonly fd: number;
  readonly writer: PcapWriter;
  count: number;
}

/** Device counters at the end of a run. */
export interface DeviceStats {
  readonly ns: string;
  readonly dev: string;
  readonly rxPackets: number;
  readonly rxBytes: number;
  readonly rxDropped: number;
  readonly txPackets: number;
  readonly txBytes: number;
  readonly txDropped: number;
}

/** The result of a run. */
export interface RunResult {
  readonly packets: number;
  readonly delivered: number;
  /** Packets the IPv4 layer forwarded (ip_forward). */
  readonly forwarded: number;
  /** netdevsim ports: frames their hardware saw and dropped (the offloaded programs' verdicts). */
  readonly offload: readonly { readonly ns: string; readonly dev: string; readonly hwPackets: number; readonly hwDrops: number }[];
  readonly dropped: Readonly<Record<string, number>>;
  readonly devices: readonly DeviceStats[];
  readonly captures: Readonly<Record<string, number>>;
}

/** A simulated machine driven by scenario lines. */
export class Scenario {
  readonly kernel: TcKernel;
  /** The kernel's bpf() (one per scenario kernel): tc `obj` programs and their maps live here. */
  readonly bpf: BpfSyscall;
  /** The bpffs (/sys/fs/bpf) tc pins maps in; handles are map fds of `bpf`. */
  readonly bpffs = new BpfFs<number>();
  /** fds the current line's tc opened (closed when the line ends, as when tc exits). */
  readonly #loaderFds: number[] = [];
  /** netdevsim devices created by the scenario (`echo ... > /sys/bus/netdevsim/new_device`). */
  readonly netdevsim: NetdevsimControl;
  readonly nets = new Map<string, TcNet>();
  readonly #clients = new Map<TcNet, TcClient>();
  readonly #opts: RunOptions;
  readonly #captures = new Map<string, Capture>();
  #pkt = 0;
  #forwarded = 0;
  /** Namespaces whose IPv4 layer is on (they have IPv4 configuration). */
  readonly #ipActive = new Set<TcNet>();
  /** Tracing: the device whose tc hook is running (filters and actions are reported on it). */
  #hookDev: string | null = null;
  #delivered = 0;
  /** bpftool's `loaded_at`: the simulated time a program id was first seen after a line (programs load inside tc lines). */
  readonly #progLoadNs = new Map<number, number>();
  readonly #dropped: Record<string, number> = {};

  constructor(opts: RunOptions) {
    this.#opts = opts;
    this.bpf = tcBpfSyscall();
    this.netdevsim = new NetdevsimControl(this.bpf);
    // the kernel's built-in kinds plus cls_bpf on this kernel's bpf()
    const base: TcKinds = Object.freeze({
      qdiscs: TCF_ALL_KINDS.qdiscs,
      classifiers: Object.freeze([...TCF_ALL_KINDS.classifiers, createClsBpfOps({ jit: opts.jit ?? true, bpf: this.bpf })]),
      actions: TCF_ALL_KINDS.actions,
    });
    this.kernel = new TcKernel({ kinds: base, seed: opts.seed ?? 1 });
    this.#addNet('default');
  }

  /** The tc observer of a namespace when tracing: each filter and action run becomes a trace entry. */
  #observer(nsName: string, trace: (e: TraceEntry) => void): TcObserver {
    return {
      filter: (tp, skb, result, res) => {
        // the filter's device: its qdisc's for a private block, else the hook's (a redirect has moved skb.dev on)
        const block = tp.chain.block;
        const dev = block.index === 0 && block.q !== null ? block.q.dev.dev.name : (this.#hookDev ?? skb.dev?.name ?? '?');
        const e: TraceEntry = { pkt: this.#pkt, ns: nsName, dev, event: 'filter', len: skb.len, kind: tp.ops.kind, prio: tp.prio >>> 16, chain: tp.chain.index, result: tcActName(result), classid: sprintTcClassid(res.classid) };
        const prog = tp.ops.kind === 'bpf' ? bpfProgName(tp) : undefined;
        trace(prog === undefined ? e : { ...e, prog });
      },
      action: (a, skb, verdict) => {
        trace({ pkt: this.#pkt, ns: nsName, dev: this.#hookDev ?? skb.dev?.name ?? '?', event: 'action', len: skb.len, kind: a.ops.kind, index: a.index, result: tcActName(verdict) });
      },
    };
  }

  #addNet(name: string): TcNet {
    const net = this.kernel.addNet(name);
    this.nets.set(name, net);
    this.#clients.set(net, new TcClient(net.socket()));
    if (this.#opts.trace !== undefined) net.observer = this.#observer(name, this.#opts.trace);
    // trace entries are only built when tracing (the untraced path allocates nothing here)
    const deliver = (skb: SkBuff, dev: NetDevice): void => {
      this.#delivered++;
      if (this.#opts.trace !== undefined) this.#trace({ pkt: this.#pkt, ns: name, dev: dev.name, event: 'deliver', len: skb.len });
    };
    const drop = (skb: SkBuff, dev: NetDevice | null, reason: DropReason | Ipv4DropReason): void => {
      this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1;
      if (this.#opts.trace !== undefined) this.#trace({ pkt: this.#pkt, ns: name, dev: dev?.name ?? '?', event: 'drop', len: skb.len, reason });
    };
    const ip = new Ipv4Input(net.ns, {
      deliver,
      forward: (skb, dev, out, r) => {
        this.#forwarded++;
        if (this.#opts.trace === undefined) return;
        const via = r.gateway !== null && r.gatewayFamily === AF.INET ? r.gateway.join('.') : undefined;
        const e: TraceEntry = { pkt: this.#pkt, ns: name, dev: dev.name, event: 'forward', len: skb.len, out: out.name };
        this.#trace(via === undefined ? e : { ...e, via });
      },
      drop,
    });
    // the protocol layer: IPv4 runs once the namespace has IPv4 configuration (ip addr/route/neigh, sysctl);
    // everything else (and every packet of an unconfigured namespace) counts as delivered
    net.ns.onDeliver = (skb, dev) => {
      if (skb.protocol === 0x0800 && this.#ipActive.has(net)) ip.rcv(skb, dev);
      else deliver(skb, dev);
    };
    net.ns.onDrop = (skb, reason) => drop(skb, skb.dev, reason);
    return net;
  }

  #trace(e: TraceEntry): void {
    this.#opts.trace?.(e);
  }

  #env(net: TcNet): TcEnv {
    return {
      ifindex: (name) => net.devByName(name)?.ifindex ?? 0,
      ifname: (i) => net.ns.getByIndex(i)?.name ?? `if${i}`,
      path: (f) => resolve(this.#opts.inDir, f),
      loadBpfObject: (file, section, ifindex) => this.#loadObject(net, file, section, ifindex),
      progInfo: (id) => this.#progInfo(id),
    };
  }

  /** Record the load time of programs that appeared during the last line (bpftool's loaded_at). */
  #noteProgLoads(): void {
    const now = this.kernel.clock.nowNs();
    let misses = 0;
    for (let id = 1; misses < 64; id++) {
      if (this.bpf.progById(id) === undefined) misses++;
      else {
        misses = 0;
        if (!this.#progLoadNs.has(id)) this.#progLoadNs.set(id, now);
      }
    }
  }

  /** `tc filter show`'s look-up of a cls_bpf program id (bpf_dump_prog_info): name, tag, jited. */
  #progInfo(id: number): { name: string; tag: string; jited: boolean } | undefined {
    const p = this.bpf.progById(id);
    return p === undefined ? undefined : { name: p.name, tag: p.tag, jited: this.#opts.jit ?? true };
  }

  /**
   * What tc 6.1 does for `obj FILE sec NAME` (lib/bpf_libbpf.c load_bpf_object):
   * open the object, load only the programs of that section (with the maps),
   * and hand the first one's fd to cls_bpf with the annotation "FILE:[SEC]".
   * The loader's fds are closed once the line ran (tc exits): the filter holds
   * its program and the program its maps; pinned maps stay in the bpffs.
   */
  #loadObject(net: TcNet, file: string, section: string, offloadIfindex: number): { fd: number; name: string } {
    const path = resolve(this.#opts.inDir, file);
    const bytes = new Uint8Array(readFileSync(path));
    const obj = loadElfObject(bytes, { fileName: basename(file) });
    const spec = selectProgram(obj, { section });
    if (offloadIfindex !== 0) return { fd: this.#loadBound(net, obj, spec, offloadIfindex), name: `${basename(file)}:[${section}]` };
    // pinned maps go to (or are reused from) the scenario's bpffs, as tc pins them under /sys/fs/bpf/tc
    const objectHash = createHash('sha1').update(bytes).digest('hex');
    const loaded = instantiateObject(this.bpf, obj, { programs: (p) => p.section === section, fs: this.bpffs, pin: { objectHash } });
    const pinned = new Set(loaded.pins.map((p) => p.map));
    for (const [name, fd] of loaded.maps) if (!pinned.has(name)) this.#loaderFds.push(fd);
    for (const fd of loaded.programs.values()) this.#loaderFds.push(fd);
    const fd = loaded.programs.get(spec.name);
    if (fd === undefined) throw new KernelError('ENOENT', `program "${spec.name}" was not loaded`, { where: `section "${section}"` });
    return { fd, name: `${basename(file)}:[${section}]` };
  }

  #adopt(net: TcNet, dev: NetDevice): void {
    net.adopt(dev);
    const nsName = net.name;
    const trace = this.#opts.trace;
    // tracing wraps the tc hooks; without --trace the datapath is left untouched
    if (trace !== undefined) {
      const ing = dev.ingressHook;
      const egr = dev.egressHook;
      if (ing !== null) {
        dev.ingressHook = (skb, d) => {
          const len = skb.len;
          const prev = this.#hookDev;
          this.#hookDev = d.name;
          const v = ing(skb, d);
          this.#hookDev = prev;
          trace({ pkt: this.#pkt, ns: nsName, dev: d.name, event: 'ingress', len, verdict: verdictName(v), classid: sprintTcClassid(skb.tcIndex) });
          return v;
        };
      }
      if (egr !== null) {
        dev.egressHook = (skb, d) => {
          const len = skb.len;
          const prev = this.#hookDev;
          this.#hookDev = d.name;
          const v = egr(skb, d);
          this.#hookDev = prev;
          trace({ pkt: this.#pkt, ns: nsName, dev: d.name, event: 'egress', len, verdict: verdictName(v) });
          return v;
        };
      }
      dev.taps.push((skb, d, outgoing) => {
        trace(outgoing
          ? { pkt: this.#pkt, ns: nsName, dev: d.name, event: 'tx', len: skb.len, priority: sprintTcClassid(skb.priority) }
          : { pkt: this.#pkt, ns: nsName, dev: d.name, event: 'rx', len: skb.len });
      });
    }
  }

  /** Start writing what `dev` receives (`rx`) or transmits (`tx`) into `cap`. */
  #addCapture(dev: NetDevice, outgoing: boolean, cap: Capture): void {
    dev.taps.push((skb, d, out) => {
      if (out !== outgoing) return;
      // taps see the frame from the MAC header on
      const start = outgoing ? skb.dataOff : skb.macHeader;
      const t = this.kernel.clock.nowNs();
      let frame = skb.buf.subarray(start, skb.dataOff + skb.len);
      if (skb.vlanPresent && frame.length >= 12) {
        // a tag held in skb metadata (untagged on receive, or hardware-accelerated on transmit)
        // reaches a packet socket as PACKET_AUXDATA and libpcap puts it back after the MAC addresses
        const f = new Uint8Array(frame.length + 4);
        f.set(frame.subarray(0, 12), 0);
        const v = new DataView(f.buffer);
        v.setUint16(12, skb.vlanProto, false); // TPID, network order
        v.setUint16(14, skb.vlanTci, false); // TCI, network order
        f.set(frame.subarray(12), 16);
        frame = f;
      }
      cap.writer.writePacket(frame, Math.floor(t / 1e9), t % 1e9);
      cap.count++;
    });
  }

  /** Execute one line (1-based number for errors). Throws ScenarioError. */
  exec(file: string, lineNo: number, line: string): void {
    let words;
    try {
      words = splitWords(line);
    } catch (e) {
      throw new ScenarioError(file, lineNo, (e as UsageError).col, (e as UsageError).message);
    }
    if (words.length === 0) return;
    const a = new Args(words, line.trimEnd().length + 1);
    try {
      this.#dispatch(a);
      this.#noteProgLoads();
    } catch (e) {
      this.#closeLoaderFds();
      if (e instanceof UsageError) throw new ScenarioError(file, lineNo, e.col, e.message);
      if (KernelError.isInstance(e)) {
        // libnetlink's nl_dump_ext_ack: `Error: MSG` with a final period added when missing
        const text = e.extack === '' ? `RTNETLINK answers: ${ERRNO_TEXT[e.errno] ?? e.errno}` : `Error: ${e.extack}${e.extack.endsWith('.') ? '' : '.'}`;
        throw new ScenarioError(file, lineNo, words[0]!.col, text, e.errno);
      }
      throw e;
    }
    this.#closeLoaderFds();
  }

  /**
   * A `skip_sw` filter's program, loaded bound to the device as tc does for
   * offload (BPF_MAP_CREATE with map_ifindex for its maps, BPF_PROG_LOAD with
   * prog_ifindex): through the netdevsim bus's offload registry, which runs the
   * driver's checks. Objects with global data or map-in-map are not modelled.
   */
  #loadBound(net: TcNet, obj: BpfObject, spec: BpfProgramSpec, ifindex: number): number {
    const dev = net.ns.getByIndex(ifindex);
    const port = dev === undefined ? undefined : this.netdevsim.port(dev);
    const off = port?.dev.offload ?? null;
    // bpf_prog_dev_bound_init: the device must be offload-capable
    if (port === undefined || off === null) throw new KernelError('EINVAL', `ifindex ${ifindex} is not an offload-capable device`, { where: 'prog_ifindex' });
    const mapFds = new Map<string, number>();
    for (const r of spec.mapRelocs) {
      if (mapFds.has(r.map)) continue;
      const m = obj.maps.find((x) => x.name === r.map);
      if (m === undefined || m.initialValue !== undefined || m.innerMap !== undefined) throw new KernelError('EINVAL', `map "${r.map}": only plain maps can be offloaded here`, { where: `map "${r.map}"` });
      const fd = off.mapCreate({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.kernelName, mapIfindex: ifindex });
      mapFds.set(r.map, fd);
      this.#loaderFds.push(fd);
    }
    const insns = spec.insns.slice();
    const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
    for (const r of spec.mapRelocs) dv.setInt32(r.insn * 8 + 4, mapFds.get(r.map)!, true); // struct bpf_insn.imm, little-endian
    const { fd } = off.progLoad({ insns, license: obj.license, name: spec.name.slice(0, 15), progIfindex: ifindex });
    this.#loaderFds.push(fd);
    return fd;
  }

  /** The loading tc process exits: its bpf() fds are closed (a refused filter's program is freed). */
  #closeLoaderFds(): void {
    for (const fd of this.#loaderFds) this.bpf.close(fd);
    this.#loaderFds.length = 0;
  }

  #netOpt(a: Args): TcNet {
    if (a.more && (a.peek() === '-n' || a.peek() === '-netns')) {
      a.take();
      const name = a.next();
      const net = this.nets.get(name);
      if (net === undefined) throw new UsageError(`Cannot open network namespace "${name}": No such file or directory`, a.lastCol);
      return net;
    }
    return this.nets.get('default')!;
  }

  #dispatch(a: Args): void {
    const verb = a.take();
    if (verb === 'tc') {
      const net = this.#netOpt(a);
      const out = execTc(parseTc(a, this.#env(net)), this.#clients.get(net)!);
      if (out !== '') this.#opts.print?.(out);
      return;
    }
    if (verb === 'ip') {
      if (a.peek() === 'netns') {
        a.take();
        const sub = a.take();
        if (sub === 'exec') {
          // ip netns exec NS sysctl -w KEY=VALUE
          const name = a.next();
          const net = this.nets.get(name);
          if (net === undefined) throw new UsageError(`Cannot open network namespace "${name}": No such file or directory`, a.lastCol);
          this.#nsCommand(a.take(), a, net);
          return;
        }
        if (sub !== 'add') throw new UsageError('ip netns: only "add" and "exec NS sysctl" are modelled', a.lastCol);
        const name = a.next();
        if (this.nets.has(name)) throw new UsageError(`Cannot create namespace file "/run/netns/${name}": File exists`, a.lastCol);
        this.#addNet(name);
        return;
      }
      const net = this.#netOpt(a);
      const obj = a.peek();
      if (obj === 'addr' || obj === 'address' || obj === 'a' || obj === 'route' || obj === 'r' || obj === 'neigh' || obj === 'neighbour' || obj === 'n') {
        a.take();
        if (obj.startsWith('a')) ipAddr(a, net.ns);
        else if (obj.startsWith('r')) {
          const out = ipRoute(a, net.ns);
          if (out !== '') this.#opts.print?.(out);
        } else ipNeigh(a, net.ns);
        this.#ipActive.add(net);
        return;
      }
      this.#ipLink(a, net);
      return;
    }
    if (verb === 'sysctl' || verb === 'echo' || verb === 'ethtool') {
      this.#nsCommand(verb, a, this.nets.get('default')!);
      return;
    }
    if (verb === 'bpftool') {
      const out = execBpftool(a, { bpf: this.bpf, jited: this.#opts.jit ?? true, loadedAtNs: (id) => this.#progLoadNs.get(id) ?? this.kernel.clock.nowNs() });
      if (out !== '') this.#opts.print?.(out);
      return;
    }
    if (verb === 'sleep') {
      // let simulated time pass in 1 ms steps (the qdisc watchdog runs at each)
      const s = a.take();
      const sec = Number(s);
      if (!Number.isFinite(sec) || sec < 0 || sec > 3600) throw new UsageError(`sleep: invalid time interval "${s}"`, a.lastCol);
      for (let t = 0; t < sec * 1000; t++) this.kernel.advance(1_000_000);
      return;
    }
    if (verb === 'replay' || verb === 'send' || verb === 'capture') {
      const net = this.#netOpt(a);
      if (a.take() !== 'dev') throw new UsageError(`${verb}: expected "dev NAME"`, a.lastCol);
      const name = a.next();
      const nd = net.devByName(name);
      if (nd === undefined) throw new UsageError(`Cannot find device "${name}"`, a.lastCol);
      const where = a.take();
      const arg = a.take();
      if (verb === 'capture') {
        if (where !== 'rx' && where !== 'tx') throw new UsageError('capture: expected rx|tx', a.lastCol);
        const key = `${net.name}/${name}/${where}`;
        if (this.#captures.has(key)) throw new UsageError(`capture: ${name} ${where} is already captured`, a.lastCol);
        mkdirSync(this.#opts.outDir, { recursive: true });
        const fd = openSync(resolve(this.#opts.outDir, arg), 'w');
        const writer = new PcapWriter({ write: (c) => void writeSync(fd, c) }, { nanosecond: true });
        const cap: Capture = { fd, writer, count: 0 };
        this.#captures.set(key, cap);
        this.#addCapture(nd.dev, where === 'tx', cap);
        return;
      }
      if (where !== 'ingress' && where !== 'egress') throw new UsageError(`${verb}: expected ingress|egress`, a.lastCol);
      if (verb === 'send') {
        if (!/^([0-9a-fA-F]{2})+$/.test(arg) || arg.length < 28) throw new UsageError('send: expected an Ethernet frame in hex (at least 14 bytes)', a.lastCol);
        this.inject(nd.dev, Uint8Array.from(arg.match(/../g)!.map((h) => Number.parseInt(h, 16))), where === 'ingress');
        return;
      }
      let n = 0;
      let prev = -1;
      const file = resolve(this.#opts.inDir, arg);
      if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`replay: cannot open "${arg}": No such file or directory`, a.lastCol);
      for (const rec of readCaptureFile(file)) {
        // the capture's own spacing drives the simulated clock (shapers see real gaps)
        const t = rec.tsSec * 1e9 + rec.tsNsec;
        this.kernel.advance(prev < 0 || t <= prev ? 0 : t - prev);
        prev = t;
        this.inject(nd.dev, rec.data, where === 'ingress');
        if (++n % 4096 === 0) this.#opts.progress?.(n);
      }
      return;
    }
    throw new UsageError(`unknown command "${verb}" (expected ip, tc, sysctl, echo, ethtool, replay, send, capture or sleep)`, a.lastCol);
  }

  /** `sysctl -w`, `echo V > /sys/...` (netdevsim) or `ethtool -K` run in `net` (directly or by `ip netns exec`). */
  #nsCommand(cmd: string, a: Args, net: TcNet): void {
    if (cmd === 'sysctl') {
      sysctlWrite(a, net.ns);
      this.#ipActive.add(net);
    } else if (cmd === 'echo') this.netdevsim.echo(a, net, (d) => this.#adopt(net, d));
    else if (cmd === 'ethtool') this.netdevsim.ethtool(a, net);
    else throw new UsageError(`"${cmd}": only sysctl, echo (netdevsim files) and ethtool -K are modelled`, a.lastCol);
  }

  /** Put one frame into a device's receive path or out of its transmit path. */
  inject(dev: NetDevice, frame: Uint8Array, ingress: boolean): void {
    this.#pkt++;
    const port = ingress ? this.netdevsim.port(dev) : undefined;
    if (port !== undefined) {
      // from the wire into a netdevsim port: its hardware runs the offloaded program first
      const drops = port.hw.rxDrops;
      const passed = port.receive(frame);
      if (this.#opts.trace !== undefined) this.#trace({ pkt: this.#pkt, ns: dev.ns.name, dev: dev.name, event: 'hw', len: frame.length, verdict: passed ? 'pass' : port.hw.rxDrops !== drops ? 'drop' : 'refused' });
      return;
    }
    const skb = SkBuff.fromFrame(frame);
    skb.setDev(dev);
    if (ingress) {
      dev.stats.rxPackets++;
      dev.stats.rxBytes += frame.length;
      skb.protocol = dev.ns.ethTypeTrans(skb, dev);
      dev.ns.netifReceiveSkb(skb);
    } else {
      // what the sending socket sets: the frame's EtherType (network order on the wire)
      const proto = frame.length >= 14 ? skb.view.getUint16(skb.dataOff + 12, false) : 0;
      skb.protocol = proto >= 0x600 ? proto : 0x0004;
      dev.ns.devQueueXmit(skb);
    }
  }

  #ipLink(a: Args, net: TcNet): void {
    const obj = a.take();
    if (obj !== 'link' && obj !== 'l') throw new UsageError(`Object "${obj}" is unknown, try "ip help".`, a.lastCol);
    const cmd = a.take();
    if (cmd === 'add') {
      let name = '';
      let type = '';
      let peer = '';
      let peerNet = net;
      let mtu = 0;
      let addr: Uint8Array | undefined;
      let peerAddr: Uint8Array | undefined;
      while (a.more) {
        const w = a.take();
        if (w === 'name') name = a.next();
        else if (w === 'type') type = a.next();
        else if (w === 'mtu') mtu = Number(a.next());
        else if (w === 'address') addr = parseMac(a.next(), a.lastCol);
        else if (w === 'peer') {
          if (a.take() !== 'name') throw new UsageError('peer: expected "name NAME"', a.lastCol);
          peer = a.next();
          while (a.more && (a.peek() === 'netns' || a.peek() === 'address')) {
            if (a.take() === 'address') {
              peerAddr = parseMac(a.next(), a.lastCol);
              continue;
            }
            const ns = a.next();
            const pn = this.nets.get(ns);
            if (pn === undefined) throw new UsageError(`Cannot find netns "${ns}"`, a.lastCol);
            peerNet = pn;
          }
        } else if (name === '') name = w;
        else throw new UsageError(`Error: either "dev" is duplicate, or "${w}" is a garbage.`, a.lastCol);
      }
      if (type === 'veth') {
        const [d, p] = net.ns.addVeth(name, peer === '' ? 'veth%d' : peer, peerNet.ns, addr === undefined ? {} : { addr }, peerAddr === undefined ? {} : { addr: peerAddr });
        this.#adopt(net, d);
        this.#adopt(peerNet, p);
        if (mtu) d.setMtu(mtu);
      } else if (type === 'dummy') {
        const d = net.ns.addDummy(name, addr === undefined ? {} : { addr });
        this.#adopt(net, d);
        if (mtu) d.setMtu(mtu);
      } else throw new UsageError(`Error: Unknown device type "${type}".`, a.lastCol);
      return;
    }
    if (cmd === 'set' || cmd === 'del' || cmd === 'delete') {
      if (a.peek() === 'dev') a.take();
      const name = a.next();
      const nd = net.devByName(name);
      if (nd === undefined) throw new UsageError(`Cannot find device "${name}"`, a.lastCol);
      if (cmd !== 'set') {
        net.ns.removeDevice(nd.dev);
        return;
      }
      while (a.more) {
        const w = a.take();
        if (w === 'up') nd.dev.setUp(true);
        else if (w === 'down') nd.dev.setUp(false);
        else if (w === 'address') nd.dev.setAddress(parseMac(a.next(), a.lastCol));
        else if (w === 'mtu') {
          const v = Number(a.next());
          if (!Number.isInteger(v) || v < 0) throw new UsageError(`Error: argument "${v}" is wrong: Invalid "mtu" value`, a.lastCol);
          nd.dev.setMtu(v);
        } else throw new UsageError(`Error: either "dev" is duplicate, or "${w}" is a garbage.`, a.lastCol);
      }
      return;
    }
    throw new UsageError(`Command "${cmd}" is unknown, try "ip link help".`, a.lastCol);
  }

  /** Close captures and collect the statistics. */
  finish(): RunResult {
    const captures: Record<string, number> = {};
    for (const [k, c] of this.#captures) {
      c.writer.close();
      closeSync(c.fd);
      captures[k] = c.count;
    }
    this.#captures.clear();
    const devices: DeviceStats[] = [];
    for (const [nsName, net] of this.nets) {
      for (const d of net.ns.devices()) {
        if (d.kind === 'loopback') continue;
        const s = d.stats;
        devices.push({ ns: nsName, dev: d.name, rxPackets: s.rxPackets, rxBytes: s.rxBytes, rxDropped: s.rxDropped, txPackets: s.txPackets, txBytes: s.txBytes, txDropped: s.txDropped });
      }
    }
    const offload = this.netdevsim.ports().map((p) => ({ ns: p.nd.net.name, dev: p.name, hwPackets: p.hw.rxPackets, hwDrops: p.hw.rxDrops }));
    return { packets: this.#pkt, delivered: this.#delivered, forwarded: this.#forwarded, offload, dropped: { ...this.#dropped }, devices, captures };
  }
}

/** Run a whole scenario text. On a bad line the error is thrown after captures written so far are closed. */
export function runScenario(file: string, text: string, opts: RunOptions): RunResult {
  const sc = new Scenario(opts);
  const lines = text.split('\n');
  try {
    lines.forEach((l, i) => sc.exec(file, i + 1, l));
  } catch (e) {
    sc.finish();
    throw e;
  }
  return sc.finish();
}

const TC_ACT_NAMES = Object.freeze(['ok', 'reclassify', 'shot', 'pipe', 'stolen', 'queued', 'repeat', 'redirect', 'trap', 'consumed']);

/** TC_ACT_* value → lower-case name (goto chain / jump decoded). */
function tcActName(r: number): string {
  if (r === -1) return 'unspec';
  if ((r & 0xf0000000) === 0x20000000) return `goto_chain ${r & 0x0fffffff}`;
  if ((r & 0xf0000000) === 0x10000000) return `jump ${r & 0x0fffffff}`;
  return TC_ACT_NAMES[r] ?? `${r}`;
}

/** The program of a bpf filter (one per tcf_proto in practice): eBPF name and id, or the classic length. */
function bpfProgName(tp: TcfProto): string | undefined {
  const list = (tp.root as ClsBpfHead | null)?.list;
  if (list === undefined || list.length !== 1) return undefined;
  const p = list[0]!;
  if (p.ebpf !== null) return `${p.ebpf.name} id ${p.ebpf.id}`;
  return `classic ${(p.ops?.length ?? 0) / 8} insns`;
}

function verdictName(v: number): string {
  return v === HOOK.PASS ? 'pass' : v === HOOK.DROP ? 'drop' : v === HOOK.CONSUMED ? 'consumed' : `${v}`;
}

/** The end-of-run statistics table. */
export function formatStats(r: RunResult): string {
  const rows = [['ns', 'dev', 'rx_pkts', 'rx_bytes', 'rx_drop', 'tx_pkts', 'tx_bytes', 'tx_drop']];
  for (const d of r.devices) rows.push([d.ns, d.dev, `${d.rxPackets}`, `${d.rxBytes}`, `${d.rxDropped}`, `${d.txPackets}`, `${d.txBytes}`, `${d.txDropped}`]);
  const wd = rows[0]!.map((_, i) => Math.max(...rows.map((r2) => r2[i]!.length)));
  let s = rows.map((r2) => r2.map((c, i) => c.padEnd(wd[i]!)).join('  ').trimEnd()).join('\n');
  s += `\n\npackets injected: ${r.packets}, delivered locally: ${r.delivered}${r.forwarded === 0 ? '' : `, forwarded: ${r.forwarded}`}`;
  const drops = Object.entries(r.dropped);
  s += `\ndrops: ${drops.length === 0 ? 'none' : drops.map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
  for (const o of r.offload) s += `netdevsim ${o.ns}/${o.dev} hardware: ${o.hwPackets} frames, ${o.hwDrops} dropped by the offloaded program\n`;
  return s;
}
