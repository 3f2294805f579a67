// bpf_skb_under_cgroup in tcbpf alone: the README example, sk-less datapath
// skbs (-ENOENT before any index check, as skb_to_full_sk comes first),
// slots emptied or cgroups removed after filling, the verifier's map-type
// rule (check_map_func_compatibility) and a fuzz of random hierarchies
// against a reference ancestry walk.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { AddressSpace, REGION, assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { SkBuff } from '@tcbpf/skb';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { BPF_MAP_TYPE } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { SkbRunState, TcTestRunner, implementedTcHelpers, instantiateObject, loadElfObject, loadTcProgram, tcBpfSyscall } from '../src/index.js';
import { PROGS_DIR } from './fixture-objects.js';

const FILE = join(PROGS_DIR, 'under_cgroup.o');
const frame = Uint8Array.from([...new Array<number>(12).fill(2), 0x08, 0x00, 0x45, 0, 0, 20, ...new Array<number>(16).fill(0)]);
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
const bytes = new Uint8Array(readFileSync(FILE));

describe('bpf_skb_under_cgroup', () => {
  it('is implemented for tc programs (no longer refused)', () => {
    expect(implementedTcHelpers()).toContain(33);
  });

  it('README example: a caller in the slot cgroup gets 1', () => {
    const sys = tcBpfSyscall();
    sys.cgroups.mkdir('app');
    const loaded = instantiateObject(sys, loadElfObject(bytes)); // under_cgroup.o
    sys.mapUpdateElem(loaded.maps.get('cgrps')!, u32(0), u32(sys.cgroupOpen('app')));
    const runner = new TcTestRunner(sys, { taskCgroup: sys.cgroups.lookup('app') });
    expect(runner.run(loaded.programs.get('under_cgroup')!, { dataIn: frame }).retval).toBe(1);
    runner.taskCgroup = sys.cgroups.root;
    expect(runner.run(loaded.programs.get('under_cgroup')!, { dataIn: frame }).retval).toBe(0);
    // the default caller is the root cgroup
    expect(new TcTestRunner(sys).taskCgroup).toBe(sys.cgroups.root);
  });

  it('datapath skbs have no socket: -ENOENT for every index, even out of range', () => {
    const sys = tcBpfSyscall();
    const loaded = instantiateObject(sys, loadElfObject(bytes));
    sys.mapUpdateElem(loaded.maps.get('cgrps')!, u32(0), u32(sys.cgroupOpen('/')));
    const prog = sys.prog(loaded.programs.get('under_cgroup')!);
    const st = new SkbRunState(sys.mem, new SkBuff(0));
    st.begin(SkBuff.fromFrame(frame));
    sys.interpreter.runCtx = st;
    sys.run(prog, AddressSpace.hiOf(REGION.CTX), 0);
    st.end();
    expect(sys.interpreter.r0Lo).toBe(-2);
    const res = loaded.maps.get('results')!;
    for (let i = 0; i < 6; i++) expect(new DataView(sys.mapLookupElem(res, u32(i)).buffer).getInt32(0, true), `index ${i}`).toBe(-2);
  });

  it('a deleted slot is -EAGAIN; a removed (rmdir) cgroup still answers through the map reference', () => {
    const sys = tcBpfSyscall();
    const a = sys.cgroups.mkdir('a');
    const loaded = instantiateObject(sys, loadElfObject(bytes));
    const arr = loaded.maps.get('cgrps')!;
    const afd = sys.cgroupOpen('a');
    sys.mapUpdateElem(arr, u32(0), u32(afd));
    sys.close(afd);
    sys.cgroups.rmdir('a');
    const runner = new TcTestRunner(sys, { taskCgroup: a });
    const prog = loaded.programs.get('under_cgroup')!;
    expect(runner.run(prog, { dataIn: frame }).retval).toBe(1);
    sys.mapDeleteElem(arr, u32(0));
    expect(runner.run(prog, { dataIn: frame }).retval | 0).toBe(-11);
  });

  it('the verifier takes only a CGROUP_ARRAY for it, and a CGROUP_ARRAY for nothing else', () => {
    const sys = tcBpfSyscall();
    const arr = sys.mapCreate({ mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const cg = sys.mapCreate({ mapType: BPF_MAP_TYPE.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const under = (fd: number): Uint8Array => {
      const insns = assembleKernel('r1 = r1\nr2 = 0 ll\nr3 = 0\ncall 33\nr0 = 0\nexit');
      const b = encodeInsns(insns);
      b[9] = (b[9]! & 0x0f) | 0x10; // BPF_PSEUDO_MAP_FD
      new DataView(b.buffer).setInt32(12, fd, true);
      return b;
    };
    expect(() => loadTcProgram(sys, { insns: under(arr), license: 'GPL' })).toThrow('cannot pass map_type 2 into func bpf_skb_under_cgroup#33');
    expect(loadTcProgram(sys, { insns: under(cg), license: 'GPL' }).fd).toBeGreaterThan(0);
    const lookup = encodeInsns(assembleKernel('r1 = 0 ll\nr2 = r10\nr2 += -4\n*(u32 *)(r10 -4) = 0\ncall 1\nr0 = 0\nexit'));
    lookup[1] = (lookup[1]! & 0x0f) | 0x10;
    new DataView(lookup.buffer).setInt32(4, cg, true);
    expect(() => loadTcProgram(sys, { insns: lookup, license: 'GPL' })).toThrow('cannot pass map_type 8 into func bpf_map_lookup_elem#1');
  });

  test.prop([fc.array(fc.nat(20), { minLength: 1, maxLength: 20 }), fc.nat(30), fc.array(fc.integer({ min: -1, max: 25 }), { minLength: 4, maxLength: 4 })], { numRuns: fuzzRuns(60, 1000), seed: fuzzSeed() })(
    'fuzz: random hierarchies and slots give what the ancestry walk says',
    (parents, taskPick, slotPicks) => {
      const sys = tcBpfSyscall();
      // cgroup i+1 has parent parents[i] % (i+1) (0 = root)
      const paths = ['/'];
      parents.forEach((p, i) => {
        const parent = paths[p % (i + 1)]!;
        const path = `${parent === '/' ? '' : parent}/c${i}`;
        sys.cgroups.mkdir(path);
        paths.push(path);
      });
      const loaded = instantiateObject(sys, loadElfObject(bytes));
      const arr = loaded.maps.get('cgrps')!;
      slotPicks.forEach((s, i) => { if (s >= 0) sys.mapUpdateElem(arr, u32(i), u32(sys.cgroupOpen(paths[s % paths.length]!))); });
      const task = sys.cgroups.lookup(paths[taskPick % paths.length]!);
      const runner = new TcTestRunner(sys, { taskCgroup: task });
      runner.run(loaded.programs.get('under_cgroup')!, { dataIn: frame });
      const res = loaded.maps.get('results')!;
      for (let i = 0; i < 4; i++) {
        const got = new DataView(sys.mapLookupElem(res, u32(i)).buffer).getInt32(0, true);
        const s = slotPicks[i]!;
        let want = -11;
        if (s >= 0) {
          const slot = sys.cgroups.lookup(paths[s % paths.length]!);
          want = 0;
          for (let c: typeof slot | undefined = task; c !== undefined; c = c.parent) if (c === slot) want = 1;
        }
        expect(got, `slot ${i}`).toBe(want);
      }
    },
  );
});
