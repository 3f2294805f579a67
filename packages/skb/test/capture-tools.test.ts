// Interoperability with the Debian tools: captures tcbpf writes must read
// cleanly in `tcpdump -r` and `tshark -r` (same packets, timestamps, lengths;
// Wireshark finds every checksum good), and captures those tools write
// (converted from ours, and the live-traffic fixtures in test/fixtures/) must
// read back identically.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng, toHex } from '@tcbpf/base';
import { hasTool } from '@tcbpf/testing';
import { FileSink, LINKTYPE, PcapWriter, PcapngWriter, generatePackets, parseSllHeader, readCaptureFile, type CaptureRecord, type GeneratedPacket } from '../src/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const haveTcpdump = hasTool('tcpdump');
const haveTshark = hasTool('tshark');
const dir = mkdtempSync(join(tmpdir(), 'tcbpf-skb-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 5000;
const PACKETS = generatePackets(new Prng(0x5eed), N);

type Variant = { file: string; kind: 'pcap' | 'pcapng'; nano: boolean; le: boolean };
const VARIANTS: Variant[] = [
  { file: 'ours-us.pcap', kind: 'pcap', nano: false, le: true },
  { file: 'ours-ns-be.pcap', kind: 'pcap', nano: true, le: false },
  { file: 'ours-us.pcapng', kind: 'pcapng', nano: false, le: true },
  { file: 'ours-ns-be.pcapng', kind: 'pcapng', nano: true, le: false },
];

function writeVariant(v: Variant, packets: readonly GeneratedPacket[]): string {
  const path = join(dir, v.file);
  const sink = new FileSink(path);
  const w = v.kind === 'pcap'
    ? new PcapWriter(sink, { nanosecond: v.nano, littleEndian: v.le })
    : new PcapngWriter(sink, { littleEndian: v.le, interfaces: [{ tsResolution: v.nano ? 9 : 6, name: 'tcbpf0' }] });
  for (const p of packets) w.writePacket(p.data, p.tsSec, p.tsNsec);
  w.close();
  sink.close();
  return path;
}

function run(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tsString(sec: number, nsec: number, nano: boolean): string {
  return nano ? `${sec}.${String(nsec).padStart(9, '0')}` : `${sec}.${String(Math.floor(nsec / 1000)).padStart(6, '0')}`;
}

function expectSameRecords(got: readonly CaptureRecord[], want: readonly GeneratedPacket[], nano: boolean): void {
  expect(got.length).toBe(want.length);
  let mismatches = 0;
  for (const [i, r] of got.entries()) {
    const p = want[i]!;
    const ok = r.capLen === p.data.length && r.origLen === p.data.length && r.tsSec === p.tsSec
      && r.tsNsec === (nano ? p.tsNsec : Math.floor(p.tsNsec / 1000) * 1000) && toHex(r.data) === toHex(p.data);
    if (!ok) mismatches++;
  }
  expect(mismatches).toBe(0);
}

describe.skipIf(!haveTcpdump)(`tcpdump reads what tcbpf writes, and tcbpf reads what tcpdump writes (tcpdump: ${haveTcpdump ? 'installed' : 'not installed'})`, () => {
  for (const v of VARIANTS) {
    it(`tcpdump -r ${v.file}: ${N} packets, clean, same timestamps`, () => {
      const path = writeVariant(v, PACKETS);
      const args = ['-r', path, '-nn', '-tt', ...(v.nano ? ['--time-stamp-precision=nano'] : [])];
      const r = run('tcpdump', args);
      expect(r.status).toBe(0);
      // the only stderr line is the "reading from file" banner
      const errLines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('reading from file'));
      expect(errLines).toEqual([]);
      const stamps = r.stdout.split('\n').filter((l) => /^\d+\.\d+ /.test(l)).map((l) => l.slice(0, l.indexOf(' ')));
      expect(stamps.length).toBe(N);
      expect(stamps).toEqual(PACKETS.map((p) => tsString(p.tsSec, p.tsNsec, v.nano)));
      // application payloads are random ("[|domain]" is expected); link, IP and transport headers must be whole
      expect(r.stdout).not.toMatch(/\[\|(ether|ip|ip6|arp|tcp|udp|vlan|llc|stp)\]|truncated-ip|bad-len|bad hdr/i);
    });
  }

  it('tcpdump -r ours -w theirs (pcap, µs and ns): read back identically', () => {
    const src = writeVariant(VARIANTS[3]!, PACKETS);
    for (const nano of [false, true]) {
      const out = join(dir, `tcpdump-rewrite-${nano ? 'ns' : 'us'}.pcap`);
      const r = run('tcpdump', ['-r', src, '-w', out, ...(nano ? ['--time-stamp-precision=nano'] : [])]);
      expect(r.status).toBe(0);
      expectSameRecords([...readCaptureFile(out)], PACKETS, nano);
    }
  });

  it('live-traffic fixtures written by tcpdump and dumpcap: same bytes and timestamps as `tcpdump -r -xx` prints', () => {
    const files = readdirSync(FIXTURES).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const path = join(FIXTURES, f);
      const recs = [...readCaptureFile(path)];
      const nano = f.includes('-ns');
      const r = run('tcpdump', ['-r', path, '-nn', '-tt', '-xx', ...(nano ? ['--time-stamp-precision=nano'] : [])]);
      expect(r.status).toBe(0);
      // parse "<ts> ..." lines followed by "\t0x0000:  4500 0054 ..." hex lines
      const dumped: { ts: string; hex: string }[] = [];
      for (const line of r.stdout.split('\n')) {
        const m = /^(\d+\.\d+) /.exec(line);
        if (m) dumped.push({ ts: m[1]!, hex: '' });
        else if (/^\s+0x[0-9a-f]+:/.test(line) && dumped.length > 0) {
          dumped[dumped.length - 1]!.hex += line.replace(/^\s+0x[0-9a-f]+:\s+/, '').replace(/\s+/g, '');
        }
      }
      expect(dumped.length, f).toBe(recs.length);
      for (const [i, rec] of recs.entries()) {
        expect(tsString(rec.tsSec, rec.tsNsec, nano), `${f} #${i}`).toBe(dumped[i]!.ts);
        expect(toHex(rec.data), `${f} #${i}`).toBe(dumped[i]!.hex);
      }
    }
  });
});

describe.skipIf(!haveTshark)(`tshark reads what tcbpf writes, and tcbpf reads what tshark writes (tshark: ${haveTshark ? 'installed' : 'not installed'})`, () => {
  const CHECKS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

  for (const v of [VARIANTS[0]!, VARIANTS[3]!]) {
    it(`tshark -r ${v.file}: ${N} frames, same times and lengths, every checksum Wireshark checks is good`, () => {
      const path = writeVariant(v, PACKETS);
      const r = run('tshark', ['-n', '-r', path, ...CHECKS, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len',
        '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status', '-e', 'icmp.checksum_bad', '-e', 'icmpv6.checksum.status', '-e', '_ws.expert.severity']);
      expect(r.status).toBe(0);
      expect(r.stderr.split('\n').filter((l) => l.trim() !== '' && !/running as user "root"/i.test(l))).toEqual([]);
      const rows = r.stdout.trim().split('\n').map((l) => l.split('|'));
      expect(rows.length).toBe(N);
      let good = 0;
      for (const [i, row] of rows.entries()) {
        const p = PACKETS[i]!;
        expect(row[0]).toBe(tsString(p.tsSec, p.tsNsec, true).replace(/^(\d+\.\d{6})\d{3}$/, v.nano ? '$&' : '$1000'));
        expect(Number(row[1])).toBe(p.data.length);
        expect(Number(row[2])).toBe(p.data.length);
        for (const col of [row[3], row[4], row[5], row[7]]) {
          // status fields print 1 (good), 0 (bad), 2 (unverified); ICMP errors quote an inner header (random
          // bytes here) whose status follows after a comma: only the outermost header is ours to judge
          for (const s of (col ?? '').split(',').slice(0, 1).filter((x) => x !== '')) {
            expect(['1', 'Good', '2', 'Unverified'], `frame ${i + 1} (${p.kind}): ${row.join('|')}`).toContain(s);
            if (s === '1' || s === 'Good') good++;
          }
        }
      }
      // sanity: most IP/TCP/UDP/ICMPv6 checksums were actually verified
      expect(good).toBeGreaterThan(N * 0.7);
    });
  }

  it('tshark -r ours -F pcapng / -F nsecpcap -w theirs: read back identically', () => {
    const src = writeVariant(VARIANTS[1]!, PACKETS);
    for (const [fmt, ext] of [['pcapng', 'pcapng'], ['nsecpcap', 'pcap']] as const) {
      const out = join(dir, `tshark-rewrite.${fmt}.${ext}`);
      const r = run('tshark', ['-r', src, '-F', fmt, '-w', out]);
      expect(r.status).toBe(0);
      const recs = [...readCaptureFile(out)];
      expectSameRecords(recs, PACKETS, true);
    }
  });

  it('Linux cooked fixtures (tcpdump -i any, LINUX_SLL and LINUX_SLL2) decode to the same protocol and address as tshark shows', () => {
    for (const [f, lt] of [['tcpdump-sll.pcap', LINKTYPE.LINUX_SLL], ['tcpdump-sll2.pcap', LINKTYPE.LINUX_SLL2]] as const) {
      const path = join(FIXTURES, f);
      const recs = [...readCaptureFile(path)];
      const field = lt === LINKTYPE.LINUX_SLL ? 'sll' : 'sll';
      const r = run('tshark', ['-n', '-r', path, '-T', 'fields', '-E', 'separator=|', '-e', `${field}.pkttype`, '-e', `${field}.etype`, '-e', `${field}.src.eth`]);
      expect(r.status).toBe(0);
      const rows = r.stdout.trim().split('\n').map((l) => l.split('|'));
      expect(rows.length).toBe(recs.length);
      for (const [i, rec] of recs.entries()) {
        expect(rec.linkType).toBe(lt);
        const h = parseSllHeader(rec.data, rec.linkType)!;
        expect(h).not.toBeNull();
        expect(String(h.pktType)).toBe(rows[i]![0]);
        expect(Number(rows[i]![1])).toBe(h.protocol);
        if (rows[i]![2] !== '') expect([...h.addr].map((x) => x.toString(16).padStart(2, '0')).join(':')).toBe(rows[i]![2]);
      }
    }
  });
});
