// Models kernel/bpf/hashtab.c + kernel/bpf/map_in_map.c (Linux 6.18):
// BPF_MAP_TYPE_HASH_OF_MAPS. User space stores inner-map fds (checked against the
// inner_map_fd template), syscall lookups return the inner map id, programs get
// the inner map pointer.
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_TYPE, BPF_UPDATE } from '@tcbpf/uapi';
import { MAP_HANDLE_HI } from '../vm/address-space.js';
import { HashMap } from './hash.js';
import { checkInnerTemplate, innerMapMatches, type FdResolver } from './fd-array.js';
import { BpfMap, NEG, type MapAttr, type MapHost } from './map.js';

/** HASH_OF_MAPS. */
export class HashOfMapsMap extends BpfMap {
  readonly inner: BpfMap;
  readonly #h: HashMap;
  readonly #fds: FdResolver;
  readonly #byHandle: (host: number) => BpfMap | undefined;
  readonly #tmp = new Int32Array(2);

  constructor(host: MapHost, attr: MapAttr, fds: FdResolver, mapByHandle: (h: number) => BpfMap | undefined) {
    if (attr.valueSize !== 4) throw new KernelError('EINVAL', 'map-in-map value_size must be 4');
    super(host, attr);
    this.inner = checkInnerTemplate(attr.innerMap);
    this.#h = new HashMap(host, { ...attr, mapType: BPF_MAP_TYPE.HASH });
    this.#fds = fds;
    this.#byHandle = mapByHandle;
  }

  #mapIn(v: Uint8Array): BpfMap | undefined {
    return this.#byHandle(new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true));
  }

  lookup(key: Uint8Array): Uint8Array {
    const m = this.#mapIn(this.#h.lookup(key));
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, m?.id ?? 0, true);
    return out;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): void {
    if (flags > BPF_UPDATE.EXIST) throw new KernelError('EINVAL', `invalid update flags ${flags}`, { where: 'flags' });
    const fd = new DataView(this.checkValue(value).buffer, value.byteOffset, 4).getUint32(0, true);
    const m = this.#fds.mapByFd(fd);
    if (m === undefined) throw new KernelError('EBADF', `fd ${fd} is not a map`);
    if (!innerMapMatches(this.inner, m)) throw new KernelError('EINVAL', 'inner map does not match the template');
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, m.handle, true);
    this.#h.update(key, v, flags);
  }

  delete(key: Uint8Array): void {
    this.#h.delete(key);
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array {
    return this.#h.getNextKey(key);
  }

  override free(): void {
    this.#h.free();
  }

  progLookup(kb: Uint8Array, ko: number, cpu: number, out: Int32Array): void {
    const t = this.#tmp;
    this.#h.progLookup(kb, ko, cpu, t);
    out[0] = 0; out[1] = 0;
    if (t[0] === 0 && t[1] === 0) return;
    const r = this.host.mem.views[this.#h.region]!;
    out[0] = r.getUint32(t[0]!, true);
    out[1] = MAP_HANDLE_HI;
  }

  progUpdate(): number {
    return NEG.EOPNOTSUPP;
  }

  progDelete(kb: Uint8Array, ko: number): number {
    return this.#h.progDelete(kb, ko);
  }
}
