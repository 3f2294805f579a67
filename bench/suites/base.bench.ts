// Byte-order reads: the named big-endian reads of @tcbpf/base against a
// DataView baseline over the same 1,500-byte buffer.
import { u16be, u32be } from '@tcbpf/base';
import type { BenchGroup } from '../harness.js';

export function groups(): BenchGroup[] {
  const buf = new Uint8Array(1500);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 31) & 0xff;
  const dv = new DataView(buf.buffer);
  // results go to an object property so the work cannot be optimised away
  const out = { sink: 0 };
  return [
    {
      suite: 'base',
      group: 'byte-order reads over 1500 B',
      unit: 'read',
      baseline: {
        name: 'DataView getUint32/getUint16',
        per: 1496 / 2,
        fn: () => {
          let s = 0;
          for (let i = 0; i + 4 <= 1500; i += 4) s = (s + dv.getUint32(i) + dv.getUint16(i)) | 0;
          out.sink ^= s;
        },
      },
      tasks: [
        {
          name: 'u32be/u16be',
          per: 1496 / 2,
          fn: () => {
            let s = 0;
            for (let i = 0; i + 4 <= 1500; i += 4) s = (s + u32be(buf, i) + u16be(buf, i)) | 0;
            out.sink ^= s;
          },
        },
      ],
    },
  ];
}
