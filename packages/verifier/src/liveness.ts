// Models kernel/bpf/liveness.c / verifier.c compute_live_registers() (Linux
// 6.18): registers live before each instruction, by backward dataflow over
// the CFG. Used to ignore dead registers when comparing states and for the
// level-2 "Live regs before insn" table.
import type { Insns } from './insn.js';
import type { ProgTypeOps } from './types.js';

const CALLER_SAVED = 0x3f;

function bit(r: number): number {
  return r < 11 ? 1 << r : 0;
}

/** Live-in register masks (bit n = Rn), one per instruction. */
export function computeLiveRegs(p: Insns, ops: ProgTypeOps): Uint16Array {
  const n = p.len;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const succ: number[][] = [];
  for (let i = 0; i < n; i++) {
    const code = p.code[i]!;
    const cls = code & 7;
    const d = p.dst[i]! & 0xf;
    const s = p.src[i]! & 0xf;
    let u = 0;
    let df = 0;
    let next = [i + 1];
    switch (cls) {
      case 4:
      case 7: {
        const op = code & 0xf0;
        df = bit(d);
        if (op !== 0xb0) u |= bit(d);
        if ((code & 8) !== 0 && op !== 0xd0) u |= bit(s);
        break;
      }
      case 1:
        df = bit(d);
        u = bit(s);
        break;
      case 2:
        u = bit(d);
        break;
      case 3:
        u = bit(d) | bit(s);
        if ((code & 0xe0) === 0xc0) {
          const imm = p.imm[i]!;
          if (imm === 0xf1) {
            u |= 1;
            df = 1;
          } else if ((imm & 1) !== 0) df = bit(s);
        }
        break;
      case 0:
        if (code === 0x18) {
          df = bit(d);
          next = [i + 2];
        } else {
          u = 1 << 6;
          if ((code & 0xe0) === 0x40) u |= bit(s);
          df = CALLER_SAVED;
        }
        break;
      default: {
        const op = code & 0xf0;
        if (op === 0x90) {
          u = 1;
          next = [];
        } else if (op === 0x80) {
          df = CALLER_SAVED;
          u = CALLER_SAVED & ~1;
          if (p.src[i] === 0) {
            const h = ops.helper(p.imm[i]!);
            if (h !== undefined) u = ((1 << (h.args.length + 1)) - 1) & ~1;
          }
        } else if (op === 0x00) {
          next = [cls === 6 ? i + p.imm[i]! + 1 : i + p.off[i]! + 1];
        } else {
          u = bit(d);
          if ((code & 8) !== 0) u |= bit(s);
          next = [i + 1, i + p.off[i]! + 1];
        }
      }
    }
    use[i] = u;
    def[i] = df;
    succ.push(next.filter((x) => x >= 0 && x < n));
  }
  const live = new Uint16Array(n);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const t of succ[i]!) out |= live[t]!;
      const inn = use[i]! | (out & ~def[i]!);
      if (inn !== live[i]) {
        live[i] = inn;
        changed = true;
      }
    }
  }
  return live;
}

/** One row of the level-2 table: `.1........` (a dot for each dead R0..R9). */
export function liveStr(mask: number): string {
  let s = '';
  for (let r = 0; r < 10; r++) s += (mask & (1 << r)) !== 0 ? String(r) : '.';
  return s;
}
