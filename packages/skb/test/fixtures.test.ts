// The committed captures in test/fixtures/ (written by tcpdump and dumpcap
// from live kernel traffic, see make-captures.sh) read without any tool, and
// every checksum the kernel computed in software in them verifies.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LINKTYPE, dissect, parseSllHeader, readCaptureFile } from '../src/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const FILES = [
  ['tcpdump-us.pcap', LINKTYPE.ETHERNET, false],
  ['tcpdump-ns.pcap', LINKTYPE.ETHERNET, true],
  ['dumpcap.pcapng', LINKTYPE.ETHERNET, true], // dumpcap writes if_tsresol 9
  ['tcpdump-sll.pcap', LINKTYPE.LINUX_SLL, false],
  ['tcpdump-sll2.pcap', LINKTYPE.LINUX_SLL2, false],
] as const;

describe('tool-written fixture captures', () => {
  for (const [file, linkType, nano] of FILES) {
    it(`${file}: link type, timestamps, ARP/IPv4/IPv6 and the kernel's ICMP/ICMPv6 checksums`, () => {
      const recs = [...readCaptureFile(join(FIXTURES, file))];
      expect(recs.length).toBeGreaterThan(20);
      const kinds = { arp: 0, icmp: 0, icmp6err: 0, udp: 0, tcp: 0 };
      let prev = 0;
      for (const r of recs) {
        expect(r.linkType).toBe(linkType);
        expect(r.capLen).toBe(r.origLen);
        if (!nano) expect(r.tsNsec % 1000).toBe(0);
        const t = r.tsSec * 1e9 + r.tsNsec;
        expect(t).toBeGreaterThanOrEqual(prev);
        prev = t;
        // make an Ethernet-like view: cooked captures get a fake 14-byte header with the protocol
        let frame = r.data;
        if (linkType !== LINKTYPE.ETHERNET) {
          const h = parseSllHeader(r.data, linkType)!;
          frame = new Uint8Array(14 + r.data.length - h.headerLen);
          frame[12] = h.protocol >>> 8;
          frame[13] = h.protocol & 0xff;
          frame.set(r.data.subarray(h.headerLen), 14);
        }
        const d = dissect(frame);
        if (d.etherType === 0x0806) kinds.arp++;
        if (d.ipVersion === 4) expect(d.ipv4CsumOk).toBe(true);
        if (d.ipVersion === 4 && d.ipProto === 1) {
          kinds.icmp++;
          expect(d.l4CsumOk).toBe(true);
        }
        if (d.ipVersion === 6 && d.ipProto === 58) {
          expect(d.l4CsumOk).toBe(true);
          if (frame[d.l4Off] === 1) kinds.icmp6err++;
        }
        if (d.ipProto === 17) kinds.udp++;
        if (d.ipProto === 6) kinds.tcp++;
      }
      expect(kinds.arp).toBeGreaterThanOrEqual(2);
      expect(kinds.icmp).toBeGreaterThanOrEqual(3);
      expect(kinds.icmp6err).toBeGreaterThanOrEqual(3);
      expect(kinds.udp).toBeGreaterThanOrEqual(6);
      expect(kinds.tcp).toBeGreaterThanOrEqual(6);
    });
  }
});
