// The program tag of a tc program loaded through loadTcProgram is the one
// Linux 6.18 reports: computed over the instructions as loaded (map fds
// zeroed), before the verifier's context-access rewrite, which only changes
// the executable image. elf-kernel.test.ts shows that progTag of the ELF
// loader's instructions equals the kernel's tag for every fixture program.
import { decodeInsns, encodeInsns, assembleKernel, progTag } from '@tcbpf/ebpf';
import { describe, expect, it } from 'vitest';
import { SKB_OFF, instantiateObject, loadElfObject, loadTcProgram, tcBpfSyscall } from '../src/index.js';
import { FIXTURES, kernelProgTag, readFixture } from './fixture-objects.js';

describe('program tag of loadTcProgram', () => {
  for (const f of FIXTURES) {
    it(`${f}: every program's tag equals progTag of the ELF loader's instructions`, () => {
      const obj = loadElfObject(readFixture(f), { fileName: f });
      const sys = tcBpfSyscall();
      const loaded = instantiateObject(sys, obj);
      expect(loaded.programs.size).toBe(obj.programs.length);
      for (const p of obj.programs) {
        const fd = loaded.programs.get(p.name)!;
        const info = sys.progInfo(fd);
        expect(info.tag, `tag of ${p.name}`).toBe(progTag(decodeInsns(p.insns)));
        expect(info.tag, `tag of ${p.name}`).toBe(kernelProgTag(p.insns));
        expect(info.xlatedProgLen).toBe(p.insns.length);
        expect(sys.prog(fd).insns.length * 8).toBe(p.insns.length);
      }
    });
  }

  it('parse_classify.o: classify has the tag Linux 6.18 reports (6d166b12f0f021d9)', () => {
    const obj = loadElfObject(readFixture('parse_classify.o'), { fileName: 'parse_classify.o' });
    const sys = tcBpfSyscall();
    const fd = instantiateObject(sys, obj).programs.get('classify')!;
    expect(sys.progInfo(fd).tag).toBe('6d166b12f0f021d9');
  });

  it('the ctx-access rewrite changes the executable image, not the loaded instructions or the tag', () => {
    const text = `r2 = *(u32 *)(r1 + ${SKB_OFF.data})\nr3 = *(u32 *)(r1 + ${SKB_OFF.data_end})\nr0 = 0\nexit`;
    const insns = encodeInsns(assembleKernel(text));
    const sys = tcBpfSyscall();
    const { fd } = loadTcProgram(sys, { insns, license: 'GPL' });
    const p = sys.prog(fd);
    expect(p.tag).toBe(progTag(decodeInsns(insns)));
    expect(encodeInsns(p.insns)).toEqual(insns);
    // the two packet-pointer loads became 8-byte loads from the shadow area in the image
    expect(p.image[0]! & 0xff).toBe(0x79);
    expect(p.image[2]! & 0xff).toBe(0x79);
    expect(p.image[0]! >> 16).not.toBe(SKB_OFF.data);
    expect(sys.progInfo(fd).xlatedProgLen).toBe(insns.length);
  });
});
