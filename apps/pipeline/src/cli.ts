#!/usr/bin/env node
// The `tcbpf` command line: `run SCENARIO`, `demo`, `packages`, `help`.
import { mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stackPackages } from './stack.js';
import { ScenarioError, formatStats, runScenario, type RunResult, type TraceEntry } from './scenario.js';

function usage(): string {
  return [
    'usage: tcbpf <command>',
    '',
    'commands:',
    '  run SCENARIO [--out DIR] [--trace FILE] [--json]   run a scenario file of ip/tc commands and replay verbs',
    '  demo [--out DIR]                                    run the bundled scenario (examples/demo.tcbpf)',
    '  packages                                            list the stack\'s packages and versions',
    '  help                                                this text',
  ].join('\n');
}

function printPackages(): void {
  const pkgs = stackPackages();
  const w = Math.max(...pkgs.map((p) => p.name.length));
  for (const p of pkgs) process.stdout.write(`${p.name.padEnd(w)}  ${p.version.padEnd(7)}  ${p.description}\n`);
}

/** `tcbpf run`: returns the exit status. */
function run(file: string, o: { out: string; trace?: string; json: boolean }): number {
  const text = readFileSync(file, 'utf8');
  mkdirSync(o.out, { recursive: true });
  let traceFd = -1;
  if (o.trace !== undefined) traceFd = openSync(o.trace, 'w');
  const shows: string[] = [];
  const tty = process.stderr.isTTY === true;
  let result: RunResult;
  try {
    result = runScenario(file, text, {
      outDir: o.out,
      inDir: dirname(resolve(file)),
      ...(traceFd >= 0 ? { trace: (e: TraceEntry) => void writeSync(traceFd, `${JSON.stringify(e)}\n`) } : {}),
      print: (s) => {
        shows.push(s);
        if (!o.json) process.stdout.write(s);
      },
      ...(tty ? { progress: (n: number) => void process.stderr.write(`\rreplayed ${n} packets`) } : {}),
    });
  } catch (e) {
    if (e instanceof ScenarioError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    if (traceFd >= 0) closeSync(traceFd);
    if (tty) process.stderr.write('\r\x1b[K');
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ ...result, show: shows }, null, 2)}\n`);
  else process.stdout.write(`\n${formatStats(result)}outputs in ${o.out}\n`);
  writeFileSync(join(o.out, 'stats.txt'), formatStats(result));
  return 0;
}

export function main(argv: readonly string[]): number {
  const [cmd = 'help', ...rest] = argv;
  switch (cmd) {
    case 'run':
    case 'demo': {
      let parsed;
      try {
        parsed = parseArgs({ args: [...rest], allowPositionals: true, options: { out: { type: 'string' }, trace: { type: 'string' }, json: { type: 'boolean' } } });
      } catch (e) {
        process.stderr.write(`tcbpf ${cmd}: ${(e as Error).message}\n`);
        return 2;
      }
      const { values, positionals } = parsed;
      const file = cmd === 'demo' ? join(import.meta.dirname, '..', 'examples', 'demo.tcbpf') : positionals[0];
      if (file === undefined) {
        process.stderr.write(`tcbpf run: missing SCENARIO\n${usage()}\n`);
        return 2;
      }
      const out = resolve(values.out ?? (cmd === 'demo' ? 'tcbpf-out/demo' : 'tcbpf-out'));
      if (cmd === 'demo') process.stdout.write(`tcbpf demo — ${file}\n\n`);
      return run(file, { out, ...(cmd === 'demo' && values.trace === undefined ? { trace: join(out, 'trace.jsonl') } : values.trace === undefined ? {} : { trace: values.trace }), json: values.json === true });
    }
    case 'packages':
      printPackages();
      return 0;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${usage()}\n`);
      return 0;
    default:
      process.stderr.write(`tcbpf: unknown command '${cmd}'\n${usage()}\n`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
