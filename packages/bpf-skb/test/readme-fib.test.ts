// The README's bpf_fib_lookup example, statement for statement, with its
// printed values as expectations.
import { readFileSync } from 'node:fs';
import { Prng, SimClock } from '@tcbpf/base';
import { NetNamespace } from '@tcbpf/skb';
import { AF, NUD } from '@tcbpf/uapi';
import { expect, it } from 'vitest';
import { TcTestRunner, instantiateObject, loadElfObject, tcBpfSyscall } from '../src/index.js';
import { PROGS_DIR } from './fixture-objects.js';

it('README: bpf_fib_lookup example', () => {
  const ns = new NetNamespace({ clock: new SimClock(), prng: new Prng(1) });
  ns.loopback.setUp(true);
  const [v0, v1] = ns.addVeth('v0', 'v1', ns, { ifindex: 10, addr: Uint8Array.of(2, 0, 0, 0, 0, 10) });
  v0.setUp(true);
  v1.setUp(true);
  ns.fib.setForwarding(AF.INET, 'all', true);
  ns.fib.addAddress(AF.INET, v0, { local: Uint8Array.of(10, 1, 0, 1), prefixLen: 24 });
  ns.fib.addRoute({ family: AF.INET, dst: new Uint8Array(4), prefixLen: 0, gateway: Uint8Array.of(10, 1, 0, 254) });
  ns.fib.setNeighbour(AF.INET, v0, Uint8Array.of(10, 1, 0, 254), Uint8Array.of(2, 0, 0, 0, 0, 0xfe), NUD.REACHABLE);
  const file = `${PROGS_DIR}fib_lookup.o`;
  const sys = tcBpfSyscall();
  const fd = instantiateObject(sys, loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file })).programs.get('fib_probe')!;
  const frame = new Uint8Array(82);
  frame.set([0x88, 0xb5], 12);
  const params = new DataView(frame.buffer, 14, 64);
  params.setUint8(0, AF.INET);
  params.setUint32(8, 1, true);
  frame.set([8, 8, 8, 8], 14 + 32);
  const r = new TcTestRunner(sys, { ns }).run(fd, { dataIn: frame, dataSizeOut: 128 });
  const out = new DataView(r.dataOut!.buffer, 14, 64);
  expect([r.retval, out.getUint32(8, true), [...r.dataOut!.subarray(46, 50)], out.getUint8(63)]).toEqual([0, 10, [10, 1, 0, 254], 254]);
});
