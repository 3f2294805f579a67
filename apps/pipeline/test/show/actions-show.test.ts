// `tc [-s] [-j [-p]] actions ls|get`: text checked against iproute2 6.1's own
// print_action on the same messages (`tc monitor file`, root: an empty
// namespace via unshare), and text/JSON against golden files
// (TCBPF_UPDATE_EXPECTED=1 rewrites them).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTool, kernelOracle } from '@tcbpf/testing';
import { ACTION_CASES } from './cases.js';
import { simDump, simScenario, tcMonitorPrint } from './tc-monitor-oracle.js';

const k = kernelOracle();
const unshare = hasTool('unshare') && hasTool('tc');
const golden = join(import.meta.dirname, 'golden');
const update = process.env.TCBPF_UPDATE_EXPECTED === '1';

describe('tc actions ls|get: golden files', () => {
  for (const c of ACTION_CASES) {
    for (const opts of ['', '-s', '-j', '-s -j -p']) {
      it(`${c.show} ${opts}`, () => {
        const out: string[] = [];
        simScenario([...c.lines, `tc ${opts} ${c.show}`], (s) => out.push(s));
        expect(out.length).toBe(1);
        const text = out[0]!;
        expect(text).toMatch(/action order \d|"order":/);
        if (opts.includes('-j')) expect(() => JSON.parse(text) as unknown).not.toThrow();
        const f = join(golden, `${c.name}${opts.replaceAll(' ', '')}.${opts.includes('-j') ? 'json' : 'txt'}`);
        if (update) writeFileSync(f, text);
        expect(existsSync(f), f).toBe(true);
        expect(text).toBe(readFileSync(f, 'utf8'));
      });
    }
  }
});

describe.skipIf(!k.ok || !unshare)(`tc actions text = iproute2 6.1's print_action on the same messages (kernel: ${k.ok ? (unshare ? 'ok' : 'unshare/tc missing') : k.reason})`, () => {
  for (const c of ACTION_CASES) {
    for (const stats of [false, true]) {
      it(`${c.show}${stats ? ' -s' : ''}`, () => {
        const sc = simScenario(c.lines);
        const out: string[] = [];
        const sc2 = simScenario([...c.lines, `tc ${stats ? '-s ' : ''}${c.show}`], (s) => out.push(s));
        expect(sc2).toBeDefined();
        // the messages the kernel answers; printed with no dev names (the oracle's if<N>)
        const tcText = tcMonitorPrint(simDump(sc, c.show), stats ? ['-s'] : [], true);
        expect(out[0]!.replace(/device (va|vb|dm)\b/g, (_, d: string) => `device if${{ va: 2, vb: 3, dm: 4 }[d]}`)).toBe(tcText);
      });
    }
  }
});
