// Models the per-type tables of include/linux/bpf_types.h (Linux 6.18):
// a program type is a name, a context size, the helpers get_func_proto allows
// and (for socket-buffer types) the LD_ABS/LD_IND packet access.
import { BASE_HELPERS } from '../helpers/base.js';
import { HelperRegistry, type HelperDef } from '../helpers/registry.js';
import type { HelperEnv } from '../helpers/env.js';
import type { ProgTypeOps } from './program.js';

/** Options of {@link makeProgType}. */
export interface ProgTypeSpec {
  readonly type: number;
  readonly name: string;
  readonly ctxSize: number;
  /** Helpers in addition to the base ones (BASE_HELPERS unless `baseHelpers: false`). */
  readonly helpers?: readonly HelperDef[];
  readonly baseHelpers?: boolean;
  readonly ldPacket?: (env: HelperEnv, offset: number, size: number) => number;
}

/** Build frozen ProgTypeOps from a spec (base helpers + the type's own). */
export function makeProgType(spec: ProgTypeSpec): ProgTypeOps {
  const reg = new HelperRegistry();
  if (spec.baseHelpers !== false) reg.register(...BASE_HELPERS);
  reg.register(...(spec.helpers ?? []));
  const ops: ProgTypeOps = {
    type: spec.type,
    name: spec.name,
    ctxSize: spec.ctxSize,
    getHelper: (id) => reg.get(id),
    ...(spec.ldPacket ? { ldPacket: spec.ldPacket } : {}),
  };
  return Object.freeze(ops);
}
