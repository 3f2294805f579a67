// Programs that use helpers, tail calls and bpf-to-bpf calls, run on the kernel
// (SCHED_CLS test_run) and on our engine: return values, map contents and helper results agree.
import { Prng, toHex } from '@tcbpf/base';
import { BpfOracle, bpfOracle, fuzzRuns, must } from '@tcbpf/testing';
import { BPF_MAP_CREATE_FLAG as F, BPF_MAP_TYPE as T, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, encodeInsns, makeProgType } from '../src/index.js';

const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (test)', ctxSize: 192 });
const FRAME = Uint8Array.from({ length: 64 }, (_, i) => i);
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/** A scenario: maps to create, programs (kernel syntax; `{m0}`, `{p0}` = fds), which program to run. */
interface Scenario {
  readonly name: string;
  readonly maps: readonly (readonly [type: number, key: number, value: number, max: number, flags?: number])[];
  readonly progs: readonly string[];
  /** prog_array updates: [map index, slot, prog index]. */
  readonly slots?: readonly (readonly [number, number, number])[];
  /** Which maps to read back after the run: [map index, key, value size]. */
  readonly read: readonly (readonly [number, number, number])[];
  readonly runs?: number;
}

/**
 * Helper calls on HASH m0 (max 2) and ARRAY m1 (max 2); after each, R0 (low 32 bits) is stored
 * into ARRAY m2[i] so the sequence of return values can be compared.
 */
function mapHelperProgram(): string {
  const lines: string[] = ['r1 = 5', '*(u64 *)(r10 -16) = r1', '*(u32 *)(r10 -4) = 1', 'r9 = 0'];
  const record = (): void => {
    lines.push('*(u32 *)(r10 -24) = r0', '*(u32 *)(r10 -28) = r9', 'r9 += 1', 'r1 = map[fd:{m2}]', 'r2 = r10', 'r2 += -28',
      'r3 = r10', 'r3 += -24', 'r4 = 0', 'call bpf_map_update_elem#2');
  };
  const update = (m: number, key: number, flags: number): void => {
    lines.push(`*(u32 *)(r10 -4) = ${key}`, `r1 = map[fd:{m${m}}]`, 'r2 = r10', 'r2 += -4', 'r3 = r10', 'r3 += -16', `r4 = ${flags}`, 'call bpf_map_update_elem#2');
    record();
  };
  const del = (m: number, key: number): void => {
    lines.push(`*(u32 *)(r10 -4) = ${key}`, `r1 = map[fd:{m${m}}]`, 'r2 = r10', 'r2 += -4', 'call bpf_map_delete_elem#3');
    record();
  };
  update(0, 1, 0); // new key: 0
  update(0, 1, 1); // NOEXIST on existing: -EEXIST
  update(0, 2, 2); // EXIST on missing: -ENOENT
  update(0, 2, 4); // BPF_F_LOCK without a spin lock: -EINVAL
  update(0, 2, 3); // bad flags: -EINVAL
  update(0, 2, 0); // second key: 0
  update(0, 3, 0); // full: -E2BIG
  del(0, 3); // missing: -ENOENT
  del(1, 0); // array delete: -EINVAL
  update(1, 5, 0); // array index out of range: -E2BIG
  update(1, 0, 1); // array NOEXIST: -EEXIST
  update(1, 1, 2); // array EXIST: 0
  lines.push('r0 = r9', 'exit');
  return lines.join('\n');
}

/**
 * A random sequence of map helper calls on map m0 (keys 0..5, random flags) whose return values
 * (lookups: the value or -1) are recorded into ARRAY m1[i].
 */
function randomHelperProgram(p: Prng, ops: number, lpm = false): string {
  const lines: string[] = ['r9 = 0'];
  for (let i = 0; i < ops; i++) {
    const key = p.below(6);
    const kind = p.below(3);
    if (lpm) {
      // struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[4] } at fp-8: prefixes of 10.k.x.y
      lines.push(`*(u32 *)(r10 -8) = ${[0, 8, 16, 24, 32, 33][p.below(6)]!}`, `*(u32 *)(r10 -4) = ${0x0a | (key << 8) | (p.below(4) << 16)}`,
        'r1 = map[fd:{m0}]', 'r2 = r10', 'r2 += -8');
    } else lines.push(`*(u32 *)(r10 -4) = ${key}`, 'r1 = map[fd:{m0}]', 'r2 = r10', 'r2 += -4');
    if (kind === 0) {
      lines.push(`r3 = ${p.below(1000)}`, '*(u64 *)(r10 -16) = r3', 'r3 = r10', 'r3 += -16', `r4 = ${[0, 0, 1, 2, 3, 4][p.below(6)]!}`, 'call bpf_map_update_elem#2');
    } else if (kind === 1) {
      lines.push('call bpf_map_delete_elem#3');
    } else {
      lines.push('call bpf_map_lookup_elem#1', `if r0 == 0x0 goto miss${i}`, 'r0 = *(u32 *)(r0 +0)', `goto rec${i}`, `miss${i}:`, 'r0 = -1', `rec${i}:`);
    }
    lines.push('*(u32 *)(r10 -24) = r0', '*(u32 *)(r10 -28) = r9', 'r9 += 1', 'r1 = map[fd:{m1}]', 'r2 = r10', 'r2 += -28',
      'r3 = r10', 'r3 += -24', 'r4 = 0', 'call bpf_map_update_elem#2');
  }
  lines.push('r0 = r9', 'exit');
  return lines.join('\n');
}

const COUNT_AND_TAIL_CALL = (slot: number) => `
  r6 = r1
  *(u32 *)(r10 -4) = 0
  r1 = map[fd:{m0}]
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem#1
  if r0 == 0x0 goto fail
  r1 = 1
  lock *(u32 *)(r0 +0) += r1
  r7 = *(u32 *)(r0 +0)
  r1 = r6
  r2 = map[fd:{m1}]
  r3 = ${slot}
  call bpf_tail_call#12
  r0 = r7
  exit
fail:
  r0 = 0
  exit`;

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'a program that tail-calls itself runs 34 times (MAX_TAIL_CALL_CNT 33)',
    maps: [[T.ARRAY, 4, 4, 1], [T.PROG_ARRAY, 4, 4, 4]],
    progs: [COUNT_AND_TAIL_CALL(0)],
    slots: [[1, 0, 0]],
    read: [[0, 0, 4]],
  },
  {
    name: 'a tail call to an empty slot falls through',
    maps: [[T.ARRAY, 4, 4, 1], [T.PROG_ARRAY, 4, 4, 4]],
    progs: [COUNT_AND_TAIL_CALL(1)],
    slots: [[1, 0, 0]],
    read: [[0, 0, 4]],
  },
  {
    name: 'a tail call with index >= max_entries falls through',
    maps: [[T.ARRAY, 4, 4, 1], [T.PROG_ARRAY, 4, 4, 4]],
    progs: [COUNT_AND_TAIL_CALL(100)],
    slots: [[1, 0, 0]],
    read: [[0, 0, 4]],
  },
  {
    name: 'tail call into another program keeps the stack-free state in maps; counter is per run',
    maps: [[T.ARRAY, 4, 4, 1], [T.PROG_ARRAY, 4, 4, 4]],
    progs: [COUNT_AND_TAIL_CALL(1), 'r0 = 77\nexit'],
    slots: [[1, 1, 1]],
    read: [[0, 0, 4]],
    runs: 3,
  },
  {
    name: 'bpf-to-bpf calls: arguments, callee stack, pointer to the caller stack, r6-r9 preserved',
    maps: [],
    progs: [`
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
      exit`],
    read: [],
  },
  {
    name: 'map helpers from a program: flags, NOEXIST/EXIST, full hash, missing keys, array delete',
    maps: [[T.HASH, 4, 8, 2], [T.ARRAY, 4, 8, 2], [T.ARRAY, 4, 4, 16]],
    progs: [mapHelperProgram()],
    read: Array.from({ length: 12 }, (_, i) => [2, i, 4] as const),
  },
  {
    name: 'ringbuf: output, reserve/submit/discard, query positions',
    maps: [[T.RINGBUF, 0, 0, 4096], [T.ARRAY, 4, 8, 4]],
    progs: [`
      r1 = 0x1122334455667788 ll
      *(u64 *)(r10 -8) = r1
      r1 = map[fd:{m0}]
      r2 = r10
      r2 += -8
      r3 = 5
      r4 = 0
      call bpf_ringbuf_output#130
      r6 = r0
      r1 = map[fd:{m0}]
      r2 = 24
      r3 = 0
      call bpf_ringbuf_reserve#131
      if r0 == 0x0 goto skip1
      r1 = 7
      *(u64 *)(r0 +0) = r1
      r1 = r0
      r2 = 0
      call bpf_ringbuf_submit#132
    skip1:
      r1 = map[fd:{m0}]
      r2 = 3
      r3 = 0
      call bpf_ringbuf_reserve#131
      if r0 == 0x0 goto skip2
      r1 = r0
      r2 = 0
      call bpf_ringbuf_discard#133
    skip2:
      r1 = map[fd:{m0}]
      r2 = 0
      call bpf_ringbuf_query#134
      *(u64 *)(r10 -16) = r0
      r1 = map[fd:{m0}]
      r2 = 3
      call bpf_ringbuf_query#134
      *(u64 *)(r10 -24) = r0
      r1 = map[fd:{m0}]
      r2 = 1
      call bpf_ringbuf_query#134
      *(u64 *)(r10 -32) = r0
      r1 = map[fd:{m0}]
      r2 = 8192
      r3 = 0
      call bpf_ringbuf_reserve#131
      if r0 == 0x0 goto none
      r1 = r0
      r2 = 0
      call bpf_ringbuf_discard#133
      r6 += 1000
    none:
      r7 = 0
      *(u32 *)(r10 -44) = r7
      r1 = map[fd:{m1}]
      r2 = r10
      r2 += -44
      r3 = r10
      r3 += -16
      r4 = 0
      call bpf_map_update_elem#2
      *(u32 *)(r10 -44) = 1
      r1 = map[fd:{m1}]
      r2 = r10
      r2 += -44
      r3 = r10
      r3 += -24
      r4 = 0
      call bpf_map_update_elem#2
      *(u32 *)(r10 -44) = 2
      r1 = map[fd:{m1}]
      r2 = r10
      r2 += -44
      r3 = r10
      r3 += -32
      r4 = 0
      call bpf_map_update_elem#2
      r0 = r6
      exit`],
    read: [[1, 0, 8], [1, 1, 8], [1, 2, 8]],
  },
  {
    name: 'trace_printk returns the formatted length',
    maps: [],
    progs: [`
      r1 = 0x0a6425203d78 ll
      *(u64 *)(r10 -8) = r1
      r1 = r10
      r1 += -8
      r2 = 7
      r3 = -42
      call bpf_trace_printk#6
      r6 = r0
      r1 = 0x0a7825 ll
      *(u64 *)(r10 -8) = r1
      r1 = r10
      r1 += -8
      r2 = 4
      r3 = 0xabc
      call bpf_trace_printk#6
      r6 <<= 8
      r6 |= r0
      r1 = 0x6968 ll
      *(u64 *)(r10 -8) = r1
      r1 = r10
      r1 += -8
      r2 = 2
      call bpf_trace_printk#6
      r6 <<= 8
      r0 &= 0xff
      r6 |= r0
      r0 = r6
      exit`],
    read: [],
  },
];

function fill(text: string, maps: readonly number[], progs: readonly number[]): string {
  return text.replace(/\{m(\d)\}/g, (_, i: string) => String(maps[Number(i)])).replace(/\{p(\d)\}/g, (_, i: string) => String(progs[Number(i)]));
}

function runOurs(s: Scenario): { retvals: number[]; reads: string[]; trace: string[] } {
  const sys = new BpfSyscall({ progTypes: [TYPE] });
  const maps = s.maps.map(([type, key, value, max, flags]) => sys.mapCreate({ mapType: type, keySize: key, valueSize: value, maxEntries: max, mapFlags: flags ?? 0 }));
  const progs = s.progs.map((p) => sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: assembleKernel(fill(p, maps, [])), license: 'GPL' }));
  for (const [m, slot, p] of s.slots ?? []) sys.mapUpdateElem(maps[m]!, u32(slot), u32(progs[p]!));
  sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192));
  const retvals: number[] = [];
  for (let i = 0; i < (s.runs ?? 1); i++) {
    expect(sys.run(sys.prog(progs[0]!), AddressSpace.hiOf(REGION.CTX), 0)).toBe(RUN_STATUS.OK);
    retvals.push(sys.interpreter.r0Lo >>> 0);
  }
  const reads = s.read.map(([m, key]) => toHex(sys.mapLookupElem(maps[m]!, u32(key))));
  return { retvals, reads, trace: sys.traceLines };
}

describe('helper, tail-call and call scenarios on the interpreter', () => {
  it('self tail call: 34 runs', () => {
    expect(runOurs(SCENARIOS[0]!).retvals).toEqual([34]);
  });
  it('trace_printk writes the trace buffer', () => {
    expect(runOurs(SCENARIOS[SCENARIOS.length - 1]!).trace).toEqual(['x= -42', 'abc']);
  });
});

const o = bpfOracle();
describe.skipIf(!o.ok)(`helper, tail-call and call scenarios agree with the kernel (kernel: ${o.reason || 'bpf() available'})`, () => {
  let k: BpfOracle;
  beforeAll(() => { k = BpfOracle.open(); });
  afterAll(() => k.close());

  it.each(SCENARIOS)('$name', async (s) => {
    const kmaps: number[] = [];
    for (const [type, key, value, max, flags] of s.maps) kmaps.push(must(await k.mapCreate(type, key, value, max, flags ?? 0), 'map_create'));
    const kprogs: number[] = [];
    for (const p of s.progs) {
      const r = await k.progLoad(BPF_PROG_TYPE.SCHED_CLS, encodeInsns(assembleKernel(fill(p, kmaps, []))));
      if (!r.ok) throw new Error(`kernel refused: ${r.log.split('\n').slice(-4).join(' | ')}`);
      kprogs.push(r.value);
    }
    for (const [m, slot, p] of s.slots ?? []) must(await k.mapUpdate(kmaps[m]!, u32(slot), u32(kprogs[p]!)), 'slot');
    const retvals: number[] = [];
    for (let i = 0; i < (s.runs ?? 1); i++) retvals.push(must(await k.testRun(kprogs[0]!, FRAME, 0), 'test_run').retval);
    const reads: string[] = [];
    for (const [m, key, size] of s.read) reads.push(toHex(must(await k.mapLookup(kmaps[m]!, u32(key), size), 'lookup')));
    for (const fd of [...kprogs, ...kmaps]) await k.closeFd(fd);
    const ours = runOurs(s);
    expect({ retvals: ours.retvals, reads: ours.reads }).toEqual({ retvals, reads });
  });

  it('fuzz: random map helper sequences from programs return what the kernel returns (HASH, ARRAY, LPM_TRIE)', async () => {
    const p = new Prng(0x4e1b);
    const rounds = fuzzRuns(6, 60);
    for (let r = 0; r < rounds; r++) {
      const ops = 10 + p.below(20);
      const kind = r % 3;
      const s: Scenario = {
        name: `round ${r}`,
        maps: [kind === 0 ? [T.HASH, 4, 8, 3] : kind === 1 ? [T.ARRAY, 4, 8, 4] : [T.LPM_TRIE, 8, 8, 3, F.NO_PREALLOC], [T.ARRAY, 4, 4, 64]],
        progs: [randomHelperProgram(p, ops, kind === 2)],
        read: Array.from({ length: ops }, (_, i) => [1, i, 4] as const),
      };
      const kmaps: number[] = [];
      for (const [type, key, value, max, flags] of s.maps) kmaps.push(must(await k.mapCreate(type, key, value, max, flags ?? 0), 'map_create'));
      const fd = await k.progLoad(BPF_PROG_TYPE.SCHED_CLS, encodeInsns(assembleKernel(fill(s.progs[0]!, kmaps, []))));
      if (!fd.ok) throw new Error(`kernel refused round ${r}: ${fd.log.split('\n').slice(-3).join(' | ')}`);
      const retval = must(await k.testRun(fd.value, FRAME, 0), 'test_run').retval;
      const reads: string[] = [];
      for (const [m, key, size] of s.read) reads.push(toHex(must(await k.mapLookup(kmaps[m]!, u32(key), size), 'lookup')));
      for (const f of [fd.value, ...kmaps]) await k.closeFd(f);
      const ours = runOurs(s);
      expect({ round: r, retvals: ours.retvals, reads: ours.reads }).toEqual({ round: r, retvals: [retval], reads });
    }
  });
});
