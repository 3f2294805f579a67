// VerifyResult.accessTypes: the pointer type each memory access was proven for
// (consumed by @tcbpf/jit to drop its region lookup on proven accesses).
import { describe, expect, it } from 'vitest';
import { ACCESS_MIXED, REG_TYPE, verify } from '../src/index.js';
import { I, SZ, add, exit, jmpr, ldx, mov, movr, prog, st, stx } from './asm.js';

const JGT = 0x20;

describe('accessTypes', () => {
  it('records ctx, packet and stack accesses, -1 elsewhere', () => {
    const r = verify(prog(
      mov(0, 0), //                       0
      ldx(SZ.W, 2, 1, 76), //             1 r2 = skb->data
      ldx(SZ.W, 3, 1, 80), //             2 r3 = skb->data_end
      movr(4, 2), //                      3
      add(4, 14), //                      4
      jmpr(JGT, 4, 3, 3), //              5 if r4 > r3 goto 9
      ldx(SZ.H, 0, 2, 12), //             6 packet
      stx(SZ.DW, 10, 0, -8), //           7 stack
      mov(0, 0), //                       8
      exit(), //                          9
    ));
    expect(r.ok, r.message).toBe(true);
    expect([...r.accessTypes]).toEqual([-1, REG_TYPE.PTR_TO_CTX, REG_TYPE.PTR_TO_CTX, -1, -1, -1, REG_TYPE.PTR_TO_PACKET, REG_TYPE.PTR_TO_STACK, -1, -1]);
  });

  it('marks an access reached with a stack pointer on one path and a packet pointer on another as mixed', () => {
    const r = verify(prog(
      ldx(SZ.W, 6, 1, 0), //              0 r6 = skb->len
      ldx(SZ.W, 2, 1, 76), //             1
      ldx(SZ.W, 3, 1, 80), //             2
      st(SZ.DW, 10, -8, 0), //            3
      movr(5, 10), //                     4
      add(5, -8), //                      5
      movr(4, 2), //                      6
      add(4, 1), //                       7
      mov(0, 0), //                       8
      jmpr(JGT, 4, 3, 4), //              9 if r4 > r3 goto 14
      I(0x25, 6, 0, 1, 10), //           10 if r6 > 10 goto 12
      movr(5, 2), //                     11 r5 = data
      ldx(SZ.B, 0, 5, 0), //             12 stack or packet
      mov(0, 0), //                      13
      exit(), //                         14
    ));
    expect(r.ok, r.message).toBe(true);
    expect(r.accessTypes[12]).toBe(ACCESS_MIXED);
    expect(r.accessTypes[3]).toBe(REG_TYPE.PTR_TO_STACK);
    expect(r.accessTypes[0]).toBe(REG_TYPE.PTR_TO_CTX);
  });

  it('is empty for a program refused before the walk', () => {
    expect(verify(new Uint8Array(0)).accessTypes.length).toBe(0);
  });
});
