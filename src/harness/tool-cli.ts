// The shared shell of the lane's tools (spec guard, diff budget, docs check, review): one
// commander program, bad usage and bad input as one line with exit 2, an optional JSON
// copy of the result for the review packet.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OrchestratorError, errorMessage } from '../errors.js';
import { makeDirectoriesSync } from '../runtime/make-directories.js';

/**
 * What the user typed after `npm run <script> --`, with the folder they typed it in. npm runs a
 * script in the package root and appends those words to the script's own: the script's words
 * are the package's paths (from its root), the appended ones the user's (from INIT_CWD, as the
 * shell would read them). Only for the process npm started for the script itself (its line
 * names this file), and only for a line without quotes or shell syntax, whose words can be
 * counted; otherwise null, and every path is read from the cwd.
 */
function typedAfterScript(): { dir: string; args: string[] } | null {
  const script = process.env.npm_lifecycle_script;
  const init = process.env.INIT_CWD;
  const entry = process.argv[1];
  if (!script || !init || !entry || /["'`\\$;&|<>()]/.test(script)) return null;
  const words = script.trim().split(/\s+/);
  const at = words.findIndex((word) => resolve(word) === resolve(entry));
  if (at < 0) return null;
  return { dir: init, args: process.argv.slice(2 + (words.length - at - 1)) };
}

/**
 * A path from the command line, absolute: one the user typed after `npm run <script> --` from a
 * subfolder is read from that folder (`cd src && npm run golden -- check --out ../r.json` writes
 * the package's r.json); any other, from the cwd.
 */
export function userPath(value: string): string {
  const typed = typedAfterScript();
  const byUser = typed !== null && typed.args.some((arg) => arg === value || arg.endsWith(`=${value}`));
  return resolve(byUser ? typed.dir : process.cwd(), value);
}

export function writeJsonOut(path: string | undefined, value: unknown): void {
  if (!path) return;
  const target = resolve(path);
  makeDirectoriesSync(dirname(target));
  writeFileSync(target, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * `--out <file>`, checked when the flag is read, before any work: not empty, not a directory,
 * and its directory made (a path under a file or under /proc fails here, one line, exit 2,
 * instead of after a whole run).
 */
export function outFile(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a file path');
  const target = userPath(value);
  if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError('is a directory; give a file path');
  try {
    makeDirectoriesSync(dirname(target));
  } catch (error) {
    const { path, code } = error as { path?: string; code?: string };
    throw new InvalidArgumentError(`could not create ${path ?? dirname(target)}: ${code ?? String(error)}`);
  }
  return target;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function isoDate(value: string): string {
  // A calendar date: Date.parse rolls 2026-02-30 over to March, so the date must come back the same.
  const time = Date.parse(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value)
    throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  return value;
}

/** Runs a tool's program; returns its exit code (2 for bad usage or input, never a stack trace). */
/** A reader that stops early (`… | head -1`) closes the pipe: the rest of the output is dropped, never an unhandled EPIPE. */
let pipeGuarded = false;
function ignoreClosedPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

export async function runTool(name: string, argv: string[], build: (program: Command, setExit: (code: number) => void) => void): Promise<number> {
  ignoreClosedPipe();
  let code = 0;
  const program = new Command(name).exitOverride().configureOutput({
    outputError: (text, write) => write(text.replace(/\n(?=\(Did you mean)/g, ' ')),
  });
  build(program, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`${name}: ${errorMessage(error)}\n`);
    return error instanceof OrchestratorError ? error.exitCode : 1;
  }
}

/** True when this module is the process entry (so the tool runs when executed, not when imported). */
export function isMain(importMetaUrl: string): boolean {
  return Boolean(process.argv[1]) && resolve(process.argv[1]!) === fileURLToPath(importMetaUrl);
}
