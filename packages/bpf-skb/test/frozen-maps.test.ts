// BPF_MAP_FREEZE: the syscall side loses write access (EPERM for updates,
// deletes and a second freeze), reads and program writes go on. Compared with
// the kernel through bpftool on a pinned map (root and bpftool needed).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_TYPE } from '@tcbpf/uapi';
import { hasTool, kernelOracle } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { SCHED_ACT, SCHED_CLS, TcBpfSyscall, instantiateObject, loadElfObject, tcBpfSyscall } from '../src/index.js';
import { PROGS_DIR } from './fixture-objects.js';

const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);

/** The errno a call throws, or 'ok'. */
function errnoOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (KernelError.isInstance(e)) return (e).errno;
    throw e;
  }
}

/** The steps, run on tcbpf: [what, result]. */
function modelSteps(type: number): [string, string][] {
  const sys = new TcBpfSyscall({ progTypes: [SCHED_CLS, SCHED_ACT] });
  const fd = sys.mapCreate({ mapType: type, keySize: 4, valueSize: 4, maxEntries: 4 });
  const out: [string, string][] = [];
  out.push(['update', errnoOf(() => sys.mapUpdateElem(fd, u32(0), u32(1)))]);
  out.push(['freeze', errnoOf(() => sys.mapFreeze(fd))]);
  out.push(['freeze again', errnoOf(() => sys.mapFreeze(fd))]);
  out.push(['update', errnoOf(() => sys.mapUpdateElem(fd, u32(0), u32(2)))]);
  out.push(['delete', errnoOf(() => sys.mapDeleteElem(fd, u32(0)))]);
  out.push(['lookup', Buffer.from(sys.mapLookupElem(fd, u32(0))).toString('hex')]);
  return out;
}

const ERRNO_TEXT: Readonly<Record<string, string>> = { 'Operation not permitted': 'EPERM', 'Invalid argument': 'EINVAL', 'Device or resource busy': 'EBUSY', 'No such file or directory': 'ENOENT' };

/** The same steps through bpftool on a pinned map. */
function kernelSteps(type: number): [string, string][] {
  const pin = `/sys/fs/bpf/tcbpf-freeze-${process.pid}-${type}`;
  const bt = (...args: string[]): string => {
    const r = spawnSync('bpftool', args, { encoding: 'utf8' });
    if (r.status === 0) return 'ok';
    const m = /: ([A-Z][a-z ]+)\s*$/m.exec(r.stderr.trim());
    return ERRNO_TEXT[m?.[1] ?? ''] ?? r.stderr.trim();
  };
  try {
    const t = type === BPF_MAP_TYPE.ARRAY ? 'array' : 'hash';
    if (bt('map', 'create', pin, 'type', t, 'key', '4', 'value', '4', 'entries', '4', 'name', 'tcbpf_frz') !== 'ok') throw new Error('bpftool map create failed');
    const key = ['key', '0', '0', '0', '0'];
    const out: [string, string][] = [];
    out.push(['update', bt('map', 'update', 'pinned', pin, ...key, 'value', '1', '0', '0', '0')]);
    out.push(['freeze', bt('map', 'freeze', 'pinned', pin)]);
    out.push(['freeze again', bt('map', 'freeze', 'pinned', pin)]);
    out.push(['update', bt('map', 'update', 'pinned', pin, ...key, 'value', '2', '0', '0', '0')]);
    out.push(['delete', bt('map', 'delete', 'pinned', pin, ...key)]);
    const r = spawnSync('bpftool', ['-j', 'map', 'lookup', 'pinned', pin, ...key], { encoding: 'utf8' });
    const v = (JSON.parse(r.stdout) as { value: string[] }).value.map((x) => x.replace(/^0x/, '')).join('');
    out.push(['lookup', v]);
    return out;
  } finally {
    spawnSync('rm', ['-f', pin]);
  }
}

describe('BPF_MAP_FREEZE on the model', () => {
  it('refuses syscall writes after freezing; programs keep writing', () => {
    expect(modelSteps(BPF_MAP_TYPE.ARRAY)).toEqual([['update', 'ok'], ['freeze', 'ok'], ['freeze again', 'EPERM'], ['update', 'EPERM'], ['delete', 'EPERM'], ['lookup', '01000000']]);
    const sys = new TcBpfSyscall({ progTypes: [SCHED_CLS] });
    const fd = sys.mapCreate({ mapType: BPF_MAP_TYPE.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    sys.mapFreeze(fd);
    expect(sys.mapIsFrozen(fd)).toBe(true);
    expect(errnoOf(() => sys.mapLookupAndDeleteElem(fd, u32(0)))).toBe('EPERM');
    expect(errnoOf(() => sys.mapUpdateBatch(fd, [u32(0)], [u32(0)]))).toBe('EPERM');
    expect(errnoOf(() => sys.mapDeleteBatch(fd, [u32(0)]))).toBe('EPERM');
    expect(errnoOf(() => sys.mapFreeze(99))).toBe('EBADF');
    // the map object itself (what a program's helpers reach) still takes writes
    sys.map(fd).update(u32(1), u32(5), 0);
    expect(sys.mapLookupElem(fd, u32(1))).toEqual(u32(5));
  });
});

const k = kernelOracle();
const why = !k.ok ? k.reason : hasTool('bpftool') ? '' : 'bpftool not installed';
describe.skipIf(why !== '')(`BPF_MAP_FREEZE agrees with the kernel (kernel: ${why || 'available'})`, () => {
  for (const [name, type] of [['array', BPF_MAP_TYPE.ARRAY], ['hash', BPF_MAP_TYPE.HASH]] as const) {
    it(`${name}: update, freeze, freeze again, update, delete, lookup`, () => {
      expect(modelSteps(type)).toEqual(kernelSteps(type));
    });
  }
});

describe('instantiateObject freezes .rodata like libbpf', () => {
  it('redirect_global.o: .rodata is frozen (syscall writes EPERM), .data and .bss are not', () => {
    const file = `${PROGS_DIR}redirect_global.o`;
    const obj = loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file });
    const sys = tcBpfSyscall();
    const loaded = instantiateObject(sys, obj);
    const byKind = (suffix: string): number => [...loaded.maps].find(([n]) => n.endsWith(suffix))![1];
    const ro = byKind('.rodata');
    expect(sys.mapIsFrozen(ro)).toBe(true);
    expect(errnoOf(() => sys.mapUpdateElem(ro, u32(0), new Uint8Array(sys.map(ro).valueSize)))).toBe('EPERM');
    for (const k of ['.data', '.bss']) {
      const fd = byKind(k);
      expect(sys.mapIsFrozen(fd)).toBe(false);
      expect(errnoOf(() => sys.mapUpdateElem(fd, u32(0), new Uint8Array(sys.map(fd).valueSize)))).toBe('ok');
    }
  });
});

describe.skipIf(why !== '')(`.rodata frozen like libbpf's (kernel: ${why || 'available'})`, () => {
  for (const name of ['redirect_global.o', 'vlan.o']) {
    it(`${name}: the maps libbpf (bpftool prog loadall) freezes are the ones instantiateObject freezes`, () => {
      const file = `${PROGS_DIR}${name}`;
      const dir = `/sys/fs/bpf/tcbpf-frz-${process.pid}-${name.replace('.o', '')}`;
      try {
        mkdirSync(dir);
        const r = spawnSync('bpftool', ['prog', 'loadall', file, `${dir}/p`, 'type', 'classifier', 'pinmaps', `${dir}/m`], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const kernel: string[] = [];
        for (const f of readdirSync(`${dir}/m`)) {
          const info = JSON.parse(spawnSync('bpftool', ['-j', 'map', 'show', 'pinned', `${dir}/m/${f}`], { encoding: 'utf8' }).stdout) as { name: string; frozen: number };
          kernel.push(`${info.name} ${info.frozen}`);
        }
        const obj = loadElfObject(new Uint8Array(readFileSync(file)), { fileName: file });
        const sys = tcBpfSyscall();
        const loaded = instantiateObject(sys, obj);
        const model = obj.maps.map((m) => `${m.kernelName.slice(0, 15)} ${sys.mapIsFrozen(loaded.maps.get(m.name)!) ? 1 : 0}`);
        expect(model.sort()).toEqual(kernel.sort());
        expect(kernel.some((k) => k.endsWith(' 1'))).toBe(true);
      } finally {
        spawnSync('rm', ['-rf', dir]);
      }
    });
  }
});
