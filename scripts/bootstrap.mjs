#!/usr/bin/env node
// Entry point of the README's commands on a fresh machine with only Node 20 and
// npm: installs pnpm (the version package.json pins) into a user cache if it is
// not on PATH, installs the locked dependencies when they are missing or stale,
// then runs the demo, the app, or the whole test suite.
//   node scripts/bootstrap.mjs demo [args]   - the demo pipeline
//   node scripts/bootstrap.mjs tcbpf [args]  - any tcbpf command
//   node scripts/bootstrap.mjs test          - every test; ends with "tests: N passed, N failed, N skipped"
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = pkg.packageManager.replace(/^pnpm@/, '').split('+')[0];
const say = (m) => process.stderr.write(`[tcbpf] ${m}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function pnpmOnPath() {
  const r = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === pnpmVersion;
}

function ensurePnpm() {
  if (pnpmOnPath()) return;
  const prefix = join(process.env.CI_TOOLS_DIR ?? join(homedir(), '.cache', 'ci-tools'), `pnpm-${pnpmVersion}`);
  const bin = join(prefix, 'bin');
  if (!existsSync(join(bin, 'pnpm'))) {
    say(`installing pnpm@${pnpmVersion} into ${prefix} (first use only)`);
    mkdirSync(prefix, { recursive: true });
    const rc = run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', `pnpm@${pnpmVersion}`]);
    if (rc !== 0) throw new Error(`npm could not install pnpm@${pnpmVersion}`);
  }
  process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  if (!pnpmOnPath()) throw new Error(`pnpm ${pnpmVersion} is not usable from ${bin}`);
}

function ensureDeps() {
  const lock = readFileSync(join(root, 'pnpm-lock.yaml'));
  const hash = createHash('sha256').update(lock).digest('hex');
  const stamp = join(root, 'node_modules', '.tcbpf-lock-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  say('installing dependencies (pnpm install --frozen-lockfile)');
  const rc = run('pnpm', ['install', '--frozen-lockfile']);
  if (rc !== 0) throw new Error('pnpm install failed');
  writeFileSync(stamp, hash);
}

function tcbpf(args) {
  return run('pnpm', ['exec', 'tsx', '--conditions=@tcbpf/source', 'apps/pipeline/src/cli.ts', ...args]);
}

function test(args) {
  const report = join(root, '.ci-out', 'vitest.json');
  mkdirSync(join(root, '.ci-out'), { recursive: true });
  const env = { ...process.env, NO_COLOR: process.env.NO_COLOR ?? '1' };
  const rc = run('pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], { env });
  let summary;
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    // a test file that fails to load has status "failed" and no failed assertion
    const fileErrors = r.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed')).length;
    let failed = r.numFailedTests + fileErrors;
    if (rc !== 0 && failed === 0) failed = 1;
    summary = `tests: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
  } catch {
    say(`vitest wrote no report (exit ${rc})`);
    return rc === 0 ? 1 : rc;
  }
  process.stdout.write(`${summary}\n`);
  return rc;
}

const [cmd = 'demo', ...rest] = process.argv.slice(2);
try {
  ensurePnpm();
  ensureDeps();
  let rc;
  if (cmd === 'demo') rc = tcbpf(['demo', ...rest]);
  else if (cmd === 'tcbpf') rc = tcbpf(rest);
  else if (cmd === 'test') rc = test(rest);
  else {
    say(`unknown command ${cmd} (demo | tcbpf | test)`);
    rc = 2;
  }
  process.exitCode = rc;
} catch (e) {
  say(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
}
