// The packages of the tcbpf stack, in layer order, with their versions and the
// kernel sources they model.
import { createRequire } from 'node:module';
import { MODELS as bpfSkb } from '@tcbpf/bpf-skb';
import { MODELS as cbpf } from '@tcbpf/cbpf';
import { MODELS as clsBpf } from '@tcbpf/cls-bpf';
import { MODELS as ebpf } from '@tcbpf/ebpf';
import { MODELS as netlink } from '@tcbpf/netlink';
import { MODELS as offloadSim } from '@tcbpf/offload-sim';
import { MODELS as skb } from '@tcbpf/skb';
import { MODELS as tcf } from '@tcbpf/tcf';
import { MODELS as jit } from '@tcbpf/jit';
import { MODELS as verifier } from '@tcbpf/verifier';

const require = createRequire(import.meta.url);

export interface StackPackage {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly models: readonly string[];
}

const LAYER_ORDER: readonly [string, readonly string[]][] = [
  ['@tcbpf/uapi', ['include/uapi/linux/*']],
  ['@tcbpf/base', []],
  ['@tcbpf/netlink', netlink],
  ['@tcbpf/skb', skb],
  ['@tcbpf/ebpf', ebpf],
  ['@tcbpf/cbpf', cbpf],
  ['@tcbpf/verifier', verifier],
  ['@tcbpf/jit', jit],
  ['@tcbpf/bpf-skb', bpfSkb],
  ['@tcbpf/tcf', tcf],
  ['@tcbpf/cls-bpf', clsBpf],
  ['@tcbpf/offload-sim', offloadSim],
];

/** Every package of the stack, bottom layer first. */
export function stackPackages(): StackPackage[] {
  return LAYER_ORDER.map(([name, models]) => {
    const pj = require(`${name}/package.json`) as { version: string; description: string };
    return { name, version: pj.version, description: pj.description, models };
  });
}
