// @ts-check
/**
 * The layer table: which workspace packages each package may import directly.
 * Dependencies point down only. The rule takes the transitive closure, so a
 * package may import anything below the packages it lists.
 *
 * Order (bottom → top):
 *   uapi → base → {netlink, skb, ebpf} → {cbpf, verifier} → jit → bpf-skb → tcf → cls-bpf → offload-sim → apps
 * `tcf` (the tc core) knows nothing about BPF: it may not import ebpf, cbpf or bpf-skb.
 *
 * @type {Readonly<Record<string, readonly string[]>>}
 */
export const LAYERS = Object.freeze({
  '@tcbpf/uapi': [],
  '@tcbpf/base': ['@tcbpf/uapi'],
  '@tcbpf/netlink': ['@tcbpf/base'],
  '@tcbpf/skb': ['@tcbpf/base'],
  '@tcbpf/ebpf': ['@tcbpf/base'],
  '@tcbpf/cbpf': ['@tcbpf/ebpf', '@tcbpf/skb'],
  '@tcbpf/verifier': ['@tcbpf/ebpf'],
  '@tcbpf/jit': ['@tcbpf/ebpf', '@tcbpf/cbpf'],
  '@tcbpf/bpf-skb': ['@tcbpf/ebpf', '@tcbpf/skb', '@tcbpf/cbpf', '@tcbpf/verifier', '@tcbpf/jit'],
  '@tcbpf/tcf': ['@tcbpf/netlink', '@tcbpf/skb'],
  '@tcbpf/cls-bpf': ['@tcbpf/tcf', '@tcbpf/bpf-skb'],
  '@tcbpf/offload-sim': ['@tcbpf/cls-bpf'],
  '@tcbpf/pipeline': ['@tcbpf/offload-sim'],
  // private helpers
  '@tcbpf/testing': ['@tcbpf/base'],
  '@tcbpf/bench': ['@tcbpf/pipeline'],
  '@tcbpf/eslint-plugin-layers': [],
});

/** Packages that any package's tests (not its src/) may import. */
export const TEST_ONLY = Object.freeze(['@tcbpf/testing']);

/**
 * The set of packages `name` may import (transitive closure of LAYERS).
 * @param {string} name
 * @returns {Set<string>}
 */
export function allowedImports(name) {
  const seen = new Set();
  const stack = [...(LAYERS[name] ?? [])];
  while (stack.length > 0) {
    const next = /** @type {string} */ (stack.pop());
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(LAYERS[next] ?? []));
  }
  return seen;
}
