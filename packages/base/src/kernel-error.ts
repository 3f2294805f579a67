// The one error type of control-path refusals: an errno plus the kernel's
// message (extack text where the kernel sets one). Hot paths never throw;
// they return numbers.
import { ERRNO, type ErrnoName } from '@tcbpf/uapi';

const MARK = Symbol.for('@tcbpf/base/KernelError');

/** Options carried along with a refusal. */
export interface KernelErrorOptions {
  /** Byte offset of the offending netlink attribute in the request (NLMSGERR_ATTR_OFFS). */
  readonly attrOffset?: number;
  /** Index of the offending instruction, for program loaders and verifiers. */
  readonly insn?: number;
  /** What was being parsed or done, e.g. `TCA_BPF_OPS` or `section "tc"`. */
  readonly where?: string;
  readonly cause?: unknown;
}

/**
 * A refusal as the kernel would give it: `errno` is the positive errno name,
 * `code` its number, `extack` the extended-ack text (empty when the kernel
 * sets none). `message` combines them for humans.
 */
export class KernelError extends Error {
  readonly errno: ErrnoName;
  readonly code: number;
  readonly extack: string;
  readonly attrOffset: number | undefined;
  readonly insn: number | undefined;
  readonly where: string | undefined;

  constructor(errno: ErrnoName, extack = '', options: KernelErrorOptions = {}) {
    const parts: string[] = [errno];
    if (options.where !== undefined) parts.push(`(${options.where})`);
    super(extack === '' ? parts.join(' ') : `${parts.join(' ')}: ${extack}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KernelError';
    this.errno = errno;
    this.code = ERRNO[errno];
    this.extack = extack;
    this.attrOffset = options.attrOffset;
    this.insn = options.insn;
    this.where = options.where;
    Object.defineProperty(this, MARK, { value: true });
  }

  /** The negative errno the syscall or netlink ack would carry. */
  get negErrno(): number {
    return -this.code;
  }

  /** True for any KernelError, even one from another copy of this package. */
  static isInstance(value: unknown): value is KernelError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARK] === true;
  }
}

/** Shorthand: `throw kerr('EINVAL', 'Invalid handle')`. */
export function kerr(errno: ErrnoName, extack = '', options: KernelErrorOptions = {}): KernelError {
  return new KernelError(errno, extack, options);
}
