// The netdevsim bus (drivers/net/netdevsim/bus.c): new_device/del_device
// strings parsed like the kernel's sscanf("%u %u %u"), device and port
// creation with the kernel's knob defaults, plus fuzz tests of the parser and
// of random control sequences through the TC block callback.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { KernelError } from '@tcbpf/base';
import { fuzzFull, fuzzRuns } from '@tcbpf/testing';
import { TcKernel, TCF_ALL_KINDS, type IngressPriv } from '@tcbpf/tcf';
import { NSIM_DEV_KNOB_DEFAULTS, NSIM_PORT_KNOB_DEFAULTS, NsimBus, createNetdevsim, parseDelDevice, parseNewDevice } from '../src/index.js';
import { makeNsim, progIds, tcBpf, tcDel, tcFlush, tcShow } from './support/nsim-sim.js';

const TIMEOUT = fuzzFull() ? 3_600_000 : 60_000;

function errnoOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (KernelError.isInstance(e)) return e.errno;
    throw e;
  }
  return 'ok';
}

describe('new_device / del_device parsing', () => {
  it('defaults and conversions like sscanf("%u %u %u")', () => {
    expect(parseNewDevice('1')).toEqual({ id: 1, ports: 1, queues: 1 });
    expect(parseNewDevice('1 4\n')).toEqual({ id: 1, ports: 4, queues: 1 });
    expect(parseNewDevice(' \t7\n2 3 trailing')).toEqual({ id: 7, ports: 2, queues: 3 });
    expect(parseNewDevice('5 x')).toEqual({ id: 5, ports: 1, queues: 1 });
    expect(parseNewDevice('12ab 3')).toEqual({ id: 12, ports: 1, queues: 1 });
    // 64-bit accumulation stored into an unsigned int: modulo 2^32
    expect(parseNewDevice('4294967297 2')).toEqual({ id: 1, ports: 2, queues: 1 });
    expect(parseDelDevice('  42\n')).toBe(42);
  });
  it('refusals: no number, a sign, an id above INT_MAX', () => {
    for (const s of ['', ' ', 'x', '-1', '+1', '\n']) expect(errnoOf(() => parseNewDevice(s))).toBe('EINVAL');
    expect(errnoOf(() => parseNewDevice('2147483648'))).toBe('EINVAL');
    expect(parseNewDevice('2147483647').id).toBe(0x7fffffff);
    expect(errnoOf(() => parseDelDevice('y'))).toBe('EINVAL');
  });
});

describe('the bus', () => {
  it('creates ports named eth%d, down, with the kernel knob defaults and hw-tc-offload off', () => {
    const kernel = new TcKernel({ kinds: TCF_ALL_KINDS });
    const net = kernel.addNet();
    const bus = new NsimBus({ net });
    const dev = bus.newDevice('3 2');
    expect(dev.ports.map((p) => p.name)).toEqual(['eth0', 'eth1']);
    for (const p of dev.ports) {
      expect(p.knobs).toEqual({ bpfTcAccept: true, bpfTcNonBoundAccept: false, bpfXdpdrvAccept: true, bpfXdpoffloadAccept: true, bpfMapAccept: true });
      expect(p.hwTcOffload).toBe(false);
      expect(p.nd.dev.isUp()).toBe(false);
      expect(p.bpfOffloadedId).toBe(0);
    }
    expect(dev.knobs).toEqual({ bpfBindAccept: true, bpfBindVerifierDelay: 0, bpfBindVerifierAccept: true });
    expect(bus.port(dev.ports[1]!.ifindex)).toBe(dev.ports[1]);
    expect(bus.port(1)).toBeUndefined();
    expect(Object.isFrozen(NSIM_DEV_KNOB_DEFAULTS) && Object.isFrozen(NSIM_PORT_KNOB_DEFAULTS)).toBe(true);
    expect(bus.offload).toBeNull();
  });

  it('an id in use is ENOSPC, zero ports EINVAL, an unknown del_device ENOENT; nothing half-created', () => {
    const kernel = new TcKernel({ kinds: TCF_ALL_KINDS });
    const net = kernel.addNet();
    const bus = new NsimBus({ net });
    bus.newDevice('1 1');
    const before = net.ns.devices().length;
    expect(errnoOf(() => bus.newDevice('1 3'))).toBe('ENOSPC');
    expect(errnoOf(() => bus.newDevice('2 0'))).toBe('EINVAL');
    expect(errnoOf(() => bus.newDevice('2 1 0'))).toBe('EINVAL');
    expect(errnoOf(() => bus.delDevice('9'))).toBe('ENOENT');
    expect(net.ns.devices().length).toBe(before);
    bus.delDevice('1');
    expect(bus.devices()).toEqual([]);
    expect(net.ns.devices().length).toBe(before - 1);
  });

  it('createNetdevsim: the API the pipeline app uses', () => {
    const kernel = new TcKernel({ kinds: TCF_ALL_KINDS });
    const net = kernel.addNet();
    const dev = createNetdevsim(net, { id: 4, ports: 2, profile: 'nfp' });
    expect(dev.ports.length).toBe(2);
    expect(dev.profile.name).toBe('nfp');
    expect(net.devByName(dev.ports[1]!.name)).toBe(dev.ports[1]!.nd);
    expect(errnoOf(() => createNetdevsim(net, { id: 5, profile: 'nope' as 'nfp' }))).toBe('EINVAL');
  });

  test.prop([fc.oneof(fc.string({ maxLength: 24 }), fc.array(fc.oneof(fc.constantFrom(' ', '\t', '\n', '-', '+', 'x'), fc.nat({ max: 4_294_967_296 * 3 }).map(String)), { maxLength: 5 }).map((a) => a.join('')))], { numRuns: fuzzRuns(300, 20_000) })(
    'fuzz: new_device strings parse like the sscanf model or refuse with EINVAL, and the bus never half-creates',
    (s) => {
      let spec: ReturnType<typeof parseNewDevice> | null = null;
      try {
        spec = parseNewDevice(s);
      } catch (e) {
        expect(KernelError.isInstance(e) && e.errno).toBe('EINVAL');
      }
      // reference: the leading unsigned decimal fields
      const m = /^[\t\n\v\f\r ]*(\d+)(?:[\t\n\v\f\r ]*(\d+))?(?:[\t\n\v\f\r ]*(\d+))?/.exec(s);
      if (m === null) {
        expect(spec).toBeNull();
        return;
      }
      const u32 = (d: string | undefined, dflt: number): number => (d === undefined ? dflt : Number(BigInt(d) % 4294967296n));
      const id = u32(m[1], 0);
      if (id > 0x7fffffff) {
        expect(spec).toBeNull();
        return;
      }
      expect(spec).toEqual({ id, ports: u32(m[2], 1), queues: u32(m[3], 1) });
      expect(parseDelDevice(s)).toBe(id);
      if (spec!.ports > 4) return;
      const kernel = new TcKernel({ kinds: TCF_ALL_KINDS });
      const net = kernel.addNet();
      const bus = new NsimBus({ net });
      const before = net.ns.devices().length;
      const err = errnoOf(() => bus.newDevice(s));
      if (err === 'ok') expect(net.ns.devices().length).toBe(before + spec!.ports);
      else expect(net.ns.devices().length).toBe(before);
    },
    TIMEOUT,
  );
});

type Op =
  | { readonly k: 'add' | 'replace'; readonly prio: number; readonly handle: number; readonly sw: boolean; readonly hw: boolean; readonly da: boolean; readonly bytecode: boolean; readonly chain: number }
  | { readonly k: 'del'; readonly prio: number; readonly handle: number }
  | { readonly k: 'hwtc'; readonly on: boolean }
  | { readonly k: 'knob'; readonly which: 'bpfTcAccept' | 'bpfTcNonBoundAccept'; readonly on: boolean }
  | { readonly k: 'flush' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constantFrom('add' as const, 'replace' as const), prio: fc.integer({ min: 1, max: 3 }), handle: fc.integer({ min: 1, max: 3 }), sw: fc.boolean(), hw: fc.boolean(), da: fc.boolean(), bytecode: fc.boolean(), chain: fc.constantFrom(0, 0, 0, 1) }),
  fc.record({ k: fc.constant('del' as const), prio: fc.integer({ min: 1, max: 3 }), handle: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ k: fc.constant('hwtc' as const), on: fc.boolean() }),
  fc.record({ k: fc.constant('knob' as const), which: fc.constantFrom('bpfTcAccept' as const, 'bpfTcNonBoundAccept' as const), on: fc.boolean() }),
  fc.record({ k: fc.constant('flush' as const) }),
);

describe('control sequences', () => {
  test.prop([fc.array(opArb, { maxLength: 25 })], { numRuns: fuzzRuns(30, 1_500) })(
    'fuzz: random tc/ethtool/debugfs sequences keep the slot, IN_HW flags and offloadcnt consistent',
    (ops) => {
      const s = makeNsim();
      for (const op of ops) {
        if (op.k === 'add' || op.k === 'replace') {
          const r = tcBpf(s, { op: op.k, prio: op.prio, handle: op.handle, skipSw: op.sw, skipHw: op.hw, da: op.da, ...(op.bytecode ? { prog: 'bytecode' as const } : {}), ...(op.chain ? { chain: op.chain } : {}) });
          // both skip flags: cls_bpf refuses (EINVAL), unless the core refused first (an exclusive add of an existing handle)
          if (op.sw && op.hw) expect(['EINVAL', 'EEXIST']).toContain(r.errno);
          // a driver message only ever reaches userspace for skip_sw filters
          if (!op.sw) expect(r.msg.startsWith('netdevsim') || r.msg.startsWith('TC offload')).toBe(false);
        } else if (op.k === 'del') tcDel(s, op.prio, op.handle);
        else if (op.k === 'hwtc') errnoOf(() => s.port.setHwTcOffload(op.on));
        else if (op.k === 'knob') s.port.knobs[op.which] = op.on;
        else tcFlush(s);
        const shown = tcShow(s);
        const inHw = shown.filter((f) => f.inHw);
        // one offload slot: at most one filter in hardware, and it is the slot's
        expect(inHw.length).toBeLessThanOrEqual(1);
        const block = (s.port.nd.ingress!.priv as IngressPriv).ingress!;
        expect(block.offload.offloadcnt).toBe(inHw.length);
        expect(s.port.slot === null).toBe(inHw.length === 0);
        for (const f of shown) {
          expect(f.inHw && f.notInHw).toBe(false);
          if (f.skipSw) expect(f.inHw).toBe(true);
          if (f.skipHw) expect(f.inHw).toBe(false);
        }
        if (inHw.length === 1 && inHw[0]!.id !== 0) expect(s.port.bpfOffloadedId).toBe(inHw[0]!.id);
        if (s.port.slot !== null) expect(s.port.hwTcOffload).toBe(true);
      }
      tcFlush(s);
      expect(s.dev.liveBoundProgs().length).toBe(0);
    },
    TIMEOUT,
  );
});

describe('bound program loader', () => {
  const insnArb = fc.tuple(
    fc.constantFrom(0xb7, 0xbf, 0x07, 0x0f, 0x9f, 0x37, 0x61, 0x62, 0x63, 0x79, 0x85, 0x95, 0x05, 0x15, 0x1d, 0xdb, 0x18, 0x00, 0xff),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: -4, max: 4 }),
    fc.oneof(fc.integer({ min: -8, max: 8 }), fc.integer()),
  );
  test.prop([fc.array(insnArb, { minLength: 1, maxLength: 12 }), fc.boolean(), fc.boolean()], { numRuns: fuzzRuns(200, 20_000) })(
    'fuzz: random programs through BpfOffload.progLoad with prog_ifindex: KernelError or a bound program, no driver state left on failure',
    (list, accept, withExit) => {
      const s = makeNsim();
      s.dev.knobs.bpfBindVerifierAccept = accept;
      const bytes = new Uint8Array((list.length + (withExit ? 2 : 0)) * 8);
      const v = new DataView(bytes.buffer);
      list.forEach(([code, regs, off, imm], i) => {
        v.setUint8(i * 8, code);
        v.setUint8(i * 8 + 1, regs);
        v.setInt16(i * 8 + 2, off, true);
        v.setInt32(i * 8 + 4, imm, true);
      });
      if (withExit) {
        v.setUint8(list.length * 8, 0xb7); // r0 = 0
        v.setUint8(list.length * 8 + 8, 0x95); // exit
      }
      let fd = -1;
      try {
        fd = s.bus.offload!.progLoad({ insns: bytes, license: 'GPL', progIfindex: s.port.ifindex }).fd;
      } catch (e) {
        expect(KernelError.isInstance(e)).toBe(true);
      }
      if (fd < 0) {
        expect(s.dev.liveBoundProgs().length).toBe(0);
        expect(progIds(s.bpf)).toEqual([]);
        return;
      }
      expect(accept).toBe(true);
      const [b] = s.dev.liveBoundProgs();
      expect([b!.state, b!.loaded, b!.id]).toEqual(['xlated', 'N', s.bpf.prog(fd).id]);
      s.bpf.close(fd);
      expect(s.dev.liveBoundProgs().length).toBe(0);
    },
    TIMEOUT,
  );
});
