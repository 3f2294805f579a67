import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { SKB_OFF, TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '@tcbpf/bpf-skb';
import { JitRuntime } from '@tcbpf/jit';
import { PcapWriter, buildFrame, readCaptureFile } from '@tcbpf/skb';
import { fuzzRuns, kernelOracle } from '@tcbpf/testing';
import { disasmProgram, isCaptureFile, openProgram, prepareRun, progRun, progRunCapture, progVerify, verifyProgram } from '../src/prog-tools.js';

const app = join(import.meta.dirname, '..');
const progs = join(app, '../../packages/bpf-skb/test/fixtures/progs');
const unchecked = join(import.meta.dirname, 'fixtures/unchecked_load.o');
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcbpf-prog-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tcbpf(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('pnpm', ['exec', 'tsx', '--conditions=@tcbpf/source', 'src/cli.ts', ...args], { cwd: app, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

const mac = (n: number): Uint8Array => Uint8Array.of(2, 0, 0, 0, 0, n);
const tcpSyn = buildFrame({
  dst: mac(2), src: mac(1),
  l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'tcp', sport: 40000, dport: 443, flags: 0x02 } },
});
const udp = buildFrame({
  dst: mac(2), src: mac(1),
  l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'udp', sport: 5353, dport: 53 } },
});
// tcpdump -y EN10MB -ddd 'ip and tcp'
const IP_TCP = '6,40 0 0 12,21 0 3 2048,48 0 0 23,21 0 1 6,6 0 0 262144,6 0 0 0';

describe('prog verify', () => {
  it('accepts every clang-built fixture program and counts the processed instructions', () => {
    // every fixture, including callbacks (func_info from the object's BTF) and map-in-map (inner map shape)
    const all = readdirSync(progs).filter((f) => f.endsWith('.o'));
    expect(all).toEqual(expect.arrayContaining(['callbacks.o', 'for_each.o', 'parse_classify.o']));
    for (const f of all) {
      const r = verifyProgram(openProgram(join(progs, f)));
      expect(r.ok, `${f}: ${r.message}`).toBe(true);
      expect(r.processed).toBeGreaterThan(0);
    }
    const cli = tcbpf('prog', 'verify', join(progs, 'parse_classify.o'), '--sec', 'tc');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/section "tc" program classify: verified, \d+ insns processed\n$/);
  }, 30_000);

  it('refuses an unchecked packet read: kernel message, errno and instruction index, exit 1', () => {
    const cli = tcbpf('prog', 'verify', unchecked);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toBe(`tcbpf prog verify: ${unchecked} section "tc" program unchecked: Error: invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0) (insn 1): EACCES (-13)\n`);
    // libbpf's retry with log_level 1: the kernel-format log is printed
    expect(cli.stdout).toContain('1: (71) r0 = *(u8 *)(r1 +12)\ninvalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)\nR1 offset is outside of the packet\n');
    const j = tcbpf('prog', 'verify', unchecked, '--json');
    expect(j.status).toBe(1);
    const r = JSON.parse(j.stdout) as { ok: boolean; errno: string; code: number; insn: number; structured: { insn: number; insnText: string; reason: string } };
    expect(r).toMatchObject({ ok: false, errno: 'EACCES', code: -13, insn: 1 });
    expect(r.structured.insn).toBe(1);
    expect(r.structured.insnText).toContain('r0 = *(u8 *)(r1 +12)');
  }, 30_000);

  it('--log-level 2 prints the state at every instruction of an accepted program', () => {
    const r = verifyProgram(openProgram(join(progs, 'parse_classify.o')), 2);
    expect(r.ok).toBe(true);
    expect(r.log).toMatch(/^0: R1=ctx\(\) R10=fp0$/m);
    expect(r.log).toMatch(/^processed \d+ insns \(limit 1000000\)/m);
  });

  it('classic: sk_chk_filter verdicts (accepted; jump past the end refused with EINVAL)', () => {
    expect(verifyProgram(openProgram(IP_TCP)).ok).toBe(true);
    const bad = verifyProgram(openProgram('2,40 0 0 12,21 0 1 2048'));
    expect(bad).toMatchObject({ ok: false, errno: 'EINVAL', code: -22 });
    expect(progVerify('2,40 0 0 12,21 0 1 2048', {}).status).toBe(1);
  });

  it('a bad object or section: the loader error naming the section, exit 1', () => {
    const cli = tcbpf('prog', 'verify', join(progs, 'parse_classify.o'), '--sec', 'nosuch');
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('section "nosuch" not found');
    expect(cli.stderr).toContain('ENOENT (-2)');
    const junk = join(tmp, 'junk.o');
    writeFileSync(junk, Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 2, 3));
    const r = progVerify(junk, {});
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tcbpf prog verify: Error: .*: E[A-Z0-9]+ \(-\d+\)\n$/);
  }, 30_000);

  const k = kernelOracle();
  const bpftool = has('bpftool');
  describe.skipIf(!k.ok || !bpftool)(`verify refusal vs the kernel (kernel: ${!k.ok ? k.reason : bpftool ? 'available' : 'bpftool missing'})`, () => {
    it('every line of our log appears, in order, in the kernel verifier log of bpftool prog load', () => {
      const pin = `/sys/fs/bpf/tcbpf-prog-tools-${process.pid}`;
      const r = spawnSync('bpftool', ['-d', 'prog', 'load', unchecked, pin, 'type', 'classifier'], { encoding: 'utf8' });
      rmSync(pin, { force: true });
      expect(r.status).not.toBe(0);
      const klog = /-- BEGIN PROG LOAD LOG --\n([\s\S]*?)-- END PROG LOAD LOG --/.exec(r.stderr)?.[1] ?? '';
      expect(klog).toContain('invalid access to packet');
      const ours = verifyProgram(openProgram(unchecked), 1).log.split('\n').filter((l) => l !== '');
      let at = 0;
      const klines = klog.split('\n');
      for (const l of ours) {
        const i = klines.indexOf(l, at);
        expect(i, `kernel log lacks "${l}" after line ${at}`).toBeGreaterThanOrEqual(0);
        at = i + 1;
      }
    });
  });
});

describe('prog disasm', () => {
  it('eBPF: the verifier-log syntax with the map legend', () => {
    const out = disasmProgram(openProgram(unchecked));
    expect(out).toBe('; section tc, program unchecked, 3 insns, license "GPL"\n0: (61) r1 = *(u32 *)(r1 +76)\n1: (71) r0 = *(u8 *)(r1 +12)\n2: (95) exit\n');
    const pc = tcbpf('prog', 'disasm', join(progs, 'parse_classify.o'));
    expect(pc.status).toBe(0);
    expect(pc.stdout).toContain('; map fd 3: class_stats\n0: (bf) r6 = r1\n');
  }, 30_000);

  it('classic: the tcpdump -d listing (committed expectation)', () => {
    expect(disasmProgram(openProgram(IP_TCP))).toBe(readFileSync(join(import.meta.dirname, 'expected/prog/ip-and-tcp.d.txt'), 'utf8'));
  });

  describe.skipIf(!has('tcpdump'))('classic disasm vs tcpdump -d (tcpdump installed)', () => {
    for (const expr of ['ip and tcp', 'tcp port 80', 'udp and not host 10.0.0.1', 'vlan and icmp']) {
      it(`"${expr}"`, () => {
        const ddd = spawnSync('tcpdump', ['-y', 'EN10MB', '-ddd', expr], { encoding: 'utf8' });
        const d = spawnSync('tcpdump', ['-y', 'EN10MB', '-d', expr], { encoding: 'utf8' });
        expect(ddd.status).toBe(0);
        const file = join(tmp, `${expr.replaceAll(' ', '_')}.bpf`);
        writeFileSync(file, ddd.stdout);
        expect(disasmProgram(openProgram(file))).toBe(d.stdout);
      });
    }
  });
});

describe('prog run', () => {
  function direct(file: string, name: string, data: Uint8Array, jit: boolean): { retval: number; dataOut: Uint8Array; ctxOut: Uint8Array } {
    const sys = tcBpfSyscall();
    const loaded = instantiateObject(sys, loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file }), { programs: (p) => p.name === name });
    const runner = new TcTestRunner(sys, jit ? { jit: new JitRuntime(sys, sys.interpreter) } : {});
    const r = runner.run(loaded.programs.get(name)!, { dataIn: data, dataSizeOut: 3712, ctxSizeOut: 192 });
    return { retval: r.retval, dataOut: r.dataOut!, ctxOut: r.ctxOut! };
  }

  it('gives the retval, data out and ctx out of TcTestRunner on the same input (JIT and --no-jit)', () => {
    for (const [file, name] of [['parse_classify.o', 'classify'], ['nat_rewrite.o', undefined], ['vlan.o', undefined]] as const) {
      const path = join(progs, file);
      const src = openProgram(path);
      if (src.kind !== 'ebpf') throw new Error('not an object');
      for (const pkt of [tcpSyn, udp]) {
        const want = direct(path, name ?? src.prog.name, pkt, true);
        const jit = prepareRun(src).run({ data: pkt });
        const interp = prepareRun(src, { noJit: true }).run({ data: pkt });
        expect(jit.engine).toBe('jit');
        expect(interp.engine).toBe('interpreter');
        for (const got of [jit, interp]) {
          expect(got.retval, file).toBe(want.retval);
          expect(got.dataOut, file).toEqual(want.dataOut);
          expect(got.ctxOut, file).toEqual(want.ctxOut);
        }
      }
    }
  });

  it('CLI: --json (retval, duration, data size out), --data-out, --ctx-out, --repeat; --no-jit gives identical results', () => {
    const data = join(tmp, 'syn.bin');
    writeFileSync(data, tcpSyn);
    const obj = join(progs, 'parse_classify.o');
    const want = direct(obj, 'classify', tcpSyn, false);
    const outs: string[] = [];
    for (const nojit of [false, true]) {
      const dOut = join(tmp, `out-${nojit}.bin`);
      const cOut = join(tmp, `ctx-${nojit}.bin`);
      const r = tcbpf(...(nojit ? ['--no-jit'] : []), 'prog', 'run', obj, '--data', data, '--data-out', dOut, '--ctx-out', cOut, '--repeat', '3', '--json');
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as { retval: number; duration: number; data_size_out: number; engine: string };
      expect(j.retval).toBe(want.retval);
      expect(j.data_size_out).toBe(tcpSyn.length);
      expect(j.duration).toBeGreaterThan(0);
      expect(j.engine).toBe(nojit ? 'interpreter' : 'jit');
      expect(new Uint8Array(readFileSync(dOut))).toEqual(want.dataOut);
      expect(new Uint8Array(readFileSync(cOut))).toEqual(want.ctxOut);
      // duration is simulated: the interpreter is charged per executed insn, the JIT per program insn (TcTestRunner)
      outs.push(JSON.stringify({ ...j, engine: '', duration: 0 }));
    }
    expect(outs[1]).toBe(outs[0]);
    const text = tcbpf('prog', 'run', obj, '--data', data);
    expect(text.stdout).toMatch(new RegExp(`^Return value: ${want.retval}, duration: \\d+ns\n$`));
  }, 60_000);

  it('classic: the return value on an skb built like test_run (compiled and interpreter agree)', () => {
    const src = openProgram(IP_TCP);
    expect(prepareRun(src).run({ data: tcpSyn }).retval).toBe(262144);
    expect(prepareRun(src, { noJit: true }).run({ data: tcpSyn }).retval).toBe(262144);
    expect(prepareRun(src).run({ data: udp }).retval).toBe(0);
    const r = progRun(IP_TCP, { data: tcpSyn, json: true });
    expect(JSON.parse(r.stdout)).toMatchObject({ retval: 262144, data_size_out: tcpSyn.length, engine: 'classic-compiled' });
  });

  it('--ctx-in: allowed fields reach the program and come back in --ctx-out; a forbidden field is EINVAL naming __sk_buff', () => {
    const data = join(tmp, 'ctx-syn.bin');
    writeFileSync(data, tcpSyn);
    const ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setUint32(SKB_OFF.priority, 7, true); // struct __sk_buff, little-endian
    const cin = join(tmp, 'ctx-in.bin');
    const cout = join(tmp, 'ctx-out.bin');
    writeFileSync(cin, ctx);
    const ok = tcbpf('prog', 'run', join(progs, 'parse_classify.o'), '--data', data, '--ctx-in', cin, '--ctx-out', cout);
    expect(ok.status, ok.stderr).toBe(0);
    expect(new DataView(new Uint8Array(readFileSync(cout)).buffer).getUint32(SKB_OFF.priority, true)).toBe(7);
    const bad = progRun(join(progs, 'parse_classify.o'), { data: tcpSyn, ctxIn: Uint8Array.of(1, ...new Uint8Array(191)) });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('__sk_buff');
    expect(bad.stderr).toContain('EINVAL (-22)');
  }, 30_000);

  it('bad input: short packet is EINVAL naming data_size_in; missing --data is a usage error', () => {
    const r = progRun(join(progs, 'parse_classify.o'), { data: new Uint8Array(10) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('data_size_in 10 is below ETH_HLEN (14)');
    expect(r.stderr).toContain('EINVAL (-22)');
    expect(tcbpf('prog', 'run', IP_TCP).status).toBe(2);
  }, 30_000);

  test.prop([fc.uint8Array({ minLength: 0, maxLength: 200 })], { numRuns: fuzzRuns(100, 3000) })('fuzz: any packet through a classic and an eBPF program: a verdict or a KernelError, JIT = interpreter', (pkt) => {
    const outcome = (f: () => { retval: number; dataOut: Uint8Array }): string => {
      try {
        const r = f();
        return `ok ${r.retval} ${Array.from(r.dataOut).join(',')}`;
      } catch (e) {
        if (!KernelError.isInstance(e)) throw e;
        return `err ${(e).errno}`;
      }
    };
    expect(outcome(() => classicJit.run({ data: pkt }))).toBe(outcome(() => classicInt.run({ data: pkt })));
    expect(outcome(() => ebpfJit.run({ data: pkt }))).toBe(outcome(() => ebpfInt.run({ data: pkt })));
  });
});

const ebpfSrc = openProgram(join(progs, 'parse_classify.o'));
const classicSrc = openProgram(IP_TCP);
const ebpfJit = prepareRun(ebpfSrc);
const ebpfInt = prepareRun(ebpfSrc, { noJit: true });
const classicJit = prepareRun(classicSrc);
const classicInt = prepareRun(classicSrc, { noJit: true });

describe('openProgram fuzz', () => {
  test.prop([fc.string({ maxLength: 80 })], { numRuns: fuzzRuns(200, 5000) })('fuzz: any bytecode string opens or throws a KernelError', (s) => {
    try {
      const src = openProgram(s);
      expect(src.kind).toBe('classic');
      verifyProgram(src);
      disasmProgram(src);
    } catch (e) {
      expect(KernelError.isInstance(e)).toBe(true);
    }
  });
});

describe('prog run on a capture', () => {
  it('runs every packet of a pcap; rows agree with one-packet runs; --data-out writes a pcap', () => {
    const pcap = join(tmp, 'in.pcap');
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter({ write: (c) => void chunks.push(c.slice()) }, { nanosecond: true });
    const pkts = [tcpSyn, udp, new Uint8Array(10), tcpSyn];
    pkts.forEach((p, i) => w.writePacket(p, 1700000000 + i, 0));
    w.close();
    writeFileSync(pcap, Buffer.concat(chunks));
    expect(isCaptureFile(new Uint8Array(readFileSync(pcap)))).toBe(true);
    const out = join(tmp, 'out.pcap');
    const obj = join(progs, 'parse_classify.o');
    const r = progRunCapture(obj, { dataPath: pcap, dataOutPath: out, json: true });
    expect(r.status).toBe(1); // packet 2 is too short
    const rows = (JSON.parse(r.stdout) as { packets: { packet: number; retval?: number; errno?: string }[] }).packets;
    expect(rows.map((x) => x.packet)).toEqual([0, 1, 2, 3]);
    expect(rows[2]?.errno).toBe('EINVAL');
    const one = prepareRun(openProgram(obj));
    for (const i of [0, 1, 3]) expect(rows[i]?.retval).toBe(one.run({ data: pkts[i]! }).retval);
    const written = [...readCaptureFile(out)].map((x) => x.data);
    expect(written.length).toBe(3);
    expect(written[0]).toEqual(tcpSyn);
    const cli = tcbpf('--no-jit', 'prog', 'run', IP_TCP, '--data', pcap);
    expect(cli.stdout).toBe('packet 0: Return value: 262144, duration: 6ns\npacket 1: Return value: 0, duration: 6ns\npacket 2: Error: data_size_in 10 is below ETH_HLEN (14): EINVAL\npacket 3: Return value: 262144, duration: 6ns\n');
  }, 30_000);
});

describe('classic programs fuzz', () => {
  // random sock_filter tuples: mostly real opcodes so the checker accepts a good share
  const CODES = [0x28, 0x30, 0x20, 0x48, 0x50, 0x40, 0x00, 0x01, 0x02, 0x03, 0x04, 0x07, 0x14, 0x15, 0x25, 0x35, 0x45, 0x54, 0x74, 0x84, 0x87, 0x05, 0x61, 0x06, 0x16, 0xb1, 0xff] as const;
  const tuple = fc.record({ code: fc.oneof({ arbitrary: fc.constantFrom(...CODES), weight: 9 }, { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 }), jt: fc.integer({ min: 0, max: 2 }), jf: fc.integer({ min: 0, max: 2 }), k: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0xffffffff })) });
  test.prop([fc.array(tuple, { minLength: 0, maxLength: 12 }), fc.uint8Array({ minLength: 14, maxLength: 120 })], { numRuns: fuzzRuns(200, 20000) })('fuzz: random classic programs verify, disassemble and run (compiled = interpreter) or fail with a KernelError', (body, pkt) => {
    const insns = [...body, { code: 0x16, jt: 0, jf: 0, k: 0 }]; // ret a
    const str = `${insns.length},${insns.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`).join(',')}`;
    let src;
    try {
      src = openProgram(str);
    } catch (e) {
      expect(KernelError.isInstance(e)).toBe(true);
      return;
    }
    const v = verifyProgram(src);
    expect(disasmProgram(src).split('\n').length).toBe(insns.length + 1);
    if (!v.ok) {
      expect(v.errno).toBe('EINVAL');
      expect(() => prepareRun(src)).toThrow(KernelError);
      return;
    }
    expect(prepareRun(src).run({ data: pkt }).retval).toBe(prepareRun(src, { noJit: true }).run({ data: pkt }).retval);
  });
});

const kr = kernelOracle();
const bpftoolHere = has('bpftool');
describe.skipIf(!kr.ok || !bpftoolHere)(`prog run vs the kernel's BPF_PROG_TEST_RUN via bpftool (kernel: ${!kr.ok ? kr.reason : bpftoolHere ? 'available' : 'bpftool missing'})`, () => {
  it('same retval and data out for fixture programs on TCP and UDP packets (JIT and --no-jit)', () => {
    let compared = 0;
    for (const file of ['parse_classify.o', 'nat_rewrite.o', 'vlan.o']) {
      const obj = join(progs, file);
      const src = openProgram(obj);
      if (src.kind !== 'ebpf') throw new Error('not an object');
      const pin = `/sys/fs/bpf/tcbpf-prog-run-${process.pid}`;
      const load = spawnSync('bpftool', ['prog', 'load', obj, pin, 'type', 'classifier'], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      try {
        const show = spawnSync('bpftool', ['prog', 'show', 'pinned', pin], { encoding: 'utf8' });
        expect(show.stdout, `${file}: bpftool pinned the program we pick`).toContain(` name ${src.prog.name.slice(0, 15)} `);
        // fresh maps on both sides: a new kernel load per file, a new instance per engine here
        const ours = [prepareRun(src), prepareRun(src, { noJit: true })];
        for (const [i, pkt] of [tcpSyn, udp].entries()) {
          const din = join(tmp, `k-in-${i}.bin`);
          const dout = join(tmp, `k-out-${i}.bin`);
          writeFileSync(din, pkt);
          const r = spawnSync('bpftool', ['prog', 'run', 'pinned', pin, 'data_in', din, 'data_out', dout], { encoding: 'utf8' });
          expect(r.status, r.stderr).toBe(0);
          const retval = Number(/Return value: (\d+)/.exec(r.stdout)?.[1]);
          const kout = new Uint8Array(readFileSync(dout));
          for (const run of ours) {
            const got = run.run({ data: pkt });
            expect(got.retval, `${file} packet ${i}`).toBe(retval);
            expect(got.dataOut, `${file} packet ${i}`).toEqual(kout);
            compared++;
          }
        }
      } finally {
        rmSync(pin, { force: true });
      }
    }
    expect(compared).toBe(12);
  }, 30_000);
});

describe('object files fuzz', () => {
  const base = new Uint8Array(readFileSync(unchecked));
  test.prop([fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })], { numRuns: fuzzRuns(100, 3000) })('fuzz: a corrupted object verifies, disassembles or fails with a KernelError', (flips) => {
    const bytes = base.slice();
    for (const [at, v] of flips) bytes[at % bytes.length] = v;
    const f = join(tmp, 'fuzz.o');
    writeFileSync(f, bytes);
    try {
      const src = openProgram(f);
      verifyProgram(src);
      disasmProgram(src);
    } catch (e) {
      if (!KernelError.isInstance(e)) throw e;
    }
  });
});
