// Models lib/crypto/sha1.c (Linux 6.18) as used by bpf_prog_calc_tag: plain
// SHA-1 (FIPS 180-4) over a byte string. Own implementation (no node:crypto),
// so the package also runs in browsers. Not for security, only for tags.

/** SHA-1 digest (20 bytes) of `data`. Big-endian word order as the standard says. */
export function sha1(data: Uint8Array): Uint8Array {
  const bitLen = data.length * 8;
  const padded = new Uint8Array((((data.length + 9) >> 6) + 1) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const pv = new DataView(padded.buffer);
  // message length in bits as a big-endian u64 at the end
  pv.setUint32(padded.length - 8, Math.floor(bitLen / 0x1_0000_0000), false);
  pv.setUint32(padded.length - 4, bitLen >>> 0, false);
  let h0 = 0x67452301, h1 = 0xefcdab89 | 0, h2 = 0x98badcfe | 0, h3 = 0x10325476, h4 = 0xc3d2e1f0 | 0;
  const w = new Int32Array(80);
  for (let blk = 0; blk < padded.length; blk += 64) {
    for (let t = 0; t < 16; t++) w[t] = pv.getInt32(blk + t * 4, false);
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number, k: number;
      if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
      else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
      else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc | 0; }
      else { f = b ^ c ^ d; k = 0xca62c1d6 | 0; }
      const tmp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) | 0;
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = tmp;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0; h4 = (h4 + e) | 0;
  }
  const out = new Uint8Array(20);
  const ov = new DataView(out.buffer);
  [h0, h1, h2, h3, h4].forEach((h, i) => ov.setInt32(i * 4, h, false));
  return out;
}
