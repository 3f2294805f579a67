// bpf_skb_under_cgroup and BPF_MAP_TYPE_CGROUP_ARRAY against this machine's
// kernel: the same cgroup directories (P and P/C, under a unique top
// directory T of the cgroup2 mount, always removed) exist on both sides;
// under_cgroup.o's `cgrps` holds [root, T/P, T/P/C, empty] and BPF_PROG_TEST_RUN
// is run by a bpf() driver placed in different cgroups (the fake socket of a
// test run gets the caller's cgroup). Compared: the six recorded results
// (root, parent, child, empty slot, index == max_entries, far out of range),
// the return value for each skb->mark, the cgroup array's syscall errnos, the
// verifier's map-type pairing, and a datapath skb (lo ingress: no socket).
import { closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError } from '@tcbpf/base';
import { AddressSpace, REGION, assembleKernel, encodeInsns, type BpfSyscall } from '@tcbpf/ebpf';
import { SkBuff } from '@tcbpf/skb';
import { BpfOracle, CgroupDirs, Netns, bpfOracle, hasTool, bpfOracleWithFds, cgroup2Mount, kernelOracle, must } from '@tcbpf/testing';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { SkbRunState, TcTestRunner, instantiateObject, loadElfObject, loadTcProgram, tcBpfSyscall } from '../src/index.js';
import { PROGS_DIR } from './fixture-objects.js';
import { loadIntoKernel, u32le } from './kernel-object.js';

const k = kernelOracle();
const o = bpfOracle();
const mount = cgroup2Mount();
const reason = !k.ok ? k.reason : !o.ok ? o.reason : mount === undefined ? 'cgroup2 is not mounted' : '';

const ERRNO: Readonly<Record<string, number>> = { ENOENT: 2, E2BIG: 7, EBADF: 9, EAGAIN: 11, EINVAL: 22, ENOTSUPP: 524 };
const FILE = join(PROGS_DIR, 'under_cgroup.o');
const FRAME = Uint8Array.from([...new Array<number>(12).fill(2), 0x08, 0x00, 0x45, 0, 0, 20, ...new Array<number>(16).fill(0)]);

function s64(b: Uint8Array): number {
  return Number(new DataView(b.buffer, b.byteOffset).getBigInt64(0, true));
}
function ctxWithMark(mark: number): Uint8Array {
  const c = new Uint8Array(192);
  new DataView(c.buffer).setUint32(8, mark, true); // __sk_buff.mark
  return c;
}
function model(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (KernelError.isInstance(e)) return ERRNO[e.errno] ?? -1;
    throw e;
  }
}

interface Side {
  results: number[];
  retvals: number[];
}

/** Load under_cgroup.o in tcbpf with slots [root, P, P/C, -], run as a task in `task`. */
function runModel(task: string): Side {
  const sys: BpfSyscall = tcBpfSyscall();
  sys.cgroups.mkdir('T');
  sys.cgroups.mkdir('T/P');
  sys.cgroups.mkdir('T/P/C');
  const loaded = instantiateObject(sys, loadElfObject(new Uint8Array(readFileSync(FILE)), { fileName: FILE }));
  const arr = loaded.maps.get('cgrps')!;
  ['/', 'T/P', 'T/P/C'].forEach((p, i) => sys.mapUpdateElem(arr, u32le(i), u32le(sys.cgroupOpen(p))));
  const runner = new TcTestRunner(sys, { taskCgroup: sys.cgroups.lookup(task) });
  const prog = loaded.programs.get('under_cgroup')!;
  const retvals: number[] = [];
  for (let mark = 0; mark < 6; mark++) retvals.push(runner.run(prog, { dataIn: FRAME, dataSizeOut: 256, ctxIn: ctxWithMark(mark), ctxSizeOut: 192 }).retval | 0);
  const res = loaded.maps.get('results')!;
  const results = [0, 1, 2, 3, 4, 5].map((i) => s64(sys.mapLookupElem(res, u32le(i))));
  return { results, retvals };
}

/** The same in the kernel, the driver started in cgroup `task` (below the mount) with fds 3..5 = root, P, P/C. */
async function runKernel(dirs: CgroupDirs, task: string): Promise<Side> {
  const fds = ['', `${dirs.top}/P`, `${dirs.top}/P/C`].map((p) => dirs.open(p));
  const { oracle, exited } = bpfOracleWithFds(fds, join(dirs.mount, task));
  fds.forEach((fd) => closeSync(fd));
  try {
    const obj = loadElfObject(new Uint8Array(readFileSync(FILE)), { fileName: FILE });
    const ko = await loadIntoKernel(oracle, obj);
    const arr = ko.maps.get('cgrps')!;
    for (let i = 0; i < 3; i++) must(await oracle.mapUpdate(arr, u32le(i), u32le(3 + i)), `cgrps[${i}]`);
    const prog = ko.programs.get('under_cgroup')!;
    const retvals: number[] = [];
    for (let mark = 0; mark < 6; mark++) retvals.push(must(await oracle.testRun(prog, FRAME, 256, ctxWithMark(mark), 192)).retval | 0);
    const res = ko.maps.get('results')!;
    const results: number[] = [];
    for (let i = 0; i < 6; i++) results.push(s64(must(await oracle.mapLookup(res, u32le(i), 8))));
    return { results, retvals };
  } finally {
    oracle.close();
    await exited;
  }
}

describe.skipIf(reason !== '')(`bpf_skb_under_cgroup against the kernel (kernel: ${reason || 'ok'})`, () => {
  it('test-run results for root / parent / child / empty / out-of-range slots agree, for callers in P/C, P and T', async () => {
    const dirs = new CgroupDirs(mount!);
    try {
      dirs.mkdir('P');
      dirs.mkdir('P/C');
      for (const task of ['P/C', 'P', '']) {
        const kern = await runKernel(dirs, task === '' ? dirs.top : `${dirs.top}/${task}`);
        const mine = runModel(task === '' ? 'T' : `T/${task}`);
        expect(mine, `caller in T/${task}`).toEqual(kern);
      }
    } finally {
      dirs.cleanup();
    }
  });

  it('cgroup array syscall errnos agree (bad fds, indices, flags, lookups, deletes, next keys, create attrs)', async () => {
    const dirs = new CgroupDirs(mount!);
    const rootFd = dirs.open('');
    const childPath = dirs.mkdir('X');
    const childFd = dirs.open(childPath);
    const { oracle, exited } = bpfOracleWithFds([rootFd, childFd]);
    closeSync(rootFd);
    closeSync(childFd);
    const sys = tcBpfSyscall();
    sys.cgroups.mkdir('X');
    const mRoot = sys.cgroupOpen('/');
    const mChild = sys.cgroupOpen('X');
    expect([mRoot, mChild]).toEqual([3, 4]);
    try {
      const kerr = (r: { ok: boolean; errno?: number }): number => (r.ok ? 0 : r.errno!);
      // create attributes
      for (const [ks, vs, max, flags] of [[4, 4, 4, 0], [4, 8, 4, 0], [8, 4, 4, 0], [4, 4, 0, 0], [4, 4, 4, 1]] as const) {
        const kr = await oracle.mapCreate(BPF_MAP_TYPE.CGROUP_ARRAY, ks, vs, max, flags);
        const mr = model(() => sys.mapCreate({ mapType: BPF_MAP_TYPE.CGROUP_ARRAY, keySize: ks, valueSize: vs, maxEntries: max, mapFlags: flags }));
        expect(mr, `create ${ks}/${vs}/${max}/${flags}`).toBe(kerr(kr));
        if (kr.ok) must(await oracle.closeFd(kr.value));
      }
      const kfd = must(await oracle.mapCreate(BPF_MAP_TYPE.CGROUP_ARRAY, 4, 4, 4, 0));
      const mfd = sys.mapCreate({ mapType: BPF_MAP_TYPE.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      const other = must(await oracle.mapCreate(BPF_MAP_TYPE.ARRAY, 4, 4, 1, 0));
      const mOther = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      // the fd numbers differ between the sides: the same objects are named on each
      const steps: [string, number, number | string, number][] = [
        // [op, key, value (fd name), flags]
        ['update', 0, 'root', 0], ['update', 1, 'child', 0], ['update', 2, 'map', 0], ['update', 2, 'none', 0],
        ['update', 2, 'stdin', 0], ['update', 4, 'root', 0], ['update', 0xffffffff, 'root', 0], ['update', 2, 'root', 1],
        ['update', 2, 'root', 2], ['lookup', 0, '', 0], ['lookup', 2, '', 0], ['lookup', 9, '', 0], ['delete', 2, '', 0],
        ['delete', 1, '', 0], ['delete', 1, '', 0], ['delete', 4, '', 0], ['next', -1, '', 0], ['next', 0, '', 0],
        ['next', 3, '', 0], ['next', 7, '', 0], ['update', 1, 'child', 0], ['update', 1, 'root', 0],
      ];
      const kv: Record<string, number> = { root: 3, child: 4, map: other, none: 999, stdin: 0 };
      const mv: Record<string, number> = { root: mRoot, child: mChild, map: mOther, none: 999, stdin: 0 };
      let agree = 0;
      for (const [op, key, val, flags] of steps) {
        const what = `${op} key=${key} value=${val} flags=${flags}`;
        let kr: { ok: boolean; errno?: number };
        let mr: number;
        if (op === 'update') {
          kr = await oracle.mapUpdate(kfd, u32le(key), u32le(kv[val]!), flags);
          mr = model(() => sys.mapUpdateElem(mfd, u32le(key), u32le(mv[val]!), flags));
        } else if (op === 'lookup') {
          kr = await oracle.mapLookup(kfd, u32le(key), 4);
          mr = model(() => sys.mapLookupElem(mfd, u32le(key)));
        } else if (op === 'delete') {
          kr = await oracle.mapDelete(kfd, u32le(key));
          mr = model(() => sys.mapDeleteElem(mfd, u32le(key)));
        } else {
          const kk = key < 0 ? undefined : u32le(key);
          const kn = await oracle.mapNextKey(kfd, kk, 4);
          let mn: Uint8Array | undefined;
          mr = model(() => { mn = sys.mapGetNextKey(mfd, kk); });
          if (kn.ok && mn !== undefined) expect([...mn], what).toEqual([...kn.value]);
          kr = kn;
        }
        expect(mr, what).toBe(kerr(kr));
        agree++;
      }
      expect(agree).toBe(steps.length);
    } finally {
      oracle.close();
      await exited;
      dirs.cleanup();
    }
  });

  it('the verifier pairs CGROUP_ARRAY with bpf_skb_under_cgroup only: errno and message as the kernel', async () => {
    const kern = BpfOracle.open();
    try {
      const sys = tcBpfSyscall();
      const withMap = (src: string, fd: number): Uint8Array => {
        const b = encodeInsns(assembleKernel(src));
        for (let i = 0; i < b.length / 8; i++) if (b[i * 8] === 0x18) { b[i * 8 + 1] = (b[i * 8 + 1]! & 0x0f) | 0x10; new DataView(b.buffer).setInt32(i * 8 + 4, fd, true); break; }
        return b;
      };
      const PROGS = [
        ['skb_under_cgroup on an ARRAY', 'r2 = 0 ll\nr3 = 0\ncall 33\nr0 = 0\nexit', BPF_MAP_TYPE.ARRAY],
        ['skb_under_cgroup on a CGROUP_ARRAY', 'r2 = 0 ll\nr3 = 0\ncall 33\nr0 = 0\nexit', BPF_MAP_TYPE.CGROUP_ARRAY],
        ['map_lookup_elem on a CGROUP_ARRAY', 'r1 = 0 ll\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\ncall 1\nr0 = 0\nexit', BPF_MAP_TYPE.CGROUP_ARRAY],
        ['map_update_elem on a CGROUP_ARRAY', 'r1 = 0 ll\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -4\nr4 = 0\ncall 2\nr0 = 0\nexit', BPF_MAP_TYPE.CGROUP_ARRAY],
      ] as const;
      for (const [what, src, type] of PROGS) {
        const kfd = must(await kern.mapCreate(type, 4, 4, 1));
        const mfd = sys.mapCreate({ mapType: type, keySize: 4, valueSize: 4, maxEntries: 1 });
        const kr = await kern.progLoad(BPF_PROG_TYPE.SCHED_CLS, withMap(src, kfd));
        let mine = '';
        try {
          loadTcProgram(sys, { insns: withMap(src, mfd), license: 'GPL' });
        } catch (e) {
          if (!KernelError.isInstance(e)) throw e;
          mine = `${ERRNO[e.errno] ?? e.errno} ${e.message}`;
        }
        if (kr.ok) expect(mine, what).toBe('');
        else {
          const lines = kr.log.trim().split('\n');
          expect(mine, what).toContain(`${kr.errno} `);
          expect(lines.some((l) => mine.endsWith(l)), `${what}: ${mine} vs ${lines.slice(-3).join(' | ')}`).toBe(true);
        }
      }
    } finally {
      kern.close();
    }
  });

  const tools = ['tc', 'bpftool'].filter((t) => !hasTool(t));
  it.skipIf(tools.length > 0)(`datapath: on lo ingress (the socket orphaned by loopback_xmit) every call is -ENOENT in the kernel, as for tcbpf's socket-less skbs (${tools.length > 0 ? `missing: ${tools.join(', ')}` : 'tc, bpftool'})`, () => {
    const ns = new Netns('cg');
    try {
      const script = [
        'tc qdisc add dev lo clsact',
        `tc filter add dev lo ingress bpf da obj ${FILE} sec tc`,
        `${JSON.stringify(process.execPath)} -e "const s=require('dgram').createSocket('udp4');s.send('x',9,'127.0.0.1',()=>s.close())"`,
        'tc -j filter show dev lo ingress',
      ].join(' && ');
      const shown = JSON.parse(ns.run('sh', ['-c', script])) as { options?: { prog?: { id: number } } }[];
      const progId = shown.find((f) => f.options?.prog !== undefined)!.options!.prog!.id;
      const mapIds = (JSON.parse(ns.run('bpftool', ['-j', 'prog', 'show', 'id', String(progId)])) as { map_ids: number[] }).map_ids;
      let kernel: number[] | undefined;
      for (const id of mapIds) {
        const info = JSON.parse(ns.run('bpftool', ['-j', 'map', 'show', 'id', String(id)])) as { name: string };
        if (info.name !== 'results') continue;
        const dump = JSON.parse(ns.run('bpftool', ['-j', 'map', 'dump', 'id', String(id)])) as { value: string[] }[];
        kernel = dump.slice(0, 6).map((e) => s64(Uint8Array.from(e.value.map((b) => parseInt(b, 16)))));
      }
      // tcbpf: the same object run on an skb without a socket (SkbRunState.sockCgroup unset), slots filled
      const sys = tcBpfSyscall();
      const loaded = instantiateObject(sys, loadElfObject(new Uint8Array(readFileSync(FILE)), { fileName: FILE }));
      sys.mapUpdateElem(loaded.maps.get('cgrps')!, u32le(0), u32le(sys.cgroupOpen('/')));
      const st = new SkbRunState(sys.mem, new SkBuff(0));
      st.begin(SkBuff.fromFrame(FRAME));
      sys.interpreter.runCtx = st;
      sys.run(sys.prog(loaded.programs.get('under_cgroup')!), AddressSpace.hiOf(REGION.CTX), 0);
      st.end();
      const mine = [0, 1, 2, 3, 4, 5].map((i) => s64(sys.mapLookupElem(loaded.maps.get('results')!, u32le(i))));
      expect(kernel).toEqual([-2, -2, -2, -2, -2, -2]);
      expect(mine).toEqual(kernel);
    } finally {
      ns.close();
    }
  });
});
