// An assembler for the syntax of the kernel's bpf_asm (tools/bpf/bpf_exp.l and
// bpf_exp.y, Linux 6.18): `label:` prefixes, `;` and `/* */` comments (and
// cpp `#` lines), numbers in decimal, 0x hex, 0 octal and 0b binary with an
// optional minus sign, the addressing modes `#k`, `[k]`, `[x + k]`, `M[k]`,
// `4*([k]&0xf)`, `x`/`%x`, `a`/`%a`, jumps to labels (`jeq #k, Lt, Lf`,
// `jeq #k, Lt`, `jne`/`jneq`, `jlt`, `jle`, `jmp`/`ja`), and the extension
// names (len proto type ifidx nla nlan mark queue hatype rxhash cpu vlan_tci
// vlan_avail vlan_tpid poff rand, with or without `#`). One instruction per
// line. Output is the instruction array; {@link formatBytecode} gives
// bpf_asm's `N,c t f k,...,` text. Errors are KernelError(EINVAL) naming the line.
import { KernelError } from '@tcbpf/base';
import { CBPF_LIMITS, SKF_AD } from '@tcbpf/uapi';
import { OP, ancK } from './opcodes.js';
import { type SockFilter, insn } from './sock-filter.js';

const EXT: Readonly<Record<string, number>> = Object.freeze({
  proto: SKF_AD.PROTOCOL, type: SKF_AD.PKTTYPE, ifidx: SKF_AD.IFINDEX, nla: SKF_AD.NLATTR, nlan: SKF_AD.NLATTR_NEST,
  mark: SKF_AD.MARK, queue: SKF_AD.QUEUE, hatype: SKF_AD.HATYPE, rxhash: SKF_AD.RXHASH, cpu: SKF_AD.CPU,
  vlan_tci: SKF_AD.VLAN_TAG, vlan_avail: SKF_AD.VLAN_TAG_PRESENT, vlan_tpid: SKF_AD.VLAN_TPID, poff: SKF_AD.PAY_OFFSET,
  rand: SKF_AD.RANDOM,
});

const ALU: Readonly<Record<string, readonly [number, number]>> = Object.freeze({
  add: [OP.ADD_K, OP.ADD_X], sub: [OP.SUB_K, OP.SUB_X], mul: [OP.MUL_K, OP.MUL_X], div: [OP.DIV_K, OP.DIV_X],
  mod: [OP.MOD_K, OP.MOD_X], and: [OP.AND_K, OP.AND_X], or: [OP.OR_K, OP.OR_X], xor: [OP.XOR_K, OP.XOR_X],
  lsh: [OP.LSH_K, OP.LSH_X], rsh: [OP.RSH_K, OP.RSH_X],
});

/** Conditional jumps: [K code, X code, swap targets (jne/jlt/jle)]. */
const JMP: Readonly<Record<string, readonly [number, number, boolean]>> = Object.freeze({
  jeq: [OP.JEQ_K, OP.JEQ_X, false], jneq: [OP.JEQ_K, OP.JEQ_X, true], jne: [OP.JEQ_K, OP.JEQ_X, true],
  jlt: [OP.JGE_K, OP.JGE_X, true], jle: [OP.JGT_K, OP.JGT_X, true], jgt: [OP.JGT_K, OP.JGT_X, false],
  jge: [OP.JGE_K, OP.JGE_X, false], jset: [OP.JSET_K, OP.JSET_X, false],
});

const NUM = '-?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)';

function num(s: string, line: number): number {
  let neg = false;
  let t = s;
  if (t.startsWith('-')) {
    neg = true;
    t = t.slice(1);
  }
  let v: number;
  if (/^0[xX]/.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^0[bB]/.test(t)) v = parseInt(t.slice(2), 2);
  else if (t.length > 1 && t.startsWith('0')) v = parseInt(t.slice(1), 8);
  else v = Number(t);
  if (!Number.isFinite(v) || v > 0xffffffff) throw new KernelError('EINVAL', `line ${line}: number ${s} does not fit in 32 bits`, { where: 'bpf_asm' });
  return (neg ? -v : v) >>> 0;
}

interface Pending {
  code: number;
  k: number;
  jt?: string;
  jf?: string;
  ja?: string;
  line: number;
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '));
}

/** Assemble bpf_asm source into instructions. */
export function assemble(source: string): SockFilter[] {
  const lines = stripComments(source).split('\n');
  const labels = new Map<string, number>();
  const items: Pending[] = [];
  const re = (body: string): RegExp => new RegExp(`^${body}$`);
  const numRe = new RegExp(`^#?(${NUM})$`);
  for (let li = 0; li < lines.length; li++) {
    const lineNo = li + 1;
    let text = lines[li]!;
    if (/^\s*#/.test(text)) continue; // cpp line markers
    const semi = text.indexOf(';');
    if (semi >= 0) text = text.slice(0, semi);
    text = text.trim();
    const bad = (why: string): KernelError => new KernelError('EINVAL', `line ${lineNo}: ${why}`, { where: 'bpf_asm' });
    const lab = /^([A-Za-z_.][\w.]*)\s*:\s*(.*)$/.exec(text);
    if (lab) {
      if (labels.has(lab[1]!)) throw bad(`label ${lab[1]} defined twice`);
      labels.set(lab[1]!, items.length);
      text = lab[2]!;
    }
    if (text === '') continue;
    const sp = /^(\S+)\s*(.*)$/.exec(text)!;
    const mn = sp[1]!.toLowerCase();
    const ops = sp[2]!.replace(/\s+/g, '');
    const emit = (code: number, k: number, extra: Partial<Pending> = {}): void => {
      if (items.length >= CBPF_LIMITS.MAXINSNS) throw bad('Exceeded maximal number of instructions!');
      items.push({ code, k, line: lineNo, ...extra });
    };
    let m: RegExpExecArray | null;
    if (mn === 'ld' || mn === 'ldh' || mn === 'ldb') {
      const sz = mn === 'ld' ? 0 : mn === 'ldh' ? 1 : 2;
      const abs = [OP.LD_W_ABS, OP.LD_H_ABS, OP.LD_B_ABS][sz]!;
      const ind = [OP.LD_W_IND, OP.LD_H_IND, OP.LD_B_IND][sz]!;
      const ext = /^#?([a-z_]+)$/.exec(ops);
      if (ext && ext[1] === 'len' && sz === 0) emit(OP.LD_LEN, 0);
      else if (ext && Object.hasOwn(EXT, ext[1]!)) emit(abs, ancK(EXT[ext[1]!]!));
      else if (sz === 0 && (m = re(`#(${NUM})`).exec(ops))) emit(OP.LD_IMM, num(m[1]!, lineNo));
      else if (sz === 0 && (m = re(`M\\[(${NUM})\\]`).exec(ops))) emit(OP.LD_MEM, num(m[1]!, lineNo));
      else if ((m = re(`\\[%?x\\+(${NUM})\\]`).exec(ops))) emit(ind, num(m[1]!, lineNo));
      else if ((m = re(`\\[(${NUM})\\]`).exec(ops))) emit(abs, num(m[1]!, lineNo));
      else throw bad(`cannot parse operand "${ops}" of ${mn}`);
    } else if (mn === 'ldi' || mn === 'ldxi') {
      if (!(m = numRe.exec(ops))) throw bad(`cannot parse operand "${ops}" of ${mn}`);
      emit(mn === 'ldi' ? OP.LD_IMM : OP.LDX_IMM, num(m[1]!, lineNo));
    } else if (mn === 'ldx' || mn === 'ldxb') {
      if ((m = re(`(${NUM})\\*\\(\\[(${NUM})\\]&(${NUM})\\)`).exec(ops))) {
        if (num(m[1]!, lineNo) !== 4 || num(m[3]!, lineNo) !== 0xf) throw bad('ldxb offset not supported!');
        emit(OP.LDX_MSH, num(m[2]!, lineNo));
      } else if (mn === 'ldx' && /^#?len$/.test(ops)) emit(OP.LDX_LEN, 0);
      else if (mn === 'ldx' && (m = re(`#(${NUM})`).exec(ops))) emit(OP.LDX_IMM, num(m[1]!, lineNo));
      else if (mn === 'ldx' && (m = re(`M\\[(${NUM})\\]`).exec(ops))) emit(OP.LDX_MEM, num(m[1]!, lineNo));
      else throw bad(`cannot parse operand "${ops}" of ${mn}`);
    } else if (mn === 'st' || mn === 'stx') {
      if (!(m = re(`M\\[(${NUM})\\]`).exec(ops))) throw bad(`cannot parse operand "${ops}" of ${mn}`);
      emit(mn === 'st' ? OP.ST : OP.STX, num(m[1]!, lineNo));
    } else if (Object.hasOwn(ALU, mn)) {
      const [kc, xc] = ALU[mn]!;
      if (/^%?x$/.test(ops)) emit(xc, 0);
      else if ((m = re(`#(${NUM})`).exec(ops))) emit(kc, num(m[1]!, lineNo));
      else throw bad(`cannot parse operand "${ops}" of ${mn}`);
    } else if (mn === 'neg' || mn === 'tax' || mn === 'txa') {
      if (ops !== '') throw bad(`${mn} takes no operand`);
      emit(mn === 'neg' ? OP.NEG : mn === 'tax' ? OP.TAX : OP.TXA, 0);
    } else if (mn === 'ret') {
      if (/^%?a$/.test(ops)) emit(OP.RET_A, 0);
      else if (/^%?x$/.test(ops)) emit(0x0e, 0); // BPF_RET|BPF_X: assembles, the kernel refuses it
      else if ((m = re(`#(${NUM})`).exec(ops))) emit(OP.RET_K, num(m[1]!, lineNo));
      else throw bad(`cannot parse operand "${ops}" of ret`);
    } else if (mn === 'jmp' || mn === 'ja') {
      if (!/^[A-Za-z_.][\w.]*$/.test(ops)) throw bad(`${mn} needs a label`);
      emit(OP.JA, 0, { ja: ops });
    } else if (Object.hasOwn(JMP, mn)) {
      const [kc, xc, swap] = JMP[mn]!;
      const parts = ops.split(',');
      const src = parts[0] ?? '';
      let code: number;
      let k = 0;
      if (/^%?x$/.test(src)) code = xc;
      else if ((m = re(`#(${NUM})`).exec(src))) {
        code = kc;
        k = num(m[1]!, lineNo);
      } else throw bad(`cannot parse operand "${src}" of ${mn}`);
      const lt = parts[1];
      const lf = parts[2];
      if (lt === undefined || lt === '' || parts.length > 3 || (swap && lf !== undefined)) throw bad(`bad jump targets "${ops}"`);
      if (swap) emit(code, k, { jf: lt });
      else emit(code, k, lf === undefined ? { jt: lt } : { jt: lt, jf: lf });
    } else {
      throw bad(`unknown mnemonic ${sp[1]}`);
    }
  }
  return items.map((it, pc) => {
    const off = (name: string | undefined): number => {
      if (name === undefined) return 0;
      const t = labels.get(name);
      if (t === undefined) throw new KernelError('EINVAL', `line ${it.line}: No such label ${name}!`, { where: 'bpf_asm' });
      const d = t - pc - 1;
      if (d < 0) throw new KernelError('EINVAL', `line ${it.line}: label ${name} is behind the jump (jumps go forward only)`, { where: 'bpf_asm' });
      return d;
    };
    if (it.ja !== undefined) return insn(it.code, 0, 0, off(it.ja));
    const jt = off(it.jt);
    const jf = off(it.jf);
    if (jt > 255 || jf > 255) throw new KernelError('EINVAL', `line ${it.line}: jump offset ${Math.max(jt, jf)} does not fit in 8 bits`, { where: 'bpf_asm' });
    return insn(it.code, jt, jf, it.k);
  });
}
