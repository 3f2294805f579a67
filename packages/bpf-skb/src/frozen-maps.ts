// Models kernel/bpf/syscall.c (Linux 6.18) map_freeze and
// map_get_sys_perms: BPF_MAP_FREEZE takes the syscall side's write permission
// away from a map for good (what libbpf does to .rodata after writing its
// initial value). After it, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM,
// BPF_MAP_LOOKUP_AND_DELETE_ELEM and the writing batch commands fail with
// EPERM, and so does a second freeze (the write permission is checked before
// the "already frozen" EBUSY). Programs may still write unless the map was
// created with BPF_F_RDONLY_PROG.
import { KernelError } from '@tcbpf/base';
import { BpfSyscall, type BpfMap, type BpfProg } from '@tcbpf/ebpf';
import type { JitFacts } from '@tcbpf/jit';

/**
 * A BpfSyscall with BPF_MAP_FREEZE (`tcBpfSyscall()` makes one). The frozen
 * state belongs to the map, so every fd of a frozen map refuses writes.
 */
export class TcBpfSyscall extends BpfSyscall {
  readonly #frozen = new WeakSet<BpfMap>();
  /** The verifier's facts a JIT consumes (insn_aux_data), per program loaded by loadTcProgram. */
  readonly #jitFacts = new WeakMap<BpfProg, JitFacts>();

  /** Keep the verifier's facts of `prog` for the JIT (loadTcProgram records them). */
  setJitFacts(prog: BpfProg, facts: JitFacts): void {
    this.#jitFacts.set(prog, facts);
  }

  /** The verifier's facts of `prog` for `JitRuntime.load` (undefined: not loaded through loadTcProgram). */
  jitFacts(prog: BpfProg): JitFacts | undefined {
    return this.#jitFacts.get(prog);
  }

  /** BPF_MAP_FREEZE: EBADF for an unknown fd, EPERM when the map is already frozen. */
  mapFreeze(fd: number): void {
    const m = this.map(fd);
    if (this.#frozen.has(m)) throw new KernelError('EPERM', 'map is frozen: no write access from the syscall side', { where: 'map_fd' });
    this.#frozen.add(m);
  }

  /** Has BPF_MAP_FREEZE been applied to the map behind `fd`? */
  mapIsFrozen(fd: number): boolean {
    return this.#frozen.has(this.map(fd));
  }

  #writable(fd: number): void {
    if (this.#frozen.has(this.map(fd))) throw new KernelError('EPERM', 'map is frozen: no write access from the syscall side', { where: 'map_fd' });
  }

  override mapUpdateElem(fd: number, key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.#writable(fd);
    super.mapUpdateElem(fd, key, value, flags);
  }

  override mapDeleteElem(fd: number, key: Uint8Array): void {
    this.#writable(fd);
    super.mapDeleteElem(fd, key);
  }

  override mapLookupAndDeleteElem(fd: number, key: Uint8Array): Uint8Array {
    this.#writable(fd);
    return super.mapLookupAndDeleteElem(fd, key);
  }

  override mapUpdateBatch(fd: number, keys: readonly Uint8Array[], values: readonly Uint8Array[], flags = 0): number {
    this.#writable(fd);
    return super.mapUpdateBatch(fd, keys, values, flags);
  }

  override mapDeleteBatch(fd: number, keys: readonly Uint8Array[]): number {
    this.#writable(fd);
    return super.mapDeleteBatch(fd, keys);
  }
}
