import { describe, expect, it } from 'vitest';
import { ERRNO, ERRNO_TEXT } from '../src/index.js';

describe('errno table', () => {
  it('has the values tc users see', () => {
    expect(ERRNO.EPERM).toBe(1);
    expect(ERRNO.ENOENT).toBe(2);
    expect(ERRNO.EINVAL).toBe(22);
    expect(ERRNO.ERANGE).toBe(34);
    expect(ERRNO.EOPNOTSUPP).toBe(95);
    expect(ERRNO.ENOBUFS).toBe(105);
    expect(ERRNO.ENOTSUPP).toBe(524);
    expect(ERRNO.E2BIG).toBe(7);
    expect(ERRNO.EACCES).toBe(13);
  });
  it('has unique numbers', () => {
    const values = Object.values(ERRNO);
    // EDEADLOCK is an alias of EDEADLK in the headers; it is not listed separately.
    expect(new Set(values).size).toBe(values.length);
  });
  it('has glibc texts for the common ones', () => {
    expect(ERRNO_TEXT.EINVAL).toBe('Invalid argument');
    expect(ERRNO_TEXT.EOPNOTSUPP).toBe('Operation not supported');
  });
});
