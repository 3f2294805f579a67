// Models the structural part of kernel/bpf/verifier.c (Linux 6.18):
// add_subprog_and_kfunc (call targets), check_subprogs (jump ranges, subprogram
// ends), resolve_pseudo_ldimm64 (LDX reserved fields, LD_IMM64 shape, opcode
// table), check_cfg (unreachable instructions, jumps into LD_IMM64) and the
// reserved-field checks of do_check, in that order (order measured on 6.18)
// (check_alu_op, check_cond_jmp_op, check_mem_access/atomic, LD_ABS/IND).
// Messages are the kernel's verbatim; every refusal is EINVAL. The full
// verifier (register types, bounds, paths) is issue 8 and plugs in after this.
import { KernelError } from '@tcbpf/base';
import type { Insn } from './insn.js';
import { OPCODES, OP_KIND } from './opcodes.js';

/** Loader callbacks run at the kernel's point in the structural pass. */
export interface StructureHooks {
  /**
   * Called for each LD_IMM64 whose pseudo source needs the loader (map fd/idx,
   * map value, BTF id) during resolve_pseudo_ldimm64, in instruction order, so
   * its errors (bad fd...) come exactly where the kernel reports them. Throws
   * KernelError to refuse.
   */
  readonly ldImm64?: (index: number, first: Insn, second: Insn) => void;
}

/** What the structural pass learned about a program. */
export interface ProgramShape {
  /** Start instruction of every subprogram, ascending, first = 0. */
  readonly subprogs: readonly number[];
}

const MAX_REG = 11;

function fail(insnIdx: number, msg: string, errno: 'EINVAL' | 'EACCES' | 'EPROTO' = 'EINVAL'): never {
  throw new KernelError(errno, msg, { insn: insnIdx, where: `insn ${insnIdx}` });
}

function hex2(v: number): string {
  return (v & 0xff).toString(16).padStart(2, '0');
}

/**
 * Check the structure of a program as the kernel does before walking paths.
 * Throws KernelError (EINVAL; EACCES for writes to R10) with the kernel's message on the first problem.
 */
export function checkStructure(insns: readonly Insn[], hooks: StructureHooks = {}): ProgramShape {
  const n = insns.length;
  if (n === 0) throw new KernelError('EINVAL', 'empty program');
  if (n > 1_000_000) throw new KernelError('E2BIG', `program of ${n} insns is too large`);

  // phase 1 (add_subprog_and_kfunc): bpf-to-bpf call and callback targets
  const subprogSet = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    if ((ins.code === 0x85 && ins.src === 1) || (ins.code === 0x18 && ins.src === 4)) {
      const t = i + 1 + ins.imm;
      if (t < 0 || t >= n) fail(i, 'call to invalid destination');
      subprogSet.add(t);
    } else if (ins.code === 0x85 && ins.src === 2) {
      // kfunc calls need the kernel's BTF, which is not modelled: refuse as the kernel does when
      // it cannot find the function (off = module BTF fd index, imm = BTF id)
      if (ins.off > 0) fail(i, 'failed to find BTF for kernel function', 'EPROTO');
      if (ins.off < 0) fail(i, 'failed to find BTF for kernel function');
      if (ins.imm === 0) fail(i, 'invalid kernel function call not eliminated in verifier pass');
      fail(i, `kernel btf_id ${ins.imm >>> 0} is not a function`);
    }
  }
  const subprogs = [...subprogSet].sort((a, b) => a - b);

  // phase 2 (check_subprogs): every JMP/JMP32-class jump stays in its subprogram; each
  // subprogram ends with exit or ja (decided on raw bits, before the opcode table is consulted)
  for (let s = 0; s < subprogs.length; s++) {
    const start = subprogs[s]!;
    const end = s + 1 < subprogs.length ? subprogs[s + 1]! : n;
    for (let i = start; i < end; i++) {
      const { code, off, imm } = insns[i]!;
      const cls = code & 7;
      const jop = code & 0xf0;
      if ((cls !== 0x05 && cls !== 0x06) || jop === 0x80 || jop === 0x90) continue;
      const t = i + 1 + (code === 0x06 ? imm : off);
      if (t < start || t >= end) fail(i, `jump out of range from insn ${i} to ${t}`);
    }
    const last = insns[end - 1]!;
    if (last.code !== 0x95 && last.code !== 0x05 && last.code !== 0x06) fail(end - 1, 'last insn is not an exit or jmp');
  }

  // phase 3 (resolve_pseudo_ldimm64), per instruction in order: LDX reserved fields,
  // LD_IMM64 pairs, then the opcode table
  const isSecondHalf = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    if ((ins.code & 7) === 1) {
      const mode = ins.code & 0xe0;
      if ((mode !== 0x60 && mode !== 0x80) || ins.imm !== 0) fail(i, 'BPF_LDX uses reserved fields');
    }
    if (ins.code === 0x18) {
      const nx = insns[i + 1];
      if (i === n - 1 || nx === undefined || nx.code !== 0 || nx.dst !== 0 || nx.src !== 0 || nx.off !== 0)
        fail(i, 'invalid bpf_ld_imm64 insn');
      switch (ins.src) {
        case 0:
          break;
        case 4: // BPF_PSEUDO_FUNC: the second imm is not checked (the JIT overwrites it with the address's upper half)
          break;
        case 1: // BPF_PSEUDO_MAP_FD / MAP_IDX: the second imm must be 0
        case 5:
          if (nx.imm !== 0) fail(i, 'unrecognized bpf_ld_imm64 insn');
          hooks.ldImm64?.(i, ins, nx);
          break;
        case 2: // MAP_VALUE / MAP_IDX_VALUE: second imm is the value offset
        case 3: // BTF_ID
        case 6:
          hooks.ldImm64?.(i, ins, nx);
          break;
        default:
          fail(i, 'unrecognized bpf_ld_imm64 insn');
      }
      isSecondHalf[i + 1] = 1;
      i++;
      continue;
    }
    if (OPCODES[ins.code] === undefined) fail(i, `unknown opcode ${hex2(ins.code)}`);
  }

  // phase 4 (check_cfg): depth-first walk from every subprogram; then, in index order,
  // unreachable instructions and jumps into the second half of an LD_IMM64
  const seen = new Uint8Array(n);
  const stack: number[] = [...subprogs];
  const push = (t: number): void => {
    if (t < n && !seen[t]) stack.push(t);
  };
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen[i]) continue;
    seen[i] = 1;
    const ins = insns[i]!;
    if (isSecondHalf[i]) { push(i + 1); continue; }
    const op = OPCODES[ins.code]!;
    switch (op.kind) {
      case OP_KIND.EXIT:
        break;
      case OP_KIND.JA:
        push(i + 1 + ins.off);
        break;
      case OP_KIND.JCOND_GOTO:
        push(i + 1 + ins.imm);
        break;
      case OP_KIND.JMP_COND:
      case OP_KIND.MAY_GOTO:
        push(i + 1);
        push(i + 1 + ins.off);
        break;
      case OP_KIND.LD_IMM64:
        push(i + 2);
        break;
      default:
        push(i + 1);
    }
  }
  for (let i = 0; i < n; i++) {
    if (!seen[i]) fail(i, `unreachable insn ${i}`);
    if (insns[i]!.code === 0x18) {
      if (seen[i + 1]) fail(i, `jump into the middle of ldimm64 insn ${i}`);
      i++;
    }
  }

  // phase 5 (do_check): reserved fields and operands, in index order
  for (let i = 0; i < n; i++) {
    if (isSecondHalf[i]) continue;
    checkInsnFields(insns[i]!, i);
  }
  return Object.freeze({ subprogs: Object.freeze(subprogs) });
}

function checkReg(i: number, r: number): void {
  if (r >= MAX_REG) fail(i, `R${r} is invalid`);
}
function checkDstWritable(i: number, r: number): void {
  checkReg(i, r);
  if (r === 10) fail(i, 'frame pointer is read only', 'EACCES');
}

/** The per-instruction operand checks of do_check for one (non-second-half) instruction. */
function checkInsnFields(ins: Insn, i: number): void {
  const op = OPCODES[ins.code]!;
  const { src, dst, off, imm } = ins;
  switch (op.kind) {
    case OP_KIND.NEG:
      if (src !== 0 || off !== 0 || imm !== 0) fail(i, 'BPF_NEG uses reserved fields');
      checkDstWritable(i, dst);
      return;
    case OP_KIND.END:
      if (src !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64)) fail(i, 'BPF_END uses reserved fields');
      checkDstWritable(i, dst);
      return;
    case OP_KIND.MOV:
      if (op.x) {
        if (!op.is64) {
          if ((off !== 0 && off !== 8 && off !== 16) || imm !== 0) fail(i, 'BPF_MOV uses reserved fields');
        } else if (off === 1) {
          if (imm !== 1 && imm !== 1 << 16) fail(i, 'addr_space_cast insn can only convert between address space 1 and 0');
          fail(i, 'addr_space_cast insn can only be used in a program that has an associated arena');
        } else if ((off !== 0 && off !== 8 && off !== 16 && off !== 32) || imm !== 0) fail(i, 'BPF_MOV uses reserved fields');
        checkReg(i, src);
      } else if (src !== 0 || off !== 0) fail(i, 'BPF_MOV uses reserved fields');
      checkDstWritable(i, dst);
      return;
    case OP_KIND.ALU: {
      const signedOk = op.op === 0x30 || op.op === 0x90;
      if (op.x) {
        if (imm !== 0 || (off !== 0 && off !== 1) || (off === 1 && !signedOk)) fail(i, 'BPF_ALU uses reserved fields');
        checkReg(i, src);
      } else if (src !== 0 || (off !== 0 && off !== 1) || (off === 1 && !signedOk)) fail(i, 'BPF_ALU uses reserved fields');
      checkReg(i, dst);
      if (!op.x && signedOk && imm === 0) fail(i, 'div by zero');
      if (!op.x && (op.op === 0x60 || op.op === 0x70 || op.op === 0xc0)) {
        const size = op.is64 ? 64 : 32;
        if (imm < 0 || imm >= size) fail(i, `invalid shift ${imm}`);
      }
      checkDstWritable(i, dst);
      return;
    }
    case OP_KIND.JA:
    case OP_KIND.JCOND_GOTO:
      if (src !== 0 || dst !== 0 || (op.kind === OP_KIND.JA && imm !== 0) || (op.kind === OP_KIND.JCOND_GOTO && off !== 0))
        fail(i, 'BPF_JA uses reserved fields');
      return;
    case OP_KIND.MAY_GOTO:
      if (src !== 0 || dst !== 0 || imm !== 0) fail(i, `invalid may_goto imm ${imm}`);
      return;
    case OP_KIND.CALL:
      if ((src !== 2 && off !== 0) || (src !== 0 && src !== 1 && src !== 2) || dst !== 0) fail(i, 'BPF_CALL uses reserved fields');
      return;
    case OP_KIND.EXIT:
      if (imm !== 0 || src !== 0 || dst !== 0 || off !== 0) fail(i, 'BPF_EXIT uses reserved fields');
      return;
    case OP_KIND.JMP_COND:
      checkReg(i, dst);
      if (op.x ? imm !== 0 : src !== 0) fail(i, 'BPF_JMP/JMP32 uses reserved fields');
      if (op.x) checkReg(i, src);
      return;
    case OP_KIND.LDX:
    case OP_KIND.LDXSX:
      checkReg(i, src);
      checkDstWritable(i, dst);
      return;
    case OP_KIND.ST:
      if (src !== 0) fail(i, 'BPF_ST uses reserved fields');
      checkReg(i, dst);
      return;
    case OP_KIND.STX:
      if (imm !== 0) fail(i, 'BPF_STX uses reserved fields');
      checkReg(i, src);
      checkReg(i, dst);
      return;
    case OP_KIND.ATOMIC: {
      const a = imm;
      const rmw = a === 0x00 || a === 0x01 || a === 0x40 || a === 0x41 || a === 0x50 || a === 0x51 || a === 0xa0 || a === 0xa1 || a === 0xe1 || a === 0xf1;
      if (!rmw && a !== 0x100 && a !== 0x110) fail(i, `BPF_ATOMIC uses invalid atomic opcode ${(a >>> 0).toString(16).padStart(2, '0')}`);
      if (rmw && op.size !== 4 && op.size !== 8) fail(i, 'invalid atomic operand size');
      checkReg(i, src);
      checkReg(i, dst);
      if (a === 0x100 && dst === 10) fail(i, 'frame pointer is read only', 'EACCES');
      return;
    }
    case OP_KIND.LD_IMM64:
      if (off !== 0) fail(i, 'invalid BPF_LD_IMM insn');
      checkDstWritable(i, dst);
      return;
    case OP_KIND.LD_ABS:
    case OP_KIND.LD_IND:
      if (dst !== 0 || off !== 0 || (op.kind === OP_KIND.LD_ABS && src !== 0)) fail(i, 'BPF_LD_[ABS|IND] uses reserved fields');
      if (op.kind === OP_KIND.LD_IND) checkReg(i, src);
      return;
    default:
      return;
  }
}
