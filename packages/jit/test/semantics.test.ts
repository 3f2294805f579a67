// Kernel semantics the JIT must reproduce exactly (each checked against the
// interpreter with the equivalence runner, and against the known kernel result):
// tail calls and their 33-call limit, bpf-to-bpf calls and MAX_CALL_FRAMES, LD_ABS
// with its implicit exit, division by zero, loops (natural, irreducible, infinite),
// the bpf_jit_enable switch with interpreter fallback, and the equivalence report.
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, insn, makeProgType, type BpfProg, type Insn } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { EquivalenceRunner, JitRuntime, compileProgram } from '../src/index.js';

const TYPE = makeProgType({
  type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (jit test)', ctxSize: 192,
  ldPacket: (env, off, size) => {
    const r = env.kernel.mem.region(REGION.PACKET);
    if (r === undefined || off < 0 || off + size > r.bytes.byteLength) return -1;
    return size === 1 ? r.view.getUint8(off) : size === 2 ? r.view.getUint16(off, false) : r.view.getUint32(off, false);
  },
});

function setup(opts: { stackify?: boolean } = {}): { sys: BpfSyscall; jit: JitRuntime; eq: EquivalenceRunner; load: (src: string | Insn[]) => BpfProg; run: (p: BpfProg) => { status: number; r0: bigint } } {
  const sys = new BpfSyscall({ progTypes: [TYPE] });
  sys.interpreter.budget = 1 << 16;
  const jit = new JitRuntime(sys, sys.interpreter, opts.stackify === undefined ? {} : { stackify: opts.stackify });
  const eq = new EquivalenceRunner(jit);
  const ctx = jit.alloc(192);
  const pkt = new Uint8Array(64).map((_, i) => i);
  sys.mem.bind(REGION.CTX, 'ctx', ctx);
  sys.mem.bind(REGION.PACKET, 'packet', pkt);
  const load = (src: string | Insn[]): BpfProg => {
    const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: typeof src === 'string' ? assembleKernel(src) : src, license: 'GPL' });
    const p = sys.prog(fd);
    expect(jit.load(p).jited).toBe(true);
    return p;
  };
  const run = (p: BpfProg): { status: number; r0: bigint } => {
    const r = eq.run(p, AddressSpace.hiOf(REGION.CTX), 0, AddressSpace.hiOf(REGION.PACKET), 0);
    expect(r.difference).toBeUndefined();
    return { status: r.status, r0: r.r0 };
  };
  return { sys, jit, eq, load, run };
}

const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

const COUNT_AND_TAIL_CALL = (arr: number, progs: number, slot: number): string => `
  r6 = r1
  *(u32 *)(r10 -4) = 0
  r1 = map[fd:${arr}]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem#1
  if r0 == 0x0 goto fail
  r1 = 1
  lock *(u32 *)(r0 +0) += r1
  r7 = *(u32 *)(r0 +0)
  r1 = r6
  r2 = map[fd:${progs}]
  r3 = ${slot}
  call bpf_tail_call#12
  r0 = r7
  exit
fail:
  r0 = 0
  exit`;

describe('tail calls', () => {
  it('a program that tail-calls itself runs 34 times (MAX_TAIL_CALL_CNT 33), compiled', () => {
    const { sys, load, run } = setup();
    const arr = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const pa = sys.mapCreate({ mapType: BPF_MAP_TYPE.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const p = load(COUNT_AND_TAIL_CALL(arr, pa, 0));
    sys.mapUpdateElem(pa, u32(0), u32(p.id === 0 ? 0 : fdOf(sys, p)));
    const r = run(p);
    expect(r.status).toBe(RUN_STATUS.OK);
    // the equivalence runner restored the map between the runs: the JIT's own count
    expect(Number(r.r0)).toBe(34);
    expect(new DataView(sys.mapLookupElem(arr, u32(0)).buffer).getUint32(0, true)).toBe(34);
  });

  it('an empty slot falls through; another program is entered with the same registers', () => {
    const { sys, load, run } = setup();
    const arr = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const pa = sys.mapCreate({ mapType: BPF_MAP_TYPE.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const empty = load(COUNT_AND_TAIL_CALL(arr, pa, 2));
    expect(run(empty).r0).toBe(1n);
    const caller = load(COUNT_AND_TAIL_CALL(arr, pa, 1));
    const target = load('r0 = r7\nr0 += 1000\nexit');
    sys.mapUpdateElem(pa, u32(1), u32(fdOf(sys, target)));
    expect(run(caller).r0).toBe(1002n); // r7 = count (2 after the earlier run) carried into the target
  });
});

/** fd of a loaded program (progLoad returned it; find it again by id). */
function fdOf(sys: BpfSyscall, p: BpfProg): number {
  for (let fd = 3; fd < 1000; fd++) if (sys.progByFd(fd) === p) return fd;
  throw new Error('no fd');
}

describe('bpf-to-bpf calls', () => {
  it('arguments, callee stack, pointer to the caller stack, r6-r9 preserved', () => {
    const { load, run } = setup();
    const p = load(`
      r6 = 6
      r7 = 7
      r1 = 0x1111
      *(u64 *)(r10 -8) = r1
      r1 = r10
      r1 += -8
      r2 = 5
      call pc+5
      r0 += r6
      r0 += r7
      r1 = *(u64 *)(r10 -8)
      r0 += r1
      exit
      r6 = *(u64 *)(r1 +0)
      r6 += r2
      *(u64 *)(r1 +0) = r6
      *(u64 *)(r10 -8) = r2
      r0 = *(u64 *)(r10 -8)
      r0 *= 3
      r1 = r0
      call pc+1
      exit
      r0 = r1
      r0 += 100
      exit`);
    const r = run(p);
    expect(r.status).toBe(RUN_STATUS.OK);
    expect(r.r0).toBe(115n + 13n + 0x1116n);
  });

  it('unbounded recursion stops at MAX_CALL_FRAMES with the same status and instruction', () => {
    const { load, run } = setup();
    const p = load([insn(0xb7, 0, 0, 0, 0), insn(0x85, 0, 1, 0, 1), insn(0x95, 0, 0, 0, 0), insn(0x07, 0, 0, 0, 1), insn(0x85, 0, 1, 0, -2), insn(0x95, 0, 0, 0, 0)]);
    expect(run(p).status).toBe(RUN_STATUS.CALL_DEPTH);
  });
});

describe('LD_ABS / LD_IND', () => {
  it('loads big-endian packet bytes; an out-of-range load ends the whole program with r0 = 0, even from a subprogram', () => {
    const { load, run } = setup();
    expect(run(load('r6 = r1\nr0 = *(u16 *)skb[12]\nexit')).r0).toBe(0x0c0dn);
    expect(run(load('r6 = r1\nr7 = 2\nr0 = *(u32 *)skb[r7 + 4]\nexit')).r0).toBe(0x06070809n);
    const sub = load([insn(0xbf, 6, 1, 0, 0), insn(0xb7, 0, 0, 0, 9), insn(0x85, 0, 1, 0, 2), insn(0x07, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0), insn(0x28, 0, 0, 0, 70), insn(0x95, 0, 0, 0, 0)]);
    const r = run(sub);
    expect(r.status).toBe(RUN_STATUS.OK);
    expect(r.r0).toBe(0n);
  });
});

describe('division and modulo by zero (the kernel: div -> 0, mod -> dst; never a trap)', () => {
  for (const [src, want] of [
    ['r0 = 7\nr1 = 0\nr0 /= r1\nexit', 0n], ['r0 = 7\nr1 = 0\nr0 %= r1\nexit', 7n], ['r0 = -1\nw1 = 0\nw0 %= w1\nexit', 0xffffffffn],
['r0 = -7\nr1 = -1\nr0 s/= r1\nexit', 7n], ['r0 = 1\nr0 <<= 63\nr1 = -1\nr0 s/= r1\nexit', 0x8000000000000000n],
    ['r0 = 1\nr0 <<= 63\nr1 = -1\nr0 s%= r1\nexit', 0n], ['w0 = 0x80000000\nw1 = -1\nw0 s/= w1\nexit', 0x80000000n],
  ] as const) {
    it(src.replaceAll('\n', '; '), () => {
      const { load, run } = setup();
      expect(run(load(src)).r0).toBe(want);
    });
  }
});

describe('loops', () => {
  for (const stackify of [true, false]) {
    it(`a counted loop and nested loops (stackify ${stackify})`, () => {
      const { load, run } = setup({ stackify });
      expect(run(load('r0 = 0\nr1 = 10\nl:\nr0 += r1\nr1 += -1\nif r1 != 0x0 goto l\nexit')).r0).toBe(55n);
      expect(run(load('r0 = 0\nr1 = 5\no:\nr2 = 4\ni:\nr0 += 1\nr2 += -1\nif r2 != 0x0 goto i\nr1 += -1\nif r1 != 0x0 goto o\nexit')).r0).toBe(20n);
    });
  }

  it('an irreducible loop (two entries) goes through the dispatcher and stays identical', () => {
    const { load, run } = setup();
    // if r1 == 0 goto B;  A: r0 += 1; B: r0 += 2; r2 -= 1; if r2 != 0 goto A
    const p = load([insn(0xb7, 0, 0, 0, 0), insn(0xb7, 2, 0, 0, 5), insn(0xbf, 3, 1, 0, 0), insn(0x55, 3, 0, 1, 0), insn(0x07, 0, 0, 0, 1), insn(0x07, 0, 0, 0, 2), insn(0x07, 2, 0, 0, -1), insn(0x55, 2, 0, -4, 0), insn(0x95, 0, 0, 0, 0)]);
    expect(run(p).r0).toBe(14n); // enters at B (r1 != 0): 2 + 4 * 3
    const img = compileProgram({ image: p.image, helperAt: p.helperAt, subprogs: p.subprogs, hasLdPacket: true });
    expect(img.loops + img.dispatched).toBe(1);
  });

  it('an infinite loop ends with RUN_STATUS.BUDGET on both engines', () => {
    const { load, run } = setup();
    expect(run(load([insn(0xb7, 0, 0, 0, 0), insn(0x07, 0, 0, 0, 1), insn(0x55, 0, 0, -2, -1), insn(0x95, 0, 0, 0, 0)])).status).toBe(RUN_STATUS.BUDGET);
  });
});

describe('bpf_jit_enable and fallback', () => {
  it('enable = 0 keeps programs on the interpreter (jited false) with the same results', () => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const jit = new JitRuntime(sys, sys.interpreter, { enable: 0 });
    const p = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel('r0 = 42\nexit'), license: 'GPL' }));
    const info = jit.load(p);
    expect(info).toMatchObject({ jited: false, jitedLen: 0, reason: 'bpf_jit_enable=0' });
    expect(jit.run(p, 0, 0)).toBe(RUN_STATUS.OK);
    expect(jit.lastJited).toBe(false);
    expect(jit.r0()).toBe(42n);
    jit.enable = 1;
    expect(jit.load(p).jited).toBe(true);
    expect(jit.load(p).jitedLen).toBeGreaterThan(0);
    expect(jit.run(p, 0, 0)).toBe(RUN_STATUS.OK);
    expect(jit.lastJited).toBe(true);
    jit.setProgJit(p, false);
    expect(jit.info(p)).toMatchObject({ jited: false, reason: 'jit disabled for this program' });
    jit.run(p, 0, 0);
    expect(jit.lastJited).toBe(false);
  });

  it('a program the compiler refuses stays on the interpreter, with the reason reported', () => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const jit = new JitRuntime(sys, sys.interpreter);
    const p = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel('r0 = 42\nexit'), license: 'GPL' }));
    const broken: BpfProg = { ...p, subprogs: [1] };
    const info = jit.load(broken);
    expect(info.jited).toBe(false);
    expect(info.reason).toMatch(/jit: first subprogram does not start at insn 0/);
    expect(jit.run(broken, 0, 0)).toBe(RUN_STATUS.OK);
    expect(jit.r0()).toBe(42n);
  });
});

describe('equivalence mode', () => {
  it('reports the first difference (a deliberately wrong engine)', () => {
    const { sys, jit, load } = setup();
    const p = load('r0 = 5\nr9 = 3\nexit');
    const real = jit.run.bind(jit);
    jit.run = (prog, a, b, c, d) => { const st = real(prog, a, b, c, d); jit.regs[18] = 4; return st; };
    const r = new EquivalenceRunner(jit).run(p, AddressSpace.hiOf(REGION.CTX), 0);
    expect(r.difference).toEqual({ kind: 'register', what: 'r9', interpreter: '0x0000000000000003', jit: '0x0000000000000004' });
    const q = load('*(u8 *)(r1 +3) = 9\nr0 = 0\nexit');
    jit.run = (prog, a, b, c, d) => { const st = real(prog, a, b, c, d); sys.mem.region(REGION.CTX)!.bytes[3] = 8; return st; };
    expect(new EquivalenceRunner(jit).run(q, AddressSpace.hiOf(REGION.CTX), 0).difference).toMatchObject({ kind: 'memory', what: 'region 1 (ctx) byte 3' });
  });
});

describe('region table', () => {
  it('follows a rebind of the same region index to new bytes (resident and mirrored)', () => {
    const { sys, jit, load, run } = setup();
    const p = load('r0 = *(u8 *)(r2 +99)\nexit');
    for (const make of [(n: number) => jit.alloc(n), (n: number) => new Uint8Array(n)]) {
      const small = make(64);
      sys.mem.bind(REGION.PACKET, 'packet', small);
      expect(run(p).status).toBe(RUN_STATUS.FAULT);
      const big = make(100);
      big[99] = 0x5a;
      sys.mem.bind(REGION.PACKET, 'packet', big);
      expect(run(p).r0).toBe(0x5an);
      sys.mem.bind(REGION.PACKET, 'packet', big, false);
      expect(run(load('*(u8 *)(r2 +1) = 1\nr0 = 0\nexit')).status).toBe(RUN_STATUS.FAULT);
    }
  });
});
