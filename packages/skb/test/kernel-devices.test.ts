// Differential tests of the device model against this machine's kernel, in
// throw-away namespaces: ifindex and name allocation for a random sequence of
// veth creations and deletions, and the veth counters `ip -s link` reports for
// the same frames (delivered, and dropped because the peer is down).
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelError, Prng, SimClock, fromHex } from '@tcbpf/base';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { NetNamespace, SkBuff, readCaptureFile, type NetDevice } from '../src/index.js';

const k = kernelOracle();

interface LinkJson { ifindex: number; ifname: string; stats64?: { rx: { bytes: number; packets: number; dropped: number }; tx: { bytes: number; packets: number; dropped: number } } }

function links(ns: Netns, dev?: string): LinkJson[] {
  return JSON.parse(ns.run('ip', ['-j', '-s', 'link', 'show', ...(dev === undefined ? [] : ['dev', dev])])) as LinkJson[];
}

describe.skipIf(!k.ok)(`device table, veth and loopback counters agree with the kernel (kernel: ${k.reason || 'available'})`, () => {
  const nss: Netns[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tcbpf-skb-kdev-'));
  afterAll(() => {
    for (const ns of nss) ns.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a random sequence of veth add/del (named and veth%d) gives the same ifindexes, names and EEXIST refusals', () => {
    const kns = new Netns('skbD');
    nss.push(kns);
    const model = new NetNamespace({ clock: new SimClock(), prng: new Prng(1) });
    const prng = new Prng(0xdecaf);
    const names = ['xa', 'xb', 'xc', 'xd', 'xe', 'xf']; // not iproute2 keyword prefixes ("d" = dynamic)
    for (let step = 0; step < 60; step++) {
      const live = model.devices().filter((d) => d.kind === 'veth');
      if (live.length > 0 && prng.below(3) === 0) {
        const victim = live[prng.below(live.length)]!;
        kns.run('ip', ['link', 'del', 'dev', victim.name]);
        model.removeDevice(victim);
      } else if (prng.below(3) === 0) {
        kns.run('ip', ['link', 'add', 'type', 'veth']);
        model.addVeth();
      } else {
        const n = names[prng.below(names.length)]!;
        const p = `${names[prng.below(names.length)]!}p`;
        const r = kns.tryRun('ip', ['link', 'add', 'name', n, 'type', 'veth', 'peer', 'name', p]);
        let modelErr = '';
        try {
          model.addVeth(n, p);
        } catch (e) {
          modelErr = KernelError.isInstance(e) ? e.errno : String(e);
        }
        if (r.status !== 0) {
          expect(r.stderr).toContain('File exists');
          expect(modelErr).toBe('EEXIST');
        } else expect(modelErr).toBe('');
      }
      const kernelView = links(kns).map((l) => [l.ifindex, l.ifname]);
      const modelView = model.devices().map((d) => [d.ifindex, d.name]);
      expect(modelView, `step ${step}`).toEqual(kernelView);
    }
  });

  it.skipIf(!hasTool('tcpdump'))('loopback counters: the frames captured on lo, replayed through the model lo, give the same rx/tx packets and bytes (no L2 header counted)', async () => {
    const ns = new Netns('skbLo');
    nss.push(ns);
    const file = join(dir, 'lo.pcap');
    const td = spawn('ip', ['netns', 'exec', ns.name, 'tcpdump', '-U', '--immediate-mode', '-n', '-i', 'lo', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
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
    const before = links(ns, 'lo')[0]!.stats64!;
    ns.run(process.execPath, ['-e', `
      const s = require('node:dgram').createSocket('udp4');
      (async () => {
        for (let i = 0; i < 20; i++) await new Promise((res, rej) => s.send(Buffer.alloc(1 + ((i * 7919) % 1400), i), 9, '127.0.0.1', (e) => (e ? rej(e) : res())));
        s.close();
      })();`]);
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => td.on('exit', r));
    td.kill('SIGINT');
    await exited;
    const after = links(ns, 'lo')[0]!.stats64!;
    const model = new NetNamespace({ clock: new SimClock(), prng: new Prng(4) });
    model.loopback.setUp(true);
    let frames = 0;
    for (const rec of readCaptureFile(file)) {
      const skb = SkBuff.fromFrame(rec.data);
      skb.setDev(model.loopback);
      model.devQueueXmit(skb);
      frames++;
    }
    expect(frames).toBeGreaterThanOrEqual(20);
    const st = model.loopback.stats;
    expect([st.txPackets, st.txBytes, st.rxPackets, st.rxBytes]).toEqual([
      after.tx.packets - before.tx.packets, after.tx.bytes - before.tx.bytes, after.rx.packets - before.rx.packets, after.rx.bytes - before.rx.bytes,
    ]);
  });

  it.skipIf(!hasTool('tcpdump'))('veth counters: the frames the kernel exchanged, replayed through the model, give the same rx/tx packets and bytes; peer down gives the same drops', async () => {
    const a = new Netns('skbVA');
    const b = new Netns('skbVB');
    nss.push(a, b);
    for (const ns of [a, b]) ns.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv4.icmp_ratelimit=0']);
    execFileSync('ip', ['link', 'add', 'va', 'netns', a.name, 'address', '02:00:00:00:0a:01', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name, 'address', '02:00:00:00:0b:01']);
    a.run('ip', ['addr', 'add', '10.78.0.1/24', 'dev', 'va']);
    b.run('ip', ['addr', 'add', '10.78.0.2/24', 'dev', 'vb']);
    a.run('ip', ['link', 'set', 'va', 'up']);
    b.run('ip', ['link', 'set', 'vb', 'up']);
    const file = join(dir, 'va.pcap');
    const td = spawn('ip', ['netns', 'exec', a.name, 'tcpdump', '-U', '--immediate-mode', '-n', '-i', 'va', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
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
    const before = { va: links(a, 'va')[0]!.stats64!, vb: links(b, 'vb')[0]!.stats64! };
    const sender = (n: number, seed: number): string => `
      const s = require('node:dgram').createSocket('udp4');
      let x = ${seed};
      (async () => {
        for (let i = 0; i < ${n}; i++) {
          x = (x * 1103515245 + 12345) >>> 0;
          await new Promise((res, rej) => s.send(Buffer.alloc(1 + (x % 1400), i), 9, '10.78.0.2', (e) => (e ? rej(e) : res())));
          await new Promise((res) => setTimeout(res, 2));
        }
        s.close();
      })().catch((e) => { console.error(e); process.exit(1); });`;
    a.run(process.execPath, ['-e', sender(30, 7)]);
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => td.on('exit', r));
    td.kill('SIGINT');
    await exited;
    const after = { va: links(a, 'va')[0]!.stats64!, vb: links(b, 'vb')[0]!.stats64! };

    // replay: frames whose source MAC is va's leave va, the others leave vb
    const model = new NetNamespace({ clock: new SimClock(), prng: new Prng(2) });
    const mb = new NetNamespace({ clock: new SimClock(), prng: new Prng(3) });
    const [ma, mvb]: [NetDevice, NetDevice] = model.addVeth('va', 'vb', mb, { addr: fromHex('02000000 0a01') }, { addr: fromHex('020000000b01') });
    ma.setUp(true);
    mvb.setUp(true);
    let frames = 0;
    for (const rec of readCaptureFile(file)) {
      const fromA = rec.data[6] === 0x02 && rec.data[10] === 0x0a && rec.data[11] === 0x01;
      const skb = SkBuff.fromFrame(rec.data);
      skb.setDev(fromA ? ma : mvb);
      (fromA ? model : mb).devQueueXmit(skb);
      frames++;
    }
    expect(frames).toBeGreaterThanOrEqual(60); // 30 datagrams + 30 ICMP errors + ARP
    const d = (x: { bytes: number; packets: number }, y: { bytes: number; packets: number }) => [y.packets - x.packets, y.bytes - x.bytes];
    expect([ma.stats.txPackets, ma.stats.txBytes]).toEqual(d(before.va.tx, after.va.tx));
    expect([ma.stats.rxPackets, ma.stats.rxBytes]).toEqual(d(before.va.rx, after.va.rx));
    expect([mvb.stats.txPackets, mvb.stats.txBytes]).toEqual(d(before.vb.tx, after.vb.tx));
    expect([mvb.stats.rxPackets, mvb.stats.rxBytes]).toEqual(d(before.vb.rx, after.vb.rx));

    // peer down: a permanent neighbour entry so only the datagrams are sent
    a.run('ip', ['neigh', 'replace', '10.78.0.2', 'lladdr', '02:00:00:00:0b:01', 'dev', 'va', 'nud', 'permanent']);
    b.run('ip', ['link', 'set', 'vb', 'down']);
    const down0 = { va: links(a, 'va')[0]!.stats64!, vb: links(b, 'vb')[0]!.stats64! };
    a.run(process.execPath, ['-e', sender(5, 11)]);
    const down1 = { va: links(a, 'va')[0]!.stats64!, vb: links(b, 'vb')[0]!.stats64! };
    mvb.setUp(false);
    const t0 = { tx: ma.stats.txDropped, rx: mvb.stats.rxDropped, txp: ma.stats.txPackets };
    for (let i = 0; i < 5; i++) {
      const skb = SkBuff.fromFrame(new Uint8Array(60).fill(i, 14));
      skb.buf.set(fromHex('020000000b01020000000a010800'), skb.dataOff);
      skb.setDev(ma);
      model.devQueueXmit(skb);
    }
    expect([ma.stats.txDropped - t0.tx, mvb.stats.rxDropped - t0.rx, ma.stats.txPackets - t0.txp]).toEqual([
      down1.va.tx.dropped - down0.va.tx.dropped,
      down1.vb.rx.dropped - down0.vb.rx.dropped,
      down1.va.tx.packets - down0.va.tx.packets,
    ]);
    expect(down1.va.tx.dropped - down0.va.tx.dropped).toBe(5);

    // peer up again but with a smaller MTU: a datagram too big for it is not forwardable
    b.run('ip', ['link', 'set', 'vb', 'mtu', '1000', 'up']);
    mvb.setMtu(1000);
    mvb.setUp(true);
    for (let t = 0; t < 50 && a.run('ip', ['link', 'show', 'va']).includes('NO-CARRIER'); t++) await new Promise((r) => setTimeout(r, 100));
    const big0 = { va: links(a, 'va')[0]!.stats64!, vb: links(b, 'vb')[0]!.stats64! };
    a.run(process.execPath, ['-e', `const s = require('node:dgram').createSocket('udp4'); s.send(Buffer.alloc(1200), 9, '10.78.0.2', () => s.close());`]);
    const big1 = { va: links(a, 'va')[0]!.stats64!, vb: links(b, 'vb')[0]!.stats64! };
    const m0 = { tx: ma.stats.txDropped, rx: mvb.stats.rxDropped };
    const big = SkBuff.fromFrame(new Uint8Array(14 + 20 + 8 + 1200));
    big.buf.set(fromHex('020000000b01020000000a010800'), big.dataOff);
    big.setDev(ma);
    model.devQueueXmit(big);
    expect([ma.stats.txDropped - m0.tx, mvb.stats.rxDropped - m0.rx]).toEqual([big1.va.tx.dropped - big0.va.tx.dropped, big1.vb.rx.dropped - big0.vb.rx.dropped]);
    expect(big1.vb.rx.dropped - big0.vb.rx.dropped).toBe(1);
  });
});
