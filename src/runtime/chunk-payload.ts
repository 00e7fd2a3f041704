// One exact text form of output bytes, used wherever a chunk is written down (event lines,
// tool run records, transcripts): UTF-8 text when the bytes are valid UTF-8, else base64 with
// `encoding: "base64"`.
import { isUtf8 } from 'node:buffer';

export type ChunkPayload = { data: string; encoding?: 'base64' };

/** Text when the bytes are valid UTF-8, else base64 with `encoding: "base64"`: always exact. */
export function encodeChunk(data: Uint8Array): ChunkPayload {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isUtf8(buffer)) return { data: buffer.toString('utf8') };
  return { data: buffer.toString('base64'), encoding: 'base64' };
}

/**
 * A string value held as its UTF-8 bytes. `JSON.stringify` sees its text (through `toJSON`);
 * src/persist/json-stream.ts writes its JSON form straight from the bytes.
 */
export class Utf8JsonString {
  readonly bytes: Buffer;
  constructor(bytes: Uint8Array) {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!isUtf8(view)) throw new Error('Utf8JsonString: the bytes are not valid UTF-8');
    this.bytes = view;
  }
  toJSON(): string {
    return this.bytes.toString('utf8');
  }
}

/** `encodeChunk`, with valid UTF-8 kept as its bytes (a Utf8JsonString) until it is written. */
export function encodeChunkLazily(data: Uint8Array): { data: Utf8JsonString } | ChunkPayload {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isUtf8(buffer)) return { data: new Utf8JsonString(buffer) };
  return { data: buffer.toString('base64'), encoding: 'base64' };
}

export function decodeChunk(payload: ChunkPayload): Buffer {
  return payload.encoding === 'base64' ? Buffer.from(payload.data, 'base64') : Buffer.from(payload.data, 'utf8');
}

// JSON.stringify's escapes for the bytes it escapes in a string made from valid UTF-8: '"',
// '\' and the control characters below 0x20 (short forms where JSON has one, else \u00xx in
// lowercase hex). Every other byte, multi-byte UTF-8 sequences included, stands for itself.
const ESCAPES: ReadonlyArray<Buffer | null> = Array.from({ length: 256 }, (_unused, byte) =>
  byte === 0x22 || byte === 0x5c || byte < 0x20 ? Buffer.from(JSON.stringify(String.fromCharCode(byte)).slice(1, -1), 'latin1') : null,
);
const ESCAPE_EXTRA = new Uint8Array(256).map((_zero, byte) => (ESCAPES[byte] ? ESCAPES[byte].length - 1 : 0));
/** Below this many bytes between two escapes, copy byte by byte rather than call into Buffer#copy. */
const SHORT_RUN = 32;

/** The chunk's bytes as 32-bit words where they are aligned: [words, the byte index of the first word]. */
function wordsOf(data: Buffer): [Uint32Array, number] {
  const first = Math.min((4 - (data.byteOffset & 3)) & 3, data.length);
  const count = (data.length - first) >> 2;
  if (count === 0) return [new Uint32Array(0), data.length];
  return [new Uint32Array(data.buffer, data.byteOffset + first, count), first];
}

/**
 * The index of the first byte at or after `from` that JSON escapes, or `data.length`. Four
 * bytes at a time: a word holds such a byte exactly when one of its bytes is below 0x20, or
 * equal to '"' or '\' (the exact "has a byte less than n" and "has a zero byte" tests).
 */
function nextEscape(data: Buffer, words: Uint32Array, first: number, from: number): number {
  const end = data.length;
  let i = from;
  while (i < end && (i < first || ((i - first) & 3) !== 0)) {
    if (ESCAPES[data[i]!]) return i;
    i += 1;
  }
  if (i >= end) return end;
  let w = (i - first) >> 2;
  for (; w < words.length; w += 1) {
    const x = words[w]!;
    const quote = x ^ 0x22222222;
    const backslash = x ^ 0x5c5c5c5c;
    if ((((x - 0x20202020) & ~x) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) break;
  }
  for (i = first + (w << 2); i < end; i += 1) if (ESCAPES[data[i]!]) return i;
  return end;
}

/** How many bytes `writeJsonString` writes for `data` (valid UTF-8): the escaped text and its two quotes. */
export function jsonStringLength(data: Buffer): number {
  const [words, first] = wordsOf(data);
  let extra = 0;
  for (let i = nextEscape(data, words, first, 0); i < data.length; i = nextEscape(data, words, first, i + 1)) extra += ESCAPE_EXTRA[data[i]!]!;
  return data.length + extra + 2;
}

/**
 * Writes the JSON string literal of `data`'s text (valid UTF-8, see isUtf8) into `out` at
 * `at`, straight from the bytes: the same bytes as `JSON.stringify(data.toString())` in UTF-8,
 * without making a string of the chunk, so a chunk costs the V8 heap nothing that grows with
 * its size (phase 3). Returns where it stopped.
 */
export function writeJsonString(data: Buffer, out: Buffer, at: number): number {
  const [words, first] = wordsOf(data);
  out[at++] = 0x22;
  let run = 0;
  for (let i = nextEscape(data, words, first, 0); i < data.length; i = nextEscape(data, words, first, i + 1)) {
    if (i - run > SHORT_RUN) {
      data.copy(out, at, run, i);
      at += i - run;
    } else {
      for (let k = run; k < i; k += 1) out[at++] = data[k]!;
    }
    const escape = ESCAPES[data[i]!]!;
    for (let j = 0; j < escape.length; j += 1) out[at++] = escape[j]!;
    run = i + 1;
  }
  if (data.length > run) at += data.copy(out, at, run);
  out[at++] = 0x22;
  return at;
}
