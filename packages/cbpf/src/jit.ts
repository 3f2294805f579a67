// Compiles a checked classic program into one JavaScript function, once at
// load time — the userspace counterpart of what Linux 6.18 does with
// bpf_convert_filter + the eBPF JIT (net/core/filter.c, arch/x86/net/bpf_jit_comp.c).
// Semantics are the interpreter's (./interpreter.ts); only the form differs.
// Forward-only jumps become `break` out of labelled blocks (a block per jump
// target, all opened at the top and closed just before their target), so the
// generated code is straight-line JS that V8 optimises; very branchy programs
// (more than MAX_LABELS targets) use a `switch` dispatcher instead.
//
// Fast path: a program whose non-negative constant-offset packet loads all end
// within `need` bytes is compiled twice — a checked form (every load tests
// skb->len, as the kernel's load fast path does) and an unchecked form that
// tests `len >= need` once on entry and otherwise hands the packet to the
// checked form. When len >= need every such load is in bounds, so the per-load
// tests are redundant and both forms return the same value on every input.
import { SKF_AD } from '@tcbpf/uapi';
import { OP, SKF_AD_BASE, ancillaryOffset, isCondJump } from './opcodes.js';
import { ancillaryLoad, loadPacket } from './ancillary.js';
import type { ClassicEnv, ClassicSkb } from './context.js';
import type { SockFilter } from './sock-filter.js';

/** A compiled classic program: the u32 verdict for `skb`. Never throws. */
export type CompiledClassic = (skb: ClassicSkb, env: ClassicEnv) => number;

/** Above this many distinct jump targets the switch dispatcher is used (parser nesting depth). */
const MAX_LABELS = 400;

/**
 * Constant-offset loads ending beyond this many bytes keep their own length
 * test in the unchecked form (no sk_buff is that long: skb->len of a linear
 * 64 KiB GSO packet plus headroom stays below it), so they do not push every
 * packet onto the checked form.
 */
const FAST_PATH_LIMIT = 0x10000;

/** Helpers the generated code calls for the rare paths. */
const HELPERS = Object.freeze({ anc: ancillaryLoad, load: loadPacket });

/** Options of {@link classicToJsSource}. */
export interface ClassicJsOptions {
  /**
   * Leave out the length test of non-negative constant-offset loads ending at
   * or before this many bytes (the caller guarantees `len >= unchecked`); 0,
   * the default, tests every load.
   */
  readonly unchecked?: number;
}

/** Byte length a non-negative constant-offset packet load needs (0 when `f` is no such load). */
function constLoadEnd(f: SockFilter): number {
  const k = f.k >>> 0;
  if (k >= SKF_AD_BASE || (k | 0) < 0) return 0;
  switch (f.code) {
    case OP.LD_W_ABS: return k + 4;
    case OP.LD_H_ABS: return k + 2;
    case OP.LD_B_ABS:
    case OP.LDX_MSH: return k + 1;
    default: return 0;
  }
}

/**
 * The packet length from which every non-negative constant-offset load of
 * `prog` (ending within {@link FAST_PATH_LIMIT} bytes) is in bounds: the
 * entry test of the compiled fast path; 0 when the program has no such load.
 */
export function classicFastPathLength(prog: readonly SockFilter[]): number {
  let need = 0;
  for (const f of prog) {
    const end = constLoadEnd(f);
    if (end <= FAST_PATH_LIMIT && end > need) need = end;
  }
  return need;
}

/** Generate the JavaScript source of the function body for a checked program. */
export function classicToJsSource(prog: readonly SockFilter[], options: ClassicJsOptions = {}): string {
  const unchecked = options.unchecked ?? 0;
  const fits = (end: number): boolean => end <= unchecked;
  const n = prog.length;
  const targets = new Set<number>();
  for (let pc = 0; pc < n; pc++) {
    const f = prog[pc]!;
    if (f.code === OP.JA) targets.add(pc + 1 + f.k);
    else if (isCondJump(f.code)) {
      targets.add(pc + 1 + f.jt);
      targets.add(pc + 1 + f.jf);
    }
  }
  const useSwitch = targets.size > MAX_LABELS;
  const out: string[] = [];
  const usedMem = new Set<number>();
  for (const f of prog) if (f.code === OP.ST || f.code === OP.STX || f.code === OP.LD_MEM || f.code === OP.LDX_MEM) usedMem.add(f.k);
  out.push('const buf = skb.buf, d = skb.dataOff, len = skb.len;', 'let A = 0, X = 0, v = 0;');
  if (usedMem.size > 0) out.push(`let ${[...usedMem].sort((a, b) => a - b).map((m) => `m${m} = 0`).join(', ')};`);
  const jumpTo = (pc: number, t: number): string => {
    if (useSwitch) return `{ pc = ${t}; continue; }`;
    return t === pc + 1 ? '' : `break L${t};`;
  };
  if (useSwitch) out.push('let pc = 0;', 'for (;;) switch (pc) {');
  else {
    const sorted = [...targets].filter((t) => t > 0).sort((a, b) => b - a);
    for (const t of sorted) out.push(`L${t}: {`);
  }
  const ldBE = (size: number): string =>
    size === 4
      ? 'A = ((buf[v] << 24) | (buf[v + 1] << 16) | (buf[v + 2] << 8) | buf[v + 3]) >>> 0;'
      : size === 2
        ? 'A = (buf[v] << 8) | buf[v + 1];'
        : 'A = buf[v];';
  for (let pc = 0; pc < n; pc++) {
    if (useSwitch) out.push(`case ${pc}:`);
    else if (targets.has(pc) && pc > 0) out.push(`} // L${pc}`);
    const f = prog[pc]!;
    const k = f.k >>> 0;
    const ks = k | 0;
    let s: string;
    switch (f.code) {
      case OP.RET_K: s = `return ${k};`; break;
      case OP.RET_A: s = 'return A;'; break;
      case OP.LD_IMM: s = `A = ${k};`; break;
      case OP.LDX_IMM: s = `X = ${k};`; break;
      case OP.LD_LEN: s = 'A = len;'; break;
      case OP.LDX_LEN: s = 'X = len;'; break;
      case OP.LD_MEM: s = `A = m${k};`; break;
      case OP.LDX_MEM: s = `X = m${k};`; break;
      case OP.ST: s = `m${k} = A;`; break;
      case OP.STX: s = `m${k} = X;`; break;
      case OP.LD_W_ABS:
      case OP.LD_H_ABS:
      case OP.LD_B_ABS: {
        const size = f.code === OP.LD_W_ABS ? 4 : f.code === OP.LD_H_ABS ? 2 : 1;
        if (k >= SKF_AD_BASE) s = ancillary(ancillaryOffset(k));
        else if (ks < 0) s = `v = h.load(skb, ${ks}, ${size}); if (v < 0) return 0; A = v;`;
        else s = `${fits(ks + size) ? '' : `if (len < ${ks + size}) return 0; `}v = d + ${ks}; // big-endian\n${ldBE(size)}`;
        break;
      }
      case OP.LD_W_IND:
      case OP.LD_H_IND:
      case OP.LD_B_IND: {
        const size = f.code === OP.LD_W_IND ? 4 : f.code === OP.LD_H_IND ? 2 : 1;
        s = `v = (X + ${ks}) | 0; if (v >= 0 && v <= len - ${size}) { v += d; ${ldBE(size)} } else { v = h.load(skb, v, ${size}); if (v < 0) return 0; A = v; }`;
        break;
      }
      case OP.LDX_MSH:
        s = ks >= 0
          ? `${fits(ks + 1) ? '' : `if (len <= ${ks}) return 0; `}X = (buf[d + ${ks}] & 15) << 2;`
          : `v = h.load(skb, ${ks}, 1); if (v < 0) return 0; X = (v & 15) << 2;`;
        break;
      case OP.ADD_K: s = `A = (A + ${k}) >>> 0;`; break;
      case OP.ADD_X: s = 'A = (A + X) >>> 0;'; break;
      case OP.SUB_K: s = `A = (A - ${k}) >>> 0;`; break;
      case OP.SUB_X: s = 'A = (A - X) >>> 0;'; break;
      case OP.MUL_K: s = `A = Math.imul(A, ${ks}) >>> 0;`; break;
      case OP.MUL_X: s = 'A = Math.imul(A, X) >>> 0;'; break;
      case OP.DIV_K: s = `A = (A / ${k}) >>> 0;`; break;
      case OP.DIV_X: s = 'if (X === 0) return 0; A = (A / X) >>> 0;'; break;
      case OP.MOD_K: s = `A = A % ${k};`; break;
      case OP.MOD_X: s = 'if (X === 0) return 0; A = A % X;'; break;
      case OP.AND_K: s = `A = (A & ${ks}) >>> 0;`; break;
      case OP.AND_X: s = 'A = (A & X) >>> 0;'; break;
      case OP.OR_K: s = `A = (A | ${ks}) >>> 0;`; break;
      case OP.OR_X: s = 'A = (A | X) >>> 0;'; break;
      case OP.XOR_K: s = `A = (A ^ ${ks}) >>> 0;`; break;
      case OP.XOR_X: s = 'A = (A ^ X) >>> 0;'; break;
      case OP.LSH_K: s = `A = (A << ${k}) >>> 0;`; break;
      case OP.LSH_X: s = 'A = (A << (X & 31)) >>> 0;'; break;
      case OP.RSH_K: s = `A = A >>> ${k};`; break;
      case OP.RSH_X: s = 'A = A >>> (X & 31);'; break;
      case OP.NEG: s = 'A = -A >>> 0;'; break;
      case OP.TAX: s = 'X = A;'; break;
      case OP.TXA: s = 'A = X;'; break;
      case OP.JA: s = jumpTo(pc, pc + 1 + k); break;
      default: {
        const op = f.code & 0xf0;
        const src = (f.code & 0x08) !== 0 ? 'X' : String(k);
        const cond = op === 0x10 ? `A === ${src}` : op === 0x20 ? `A > ${src}` : op === 0x30 ? `A >= ${src}` : `(A & ${src === 'X' ? 'X' : ks}) !== 0`;
        const t = pc + 1 + f.jt;
        const e = pc + 1 + f.jf;
        if (t === e) s = jumpTo(pc, t);
        else if (!useSwitch && t === pc + 1) s = `if (!(${cond})) ${jumpTo(pc, e)}`;
        else if (!useSwitch && e === pc + 1) s = `if (${cond}) ${jumpTo(pc, t)}`;
        else s = `if (${cond}) ${jumpTo(pc, t)} else ${jumpTo(pc, e)}`;
      }
    }
    out.push(s);
  }
  if (useSwitch) out.push('default: return 0;', '}');
  return out.join('\n');
}

function ancillary(off: number): string {
  switch (off) {
    case SKF_AD.PROTOCOL: return 'A = skb.protocol & 0xffff;';
    case SKF_AD.PKTTYPE: return 'A = skb.pktType & 7;';
    case SKF_AD.IFINDEX: return 'A = skb.ifindex >>> 0;';
    case SKF_AD.MARK: return 'A = skb.mark >>> 0;';
    case SKF_AD.QUEUE: return 'A = skb.queueMapping & 0xffff;';
    case SKF_AD.HATYPE: return 'A = skb.devType & 0xffff;';
    case SKF_AD.RXHASH: return 'A = skb.hash >>> 0;';
    case SKF_AD.CPU: return 'A = env.cpu >>> 0;';
    case SKF_AD.ALU_XOR_X: return 'A = (A ^ X) >>> 0;';
    // vlan_all (see ./ancillary.ts): fields read through the present flag
    case SKF_AD.VLAN_TAG: return 'A = skb.vlanPresent ? skb.vlanTci & 0xffff : 0;';
    case SKF_AD.VLAN_TAG_PRESENT: return 'A = skb.vlanPresent && ((skb.vlanTci | skb.vlanProto) & 0xffff) !== 0 ? 1 : 0;';
    case SKF_AD.VLAN_TPID: return 'A = skb.vlanPresent ? skb.vlanProto & 0xffff : 0;';
    case SKF_AD.RANDOM: return 'A = env.prng.u32() >>> 0;';
    default: return `A = h.anc(${off}, skb, env, A, X);`;
  }
}

/** Build one function from generated source (`slow`: the checked form the fast path falls back to). */
function build(body: string, slow: CompiledClassic | undefined): CompiledClassic {
  // Generating code from a checked program is the point of this module (the
  // userspace JIT); the source contains only numbers we formatted ourselves.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('h', 'slow', `"use strict";\nreturn function cbpf_jit(skb, env) {\n${body}\n};`) as (
    h: typeof HELPERS,
    slow: CompiledClassic | undefined,
  ) => CompiledClassic;
  return factory(HELPERS, slow);
}

/**
 * Compile a program that `checkClassic` accepted into a JS function (built
 * once; running it allocates nothing). Results equal `interpret`'s on every
 * input. With `fastPath` (the default) a program with constant-offset loads
 * gets the length-specialised form described at the top of this module.
 */
export function compileClassic(prog: readonly SockFilter[], fastPath = true): CompiledClassic {
  const checked = build(classicToJsSource(prog), undefined);
  const need = fastPath ? classicFastPathLength(prog) : 0;
  if (need === 0) return checked;
  const body = classicToJsSource(prog, { unchecked: need });
  const entry = body.indexOf('\n');
  // after the first line (buf, d, len): packets shorter than `need` take the checked form
  return build(`${body.slice(0, entry)}\nif (len < ${need}) return slow(skb, env);${body.slice(entry)}`, checked);
}
