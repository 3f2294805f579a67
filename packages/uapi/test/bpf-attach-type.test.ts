// BPF_ATTACH_TYPE against the C definitions: the installed UAPI header
// (/usr/include/linux/bpf.h, parsed here; it may be older than 6.18, so it
// must be a prefix of ours) and the running kernel's own enum from its BTF
// (`bpftool btf dump file /sys/kernel/btf/vmlinux`), which must match exactly
// when the kernel is 6.18. Each skips with its reason when unavailable.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BPF_ATTACH_TYPE, MAX_BPF_ATTACH_TYPE } from '../src/index.js';

const HEADER = '/usr/include/linux/bpf.h';
const VMLINUX = '/sys/kernel/btf/vmlinux';

/** Parse `enum NAME { A, B = 5, C, ... }` from C source: name -> value (implicit values count up). */
function parseEnum(src: string, name: string): Map<string, number> {
  const m = new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`).exec(src);
  if (m === null) throw new Error(`enum ${name} not found`);
  const body = m[1]!.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const out = new Map<string, number>();
  let next = 0;
  for (const item of body.split(',')) {
    const t = item.trim();
    if (t === '') continue;
    const [id, value] = t.split('=').map((x) => x.trim());
    const v = value === undefined ? next : Number(value);
    if (!/^[A-Z_][A-Z0-9_]*$/.test(id!) || !Number.isInteger(v)) throw new Error(`cannot parse enum item "${t}"`);
    out.set(id!, v);
    next = v + 1;
  }
  return out;
}

/** Is `tool` on PATH? */
function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

const ours = new Map(Object.entries(BPF_ATTACH_TYPE).map(([k, v]) => [`BPF_${k}`, v]));

describe('BPF_ATTACH_TYPE', () => {
  it('is dense from 0 and ends at MAX_BPF_ATTACH_TYPE', () => {
    expect([...ours.values()]).toEqual(Array.from({ length: MAX_BPF_ATTACH_TYPE }, (_, i) => i));
  });

  const header = existsSync(HEADER) ? readFileSync(HEADER, 'utf8') : undefined;
  describe.skipIf(header === undefined)(`against ${HEADER} (${header === undefined ? 'missing: install linux-libc-dev' : 'installed'})`, () => {
    it('every attach type of the installed header has our value (the header may be older)', () => {
      const h = parseEnum(header!, 'bpf_attach_type');
      const max = h.get('__MAX_BPF_ATTACH_TYPE');
      h.delete('__MAX_BPF_ATTACH_TYPE');
      expect(h.size).toBeGreaterThan(40);
      expect(max).toBe(h.size);
      for (const [name, value] of h) expect({ name, value: ours.get(name) }).toEqual({ name, value });
      expect(max).toBeLessThanOrEqual(MAX_BPF_ATTACH_TYPE);
    });
  });

  const btfReason = !existsSync(VMLINUX) ? `${VMLINUX} missing` : !hasTool('bpftool') ? 'bpftool not installed' : !release().startsWith('6.18.') ? `kernel ${release()} is not 6.18` : '';
  describe.skipIf(btfReason !== '')(`against the running kernel's BTF (${btfReason || 'Linux 6.18'})`, () => {
    it('equals the kernel enum bpf_attach_type exactly', () => {
      const r = spawnSync('bpftool', ['btf', 'dump', 'file', VMLINUX, 'format', 'raw'], { encoding: 'utf8', maxBuffer: 1 << 28 });
      expect(r.status).toBe(0);
      const lines = r.stdout.split('\n');
      const at = lines.findIndex((l) => /ENUM 'bpf_attach_type'/.test(l));
      expect(at).toBeGreaterThanOrEqual(0);
      const kernel = new Map<string, number>();
      for (const l of lines.slice(at + 1)) {
        const m = /^\s+'(\w+)' val=(\d+)$/.exec(l);
        if (m === null) break;
        kernel.set(m[1]!, Number(m[2]));
      }
      expect(kernel.get('__MAX_BPF_ATTACH_TYPE')).toBe(MAX_BPF_ATTACH_TYPE);
      kernel.delete('__MAX_BPF_ATTACH_TYPE');
      expect(Object.fromEntries(kernel)).toEqual(Object.fromEntries(ours));
    });
  });
});
