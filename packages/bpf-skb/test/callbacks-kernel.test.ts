// Callback fixtures (callbacks.o: bpf_loop, a global and a static function,
// map-in-map; for_each.o: bpf_for_each_map_elem over a hash and an array map,
// deletes from inside the callback, bpf_loop with an early stop) against this
// machine's kernel. The kernel side is loaded by libbpf (`bpftool prog loadall`,
// with the object's BTF and func_info, which callbacks need) in a throw-away
// network namespace with its own bpffs, run with `bpftool prog run` per packet;
// tcbpf loads the same object with instantiateObject and runs TcTestRunner,
// on the interpreter and with @tcbpf/jit (which leaves callback programs on the
// interpreter). Compared: retval, data_out, ctx_out per packet and every map's
// contents after the runs.
import { Prng } from '@tcbpf/base';
import { JitRuntime } from '@tcbpf/jit';
import { buildFrame } from '@tcbpf/skb';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { BPF_MAP_TYPE } from '@tcbpf/uapi';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '../src/index.js';
import { PROGS_DIR } from './fixture-objects.js';
import { dumpSimMap } from './kernel-object.js';

const k = kernelOracle();
const tools = hasTool('bpftool') ? '' : 'bpftool not installed';
const PACKETS = 60;

const MAC_A = Uint8Array.of(0x02, 0, 0, 0, 0, 0xa);
const MAC_B = Uint8Array.of(0x02, 0, 0, 0, 0, 0xb);

/** IPv4 frames from a few sources (flows build up and get evicted), varied TOS, TTL and length, plus a few non-IPv4 ones. */
function callbackPackets(seed: number): Uint8Array[] {
  const prng = new Prng(seed);
  const out: Uint8Array[] = [];
  while (out.length < PACKETS) {
    const r = prng.below(12);
    const src = Uint8Array.of(10, 0, prng.below(2), 1 + prng.below(5));
    const dst = Uint8Array.of(10, 0, 0, 2);
    const ttl = [0, 1, 5, 15, 16, 17, 31, 64, 100, 255][prng.below(10)]!;
    const tos = prng.below(256) & 0xfc;
    const payload = new Uint8Array(prng.below(40));
    if (r === 0) out.push(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv6', src: new Uint8Array(16).fill(1), dst: new Uint8Array(16).fill(2), l4: { kind: 'udp', sport: 1, dport: 2 } } }));
    else if (r === 1) out.push(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src, dst, ttl, tos, l4: { kind: 'udp', sport: 1, dport: 2 } } }));
    else out.push(buildFrame({ dst: MAC_B, src: MAC_A, l3: { kind: 'ipv4', src, dst, ttl, tos, l4: r < 6 ? { kind: 'udp', sport: 7, dport: 53, payload } : { kind: 'tcp', sport: 7, dport: 80, payload } } }));
  }
  return out;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hexBytes = (a: readonly string[]): string => a.map((x) => x.replace(/^0x/, '').padStart(2, '0')).join('');

interface KernelRuns {
  readonly runs: { retval: number; dataOut: string; ctxOut: string }[];
  readonly maps: Map<string, string[]>;
}

/** Load `file` with libbpf in a fresh netns, run `prog` on every frame, dump `maps`. */
function kernelRuns(file: string, prog: string, maps: readonly string[], frames: readonly Uint8Array[]): KernelRuns {
  const dir = mkdtempSync(join(tmpdir(), 'tcbpf-cbk-'));
  const ns = new Netns('cbk');
  try {
    frames.forEach((f, i) => writeFileSync(join(dir, `in${i}`), f));
    writeFileSync(join(dir, 'ctx'), new Uint8Array(192));
    const script = [
      'set -e',
      'mount -t bpf bpf /sys/fs/bpf',
      `bpftool prog loadall ${PROGS_DIR}${file} /sys/fs/bpf/p type classifier pinmaps /sys/fs/bpf/m`,
      `for i in $(seq 0 ${frames.length - 1}); do echo "RUN $i $(bpftool prog run pinned /sys/fs/bpf/p/${prog} data_in ${dir}/in$i data_out ${dir}/out$i ctx_in ${dir}/ctx ctx_out ${dir}/cout$i repeat 1 2>&1 | grep 'Return value')"; done`,
      ...maps.map((m) => `echo "MAP ${m} $(bpftool -j map dump pinned /sys/fs/bpf/m/${m})"`),
    ].join('\n');
    const out = ns.run('sh', ['-c', script]);
    const runs: KernelRuns['runs'] = [];
    const dumps = new Map<string, string[]>();
    for (const l of out.split('\n')) {
      const r = /^RUN (\d+) Return value: (\d+),/.exec(l);
      if (r) {
        const i = Number(r[1]);
        runs[i] = { retval: Number(r[2]), dataOut: hexOf(readFileSync(join(dir, `out${i}`))), ctxOut: hexOf(readFileSync(join(dir, `cout${i}`))) };
      }
      const m = /^MAP (\S+) (.*)$/.exec(l);
      if (m) dumps.set(m[1]!, (JSON.parse(m[2]!) as { key: string[]; value: string[] }[]).map((e) => `${hexBytes(e.key)}=${hexBytes(e.value)}`).sort());
    }
    return { runs, maps: dumps };
  } finally {
    ns.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Case { readonly file: string; readonly prog: string; readonly maps: readonly string[] }
const CASES: readonly Case[] = [
  { file: 'callbacks.o', prog: 'loop_sum', maps: ['dscp_counts'] },
  { file: 'for_each.o', prog: 'walk_flows', maps: ['flows', 'classes'] },
];

function simRuns(c: Case, frames: readonly Uint8Array[], useJit: boolean): KernelRuns & { jited: boolean | undefined } {
  const obj = loadElfObject(new Uint8Array(readFileSync(`${PROGS_DIR}${c.file}`)), { fileName: c.file });
  const sys = tcBpfSyscall();
  const lo = instantiateObject(sys, obj);
  const jit = useJit ? new JitRuntime(sys, sys.interpreter) : undefined;
  const fd = lo.programs.get(c.prog)!;
  const info = jit?.load(sys.prog(fd));
  const runner = new TcTestRunner(sys, jit ? { jit } : {});
  const runs = frames.map((f) => {
    const r = runner.run(fd, { dataIn: f, dataSizeOut: 4096, ctxIn: new Uint8Array(192), ctxSizeOut: 192 });
    return { retval: r.retval, dataOut: hexOf(r.dataOut!), ctxOut: hexOf(r.ctxOut!) };
  });
  const maps = new Map<string, string[]>();
  for (const m of c.maps) {
    const mfd = lo.maps.get(m);
    if (mfd !== undefined && sys.map(mfd).type !== BPF_MAP_TYPE.ARRAY_OF_MAPS) maps.set(m, dumpSimMap(sys, mfd));
  }
  return { runs, maps, jited: info?.jited };
}

describe.skipIf(!k.ok || tools !== '')(`callback programs: test-run against the kernel (kernel: ${k.reason || tools || 'available'})`, () => {
  for (const c of CASES) {
    it(`${c.file}: ${PACKETS} packets — retval, data_out, ctx_out, then map contents, equal to the kernel's (interpreter and JIT fallback)`, () => {
      const frames = callbackPackets(0x5eed + c.file.length);
      const kr = kernelRuns(c.file, c.prog, c.maps, frames);
      expect(kr.runs.filter((r) => r !== undefined).length).toBe(PACKETS);
      for (const useJit of [false, true]) {
        const sr = simRuns(c, frames, useJit);
        if (useJit) expect(sr.jited, 'callback programs stay on the interpreter').toBe(false);
        for (let i = 0; i < PACKETS; i++) expect(sr.runs[i], `${c.file} packet ${i}${useJit ? ' (jit)' : ''}`).toEqual(kr.runs[i]);
        for (const m of c.maps) expect(sr.maps.get(m), `${c.file} map ${m}`).toEqual(kr.maps.get(m));
      }
      // the runs reach the callbacks' interesting paths
      const ctxs = kr.runs.map((r) => r.ctxOut);
      expect(new Set(ctxs).size).toBeGreaterThan(10);
    }, 60_000);
  }
});
