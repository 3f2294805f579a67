// bpftool verbs of scenarios against the real bpftool on this machine (root):
// the same map contents dumped by both (text, -j, -p, lookup hit and miss,
// map show), and `prog show` of the same clang-built object loaded by both.
// Normalised: kernel-assigned ids (prog/map ids, map_ids), loaded_at,
// xlated/jited sizes (the kernel's rewritten and x86 images), and the
// kernel's btf_id line (the model has no BTF). Golden files cover the
// no-root run (TCBPF_UPDATE_EXPECTED=1 rewrites them).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, hasTool, kernelOracle } from '@tcbpf/testing';
import { ScenarioError } from '../../src/index.js';
import { simScenario } from './tc-monitor-oracle.js';

const k = kernelOracle();
const tool = hasTool('bpftool');
const golden = join(import.meta.dirname, 'golden');
const update = process.env.TCBPF_UPDATE_EXPECTED === '1';
const OBJ = 'packages/bpf-skb/test/fixtures/progs/parse_classify.o';
const repo = join(import.meta.dirname, '..', '..', '..', '..');
const VALUE = '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16';
const SETUP = ['ip link add va type veth peer name vb', 'ip link set vb up', 'tc qdisc add dev vb clsact',
  `tc filter add dev vb ingress prio 1 bpf da obj ../../${OBJ} sec tc`,
  `bpftool map update name class_stats key 1 0 0 0 value ${VALUE}`,
  'bpftool map update id 1 key hex 02 00 00 00 value hex 10 0f 0e 0d 0c 0b 0a 09 08 07 06 05 04 03 02 01 exist'];
/** The map commands compared (ours name the map `id 1`; the kernel's is pinned). */
const MAP_CMDS = ['map dump', '-j map dump', '-p map dump', 'map lookup @ key 1 0 0 0', '-j map lookup @ key 2 0 0 0', 'map lookup @ key 9 0 0 0', 'map show', '-j map show'];

function sim(cmds: readonly string[]): string[] {
  const out: string[] = [];
  simScenario([...SETUP, ...cmds], (s) => out.push(s));
  return out;
}

function norm(s: string): string {
  return s.replace(/^\d+: /gm, 'N: ').replace(/"id":\d+/g, '"id":N').replace(/loaded_at [^ ]+/g, 'loaded_at T').replace(/"loaded_at":\d+/g, '"loaded_at":T')
    .replace(/xlated \d+B {2}jited \d+B/g, 'xlated XB  jited JB').replace(/"bytes_xlated":\d+,"jited":true,"bytes_jited":\d+/g, '"sizes"')
    .replace(/map_ids [\d,]+/g, 'map_ids M').replace(/"map_ids":\[[\d,]+\]/g, '"map_ids":M').replace(/\n\tbtf_id \d+/g, '').replace(/,"btf_id":\d+/g, '');
}

describe('bpftool verbs: golden files', () => {
  it('prog show, map show/dump/lookup in text and JSON', () => {
    const out = sim(['bpftool prog show', 'bpftool -j prog show', 'bpftool -p prog show id 1', ...MAP_CMDS.map((c) => `bpftool ${c.replace('@', 'id 1').replace(/map (dump|show)$/, 'map $1 id 1')}`)]).join('=====\n');
    const f = join(golden, 'bpftool.txt');
    if (update) writeFileSync(f, out);
    expect(existsSync(f)).toBe(true);
    expect(out).toBe(readFileSync(f, 'utf8'));
  });
  it('errors name the failure like bpftool', () => {
    expect(() => sim(['bpftool map update id 1 key 1 0 0 0 value 1 2'])).toThrow(/value expected 16 bytes got 2/);
    expect(() => sim(['bpftool map update id 1 key 9 0 0 0 value ' + VALUE])).toThrow(/Error: update failed: Argument list too long \(E2BIG\)|update failed/);
    expect(() => sim(['bpftool map dump id 77'])).toThrow(ScenarioError);
    // array elements cannot be deleted (array_map_delete_elem: -EINVAL), as bpftool reports it
    expect(() => sim(['bpftool map delete id 1 key 2 0 0 0'])).toThrow(/Error: delete failed: Invalid argument \(EINVAL\)/);
    expect(() => sim([`bpftool map update id 1 key 1 0 0 0 value ${VALUE} noexist`])).toThrow(/update failed: File exists \(EEXIST\)/);
  });
  // one machine for every run (lines may change its maps, as a scenario would)
  const shared = simScenario(SETUP);
  let line = 100;
  test.prop([fc.array(fc.oneof(fc.constantFrom('bpftool', 'map', 'prog', 'dump', 'show', 'id', '1', 'key', 'value', 'hex', 'lookup', 'update', 'delete', 'name', 'class_stats', '-j', '-p', 'exist', 'noexist', 'any', '0', '0x1ff', '999'), fc.string()), { maxLength: 40 })], { numRuns: fuzzRuns(40, 2000) })('fuzz: random bpftool lines never crash (usage errors only)', (words) => {
    try {
      shared.exec('fuzz', line++, ['bpftool', ...words.map((w) => w.replace(/[\s"'#]/g, 'x')).filter((w) => w !== '')].join(' '));
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
    }
  });
});

describe.skipIf(!k.ok || !tool)(`bpftool verbs = the real bpftool (kernel: ${k.ok ? (tool ? 'ok' : 'bpftool missing') : k.reason})`, () => {
  it('map dump/lookup/show of the same contents, prog show of the same object', () => {
    const pin = `/sys/fs/bpf/tcbpf-show-${process.pid}`;
    const bt = (args: string[]): string => spawnSync('bpftool', args, { encoding: 'utf8' }).stdout;
    try {
      expect(spawnSync('bpftool', ['map', 'create', `${pin}-m`, 'type', 'array', 'key', '4', 'value', '16', 'entries', '8', 'name', 'class_stats']).status).toBe(0);
      bt(['map', 'update', 'pinned', `${pin}-m`, 'key', '1', '0', '0', '0', 'value', ...VALUE.split(' ')]);
      bt(['map', 'update', 'pinned', `${pin}-m`, 'key', 'hex', '02', '00', '00', '00', 'value', 'hex', ...'10 0f 0e 0d 0c 0b 0a 09 08 07 06 05 04 03 02 01'.split(' '), 'exist']);
      const kern = MAP_CMDS.map((c) => bt(c.replace('@', `pinned ${pin}-m`).replace(/map (dump|show)$/, `map $1 pinned ${pin}-m`).split(' ')));
      const ours = sim(MAP_CMDS.map((c) => `bpftool ${c.replace('@', 'id 1').replace(/map (dump|show)$/, 'map $1 id 1')}`));
      expect(kern[0]).toContain('Found 8 elements');
      expect(ours.map(norm)).toEqual(kern.map(norm));
      expect(spawnSync('bpftool', ['prog', 'load', join(repo, OBJ), `${pin}-p`, 'type', 'classifier']).status).toBe(0);
      const kp = [bt(['prog', 'show', 'pinned', `${pin}-p`]), bt(['-j', 'prog', 'show', 'pinned', `${pin}-p`])];
      const sp = sim(['bpftool prog show id 1', 'bpftool -j prog show id 1']);
      expect(kp[0]).toMatch(/sched_cls {2}name classify {2}tag 6d166b12f0f021d9 {2}gpl/);
      expect(sp.map(norm)).toEqual(kp.map(norm));
    } finally {
      rmSync(`${pin}-m`, { force: true });
      rmSync(`${pin}-p`, { force: true });
    }
  });
});
