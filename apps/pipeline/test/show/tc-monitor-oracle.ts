// Test helper: the iproute2 printers checked against iproute2 itself. The
// simulated kernel's dump messages are written to a file and printed by the
// real `tc [-s] [-j] monitor file FILE` (tc/tc_monitor.c → print_filter,
// print_qdisc, print_class, print_action: the same printers `tc ... show`
// uses, with no `dev` filter, so devices print as `if<N>` when the ifindex
// does not exist in tc's namespace — the simulated side is asked for the same).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcClient } from '@tcbpf/tcf';
import { Args, Scenario, parseTc, splitWords, type TcEnv } from '../../src/index.js';

/** A scenario run in the simulator, ready to dump. */
export function simScenario(lines: readonly string[], print?: (s: string) => void): Scenario {
  const sc = new Scenario({ outDir: tmpdir(), inDir: join(import.meta.dirname, '..', '..'), ...(print === undefined ? {} : { print }) });
  lines.forEach((l, i) => sc.exec('oracle', i + 1, l));
  return sc;
}

/** The dump messages of a `tc ... show` command line (words after `tc`), in namespace `default`. */
export function simDump(sc: Scenario, tcWords: string): Uint8Array[] {
  const net = sc.nets.get('default')!;
  const env: TcEnv = { ifindex: (n) => net.devByName(n)?.ifindex ?? 0, ifname: (i) => `if${i}` };
  const cmd = parseTc(new Args(splitWords(tcWords), tcWords.length + 1), env);
  return new TcClient(net.socket()).request(cmd.request.type, cmd.request.flags, cmd.request.body);
}

/** `tc OPTS monitor file F` over the messages: iproute2's own text (or JSON) for them. */
export function tcMonitorPrint(msgs: readonly Uint8Array[], opts: readonly string[], emptyNetns = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'tcbpf-mon-'));
  try {
    const f = join(dir, 'msgs.bin');
    writeFileSync(f, Buffer.concat(msgs.map((m) => Buffer.from(m))));
    const argv = ['tc', ...opts, 'monitor', 'file', f];
    // in a new empty namespace (root) tc cannot resolve the simulated ifindexes: it prints if<N>
    const r = emptyNetns ? spawnSync('unshare', ['-n', ...argv], { encoding: 'utf8', timeout: 10_000 }) : spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tc monitor failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
