// tc's bytecode strings: unit cases with iproute2's messages, and a
// differential test against this machine's `tc` (iproute2) + kernel in a
// throw-away namespace: what tc refuses we refuse with the same message, what
// the kernel refuses our checker refuses, and what is loaded `tc filter show`
// prints exactly as formatBytecode does.
import { describe, expect, it } from 'vitest';
import { KernelError, Prng } from '@tcbpf/base';
import { Netns, kernelOracle } from '@tcbpf/testing';
import { ClassicFilter, formatBytecode, parseBytecode, parseBytecodeFile } from '../src/index.js';

function refusal(s: string): string {
  try {
    parseBytecode(s);
    return 'parsed';
  } catch (e) {
    if (!KernelError.isInstance(e)) throw e;
    return e.extack;
  }
}

describe('tc bytecode strings', () => {
  it('parses the kernel documentation example and prints it back as tc shows it', () => {
    const p = parseBytecode('4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0,');
    expect(formatBytecode(p)).toBe('4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0');
    expect(formatBytecode(p, true)).toBe('4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0,');
  });
  it("reads numbers like sscanf's %hu/%hhu/%u (sign, wrap to the field width)", () => {
    expect(parseBytecode('1,6 0 0 99999999999')[0]!.k).toBe(99999999999 % 2 ** 32);
    expect(parseBytecode('1,6 0 0 -1')[0]!.k).toBe(0xffffffff);
    expect(parseBytecode('1,-6 0 0 1')[0]!.code).toBe(65530);
    expect(parseBytecode('65537,6 0 0 0').length).toBe(1);
    expect(parseBytecode('1,6 256 0 0')[0]!.jt).toBe(0);
  });
  it("refuses with iproute2's messages", () => {
    expect(refusal('3,40 0 0 12,6 0 0 0')).toBe('Parsed program length is less than encoded length parameter!');
    expect(refusal('1,6 0 0 0,6 0 0 1')).toBe('Real program length exceeds encoded length parameter!');
    expect(refusal('2,6 0 0 0,,6 0 0 0')).toBe('Error at instruction 1!');
    for (const s of ['0,', 'x', '1 6 0 0 0', '5000,6 0 0 0', '']) expect(refusal(s)).toBe('Unable to parse bpf command line');
  });
  it('bytecode-file joins lines and squeezes blanks (tcpdump -ddd output works)', () => {
    expect(parseBytecodeFile('2\n6  0\t0 0\n6 0 0 1\n')).toEqual(parseBytecode('2,6 0 0 0,6 0 0 1'));
  });
});

const k = kernelOracle();
describe.skipIf(!k.ok)(`tc bytecode differential (kernel: ${k.reason || 'available'})`, () => {
  it('tc + kernel and we agree on every string', () => {
    const r = new Prng(0xb17e);
    const strings = [
      '4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0,', '3,40 0 0 12,6 0 0 0', '1,6 0 0 0,6 0 0 1', '0,', 'x',
      '2,6 0 0 0,,6 0 0 0', '1 6 0 0 0', '2,40 0 0 12,22 0 0 0', '1,6 0 0 99999999999', '1,-6 0 0 1', '1,6 0 0 -1',
      '2,,', '65537,6 0 0 0', '5000,6 0 0 0', '1,14 0 0 0', '2,52 0 0 0,22 0 0 0', '3,2 0 0 0,96 0 0 0,22 0 0 0',
      '2,21 1 0 1,6 0 0 0', '1,  6   0 0  7 ,',
    ];
    const atoms = ['6 0 0 1', '22 0 0 0', '40 0 0 12', '21 0 1 2048', '0 0 0 5', '255 0 0 0', '2 0 0 3', '96 0 0 3', '', ' ', '-1 0 0 0'];
    for (let i = 0; i < 40; i++) {
      const n = r.below(5);
      const recs = Array.from({ length: n }, () => atoms[r.below(atoms.length)]!);
      strings.push(`${r.below(6)},${recs.join(',')}${r.below(2) === 0 ? ',' : ''}`);
    }
    const ns = new Netns('cbpf-tc');
    try {
      ns.run('tc', ['qdisc', 'add', 'dev', 'lo', 'clsact']);
      let agreed = 0;
      for (const s of strings) {
        const add = ns.tryRun('tc', ['filter', 'add', 'dev', 'lo', 'ingress', 'bpf', 'bytecode', s]);
        let ours: string;
        try {
          const prog = parseBytecode(s);
          try {
            ClassicFilter.create(prog);
            ours = `loaded ${formatBytecode(prog)}`;
          } catch {
            ours = 'kernel refuses';
          }
        } catch (e) {
          ours = `tc: ${(e as KernelError).extack}`;
        }
        let theirs: string;
        if (add.status === 0) {
          const shown = /bytecode '([^']*)'/.exec(ns.run('tc', ['filter', 'show', 'dev', 'lo', 'ingress']));
          theirs = `loaded ${shown?.[1] ?? '?'}`;
          ns.run('tc', ['filter', 'del', 'dev', 'lo', 'ingress']);
        } else if (add.stderr.includes('RTNETLINK answers: Invalid argument')) theirs = 'kernel refuses';
        else theirs = `tc: ${add.stderr.split('\n')[0]!.trim()}`;
        expect(`${JSON.stringify(s)} -> ${ours}`).toBe(`${JSON.stringify(s)} -> ${theirs}`);
        agreed++;
      }
      expect(agreed).toBe(strings.length);
    } finally {
      ns.close();
    }
  });
});
