// The TC scenarios of the kernel's tools/testing/selftests/net/bpf_offload.py
// (formerly tools/testing/selftests/bpf/test_offload.py), Linux 6.18, each
// with the same expectation (reference: kernel-tc.md §7.4; numbers below are
// the rows of that checklist). netdevsim is not built into this machine's
// kernel, so there is no kernel differential for these: the expectations are
// the script's own assertions.
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import { makeProgType } from '@tcbpf/ebpf';
import { NSIM_MSG } from '../src/index.js';
import { RET0, makeNsim, newDevice, progIds, tcBpf, tcDel, tcFlush, tcShow, type NSim } from './support/nsim-sim.js';

/** check_extack: line 2 of tc's stderr is `Error: <msg>.`. */
function extackLine(msg: string): string {
  return `Error: ${msg}.`;
}

/** test_offload's wait_for_flush: no bound and no loaded programs left. */
function expectFlushed(s: NSim, bound = 0, total = 0): void {
  expect(s.dev.liveBoundProgs().length).toBe(bound);
  expect(progIds(s.bpf).length).toBe(total);
}

/** The script's state after "Test TC offloads are off by default": HW_TC on, non_bound_accept Y. */
function offloadOn(s: NSim): void {
  s.port.setHwTcOffload(true);
  s.port.knobs.bpfTcNonBoundAccept = true;
}

describe('test_offload.py TC scenarios on the simulated netdevsim', () => {
  it('1: TC non-offloaded (skip_hw) loads with hw-tc-offload off', () => {
    const s = makeNsim();
    expect(s.port.hwTcOffload).toBe(false);
    expect(tcBpf(s, { skipHw: true }).ok).toBe(true);
  });

  it("2: TC non-offloaded isn't getting bound (plain filter, offload off): loads, 0 bound programs", () => {
    const s = makeNsim();
    expect(tcBpf(s).ok).toBe(true);
    expect(s.dev.liveBoundProgs().length).toBe(0);
    const [f] = tcShow(s);
    expect([f!.inHw, f!.notInHw]).toEqual([false, true]);
  });

  it('3: TC offloads are off by default: skip_sw fails with "TC offload is disabled on net device."', () => {
    const s = makeNsim();
    const r = tcBpf(s, { skipSw: true });
    expect(r.ok).toBe(false);
    expect(r.errno).toBe('EOPNOTSUPP');
    expect(extackLine(r.msg)).toBe('Error: TC offload is disabled on net device.');
    expectFlushed(s);
  });

  it('4: TC offload by default (HW_TC on, non_bound_accept=Y): plain eBPF filter in_hw, 0 bound programs', () => {
    const s = makeNsim();
    offloadOn(s);
    expect(tcBpf(s).ok).toBe(true);
    expect(s.dev.liveBoundProgs().length).toBe(0);
    const shown = tcShow(s);
    expect(shown.length).toBe(1);
    expect(shown[0]!.inHw).toBe(true);
  });

  it('5: TC cBPF bytecode tries offload by default: in_hw', () => {
    const s = makeNsim();
    offloadOn(s);
    expect(tcBpf(s, { prog: 'bytecode' }).ok).toBe(true);
    expect(s.dev.liveBoundProgs().length).toBe(0);
    const shown = tcShow(s);
    expect(shown.length).toBe(1);
    expect(shown[0]!.inHw).toBe(true);
  });

  it("6: TC cBPF unbound bytecode doesn't offload (non_bound_accept=N, skip_sw)", () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    const r = tcBpf(s, { prog: 'bytecode', skipSw: true });
    expect(r.ok).toBe(false);
    expect(extackLine(r.msg)).toBe('Error: netdevsim: netdevsim configured to reject unbound programs.');
    expectFlushed(s);
    expect(tcShow(s).length).toBe(0);
  });

  it('7: non-0 chain offload: skip_sw on chain 1 fails with "Driver supports only offload of chain 0."', () => {
    const s = makeNsim();
    offloadOn(s);
    const r = tcBpf(s, { chain: 1, prio: 1, handle: 1, skipSw: true });
    expect(r.ok).toBe(false);
    expect(extackLine(r.msg)).toBe('Error: Driver supports only offload of chain 0.');
  });

  it('8: TC replace: none->none, skip_sw->skip_sw, skip_hw->skip_hw, each deleted, all succeed', () => {
    const s = makeNsim();
    offloadOn(s);
    for (const f of [{}, { skipSw: true }, { skipHw: true }]) {
      expect(tcBpf(s, { prio: 1, handle: 1, ...f }).ok).toBe(true);
      expect(tcBpf(s, { op: 'replace', prio: 1, handle: 1, ...f }).ok).toBe(true);
      expect(tcDel(s, 1, 1).ok).toBe(true);
    }
    expect(tcShow(s).length).toBe(0);
    expect(s.port.bpfOffloadedId).toBe(0);
  });

  it('9: TC replace bad flags: 3 rounds, only the flag-less replace (which creates) succeeds', () => {
    const s = makeNsim();
    offloadOn(s);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const r = tcBpf(s, { op: 'replace', prio: 1, handle: 1, skipSw: j === 1, skipHw: j === 2 });
        expect(r.ok).toBe(j === 0);
        if (j !== 0) expect(r.errno).toBe('EINVAL');
      }
      expect(tcDel(s, 1, 1).ok).toBe(true);
    }
  });

  describe('10: spurious extack from the driver', () => {
    /** test_spurios_extack: add, replace and delete leave no needle and no Warning. */
    const spurious = (s: NSim, skipHw: boolean, needle: string): void => {
      const rs = [tcBpf(s, { prio: 1, handle: 1, skipHw }), tcBpf(s, { op: 'replace', prio: 1, handle: 1, skipHw }), tcDel(s, 1, 1)];
      for (const r of rs) {
        expect(r.ok).toBe(true);
        expect(r.msg.includes(needle) || r.msg !== '').toBe(false);
      }
    };
    it('with hw-tc-offload on (non_bound_accept back to N, as the script leaves it)', () => {
      const s = makeNsim();
      s.port.setHwTcOffload(true);
      spurious(s, false, 'netdevsim');
      spurious(s, true, 'netdevsim');
    });
    it('with hw-tc-offload off', () => {
      const s = makeNsim();
      spurious(s, false, 'TC offload is disabled');
      spurious(s, true, 'TC offload is disabled');
    });
  });

  it('11: bpf_bind_verifier_accept=0: skip_sw verbose fails, the verifier log ends with the greeting', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    s.dev.knobs.bpfBindVerifierAccept = false;
    const r = tcBpf(s, { skipSw: true });
    expect(r.ok).toBe(false);
    expect(r.errno).toBe('EOPNOTSUPP');
    expect(r.log.at(-1)).toBe('[netdevsim] Hello from netdevsim!');
    expectFlushed(s);
  });

  it('12: TC offloads work (accept=1): skip_sw verbose loads, with the greeting in the log', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    const r = tcBpf(s, { skipSw: true });
    expect(r.ok).toBe(true);
    expect(r.log).toContain(NSIM_MSG.HELLO);
  });

  it('13 + 14: TC offload basics and device binding (ids, tag, debugfs state/loaded)', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    expect(tcBpf(s, { skipSw: true }).ok).toBe(true);
    const dfs = s.dev.liveBoundProgs();
    const progs = progIds(s.bpf);
    const shown = tcShow(s);
    expect([dfs.length, progs.length, shown.length]).toEqual([1, 1, 1]);
    const f = shown[0]!;
    expect([f.skipHw, f.inHw, f.skipSw]).toEqual([false, true, true]);
    // device-bound
    const prog = s.bpf.progById(progs[0]!)!;
    expect(f.id).toBe(prog.id);
    expect(f.tag).toBe(prog.tag);
    expect(dfs[0]!.id).toBe(f.id);
    expect(dfs[0]!.state).toBe('xlated');
    expect(dfs[0]!.loaded).toBe('Y');
    expect(s.port.bpfOffloadedId).toBe(f.id);
  });

  it('15 + 16 + 17: hw-tc-offload off refused with a filter; qdisc removal frees things; then off is allowed', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    expect(tcBpf(s, { skipSw: true }).ok).toBe(true);
    expect(() => s.port.setHwTcOffload(false)).toThrow(expect.objectContaining({ errno: 'EBUSY' }) as Error);
    expect(s.port.hwTcOffload).toBe(true);
    tcFlush(s);
    expect(tcShow(s).length).toBe(0);
    expectFlushed(s);
    expect(s.port.bpfOffloadedId).toBe(0);
    expect(() => s.port.setHwTcOffload(false)).not.toThrow();
    expect(s.port.hwTcOffload).toBe(false);
  });

  it('18: destroying the device gets rid of TC filters (no programs left)', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    expect(tcBpf(s, { skipSw: true }).ok).toBe(true);
    expect(progIds(s.bpf).length).toBe(1);
    const ifindex = s.port.ifindex;
    s.bus.delDevice('1');
    expect(progIds(s.bpf)).toEqual([]);
    expect(s.net.devs.has(ifindex)).toBe(false);
    expect(s.net.ns.getByIndex(ifindex)).toBeUndefined();
  });

  describe('TC and XDP offload share the slot', () => {
    const XDP = makeProgType({ type: BPF_PROG_TYPE.XDP, name: 'xdp', ctxSize: 24 });
    const xdpLoad = (s: NSim): number => {
      s.bpf.registerProgType(XDP);
      return s.bus.offload!.progLoad({ progType: BPF_PROG_TYPE.XDP, insns: RET0, license: 'GPL', progIfindex: s.port.ifindex }).fd;
    };

    it('19: XDP offload active, then a TC skip_sw filter: "driver and netdev offload states mismatch."', () => {
      const s = makeNsim();
      s.port.setHwTcOffload(true);
      const fd = xdpLoad(s);
      s.port.xdpOffload(s.bpf.prog(fd));
      const r = tcBpf(s, { skipSw: true });
      expect(r.ok).toBe(false);
      expect(r.errno).toBe('EBUSY');
      expect(extackLine(r.msg)).toBe('Error: netdevsim: driver and netdev offload states mismatch.');
      s.port.xdpOffload(null);
      s.bpf.close(fd);
      expectFlushed(s);
    });

    it('20: TC skip_sw active, then XDP offload: "TC program is already loaded."', () => {
      const s = makeNsim();
      s.port.setHwTcOffload(true);
      expect(tcBpf(s, { skipSw: true }).ok).toBe(true);
      const fd = xdpLoad(s);
      let err: unknown;
      try {
        s.port.xdpOffload(s.bpf.prog(fd));
      } catch (e) {
        err = e;
      }
      expect(KernelError.isInstance(err) && [err.errno, extackLine(err.extack)]).toEqual(['EBUSY', 'Error: netdevsim: TC program is already loaded.']);
    });

    it('21: binding TC from a pinned program: flush keeps it (bound=1, total=1), re-add da skip_sw works', () => {
      const s = makeNsim();
      s.port.setHwTcOffload(true);
      // the pinned program: a bound load whose reference stays (bpffs keeps it like an open fd)
      const pin = s.bus.offload!.progLoad({ insns: RET0, license: 'GPL', progIfindex: s.port.ifindex }).fd;
      expect(tcBpf(s, { prog: { fd: pin }, skipSw: true }).ok).toBe(true);
      tcFlush(s);
      expectFlushed(s, 1, 1);
      // tc filter add ... bpf pinned /sys/fs/bpf/tmp da skip_sw
      expect(tcBpf(s, { prog: { fd: pin }, da: true, skipSw: true }).ok).toBe(true);
      expect(tcShow(s)[0]!.inHw).toBe(true);
      tcFlush(s);
      expectFlushed(s, 1, 1);
      s.bpf.close(pin);
      expectFlushed(s);
    });

    it('22: offload of the wrong type (an XDP program for TC) fails', () => {
      const s = makeNsim();
      s.port.setHwTcOffload(true);
      const fd = xdpLoad(s);
      const r = tcBpf(s, { prog: { fd }, da: true, skipSw: true });
      expect(r.ok).toBe(false);
      expect(r.errno).toBe('EINVAL');
    });
  });

  it('23: asking for TC offload of two filters: the second fails with the state mismatch', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    expect(tcBpf(s, { da: true, skipSw: true }).ok).toBe(true);
    const r = tcBpf(s, { da: true, skipSw: true });
    expect(r.ok).toBe(false);
    expect(extackLine(r.msg)).toBe('Error: netdevsim: driver and netdev offload states mismatch.');
    expect(tcShow(s).length).toBe(1);
    tcFlush(s);
    expectFlushed(s);
  });

  it('24: netdev removal waits for translation (verifier delay 500 ms): tc fails, removal took >= 500 ms', () => {
    const s = makeNsim();
    s.port.setHwTcOffload(true);
    s.dev.knobs.bpfBindVerifierDelay = 500;
    const clock = s.kernel.clock;
    const start = clock.nowNs();
    let end = -1;
    const r = tcBpf(s, {
      da: true,
      skipSw: true,
      onVerifierSleep: () => {
        // "while sim.dfs_num_bound_progs() <= N: pass" - the verifier has started
        expect(s.dev.boundProgs.size).toBe(1);
        s.bus.delDevice(1);
        end = clock.nowNs();
      },
    });
    expect(r.ok).toBe(false);
    expect(r.errno).toBe('ENODEV');
    expect(end - start).toBeGreaterThanOrEqual(500_000_000);
    expect(progIds(s.bpf)).toEqual([]);
    newDevice(s, 2);
    expect(s.dev.liveBoundProgs().length).toBe(0);
  });
});

