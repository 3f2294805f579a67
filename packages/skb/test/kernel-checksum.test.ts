// Differential test against this machine's kernel: random UDP datagrams are
// sent over a veth pair between two throw-away namespaces to a closed port;
// the receiving kernel answers each with an ICMP / ICMPv6 port-unreachable
// error that quotes the random bytes, computing the IPv4 header, ICMP and
// ICMPv6 (pseudo-header) checksums in software. tcpdump captures the exchange;
// tcbpf reads the capture and recomputes every one of those checksums.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '@tcbpf/base';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { dissect, readCaptureFile } from '../src/index.js';

const k = kernelOracle();
const tools = ['tcpdump'].filter((t) => !hasTool(t));
const reason = !k.ok ? k.reason : tools.length > 0 ? `${tools.join(', ')} not installed` : 'available';
const SENDS = 100;

describe.skipIf(!k.ok || tools.length > 0)(`kernel-computed checksums on random packets agree with tcbpf (kernel: ${reason})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcbpf-skb-kcsum-'));
  const nss: Netns[] = [];
  afterAll(() => {
    for (const ns of nss) ns.close();
    if (process.env['SKB_KEEP'] === undefined) rmSync(dir, { recursive: true, force: true });
  });

  it(`${SENDS} IPv4 + ${SENDS} IPv6 datagrams with random payloads: every ICMP/ICMPv6 error and IPv4 header checksum the kernel wrote is what tcbpf computes`, async () => {
    const a = new Netns('skbA');
    const b = new Netns('skbB');
    nss.push(a, b);
    execFileSync('ip', ['link', 'add', 'va', 'netns', a.name, 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name]);
    for (const ns of [a, b]) {
      ns.run('sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0', 'net.ipv4.icmp_msgs_per_sec=100000']);
    }
    a.run('ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'va']);
    b.run('ip', ['addr', 'add', '10.77.0.2/24', 'dev', 'vb']);
    a.run('ip', ['addr', 'add', 'fd00:77::1/64', 'dev', 'va', 'nodad']);
    b.run('ip', ['addr', 'add', 'fd00:77::2/64', 'dev', 'vb', 'nodad']);
    a.run('ip', ['link', 'set', 'va', 'up']);
    b.run('ip', ['link', 'set', 'vb', 'up']);
    const file = join(dir, 'k.pcap');
    const td = spawn('ip', ['netns', 'exec', b.name, 'tcpdump', '-U', '--immediate-mode', '-n', '-i', 'vb', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
      td.stderr.on('data', (d: Uint8Array) => {
        err += new TextDecoder().decode(d);
        if (err.includes('listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    // wait for carrier on both ends (linkwatch), so neighbour discovery answers
    for (let t = 0; t < 50; t++) {
      const s = a.run('ip', ['link', 'show', 'va']) + b.run('ip', ['link', 'show', 'vb']);
      if (!s.includes('NO-CARRIER') && (s.match(/state UP/g) ?? []).length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // a node process inside namespace A sends every datagram (one sendmsg each)
    const prng = new Prng(0xc0ffee);
    const sends: { dst: string; port: number; hex: string }[] = [];
    for (let i = 0; i < SENDS; i++) {
      for (const dst of ['10.77.0.2', 'fd00:77::2']) {
        const n = 1 + prng.below(1200);
        let hex = '';
        for (let j = 0; j < n; j++) hex += (prng.u32() & 0xff).toString(16).padStart(2, '0');
        sends.push({ dst, port: 9 + (i % 50), hex });
      }
    }
    const sender = `
      const dgram = require('node:dgram');
      const list = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
      const s4 = dgram.createSocket('udp4'), s6 = dgram.createSocket('udp6');
      (async () => {
        for (const m of list) {
          const s = m.dst.includes(':') ? s6 : s4;
          await new Promise((res, rej) => s.send(Buffer.from(m.hex, 'hex'), m.port, m.dst, (e) => (e ? rej(e) : res())));
          await new Promise((res) => setTimeout(res, 2));
        }
        s4.close(); s6.close();
      })().catch((e) => { console.error(e); process.exit(1); });`;
    a.run(process.execPath, ['-e', sender], JSON.stringify(sends));
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise((r) => td.on('exit', r));
    td.kill('SIGINT');
    await exited;

    let icmp4 = 0;
    let icmp6 = 0;
    let ipv4Headers = 0;
    const bad: string[] = [];
    for (const rec of readCaptureFile(file)) {
      const d = dissect(rec.data);
      if (d.ipVersion === 4) {
        ipv4Headers++;
        if (d.ipv4CsumOk !== true) bad.push(`#${rec.index} IPv4 header`);
        if (d.ipProto === 1) {
          icmp4++;
          if (d.l4CsumOk !== true) bad.push(`#${rec.index} ICMP`);
        }
      } else if (d.ipVersion === 6 && d.ipProto === 58 && rec.data[d.l4Off] === 1) {
        icmp6++;
        if (d.l4CsumOk !== true) bad.push(`#${rec.index} ICMPv6`);
      }
    }
    expect(bad).toEqual([]);
    expect(icmp4).toBe(SENDS);
    expect(icmp6).toBe(SENDS);
    expect(ipv4Headers).toBeGreaterThanOrEqual(2 * SENDS);
  });
});
