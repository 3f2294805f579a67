// bpf_fib_lookup and bpf_check_mtu on the model alone (no kernel needed):
// the documented outcomes on a small routing setup, and random params
// structs, flags and frame sizes never break a run.
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { Prng, SimClock } from '@tcbpf/base';
import { NetNamespace } from '@tcbpf/skb';
import { fuzzRuns } from '@tcbpf/testing';
import { AF, BPF_FIB_LKUP_RET as R, BPF_FIB_LOOKUP as FL, NUD } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '../src/index.js';
import { PROGS_DIR } from './fixture-objects.js';

const file = `${PROGS_DIR}fib_lookup.o`;
const obj = loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file });

function setup(): { run: (params: Uint8Array, flags: number, size?: number) => { rc: number; out: DataView }; ns: NetNamespace; runMtu: (words: readonly number[], size?: number) => { rc: number; mtu: number } } {
  const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(1) });
  ns.loopback.setUp(true);
  const [a, b] = ns.addVeth('v0', 'v1', ns, { ifindex: 10, addr: Uint8Array.of(2, 0, 0, 0, 0, 10) }, { ifindex: 11 });
  a.setUp(true);
  b.setUp(true);
  ns.fib.setForwarding(AF.INET, 'all', true);
  ns.fib.addAddress(AF.INET, a, { local: Uint8Array.of(10, 1, 0, 1), prefixLen: 24 });
  ns.fib.addRoute({ family: AF.INET, dst: new Uint8Array(4), prefixLen: 0, gateway: Uint8Array.of(10, 1, 0, 2), metric: 7 });
  ns.fib.setNeighbour(AF.INET, a, Uint8Array.of(10, 1, 0, 2), Uint8Array.of(2, 0, 0, 0, 0, 0x22), NUD.REACHABLE);
  const sys = tcBpfSyscall();
  const loaded = instantiateObject(sys, obj);
  const runner = new TcTestRunner(sys, { ns });
  const frame = (payload: Uint8Array, size: number): Uint8Array => {
    const f = new Uint8Array(Math.max(size, 14 + payload.length));
    f[12] = 0x88;
    f[13] = 0xb5;
    f.set(payload, 14);
    return f;
  };
  return {
    ns,
    run: (params, flags, size = 82) => {
      const pl = new Uint8Array(68);
      pl.set(params.subarray(0, 64));
      new DataView(pl.buffer).setUint32(64, flags, true);
      const r = runner.run(loaded.programs.get('fib_probe')!, { dataIn: frame(pl, size), dataSizeOut: 4096 });
      return { rc: r.retval | 0, out: new DataView(r.dataOut!.buffer, 14, 64) };
    },
    runMtu: (words, size = 82) => {
      const pl = new Uint8Array(16);
      const v = new DataView(pl.buffer);
      words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
      const r = runner.run(loaded.programs.get('mtu_probe')!, { dataIn: frame(pl, size), dataSizeOut: 4096 });
      return { rc: r.retval | 0, mtu: new DataView(r.dataOut!.buffer).getUint32(14 + 4, true) };
    },
  };
}

function params(dst: readonly number[], ifindex: number, totLen = 0, family: number = AF.INET): Uint8Array {
  const p = new Uint8Array(64);
  const v = new DataView(p.buffer);
  p[0] = family;
  v.setUint16(6, totLen, true);
  v.setUint32(8, ifindex, true);
  p.set(dst, 32);
  return p;
}

describe('bpf_fib_lookup on the model', () => {
  it('forwards via the gateway: ifindex, metric, gateway as dst, smac/dmac, mtu_result', () => {
    const { run } = setup();
    const { rc, out } = run(params([8, 8, 8, 8], 1), 0);
    expect(rc).toBe(R.SUCCESS);
    expect(out.getUint32(8, true)).toBe(10);
    expect(out.getUint32(12, true)).toBe(7);
    expect([out.getUint8(32), out.getUint8(33), out.getUint8(34), out.getUint8(35)]).toEqual([10, 1, 0, 2]);
    expect(out.getUint8(57)).toBe(10); // smac = v0's address
    expect(out.getUint8(63)).toBe(0x22); // dmac = the neighbour's
    expect(out.getUint16(6, true)).toBe(1500);
  });

  it('tot_len above the route MTU: FRAG_NEEDED with the MTU; a frame larger than the device: FRAG_NEEDED', () => {
    const { run } = setup();
    const a = run(params([8, 8, 8, 8], 1, 1501), 0);
    expect(a.rc).toBe(R.FRAG_NEEDED);
    expect(a.out.getUint16(6, true)).toBe(1500);
    expect(run(params([8, 8, 8, 8], 1), 0, 1600).rc).toBe(R.FRAG_NEEDED);
  });

  it('errors: bad flags -EINVAL, no device -ENODEV, other family -EAFNOSUPPORT, forwarding off FWD_DISABLED, local NOT_FWDED, no neighbour NO_NEIGH', () => {
    const { run, ns } = setup();
    expect(run(params([8, 8, 8, 8], 1), 0x40).rc).toBe(-22);
    expect(run(params([8, 8, 8, 8], 77), 0).rc).toBe(-19);
    expect(run(params([8, 8, 8, 8], 1, 0, 7), 0).rc).toBe(-97);
    expect(run(params([10, 1, 0, 1], 1), 0).rc).toBe(R.NOT_FWDED);
    expect(run(params([10, 1, 0, 5], 1), 0).rc).toBe(R.NO_NEIGH);
    expect(run(params([10, 1, 0, 5], 1), FL.SKIP_NEIGH).rc).toBe(R.SUCCESS);
    ns.fib.setForwarding(AF.INET, ns.loopback, false);
    expect(run(params([8, 8, 8, 8], 1), 0).rc).toBe(R.FWD_DISABLED);
  });

  test.prop([fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(82, 600, 1600)], { numRuns: fuzzRuns(200, 5000) })(
    'fuzz: random params, flags and frame sizes give a kernel return code and never throw',
    (p, flags, size) => {
      const { run } = setup();
      const a = p.slice();
      a[0] = [AF.INET, AF.INET6, a[0]!][a[0]! % 3]!;
      new DataView(a.buffer).setUint32(8, [1, 10, 11, a[8]!][a[8]! % 4]!, true);
      const { rc } = run(a, flags & 0x7f, size);
      expect([-97, -22, -19, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).toContain(rc);
    },
  );
});

describe('bpf_check_mtu on the model', () => {
  it('success, FRAG_NEEDED, SEGS flag rules, unknown device', () => {
    const { runMtu } = setup();
    expect(runMtu([10, 0, 0, 0])).toEqual({ rc: 0, mtu: 1500 });
    expect(runMtu([10, 1501, 0, 0])).toEqual({ rc: 1, mtu: 1500 });
    expect(runMtu([10, 0, 0, 0], 1600)).toEqual({ rc: 1, mtu: 1500 });
    expect(runMtu([10, 0, -200, 0], 1600)).toEqual({ rc: 0, mtu: 1500 });
    expect(runMtu([10, 5, 0, 1]).rc).toBe(-22);
    expect(runMtu([10, 0, 0, 2]).rc).toBe(-22);
    expect(runMtu([99, 0, 0, 0]).rc).toBe(-19);
    expect(runMtu([0, 0, 0, 0])).toEqual({ rc: 0, mtu: 65536 });
  });
});
