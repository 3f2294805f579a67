// ELF loading of the committed clang-19 fixture objects (µs per object):
// loadElfObject (sections, symbols, BTF, maps, relocations, subprogram linking)
// against a baseline that only walks the same object's section headers with a
// DataView (reading every Elf64_Shdr field) — the floor of any ELF reader.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadElfObject } from '@tcbpf/bpf-skb';
import type { BenchGroup } from '../harness.js';

const PROGS = fileURLToPath(new URL('../../packages/bpf-skb/test/fixtures/progs/', import.meta.url));
const NAMES = ['parse_classify.o', 'callbacks.o', 'core_read.o', 'nat_rewrite.o', 'vlan.o', 'tail_call.o', 'lpm_lru.o', 'redirect_global.o', 'legacy_maps.o'];

export function groups(): BenchGroup[] {
  const out = { sink: 0 };
  return NAMES.map((name): BenchGroup => {
    const bytes = new Uint8Array(readFileSync(`${PROGS}${name}`));
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return {
      suite: 'bpf-skb',
      group: `ELF load ${name} (${bytes.length} B)`,
      unit: 'object',
      baseline: {
        name: 'DataView walk of the section headers',
        fn: () => {
          const shoff = dv.getUint32(40, true);
          const shnum = dv.getUint16(60, true);
          let s = 0;
          for (let i = 0; i < shnum; i++) {
            const o = shoff + i * 64;
            s = (s + dv.getUint32(o, true) + dv.getUint32(o + 4, true) + dv.getUint32(o + 8, true) + dv.getUint32(o + 24, true) +
              dv.getUint32(o + 32, true) + dv.getUint32(o + 40, true) + dv.getUint32(o + 44, true) + dv.getUint32(o + 48, true) + dv.getUint32(o + 56, true)) | 0;
          }
          out.sink ^= s;
        },
      },
      tasks: [
        {
          name: 'loadElfObject',
          fn: () => {
            out.sink ^= loadElfObject(bytes, { fileName: name }).programs.length;
          },
        },
      ],
    };
  });
}
