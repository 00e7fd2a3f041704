// `JSON.stringify(value, null, 2)`, as a stream of pieces: the same text in UTF-8, byte for
// byte, without ever holding it whole. run-summary.json is written this way, so its size is
// bounded by the disk, not by the longest string V8 can make (B4 at 1 GiB of output: "Invalid
// string length"). A chunk's text held as its bytes (`Utf8JsonString`) goes out as it is
// written, one chunk at a time.
import { Utf8JsonString } from '../runtime/chunk-payload.js';

/** A piece's size: large enough that writing a summary of a gigabyte is a thousand writes, not sixteen thousand. */
const PIECE = 1024 * 1024;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What JSON.stringify does with a value before writing it: toJSON, and undefined for what it skips. */
function prepare(value: unknown, key: string): unknown {
  if (value instanceof Utf8JsonString) return value;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  return value;
}

const skipped = (value: unknown) => value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** The text in pieces: strings, and chunks' texts as their bytes. */
function* pieces(value: unknown, indent: string): Generator<string | Utf8JsonString> {
  if (value instanceof Utf8JsonString) {
    yield value;
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    const inner = `${indent}  `;
    yield '[\n';
    for (let i = 0; i < value.length; i += 1) {
      const item = prepare(value[i], String(i));
      yield inner;
      if (skipped(item)) yield 'null';
      else yield* pieces(item, inner);
      yield i < value.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}]`;
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries: Array<[string, unknown]> = [];
    for (const key of Object.keys(value)) {
      const item = prepare((value as Record<string, unknown>)[key], key);
      if (!skipped(item)) entries.push([key, item]);
    }
    if (entries.length === 0) {
      yield '{}';
      return;
    }
    const inner = `${indent}  `;
    yield '{\n';
    for (let i = 0; i < entries.length; i += 1) {
      const [key, item] = entries[i]!;
      yield `${inner}${JSON.stringify(key)}: `;
      yield* pieces(item, inner);
      yield i < entries.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}}`;
    return;
  }
  // A primitive (a string, number, boolean or null, or a BigInt, which throws as in JSON.stringify).
  yield JSON.stringify(value as Json);
}

/**
 * The UTF-8 bytes of `JSON.stringify(value, null, 2)` followed by a line feed, in pieces of
 * about 1 MiB: a piece goes out when the next part does not fit in it, and is only longer
 * when one string or chunk is. Each piece is a new buffer: the consumer may keep it.
 */
export function* prettyJsonPieces(value: unknown): Generator<Buffer> {
  let piece = Buffer.allocUnsafe(PIECE);
  let used = 0;
  /** Room for `length` more bytes: the piece so far goes out when it is full. */
  function* room(length: number): Generator<Buffer> {
    if (used + length <= piece.length) return;
    if (used > 0) yield piece.subarray(0, used);
    piece = Buffer.allocUnsafe(Math.max(PIECE, length));
    used = 0;
  }
  const root = prepare(value, '');
  for (const part of skipped(root) ? [] : pieces(root, '')) {
    if (part instanceof Utf8JsonString) {
      // Valid UTF-8 read as latin1 is one byte per character, and JSON.stringify escapes only
      // below 0x20, '"' and '\\' there, so writing the literal back as latin1 gives its exact
      // UTF-8 JSON form; natively, and faster than writeJsonString on text full of escapes.
      // The strings it makes live for this one piece only.
      const literal = JSON.stringify(part.bytes.toString('latin1'));
      yield* room(literal.length);
      used += piece.write(literal, used, 'latin1');
    } else {
      const length = Buffer.byteLength(part, 'utf8');
      yield* room(length);
      used += piece.write(part, used, 'utf8');
    }
  }
  yield* room(1);
  piece[used] = 0x0a;
  used += 1;
  yield piece.subarray(0, used);
}
