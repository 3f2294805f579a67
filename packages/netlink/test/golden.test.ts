// Golden vectors captured from Linux 6.18 + iproute2 6.1 by test/golden/capture.py:
// every request tc sent and every reply/dump the kernel answered must decode,
// re-encode to the same bytes, and print as the committed summary.
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '@tcbpf/base';
import { NLMSG, RTM } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  ExtAck, RTM_TCA_POLICY, TCAA_POLICY, definePolicy, TCF_TFILTER_DUMP_POLICY, BPF_POLICY, TCA_SET, decodeStream, encodeStream, formatMessages, nlmsgParse, parseAck, splitMessages,
} from '../src/index.js';
import type { NlaPolicy } from '../src/index.js';

interface Vector {
  name: string;
  command: string;
  note: string;
  status: number;
  stderr: string;
  exchanges: { dir: 'send' | 'recv'; hex: string }[];
}
interface VectorFile {
  kernel: string;
  tc: string;
  vectors: Vector[];
}

const NULL_ROOT = definePolicy('tc_ctl_action (NULL policy)', 5, {});
const file = JSON.parse(readFileSync(new URL('./golden/vectors.json', import.meta.url), 'utf8')) as VectorFile;

describe(`golden vectors (${file.kernel}, ${file.tc})`, () => {
  it('covers at least 15 tc commands with requests and replies', () => {
    expect(file.vectors.length).toBeGreaterThanOrEqual(15);
    for (const v of file.vectors) {
      expect(v.exchanges.some((e) => e.dir === 'send'), v.name).toBe(true);
      expect(v.exchanges.some((e) => e.dir === 'recv'), v.name).toBe(true);
    }
  });

  for (const v of file.vectors) {
    it(`${v.name}: ${v.command}`, async () => {
      const blocks: string[] = [`# ${v.command}`, `# ${v.note}; exit ${v.status}${v.stderr.trim() === '' ? '' : `; stderr: ${v.stderr.trim().split('\n').join(' / ')}`}`];
      for (const e of v.exchanges) {
        const bytes = fromHex(e.hex);
        const msgs = decodeStream(bytes);
        // nothing falls back to raw bytes: every message is fully typed
        for (const m of msgs) expect(m.body.kind, `${v.name} ${e.dir}`).not.toBe('raw');
        // re-encoding the decoded form gives the same bytes
        expect(toHex(encodeStream(msgs))).toBe(e.hex);
        blocks.push(`## ${e.dir} ${bytes.length} B`, formatMessages(msgs));
      }
      await expect(blocks.join('\n') + '\n').toMatchFileSnapshot(`./golden/summaries/${v.name}.txt`);
    });
  }

  it('every request tc sent passes the kernel policy its handler uses, and errors match the acks', () => {
    let checked = 0;
    for (const v of file.vectors) {
      const sends = v.exchanges.filter((e) => e.dir === 'send');
      const recvs = v.exchanges.filter((e) => e.dir === 'recv');
      for (const s of sends) {
        const bytes = fromHex(s.hex);
        for (const m of splitMessages(bytes, 'kernel')) {
          let policy: NlaPolicy;
          let hdrlen: number;
          if (m.type >= RTM.NEWACTION && m.type <= RTM.GETACTION) {
            // tc_dump_action uses tcaa_policy; tc_ctl_action parses with a NULL policy
            policy = (m.flags & 0x300) === 0x300 ? TCAA_POLICY : NULL_ROOT;
            hdrlen = 4;
          } else {
            policy = m.type === RTM.GETTFILTER && (m.flags & 0x300) === 0x300 ? TCF_TFILTER_DUMP_POLICY : RTM_TCA_POLICY;
            hdrlen = 20;
          }
          const ext = new ExtAck();
          const tb = nlmsgParse(m.bytes, 0, hdrlen, policy, 'deprecated', ext);
          expect(ext.msg, v.name).toBe('');
          // cls_bpf's own parse of TCA_OPTIONS (NULL extack, liberal)
          if (policy !== TCAA_POLICY && tb.stringEquals(1, 'bpf') && tb.has(2)) tb.nested(2, BPF_POLICY, 'deprecated', null);
          checked++;
        }
      }
      // the status tc exits with agrees with the ack the kernel sent
      const acks = recvs.flatMap((r) => splitMessages(fromHex(r.hex))).filter((m) => m.type === NLMSG.ERROR);
      const errors = acks.map((a) => parseAck(a).error).filter((e) => e !== 0);
      expect(errors.length > 0, v.name).toBe(v.status !== 0);
    }
    expect(checked).toBeGreaterThanOrEqual(43);
    expect(TCA_SET.name).toBe('TCA');
  });
});
