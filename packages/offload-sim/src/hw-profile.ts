// Models the offload-time capability checks a BPF-offloading NIC driver makes
// (Linux 6.18): drivers/net/netdevsim/bpf.c accepts every program it is given
// (its "hardware" never runs it); drivers/net/ethernet/netronome/nfp/bpf/
// {main.c,verifier.c,jit.c,offload.c} refuse what the NFP's BPF engine cannot
// run. tcbpf goes beyond netdevsim: the simulated device really executes the
// offloaded program, so each profile states, as data, what its engine runs.
//
// Sources of the "nfp" profile's limits (documented behaviour, not copied code):
//  - nfp/bpf/main.c nfp_bpf_setup_tc_block_cb: "only direct action with no
//    legacy actions supported" (NL_SET_ERR_MSG_MOD), chain 0 and ETH_P_ALL only.
//  - nfp/bpf/verifier.c nfp_bpf_check_helper_call: helpers map_lookup_elem,
//    map_update_elem, map_delete_elem, get_prandom_u32, perf_event_output,
//    xdp_adjust_head/xdp_adjust_tail (XDP only); other helpers are refused.
//  - nfp/bpf/offload.c nfp_bpf_map_alloc: map types ARRAY and HASH only,
//    map_flags 0; value size limited (64 bytes per entry in Netronome's
//    published limits, also listed by the Mizar project's offload notes).
//  - nfp/bpf/jit.c: BPF_MOD, signed division/modulo, sign-extending moves and
//    loads (cpu v4), atomics other than add, and division by a register are
//    not translated (division only by a constant).
//  - Netronome's published program size limit for the Agilio firmware: about
//    2800 instructions on the NIC (the firmware reports the exact figure).
// The device only offloads programs bound to it (no classic BPF: the nfp
// requires prog->aux->offload).
import { OPCODES, OP_KIND, disasmKernelInsn, type BpfMap, type Insn } from '@tcbpf/ebpf';
import { BPF_FUNC_NAMES, BPF_MAP_TYPE } from '@tcbpf/uapi';

/** What a simulated device's BPF engine can run, checked when a filter is offloaded. */
export interface HwProfile {
  /** Profile name, as it appears in refusal messages. */
  readonly name: string;
  /** Where the limits come from. */
  readonly source: string;
  /** Largest program (instructions) the engine holds. */
  readonly maxInsns: number;
  /** Instruction mnemonics (OPCODES[code].name, e.g. "mod", "div32") the engine does not run. */
  readonly deniedOps: readonly string[];
  /** Division/modulo only by an immediate (BPF_K) operand. */
  readonly divByConstantOnly: boolean;
  /** cpu v4 signed division/modulo (off 1) and sign-extending moves (off 8/16/32) run. */
  readonly signedV4: boolean;
  /** Helper ids the engine implements; null = every helper the program type offers. */
  readonly helpers: readonly number[] | null;
  /** Map types the device can hold; null = any. */
  readonly mapTypes: readonly number[] | null;
  /** Largest map value (bytes); 0 = no limit. */
  readonly maxValueSize: number;
  /** Only direct-action filters without actions (nfp). */
  readonly directActionOnly: boolean;
  /** Action kinds the hardware executes for filters that are not direct-action. */
  readonly actions: readonly string[];
  /** Classic BPF (cls_bpf bytecode) can be offloaded. */
  readonly classic: boolean;
}

/**
 * The built-in profiles. `netdevsim` is what netdevsim accepts (everything,
 * since its hardware never runs the program) restricted to what the simulated
 * engine executes (gact verdicts for non-direct-action filters); `nfp`
 * imitates a Netronome Agilio SmartNIC's documented limits (sources above).
 */
export const HW_PROFILES = Object.freeze({
  netdevsim: Object.freeze({
    name: 'netdevsim',
    source: 'drivers/net/netdevsim/bpf.c (Linux 6.18): no program checks',
    maxInsns: 1_000_000,
    deniedOps: Object.freeze([] as string[]),
    divByConstantOnly: false,
    signedV4: true,
    helpers: null,
    mapTypes: null,
    maxValueSize: 0,
    directActionOnly: false,
    actions: Object.freeze(['gact']),
    classic: true,
  }),
  nfp: Object.freeze({
    name: 'nfp',
    source: 'drivers/net/ethernet/netronome/nfp/bpf (Linux 6.18) and Netronome Agilio eBPF offload limits',
    maxInsns: 2800,
    deniedOps: Object.freeze(['mod', 'mod32', 'ldxsb', 'ldxsh', 'ldxsw']),
    divByConstantOnly: true,
    signedV4: false,
    helpers: Object.freeze([1, 2, 3, 7, 25]),
    mapTypes: Object.freeze([BPF_MAP_TYPE.ARRAY, BPF_MAP_TYPE.HASH]),
    maxValueSize: 64,
    directActionOnly: true,
    actions: Object.freeze([] as string[]),
    classic: false,
  }),
} as const satisfies Record<string, HwProfile>);

/** Name of a built-in profile. */
export type HwProfileName = keyof typeof HW_PROFILES;

/** The refusal text for instruction `i`: index, mnemonic and the verifier-log form. */
function insnText(insns: readonly Insn[], i: number): string {
  const ins = insns[i]!;
  const op = OPCODES[ins.code];
  let name = op?.name ?? `op 0x${ins.code.toString(16)}`;
  if (op !== undefined && (op.kind === OP_KIND.ALU || op.kind === OP_KIND.MOV) && ins.off !== 0) name = op.op === 0xb0 ? `movsx${ins.off}${op.is64 ? '' : '32'}` : `s${name}`;
  return `instruction ${i} (${name}: ${disasmKernelInsn(ins, insns[i + 1], { opcodePrefix: false })})`;
}

/**
 * Check an eBPF program against a profile. Returns null when the engine runs
 * it, otherwise the refusal message naming the first unsupported instruction
 * (index + mnemonic), helper or map.
 */
export function hwProfileCheckProgram(profile: HwProfile, insns: readonly Insn[], maps: readonly BpfMap[]): string | null {
  if (insns.length > profile.maxInsns) return `${profile.name}: program of ${insns.length} instructions exceeds the device limit of ${profile.maxInsns}`;
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    const op = OPCODES[ins.code];
    if (op === undefined) return `${profile.name}: unsupported ${insnText(insns, i)}`;
    if (op.kind === OP_KIND.LD_IMM64) {
      i++;
      continue;
    }
    if (profile.deniedOps.includes(op.name)) return `${profile.name}: unsupported ${insnText(insns, i)}`;
    if (!profile.signedV4 && (op.kind === OP_KIND.ALU || op.kind === OP_KIND.MOV) && ins.off !== 0 && (op.op === 0x30 || op.op === 0x90 || op.op === 0xb0))
      return `${profile.name}: unsupported ${insnText(insns, i)}`;
    if (profile.divByConstantOnly && op.kind === OP_KIND.ALU && (op.op === 0x30 || op.op === 0x90) && op.x)
      return `${profile.name}: unsupported ${insnText(insns, i)}: division by a register`;
    if (op.kind === OP_KIND.ATOMIC && profile.deniedOps.length > 0 && ins.imm !== 0)
      return `${profile.name}: unsupported ${insnText(insns, i)}: only atomic add`;
    if (op.kind === OP_KIND.CALL && ins.src === 0 && profile.helpers !== null && !profile.helpers.includes(ins.imm))
      return `${profile.name}: unsupported helper bpf_${BPF_FUNC_NAMES[ins.imm] ?? 'unknown'}#${ins.imm} at instruction ${i}`;
  }
  for (const m of maps) {
    const r = hwProfileCheckMap(profile, m.type, m.valueSize, m.flags);
    if (r !== null) return r;
  }
  return null;
}

/** Check a map's shape against a profile (null when the device can hold it). */
export function hwProfileCheckMap(profile: HwProfile, type: number, valueSize: number, flags: number): string | null {
  if (profile.mapTypes !== null && !profile.mapTypes.includes(type)) return `${profile.name}: unsupported map type ${type}`;
  if (profile.maxValueSize && valueSize > profile.maxValueSize) return `${profile.name}: map value size ${valueSize} exceeds ${profile.maxValueSize}`;
  if (profile.mapTypes !== null && flags !== 0) return `${profile.name}: unsupported map flags 0x${flags.toString(16)}`;
  return null;
}
