// Program references held by kernel users (bpf_prog_inc / bpf_prog_put, kernel/bpf/syscall.c):
// a held program and its maps outlive close(fd) of the loader and go with the last put.
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_TYPE as T, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, assembleKernel, makeProgType } from '../src/index.js';

const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (test)', ctxSize: 192 });
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

describe('progHold / progPut', () => {
  it('a held program keeps running with its map after both fds are closed, and is freed by the last put', () => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const m = sys.mapCreate({ mapType: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    sys.mapUpdateElem(m, u32(0), u32(41));
    // r0 = ++map[0]
    const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel(
      `*(u32 *)(r10 -4) = 0\nr1 = map[fd:${m}]\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem#1\nif r0 == 0x0 goto pc+5\nr1 = *(u32 *)(r0 +0)\nr1 += 1\n*(u32 *)(r0 +0) = r1\nr0 = r1\nexit\nr0 = 0\nexit`) });
    const prog = sys.prog(fd);
    const mapId = sys.mapInfo(m).id;
    sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192), false);
    expect(sys.refCount(prog)).toBe(1);
    sys.progHold(prog);
    expect(sys.refCount(prog)).toBe(2);
    sys.close(fd);
    sys.close(m);
    expect(sys.refCount(prog)).toBe(1);
    expect(sys.progById(prog.id)).toBe(prog);
    const map = sys.mapById(mapId)!;
    expect(map).toBeDefined();
    expect(sys.run(prog, AddressSpace.hiOf(REGION.CTX), 0)).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(42);
    expect(sys.run(prog, AddressSpace.hiOf(REGION.CTX), 0)).toBe(RUN_STATUS.OK);
    expect(sys.interpreter.r0Lo).toBe(43);
    sys.progPut(prog);
    expect(sys.refCount(prog)).toBe(0);
    expect(sys.progById(prog.id)).toBeUndefined();
    expect(sys.mapById(mapId)).toBeUndefined();
    expect(sys.refCount(map)).toBe(0);
  });
  it('the fd keeps the program after the holder puts it', () => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel('r0 = 0\nexit') });
    const prog = sys.prog(fd);
    sys.progHold(prog);
    sys.progPut(prog);
    expect(sys.progById(prog.id)).toBe(prog);
    expect(sys.progInfo(fd).id).toBe(prog.id);
  });
  it('holding or putting a freed program is ENOENT', () => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, license: 'GPL', insns: assembleKernel('r0 = 0\nexit') });
    const prog = sys.prog(fd);
    sys.close(fd);
    expect(() => sys.progHold(prog)).toThrow(KernelError);
    expect(() => sys.progPut(prog)).toThrow(/ENOENT|no longer alive/);
  });
});
