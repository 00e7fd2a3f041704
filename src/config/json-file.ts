// Reads a JSON file for the core and turns every way it can be wrong into one line that
// names the file and the place: line and column for bad syntax, a JSON path for bad shape.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import type { FileSink } from '../runtime/types.js';

const require = createRequire(import.meta.url);

const PARSE_MESSAGES: Record<string, string> = {
  PropertyNameExpected: 'expected a double-quoted property name',
  ValueExpected: 'expected a value',
  CloseBraceExpected: "expected ',' or '}'",
  CloseBracketExpected: "expected ',' or ']'",
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  EndOfFileExpected: 'unexpected content after the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text[i] === '\n') {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Parses JSON text; a syntax error becomes `<label>: invalid JSON at line L, column C: <why>`. */
export function parseJsonText(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // Some editors save UTF-8 with a byte order mark: say so, not "unexpected character" at 1:1.
    if (text.startsWith('\uFEFF')) throw new InputError(`${label}: starts with a byte order mark (U+FEFF); save it as UTF-8 without one`);
    // The tolerant parser, only to place the error: required here, so valid JSON never loads it.
    const { parse: parseTolerant, printParseErrorCode } = require('jsonc-parser') as typeof import('jsonc-parser');
    const errors: ParseError[] = [];
    parseTolerant(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
    const first = errors[0];
    if (!first) throw new InputError(`${label}: invalid JSON: ${(error as Error).message}`);
    const { line, column } = lineAndColumn(text, first.offset);
    const code = printParseErrorCode(first.error);
    throw new InputError(`${label}: invalid JSON at line ${line}, column ${column}: ${PARSE_MESSAGES[code] ?? code}`);
  }
}

/** `pipelines[0].stages[1].command`; the root is `(root)`. */
export function formatJsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(root)';
}

/** Every object key a schema knows, at any depth: what an unknown key is compared with. */
const knownKeysCache = new WeakMap<object, string[]>();
type ZodDef = {
  type?: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  valueType?: unknown;
  innerType?: unknown;
  in?: unknown;
  options?: unknown[];
};
const defOf = (node: unknown): ZodDef | undefined => (node as { _zod?: { def?: ZodDef } } | null)?._zod?.def;

/** The object, array and record schemas a node stands for (through optional, default, pipe and union). */
function concrete(node: unknown, depth = 0): unknown[] {
  const def = defOf(node);
  if (def === undefined || depth > 20) return [];
  if (def.options) return def.options.flatMap((option) => concrete(option, depth + 1));
  if (def.innerType) return concrete(def.innerType, depth + 1);
  if (def.in && def.type === 'pipe') return concrete(def.in, depth + 1);
  return [node];
}

/** The keys the object at `path` may have (every option of a union at that place); null when the path leads to no object. */
function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] | null {
  let nodes: unknown[] = [schema];
  for (const segment of path) {
    nodes = nodes.flatMap((node) =>
      concrete(node).flatMap((n) => {
        const def = defOf(n)!;
        if (def.shape && typeof segment === 'string' && segment in def.shape) return [def.shape[segment]];
        if (def.type === 'array' && typeof segment === 'number') return [def.element];
        if (def.type === 'record') return [def.valueType];
        return [];
      }),
    );
  }
  const keys = new Set<string>();
  for (const node of nodes.flatMap((n) => concrete(n))) for (const key of Object.keys(defOf(node)?.shape ?? {})) keys.add(key);
  return keys.size > 0 ? [...keys] : null;
}

function knownKeys(schema: z.ZodType): string[] {
  const cached = knownKeysCache.get(schema);
  if (cached) return cached;
  const keys = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (def === undefined) return;
    for (const [name, value] of Object.entries(def)) {
      if (name === 'shape' && value !== null && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          keys.add(key);
          walk(child);
        }
      } else if (Array.isArray(value)) {
        value.forEach(walk);
      } else {
        walk(value);
      }
    }
  };
  walk(schema);
  const list = [...keys];
  knownKeysCache.set(schema, list);
  return list;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known key an unknown one most likely meant: the same but for case, else one or two edits away. */
export function didYouMean(key: string, known: string[]): string | null {
  const sameCase = known.find((k) => k.toLowerCase() === key.toLowerCase());
  if (sameCase) return sameCase;
  let best: { key: string; distance: number } | null = null;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance <= 2 && distance < key.length / 2 && (best === null || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key ?? null;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    // zod already ends the path with the discriminator; older versions did not.
    const path = issue.path.at(-1) === issue.discriminator ? issue.path : [...issue.path, issue.discriminator];
    return `${formatJsonPath(path)}: ${issue.message}`;
  }
  return `${formatJsonPath(issue.path)}: ${issue.message}`;
}

/** How many problems one error line lists. */
export const MAX_LISTED_PROBLEMS = 5;

/**
 * Validates a parsed value. The problems become one line, `<label>: <json path>: <why>; …`:
 * unknown keys first (a misspelt key is the likeliest mistake, and it explains the problems
 * after it), each with the key it most likely meant, then the others, at most five, then how
 * many more.
 */
export function validateWith<T>(schema: z.ZodType<T>, value: unknown, label: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const unknown: string[] = [];
  const others: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        // The keys of the object the unknown key is in (a stage's keys for a stage), else every key the schema knows.
        const meant = didYouMean(key, keysAt(schema, issue.path) ?? knownKeys(schema));
        unknown.push(`${formatJsonPath([...issue.path, key])}: unknown key${meant ? ` (did you mean ${meant}?)` : ''}`);
      }
    } else {
      others.push(describeIssue(issue));
    }
  }
  // One problem once: a value can break two rules that say the same (1e99: not a safe integer, and over the maximum).
  const problems = [...new Set([...unknown, ...others])];
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  const rest = problems.length - listed.length;
  const more = rest > 0 ? ` (and ${rest} more problem${rest === 1 ? '' : 's'})` : '';
  throw new InputError(`${label}: ${listed.length > 0 ? listed.join('; ') : 'invalid'}${more}`);
}

/**
 * Reads and parses a JSON file; undefined when it does not exist. With `maxBytes`, a larger
 * file is refused (one line) after reading only that much of it.
 */
export async function readJsonFile(fs: FileSink, path: string, label: string, maxBytes?: number): Promise<unknown | undefined> {
  let data: Buffer;
  try {
    data = maxBytes === undefined ? await fs.readFile(path) : await fs.readPrefix(path, maxBytes + 1);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`${label}: cannot be read: ${(error as Error).message}`);
  }
  if (maxBytes !== undefined && data.length > maxBytes) throw new InputError(`${label}: cannot be read: larger than ${maxBytes} bytes`);
  return parseJsonText(data.toString('utf8'), label);
}

/**
 * Reads a JSON file from the local disk (the harness's, the bench's and the golden corpus's
 * own files): undefined when it does not exist; unreadable, bad syntax or (with a schema) a
 * bad shape is one line naming `label` and the place.
 */
export function readLocalJson(path: string, label: string): unknown | undefined;
export function readLocalJson<T>(path: string, label: string, schema: z.ZodType<T>): T | undefined;
export function readLocalJson<T>(path: string, label: string, schema?: z.ZodType<T>): unknown | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`${label}: cannot be read: ${(error as Error).message}`);
  }
  const value = parseJsonText(text, label);
  return schema ? validateWith(schema, value, label) : value;
}
