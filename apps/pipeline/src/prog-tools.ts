// Models the program tools a Linux 6.18 user drives from user space:
// `bpftool prog load` + the verifier log of kernel/bpf/verifier.c and
// kernel/bpf/log.c (verify), `bpftool prog dump xlated` in the verifier-log
// syntax of kernel/bpf/disasm.c (disasm), BPF_PROG_TEST_RUN of
// net/bpf/test_run.c (run), and tc's classic `bytecode` programs
// (net/core/filter.c sk_chk_filter; `tcpdump -d` listing). Differences are
// in docs/kernel-mapping.md (apps/pipeline prog tools row).
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { KernelError, Prng, SimClock } from '@tcbpf/base';
import {
  TcTestRunner, instantiateObject, loadElfObject, objectFuncInfo, selectProgram, tcBpfSyscall,
  type BpfObject, type BpfProgramSpec, type TestRunResult,
} from '@tcbpf/bpf-skb';
import { ClassicFilter, checkClassic, disassemble, parseBytecode, parseBytecodeFile, type SockFilter } from '@tcbpf/cbpf';
import { decodeInsns, disasmKernel } from '@tcbpf/ebpf';
import { JitRuntime } from '@tcbpf/jit';
import { NET_SKB_PAD, NetNamespace, PcapWriter, SkBuff, ethTypeTrans, readCaptureFile } from '@tcbpf/skb';
import { verify, type MapDescriptor, type VerifyResult } from '@tcbpf/verifier';

const ELF_MAGIC = Object.freeze([0x7f, 0x45, 0x4c, 0x46] as const);
const ETH_HLEN = 14;
/** struct __sk_buff size (ctx_out capacity). */
const SKB_CTX_SIZE = 192;
/** First fd handed to an object's maps when they are only described (verify, disasm): after stdin/out/err. */
const FIRST_MAP_FD = 3;

/** A program the tools work on: one section of a clang-built object, or a classic `bytecode` program. */
export type ProgSource =
  | { readonly kind: 'ebpf'; readonly obj: BpfObject; readonly prog: BpfProgramSpec }
  | { readonly kind: 'classic'; readonly insns: readonly SockFilter[]; readonly origin: 'file' | 'string' };

/** Result of a prog tool: what it prints and its exit status (0 ok, 1 refused/failed). */
export interface ProgToolOutput {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options shared by the tools. */
export interface ProgOpenOptions {
  /** Section of an object (`--sec`). */
  readonly sec?: string;
}

/**
 * Open OBJ: an ELF object file (by its magic), else a file holding a classic
 * `bytecode` program (tc's bytecode-file format), else OBJ itself as a
 * `bytecode` string. Errors are KernelErrors naming the section / instruction.
 */
export function openProgram(obj: string, opts: ProgOpenOptions = {}): ProgSource {
  if (existsSync(obj)) {
    if (!statSync(obj).isFile()) throw new KernelError('EINVAL', `${obj} is not a file`, { where: 'OBJ' });
    const bytes = new Uint8Array(readFileSync(obj));
    if (bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b)) {
      const o = loadElfObject(bytes, { fileName: obj });
      return { kind: 'ebpf', obj: o, prog: pickProgram(o, opts.sec) };
    }
    if (opts.sec !== undefined) throw new KernelError('EINVAL', `--sec ${opts.sec}: ${obj} is a classic bytecode file, not an object`, { where: 'sec' });
    return { kind: 'classic', insns: parseBytecodeFile(new TextDecoder().decode(bytes)), origin: 'file' };
  }
  if (obj.includes('/')) throw new KernelError('ENOENT', `${obj}: no such file`, { where: 'OBJ' });
  if (opts.sec !== undefined) throw new KernelError('EINVAL', `--sec ${opts.sec}: a bytecode string has no sections`, { where: 'sec' });
  return { kind: 'classic', insns: parseBytecode(obj), origin: 'string' };
}

/** `--sec NAME`, or tc's default `classifier` section, or (bpftool-like) the object's first program. */
function pickProgram(o: BpfObject, sec: string | undefined): BpfProgramSpec {
  if (sec !== undefined) return selectProgram(o, { section: sec });
  const cls = o.programs.find((p) => p.section === 'classifier');
  if (cls !== undefined) return cls;
  const first = o.programs[0];
  if (first === undefined) throw new KernelError('ENOENT', `object "${o.name}" has no programs`, { where: 'object' });
  return first;
}

/** The instructions with map LD_IMM64s holding fds FIRST_MAP_FD + map index, and those maps' descriptors. */
function describedMaps(src: { obj: BpfObject; prog: BpfProgramSpec }): { insns: Uint8Array; maps: Map<number, MapDescriptor>; names: Map<number, string> } {
  const insns = src.prog.insns.slice();
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const maps = new Map<number, MapDescriptor>();
  const names = new Map<number, string>();
  const describe = (m: BpfObject['maps'][number]): MapDescriptor => {
    // map-in-map: the inner map's shape (BTF `values` or iproute2's legacy inner_id), as the loader creates it
    const inner = m.innerMap ?? (m.source === 'legacy' && m.innerId ? src.obj.maps.find((x) => x.source === 'legacy' && x.legacyId === m.innerId && x !== m) : undefined);
    return { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, ...(inner === undefined ? {} : { inner: describe(inner) }) };
  };
  src.obj.maps.forEach((m, i) => {
    maps.set(FIRST_MAP_FD + i, describe(m));
    names.set(FIRST_MAP_FD + i, m.name);
  });
  for (const r of src.prog.mapRelocs) {
    const i = src.obj.maps.findIndex((m) => m.name === r.map);
    if (i < 0) throw new KernelError('EINVAL', `program "${src.prog.name}": relocation at insn ${r.insn} names unknown map "${r.map}"`, { insn: r.insn, where: `section "${src.prog.section}"` });
    dv.setInt32(r.insn * 8 + 4, FIRST_MAP_FD + i, true); // struct bpf_insn.imm, little-endian
  }
  return { insns, maps, names };
}

/** Kernel-style one-line error: message, instruction, errno name and number. */
export function formatKernelError(e: KernelError): string {
  const at = e.insn === undefined || e.extack.includes(`insn ${e.insn}`) ? '' : ` (insn ${e.insn})`;
  const where = e.where === undefined || e.extack.includes(e.where) ? '' : `${e.where}: `;
  return `Error: ${where}${e.extack}${at}: ${e.errno} (-${e.code})`;
}

function fail(tool: string, e: unknown): ProgToolOutput {
  if (e instanceof KernelError || KernelError.isInstance(e)) return { status: 1, stdout: '', stderr: `tcbpf prog ${tool}: ${formatKernelError(e)}\n` };
  throw e;
}

/** What `prog verify --json` prints. */
export interface VerifyReport {
  readonly kind: 'ebpf' | 'classic';
  readonly section?: string;
  readonly program?: string;
  readonly insns: number;
  readonly ok: boolean;
  readonly errno: string;
  readonly code: number;
  readonly message: string;
  readonly insn: number;
  readonly processed?: number;
  readonly log: string;
  readonly structured: VerifyResult['structured'];
}

/** Verify a program: the eBPF verifier (kernel-format log at `logLevel`) or the classic checker. */
export function verifyProgram(src: ProgSource, logLevel = 0): VerifyReport {
  if (src.kind === 'classic') {
    try {
      checkClassic(src.insns);
      return { kind: 'classic', insns: src.insns.length, ok: true, errno: '', code: 0, message: '', insn: -1, log: '', structured: null };
    } catch (e) {
      if (!KernelError.isInstance(e)) throw e;
      const k = e;
      return { kind: 'classic', insns: src.insns.length, ok: false, errno: k.errno, code: -k.code, message: k.extack, insn: k.insn ?? -1, log: '', structured: null };
    }
  }
  const { insns, maps } = describedMaps(src);
  // func_info from the object's BTF, as libbpf passes it (callbacks need it)
  const funcInfo = objectFuncInfo(src.obj, src.prog);
  const base = { license: src.obj.license, maps, ...(funcInfo === undefined ? {} : { funcInfo }) };
  let res = verify(insns, { logLevel, ...base });
  // libbpf retries a refused load with log_level 1 to show why
  if (!res.ok && logLevel === 0) res = verify(insns, { logLevel: 1, ...base });
  return {
    kind: 'ebpf', section: src.prog.section, program: src.prog.name, insns: src.prog.insnCount,
    ok: res.ok, errno: res.errno, code: res.code, message: res.message, insn: res.insn, processed: res.processed, log: res.log, structured: res.structured,
  };
}

/** `tcbpf prog verify OBJ [--sec NAME] [--log-level N] [--json]`. */
export function progVerify(obj: string, o: { sec?: string; logLevel?: number; json?: boolean }): ProgToolOutput {
  let r: VerifyReport;
  try {
    r = verifyProgram(openProgram(obj, o.sec === undefined ? {} : { sec: o.sec }), o.logLevel ?? 0);
  } catch (e) {
    return fail('verify', e);
  }
  if (o.json === true) return { status: r.ok ? 0 : 1, stdout: `${JSON.stringify(r, null, 2)}\n`, stderr: '' };
  const what = r.kind === 'ebpf' ? `${obj} section "${r.section ?? ''}" program ${r.program ?? ''}` : `classic program (${r.insns} insns)`;
  if (r.ok) return { status: 0, stdout: `${r.log}${what}: verified${r.processed === undefined ? '' : `, ${r.processed} insns processed`}\n`, stderr: '' };
  const at = r.insn >= 0 ? ` (insn ${r.insn})` : '';
  return { status: 1, stdout: r.log, stderr: `tcbpf prog verify: ${what}: Error: ${r.message}${at}: ${r.errno} (${r.code})\n` };
}

/** The listing `prog disasm` prints: kernel verifier-log syntax for eBPF, `tcpdump -d` for classic. */
export function disasmProgram(src: ProgSource): string {
  if (src.kind === 'classic') {
    const d = disassemble(src.insns);
    return d.endsWith('\n') ? d : `${d}\n`;
  }
  const { insns, names } = describedMaps(src);
  const head = [`; section ${src.prog.section}, program ${src.prog.name}, ${src.prog.insnCount} insns, license "${src.obj.license}"`];
  for (const [fd, name] of names) head.push(`; map fd ${fd}: ${name}`);
  return `${head.join('\n')}\n${disasmKernel(decodeInsns(insns))}\n`;
}

/** `tcbpf prog disasm OBJ [--sec NAME]`. */
export function progDisasm(obj: string, o: { sec?: string }): ProgToolOutput {
  try {
    return { status: 0, stdout: disasmProgram(openProgram(obj, o.sec === undefined ? {} : { sec: o.sec })), stderr: '' };
  } catch (e) {
    return fail('disasm', e);
  }
}

/** Input of {@link runProgram} (BPF_PROG_TEST_RUN fields). */
export interface ProgRunInput {
  readonly data: Uint8Array;
  readonly ctxIn?: Uint8Array;
  readonly repeat?: number;
  /** Run on the interpreter only (`--no-jit`). */
  readonly noJit?: boolean;
  /** data_out capacity (default: the tc test-run maximum). */
  readonly dataSizeOut?: number;
}

/** What `prog run` reports for one packet. */
export interface ProgRunReport {
  readonly retval: number;
  /** Mean simulated ns per run (SimClock). */
  readonly duration: number;
  readonly dataSizeOut: number;
  readonly dataOut: Uint8Array;
  readonly ctxOut: Uint8Array | undefined;
  /** The engine that ran it. */
  readonly engine: 'jit' | 'interpreter' | 'classic-compiled' | 'classic-interpreter';
}

/** A prepared runner: load once, run many packets. */
export interface ProgRunner {
  run(input: ProgRunInput): ProgRunReport;
}

/** Load `src` for test runs (eBPF: maps created, verified, loaded; classic: checked). */
export function prepareRun(src: ProgSource, o: { noJit?: boolean } = {}): ProgRunner {
  const clock = new SimClock();
  const prng = new Prng();
  if (src.kind === 'classic') {
    const f = ClassicFilter.create(src.insns, { compile: o.noJit !== true });
    const ns = new NetNamespace({ clock, prng });
    const env = { cpu: 0, prng };
    return {
      run(input) {
        const size = input.data.length;
        if (size < ETH_HLEN) throw new KernelError('EINVAL', `data_size_in ${size} is below ETH_HLEN (14)`, { where: 'data_size_in' });
        if (input.ctxIn !== undefined && input.ctxIn.length > 0) throw new KernelError('EINVAL', 'ctx_in is not supported for classic programs', { where: 'ctx_in' });
        let retval = 0;
        let skb: SkBuff | undefined;
        const repeat = Math.max(1, input.repeat ?? 1);
        const start = clock.nowNs();
        for (let i = 0; i < repeat; i++) {
          // as test_run builds it: eth_type_trans on lo, then the MAC header pushed back (cls_bpf runs with data at MAC)
          skb = SkBuff.fromFrame(input.data, NET_SKB_PAD, 0);
          skb.protocol = ethTypeTrans(skb, ns.loopback);
          skb.resetNetworkHeader();
          skb.push(ETH_HLEN);
          retval = (o.noJit === true ? f.run(skb, env) : f.runCompiled(skb, env)) >>> 0;
          clock.advance(f.length);
        }
        const out = skb === undefined ? new Uint8Array(0) : skb.buf.slice(skb.dataOff, skb.dataOff + skb.len);
        return { retval, duration: Math.floor((clock.nowNs() - start) / repeat), dataSizeOut: out.length, dataOut: out, ctxOut: undefined, engine: o.noJit === true ? 'classic-interpreter' : 'classic-compiled' };
      },
    };
  }
  const sys = tcBpfSyscall({ clock, prng });
  const loaded = instantiateObject(sys, src.obj, { programs: (p) => p.name === src.prog.name });
  const fd = loaded.programs.get(src.prog.name);
  if (fd === undefined) throw new KernelError('ENOENT', `program "${src.prog.name}" was not loaded`, { where: `section "${src.prog.section}"` });
  const jit = o.noJit === true ? undefined : new JitRuntime(sys, sys.interpreter);
  const runner = new TcTestRunner(sys, jit === undefined ? {} : { jit });
  return {
    run(input) {
      const r: TestRunResult = runner.run(fd, {
        dataIn: input.data, dataSizeOut: input.dataSizeOut ?? 3712, ctxSizeOut: SKB_CTX_SIZE,
        ...(input.ctxIn === undefined ? {} : { ctxIn: input.ctxIn }), ...(input.repeat === undefined ? {} : { repeat: input.repeat }),
      });
      if (r.errno !== undefined) throw new KernelError(r.errno, `data_out: the packet (${r.dataSizeOut} bytes) does not fit`, { where: 'data_size_out' });
      return { retval: r.retval, duration: r.duration, dataSizeOut: r.dataSizeOut, dataOut: r.dataOut ?? new Uint8Array(0), ctxOut: r.ctxOut, engine: jit === undefined ? 'interpreter' : 'jit' };
    },
  };
}

/** `tcbpf prog run` options. */
export interface ProgRunCliOptions {
  readonly sec?: string;
  readonly data: Uint8Array;
  readonly ctxIn?: Uint8Array;
  readonly repeat?: number;
  readonly json?: boolean;
  readonly noJit?: boolean;
}

/** `tcbpf prog run OBJ ...` on one packet: the report and what to print. */
export function progRun(obj: string, o: ProgRunCliOptions): ProgToolOutput & { readonly report?: ProgRunReport } {
  let rep: ProgRunReport;
  try {
    const src = openProgram(obj, o.sec === undefined ? {} : { sec: o.sec });
    rep = prepareRun(src, o.noJit === true ? { noJit: true } : {}).run({
      data: o.data, ...(o.ctxIn === undefined ? {} : { ctxIn: o.ctxIn }), ...(o.repeat === undefined ? {} : { repeat: o.repeat }),
    });
  } catch (e) {
    return fail('run', e);
  }
  const stdout = o.json === true
    ? `${JSON.stringify({ retval: rep.retval, duration: rep.duration, data_size_out: rep.dataSizeOut, engine: rep.engine })}\n`
    : `Return value: ${rep.retval}, duration${(o.repeat ?? 1) > 1 ? ' (average)' : ''}: ${rep.duration}ns\n`;
  return { status: 0, stdout, stderr: '', report: rep };
}

/** Capture-file magics (first 4 bytes, as stored): pcap µs/ns in either byte order, pcapng section header. */
const CAPTURE_MAGICS = Object.freeze([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a] as const);

/** True when `bytes` starts like a pcap or pcapng file. */
export function isCaptureFile(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const m = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false); // big-endian: the bytes as stored
  return (CAPTURE_MAGICS as readonly number[]).includes(m);
}

/** One packet's line of `prog run` on a capture. */
export interface ProgRunPacket {
  readonly packet: number;
  readonly retval?: number;
  readonly duration?: number;
  readonly data_size_out?: number;
  readonly errno?: string;
  readonly error?: string;
}

/**
 * `tcbpf prog run OBJ --data FILE.pcap`: test-run every packet of a capture
 * (one program instance, so map state carries over as on a live hook).
 * A packet the test run refuses gets its errno in its row and the run goes on;
 * `dataOutPath` receives a pcap of the packets as they left the program.
 */
export function progRunCapture(obj: string, o: { sec?: string; dataPath: string; dataOutPath?: string; repeat?: number; json?: boolean; noJit?: boolean }): ProgToolOutput {
  let runner: ProgRunner;
  try {
    runner = prepareRun(openProgram(obj, o.sec === undefined ? {} : { sec: o.sec }), o.noJit === true ? { noJit: true } : {});
  } catch (e) {
    return fail('run', e);
  }
  const rows: ProgRunPacket[] = [];
  const fd = o.dataOutPath === undefined ? -1 : openSync(o.dataOutPath, 'w');
  const writer = fd < 0 ? undefined : new PcapWriter({ write: (c) => void writeSync(fd, c) }, { nanosecond: true });
  try {
    for (const rec of readCaptureFile(o.dataPath)) {
      try {
        const r = runner.run({ data: rec.data, ...(o.repeat === undefined ? {} : { repeat: o.repeat }) });
        rows.push({ packet: rec.index, retval: r.retval, duration: r.duration, data_size_out: r.dataSizeOut });
        writer?.writePacket(r.dataOut, rec.tsSec, rec.tsNsec);
      } catch (e) {
        if (!KernelError.isInstance(e)) throw e;
        const k = e;
        rows.push({ packet: rec.index, errno: k.errno, error: k.extack });
      }
    }
  } catch (e) {
    if (e instanceof Error && !KernelError.isInstance(e)) return { status: 1, stdout: '', stderr: `tcbpf prog run: ${o.dataPath}: ${e.message}\n` };
    return fail('run', e);
  } finally {
    writer?.close();
    if (fd >= 0) closeSync(fd);
  }
  const stdout = o.json === true
    ? `${JSON.stringify({ packets: rows })}\n`
    : rows.map((r) => r.errno === undefined
      ? `packet ${r.packet}: Return value: ${r.retval ?? 0}, duration: ${r.duration ?? 0}ns\n`
      : `packet ${r.packet}: Error: ${r.error ?? ''}: ${r.errno}\n`).join('');
  return { status: rows.some((r) => r.errno !== undefined) ? 1 : 0, stdout, stderr: '' };
}
