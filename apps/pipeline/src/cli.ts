#!/usr/bin/env node
// The `tcbpf` command line.
import { stackPackages } from './stack.js';

function usage(): string {
  return [
    'usage: tcbpf <command>',
    '',
    'commands:',
    '  demo        run the bundled demo (for now: list the stack and what each package models)',
    '  packages    list the stack\'s packages and versions',
    '  help        this text',
  ].join('\n');
}

function printPackages(): void {
  const pkgs = stackPackages();
  const w = Math.max(...pkgs.map((p) => p.name.length));
  for (const p of pkgs) {
    process.stdout.write(`${p.name.padEnd(w)}  ${p.version.padEnd(7)}  ${p.description}\n`);
    if (p.models.length > 0) process.stdout.write(`${''.padEnd(w)}  ${''.padEnd(7)}  models: ${p.models.join(', ')}\n`);
  }
}

export function main(argv: readonly string[]): number {
  const [cmd = 'help'] = argv;
  switch (cmd) {
    case 'demo':
      process.stdout.write('tcbpf demo — the Linux tc BPF stack in TypeScript (Linux 6.18 model)\n\n');
      printPackages();
      process.stdout.write('\nThe full pipeline demo arrives with the tc core and cls_bpf; see README.md.\n');
      return 0;
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
