// The built golden tool (the bin the npm script runs) on a copy of part of the corpus, for the
// suites that drive the golden workflow from outside: tests/golden/workflow.test.ts and
// tests/golden/review-shard.test.ts.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, TOOLS } from './git-repo.js';

/** Copies the named scenarios of the project's corpus into `dir`, which it returns. */
export function copyScenarios(dir: string, names: string[]): string {
  for (const name of names) cpSync(join(PROJECT_ROOT, 'golden', name), join(dir, name), { recursive: true });
  return dir;
}

/** `golden --corpus <corpus> ...args`, with CI unset (or CI=true when `ci`). */
export function goldenCli(corpus: string, args: string[], ci = false) {
  const env = { ...process.env };
  delete env.CI;
  if (ci) env.CI = 'true';
  const result = spawnSync(process.execPath, [TOOLS.golden, '--corpus', corpus, ...args], { env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, all: `${result.stdout}${result.stderr}` };
}

/** The expected manifest of a scenario's run, from its first invocation's JSON output. */
export function manifestPathOf(corpus: string, scenario: string): string {
  const stdout = readFileSync(join(corpus, scenario, 'expected/cli/1.stdout'), 'utf8');
  return join(corpus, scenario, 'expected/files', (JSON.parse(stdout) as { manifest: string }).manifest);
}
