// Engine behaviour that has no kernel oracle here: run statuses (faults, call depth, budget),
// read-only regions, ring buffer and perf consumers, map-in-map and LPM from programs,
// program objects (ids, names, license, stats), loader refusals, hash functions.
import { KernelError, toHex } from '@tcbpf/base';
import { BPF_MAP_CREATE_FLAG as F, BPF_MAP_TYPE as T, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import type { RingBufMap} from '../src/index.js';
import {
  AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, disasmKernel, insn, makeProgType,
  progTag, progTagSha1, sha1, sha256,
} from '../src/index.js';

const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (test)', ctxSize: 192 });
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

function setup(text: (fds: number[]) => string, maps: [number, number, number, number, number?][] = [], nrCpus = 1): { sys: BpfSyscall; fd: number; maps: number[]; run: () => number } {
  const sys = new BpfSyscall({ progTypes: [TYPE], nrCpus });
  const mfds = maps.map(([t, k, v, m, f]) => sys.mapCreate({ mapType: t, keySize: k, valueSize: v, maxEntries: m, mapFlags: f ?? 0 }));
  const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel(text(mfds)), license: 'GPL', name: 'test_prog' });
  sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192), false);
  return { sys, fd, maps: mfds, run: () => sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0) };
}

describe('run statuses', () => {
  it('an access outside the stack region faults at that instruction', () => {
    const { sys, run } = setup(() => 'r0 = *(u64 *)(r10 +0)\nexit');
    expect(run()).toBe(RUN_STATUS.FAULT);
    expect(sys.interpreter.faultPc).toBe(0);
  });
  it('a scalar used as a pointer faults (no region)', () => {
    const { run } = setup(() => 'r1 = 0x1000\nr0 = *(u8 *)(r1 +0)\nexit');
    expect(run()).toBe(RUN_STATUS.FAULT);
  });
  it('stores into a read-only region fault, loads work', () => {
    expect(setup(() => '*(u32 *)(r1 +0) = 1\nr0 = 0\nexit').run()).toBe(RUN_STATUS.FAULT);
    const ok = setup(() => 'r0 = *(u32 *)(r1 +188)\nexit');
    expect(ok.run()).toBe(RUN_STATUS.OK);
  });
  it('deep recursion hits MAX_CALL_FRAMES', () => {
    const { run } = setup(() => 'call pc+1\nexit\ncall pc-1\nexit');
    expect(run()).toBe(RUN_STATUS.CALL_DEPTH);
  });
  it('an endless loop ends with BUDGET', () => {
    const { sys, run } = setup(() => 'r0 = 0\nr0 += 1\nif r0 != 0x0 goto pc-2\nexit');
    sys.interpreter.budget = 1000;
    expect(run()).toBe(RUN_STATUS.BUDGET);
    expect(sys.interpreter.executed).toBe(1000);
  });
  it('each frame has its own 512-byte stack; callee sees a fresh r10', () => {
    const { sys, run } = setup(() => 'r1 = 7\n*(u64 *)(r10 -8) = r1\ncall pc+2\nr0 = *(u64 *)(r10 -8)\nexit\nr1 = 9\n*(u64 *)(r10 -8) = r1\nr0 = 0\nexit');
    expect(run()).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(7);
  });
  it('counts runs and executed instructions', () => {
    const { sys, fd, run } = setup(() => 'r0 = 1\nr0 += 2\nexit');
    run();
    run();
    expect(sys.prog(fd).stats).toMatchObject({ runCnt: 2, insnCnt: 6 });
    expect(sys.progInfo(fd)).toMatchObject({ runCnt: 2, name: 'test_prog', type: BPF_PROG_TYPE.SCHED_CLS, gplCompatible: true });
  });
});

describe('superinstructions', () => {
  const lea = (text: string): { r0: bigint; executed: number } => {
    const { sys, run } = setup(() => text);
    expect(run()).toBe(RUN_STATUS.OK);
    return { r0: sys.interpreter.r0(), executed: sys.interpreter.executed };
  };
  it('mov + add (+ jgt) give the unfused results, with carries, and count every instruction', () => {
    expect(lea('r1 = 0xffffffff ll\nr3 = 0x100000000 ll\nr2 = r1\nr2 += 1\nif r2 > r3 goto pc+1\nr0 = r2\nexit')).toEqual({ r0: 0x100000000n, executed: 7 });
    expect(lea('r1 = 0xffffffff ll\nr3 = 0x100000000 ll\nr0 = 5\nr2 = r1\nr2 += 2\nif r2 > r3 goto pc+1\nr0 = r2\nexit')).toEqual({ r0: 5n, executed: 7 });
    expect(lea('r1 = -1\nr0 = r1\nr0 += -1\nexit')).toEqual({ r0: 0xfffffffffffffffen, executed: 4 });
  });
  it('a jump into the middle of a pattern runs the instructions one by one', () => {
    // the jump lands on `r2 += 1`: r2 keeps 10 from before, so r0 = 11 (fused it would be r1 + 1)
    expect(lea('r1 = 100\nr2 = 10\nr3 = 0\nif r3 == 0x0 goto pc+1\nr2 = r1\nr2 += 1\nr0 = r2\nexit')).toEqual({ r0: 11n, executed: 7 });
    expect(lea('r1 = 100\nr2 = 10\nr3 = 0\nr4 = 5\nr2 = r1\nr2 += 1\nif r3 == 0x0 goto pc+1\nif r2 > r4 goto pc+1\nr0 = r2\nexit').r0).toBe(101n);
  });
});

describe('maps from programs', () => {
  it('an ARRAY lookup returns a live pointer: program stores are visible to user space', () => {
    const { sys, maps, run } = setup((m) => `*(u32 *)(r10 -4) = 1\nr1 = map[fd:${m[0]}]\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem#1\nif r0 == 0x0 goto pc+2\nr1 = 0x55\n*(u64 *)(r0 +0) = r1\nr0 = 0\nexit`, [[T.ARRAY, 4, 8, 2]]);
    expect(run()).toBe(RUN_STATUS.OK);
    expect(toHex(sys.mapLookupElem(maps[0]!, u32(1)))).toBe('5500000000000000');
  });
  it('PERCPU_ARRAY: the program sees its CPU slot', () => {
    const { sys, maps, run } = setup((m) => `*(u32 *)(r10 -4) = 0\nr1 = map[fd:${m[0]}]\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem#1\nif r0 == 0x0 goto pc+2\nr1 = 3\n*(u32 *)(r0 +0) = r1\nr0 = 0\nexit`, [[T.PERCPU_ARRAY, 4, 4, 1]], 2);
    sys.interpreter.cpu = 1;
    expect(run()).toBe(RUN_STATUS.OK);
    expect(toHex(sys.mapLookupElem(maps[0]!, u32(0)))).toBe('0000000000000000' + '0300000000000000');
  });
  it('LPM_TRIE lookup from a program finds the longest prefix', () => {
    const { sys, maps, run } = setup((m) => `r1 = 0x0302010a00000020 ll\n*(u64 *)(r10 -8) = r1\nr1 = map[fd:${m[0]}]\nr2 = r10\nr2 += -8\ncall bpf_map_lookup_elem#1\nif r0 == 0x0 goto pc+2\nr0 = *(u32 *)(r0 +0)\nexit\nr0 = 0\nexit`, [[T.LPM_TRIE, 8, 4, 4, F.NO_PREALLOC]]);
    sys.mapUpdateElem(maps[0]!, Uint8Array.of(8, 0, 0, 0, 10, 0, 0, 0), u32(8));
    sys.mapUpdateElem(maps[0]!, Uint8Array.of(16, 0, 0, 0, 10, 1, 0, 0), u32(16));
    expect(run()).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(16);
  });
  it('ARRAY_OF_MAPS: lookup yields the inner map, usable for a second lookup', () => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const inner = sys.mapCreate({ mapType: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const outer = sys.mapCreate({ mapType: T.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: inner });
    sys.mapUpdateElem(outer, u32(1), u32(inner));
    sys.mapUpdateElem(inner, u32(0), u32(0xabcd));
    const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel(`*(u32 *)(r10 -4) = 1
      r1 = map[fd:${outer}]
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem#1
      if r0 == 0x0 goto pc+7
      *(u32 *)(r10 -4) = 0
      r1 = r0
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem#1
      if r0 == 0x0 goto pc+1
      r0 = *(u32 *)(r0 +0)
      exit`) });
    expect(sys.run(sys.prog(fd), 0, 0)).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(0xabcd);
  });
  it('RINGBUF records reach the user-space consumer; discarded ones do not', () => {
    const { sys, maps, run } = setup((m) => `r1 = 0x44434241 ll\n*(u64 *)(r10 -8) = r1\nr1 = map[fd:${m[0]}]\nr2 = r10\nr2 += -8\nr3 = 4\nr4 = 0\ncall bpf_ringbuf_output#130\nr1 = map[fd:${m[0]}]\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve#131\nif r0 == 0x0 goto pc+3\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_discard#133\nr0 = 0\nexit`, [[T.RINGBUF, 0, 0, 4096]]);
    for (let i = 0; i < 3; i++) expect(run()).toBe(RUN_STATUS.OK);
    const rb = sys.map(maps[0]!) as RingBufMap;
    expect(rb.consume().map((r) => new TextDecoder().decode(r))).toEqual(['ABCD', 'ABCD', 'ABCD']);
    expect(rb.availData).toBe(0);
  });
  it('a full ring refuses reservations until the consumer catches up; records may wrap', () => {
    const { sys, maps, run } = setup((m) => `r1 = map[fd:${m[0]}]\nr2 = r10\nr2 += -16\nr3 = 1000\nr4 = 0\nr1 = map[fd:${m[0]}]\nr2 = 1000\nr3 = 0\ncall bpf_ringbuf_reserve#131\nif r0 == 0x0 goto pc+6\nr1 = 0x5a\n*(u8 *)(r0 +999) = r1\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_submit#132\nr0 = 1\nexit`, [[T.RINGBUF, 0, 0, 4096]]);
    const rb = sys.map(maps[0]!) as RingBufMap;
    const got: number[] = [];
    for (let i = 0; i < 5; i++) { run(); got.push(sys.interpreter.r0Lo); }
    expect(got).toEqual([1, 1, 1, 1, 0]);
    expect(rb.consume().length).toBe(4);
    for (let i = 0; i < 3; i++) { run(); expect(sys.interpreter.r0Lo).toBe(1); }
    const recs = rb.consume();
    expect(recs.length).toBe(3);
    for (const r of recs) expect(r[999]).toBe(0x5a);
  });
  it('perf_event_output pushes records to the event of the current CPU', () => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const pa = sys.mapCreate({ mapType: T.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    const ev = sys.perfEventOpen(0);
    sys.mapUpdateElem(pa, u32(0), u32(ev.fd));
    const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel(`r1 = 0x11223344 ll
      *(u64 *)(r10 -8) = r1
      r4 = r10
      r4 += -8
      r2 = map[fd:${pa}]
      r3 = 0xffffffff ll
      r5 = 4
      call bpf_perf_event_output#25
      exit`) });
    expect(sys.run(sys.prog(fd), 0, 0)).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(0);
    expect(ev.buffer.drain().map(toHex)).toEqual(['44332211']);
  });
});

describe('loader', () => {
  const sys = new BpfSyscall({ progTypes: [TYPE] });
  const load = (text: string, extra: Partial<{ license: string; name: string; progType: number }> = {}): unknown =>
    sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel(text), license: 'GPL', ...extra });
  const refusal = (f: () => unknown): string => {
    try { f(); return 'ok'; } catch (e) { return KernelError.isInstance(e) ? `${e.errno} ${e.extack}` : String(e); }
  };
  it('refuses unknown helpers, helpers of other types, GPL-only helpers without GPL', () => {
    expect(refusal(() => load('call 9999\nexit'))).toBe('EINVAL invalid func unknown#9999');
    expect(refusal(() => load('call 9\nexit'))).toBe('EINVAL program of this type cannot use helper bpf_skb_store_bytes#9');
    expect(refusal(() => load('r1 = r10\nr2 = 0\ncall bpf_trace_printk#6\nexit', { license: 'MIT' }))).toBe('EINVAL cannot call GPL-restricted function from non-GPL compatible program');
  });
  it('refuses bad names, unknown program types, bad map fds, LD_ABS where not allowed', () => {
    expect(refusal(() => load('r0 = 0\nexit', { name: 'a-name' }))).toMatch(/^EINVAL name "a-name"/);
    expect(refusal(() => load('r0 = 0\nexit', { name: 'x'.repeat(16) }))).toMatch(/longer than 15/);
    expect(refusal(() => load('r0 = 0\nexit', { progType: 99 }))).toMatch(/^EINVAL program type 99/);
    expect(refusal(() => load('r1 = map[fd:77]\nr0 = 0\nexit'))).toBe('EBADF fd 77 is not pointing to valid bpf_map');
    expect(refusal(() => load('r6 = r1\nr0 = *(u8 *)skb[0]\nexit'))).toBe('EINVAL BPF_LD_[ABS|IND] instructions not allowed for this program type');
  });
  it('refuses maps larger than the simulator allows with ENOMEM (no RangeError)', () => {
    for (const t of [T.ARRAY, T.HASH, T.LRU_PERCPU_HASH, T.PROG_ARRAY, T.LPM_TRIE]) {
      expect(refusal(() => sys.mapCreate({ mapType: t, keySize: t === T.LPM_TRIE ? 8 : 4, valueSize: t === T.PROG_ARRAY ? 4 : 64, maxEntries: 0xfffffff0, mapFlags: t === T.LPM_TRIE ? F.NO_PREALLOC : 0 }))).toMatch(/^ENOMEM/);
    }
    expect(refusal(() => sys.mapCreate({ mapType: T.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 2 ** 30 }))).toMatch(/^ENOMEM/);
  });
  it('assigns cyclic ids, keeps maps alive while a program uses them', () => {
    const m = sys.mapCreate({ mapType: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const p = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel(`r1 = map[fd:${m}]\nr0 = 0\nexit`) });
    const id = sys.mapInfo(m).id;
    sys.close(m);
    expect(sys.mapById(id)).toBeDefined();
    expect(sys.progInfo(p).mapIds).toEqual([id]);
    sys.close(p);
    expect(sys.mapById(id)).toBeUndefined();
    expect(() => sys.close(p)).toThrow(KernelError);
  });
});

describe('address space and batches', () => {
  it('rebinding a fixed region (per packet) reuses its record', () => {
    const mem = new AddressSpace();
    const a = new Uint8Array(64);
    const b = new Uint8Array(128);
    mem.bind(REGION.PACKET, 'packet', a, true, new DataView(a.buffer));
    const rec = mem.region(REGION.PACKET);
    mem.bind(REGION.PACKET, 'packet', b, false, new DataView(b.buffer));
    expect(mem.region(REGION.PACKET)).toBe(rec);
    expect(rec).toMatchObject({ bytes: b, writable: false });
    expect(mem.lens[REGION.PACKET]).toBe(128);
    expect(mem.resolve(AddressSpace.hiOf(REGION.PACKET), 120, 8)?.offset).toBe(120);
    expect(mem.resolve(AddressSpace.hiOf(REGION.PACKET), 121, 8)).toBeUndefined();
  });
  it('lookup batches walk the map in get_next_key order and end with ENOENT', () => {
    const sys = new BpfSyscall();
    const fd = sys.mapCreate({ mapType: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 5 });
    sys.mapUpdateBatch(fd, [u32(1), u32(3)], [u32(10), u32(30)]);
    const first = sys.mapLookupBatch(fd, 3);
    expect(first.keys.map(toHex)).toEqual(['00000000', '01000000', '02000000']);
    expect(first.values.map(toHex)).toEqual(['00000000', '0a000000', '00000000']);
    const second = sys.mapLookupBatch(fd, 3, first.outBatch);
    expect(second.keys.map(toHex)).toEqual(['03000000', '04000000']);
    expect(() => sys.mapLookupBatch(fd, 3, second.outBatch)).toThrow(KernelError);
    expect(() => sys.mapDeleteBatch(fd, [u32(0)])).toThrow(/EINVAL/);
  });
});

describe('hashes and tags', () => {
  it('SHA-1 and SHA-256 match the FIPS 180 examples', () => {
    const abc = new TextEncoder().encode('abc');
    expect(toHex(sha1(abc))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(toHex(sha256(abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const long = new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
    expect(toHex(sha256(long))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(toHex(sha1(long))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
  });
  it('the tag ignores map fds (both LD_IMM64 slots) and matches the kernel value for r0 = 5; exit', () => {
    expect(progTag(assembleKernel('r0 = 5\nexit'))).toBe('c1abe8d4fceb5316');
    expect(progTagSha1(assembleKernel('r0 = 5\nexit'))).toBe('4ab3346fcf1b0c19');
    expect(progTag(assembleKernel('r1 = map[fd:3]\nr0 = 0\nexit'))).toBe(progTag(assembleKernel('r1 = map[fd:9]\nr0 = 0\nexit')));
    expect(progTag(assembleKernel('r1 = map[fd:3][0]+4\nr0 = 0\nexit'))).toBe(progTag(assembleKernel('r1 = map[fd:9][0]+8\nr0 = 0\nexit')));
    expect(progTag(assembleKernel('r1 = 3 ll\nr0 = 0\nexit'))).not.toBe(progTag(assembleKernel('r1 = 9 ll\nr0 = 0\nexit')));
  });
  it('assembleKernel resolves `call label` to a bpf-to-bpf call and refuses unknown labels', () => {
    const insns = assembleKernel('r1 = 20\ncall double\nexit\ndouble:\nr0 = r1\nr0 += r1\nexit');
    expect(insns[1]).toEqual(insn(0x85, 0, 1, 0, 1));
    const { sys, run } = setup(() => 'r1 = 20\ncall double\nexit\ndouble:\nr0 = r1\nr0 += r1\nexit');
    expect(run()).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(40);
    expect(() => assembleKernel('call nowhere\nexit')).toThrow(/unknown label nowhere/);
  });
  it('disassembles in the verifier-log syntax', () => {
    expect(disasmKernel([insn(0x61, 0, 1, 76, 0), insn(0x15, 1, 0, 2, 5), insn(0x85, 0, 0, 0, 1), insn(0x95)])).toBe(
      '0: (61) r0 = *(u32 *)(r1 +76)\n1: (15) if r1 == 0x5 goto pc+2\n2: (85) call bpf_map_lookup_elem#1\n3: (95) exit');
  });
});
