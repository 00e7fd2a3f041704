// Drives the built CLI (dist/) as a user would: a real child process in a throwaway repo.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readdirSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');

export type CliResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** A temp repo with the given codex.orchestrator.json (an object, or raw text). */
export function makeRepo(config?: unknown, files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'codex-orch-'));
  if (config !== undefined) {
    writeFileSync(join(root, 'codex.orchestrator.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('CODEX_') || key === 'MCP_RUNNER_TASK_ID') delete env[key];
  }
  return { ...env, ...extra };
}

export function startCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
  return { child, result };
}

export function runCliProcess(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Every file under `dir`, relative, sorted ([] when it does not exist). */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(d, entry.name), rel);
      else out.push(rel);
    }
  };
  walk(dir, '');
  return out.sort();
}

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function readNdjson(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
