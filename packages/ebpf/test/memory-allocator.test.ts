// AddressSpace.memoryAllocator: every map type's value storage comes from it (so a
// JIT can keep map values in its own memory); storage handed out at an offset inside
// a larger buffer must behave exactly like a private array.
import { BPF_MAP_TYPE } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { AddressSpace, BpfSyscall } from '../src/index.js';

const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

/** An allocator carving 8-aligned pieces out of one buffer after a poisoned prefix; null when full. */
function arena(size: number): { buf: ArrayBuffer; calls: number[]; alloc: (len: number) => Uint8Array | null } {
  const buf = new ArrayBuffer(size);
  new Uint8Array(buf).fill(0xee, 0, 24);
  let top = 24;
  const calls: number[] = [];
  return {
    buf, calls,
    alloc: (len) => {
      calls.push(len);
      if (top + len > size) return null;
      const b = new Uint8Array(buf, top, len);
      top = (top + len + 7) & ~7;
      return b;
    },
  };
}

describe('AddressSpace.memoryAllocator', () => {
  it('alloc() uses the allocator, and plain zeroed arrays when it declines or is unset', () => {
    const as = new AddressSpace();
    expect(as.alloc(16).buffer.byteLength).toBe(16);
    const a = arena(64);
    as.memoryAllocator = a.alloc;
    const b = as.alloc(16);
    expect(b.buffer).toBe(a.buf);
    expect(b.byteOffset).toBe(24);
    const c = as.alloc(100);
    expect(c.buffer).not.toBe(a.buf);
    expect(c.every((x) => x === 0)).toBe(true);
    expect(a.calls).toEqual([16, 100]);
  });

  for (const [name, mapType, keySize, valueSize, maxEntries] of [
    ['array', BPF_MAP_TYPE.ARRAY, 4, 12, 8], ['percpu_array', BPF_MAP_TYPE.PERCPU_ARRAY, 4, 8, 4], ['hash', BPF_MAP_TYPE.HASH, 4, 12, 8],
    ['lru_hash', BPF_MAP_TYPE.LRU_HASH, 4, 8, 8], ['lpm_trie', BPF_MAP_TYPE.LPM_TRIE, 8, 4, 8], ['ringbuf', BPF_MAP_TYPE.RINGBUF, 0, 0, 4096],
  ] as const) {
    it(`${name} values come from the allocator and read/write at its offset`, () => {
      const sys = new BpfSyscall();
      const a = arena(1 << 16);
      sys.mem.memoryAllocator = a.alloc;
      const fd = sys.mapCreate({ mapType, keySize, valueSize, maxEntries, ...(mapType === BPF_MAP_TYPE.LPM_TRIE ? { mapFlags: 1 } : {}) });
      const m = sys.mapByFd(fd)!;
      expect(sys.mem.region(m.region)!.bytes.buffer).toBe(a.buf);
      if (mapType === BPF_MAP_TYPE.RINGBUF) return;
      const key = mapType === BPF_MAP_TYPE.LPM_TRIE ? new Uint8Array([32, 0, 0, 0, 10, 0, 0, 1]) : u32(3);
      const per = mapType === BPF_MAP_TYPE.PERCPU_ARRAY ? sys.nrCpus : 1;
      const v = new Uint8Array(((valueSize + 7) & ~7) * per).map((_, i) => i + 1);
      const value = per === 1 ? v.subarray(0, valueSize) : v;
      sys.mapUpdateElem(fd, key, value);
      expect([...sys.mapLookupElem(fd, key)]).toEqual([...value]);
      expect(new Uint8Array(a.buf, 0, 24).every((x) => x === 0xee)).toBe(true); // nothing written before its storage
    });
  }
});
