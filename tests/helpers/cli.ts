// Drives the built CLI (dist/) as a user would: a real child process in a throwaway repo.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readdirSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkInvariants, formatViolation, type InvariantName, type Violation } from '../../src/harness/trace/invariants.js';
import { readTraceFile } from '../../src/harness/trace/read-trace.js';
import { isOrchestratorVariable } from '../../src/config/env-settings.js';

/** The bin users run: dist/src/cli/bin.cjs, the CLI bundled into one file (scripts/bundle-bin.mjs). */
export const CLI_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/bin.cjs');
/** The entry the bin is bundled from: its modules are the CLI's own (tests/integration/startup-modules.test.ts). */
export const CLI_ENTRY_PATH = join(dirname(CLI_PATH), 'main.js');

export type CliResult = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The run invariants this invocation broke, exemptions applied (always [] when it resolves: see startCli). */
  violations: Violation[];
};

/** A phase-0 pattern a test exercises on purpose, and the invariant it breaks there. */
export type InvariantExemption = {
  invariant: InvariantName;
  pattern: 'B1' | 'B2' | 'B3' | 'B4' | 'B5' | 'B6' | 'B7';
  /**
   * On a real clock some breaks depend on load (how late a timer fires, how long a write
   * takes): such an exemption may fire or not, and says why. Others must fire.
   */
  mayFire?: { why: string };
};

/**
 * Real clocks stall on a loaded machine: the heartbeat invariant allows the interval plus this
 * much for "one write" (the virtual clock of the golden replay allows nothing).
 */
export const REAL_WRITE_ALLOWANCE_MS = 2_000;

/** Checks the run invariants on the trace the CLI wrote; throws naming each unexpected or stale one. */
export function checkTraceInvariants(traceFile: string, exempt: InvariantExemption[] = []): Violation[] {
  if (!existsSync(traceFile)) return [];
  const { header, events } = readTraceFile(traceFile);
  const violations = checkInvariants(events, {
    originMs: header.origin_ms,
    heartbeatIntervalMs: header.heartbeat_interval_ms,
    writeAllowanceMs: REAL_WRITE_ALLOWANCE_MS,
  });
  const unexpected = violations.filter((v) => !exempt.some((e) => e.invariant === v.invariant));
  const stale = exempt.filter((e) => !e.mayFire && !violations.some((v) => v.invariant === e.invariant));
  if (unexpected.length > 0 || stale.length > 0) {
    const lines = [
      ...unexpected.map((v) => formatViolation(v)),
      ...stale.map((e) => `exemption no longer fires: ${e.invariant} (${e.pattern}); remove it from the test`),
    ];
    throw new Error(`run invariants (trace ${traceFile}):\n${lines.join('\n')}`);
  }
  return violations;
}

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
    if (isOrchestratorVariable(key)) delete env[key];
  }
  return { ...env, ...extra };
}

export type CliOptions = {
  cwd: string;
  env?: Record<string, string | undefined>;
  /**
   * Every CLI started here records a trace (CODEX_ORCHESTRATOR_TRACE) and its result rejects
   * when the run broke an invariant, unless the test names the phase-0 pattern it exercises.
   * `false` turns the check off (only for a process the test kills outright).
   */
  invariants?: { exempt?: InvariantExemption[] } | false;
};

export function startCli(args: string[], options: CliOptions): { child: ChildProcess; result: Promise<CliResult>; traceFile: string | null } {
  const traceFile = options.invariants === false ? null : join(mkdtempSync(join(tmpdir(), 'codex-trace-')), 'trace.ndjson');
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd,
    env: cleanEnv({ ...(traceFile ? { CODEX_ORCHESTRATOR_TRACE: traceFile } : {}), ...(options.env ?? {}) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      try {
        const violations = traceFile && options.invariants !== false ? checkTraceInvariants(traceFile, options.invariants?.exempt) : [];
        if (traceFile) rmSync(dirname(traceFile), { recursive: true, force: true });
        resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), violations });
      } catch (error) {
        reject(error as Error);
      }
    });
  });
  return { child, result, traceFile };
}

export function runCliProcess(args: string[], options: CliOptions): Promise<CliResult> {
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
