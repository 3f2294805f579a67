// Kernel cross-check of what the loader extracts. Each fixture object is loaded
// by this machine's kernel through `tc filter add ... bpf da obj FILE sec NAME`
// (iproute2 with libbpf) and through `bpftool prog loadall` inside a throw-away
// network namespace (its own bpffs mount, gone with the namespace). The kernel
// reports each program's tag: Linux 6.18 computes it as SHA-256 over the
// instructions it was given (map fds blanked), so equal tags mean the loader's
// relocated instructions are byte-for-byte what libbpf loaded, subprograms
// and relocations included. Map type, key/value size, max_entries, flags and
// kernel-visible names are compared too, as are the prog_array slots libbpf
// initialised. The tag is computed three times: by this test (node:crypto), by
// @tcbpf/ebpf's progTag, and by BPF_PROG_LOAD of the program loaded through
// loadTcProgram (before its ctx-access rewrite, as in the kernel).
import { decodeInsns, progTag } from '@tcbpf/ebpf';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { BPF_MAP_TYPE } from '@tcbpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantiateObject, loadElfObject, selectProgram, tcBpfSyscall, type BpfObject } from '../src/index.js';
import { FIXTURES, PROGS_DIR, kernelProgTag, readFixture, type FixtureName } from './fixture-objects.js';

const k = kernelOracle();
const tools = hasTool('bpftool') ? '' : 'bpftool not installed';

/** Sections tc attaches per fixture (tail_call.o and legacy_maps.o are not loadable by iproute2 6.1 + libbpf 1.1; see below). */
const TC_SECTIONS: Readonly<Partial<Record<FixtureName, readonly string[]>>> = {
  'callbacks.o': ['tc'],
  'for_each.o': ['tc'],
  'core_read.o': ['tc'],
  'parse_classify.o': ['tc'],
  'nat_rewrite.o': ['classifier'],
  'vlan.o': ['tcx/egress', 'tcx/ingress'],
  'lpm_lru.o': ['tc/ingress'],
  'redirect_global.o': ['tc'],
};

/** bpftool's map type names. */
const MAP_TYPE_BY_NAME: Readonly<Record<string, number>> = {
  array: BPF_MAP_TYPE.ARRAY, hash: BPF_MAP_TYPE.HASH, prog_array: BPF_MAP_TYPE.PROG_ARRAY,
  percpu_array: BPF_MAP_TYPE.PERCPU_ARRAY, lru_hash: BPF_MAP_TYPE.LRU_HASH, lpm_trie: BPF_MAP_TYPE.LPM_TRIE,
  array_of_maps: BPF_MAP_TYPE.ARRAY_OF_MAPS, cgroup_array: BPF_MAP_TYPE.CGROUP_ARRAY,
};

interface KProg { id: number; name: string; tag: string; type: string; map_ids?: number[] }
interface KMap { id: number; name: string; type: string; flags: number; bytes_key: number; bytes_value: number; max_entries: number }
interface KernelView {
  tcLines: string[];
  tcErrors: string;
  progs: KProg[];
  maps: KMap[];
  dumps: Map<number, { key: string[]; value: string[] }[]>;
  /** every map of the kernel, for resolving inner-map ids */
  allMaps: KMap[];
}

function kernelView(ns: Netns, file: FixtureName): KernelView {
  const secs = TC_SECTIONS[file] ?? [];
  const obj = `${PROGS_DIR}${file}`;
  const dir = '/sys/fs/bpf/tcbpf_xcheck';
  const script = [
    'mount -t bpf bpf /sys/fs/bpf',
    'ip link add xc0 type veth peer name xc1 && ip link set xc0 up && ip link set xc1 up',
    'tc qdisc add dev xc0 clsact',
    ...secs.map((s) => `tc filter add dev xc0 ingress bpf da obj ${obj} sec ${s} 2>&1 || echo "TCFAIL ${s}"`),
    'tc filter show dev xc0 ingress',
    'echo ---PROGS---',
    // pinmaps keeps a user reference on the maps: a prog_array without one is cleared by the kernel;
    // lpm_lru's maps are pinned by name already (libbpf's default root)
    `bpftool prog loadall ${obj} ${dir} type classifier ${file === 'lpm_lru.o' ? '' : `pinmaps ${dir}_maps`} >/dev/null 2>&1 || echo BPFTOOLFAIL`,
    `for p in ${dir}/*; do bpftool -j prog show pinned "$p"; echo; done`,
    'echo ---MAPS---',
    `for id in $(for p in ${dir}/*; do bpftool -j prog show pinned "$p"; echo; done | grep -o '"map_ids":\\[[0-9,]*\\]' | grep -o '[0-9][0-9]*' | sort -un); do bpftool -j map show id $id; echo; echo "DUMP $id $(bpftool -j map dump id $id 2>/dev/null)"; done`,
    'echo "ALLMAPS $(bpftool -j map show)"',
  ].join('\n');
  const out = ns.run('sh', ['-c', script]);
  const [tcPart = '', rest = ''] = out.split('---PROGS---\n');
  const [progPart = '', mapPart = ''] = rest.split('---MAPS---\n');
  expect(progPart).not.toContain('BPFTOOLFAIL');
  const progs = progPart.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as KProg);
  const maps: KMap[] = [];
  const dumps = new Map<number, { key: string[]; value: string[] }[]>();
  let allMaps: KMap[] = [];
  for (const l of mapPart.split('\n')) {
    if (l.startsWith('ALLMAPS [')) allMaps = JSON.parse(l.slice(8)) as KMap[];
    if (l.startsWith('{')) maps.push(JSON.parse(l) as KMap);
    const d = /^DUMP (\d+) (.*)$/.exec(l);
    if (d && d[2]!.startsWith('[')) dumps.set(Number(d[1]), JSON.parse(d[2]!) as { key: string[]; value: string[] }[]);
  }
  return { tcLines: tcPart.split('\n'), tcErrors: tcPart.split('\n').filter((l) => l.startsWith('TCFAIL') || l.startsWith('libbpf')).join('\n'), progs, maps, dumps, allMaps };
}

const hexLe = (bytes: string[]): number => bytes.reduceRight((acc, b) => acc * 256 + parseInt(b, 16), 0);

describe.skipIf(!k.ok || tools !== '')(`ELF loader vs the kernel (kernel: ${k.reason || tools})`, () => {
  const views = new Map<FixtureName, { obj: BpfObject; view: KernelView }>();
  const nss: Netns[] = [];

  beforeAll(() => {
    for (const f of FIXTURES) {
      if (f === 'legacy_maps.o') continue;
      const ns = new Netns('elfx');
      nss.push(ns);
      views.set(f, { obj: loadElfObject(readFixture(f), { fileName: f }), view: kernelView(ns, f) });
    }
  });
  afterAll(() => {
    for (const ns of nss) ns.close();
  });

  for (const f of FIXTURES) {
    if (f === 'legacy_maps.o') continue;
    const secs = TC_SECTIONS[f] ?? [];
    if (secs.length > 0)
      it(`${f}: tc attaches ${secs.join(', ')}; name and tag equal the loader's program`, () => {
        const { obj, view } = views.get(f)!;
        expect(view.tcErrors).toBe('');
        for (const s of secs) {
          const line = view.tcLines.find((l) => l.includes(`${f}:[${s}]`));
          expect(line, `tc filter show has ${f}:[${s}]`).toBeDefined();
          const m = / name (\S+) tag ([0-9a-f]{16})/.exec(line!);
          const p = selectProgram(obj, { section: s });
          expect(m?.[1]).toBe(p.name.slice(0, 15));
          expect(m?.[2]).toBe(kernelProgTag(p.insns));
        }
      });

    it(`${f}: bpftool loadall — every program's tag, and every referenced map's definition`, () => {
      const { obj, view } = views.get(f)!;
      const sys = tcBpfSyscall();
      const loaded = { sys, obj: instantiateObject(sys, obj) };
      expect(view.progs.map((p) => p.name).sort()).toEqual(obj.programs.map((p) => p.name.slice(0, 15)).sort());
      for (const p of obj.programs) {
        const kp = view.progs.find((x) => x.name === p.name.slice(0, 15))!;
        expect(kp.type).toBe('sched_cls');
        expect(kp.tag, `tag of ${p.name}`).toBe(kernelProgTag(p.insns));
        // and the tag function of @tcbpf/ebpf agrees
        expect(progTag(decodeInsns(p.insns))).toBe(kp.tag);
        // and so does the tag of the program loaded through loadTcProgram
        expect(loaded.sys.progInfo(loaded.obj.programs.get(p.name)!).tag, `loadTcProgram tag of ${p.name}`).toBe(kp.tag);
        // maps the program references, plus the .rodata* maps libbpf binds to every program (BPF_PROG_BIND_MAP)
        const used = new Set([...p.mapRelocs.map((r) => r.map), ...obj.maps.filter((m) => m.readonly).map((m) => m.name)]);
        expect((kp.map_ids ?? []).length).toBe(used.size);
        for (const id of kp.map_ids ?? []) {
          const km = view.maps.find((x) => x.id === id)!;
          const spec = obj.maps.find((m) => m.kernelName === km.name);
          expect(spec, `map ${km.name} of ${p.name}`).toBeDefined();
          expect(used.has(spec!.name)).toBe(true);
          expect({ type: MAP_TYPE_BY_NAME[km.type], key: km.bytes_key, value: km.bytes_value, max: km.max_entries, flags: km.flags })
            .toEqual({ type: spec!.type, key: spec!.keySize, value: spec!.valueSize, max: spec!.maxEntries, flags: spec!.flags });
        }
      }
      // prog_array slots libbpf filled from .rel.maps
      for (const spec of obj.maps.filter((m) => m.initSlots.length > 0)) {
        const km = view.maps.find((x) => x.name === spec.kernelName)!;
        const dump = view.dumps.get(km.id) ?? [];
        // prog_array values are program ids, map-in-map values inner map ids
        const slots = dump.map((e) => {
          const id = hexLe(e.value);
          const target = spec.type === BPF_MAP_TYPE.PROG_ARRAY ? view.progs.find((p) => p.id === id)?.name : view.allMaps.find((m) => m.id === id)?.name;
          return { index: hexLe(e.key), target };
        });
        expect(slots.length).toBeGreaterThan(0);
        expect(slots.sort((a, b) => a.index - b.index)).toEqual(spec.initSlots.map((s) => ({ index: s.index, target: s.program ?? s.map })));
      }
    });
  }

  it('legacy_maps.o: iproute2 here (libbpf >= 1.0) refuses `maps` sections; the loader reads them as the legacy loader does', () => {
    const ns = new Netns('elfl');
    nss.push(ns);
    const r = ns.tryRun('sh', ['-c', `ip link add xl0 type veth peer name xl1 && tc qdisc add dev xl0 clsact && tc filter add dev xl0 ingress bpf da obj ${PROGS_DIR}legacy_maps.o sec classifier`]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("legacy map definitions in 'maps' section are not supported");
    expect(loadElfObject(readFixture('legacy_maps.o')).maps.map((m) => m.source)).toEqual(['legacy', 'legacy']);
  });
});
