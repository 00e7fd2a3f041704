// The last bytes of a stream, kept in memory for summaries and error files. Bounded: the
// tail never holds more than its capacity, however much the stage prints.
export const TAIL_CAPACITY_BYTES = 64 * 1024;
export const SUMMARY_LINE_MAX_CHARS = 200;

/** Terminal escape sequences (colours, cursor moves): what a file or a summary never keeps. */
export const TERMINAL_ESCAPES = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function stripTerminalEscapes(text: string): string {
  return text.replace(TERMINAL_ESCAPES, '');
}

export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(readonly capacity = TAIL_CAPACITY_BYTES) {}

  push(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    // A view, not a copy: chunks are never changed after they are read, and a copy of every
    // chunk of output is what made memory churn with output size.
    this.chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.size += data.byteLength;
    while (this.size > this.capacity) {
      const first = this.chunks[0]!;
      const excess = this.size - this.capacity;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
      this.dropped = true;
    }
  }

  /** Bytes currently held (at most `capacity`). */
  get byteLength(): number {
    return this.size;
  }

  get truncated(): boolean {
    return this.dropped;
  }

  text(): string {
    let bytes = Buffer.concat(this.chunks);
    // A cut tail can start inside a character: skip its continuation bytes rather than decode
    // them as U+FFFD (which is not in the output and would grow the tail past its capacity).
    let start = 0;
    while (this.dropped && start < 3 && start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start += 1;
    if (start > 0) bytes = bytes.subarray(start);
    return bytes.toString('utf8');
  }

  /**
   * The last meaningful line, for a one-line summary: terminal escape sequences (colours)
   * removed, at most `maxChars` characters (cut at the front with '…').
   */
  /**
   * The last `count` non-blank lines, terminal escape sequences removed, each at most
   * `maxChars` characters (cut at the front with '…'): what a red run shows of its failing stage.
   */
  lastLines(count: number, maxChars = SUMMARY_LINE_MAX_CHARS): string[] {
    return this.text()
      .replace(TERMINAL_ESCAPES, '')
      .split(/\r?\n/)
      .map((line) => line.trimEnd())
      .filter((line) => line.trim().length > 0)
      .slice(-count)
      .map((line) => (line.length > maxChars ? `…${line.slice(-maxChars)}` : line));
  }

  lastLine(maxChars = SUMMARY_LINE_MAX_CHARS): string | null {
    const plain = stripTerminalEscapes(this.text());
    // The last meaningful line: one with a letter in it (not blank, not a separator such as
    // `-----`, `====` or vitest's `⎯⎯⎯[7/7]⎯`).
    const last = plain
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => /\p{L}/u.test(line))
      .at(-1);
    if (last === undefined) return null;
    return last.length > maxChars ? `…${last.slice(-maxChars)}` : last;
  }
}

/** The end of `text`, at most `maxBytes` UTF-8 bytes, prefixed with '…' when cut. */
export function tailText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= maxBytes) return { text, truncated: false };
  let cut = buffer.subarray(buffer.length - maxBytes).toString('utf8');
  if (cut.startsWith('\uFFFD')) cut = cut.replace(/^\uFFFD+/, '');
  return { text: `…${cut}`, truncated: true };
}
