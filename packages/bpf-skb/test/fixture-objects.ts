// Test support: the committed clang-19 fixture objects and the kernel's
// program tag (Linux 6.18 kernel/bpf/core.c bpf_prog_calc_tag: the first 8
// bytes of SHA-256 over the instructions, with the imm of map-referencing
// LD_IMM64 pairs zeroed because map fds are not stable).
import { KernelError } from '@tcbpf/base';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const PROGS_DIR = fileURLToPath(new URL('./fixtures/progs/', import.meta.url));

/** Every committed fixture object. */
export const FIXTURES = Object.freeze([
  'callbacks.o', 'core_read.o', 'fib_lookup.o', 'for_each.o', 'legacy_maps.o', 'lpm_lru.o', 'nat_rewrite.o', 'parse_classify.o', 'redirect_global.o', 'tail_call.o', 'under_cgroup.o', 'vlan.o',
] as const);

export type FixtureName = (typeof FIXTURES)[number];

export function readFixture(name: FixtureName): Uint8Array {
  return new Uint8Array(readFileSync(`${PROGS_DIR}${name}`));
}

/** The tag Linux 6.18 reports for a program with these instructions. */
export function kernelProgTag(insns: Uint8Array): string {
  const b = insns.slice();
  const dv = new DataView(b.buffer);
  let wasLdMap = false;
  for (let i = 0; i < b.length / 8; i++) {
    const code = b[i * 8]!;
    const regs = b[i * 8 + 1]!;
    if (!wasLdMap && code === 0x18 && ((regs >> 4) === 1 || (regs >> 4) === 2)) {
      wasLdMap = true;
      dv.setInt32(i * 8 + 4, 0, true);
    } else if (wasLdMap && code === 0 && regs === 0 && dv.getInt16(i * 8 + 2, true) === 0) {
      wasLdMap = false;
      dv.setInt32(i * 8 + 4, 0, true);
    } else {
      wasLdMap = false;
    }
  }
  return createHash('sha256').update(b).digest('hex').slice(0, 16);
}

/** The SHA-1 of a whole file, as tc names PIN_OBJECT_NS directories. */
export function objectSha1(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** Runs `fn`, which must throw a KernelError with this errno (and a message matching `text`); returns it. */
export function expectKernelError(fn: () => unknown, errno: string, text?: string | RegExp): KernelError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!KernelError.isInstance(caught)) throw new Error(`expected a KernelError ${errno}, got ${String(caught)}`);
  expect(caught.errno).toBe(errno);
  if (text !== undefined) expect(caught.message).toMatch(text);
  return caught;
}
