// Models iproute2 6.1 lib/json_writer.c (jsonw_*: the layout `tc -j` and
// `tc -j -p` print) for a value tree built by the printers: objects keep
// insertion order; pretty output indents 4 spaces per level, opens arrays as
// `[ ` and closes them as ` ]`, and objects put each member on its own line.

/** A JSON value as the tc printers build it. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue };

const ESCAPES: Readonly<Record<string, string>> = Object.freeze({
  '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t',
});

/** jsonw_puts(): a quoted string with json_writer's escapes. */
function quote(s: string): string {
  let out = '"';
  for (const c of s) out += ESCAPES[c] ?? c;
  return `${out}"`;
}

function indent(depth: number): string {
  return '    '.repeat(depth);
}

function write(v: JsonValue, pretty: boolean, depth: number): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}` : `${v}`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) {
    // jsonw_start_array: "[" (+ " "), elements separated by ","; end: (" ") "]"
    const items = (v as readonly JsonValue[]).map((x) => write(x, pretty, depth + 1));
    if (items.length === 0) return pretty ? '[ ]' : '[]';
    return `[${pretty ? ' ' : ''}${items.join(',')}${pretty ? ' ' : ''}]`;
  }
  const entries = Object.entries(v as { readonly [k: string]: JsonValue });
  if (entries.length === 0) return '{}';
  const eol = pretty ? `\n${indent(depth + 1)}` : '';
  const body = entries.map(([k, x]) => `${eol}${quote(k)}:${pretty ? ' ' : ''}${write(x, pretty, depth + 1)}`).join(',');
  return `{${body}${pretty ? `\n${indent(depth)}` : ''}}`;
}

/**
 * new_json_obj() … delete_json_obj(): the top-level array tc prints for a
 * dump, then a newline. `pretty` is `-p`.
 */
export function jsonDocument(items: readonly JsonValue[], pretty: boolean): string {
  return `${write(items, pretty, 0)}\n`;
}

/** bpftool's json_writer (the original layout): arrays open as `[` and close on their own line when not empty. */
function writeBpftool(v: JsonValue, pretty: boolean, depth: number): string {
  if (v === null || typeof v !== 'object') return write(v, pretty, depth);
  if (Array.isArray(v)) {
    const items = (v as readonly JsonValue[]).map((x) => writeBpftool(x, pretty, depth + 1));
    if (items.length === 0) return '[]';
    return `[${items.join(',')}${pretty ? `\n${indent(depth)}` : ''}]`;
  }
  const entries = Object.entries(v as { readonly [k: string]: JsonValue });
  if (entries.length === 0) return '{}';
  const eol = pretty ? `\n${indent(depth + 1)}` : '';
  const body = entries.map(([k, x]) => `${eol}${quote(k)}:${pretty ? ' ' : ''}${writeBpftool(x, pretty, depth + 1)}`).join(',');
  return `{${body}${pretty ? `\n${indent(depth)}` : ''}}`;
}

/** `bpftool -j|-p` output: one value then a newline. */
export function bpftoolJson(v: JsonValue, pretty: boolean): string {
  return `${writeBpftool(v, pretty, 0)}\n`;
}
