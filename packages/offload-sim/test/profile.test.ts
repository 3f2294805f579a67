// Capability profiles checked at offload time (beyond netdevsim): a program
// outside the device's profile is refused by the TC block callback with an
// extack naming the unsupported instruction (index + mnemonic) or helper; the
// "nfp" profile imitates the Netronome SmartNIC's documented limits. Device-
// bound maps: netdevsim's allocation rules, the prog/map device match, and a
// bound map updated by the program running on the simulated hardware.
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { insn as mk, type Insn } from '@tcbpf/ebpf';
import { gactSpec, writeActions } from '@tcbpf/tcf';
import { BPF_MAP_TYPE, TC_ACT } from '@tcbpf/uapi';
import { HW_PROFILES, createNetdevsim, hwProfileCheckMap, hwProfileCheckProgram } from '../src/index.js';
import { insns, makeNsim, tcBpf, tcShow, type NSim } from './support/nsim-sim.js';

function nfp(): NSim {
  const s = makeNsim({ profile: 'nfp' });
  s.port.setHwTcOffload(true);
  return s;
}

const MOD_PROG = insns([
  [0xb7, 0x00, 0, 7], // r0 = 7
  [0xb7, 0x01, 0, 3], // r1 = 3
  [0x9f, 0x10, 0, 0], // r0 %= r1
  [0x95, 0x00, 0, 0],
]);

const KTIME_PROG = insns([
  [0x85, 0x00, 0, 5], // call bpf_ktime_get_ns#5
  [0xb7, 0x00, 0, 0],
  [0x95, 0x00, 0, 0],
]);

function caught(f: () => unknown): KernelError {
  try {
    f();
  } catch (e) {
    if (KernelError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('nfp profile refusals at offload time', () => {
  it('names the unsupported instruction (index + mnemonic) in the skip_sw extack', () => {
    const s = nfp();
    const r = tcBpf(s, { da: true, skipSw: true, insns: MOD_PROG });
    expect(r.ok).toBe(false);
    expect(r.errno).toBe('EOPNOTSUPP');
    expect(r.msg).toBe('netdevsim: nfp: unsupported instruction 2 (mod: r0 %= r1)');
    expect(tcShow(s).length).toBe(0);
  });

  it('names the unsupported helper', () => {
    const s = nfp();
    const r = tcBpf(s, { da: true, skipSw: true, insns: KTIME_PROG });
    expect(r.ok).toBe(false);
    expect(r.msg).toBe('netdevsim: nfp: unsupported helper bpf_ktime_get_ns#5 at instruction 0');
  });

  it('refuses filters that are not direct-action or carry actions (nfp main.c message)', () => {
    const s = nfp();
    const r = tcBpf(s, { skipSw: true, actions: (w) => writeActions(w, [gactSpec(TC_ACT.SHOT)]) });
    expect(r.msg).toBe('netdevsim: nfp: only direct action with no legacy actions supported');
  });

  it('refuses programs over the device instruction limit', () => {
    const s = nfp();
    const many: [number, number, number, number][] = [];
    for (let i = 0; i < 2800; i++) many.push([0xb7, 0x00, 0, 0]);
    many.push([0x95, 0, 0, 0]);
    const r = tcBpf(s, { da: true, skipSw: true, insns: insns(many) });
    expect(r.msg).toBe('netdevsim: nfp: program of 2801 instructions exceeds the device limit of 2800');
  });

  it('refuses classic bytecode (the nfp only takes bound programs)', () => {
    const s = nfp();
    s.port.knobs.bpfTcNonBoundAccept = true;
    const r = tcBpf(s, { prog: 'bytecode', da: true, skipSw: true });
    expect(r.msg).toBe('netdevsim: nfp: classic BPF not supported');
  });

  it('without skip_sw the refusal is silent: not_in_hw, and the program runs in software', () => {
    const s = nfp();
    s.port.knobs.bpfTcNonBoundAccept = true;
    const r = tcBpf(s, { da: true, insns: MOD_PROG });
    expect([r.ok, r.msg]).toEqual([true, '']);
    expect(tcShow(s)[0]!.notInHw).toBe(true);
  });

  it('a program of another bpf() instance is not offloaded (the engine could not run it)', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    s.port.knobs.bpfTcNonBoundAccept = true;
    const bare = createNetdevsim(s.net, { id: 9 }).ports[0]!;
    bare.setHwTcOffload(true);
    bare.knobs.bpfTcNonBoundAccept = true;
    s.tc.qdisc('add', { ifindex: bare.ifindex, parent: 0xfffffff1, handle: 0xffff0000, kind: 'ingress' });
    const { fd } = s.bus.offload!.progLoad({ insns: MOD_PROG, license: 'GPL' });
    const r = tcBpf({ ...s, port: bare }, { prog: { fd }, da: true, skipSw: true });
    expect([r.ok, r.msg]).toEqual([false, 'netdevsim: program is not from the bpf() instance of the device']);
  });

  it('the default netdevsim profile offloads the same programs', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    expect(tcBpf(s, { da: true, skipSw: true, insns: MOD_PROG }).ok).toBe(true);
  });
});

describe('profile checks (unit)', () => {
  const P = HW_PROFILES.nfp;
  const chk = (list: Insn[]): string | null => hwProfileCheckProgram(P, list, []);
  it('division only by a constant, no signed cpu-v4 forms, atomics only add', () => {
    expect(chk([mk(0x37, 0, 0, 0, 3), mk(0x95)])).toBeNull(); // r0 /= 3
    expect(chk([mk(0x3f, 0, 1, 0, 0), mk(0x95)])).toBe('nfp: unsupported instruction 0 (div: r0 /= r1): division by a register');
    expect(chk([mk(0x37, 0, 0, 1, 3), mk(0x95)])).toMatch(/^nfp: unsupported instruction 0 \(sdiv: /);
    expect(chk([mk(0xbf, 0, 1, 8, 0), mk(0x95)])).toMatch(/^nfp: unsupported instruction 0 \(movsx8: /);
    expect(chk([mk(0xdb, 10, 1, -8, 0), mk(0x95)])).toBeNull(); // lock add
    expect(chk([mk(0xdb, 10, 1, -8, 0x01), mk(0x95)])).toMatch(/^nfp: unsupported instruction 0 \(lock: .*only atomic add$/);
  });
  it('maps: ARRAY/HASH only, value size, flags', () => {
    expect(hwProfileCheckMap(P, BPF_MAP_TYPE.ARRAY, 64, 0)).toBeNull();
    expect(hwProfileCheckMap(P, BPF_MAP_TYPE.LRU_HASH, 8, 0)).toBe('nfp: unsupported map type 9');
    expect(hwProfileCheckMap(P, BPF_MAP_TYPE.HASH, 65, 0)).toBe('nfp: map value size 65 exceeds 64');
    expect(hwProfileCheckMap(P, BPF_MAP_TYPE.HASH, 8, 1)).toBe('nfp: unsupported map flags 0x1');
    expect(hwProfileCheckMap(HW_PROFILES.netdevsim, BPF_MAP_TYPE.LRU_HASH, 4096, 1)).toBeNull();
  });
  it('the profiles are frozen data', () => {
    expect(Object.isFrozen(HW_PROFILES)).toBe(true);
    expect(Object.isFrozen(HW_PROFILES.nfp)).toBe(true);
    expect(Object.isFrozen(HW_PROFILES.nfp.helpers)).toBe(true);
  });
});

/** key 0 of `fd` += 1 per packet (atomic add), return TC_ACT_OK. */
function countProg(fd: number): Uint8Array {
  return insns([
    [0x62, 0x0a, -4, 0], // *(u32 *)(r10 - 4) = 0
    [0xbf, 0xa2, 0, 0], // r2 = r10
    [0x07, 0x02, 0, -4], // r2 += -4
    [0x18, 0x11, 0, fd], // r1 = map fd (ld_imm64)
    [0x00, 0x00, 0, 0],
    [0x85, 0x00, 0, 1], // call bpf_map_lookup_elem
    [0x15, 0x00, 2, 0], // if r0 == 0 goto +2
    [0xb7, 0x01, 0, 1], // r1 = 1
    [0xdb, 0x10, 0, 0], // lock *(u64 *)(r0 + 0) += r1
    [0xb7, 0x00, 0, 0], // r0 = 0
    [0x95, 0x00, 0, 0],
  ]);
}

describe('device-bound maps', () => {
  const arr = { type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 };

  it("netdevsim's allocation rules (bpf_map_offload_map_alloc + nsim_bpf_map_alloc)", () => {
    const s = makeNsim();
    const off = s.bus.offload!;
    const ifindex = s.port.ifindex;
    expect(off.mapCreate({ ...arr, mapIfindex: ifindex })).toBeGreaterThan(0);
    expect(caught(() => off.mapCreate({ ...arr, maxEntries: 3, mapIfindex: ifindex })).errno).toBe('ENOMEM');
    expect(caught(() => off.mapCreate({ ...arr, type: BPF_MAP_TYPE.LRU_HASH, mapIfindex: ifindex })).errno).toBe('EINVAL');
    expect(caught(() => off.mapCreate({ ...arr, flags: 1, mapIfindex: ifindex })).errno).toBe('EINVAL');
    expect(caught(() => off.mapCreate({ ...arr, mapIfindex: 999 })).errno).toBe('EINVAL');
    s.port.knobs.bpfMapAccept = false;
    expect(caught(() => off.mapCreate({ ...arr, mapIfindex: ifindex })).errno).toBe('EOPNOTSUPP');
  });

  it('a bound program must use maps of its own device', () => {
    const s = makeNsim({ ports: 1 });
    const off = s.bus.offload!;
    const host = off.mapCreate(arr);
    const e = caught(() => off.progLoad({ insns: countProg(host), license: 'GPL', progIfindex: s.port.ifindex }));
    expect([e.errno, e.extack, e.insn]).toEqual(['EINVAL', 'offload device mismatch between prog and map', 3]);
    const other = s.bus.newDevice('7 1').ports[0]!;
    const theirs = off.mapCreate({ ...arr, mapIfindex: other.ifindex });
    expect(caught(() => off.progLoad({ insns: countProg(theirs), license: 'GPL', progIfindex: s.port.ifindex })).errno).toBe('EINVAL');
    expect(s.dev.liveBoundProgs().length).toBe(0);
  });

  it('the hardware updates the device map (nfp profile: lookup helper and atomic add are supported)', () => {
    const s = nfp();
    const off = s.bus.offload!;
    const m = off.mapCreate({ ...arr, mapIfindex: s.port.ifindex });
    expect(tcBpf(s, { da: true, skipSw: true, insns: countProg(m) }).ok).toBe(true);
    const f = new Uint8Array(64);
    f[12] = 0x08;
    for (let i = 0; i < 9; i++) expect(s.port.receive(f)).toBe(true);
    const v = s.bpf.mapLookupElem(m, new Uint8Array(4));
    expect(new DataView(v.buffer, v.byteOffset).getUint32(0, true)).toBe(9);
    expect(off.mapNetdev(s.bpf.map(m))).toBe(s.port);
    s.bus.delDevice(1);
    expect(off.mapNetdev(s.bpf.map(m))).toBeNull();
  });
});
