// `JSON.stringify(value, null, 2)`, as a stream of pieces: the same text, byte for byte, without
// ever holding it whole. run-summary.json is written this way, so its size is bounded by the
// disk, not by the longest string V8 can make (B4 at 1 GiB of output: "Invalid string length").

const PIECE = 64 * 1024;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What JSON.stringify does with a value before writing it: toJSON, and undefined for what it skips. */
function prepare(value: unknown, key: string): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  return value;
}

const skipped = (value: unknown) => value === undefined || typeof value === 'function' || typeof value === 'symbol';

function* pieces(value: unknown, indent: string): Generator<string> {
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
 * The text of `JSON.stringify(value, null, 2)` followed by a line feed, in pieces of about
 * 64 KiB (small pieces are joined, one long string is passed through as it is).
 */
export function* prettyJsonPieces(value: unknown): Generator<string> {
  let buffer = '';
  const root = prepare(value, '');
  for (const piece of skipped(root) ? [] : pieces(root, '')) {
    buffer += piece;
    if (buffer.length >= PIECE) {
      yield buffer;
      buffer = '';
    }
  }
  buffer += '\n';
  yield buffer;
}
