// Models net/core/filter.c (Linux 6.18): bpf_check_basics_ok, bpf_check_classic
// and check_load_and_stores — the load-time checker every classic program
// passes before the kernel converts it to eBPF. Every refusal is EINVAL; the
// kernel sets no message, ours names the instruction and the rule.
import { KernelError } from '@tcbpf/base';
import { CBPF_LIMITS } from '@tcbpf/uapi';
import { OP, ancillaryOffset, isAbsLoad, isClassicOpcode, isCondJump } from './opcodes.js';
import type { SockFilter } from './sock-filter.js';

function refuse(pc: number, why: string): KernelError {
  return new KernelError('EINVAL', pc < 0 ? why : `insn ${pc}: ${why}`, pc < 0 ? { where: 'bpf_check_classic' } : { insn: pc, where: 'bpf_check_classic' });
}

/**
 * Check a classic program exactly as Linux does; throws KernelError(EINVAL)
 * on the first rule broken, with `insn` set to the offending instruction.
 */
export function checkClassic(prog: readonly SockFilter[]): void {
  const flen = prog.length;
  // bpf_check_basics_ok
  if (flen === 0 || flen > CBPF_LIMITS.MAXINSNS) throw refuse(-1, `program length ${flen} is outside 1..${CBPF_LIMITS.MAXINSNS}`);

  for (let pc = 0; pc < flen; pc++) {
    const f = prog[pc]!;
    const code = f.code;
    const k = f.k >>> 0;
    if (!isClassicOpcode(code)) throw refuse(pc, `unknown opcode 0x${code.toString(16)}`);
    switch (code) {
      case OP.DIV_K:
      case OP.MOD_K:
        if (k === 0) throw refuse(pc, 'division by constant zero');
        break;
      case OP.LSH_K:
      case OP.RSH_K:
        if (k >= 32) throw refuse(pc, `constant shift by ${k} (>= 32)`);
        break;
      case OP.LD_MEM:
      case OP.LDX_MEM:
      case OP.ST:
      case OP.STX:
        if (k >= CBPF_LIMITS.MEMWORDS) throw refuse(pc, `scratch memory cell M[${k}] does not exist (0..15)`);
        break;
      case OP.JA:
        // k >= (unsigned)(flen - pc - 1)
        if (k >= flen - pc - 1) throw refuse(pc, `ja +${k} jumps past the end`);
        break;
      default:
        if (isCondJump(code)) {
          if (pc + f.jt + 1 >= flen || pc + f.jf + 1 >= flen) throw refuse(pc, `jump target jt ${f.jt} / jf ${f.jf} past the end`);
        } else if (isAbsLoad(code)) {
          if (k >= 0xfffff000 && ancillaryOffset(k) < 0) throw refuse(pc, `unknown ancillary offset SKF_AD_OFF+${k - 0xfffff000}`);
        }
    }
  }

  const last = prog[flen - 1]!.code;
  if (last !== OP.RET_K && last !== OP.RET_A) throw refuse(flen - 1, 'last instruction is not a return');
  checkLoadAndStores(prog);
}

/**
 * check_load_and_stores: one linear pass with a 16-bit "written" mask per
 * instruction, propagated along jumps; reproduced literally (it is not a full
 * data-flow analysis, and accepting or refusing exactly what Linux does matters).
 */
function checkLoadAndStores(prog: readonly SockFilter[]): void {
  const flen = prog.length;
  const masks = new Uint16Array(flen).fill(0xffff);
  let memvalid = 0;
  for (let pc = 0; pc < flen; pc++) {
    memvalid &= masks[pc]!;
    const f = prog[pc]!;
    switch (f.code) {
      case OP.ST:
      case OP.STX:
        memvalid |= 1 << f.k;
        break;
      case OP.LD_MEM:
      case OP.LDX_MEM:
        if ((memvalid & (1 << f.k)) === 0) throw refuse(pc, `M[${f.k}] may be read before it is written`);
        break;
      case OP.JA:
        masks[pc + 1 + f.k] = masks[pc + 1 + f.k]! & memvalid;
        memvalid = 0xffff;
        break;
      default:
        if (isCondJump(f.code)) {
          masks[pc + 1 + f.jt] = masks[pc + 1 + f.jt]! & memvalid;
          masks[pc + 1 + f.jf] = masks[pc + 1 + f.jf]! & memvalid;
          memvalid = 0xffff;
        }
    }
  }
}
