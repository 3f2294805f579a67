// What the loader extracts from the committed clang-19 fixtures: programs,
// section-type hints, subprogram linking, map definitions (BTF, legacy,
// global data), relocations and tail-call slots. Expected values follow from
// the C sources in test/fixtures/progs (struct sizes, map attributes).
import { BPF_ELF_PIN, BPF_MAP_CREATE_FLAG, BPF_MAP_TYPE, BPF_PROG_TYPE, BPF_PSEUDO, LIBBPF_PIN } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  BpfFs, ElfFile, MODELS, SEC_ATTACH_TYPE, internalMapName, loadElfObject, objectNameOf, planPins, secInfo, selectProgram, tcPinPath,
  type BpfObject, type BpfProgramSpec,
} from '../src/index.js';
import { FIXTURES, expectKernelError, objectSha1, readFixture, type FixtureName } from './fixture-objects.js';

function load(name: FixtureName): BpfObject {
  return loadElfObject(readFixture(name), { fileName: name });
}

function insn(p: BpfProgramSpec, i: number): { code: number; dst: number; src: number; off: number; imm: number } {
  const dv = new DataView(p.insns.buffer, p.insns.byteOffset, p.insns.byteLength);
  const b = p.insns[i * 8 + 1]!;
  return { code: p.insns[i * 8]!, dst: b & 0xf, src: b >> 4, off: dv.getInt16(i * 8 + 2, true), imm: dv.getInt32(i * 8 + 4, true) };
}

/** Offset of a global variable in its section, from the object's own symbol table. */
function symOffset(name: FixtureName, sym: string): number {
  const elf = new ElfFile(readFixture(name));
  const s = elf.symbols.find((x) => x.name === sym);
  if (!s) throw new Error(`no symbol ${sym}`);
  return s.value;
}

describe('ELF loader on the clang-19 fixtures', () => {
  it('names the sources it models', () => {
    expect(MODELS.some((m) => m.startsWith('tools/lib/bpf/libbpf.c'))).toBe(true);
  });

  it('loads every fixture with a license, BTF and at least one program', () => {
    for (const f of FIXTURES) {
      const o = load(f);
      expect(o.name).toBe(objectNameOf(f));
      expect(o.license.length).toBeGreaterThan(0);
      expect(o.hasBtf).toBe(true);
      expect(o.programs.length).toBeGreaterThan(0);
      for (const p of o.programs) {
        expect(p.insns.length).toBe(p.insnCount * 8);
        // the main part ends in EXIT (0x95) or JA (0x05), as the verifier requires
        expect([0x95, 0x05]).toContain(insn(p, p.mainInsnCount - 1).code);
        // only core_read.o carries CO-RE relocations
        if (f !== 'core_read.o') expect(p.coreRelocs).toBe(0);
      }
    }
  });

  it('parse_classify: tc program with a .text subprogram appended and the call rewritten', () => {
    const o = load('parse_classify.o');
    expect(o.programs.map((p) => p.name)).toEqual(['classify']);
    const p = o.programs[0]!;
    expect(p.section).toBe('tc');
    expect(p.progType).toBe(BPF_PROG_TYPE.SCHED_CLS);
    expect(p.subprograms).toHaveLength(1);
    const sub = p.subprograms[0]!;
    expect(sub.name).toBe('l4_class');
    expect(sub.start).toBe(p.mainInsnCount);
    expect(p.insnCount).toBe(p.mainInsnCount + sub.insnCount);
    // every bpf-to-bpf call lands on the subprogram's first instruction
    let calls = 0;
    for (let i = 0; i < p.mainInsnCount; i++) {
      const x = insn(p, i);
      if (x.code === 0x85 && x.src === BPF_PSEUDO.CALL) {
        calls++;
        expect(i + 1 + x.imm).toBe(sub.start);
      }
    }
    expect(calls).toBeGreaterThan(0);
    expect(o.maps).toHaveLength(1);
    const m = o.maps[0]!;
    expect(m).toMatchObject({ name: 'class_stats', source: 'btf', type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0, pinning: 0 });
    expect(p.mapRelocs.every((r) => r.map === 'class_stats' && r.pseudo === BPF_PSEUDO.MAP_FD)).toBe(true);
    for (const r of p.mapRelocs) {
      expect(insn(p, r.insn)).toMatchObject({ code: 0x18, src: BPF_PSEUDO.MAP_FD, imm: 0 });
    }
  });

  it('callbacks: bpf_loop callback address, global and static .text functions, map-in-map slots', () => {
    const o = load('callbacks.o');
    const p = o.programs[0]!;
    expect(p.name).toBe('loop_sum');
    expect(p.subprograms.map((s) => s.name).sort()).toEqual(['bump_class', 'dscp_of', 'sum_byte']);
    const starts = new Map(p.subprograms.map((s) => [s.name, s.start]));
    // the callback: LD_IMM64 src=BPF_PSEUDO_FUNC whose imm is relative to the next instruction
    const funcs: number[] = [];
    for (let i = 0; i < p.insnCount; i++) {
      const x = insn(p, i);
      if (x.code === 0x18 && x.src === BPF_PSEUDO.FUNC) funcs.push(i + 1 + x.imm);
      if (x.code === 0x85 && x.src === BPF_PSEUDO.CALL) expect([...starts.values()]).toContain(i + 1 + x.imm);
    }
    expect(funcs).toEqual([starts.get('sum_byte')]);
    const tables = o.maps.find((m) => m.name === 'tables')!;
    expect(tables).toMatchObject({ type: BPF_MAP_TYPE.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(tables.innerMap).toMatchObject({ type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 64 });
    expect(tables.initSlots).toEqual([{ index: 0, map: 'dscp_counts' }]);
  });

  it('core_read: CO-RE relocations are counted and reported per program (not applied)', () => {
    const o = load('core_read.o');
    const p = o.programs[0]!;
    expect(o.btfExt).toBeDefined();
    expect(o.btfExt!.coreReloLen).toBeGreaterThan(0);
    // one record per field access: protocol, len, queue_mapping
    expect(p.coreRelocs).toBe(3);
    expect(o.btfExt!.coreRelosBySection.get('tc')).toBe(3);
  });

  it('nat_rewrite: classifier section, hash map keyed by struct nat_key', () => {
    const o = load('nat_rewrite.o');
    const p = selectProgram(o, { type: 'cls' });
    expect(p.name).toBe('nat_ingress');
    expect(p.progType).toBe(BPF_PROG_TYPE.SCHED_CLS);
    expect(o.maps[0]).toMatchObject({ name: 'nat_table', type: BPF_MAP_TYPE.HASH, keySize: 8, valueSize: 16, maxEntries: 1024 });
    expect(o.maps[0]!.btfKeyTypeId).toBeGreaterThan(0);
    expect(o.btf!.type(o.maps[0]!.btfKeyTypeId).name).toBe('nat_key');
  });

  it('vlan: tcx sections carry the expected attach type; .rodata holds the configured values', () => {
    const o = load('vlan.o');
    const push = o.programs.find((p) => p.name === 'vlan_push')!;
    const pop = o.programs.find((p) => p.name === 'vlan_pop')!;
    expect(push).toMatchObject({ section: 'tcx/egress', progType: BPF_PROG_TYPE.SCHED_CLS, expectedAttachType: SEC_ATTACH_TYPE.TCX_EGRESS });
    expect(pop).toMatchObject({ section: 'tcx/ingress', expectedAttachType: SEC_ATTACH_TYPE.TCX_INGRESS });
    const ro = o.maps.find((m) => m.name === '.rodata')!;
    expect(ro).toMatchObject({ source: 'data', type: BPF_MAP_TYPE.ARRAY, keySize: 4, maxEntries: 1, readonly: true, kernelName: 'vlan.rodata' });
    expect(ro.flags).toBe(BPF_MAP_CREATE_FLAG.RDONLY_PROG | BPF_MAP_CREATE_FLAG.MMAPABLE);
    const v = new DataView(ro.initialValue!.buffer);
    expect(v.getUint16(symOffset('vlan.o', 'vlan_id'), true)).toBe(100);
    expect(v.getUint16(symOffset('vlan.o', 'vlan_prio'), true)).toBe(3);
    expect(v.getUint32(symOffset('vlan.o', 'use_8021ad'), true)).toBe(0);
    // every .rodata reference is a MAP_VALUE load with the variable's offset in the second slot
    const offs = new Set([symOffset('vlan.o', 'vlan_id'), symOffset('vlan.o', 'vlan_prio'), symOffset('vlan.o', 'use_8021ad')]);
    for (const p of [push, pop]) {
      for (const r of p.mapRelocs) {
        expect(r.pseudo).toBe(BPF_PSEUDO.MAP_VALUE);
        expect(offs.has(r.offset)).toBe(true);
        expect(insn(p, r.insn + 1).imm).toBe(r.offset);
      }
    }
  });

  it('tail_call: prog_array slots initialised from .rel.maps', () => {
    const o = load('tail_call.o');
    const jt = o.maps.find((m) => m.name === 'jmp_table')!;
    expect(jt).toMatchObject({ type: BPF_MAP_TYPE.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(jt.initSlots).toEqual([{ index: 0, program: 'handle_ipv4' }, { index: 1, program: 'handle_ipv6' }]);
    expect(o.maps.find((m) => m.name === 'dispatch_count')).toMatchObject({ type: BPF_MAP_TYPE.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(o.programs.map((p) => p.name).sort()).toEqual(['dispatch', 'handle_ipv4', 'handle_ipv6']);
    const d = o.programs.find((p) => p.name === 'dispatch')!;
    expect(d.mapRelocs.map((r) => r.map).sort()).toEqual(['dispatch_count', 'jmp_table']);
  });

  it('lpm_lru: LPM trie (no-prealloc) and LRU hash, pinned by name into tc/globals', () => {
    const o = load('lpm_lru.o');
    const lpm = o.maps.find((m) => m.name === 'src_policy')!;
    const lru = o.maps.find((m) => m.name === 'flow_cache')!;
    expect(lpm).toMatchObject({ type: BPF_MAP_TYPE.LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 256, flags: BPF_MAP_CREATE_FLAG.NO_PREALLOC, pinning: LIBBPF_PIN.BY_NAME });
    expect(lru).toMatchObject({ type: BPF_MAP_TYPE.LRU_HASH, keySize: 16, valueSize: 16, maxEntries: 64, pinning: LIBBPF_PIN.BY_NAME });
    expect(tcPinPath(lpm)).toBe('/sys/fs/bpf/tc/globals/src_policy');
    expect(tcPinPath(lru, { mnt: '/run/bpf/' })).toBe('/run/bpf/tc/globals/flow_cache');
    expect(o.programs[0]).toMatchObject({ section: 'tc/ingress', expectedAttachType: SEC_ATTACH_TYPE.TCX_INGRESS });
  });

  it('redirect_global: .data/.rodata/.bss as array maps with libbpf internal names and initial bytes', () => {
    const o = load('redirect_global.o');
    const by = (n: string) => o.maps.find((m) => m.name === n)!;
    expect(by('.rodata').kernelName).toBe('redirect.rodata');
    expect(by('.data').kernelName).toBe('redirect.data');
    expect(by('.bss').kernelName).toBe('redirect.bss');
    expect(by('.data').flags).toBe(BPF_MAP_CREATE_FLAG.MMAPABLE);
    expect(by('.bss').valueSize).toBe(24);
    expect(by('.bss').initialValue).toEqual(new Uint8Array(24));
    const data = new DataView(by('.data').initialValue!.buffer);
    expect(data.getUint32(symOffset('redirect_global.o', 'budget'), true)).toBe(1000);
    const ro = new DataView(by('.rodata').initialValue!.buffer);
    expect(ro.getUint16(symOffset('redirect_global.o', 'redirect_port'), true)).toBe(4789);
    const p = o.programs[0]!;
    const bss = p.mapRelocs.filter((r) => r.map === '.bss').map((r) => r.offset).sort((a, b) => a - b);
    expect(bss).toEqual(['redirected', 'passed', 'last_seen_ns'].map((s) => symOffset('redirect_global.o', s)).sort((a, b) => a - b));
  });

  it('legacy_maps: struct bpf_elf_map maps, ID/KEY tail-call section, classifier and action', () => {
    const bytes = readFixture('legacy_maps.o');
    const o = loadElfObject(bytes, { fileName: 'legacy_maps.o' });
    const counters = o.maps.find((m) => m.name === 'legacy_counters')!;
    const jmp = o.maps.find((m) => m.name === 'legacy_jmp')!;
    expect(counters).toMatchObject({ source: 'legacy', type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, pinning: BPF_ELF_PIN.GLOBAL_NS, legacyId: 0 });
    expect(jmp).toMatchObject({ source: 'legacy', type: BPF_MAP_TYPE.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, legacyId: 1, pinning: BPF_ELF_PIN.NONE });
    expect(o.programs.find((p) => p.name === 'legacy_tail')!.tailCall).toEqual({ mapId: 1, key: 0 });
    // the "1/0" section fills slot 0 of the prog_array with id 1
    expect(jmp.initSlots).toEqual([{ index: 0, program: 'legacy_tail' }]);
    expect(counters.initSlots).toEqual([]);
    expect(selectProgram(o).name).toBe('legacy_cls');
    expect(selectProgram(o, { type: 'act' })).toMatchObject({ name: 'legacy_act', progType: BPF_PROG_TYPE.SCHED_ACT });
    expect(tcPinPath(counters)).toBe('/sys/fs/bpf/tc/globals/legacy_counters');
    expect(tcPinPath(jmp)).toBeUndefined();
    const objNs = { ...counters, pinning: BPF_ELF_PIN.OBJECT_NS };
    expect(tcPinPath(objNs, { objectHash: objectSha1(bytes) })).toBe(`/sys/fs/bpf/tc/${objectSha1(bytes)}/legacy_counters`);
    expect(() => tcPinPath(objNs)).toThrow(/objectHash/);
    expect(tcPinPath({ ...counters, pinning: 7 }, { customPinning: new Map([[7, '/my/sub/']]) })).toBe('/sys/fs/bpf/my/sub/legacy_counters');
    expectKernelError(() => tcPinPath({ ...counters, pinning: 7 }), 'ENOENT', 'id 7');
  });

  it('selectProgram refuses a missing section or program with ENOENT naming it', () => {
    const o = load('parse_classify.o');
    expect(selectProgram(o, { section: 'tc' }).name).toBe('classify');
    expect(selectProgram(o, { program: 'classify' }).name).toBe('classify');
    expectKernelError(() => selectProgram(o), 'ENOENT', 'section "classifier"');
    expectKernelError(() => selectProgram(o, { program: 'l4_class' }), 'ENOENT', 'program "l4_class"');
  });
});

describe('section names (libbpf section_defs, iproute2 conventions)', () => {
  it('maps names to program types and attach types', () => {
    expect(secInfo('tc')).toMatchObject({ progType: BPF_PROG_TYPE.SCHED_CLS, expectedAttachType: 0 });
    expect(secInfo('classifier').progType).toBe(BPF_PROG_TYPE.SCHED_CLS);
    expect(secInfo('action').progType).toBe(BPF_PROG_TYPE.SCHED_ACT);
    expect(secInfo('tc/egress').expectedAttachType).toBe(SEC_ATTACH_TYPE.TCX_EGRESS);
    expect(secInfo('netkit/peer').expectedAttachType).toBe(SEC_ATTACH_TYPE.NETKIT_PEER);
    expect(secInfo('xdp').progType).toBe(BPF_PROG_TYPE.XDP);
    expect(secInfo('socket/foo').progType).toBe(BPF_PROG_TYPE.SOCKET_FILTER);
    // exact-match rows do not take suffixes
    expect(secInfo('tc/foo').progType).toBeUndefined();
    expect(secInfo('2/7')).toMatchObject({ progType: undefined, tailCall: { mapId: 2, key: 7 } });
  });

  it('internal map names fit 15 bytes and keep custom sections whole', () => {
    expect(internalMapName('redirect_global', '.rodata')).toBe('redirect.rodata');
    expect(internalMapName('a-b', '.bss')).toBe('a_b.bss');
    expect(internalMapName('prog', '.rodata.str1.1')).toBe('.rodata.str1.1');
  });
});

describe('bpffs pin namespace', () => {
  it('pins, reuses compatible maps and refuses a different shape without changing anything', () => {
    const o = load('lpm_lru.o');
    const fs = new BpfFs<number>();
    const plan = planPins(o, fs);
    expect(plan).toEqual([
      { map: 'flow_cache', path: '/sys/fs/bpf/tc/globals/flow_cache', reuse: false },
      { map: 'src_policy', path: '/sys/fs/bpf/tc/globals/src_policy', reuse: false },
    ]);
    for (const [i, p] of plan.entries()) {
      const m = o.maps.find((x) => x.name === p.map)!;
      fs.pin(p.path, { kind: 'map', shape: m, handle: i });
    }
    expect(planPins(o, fs).every((p) => p.reuse)).toBe(true);
    expectKernelError(() => fs.pin(plan[0]!.path, { kind: 'map', shape: undefined, handle: 9 }), 'EEXIST');
    fs.unlink('/sys/fs/bpf/tc/globals/src_policy');
    fs.pin('/sys/fs/bpf/tc/globals/src_policy', { kind: 'map', shape: { type: BPF_MAP_TYPE.HASH, keySize: 8, valueSize: 8, maxEntries: 256, flags: 1 }, handle: 7 });
    expectKernelError(() => planPins(o, fs), 'EINVAL', 'parameter mismatch');
    expect(fs.get('/sys/fs/bpf/tc/globals/src_policy').handle).toBe(7);
    expectKernelError(() => fs.get('/sys/fs/bpf/tc/globals/none'), 'ENOENT');
    expectKernelError(() => fs.pin('/tmp/x', { kind: 'prog', shape: undefined, handle: 1 }), 'EINVAL', 'not on bpffs');
    expect(fs.paths()).toEqual(['/sys/fs/bpf/tc/globals/flow_cache', '/sys/fs/bpf/tc/globals/src_policy']);
  });
});
