// Capture files on disk (Node): read a pcap/pcapng file in fixed-size chunks
// from a file descriptor, so a multi-gigabyte capture never sits in memory,
// and write through a file-descriptor sink. Not kernel code.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { CaptureDecoder, type ByteSink, type CaptureCursor, type CaptureRecord } from './capture.js';

/** Default read size. */
export const CAPTURE_CHUNK = 1 << 16;

/**
 * Read every record of the capture at `path` (pcap or pcapng), `chunkSize`
 * bytes at a time. Good records are yielded in order; a malformed or truncated
 * record then throws CaptureError (record index + file offset). The file is
 * closed when the generator finishes, throws or is abandoned.
 */
export function* readCaptureFile(path: string, chunkSize = CAPTURE_CHUNK): Generator<CaptureRecord, void, undefined> {
  const fd = openSync(path, 'r');
  try {
    yield* readCaptureFd(fd, chunkSize);
  } finally {
    closeSync(fd);
  }
}

/** As `readCaptureFile` on an open file descriptor (not closed here). */
export function* readCaptureFd(fd: number, chunkSize = CAPTURE_CHUNK): Generator<CaptureRecord, void, undefined> {
  const d = new CaptureDecoder();
  const chunk = new Uint8Array(chunkSize);
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    d.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    for (let r = d.next(); r !== null; r = d.next()) yield r;
  }
  d.end();
}

/**
 * Visit every record of the file at `path` without allocating per packet: `fn`
 * gets a cursor whose `buf[dataOff, dataOff + capLen)` holds the packet until
 * `fn` returns. Returns the number of records. Throws CaptureError like `readCaptureFile`.
 */
export function scanCaptureFile(path: string, fn: (cur: CaptureCursor) => void, chunkSize = CAPTURE_CHUNK): number {
  const fd = openSync(path, 'r');
  try {
    const d = new CaptureDecoder();
    const chunk = new Uint8Array(chunkSize);
    const cur: CaptureCursor = { index: 0, offset: 0, interfaceId: 0, linkType: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, buf: chunk, dataOff: 0 };
    let count = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      d.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      while (d.readInto(cur)) {
        fn(cur);
        count++;
      }
    }
    d.end();
    return count;
  } finally {
    closeSync(fd);
  }
}

/** A sink writing to a file it opens (truncating); call `close()` after the writer's `close()`. */
export class FileSink implements ByteSink {
  readonly #fd: number;
  #open = true;

  constructor(path: string) {
    this.#fd = openSync(path, 'w');
  }

  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.#fd, chunk, off, chunk.length - off);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    closeSync(this.#fd);
  }
}
