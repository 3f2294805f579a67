// The seeded random source of a kernel instance. The kernel's prandom is a
// Tausworthe LFSR113 generator per CPU (lib/random32.c); we use the same
// generator family with the same seeding rule (the seed is spread by an LCG and
// each state word is forced above its minimum), so streams are deterministic
// for a seed. All arithmetic is uint32 on numbers; no BigInt.

export class Prng {
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  #s4 = 0;

  constructor(seed = 0x5eed) {
    this.reseed(seed);
  }

  /** Restart the stream from `seed` (any uint32). */
  reseed(seed: number): void {
    const lcg = (x: number): number => (Math.imul(x, 69069) + 1) >>> 0;
    let x = seed >>> 0;
    x = lcg(x); this.#s1 = x < 2 ? (x + 2) >>> 0 : x;
    x = lcg(x); this.#s2 = x < 8 ? (x + 8) >>> 0 : x;
    x = lcg(x); this.#s3 = x < 16 ? (x + 16) >>> 0 : x;
    x = lcg(x); this.#s4 = x < 128 ? (x + 128) >>> 0 : x;
    // warm up, as the kernel does after seeding
    for (let i = 0; i < 10; i++) this.u32();
  }

  /** Next uniformly distributed uint32 (bpf_get_prandom_u32). */
  u32(): number {
    let b: number;
    b = (((this.#s1 << 6) ^ this.#s1) >>> 13);
    this.#s1 = (((this.#s1 & 0xfffffffe) << 18) ^ b) >>> 0;
    b = (((this.#s2 << 2) ^ this.#s2) >>> 27);
    this.#s2 = (((this.#s2 & 0xfffffff8) << 2) ^ b) >>> 0;
    b = (((this.#s3 << 13) ^ this.#s3) >>> 21);
    this.#s3 = (((this.#s3 & 0xfffffff0) << 7) ^ b) >>> 0;
    b = (((this.#s4 << 3) ^ this.#s4) >>> 12);
    this.#s4 = (((this.#s4 & 0xffffff80) << 13) ^ b) >>> 0;
    return (this.#s1 ^ this.#s2 ^ this.#s3 ^ this.#s4) >>> 0;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32 (reciprocal scaling like prandom_u32_max). */
  below(n: number): number {
    return Math.floor((this.u32() * n) / 0x1_0000_0000);
  }
}
