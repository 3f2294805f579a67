// The bpf() oracle of bpf-oracle.ts started inside a network namespace
// (`ip netns exec NAME driver`), for tests whose kernel behaviour depends on
// the caller's namespace: BPF_PROG_TEST_RUN builds its skb on that
// namespace's `lo`, so helpers such as bpf_fib_lookup or bpf_check_mtu see
// its devices, routes and neighbours.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BpfOracle, bpfOracle } from './bpf-oracle.js';
import type { Netns } from './kernel.js';

/** Start a bpf() driver inside `ns` (throws when `bpfOracle()` is not ok). Always `close()` it. */
export function bpfOracleIn(ns: Netns): BpfOracle {
  const st = bpfOracle();
  if (!st.ok) throw new Error(`bpf oracle unavailable: ${st.reason}`);
  const child = spawn('ip', ['netns', 'exec', ns.name, st.binary], { stdio: ['pipe', 'pipe', 'pipe'] });
  // the same driver and line protocol as BpfOracle.open(), only started in the namespace
  const Ctor = BpfOracle as unknown as new (c: ChildProcessWithoutNullStreams) => BpfOracle;
  return new Ctor(child);
}
