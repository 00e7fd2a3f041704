// One ESLint run over src/ per vitest worker for the suites that check that a project rule
// (codex/*) has no report there: each used to lint all of src/ with its own rule alone, about
// 2.3 s apiece. A rule's reports do not depend on which other rules run, so each suite reads
// its own rule's messages from the shared results.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let results: Promise<ESLint.LintResult[]> | null = null;

/** The project's own rules (codex/*) over src/**\/*.ts, linted once per worker. */
function lintSrc(): Promise<ESLint.LintResult[]> {
  results ??= new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => ruleId.startsWith('codex/') }).lintFiles(['src/**/*.ts']);
  return results;
}

/** Every message of `ruleId` in src/, with its file. */
export async function srcReports(ruleId: string): Promise<Array<ESLint.LintResult['messages'][number] & { filePath: string }>> {
  return (await lintSrc()).flatMap((r) => r.messages.filter((m) => m.ruleId === ruleId).map((m) => ({ ...m, filePath: r.filePath })));
}
