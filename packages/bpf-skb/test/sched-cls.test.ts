// SCHED_CLS/SCHED_ACT without the kernel: object instantiation (every fixture
// tc accepts loads here too; callbacks need the object's BTF func_info and are
// refused without it, as by the kernel), pinning into the simulated bpffs with reuse, nothing half-applied on
// failure, LD_ABS, test-run rules that need no kernel (repeat accumulates,
// duration from the simulated clock, fields not copied back).
import { KernelError, SimClock } from '@tcbpf/base';
import { assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { buildFrame } from '@tcbpf/skb';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { BpfFs, SKB_OFF, TcTestRunner, implementedTcHelpers, instantiateObject, loadElfObject, loadTcProgram, tcBpfSyscall } from '../src/index.js';
import { FIXTURES, expectKernelError, readFixture } from './fixture-objects.js';

const FRAME = buildFrame({
  dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1),
  l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'tcp', sport: 1, dport: 80 } },
});

function prog(text: string): Uint8Array {
  return encodeInsns(assembleKernel(text));
}

describe('instantiateObject', () => {
  for (const f of FIXTURES) {
    it(`${f}: every map and program is created`, () => {
      const obj = loadElfObject(readFixture(f), { fileName: f });
      const sys = tcBpfSyscall();
      const lo = instantiateObject(sys, obj);
      expect([...lo.maps.keys()].sort()).toEqual(obj.maps.map((m) => m.name).sort());
      expect([...lo.programs.keys()].sort()).toEqual(obj.programs.map((p) => p.name).sort());
      for (const p of obj.programs) {
        const want = p.progType === BPF_PROG_TYPE.SCHED_ACT ? BPF_PROG_TYPE.SCHED_ACT : BPF_PROG_TYPE.SCHED_CLS;
        expect(sys.progInfo(lo.programs.get(p.name)!).type).toBe(want);
      }
    });
  }

  it('global data: .rodata/.data/.bss hold their initial bytes', () => {
    const obj = loadElfObject(readFixture('redirect_global.o'), { fileName: 'redirect_global.o' });
    const sys = tcBpfSyscall();
    const lo = instantiateObject(sys, obj);
    for (const m of obj.maps.filter((x) => x.source === 'data')) {
      expect(sys.mapLookupElem(lo.maps.get(m.name)!, new Uint8Array(4))).toEqual(m.initialValue ?? new Uint8Array(m.valueSize));
    }
  });

  it('pins into the simulated bpffs; a second object reuses the pinned maps; a mismatch changes nothing', () => {
    const fs = new BpfFs<number>();
    const sys = tcBpfSyscall();
    const obj = loadElfObject(readFixture('lpm_lru.o'), { fileName: 'lpm_lru.o' });
    const a = instantiateObject(sys, obj, { fs });
    expect(fs.paths()).toEqual(['/sys/fs/bpf/tc/globals/flow_cache', '/sys/fs/bpf/tc/globals/src_policy']);
    const b = instantiateObject(sys, obj, { fs });
    expect(b.maps.get('flow_cache')).toBe(a.maps.get('flow_cache'));
    expect(b.pins.every((p) => p.reuse)).toBe(true);
    // a pinned map of another shape: EINVAL before anything is created
    const fs2 = new BpfFs<number>();
    fs2.pin('/sys/fs/bpf/tc/globals/flow_cache', { kind: 'map', shape: { type: 1, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 }, handle: 99 });
    const sys2 = tcBpfSyscall();
    expectKernelError(() => instantiateObject(sys2, obj, { fs: fs2 }), 'EINVAL', /parameter mismatch/);
    expect(fs2.paths()).toEqual(['/sys/fs/bpf/tc/globals/flow_cache']);
    expect(() => sys2.map(3)).toThrow(/not a map/);
  });

  it('tail calls through the initialised prog_array reach the handlers', () => {
    const obj = loadElfObject(readFixture('tail_call.o'), { fileName: 'tail_call.o' });
    const sys = tcBpfSyscall();
    const lo = instantiateObject(sys, obj);
    const r = new TcTestRunner(sys).run(lo.programs.get('dispatch')!, { dataIn: FRAME, ctxSizeOut: 192 });
    expect(new DataView(r.ctxOut!.buffer).getUint32(SKB_OFF.cb, true)).toBe(4);
  });
});

describe('loadTcProgram', () => {
  it('refuses helpers the kernel offers but tcbpf lacks, by name and instruction', () => {
    const sys = tcBpfSyscall();
    const e = expectKernelError(() => loadTcProgram(sys, { insns: prog('r1 = r1\ncall bpf_skb_cgroup_id#79\nr0 = 0\nexit'), license: 'GPL' }), 'EINVAL', /bpf_skb_cgroup_id#79 is offered by Linux 6\.18/);
    expect(e.insn).toBe(1);
    expect(implementedTcHelpers()).toContain(9);
  });

  it('socket helpers see no socket: cookie 0, uid overflowuid', () => {
    const sys = tcBpfSyscall();
    const t = new TcTestRunner(sys);
    const a = loadTcProgram(sys, { insns: prog('call bpf_get_socket_cookie#46\nexit'), license: 'GPL' });
    const b = loadTcProgram(sys, { insns: prog('call bpf_get_socket_uid#47\nexit'), license: 'GPL' });
    expect([t.run(a.fd, { dataIn: FRAME }).retval, t.run(b.fd, { dataIn: FRAME }).retval]).toEqual([0, 65534]);
  });

  it('a verifier refusal keeps the verifier\'s errno and message', () => {
    const sys = tcBpfSyscall();
    expectKernelError(() => loadTcProgram(sys, { insns: prog('r0 = *(u32 *)(r1 +200)\nexit'), license: 'GPL' }), 'EACCES', /invalid bpf_context access off=200 size=4/);
  });

  it('LD_ABS/LD_IND read the frame from the MAC header', () => {
    const sys = tcBpfSyscall();
    const { fd } = loadTcProgram(sys, { insns: prog('r6 = r1\nr0 = *(u16 *)skb[12]\nexit'), license: 'GPL' });
    expect(new TcTestRunner(sys).run(fd, { dataIn: FRAME }).retval).toBe(0x0800);
  });
});

describe('TcTestRunner', () => {
  it('repeat reuses the skb (edits accumulate); duration comes from the simulated clock', () => {
    const clock = new SimClock();
    const sys = tcBpfSyscall({ clock });
    const { fd } = loadTcProgram(sys, { insns: prog('r2 = *(u32 *)(r1 +48)\nr2 += 1\n*(u32 *)(r1 +48) = r2\nr0 = r2\nexit'), license: 'GPL' });
    const t0 = clock.nowNs();
    const r = new TcTestRunner(sys, { nsPerInsn: 2 }).run(fd, { dataIn: FRAME, repeat: 5, ctxSizeOut: 192 });
    expect(r.retval).toBe(5);
    expect(r.duration).toBe(10); // 5 instructions × 2 ns
    expect(clock.nowNs() - t0).toBe(50);
  });

  it('tc_index, tc_classid and queue_mapping writes are not copied to ctx_out; mark, priority, tstamp are', () => {
    const sys = tcBpfSyscall();
    const text = ['r2 = 7', '*(u32 *)(r1 +44) = r2', '*(u32 *)(r1 +72) = r2', '*(u32 *)(r1 +12) = r2', '*(u32 *)(r1 +8) = r2', '*(u32 *)(r1 +32) = r2', '*(u64 *)(r1 +152) = r2', 'r0 = 0', 'exit'];
    const { fd } = loadTcProgram(sys, { insns: prog(text.join('\n')), license: 'GPL' });
    const r = new TcTestRunner(sys).run(fd, { dataIn: FRAME, ctxSizeOut: 192 });
    const v = new DataView(r.ctxOut!.buffer);
    expect([v.getUint32(SKB_OFF.tc_index, true), v.getUint32(SKB_OFF.tc_classid, true), v.getUint32(SKB_OFF.queue_mapping, true)]).toEqual([0, 0, 0]);
    expect([v.getUint32(SKB_OFF.mark, true), v.getUint32(SKB_OFF.priority, true), v.getUint32(SKB_OFF.tstamp, true)]).toEqual([7, 7, 7]);
    expect([r.skb.tcIndex, r.skb.tcClassid, r.skb.queueMapping]).toEqual([7, 7, 7]);
  });

  it('refuses bad attributes with the kernel\'s errno', () => {
    const sys = tcBpfSyscall();
    const { fd } = loadTcProgram(sys, { insns: prog('r0 = 0\nexit'), license: 'GPL' });
    const t = new TcTestRunner(sys);
    expectKernelError(() => t.run(fd, { dataIn: new Uint8Array(13) }), 'EINVAL', /ETH_HLEN/);
    expectKernelError(() => t.run(fd, { dataIn: FRAME, flags: 1 }), 'EINVAL', /flags/);
    expectKernelError(() => t.run(fd, { dataIn: new Uint8Array(3713) }), 'EINVAL', /3712/);
    const c = new Uint8Array(192);
    c[SKB_OFF.ifindex] = 50;
    expectKernelError(() => t.run(fd, { dataIn: FRAME, ctxIn: c }), 'ENODEV', /ifindex 50/);
    const c2 = new Uint8Array(192);
    c2[SKB_OFF.hash] = 1;
    expectKernelError(() => t.run(fd, { dataIn: FRAME, ctxIn: c2 }), 'EINVAL', /must be zero/);
    expect(KernelError.isInstance(new KernelError('EINVAL'))).toBe(true);
  });
});

describe('runs without an SkbRunState', () => {
  it('a helper or LD_ABS in a run without sk_buff state faults the run (no exception)', async () => {
    const { AddressSpace, REGION, RUN_STATUS } = await import('@tcbpf/ebpf');
    const sys = tcBpfSyscall();
    const { fd } = loadTcProgram(sys, { insns: prog('r2 = 1\nr3 = 0\ncall bpf_skb_change_type#32\nexit'), license: 'GPL' });
    sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(216));
    sys.interpreter.runCtx = undefined;
    expect(sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0)).toBe(RUN_STATUS.FAULT);
  });
});

describe('callbacks need BTF func_info', () => {
  it('a bpf_loop program loaded without func_info is refused as by the kernel ("missing btf func_info"); with it, it loads', () => {
    const obj = loadElfObject(readFixture('callbacks.o'), { fileName: 'callbacks.o' });
    const p = obj.programs[0]!;
    const sys = tcBpfSyscall();
    const lo = instantiateObject(sys, obj, { programs: () => false });
    const insns = p.insns.slice();
    const dv = new DataView(insns.buffer);
    for (const r of p.mapRelocs) dv.setInt32(r.insn * 8 + 4, lo.maps.get(r.map)!, true);
    expectKernelError(() => loadTcProgram(sys, { insns, license: 'GPL' }), 'EINVAL', 'missing btf func_info');
    const funcInfo = [{ insnOff: 0, linkage: 1 }, ...p.subprograms.map((s) => ({ insnOff: s.start, linkage: s.global ? 1 : 0 }))];
    expect(loadTcProgram(sys, { insns, license: 'GPL', funcInfo }).fd).toBeGreaterThan(0);
    // a callback with global linkage is refused
    const globalCb = funcInfo.map((f) => ({ ...f, linkage: 1 }));
    expectKernelError(() => loadTcProgram(sys, { insns, license: 'GPL', funcInfo: globalCb }), 'EINVAL', 'callback function not static');
  });
});
