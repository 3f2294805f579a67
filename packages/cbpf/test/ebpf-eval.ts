// A small, deliberately plain eBPF evaluator (BigInt registers; test code only)
// for the instruction subset bpf_convert_filter emits, with the tcbpf context
// layout (CLASSIC_CTX / CLASSIC_DEV) and the internal calls (CLASSIC_CALL)
// bound to this package's helpers. It checks that converted programs compute
// what the classic programs compute.
import {
  CLASSIC_CALL, CLASSIC_CTX, CLASSIC_DEV, type BpfInsn, type ClassicEnv, type ClassicSkb, loadPacket, skbGetNlattr, skbGetNlattrNest, skbGetPoff,
} from '../src/index.js';

const CTX_BASE = 0x1000_0000n;
const DEV_BASE = 0x2000_0000n;
const PKT_BASE = 0x3000_0000n;
const STK_BASE = 0x4000_0000n;
const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
const sx32 = (v: number): bigint => BigInt.asUintN(64, BigInt(v | 0));
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

export function runConverted(insns: readonly BpfInsn[], skb: ClassicSkb, env: ClassicEnv): number {
  const ctx = new Uint8Array(CLASSIC_CTX.SIZE);
  const cdv = new DataView(ctx.buffer);
  cdv.setBigUint64(CLASSIC_CTX.DATA, PKT_BASE + BigInt(skb.dataOff), true);
  cdv.setUint32(CLASSIC_CTX.LEN, skb.len, true);
  cdv.setUint32(CLASSIC_CTX.DATA_LEN, 0, true);
  cdv.setUint16(CLASSIC_CTX.PROTOCOL, skb.protocol, false); // network order in the sk_buff
  cdv.setUint16(CLASSIC_CTX.VLAN_PROTO, skb.vlanPresent ? skb.vlanProto : 0, false);
  cdv.setUint16(CLASSIC_CTX.VLAN_TCI, skb.vlanPresent ? skb.vlanTci : 0, true);
  cdv.setUint8(CLASSIC_CTX.PKT_TYPE, skb.pktType & 7);
  cdv.setUint32(CLASSIC_CTX.MARK, skb.mark >>> 0, true);
  cdv.setUint16(CLASSIC_CTX.QUEUE_MAPPING, skb.queueMapping, true);
  cdv.setUint32(CLASSIC_CTX.HASH, skb.hash >>> 0, true);
  cdv.setBigUint64(CLASSIC_CTX.DEV, DEV_BASE, true);
  const dev = new Uint8Array(CLASSIC_DEV.SIZE);
  new DataView(dev.buffer).setUint32(CLASSIC_DEV.IFINDEX, skb.ifindex, true);
  new DataView(dev.buffer).setUint16(CLASSIC_DEV.TYPE, skb.devType, true);
  const stack = new Uint8Array(512);
  const regions: [bigint, Uint8Array][] = [[CTX_BASE, ctx], [DEV_BASE, dev], [PKT_BASE, skb.buf], [STK_BASE, stack]];
  const mem = (addr: bigint, size: number): [Uint8Array, number] => {
    for (const [base, b] of regions) {
      if (addr >= base && addr + BigInt(size) <= base + BigInt(b.length)) return [b, Number(addr - base)];
    }
    throw new Error(`converted program accessed 0x${addr.toString(16)} (+${size})`);
  };
  const r = Array.from({ length: 11 }, () => 0n);
  r[1] = CTX_BASE;
  r[10] = STK_BASE + 512n;
  let pc = 0;
  for (let steps = 0; steps < 1_000_000; steps++) {
    const x = insns[pc];
    if (x === undefined) throw new Error(`fell off the converted program at ${pc}`);
    pc++;
    const cls = x.code & 7;
    const op = x.code & 0xf0;
    const useX = (x.code & 8) !== 0;
    if (cls === 0x04 || cls === 0x07) {
      const is64 = cls === 0x07;
      const mask = is64 ? M64 : M32;
      let dst = r[x.dst]! & mask;
      const src = useX ? r[x.src]! & mask : is64 ? sx32(x.imm) : BigInt(x.imm >>> 0);
      const sh = is64 ? 63n : 31n;
      switch (op) {
        case 0x00: dst = dst + src; break;
        case 0x10: dst = dst - src; break;
        case 0x20: dst = dst * src; break;
        case 0x30: dst = src === 0n ? 0n : dst / src; break;
        case 0x40: dst = dst | src; break;
        case 0x50: dst = dst & src; break;
        case 0x60: dst = dst << (src & sh); break;
        case 0x70: dst = dst >> (src & sh); break;
        case 0x80: dst = -dst; break;
        case 0x90: dst = src === 0n ? dst : dst % src; break;
        case 0xa0: dst = dst ^ src; break;
        case 0xb0: dst = src; break;
        case 0xd0: {
          // TO_BE on a little-endian machine: byte swap of the low imm bits
          const bits = x.imm;
          let v = 0n;
          for (let b = 0; b < bits / 8; b++) v = (v << 8n) | ((dst >> BigInt(8 * b)) & 0xffn);
          dst = v;
          r[x.dst] = dst;
          continue;
        }
        default: throw new Error(`unsupported ALU op 0x${x.code.toString(16)}`);
      }
      r[x.dst] = dst & mask;
    } else if (cls === 0x01) {
      const size = [4, 2, 1, 8][(x.code >> 3) & 3]!;
      const [b, o] = mem((r[x.src]! + BigInt(x.off)) & M64, size);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      r[x.dst] = size === 8 ? dv.getBigUint64(o, true) : BigInt(size === 4 ? dv.getUint32(o, true) : size === 2 ? dv.getUint16(o, true) : dv.getUint8(o));
    } else if (cls === 0x03) {
      const [b, o] = mem((r[x.dst]! + BigInt(x.off)) & M64, 4);
      new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(o, Number(r[x.src]! & M32), true);
    } else if (cls === 0x05) {
      if (op === 0x90) return Number(r[0]! & M32);
      if (op === 0x80) {
        const a2 = Number(r[2]! & M32), a3 = Number(r[3]! & M32);
        let v: bigint;
        switch (x.imm) {
          case CLASSIC_CALL.SKB_LOAD_HELPER_8:
          case CLASSIC_CALL.SKB_LOAD_HELPER_16:
          case CLASSIC_CALL.SKB_LOAD_HELPER_32: {
            const size = x.imm === CLASSIC_CALL.SKB_LOAD_HELPER_8 ? 1 : x.imm === CLASSIC_CALL.SKB_LOAD_HELPER_16 ? 2 : 4;
            const got = loadPacket(skb, Number(BigInt.asIntN(32, r[4]!)), size);
            v = got < 0 ? BigInt.asUintN(64, -14n) : BigInt(got);
            break;
          }
          case CLASSIC_CALL.SKB_GET_PAY_OFFSET: v = BigInt(skbGetPoff(skb)); break;
          case CLASSIC_CALL.SKB_GET_NLATTR: v = BigInt(skbGetNlattr(skb, a2, a3)); break;
          case CLASSIC_CALL.SKB_GET_NLATTR_NEST: v = BigInt(skbGetNlattrNest(skb, a2, a3)); break;
          case CLASSIC_CALL.GET_RAW_CPU_ID: v = BigInt(env.cpu); break;
          case CLASSIC_CALL.USER_RND_U32: v = BigInt(env.prng.u32() >>> 0); break;
          default: throw new Error(`unknown call ${x.imm}`);
        }
        r[0] = v;
        for (const n of [1, 2, 3, 4, 5]) r[n] = 0xdeadbeefn; // caller-saved registers are clobbered
        continue;
      }
      const dst = r[x.dst]!;
      const src = useX ? r[x.src]! : sx32(x.imm);
      let take: boolean;
      switch (op) {
        case 0x00: take = true; break;
        case 0x10: take = dst === src; break;
        case 0x20: take = dst > src; break;
        case 0x30: take = dst >= src; break;
        case 0x40: take = (dst & src) !== 0n; break;
        case 0x50: take = dst !== src; break;
        case 0x70: take = s64(dst) >= s64(src); break;
        case 0xa0: take = dst < src; break;
        case 0xb0: take = dst <= src; break;
        case 0xc0: take = s64(dst) < s64(src); break;
        default: throw new Error(`unsupported JMP op 0x${x.code.toString(16)}`);
      }
      if (take) pc += x.off;
    } else {
      throw new Error(`unsupported class in 0x${x.code.toString(16)}`);
    }
  }
  throw new Error('converted program did not terminate');
}
