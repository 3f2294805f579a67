// Map values resident in the JIT's linear memory (AddressSpace.memoryAllocator
// installed by JitRuntime): maps created after the JIT keep their values there and
// are used in place; maps created before it, or once the resident area is full,
// are mirrored as before. Every run is checked against the interpreter.
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { AddressSpace, BpfSyscall, REGION, assembleKernel, makeProgType, type BpfProg } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { EquivalenceRunner, JitRuntime, type JitRuntimeOptions } from '../src/index.js';

const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (resident test)', ctxSize: 192 });
const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

const COUNT = (fd: number): string => `
  *(u32 *)(r10 -4) = 0
  r1 = map[fd:${fd}]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem#1
  if r0 == 0x0 goto out
  r1 = 1
  lock *(u32 *)(r0 +0) += r1
  r0 = *(u32 *)(r0 +0)
  exit
out:
  r0 = 0
  exit`;

interface Rig { sys: BpfSyscall; jit: JitRuntime | undefined; start: (opts?: JitRuntimeOptions) => JitRuntime }

function rig(): Rig {
  const sys = new BpfSyscall({ progTypes: [TYPE] });
  const r: Rig = {
    sys, jit: undefined,
    start: (opts = {}) => {
      const jit = new JitRuntime(sys, sys.interpreter, opts);
      sys.mem.bind(REGION.CTX, 'ctx', jit.alloc(192));
      sys.mem.bind(REGION.PACKET, 'packet', jit.alloc(64));
      r.jit = jit;
      return jit;
    },
  };
  return r;
}

function countTwice(sys: BpfSyscall, jit: JitRuntime, fd: number): BpfProg {
  const p = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel(COUNT(fd)), license: 'GPL' }));
  expect(jit.load(p).jited).toBe(true);
  const eq = new EquivalenceRunner(jit);
  for (let i = 0; i < 2; i++) {
    const r = eq.run(p, AddressSpace.hiOf(REGION.CTX), 0);
    expect(r.difference).toBeUndefined();
  }
  expect(new DataView(sys.mapLookupElem(fd, u32(0)).buffer).getUint32(0, true)).toBe(2);
  return p;
}

const valuesOf = (sys: BpfSyscall, fd: number): Uint8Array => sys.mem.region(sys.mapByFd(fd)!.region)!.bytes;

describe('map values resident in the JIT memory', () => {
  for (const [name, mapType, keySize] of [
    ['array', BPF_MAP_TYPE.ARRAY, 4], ['percpu_array', BPF_MAP_TYPE.PERCPU_ARRAY, 4], ['hash', BPF_MAP_TYPE.HASH, 4],
  ] as const) {
    it(`a ${name} map created after the JIT lives in its linear memory and is used in place`, () => {
      const { sys, start } = rig();
      const jit = start();
      const fd = sys.mapCreate({ mapType, keySize, valueSize: 8, maxEntries: 16 });
      if (mapType === BPF_MAP_TYPE.HASH) sys.mapUpdateElem(fd, u32(0), new Uint8Array(8));
      expect(jit.memory.isResident(valuesOf(sys, fd))).toBe(true);
      countTwice(sys, jit, fd);
      expect(jit.memory.mirrored).toBe(false);
    });
  }

  it('a map created before the JIT stays a plain array and is mirrored (same results)', () => {
    const { sys, start } = rig();
    const fd = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const jit = start();
    expect(jit.memory.isResident(valuesOf(sys, fd))).toBe(false);
    countTwice(sys, jit, fd);
    expect(jit.memory.mirrored).toBe(true);
  });

  it('falls back to a plain (mirrored) array when the resident area is full', () => {
    const { sys, start } = rig();
    const jit = start({ residentPages: 1 });
    const big = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 1024, maxEntries: 64 }); // 64 KiB: does not fit
    const small = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(jit.memory.isResident(valuesOf(sys, big))).toBe(false);
    expect(jit.memory.isResident(valuesOf(sys, small))).toBe(true);
    countTwice(sys, jit, big);
    countTwice(sys, jit, small);
  });

  it('an unchanged region table with a mirrored region still copies fresh bytes in on every run', () => {
    const { sys, start } = rig();
    const fd = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const jit = start();
    const p = countTwice(sys, jit, fd);
    // a user-space update between runs (no rebind) must be seen by the next compiled run
    sys.mapUpdateElem(fd, u32(0), u32(100));
    expect(jit.run(p, AddressSpace.hiOf(REGION.CTX), 0)).toBe(0);
    expect(jit.r0()).toBe(101n);
    expect(new DataView(sys.mapLookupElem(fd, u32(0)).buffer).getUint32(0, true)).toBe(101);
  });
});

describe('rebound resident regions (per-run ctx/packet) are patched in the region table', () => {
  it('alternating resident, mirrored and resident ctx buffers are each read and written where bound', () => {
    const { sys, start } = rig();
    const jit = start();
    const p = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel(`
      r0 = *(u32 *)(r1 +0)
      r2 = *(u32 *)(r1 +188)
      r2 += 1
      *(u32 *)(r1 +188) = r2
      exit`) }));
    expect(jit.load(p).jited).toBe(true);
    const a = jit.alloc(192), b = jit.alloc(192), c = new Uint8Array(192), small = jit.alloc(64);
    const bufs = [a, b, c];
    bufs.forEach((x, i) => new DataView(x.buffer, x.byteOffset).setUint32(0, 100 + i, true));
    const order = [0, 1, 0, 2, 2, 1, 0, 2, 0];
    for (const i of order) {
      const x = bufs[i]!;
      sys.mem.bind(REGION.CTX, 'ctx', x, true, new DataView(x.buffer, x.byteOffset, x.byteLength));
      expect(jit.run(p, AddressSpace.hiOf(REGION.CTX), 0)).toBe(0);
      expect(jit.r0()).toBe(BigInt(100 + i));
    }
    const count = (x: Uint8Array): number => new DataView(x.buffer, x.byteOffset).getUint32(188, true);
    expect(bufs.map(count)).toEqual([4, 2, 3]);
    // a shorter region bound in place: the access past its end faults, as on the interpreter
    sys.mem.bind(REGION.CTX, 'ctx', small);
    expect(jit.run(p, AddressSpace.hiOf(REGION.CTX), 0)).toBe(sys.interpreter.run(p, AddressSpace.hiOf(REGION.CTX), 0));
    expect(jit.run(p, AddressSpace.hiOf(REGION.CTX), 0)).not.toBe(0);
  });
});

describe('AddressSpace.generation', () => {
  it('every bind and unbind moves it, and the JIT sees an unbind between runs', () => {
    const { sys, start } = rig();
    const jit = start();
    const p = sys.prog(sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel('r0 = *(u32 *)(r1 +0)\nexit') }));
    expect(jit.load(p).jited).toBe(true);
    expect(jit.run(p, AddressSpace.hiOf(REGION.CTX), 0)).toBe(0);
    const g = sys.mem.generation;
    const ctx = sys.mem.region(REGION.CTX)!;
    sys.mem.unbind(REGION.CTX);
    expect(sys.mem.generation).not.toBe(g);
    const st = jit.run(p, AddressSpace.hiOf(REGION.CTX), 0);
    expect(st).not.toBe(0);
    expect(st).toBe(sys.interpreter.run(p, AddressSpace.hiOf(REGION.CTX), 0));
    sys.mem.bind(REGION.CTX, 'ctx', ctx.bytes, true, ctx.view);
    expect(jit.run(p, AddressSpace.hiOf(REGION.CTX), 0)).toBe(0);
  });
});
