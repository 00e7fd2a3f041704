// Reads a JSON file for the core and turns every way it can be wrong into one line that
// names the file and the place: line and column for bad syntax, a JSON path for bad shape.
import { readFileSync } from 'node:fs';
import { parse as parseTolerant, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import type { FileSink } from '../runtime/types.js';

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

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `${formatJsonPath([...issue.path, issue.keys[0] ?? ''])}: unknown key`;
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    // zod already ends the path with the discriminator; older versions did not.
    const path = issue.path.at(-1) === issue.discriminator ? issue.path : [...issue.path, issue.discriminator];
    return `${formatJsonPath(path)}: ${issue.message}`;
  }
  return `${formatJsonPath(issue.path)}: ${issue.message}`;
}

/** Validates a parsed value; the first problem becomes `<label>: <json path>: <why>`. */
export function validateWith<T>(schema: z.ZodType<T>, value: unknown, label: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})` : '';
  throw new InputError(`${label}: ${first ? describeIssue(first) : 'invalid'}${more}`);
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
