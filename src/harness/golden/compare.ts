// Compares a scenario's replay outputs with its expected files and says, for a reviewer,
// exactly what differs: by JSON path for JSON and NDJSON files, as a unified diff otherwise.
import { createTwoFilesPatch, diffArrays } from 'diff';
import { diffJson, formatJsonChange } from './json-diff.js';

export type FileDifference =
  | { kind: 'changed'; file: string; details: string[] }
  | { kind: 'new'; file: string; details: string[] }
  | { kind: 'stale'; file: string; details: string[] };

const MAX_DETAIL_LINES = 40;

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Each line's JSON value, or null when a line is not JSON. `seen` holds the lines already
 * parsed (the other version's): an expected file and its replay share all but a few lines, so
 * each distinct line is parsed once; the values are only read.
 */
function parseNdjson(text: string, seen: Map<string, unknown>): unknown[] | null {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const values: unknown[] = [];
  for (const line of lines) {
    if (seen.has(line)) {
      values.push(seen.get(line));
      continue;
    }
    const parsed = parseJson(line);
    if (!parsed.ok) return null;
    seen.set(line, parsed.value);
    values.push(parsed.value);
  }
  return values;
}

function cap(lines: string[]): string[] {
  if (lines.length <= MAX_DETAIL_LINES) return lines;
  return [...lines.slice(0, MAX_DETAIL_LINES), `... and ${lines.length - MAX_DETAIL_LINES} more`];
}

/** `$.a`, `$[0]` and, for a change of the whole value, `$` (not `$.`). */
const jsonPathLine = (line: string) => line.replace('$.(root)', '$').replace('$.:', '$:').replace('$.[', '$[');

const shortJson = (value: unknown) => JSON.stringify(value).slice(0, 160);

/**
 * NDJSON differences line by line, aligned by a line diff: an inserted or dropped line (a
 * write more or less in a timeline) is one `added`/`removed` line, not a shift of every line
 * after it; a changed line is shown by JSON path (`line 12 $.state.run: … -> …`).
 */
function describeNdjson(a: string, b: string, na: unknown[], nb: unknown[]): string[] {
  const split = (text: string) => {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  };
  const out: string[] = [];
  let oldLine = 0;
  let newLine = 0;
  let removed: number[] = [];
  const flushRemoved = () => {
    for (const i of removed) out.push(`line ${i + 1}: removed ${shortJson(na[i])}`);
    removed = [];
  };
  for (const part of diffArrays(split(a), split(b))) {
    const count = part.value.length;
    if (part.removed) {
      for (let k = 0; k < count; k += 1) removed.push(oldLine + k);
      oldLine += count;
    } else if (part.added) {
      for (let k = 0; k < count; k += 1) {
        const j = newLine + k;
        const i = removed.shift();
        if (i === undefined) {
          out.push(`line ${j + 1}: added ${shortJson(nb[j])}`);
          continue;
        }
        const where = i === j ? `line ${j + 1}` : `line ${i + 1}->${j + 1}`;
        for (const c of diffJson(na[i], nb[j])) out.push(jsonPathLine(formatJsonChange(c, `${where} $.`)));
      }
      newLine += count;
      flushRemoved();
    } else {
      flushRemoved();
      oldLine += count;
      newLine += count;
    }
  }
  flushRemoved();
  return out;
}

/** Human-readable differences between two versions of one file. */
export function describeDifference(file: string, expected: Buffer, actual: Buffer): string[] {
  const a = expected.toString('utf8');
  const b = actual.toString('utf8');
  const ja = parseJson(a);
  const jb = parseJson(b);
  if (ja.ok && jb.ok) {
    const changes = diffJson(ja.value, jb.value);
    const lines = changes.map((c) => jsonPathLine(formatJsonChange(c, '$.')));
    if (lines.length > 0) return cap(lines);
  } else {
    const seen = new Map<string, unknown>();
    const na = parseNdjson(a, seen);
    const nb = na && parseNdjson(b, seen);
    if (na && nb && (na.length > 0 || nb.length > 0)) {
      const lines = describeNdjson(a, b, na, nb);
      if (lines.length > 0) return cap(lines);
    }
  }
  // Same JSON value but other bytes (whitespace, encoding), or not JSON: a unified diff.
  if (a === b) return [`bytes differ (${expected.length} -> ${actual.length} bytes) but decode to the same text`];
  const patch = createTwoFilesPatch(`expected/${file}`, `actual/${file}`, a, b, '', '', { context: 2 });
  return cap(patch.split('\n').slice(1).filter((line) => line.length > 0));
}

/** Compares outputs with expected files; every byte counts. */
export function compareOutputs(expected: Map<string, Buffer>, actual: Map<string, Buffer>): FileDifference[] {
  const out: FileDifference[] = [];
  for (const [file, data] of actual) {
    const want = expected.get(file);
    if (!want) out.push({ kind: 'new', file, details: [`not in expected/ (${data.length} bytes)`] });
    else if (!want.equals(data)) out.push({ kind: 'changed', file, details: describeDifference(file, want, data) });
  }
  for (const file of expected.keys()) {
    if (!actual.has(file)) out.push({ kind: 'stale', file, details: ['expected file that the scenario no longer produces'] });
  }
  return out.sort((x, y) => (x.file < y.file ? -1 : x.file > y.file ? 1 : 0));
}
