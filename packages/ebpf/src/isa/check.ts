// Models the structural part of kernel/bpf/verifier.c (Linux 6.18):
// resolve_pseudo_ldimm64 (opcode table, LD_IMM64 shape), check_subprogs (jump
// ranges, subprogram ends, call targets), check_cfg (jumps into LD_IMM64,
// unreachable instructions) and the reserved-field checks of do_check
// (check_alu_op, check_cond_jmp_op, check_mem_access/atomic, LD_ABS/IND).
// Messages are the kernel's verbatim; every refusal is EINVAL. The full
// verifier (register types, bounds, paths) is issue 8 and plugs in after this.
import { KernelError } from '@tcbpf/base';
import type { Insn } from './insn.js';
import { OPCODES, OP_KIND } from './opcodes.js';

/** What the structural pass learned about a program. */
export interface ProgramShape {
  /** Start instruction of every subprogram, ascending, first = 0. */
  readonly subprogs: readonly number[];
}

const MAX_REG = 11;

function fail(insnIdx: number, msg: string): never {
  throw new KernelError('EINVAL', msg, { insn: insnIdx, where: `insn ${insnIdx}` });
}

function hex2(v: number): string {
  return (v & 0xff).toString(16).padStart(2, '0');
}

/**
 * Check the structure of a program as the kernel does before walking paths.
 * Throws KernelError(EINVAL) with the kernel's message on the first problem.
 */
export function checkStructure(insns: readonly Insn[]): ProgramShape {
  const n = insns.length;
  if (n === 0) throw new KernelError('EINVAL', 'empty program');
  if (n > 1_000_000) throw new KernelError('E2BIG', `program of ${n} insns is too large`);

  // phase 1: opcode table and LD_IMM64 pairs (resolve_pseudo_ldimm64)
  const isSecondHalf = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    const op = OPCODES[ins.code];
    if (op === undefined) fail(i, `unknown opcode ${hex2(ins.code)}`);
    if (op.kind === OP_KIND.LD_IMM64) {
      const nx = insns[i + 1];
      if (i === n - 1 || nx === undefined || nx.code !== 0 || nx.dst !== 0 || nx.src !== 0 || nx.off !== 0)
        fail(i, 'invalid bpf_ld_imm64 insn');
      if (ins.src > 6 || ins.src === 3 || (ins.src === 4 && nx.imm !== 0)) {
        if (ins.src === 4) fail(i, 'invalid bpf_ld_imm64 insn');
        fail(i, 'unrecognized bpf_ld_imm64 insn');
      }
      isSecondHalf[i + 1] = 1;
      i++;
    }
  }

  // phase 2: subprograms, jump ranges, subprogram ends (check_subprogs)
  const subprogSet = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    if (isSecondHalf[i]) continue;
    if (ins.code === 0x85 && ins.src === 1) {
      const t = i + 1 + ins.imm;
      if (t < 0 || t >= n) fail(i, 'call to invalid destination');
      subprogSet.add(t);
    }
    if (ins.code === 0x18 && ins.src === 4) {
      const t = i + 1 + ins.imm;
      if (t < 0 || t >= n) fail(i, 'call to invalid destination');
      subprogSet.add(t);
    }
  }
  const subprogs = [...subprogSet].sort((a, b) => a - b);
  for (let s = 0; s < subprogs.length; s++) {
    const start = subprogs[s]!;
    const end = s + 1 < subprogs.length ? subprogs[s + 1]! : n;
    for (let i = start; i < end; i++) {
      const ins = insns[i]!;
      if (isSecondHalf[i]) continue;
      const op = OPCODES[ins.code]!;
      if (op.kind === OP_KIND.JA || op.kind === OP_KIND.JCOND_GOTO || op.kind === OP_KIND.JMP_COND || op.kind === OP_KIND.MAY_GOTO) {
        const t = i + 1 + (op.kind === OP_KIND.JCOND_GOTO ? ins.imm : ins.off);
        if (t < start || t >= end) fail(i, `jump out of range from insn ${i} to ${t}`);
      }
    }
    const last = insns[end - 1]!;
    if (last.code !== 0x95 && last.code !== 0x05 && last.code !== 0x06) fail(end - 1, 'last insn is not an exit or jmp');
  }

  // phase 3: control-flow graph (check_cfg): jumps into LD_IMM64, reachability
  const seen = new Uint8Array(n);
  const stack: number[] = [...subprogs];
  const visit = (from: number, t: number): void => {
    if (isSecondHalf[t]) fail(from, `jump into the middle of ldimm64 insn ${t - 1}`);
    if (!seen[t]) stack.push(t);
  };
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen[i]) continue;
    seen[i] = 1;
    const ins = insns[i]!;
    const op = OPCODES[ins.code]!;
    switch (op.kind) {
      case OP_KIND.EXIT:
        break;
      case OP_KIND.JA:
        visit(i, i + 1 + ins.off);
        break;
      case OP_KIND.JCOND_GOTO:
        visit(i, i + 1 + ins.imm);
        break;
      case OP_KIND.JMP_COND:
      case OP_KIND.MAY_GOTO:
        visit(i, i + 1 + ins.off);
        visit(i, i + 1);
        break;
      case OP_KIND.LD_IMM64:
        seen[i + 1] = 1;
        if (i + 2 < n) visit(i, i + 2);
        break;
      default:
        if (i + 1 < n) visit(i, i + 1);
    }
  }
  for (let i = 0; i < n; i++) if (!seen[i]) fail(i, `unreachable insn ${i}`);

  // phase 4: reserved fields and operands (do_check)
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
  if (r === 10) fail(i, 'frame pointer is read only');
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
      checkDstWritable(i, dst);
      if (!op.x && signedOk && imm === 0) fail(i, 'div by zero');
      if (!op.x && (op.op === 0x60 || op.op === 0x70 || op.op === 0xc0)) {
        const size = op.is64 ? 64 : 32;
        if (imm < 0 || imm >= size) fail(i, `invalid shift ${imm}`);
      }
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
      if (src === 2) fail(i, `kernel btf_id ${imm} is not a function`);
      return;
    case OP_KIND.EXIT:
      if (imm !== 0 || src !== 0 || dst !== 0 || off !== 0) fail(i, 'BPF_EXIT uses reserved fields');
      return;
    case OP_KIND.JMP_COND:
      if (op.x ? imm !== 0 : src !== 0) fail(i, 'BPF_JMP/JMP32 uses reserved fields');
      checkReg(i, dst);
      if (op.x) checkReg(i, src);
      return;
    case OP_KIND.LDX:
    case OP_KIND.LDXSX:
      if (imm !== 0) fail(i, 'BPF_LDX uses reserved fields');
      checkReg(i, src);
      checkDstWritable(i, dst);
      return;
    case OP_KIND.ST:
      if (src !== 0) fail(i, 'BPF_ST uses reserved fields');
      checkReg(i, dst);
      return;
    case OP_KIND.STX:
      if (imm !== 0) fail(i, 'BPF_STX uses reserved fields');
      checkReg(i, dst);
      checkReg(i, src);
      return;
    case OP_KIND.ATOMIC: {
      const a = imm;
      const rmw = a === 0x00 || a === 0x01 || a === 0x40 || a === 0x41 || a === 0x50 || a === 0x51 || a === 0xa0 || a === 0xa1 || a === 0xe1 || a === 0xf1;
      if (!rmw && a !== 0x100 && a !== 0x110) fail(i, `BPF_ATOMIC uses invalid atomic opcode ${hex2(a)}`);
      if (rmw && op.size !== 4 && op.size !== 8) fail(i, 'invalid atomic operand size');
      checkReg(i, dst);
      checkReg(i, src);
      if (a === 0x100 && dst === 10) fail(i, 'frame pointer is read only');
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
