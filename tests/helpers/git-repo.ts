// Throwaway git repositories for the lane's tools (spec guard, diff budget, docs check,
// review) and a way to run those tools (built, under dist/) in them as a user would: a real
// child process whose cwd is the repo, with an environment that nothing outside the test leaks
// into (no BASE_SHA, no override reason, no CODEX_* run variables, no user or system git config).
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { stringify } from 'yaml';
import type { CliResult } from './cli.js';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The lane's tools as the npm scripts run them: each bundled into one file (scripts/bundle-bin.mjs). */
export const TOOLS = {
  cli: join(PROJECT_ROOT, 'dist/src/cli/bin.cjs'),
  specGuard: join(PROJECT_ROOT, 'dist/src/harness/spec-guard/bin.cjs'),
  diffBudget: join(PROJECT_ROOT, 'dist/src/harness/diff-budget/bin.cjs'),
  docsCheck: join(PROJECT_ROOT, 'dist/src/harness/docs-check/bin.cjs'),
  review: join(PROJECT_ROOT, 'dist/src/harness/review/bin.cjs'),
  golden: join(PROJECT_ROOT, 'dist/src/harness/golden/bin.cjs'),
  bench: join(PROJECT_ROOT, 'dist/bench/run-bench.js'),
} as const;

/** The review as a stage of a pipeline, as the lane has it: always run, writing its packet, declaring its ran.json. */
export const reviewStage = (title = 'Review') =>
  ({ kind: 'command', id: 'review', title, command: `node '${TOOLS.review}' --no-golden-diff`, always: true, report: 'ran.json' }) as const;

/** Variables that would change what the tools judge, removed from every child's environment. */
const LEAKY = /^(CODEX_|GIT_)|^(MCP_RUNNER_TASK_ID|BASE_SHA|DIFF_BUDGET_OVERRIDE_REASON|CI)$/;

/** The environment of git and of the tools: the test's own, minus anything leaky, plus `extra`. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !LEAKY.test(key)) env[key] = value;
  Object.assign(env, {
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Lane Tests',
    GIT_AUTHOR_EMAIL: 'lane-tests@example.invalid',
    GIT_COMMITTER_NAME: 'Lane Tests',
    GIT_COMMITTER_EMAIL: 'lane-tests@example.invalid',
  });
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function requireBuiltTools(): void {
  for (const path of Object.values(TOOLS)) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` before the harness tests`);
  }
}

/** Runs `node <script> ...args` in `cwd` with a clean environment (plus `env`). */
export function runNode(script: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const child = spawn(process.execPath, [script, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

export class GitRepo {
  constructor(readonly root: string) {}

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.root, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  path(rel: string): string {
    return join(this.root, rel);
  }

  write(rel: string, text: string | Buffer): this {
    mkdirSync(dirname(this.path(rel)), { recursive: true });
    writeFileSync(this.path(rel), text);
    return this;
  }

  writeAll(files: Record<string, string | Buffer>): this {
    for (const [rel, text] of Object.entries(files)) this.write(rel, text);
    return this;
  }

  append(rel: string, text: string): this {
    appendFileSync(this.path(rel), text);
    return this;
  }

  read(rel: string): string {
    return readFileSync(this.path(rel), 'utf8');
  }

  remove(rel: string): this {
    rmSync(this.path(rel), { recursive: true, force: true });
    return this;
  }

  /** `git add -A` and commit; returns the new HEAD. */
  commit(message = 'change'): string {
    this.git('add', '-A');
    this.git('commit', '-q', '--no-verify', '--allow-empty', '-m', message);
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }

  /** Runs one of TOOLS (or any node script) in this repo. */
  run(script: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<CliResult> {
    return runNode(script, args, { cwd: this.root, env });
  }
}

/**
 * Call once at the top of a test file: returns `repo(files)`, which makes a throwaway repo
 * (`git init -b main`), writes `files` and commits them as the base when there are any. Every
 * repo is removed after the file's tests (KEEP_TEST_REPOS=1 keeps them).
 */
export function useGitRepos(): (files?: Record<string, string | Buffer>, options?: { commit?: boolean }) => GitRepo {
  requireBuiltTools();
  const made: string[] = [];
  afterAll(() => {
    if (process.env.KEEP_TEST_REPOS) return;
    for (const root of made) rmSync(root, { recursive: true, force: true });
  });
  return (files = {}, options = {}) => {
    const root = mkdtempSync(join(tmpdir(), 'codex-lane-'));
    made.push(root);
    const repo = new GitRepo(root);
    repo.git('init', '-q', '-b', 'main');
    repo.writeAll(files);
    if (options.commit ?? Object.keys(files).length > 0) repo.commit('base');
    return repo;
  };
}

export type SpecFields = {
  id?: unknown;
  title?: unknown;
  relates_to?: unknown;
  risk?: unknown;
  owners?: unknown;
  last_review?: unknown;
  status?: unknown;
  phase?: unknown;
  golden_changes?: unknown;
  [extra: string]: unknown;
};

/**
 * A spec file (`tasks/specs/*.md`): valid front matter by default; a field set to undefined is
 * left out, any other key is written as given (so unknown fields and bad values are easy).
 */
export function specText(fields: SpecFields, body = 'What the change is and why.\n'): string {
  const defaults: SpecFields = {
    id: 'spec',
    title: 'A spec',
    relates_to: 'the lane tests',
    risk: 'low',
    owners: ['lane tests'],
    last_review: '2026-06-01',
    status: 'active',
  };
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries({ ...defaults, ...fields })) if (value !== undefined) merged[key] = value;
  return `---\n${stringify(merged)}---\n\n# ${String(merged.title ?? 'Spec')}\n\n${body}`;
}

/** `n` numbered lines, each ending with a newline. */
export function lines(n: number, prefix = 'line'): string {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join('');
}
