// `tc [-s] filter show` text checked against iproute2 6.1 itself: the
// simulated kernel's dump messages printed by our printer and by the real
// `tc monitor file` (same print_filter/print_action code in tc; needs root for
// a throw-away network namespace so ifindexes print as `if<N>`), and the
// committed golden text for the no-root run (test/show/golden/*.txt;
// TCBPF_UPDATE_EXPECTED=1 rewrites them).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTool, kernelOracle } from '@tcbpf/testing';
import { printFilterMsg } from '../../src/index.js';
import { FILTER_CASES } from './cases.js';
import { simDump, simScenario, tcMonitorPrint } from './tc-monitor-oracle.js';

const k = kernelOracle();
const unshare = hasTool('unshare') && hasTool('tc');
const golden = join(import.meta.dirname, 'golden');
const update = process.env.TCBPF_UPDATE_EXPECTED === '1';

function ourText(msgs: readonly Uint8Array[], stats: boolean): string {
  const env = { ifindex: () => 0, ifname: (i: number) => (i === 1 ? 'lo' : `if${i}`) };
  return msgs.map((m) => printFilterMsg(m, { stats, filterIfindex: 0, env })).join('');
}

describe('tc filter show text: golden files', () => {
  for (const c of FILTER_CASES) {
    for (const stats of [false, true]) {
      it(`${c.name}${stats ? ' -s' : ''}`, () => {
        const msgs = simDump(simScenario(c.lines), c.show);
        expect(msgs.length).toBeGreaterThan(0);
        const text = ourText(msgs, stats);
        const f = join(golden, `filter-${c.name}${stats ? '-s' : ''}.txt`);
        if (update) {
          mkdirSync(golden, { recursive: true });
          writeFileSync(f, text);
        }
        expect(existsSync(f), f).toBe(true);
        expect(text).toBe(readFileSync(f, 'utf8'));
      });
    }
  }
});

describe('tc -j [-p] filter show: golden files', () => {
  for (const c of FILTER_CASES) {
    for (const opts of ['-j', '-s -j -p']) {
      it(`${c.name} ${opts}`, () => {
        const out: string[] = [];
        simScenario([...c.lines, `tc ${opts} ${c.show}`], (s) => out.push(s));
        expect(out.length).toBe(1);
        const text = out[0]!;
        expect(() => JSON.parse(text) as unknown).not.toThrow();
        const f = join(golden, `filter-${c.name}${opts.replaceAll(' ', '')}.json`);
        if (update) writeFileSync(f, text);
        expect(existsSync(f), f).toBe(true);
        expect(text).toBe(readFileSync(f, 'utf8'));
      });
    }
  }
});

describe.skipIf(!k.ok || !unshare)(`tc filter show text = iproute2 6.1's print_filter on the same messages (kernel: ${k.ok ? (unshare ? 'ok' : 'unshare/tc missing') : k.reason})`, () => {
  it('unshare -n gives tc an empty namespace', () => {
    expect(spawnSync('unshare', ['-n', 'true']).status).toBe(0);
  });
  for (const c of FILTER_CASES) {
    for (const stats of [false, true]) {
      it(`${c.name}${stats ? ' -s' : ''}`, () => {
        const msgs = simDump(simScenario(c.lines), c.show);
        expect(ourText(msgs, stats)).toBe(tcMonitorPrint(msgs, stats ? ['-s'] : [], true));
      });
    }
  }
});
