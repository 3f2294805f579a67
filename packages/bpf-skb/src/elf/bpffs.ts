// Models the pinning conventions tc uses on bpffs (iproute2 lib/bpf_legacy.c:
// bpf_make_pathname, bpf_map_selfcheck_pinned; lib/bpf_libbpf.c: pin_root_path
// = <mnt>/tc/globals) and libbpf's reuse check for pinned maps
// (tools/lib/bpf/libbpf.c map_is_reuse_compat), over a simulated bpffs namespace
// (kernel/bpf/inode.c: one object per path; pinning an existing path is EEXIST,
// a missing path is ENOENT). One BpfFs instance is one mount of bpffs.
import { kerr } from '@tcbpf/base';
import { BPF_ELF_PIN, BPF_TC_FS, LIBBPF_PIN } from '@tcbpf/uapi';
import type { BpfObject } from './bpf-object.js';
import type { BpfMapSpec } from './maps.js';

/** The parameters a pinned map is compared on before it is reused. */
export interface PinnedMapShape {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

/** One pinned object: a map (with its shape) or a program, plus the engine's handle. */
export interface BpfFsEntry<H> {
  readonly kind: 'map' | 'prog';
  readonly shape: PinnedMapShape | undefined;
  readonly handle: H;
}

/** A simulated bpffs mount: absolute paths to pinned objects. */
export class BpfFs<H = unknown> {
  readonly mnt: string;
  readonly #entries = new Map<string, BpfFsEntry<H>>();

  constructor(mnt: string = BPF_TC_FS.MNT) {
    this.mnt = mnt.replace(/\/+$/, '');
  }

  #check(path: string): void {
    if (!path.startsWith(`${this.mnt}/`)) throw kerr('EINVAL', `path "${path}" is not on bpffs (${this.mnt})`, { where: path });
    if (path.split('/').some((c) => c === '..' || c === '.')) throw kerr('EINVAL', `path "${path}" has a "." or ".." component`, { where: path });
  }

  /** BPF_OBJ_PIN: EEXIST when the path is taken. */
  pin(path: string, entry: BpfFsEntry<H>): void {
    this.#check(path);
    if (this.#entries.has(path)) throw kerr('EEXIST', `"${path}" is already pinned`, { where: path });
    this.#entries.set(path, Object.freeze({ ...entry }));
  }

  /** BPF_OBJ_GET: ENOENT when nothing is pinned there. */
  get(path: string): BpfFsEntry<H> {
    const e = this.#entries.get(path);
    if (!e) throw kerr('ENOENT', `nothing pinned at "${path}"`, { where: path });
    return e;
  }

  has(path: string): boolean {
    return this.#entries.has(path);
  }

  /** unlink(2) of a pin: ENOENT when absent. */
  unlink(path: string): void {
    if (!this.#entries.delete(path)) throw kerr('ENOENT', `nothing pinned at "${path}"`, { where: path });
  }

  /** All pinned paths, sorted. */
  paths(): string[] {
    return [...this.#entries.keys()].sort();
  }
}

/** How tc names pins for one object. */
export interface PinOptions {
  /** bpffs mount point (tc's TC_BPF_MNT override); default /sys/fs/bpf. */
  readonly mnt?: string;
  /** Lower-case hex SHA-1 of the object file, for PIN_OBJECT_NS (tc's per-object directory). */
  readonly objectHash?: string;
  /** Custom pinning ids -> sub-path, as /etc/iproute2/bpf_pinning lists them. */
  readonly customPinning?: ReadonlyMap<number, string>;
}

/** The bpffs path where tc pins (or finds) `map`, or `undefined` when it is not pinned. */
export function tcPinPath(map: BpfMapSpec, opts: PinOptions = {}): string | undefined {
  const mnt = (opts.mnt ?? BPF_TC_FS.MNT).replace(/\/+$/, '');
  const tc = `${mnt}/${BPF_TC_FS.TC_DIR}`;
  const at = `map "${map.name}"`;
  if (map.source === 'data') return undefined;
  if (map.source === 'btf') {
    if (map.pinning === LIBBPF_PIN.NONE) return undefined;
    return `${tc}/${BPF_TC_FS.GLOBALS_DIR}/${map.name}`;
  }
  switch (map.pinning) {
    case BPF_ELF_PIN.NONE:
      return undefined;
    case BPF_ELF_PIN.GLOBAL_NS:
      return `${tc}/${BPF_TC_FS.GLOBALS_DIR}/${map.name}`;
    case BPF_ELF_PIN.OBJECT_NS:
      if (opts.objectHash === undefined || !/^[0-9a-f]{40}$/.test(opts.objectHash))
        throw kerr('EINVAL', `${at}: PIN_OBJECT_NS needs the object's SHA-1 (objectHash)`, { where: at });
      return `${tc}/${opts.objectHash}/${map.name}`;
    default: {
      const sub = opts.customPinning?.get(map.pinning);
      if (sub === undefined) throw kerr('ENOENT', `${at}: no pinning mapping for id ${map.pinning} (bpf_pinning)`, { where: at });
      return `${mnt}/${sub.replace(/^\/+|\/+$/g, '')}/${map.name}`;
    }
  }
}

/** A map's pin path and whether an existing pin will be reused. */
export interface PinPlan {
  readonly map: string;
  readonly path: string;
  /** True when a compatible map is already pinned there (it is reused, not created). */
  readonly reuse: boolean;
}

/**
 * Resolves every pinned map of `obj` against `fs` as tc does before creating
 * maps: a pinned map of another shape is refused (EINVAL, nothing changed).
 */
export function planPins<H>(obj: BpfObject, fs: BpfFs<H>, opts: PinOptions = {}): PinPlan[] {
  const out: PinPlan[] = [];
  for (const m of obj.maps) {
    const path = tcPinPath(m, { ...opts, mnt: opts.mnt ?? fs.mnt });
    if (path === undefined) continue;
    if (!fs.has(path)) {
      out.push(Object.freeze({ map: m.name, path, reuse: false }));
      continue;
    }
    const e = fs.get(path);
    const s = e.shape;
    if (e.kind !== 'map' || !s || s.type !== m.type || s.keySize !== m.keySize || s.valueSize !== m.valueSize || s.maxEntries !== m.maxEntries || s.flags !== m.flags)
      throw kerr('EINVAL', `map "${m.name}": couldn't reuse pinned map at "${path}": parameter mismatch`, { where: path });
    out.push(Object.freeze({ map: m.name, path, reuse: true }));
  }
  return out;
}
