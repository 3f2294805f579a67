// Models iproute2 6.1's argv handling (include/utils.h NEXT_ARG/matches,
// lib/utils.c invarg/duparg): a cursor over the words of one command line that
// remembers each word's column, so a scenario error can point at it.

/** One word of a command line and the 1-based column it starts at. */
export interface Word {
  readonly text: string;
  readonly col: number;
}

/** A usage error iproute2 itself prints (before any request is sent). */
export class UsageError extends Error {
  /** 1-based column of the offending word (0: the end of the line). */
  readonly col: number;
  constructor(message: string, col: number) {
    super(message);
    this.name = 'UsageError';
    this.col = col;
  }
}

/**
 * Split a line into words the way a POSIX shell would for simple commands:
 * blanks separate, single and double quotes group, `#` outside quotes starts a comment.
 */
export function splitWords(line: string): Word[] {
  const out: Word[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') break;
    const col = i + 1;
    let text = '';
    while (i < line.length) {
      const d = line[i]!;
      if (d === ' ' || d === '\t' || d === '\r') break;
      if (d === '"' || d === "'") {
        const end = line.indexOf(d, i + 1);
        if (end < 0) throw new UsageError('unterminated quoted string', i + 1);
        text += line.slice(i + 1, end);
        i = end + 1;
        continue;
      }
      text += d;
      i++;
    }
    out.push({ text, col });
  }
  return out;
}

/** iproute2's matches(): `arg` is a non-empty prefix of `keyword`. */
export function matches(arg: string, keyword: string): boolean {
  return arg.length > 0 && keyword.startsWith(arg);
}

/** A cursor over the words of one command. */
export class Args {
  readonly #w: readonly Word[];
  #i = 0;
  /** Column just past the last word (for "missing argument" errors). */
  readonly endCol: number;

  constructor(words: readonly Word[], endCol: number) {
    this.#w = words;
    this.endCol = endCol;
  }
  /** True while words remain. */
  get more(): boolean {
    return this.#i < this.#w.length;
  }
  /** The current word (throws a usage error at the end of the line). */
  peek(): string {
    return this.#w[this.#i]?.text ?? '';
  }
  /** Column of the current word. */
  get col(): number {
    return this.#w[this.#i]?.col ?? this.endCol;
  }
  /** Consume and return the current word. */
  take(): string {
    const w = this.#w[this.#i];
    if (w === undefined) throw new UsageError('Command line is not complete. Try option "help"', this.endCol);
    this.#i++;
    return w.text;
  }
  /** NEXT_ARG(): the value word after a keyword. */
  next(): string {
    return this.take();
  }
  /** Column of the word consumed last. */
  get lastCol(): number {
    return this.#w[this.#i - 1]?.col ?? this.endCol;
  }
  /** All remaining words. */
  rest(): string[] {
    const r = this.#w.slice(this.#i).map((w) => w.text);
    this.#i = this.#w.length;
    return r;
  }
  /** invarg(): `Error: argument "X" is wrong: MSG`. */
  invarg(msg: string, arg: string): UsageError {
    return new UsageError(`Error: argument "${arg}" is wrong: ${msg}`, this.lastCol);
  }
  /** duparg(): `Error: duplicate "KEY": "ARG" is the second value.` */
  duparg(key: string, arg: string): UsageError {
    return new UsageError(`Error: duplicate "${key}": "${arg}" is the second value.`, this.lastCol);
  }
}
