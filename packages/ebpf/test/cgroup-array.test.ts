// The cgroup v2 model (src/cgroup.ts) and BPF_MAP_TYPE_CGROUP_ARRAY's
// syscall side (src/maps/fd-array.ts): fds of cgroup directories go in,
// lookups are ENOTSUPP, bad fds EBADF, bad indices E2BIG, as Linux 6.18
// (the kernel comparison is packages/bpf-skb/test/cgroup-kernel.test.ts).
import { fc, test } from '@fast-check/vitest';
import { KernelError } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { BPF_MAP_TYPE } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import type { FdArrayMap } from '../src/index.js';
import { BpfSyscall, CgroupHierarchy } from '../src/index.js';

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}
function errnoOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (KernelError.isInstance(e)) return e.errno;
    throw e;
  }
  return 'ok';
}

describe('cgroup hierarchy', () => {
  it('has a root with id 1; mkdir/lookup/rmdir follow the directory rules', () => {
    const h = new CgroupHierarchy();
    expect(h.root.id).toBe(1);
    expect(h.lookup('/')).toBe(h.root);
    expect(h.lookup('')).toBe(h.root);
    const a = h.mkdir('a');
    const b = h.mkdir('/a/b');
    expect(a.id).not.toBe(b.id);
    expect(b.path).toBe('/a/b');
    expect(h.lookup('a/./b')).toBe(b);
    expect(b.isDescendantOf(a)).toBe(true);
    expect(b.isDescendantOf(h.root)).toBe(true);
    expect(b.isDescendantOf(b)).toBe(true);
    expect(a.isDescendantOf(b)).toBe(false);
    expect(h.root.isDescendantOf(a)).toBe(false);
    expect(errnoOf(() => h.mkdir('a'))).toBe('EEXIST');
    expect(errnoOf(() => h.mkdir('x/y'))).toBe('ENOENT');
    expect(errnoOf(() => h.mkdir('cgroup.procs'))).toBe('EEXIST');
    expect(errnoOf(() => h.rmdir('a'))).toBe('EBUSY');
    expect(errnoOf(() => h.rmdir('/'))).toBe('EBUSY');
    expect(errnoOf(() => h.lookup('../a'))).toBe('EINVAL');
    expect(errnoOf(() => h.mkdir('n'.repeat(256)))).toBe('ENAMETOOLONG');
    h.rmdir('a/b');
    expect(b.online).toBe(false);
    expect(errnoOf(() => h.lookup('a/b'))).toBe('ENOENT');
    const c = h.mkdir('a/b');
    expect(c).not.toBe(b);
  });

  test.prop([fc.array(fc.oneof(fc.constantFrom('a', 'b', '..', '.', '', 'cgroup.x', 'n'.repeat(256), 'x\n', '\0'), fc.string({ maxLength: 8 })), { maxLength: 6 }), fc.array(fc.nat(3), { maxLength: 12 })], { numRuns: fuzzRuns(200, 5000), seed: fuzzSeed() })(
    'fuzz: cgroup paths never crash; mkdir/rmdir/lookup throw only KernelError and keep the tree consistent',
    (parts, ops) => {
      const h = new CgroupHierarchy();
      const path = parts.join('/');
      for (const op of ops) {
        try {
          if (op === 0) h.mkdir(path);
          else if (op === 1) h.rmdir(path);
          else if (op === 2) expect(h.lookup(path).isDescendantOf(h.root)).toBe(true);
          else h.mkdir(parts.slice(0, 1).join('/'));
        } catch (e) {
          expect(KernelError.isInstance(e)).toBe(true);
        }
      }
      const walk = (c: typeof h.root): void => {
        for (const [name, k] of c.children) {
          expect(k.name).toBe(name);
          expect(k.parent).toBe(c);
          expect(k.online).toBe(true);
          walk(k);
        }
      };
      walk(h.root);
    },
  );
});

describe('BPF_MAP_TYPE_CGROUP_ARRAY (syscall side)', () => {
  it('stores cgroup fds; lookup ENOTSUPP; EBADF for non-cgroup fds; E2BIG past max_entries; BPF_ANY only', () => {
    const sys = new BpfSyscall();
    const child = sys.cgroups.mkdir('tcbpf-a');
    const fd = sys.mapCreate({ mapType: BPF_MAP_TYPE.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const rootFd = sys.cgroupOpen('/');
    const childFd = sys.cgroupOpen('tcbpf-a');
    const arr = sys.map(fd) as FdArrayMap;
    sys.mapUpdateElem(fd, u32(0), u32(rootFd));
    sys.mapUpdateElem(fd, u32(1), u32(childFd));
    expect(arr.slot(0)).toBe(sys.cgroups.root);
    expect(arr.slot(1)).toBe(child);
    expect(errnoOf(() => sys.mapLookupElem(fd, u32(0)))).toBe('ENOTSUPP');
    expect(errnoOf(() => sys.mapLookupElem(fd, u32(3)))).toBe('ENOTSUPP');
    expect(errnoOf(() => sys.mapUpdateElem(fd, u32(2), u32(fd)))).toBe('EBADF');
    expect(errnoOf(() => sys.mapUpdateElem(fd, u32(2), u32(999)))).toBe('EBADF');
    expect(errnoOf(() => sys.mapUpdateElem(fd, u32(4), u32(rootFd)))).toBe('E2BIG');
    expect(errnoOf(() => sys.mapUpdateElem(fd, u32(2), u32(rootFd), 1))).toBe('EINVAL');
    expect(errnoOf(() => sys.mapDeleteElem(fd, u32(2)))).toBe('ENOENT');
    expect(errnoOf(() => sys.mapDeleteElem(fd, u32(4)))).toBe('E2BIG');
    sys.mapDeleteElem(fd, u32(1));
    expect(arr.slot(1)).toBeUndefined();
    expect([...sys.mapGetNextKey(fd)]).toEqual([...u32(0)]);
    expect([...sys.mapGetNextKey(fd, u32(2))]).toEqual([...u32(3)]);
    expect(errnoOf(() => sys.mapGetNextKey(fd, u32(3)))).toBe('ENOENT');
    expect(errnoOf(() => sys.cgroupOpen('nope'))).toBe('ENOENT');
    expect(errnoOf(() => sys.mapCreate({ mapType: BPF_MAP_TYPE.CGROUP_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }))).toBe('EINVAL');
    expect(errnoOf(() => sys.mapCreate({ mapType: BPF_MAP_TYPE.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 0 }))).toBe('EINVAL');
    // a slot keeps its cgroup after rmdir and after the fd is closed (the map holds a reference)
    sys.mapUpdateElem(fd, u32(1), u32(childFd));
    sys.close(childFd);
    sys.cgroups.rmdir('tcbpf-a');
    expect(arr.slot(1)).toBe(child);
  });

  test.prop([fc.array(fc.tuple(fc.nat(6), fc.integer({ min: -1, max: 12 }), fc.nat(3)), { maxLength: 30 })], { numRuns: fuzzRuns(200, 5000), seed: fuzzSeed() })(
    'fuzz: random update/delete/next_key sequences throw only KernelError and slots hold cgroups only',
    (ops) => {
      const sys = new BpfSyscall();
      sys.cgroups.mkdir('x');
      const fd = sys.mapCreate({ mapType: BPF_MAP_TYPE.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 5 });
      const cgFds = [sys.cgroupOpen('/'), sys.cgroupOpen('x')];
      const arr = sys.map(fd) as FdArrayMap;
      for (const [idx, v, op] of ops) {
        try {
          if (op === 0) sys.mapUpdateElem(fd, u32(idx), u32(v < 0 ? cgFds[idx % 2]! : v));
          else if (op === 1) sys.mapDeleteElem(fd, u32(idx));
          else if (op === 2) sys.mapGetNextKey(fd, u32(idx));
          else sys.mapLookupElem(fd, u32(idx));
        } catch (e) {
          expect(KernelError.isInstance(e)).toBe(true);
        }
      }
      for (let i = 0; i < 5; i++) {
        const s = arr.slot(i);
        expect(s === undefined || s === sys.cgroups.root || s === sys.cgroups.lookup('x')).toBe(true);
      }
    },
  );
});
