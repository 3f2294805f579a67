#!/usr/bin/env node
// The `tcbpf` command line: `run SCENARIO`, `demo`, `prog verify|disasm|run`, `packages`, `help`.
import { mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stackPackages } from './stack.js';
import { ScenarioError, formatStats, runScenario, type RunResult, type TraceEntry } from './scenario.js';
import { isCaptureFile, progDisasm, progRun, progRunCapture, progVerify, type ProgToolOutput } from './prog-tools.js';

function usage(): string {
  return [
    'usage: tcbpf <command>',
    '',
    'commands:',
    '  run SCENARIO [--out DIR] [--trace FILE] [--json]   run a scenario file of ip/tc commands and replay verbs',
    '  demo [--out DIR]                                    run the bundled scenario (examples/demo.tcbpf)',
    '  prog verify OBJ [--sec NAME] [--log-level N] [--json]',
    '                                                      verify a program: kernel-format verifier log, structured refusal with --json',
    '  prog disasm OBJ [--sec NAME]                        list the instructions (verifier-log syntax; tcpdump -d for classic)',
    '  prog run OBJ [--sec NAME] --data FILE [--data-out FILE] [--ctx-in FILE] [--ctx-out FILE] [--repeat N] [--json]',
    '                                                      test-run a program on a packet or each packet of a pcap (BPF_PROG_TEST_RUN)',
    '  packages                                            list the stack\'s packages and versions',
    '  help                                                this text',
    '',
    'OBJ is a clang-built BPF object, a file holding a classic `bytecode` program, or a `bytecode` string.',
    'global option: --no-jit runs every program on the interpreter.',
  ].join('\n');
}

function printPackages(): void {
  const pkgs = stackPackages();
  const w = Math.max(...pkgs.map((p) => p.name.length));
  for (const p of pkgs) process.stdout.write(`${p.name.padEnd(w)}  ${p.version.padEnd(7)}  ${p.description}\n`);
}

/** `tcbpf run`: returns the exit status. */
function run(file: string, o: { out: string; trace?: string; json: boolean; jit: boolean }): number {
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
      jit: o.jit,
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

function emit(o: ProgToolOutput): number {
  process.stdout.write(o.stdout);
  process.stderr.write(o.stderr);
  return o.status;
}

/** `tcbpf prog verify|disasm|run`. */
function prog(args: readonly string[], noJit: boolean): number {
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest], allowPositionals: true, options: {
        sec: { type: 'string' }, 'log-level': { type: 'string' }, json: { type: 'boolean' }, data: { type: 'string' },
        'data-out': { type: 'string' }, 'ctx-in': { type: 'string' }, 'ctx-out': { type: 'string' }, repeat: { type: 'string' },
      },
    });
  } catch (e) {
    process.stderr.write(`tcbpf prog ${sub ?? ''}: ${(e as Error).message}\n`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const obj = positionals[0];
  if (obj === undefined || positionals.length > 1) {
    process.stderr.write(`tcbpf prog ${sub ?? ''}: expected one OBJ\n${usage()}\n`);
    return 2;
  }
  const sec = v.sec === undefined ? {} : { sec: v.sec };
  const num = (name: string, s: string | undefined, dflt: number): number | undefined => {
    if (s === undefined) return dflt;
    if (!/^\d+$/.test(s)) {
      process.stderr.write(`tcbpf prog ${sub ?? ''}: --${name} ${s}: not a non-negative integer\n`);
      return undefined;
    }
    return Number(s);
  };
  switch (sub) {
    case 'verify': {
      const level = num('log-level', v['log-level'], 0);
      if (level === undefined) return 2;
      return emit(progVerify(obj, { ...sec, logLevel: level, json: v.json === true }));
    }
    case 'disasm':
      return emit(progDisasm(obj, sec));
    case 'run': {
      if (v.data === undefined) {
        process.stderr.write('tcbpf prog run: --data FILE is required\n');
        return 2;
      }
      const repeat = num('repeat', v.repeat, 1);
      if (repeat === undefined) return 2;
      const data = new Uint8Array(readFileSync(v.data));
      if (isCaptureFile(data)) {
        if (v['ctx-in'] !== undefined || v['ctx-out'] !== undefined) {
          process.stderr.write('tcbpf prog run: --ctx-in/--ctx-out take one packet, not a capture\n');
          return 2;
        }
        return emit(progRunCapture(obj, { ...sec, dataPath: v.data, ...(v['data-out'] === undefined ? {} : { dataOutPath: v['data-out'] }), repeat, json: v.json === true, noJit }));
      }
      const ctxIn = v['ctx-in'] === undefined ? undefined : new Uint8Array(readFileSync(v['ctx-in']));
      const r = progRun(obj, { ...sec, data, ...(ctxIn === undefined ? {} : { ctxIn }), repeat, json: v.json === true, noJit });
      if (r.status === 0 && r.report !== undefined) {
        if (v['data-out'] !== undefined) writeFileSync(v['data-out'], r.report.dataOut);
        if (v['ctx-out'] !== undefined) {
          if (r.report.ctxOut === undefined) {
            process.stderr.write('tcbpf prog run: --ctx-out: classic programs have no context to write\n');
            return 1;
          }
          writeFileSync(v['ctx-out'], r.report.ctxOut);
        }
      }
      return emit(r);
    }
    default:
      process.stderr.write(`tcbpf prog: unknown subcommand '${sub ?? ''}' (verify, disasm, run)\n${usage()}\n`);
      return 2;
  }
}

export function main(argv0: readonly string[]): number {
  const noJit = argv0.includes('--no-jit');
  const argv = argv0.filter((a) => a !== '--no-jit');
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
      return run(file, { out, ...(cmd === 'demo' && values.trace === undefined ? { trace: join(out, 'trace.jsonl') } : values.trace === undefined ? {} : { trace: values.trace }), json: values.json === true, jit: !noJit });
    }
    case 'prog':
      return prog(rest, noJit);
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
