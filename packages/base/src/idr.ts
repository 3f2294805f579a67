// An ID allocator like the kernel's IDR (lib/idr.c): lowest free id in a range,
// or cyclic allocation that continues after the last id handed out.
import { KernelError } from './kernel-error.js';

export class Idr<T> {
  readonly #items = new Map<number, T>();
  #next = 0;

  /** Allocate the lowest free id in [min, max] (inclusive); ENOSPC when full. */
  alloc(value: T, min: number, max: number): number {
    for (let id = min; id <= max; id++) {
      if (!this.#items.has(id)) {
        this.#items.set(id, value);
        return id;
      }
    }
    throw new KernelError('ENOSPC');
  }

  /** Allocate cyclically: the first free id at or after the previous one + 1, wrapping to min. */
  allocCyclic(value: T, min: number, max: number): number {
    const start = this.#next < min || this.#next > max ? min : this.#next;
    const span = max - min + 1;
    for (let i = 0; i < span; i++) {
      const id = min + ((start - min + i) % span);
      if (!this.#items.has(id)) {
        this.#items.set(id, value);
        this.#next = id + 1;
        return id;
      }
    }
    throw new KernelError('ENOSPC');
  }

  /** Claim a specific id; EEXIST... the caller decides the errno, so this returns false when taken. */
  claim(id: number, value: T): boolean {
    if (this.#items.has(id)) return false;
    this.#items.set(id, value);
    return true;
  }

  get(id: number): T | undefined {
    return this.#items.get(id);
  }

  replace(id: number, value: T): void {
    if (this.#items.has(id)) this.#items.set(id, value);
  }

  remove(id: number): boolean {
    return this.#items.delete(id);
  }

  get size(): number {
    return this.#items.size;
  }

  /** Entries in ascending id order. */
  entries(): [number, T][] {
    return [...this.#items.entries()].sort((a, b) => a[0] - b[0]);
  }
}
