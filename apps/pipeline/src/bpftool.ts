// Models bpftool (Linux 6.18 tools/bpf/bpftool: prog.c show_prog_plain/
// print_prog_json, map.c show_map_plain/show_map_close_json, do_dump,
// do_lookup, do_update, do_delete, print_entry_plain/print_entry_json,
// common.c fprint_hex, json_writer.c) over a simulated kernel's bpf()
// (@tcbpf/ebpf BpfSyscall): `bpftool [-j|-p] prog show [id N]`, `map show
// [id N]`, `map dump|lookup|update|delete`. Maps and programs have no BTF in
// the model, so dumps use bpftool's hex layout.
import { KernelError } from '@tcbpf/base';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, ERRNO_TEXT } from '@tcbpf/uapi';
import type { BpfMap, BpfProg, BpfSyscall } from '@tcbpf/ebpf';
import { type Args, UsageError, matches } from './iproute2/args.js';
import { bpftoolJson, type JsonValue } from './iproute2/json-writer.js';

/** bpftool's map_type_name[] / prog_type_name[] spellings (libbpf's names, lower case). */
const MAP_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze(Object.fromEntries(Object.entries(BPF_MAP_TYPE).map(([k, v]) => [v, k.toLowerCase()])));
const PROG_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze(Object.fromEntries(Object.entries(BPF_PROG_TYPE).map(([k, v]) => [v, k.toLowerCase()])));

/** BPF_ANY / BPF_NOEXIST / BPF_EXIST. */
const UPDATE_FLAGS: Readonly<Record<string, number>> = Object.freeze({ any: 0, noexist: 1, exist: 2 });

/** The highest id probed by the GET_NEXT_ID model (ids are allocated cyclically from 1). */
const MAX_ID_PROBE = 1 << 16;

/** What bpftool needs from the machine: its bpf() and when each program was loaded. */
export interface BpftoolEnv {
  readonly bpf: BpfSyscall;
  /** Simulated load time (ns since the epoch) of a program id. */
  readonly loadedAtNs: (id: number) => number;
  /** Effective uid of the loader (0: the scenario runs as root). */
  readonly uid?: number;
  /** Whether programs are JIT-compiled (net.core.bpf_jit_enable). */
  readonly jited: boolean;
}

/** BPF_PROG_GET_NEXT_ID / BPF_MAP_GET_NEXT_ID: ids in increasing order. */
function ids<T>(get: (id: number) => T | undefined): T[] {
  const out: T[] = [];
  let misses = 0;
  for (let id = 1; id < MAX_ID_PROBE && misses < 4096; id++) {
    const x = get(id);
    if (x === undefined) misses++;
    else {
      out.push(x);
      misses = 0;
    }
  }
  return out;
}

/** fprint_hex(): bytes as `%02x` separated by `sep`, two spaces every 8, a newline every 16. */
export function fprintHex(b: Uint8Array, sep = ' '): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const pfx = i === 0 ? '' : i % 16 === 0 ? '\n' : i % 8 === 0 ? '  ' : sep;
    s += `${pfx}${b[i]!.toString(16).padStart(2, '0')}`;
  }
  return s;
}

function hexArray(b: Uint8Array): JsonValue[] {
  return [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`);
}

/** print_entry_plain(): one key/value (non per-CPU maps). */
function entryPlain(m: BpfMap, key: Uint8Array, value: Uint8Array): string {
  const breakNames = m.keySize > 16 || m.valueSize > 16;
  const singleLine = m.keySize + m.valueSize <= 24 && !breakNames;
  let s = '';
  if (m.keySize) s += `key:${breakNames ? '\n' : ' '}${fprintHex(key)}${singleLine ? '  ' : '\n'}`;
  if (m.valueSize) s += `value:${breakNames ? '\n' : ' '}${fprintHex(value)}`;
  return `${s}\n`;
}

/** A prog's memlock (bpf_prog_size rounded to pages: the 72-byte struct bpf_prog head + 8 bytes per insn). */
function progMemlock(p: BpfProg): number {
  return Math.ceil((72 + p.insns.length * 8) / 4096) * 4096;
}

/** Array maps' memlock as this kernel reports it (bpf_array head 312 bytes + round_up(value, 8) per entry); other types: key+value per entry over the same head (approximation, see kernel-mapping). */
function mapMemlock(m: BpfMap): number {
  const elem = Math.ceil(m.valueSize / 8) * 8;
  return m.type === BPF_MAP_TYPE.ARRAY ? 312 + elem * m.maxEntries : 312 + (Math.ceil(m.keySize / 8) * 8 + elem) * m.maxEntries;
}

/** strftime("%FT%T%z") in UTC. */
function isoTime(ns: number): string {
  const d = new Date(Math.floor(ns / 1e6));
  return `${d.toISOString().slice(0, 19)}+0000`;
}

function progPlain(p: BpfProg, env: BpftoolEnv): string {
  let s = `${p.id}: ${PROG_TYPE_NAMES[p.type] ?? `type ${p.type}`}  `;
  if (p.name !== '') s += `name ${p.name}  `;
  s += `tag ${p.tag}${p.gplCompatible ? '  gpl' : ''}\n`;
  s += `\tloaded_at ${isoTime(env.loadedAtNs(p.id))}  uid ${env.uid ?? 0}\n`;
  s += `\txlated ${p.insns.length * 8}B  ${env.jited ? `jited ${p.insns.length * 8}B` : 'not jited'}  memlock ${progMemlock(p)}B`;
  if (p.usedMaps.length > 0) s += `  map_ids ${p.usedMaps.map((m) => m.id).join(',')}`;
  return `${s}\n`;
}

function progJson(p: BpfProg, env: BpftoolEnv): JsonValue {
  const o: Record<string, JsonValue> = { id: p.id, type: PROG_TYPE_NAMES[p.type] ?? p.type };
  if (p.name !== '') o.name = p.name;
  o.tag = p.tag;
  o.gpl_compatible = p.gplCompatible;
  o.loaded_at = Math.floor(env.loadedAtNs(p.id) / 1e9);
  o.uid = env.uid ?? 0;
  o.bytes_xlated = p.insns.length * 8;
  o.jited = env.jited;
  if (env.jited) o.bytes_jited = p.insns.length * 8;
  o.bytes_memlock = progMemlock(p);
  if (p.usedMaps.length > 0) o.map_ids = p.usedMaps.map((m) => m.id);
  return o;
}

function mapPlain(m: BpfMap): string {
  let s = `${m.id}: ${MAP_TYPE_NAMES[m.type] ?? `type ${m.type}`}  `;
  if (m.name !== '') s += `name ${m.name}  `;
  s += `flags 0x${m.flags.toString(16)}\n`;
  s += `\tkey ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}  memlock ${mapMemlock(m)}B\n`;
  return s;
}

function mapJson(m: BpfMap): JsonValue {
  const o: Record<string, JsonValue> = { id: m.id, type: MAP_TYPE_NAMES[m.type] ?? m.type };
  if (m.name !== '') o.name = m.name;
  Object.assign(o, { flags: m.flags, bytes_key: m.keySize, bytes_value: m.valueSize, max_entries: m.maxEntries, bytes_memlock: mapMemlock(m), frozen: 0 });
  return o;
}

/** parse_bytes(): `[hex] B B ...` (strtoul base 0, or base 16 after `hex`), exactly `n` bytes. */
function parseBytes(a: Args, n: number, what: string): Uint8Array {
  const out = new Uint8Array(n);
  let base = 0;
  if (a.more && a.peek() === 'hex') {
    a.take();
    base = 16;
  }
  let i = 0;
  while (a.more && i < n) {
    const w = a.peek();
    const ok = base === 16 ? /^(0x)?[0-9a-fA-F]{1,2}$/.test(w) : /^(0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(w);
    if (!ok) break;
    a.take();
    const v = base === 16 ? Number.parseInt(w.replace(/^0x/, ''), 16) : w.startsWith('0x') ? Number.parseInt(w, 16) : w.startsWith('0') && w.length > 1 ? Number.parseInt(w, 8) : Number(w);
    if (v > 255) throw new UsageError(`Error: error parsing byte: ${w}`, a.lastCol);
    out[i++] = v;
  }
  if (i !== n) throw new UsageError(`Error: ${what} expected ${n} bytes got ${i}`, a.col);
  return out;
}

function kerr(e: unknown, what: string, col: number): never {
  if (KernelError.isInstance(e)) throw new UsageError(`Error: ${what} failed: ${ERRNO_TEXT[e.errno] ?? e.errno} (${e.errno})`, col);
  throw e;
}

/** The map named by `id N` or `name NAME` (map_parse_fd). */
function mapArg(a: Args, env: BpftoolEnv): BpfMap {
  const how = a.take();
  const v = a.take();
  if (how === 'id') {
    const m = /^[0-9]+$/.test(v) ? env.bpf.mapById(Number(v)) : undefined;
    if (m === undefined) throw new UsageError(`Error: get map by id (${v}): No such file or directory`, a.lastCol);
    return m;
  }
  if (how === 'name') {
    const ms = ids((i) => env.bpf.mapById(i)).filter((m) => m.name === v);
    if (ms.length === 0) throw new UsageError(`Error: no map with name ${v} found`, a.lastCol);
    if (ms.length > 1) throw new UsageError('Error: several maps match this handle', a.lastCol);
    return ms[0]!;
  }
  throw new UsageError(`Error: expected 'id', 'name' or 'pinned', got: '${how}'?`, a.lastCol);
}

/**
 * Run one `bpftool ...` command (the words after `bpftool`); returns what it
 * prints on stdout. Errors are UsageErrors with bpftool's `Error: ...` text.
 */
export function execBpftool(a: Args, env: BpftoolEnv): string {
  let json = false;
  let pretty = false;
  while (a.more && a.peek().startsWith('-')) {
    const o = a.take();
    if (o === '-j' || o === '--json') json = true;
    else if (o === '-p' || o === '--pretty') {
      json = true;
      pretty = true;
    } else throw new UsageError(`bpftool: unrecognized option '${o}'`, a.lastCol);
  }
  const out = (v: JsonValue): string => bpftoolJson(v, pretty);
  const obj = a.take();
  const cmd = a.more ? a.take() : 'show';
  if (matches(obj, 'prog')) {
    if (!(matches(cmd, 'show') || matches(cmd, 'list'))) throw new UsageError(`Error: unknown command "${cmd}" (modelled: prog show|list)`, a.lastCol);
    if (a.more) {
      if (a.take() !== 'id') throw new UsageError("Error: expected 'id', 'tag', 'name' or 'pinned'", a.lastCol);
      const s = a.take();
      const p = /^[0-9]+$/.test(s) ? env.bpf.progById(Number(s)) : undefined;
      if (p === undefined) throw new UsageError(`Error: get by id (${s}): No such file or directory`, a.lastCol);
      return json ? out(progJson(p, env)) : progPlain(p, env);
    }
    const ps = ids((i) => env.bpf.progById(i));
    return json ? out(ps.map((p) => progJson(p, env))) : ps.map((p) => progPlain(p, env)).join('');
  }
  if (!matches(obj, 'map')) throw new UsageError(`Error: object "${obj}" is not modelled (prog, map)`, a.lastCol);
  if (matches(cmd, 'show') || matches(cmd, 'list')) {
    if (a.more) {
      const m = mapArg(a, env);
      return json ? out(mapJson(m)) : mapPlain(m);
    }
    const ms = ids((i) => env.bpf.mapById(i));
    return json ? out(ms.map(mapJson)) : ms.map(mapPlain).join('');
  }
  if (matches(cmd, 'dump')) {
    const m = mapArg(a, env);
    const rows: [Uint8Array, Uint8Array][] = [];
    let key: Uint8Array | undefined;
    for (;;) {
      try {
        key = m.getNextKey(key);
      } catch (e) {
        if (KernelError.isInstance(e) && e.errno === 'ENOENT') break;
        kerr(e, 'get next key', a.lastCol);
      }
      let value: Uint8Array;
      try {
        value = m.lookup(key);
      } catch (e) {
        if (KernelError.isInstance(e) && e.errno === 'ENOENT') continue;
        kerr(e, 'lookup', a.lastCol);
      }
      rows.push([key.slice(), value.slice()]);
    }
    if (json) return out(rows.map(([k, v]) => ({ key: hexArray(k), value: hexArray(v) })));
    return `${rows.map(([k, v]) => entryPlain(m, k, v)).join('')}Found ${rows.length} element${rows.length === 1 ? '' : 's'}\n`;
  }
  if (matches(cmd, 'lookup') || matches(cmd, 'update') || matches(cmd, 'delete')) {
    const m = mapArg(a, env);
    if (a.take() !== 'key') throw new UsageError("Error: did not find key", a.lastCol);
    const key = parseBytes(a, m.keySize, 'key');
    if (matches(cmd, 'lookup')) {
      let value: Uint8Array;
      try {
        value = m.lookup(key);
      } catch (e) {
        if (KernelError.isInstance(e) && e.errno === 'ENOENT') {
          // print_entry_error: not an error of the command line, bpftool prints it and exits 254
          return json ? out({ key: hexArray(key), value: null, error: 'Not found' }) : `key:\n${fprintHex(key)}\n\nNot found\n`;
        }
        kerr(e, 'lookup', a.lastCol);
      }
      return json ? out({ key: hexArray(key), value: hexArray(value) }) : entryPlain(m, key, value);
    }
    if (matches(cmd, 'delete')) {
      if (a.more) throw new UsageError(`Error: unexpected argument "${a.peek()}"`, a.col);
      try {
        m.delete(key);
      } catch (e) {
        kerr(e, 'delete', a.lastCol);
      }
      return json ? out(null) : '';
    }
    if (a.take() !== 'value') throw new UsageError('Error: did not find value', a.lastCol);
    const value = parseBytes(a, m.valueSize, 'value');
    let flags = 0;
    if (a.more) {
      const f = UPDATE_FLAGS[a.take()];
      if (f === undefined) throw new UsageError(`Error: unexpected argument "${a.peek()}"`, a.lastCol);
      flags = f;
    }
    try {
      m.update(key, value, flags);
    } catch (e) {
      kerr(e, 'update', a.lastCol);
    }
    return json ? out(null) : '';
  }
  throw new UsageError(`Error: unknown command "${cmd}" (modelled: map show|dump|lookup|update|delete)`, a.lastCol);
}
