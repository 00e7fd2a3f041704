// What the review packet says first (issue 18, spec 0012): the verdict (green or red and why),
// each stage's log and what its output says (tests passed and failed, lint errors and
// warnings), the failing stages' last lines, and whether every golden change is declared by a
// touched spec. Read from the run directory: the manifest and each stage's event log.
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { stripTerminalEscapes } from '../../events/output-tail.js';
import type { ScenarioDiff } from '../golden/diff-base.js';

/** How many lines of a failed stage's output the packet shows. */
export const TAIL_LINES = 20;

/** A stage's output as printed (stdout and stderr in order, colours removed); null when its log cannot be read. */
export function stageOutput(root: string, logPath: string | null): string | null {
  if (logPath === null) return null;
  let text: string;
  try {
    text = readFileSync(join(root, logPath), 'utf8');
  } catch {
    return null;
  }
  const parts: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"exec:chunk"')) continue;
    try {
      const event = JSON.parse(line) as { type?: string; data?: unknown };
      if (event.type === 'exec:chunk' && typeof event.data === 'string') parts.push(event.data);
    } catch {
      // A line cut short (a run still writing): left out.
    }
  }
  return stripTerminalEscapes(parts.join(''));
}

/** The last `count` non-blank lines. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim().length > 0)
    .slice(-count);
}

/** The lint baseline: the errors and warnings the base is known to have (reports/lint-baseline.json). */
export type LintBaseline = { errors: number; warnings: number };
export const LINT_BASELINE_FILE = 'reports/lint-baseline.json';

export function readLintBaseline(root: string): LintBaseline | null {
  try {
    const value = JSON.parse(readFileSync(join(root, LINT_BASELINE_FILE), 'utf8')) as Partial<LintBaseline>;
    return typeof value.errors === 'number' && typeof value.warnings === 'number' ? { errors: value.errors, warnings: value.warnings } : null;
  } catch {
    return null;
  }
}

const signed = (n: number) => (n > 0 ? `+${n}` : n === 0 ? '±0' : String(n));

/**
 * What a stage's output says, in a few words: vitest's test counts, eslint's errors and
 * warnings (against the baseline), tsc's errors, prettier's unformatted files. Null when it
 * says none of these.
 */
export function stageFacts(output: string, succeeded: boolean, command: string | null, baseline: LintBaseline | null): string | null {
  const facts: string[] = [];
  const tests = /^\s*Tests\s+((?:\d+ [a-z ]+?)(?: \| \d+ [a-z ]+?)*)\s+\((\d+)\)\s*$/m.exec(output);
  if (tests) facts.push(`tests: ${tests[1]!.split(' | ').join(', ')} (of ${tests[2]})`);
  const tsc = output.match(/error TS\d+:/g);
  if (tsc) facts.push(`tsc: ${tsc.length} error(s)`);
  const prettier =
    /Code style issues found in (\d+) files?/.exec(output) ?? (/Code style issues found in the above file/.test(output) ? ['', '1'] : null);
  if (prettier) facts.push(`prettier: ${prettier[1]} file(s) not formatted`);
  const eslint = /✖ \d+ problems? \((\d+) errors?, (\d+) warnings?\)/.exec(output);
  const isLint = (command ?? '').includes('lint');
  if (eslint || (isLint && succeeded)) {
    const errors = eslint ? Number(eslint[1]) : 0;
    const warnings = eslint ? Number(eslint[2]) : 0;
    const against = baseline
      ? ` (baseline ${baseline.errors} and ${baseline.warnings}: ${signed(errors - baseline.errors)}, ${signed(warnings - baseline.warnings)})`
      : '';
    facts.push(`lint: ${errors} error(s), ${warnings} warning(s)${against}`);
  }
  return facts.length > 0 ? facts.join('; ') : null;
}

/** A path relative to the run directory, with forward slashes (a link in the packet). */
export const runDirLink = (root: string, runDir: string, repoPath: string) => relative(runDir, join(root, repoPath)).split(sep).join('/');

/** Changed golden files (repo paths) of the scenarios that change, and the touched specs' globs that cover each. */
export function goldenDeclarations(
  scenarios: ScenarioDiff[],
  specs: Array<{ file: string; golden_changes: string[] }>,
  corpus = 'golden',
): Array<{ path: string; coveredBy: string[] }> {
  const matchers = specs.map((s) => ({ file: s.file, match: s.golden_changes.map((g) => picomatch(g, { dot: true })) }));
  return scenarios.flatMap((s) =>
    s.differences.map((d) => {
      const path = `${corpus}/${s.name}/expected/${d.file}`;
      return { path, coveredBy: matchers.filter((m) => m.match.some((match) => match(path))).map((m) => m.file) };
    }),
  );
}

export type VerdictFacts = {
  /** Each stage's id, result and exit code; the one writing the packet is left out (a `running` one is another process's). */
  stages: Array<{ id: string; status: string; exit_code: number | null }>;
  /** The run's status and detail when it has ended (a packet written again afterwards), else null. */
  ended: { status: string; detail: string | null } | null;
  golden: { scenarios: ScenarioDiff[] } | { error: string };
  declarations: Array<{ path: string; coveredBy: string[] }>;
  specGuardViolations: number | null;
  benchOver: string[] | null;
  budgetOver: boolean | null;
  override: string | null;
  /** Why dist/ is older than its sources, when it is: the tools may have judged old code. */
  staleDist?: string | null;
  /** What exists and the lane did not run (src/harness/review/ran.ts): suites, scenarios, bench sections. */
  narrowed?: string[];
  /**
   * The stages that declared a report (`"report"` in codex.orchestrator.json), the one writing
   * the packet left out: what the review judges the run from. None (or not given): nothing was
   * reviewed, and the verdict says so instead of green.
   */
  declaredReports: string[];
};

/** green, red, or `not reviewed`: no stage declared a report, so the packet had nothing to judge. */
export type Verdict = { green: boolean; reviewed: boolean; reasons: string[]; golden: string; line: string };

/** The reason a packet with no declared report gives, first. */
export const NOTHING_REVIEWED = 'no stage declared a report ("report" in codex.orchestrator.json), so there was nothing to review';

/** Green when every stage (but the one writing the packet) passed and nothing the lane gates on says otherwise. */
export function verdictOf(f: VerdictFacts): Verdict {
  const reasons: string[] = [];
  // Every stage passing says nothing when no stage said what it checked (a run of `exec true`,
  // a pipeline without `report` fields): never green.
  const reviewed = (f.declaredReports ?? []).length > 0;
  if (!reviewed) reasons.push(NOTHING_REVIEWED);
  if (f.staleDist) reasons.push(f.staleDist);
  for (const c of f.stages) if (c.status === 'failed') reasons.push(`stage ${c.id} failed${c.exit_code === null ? '' : ` (exit ${c.exit_code})`}`);
  // A stage of another process that has not finished: the run is still going, or its process died.
  for (const c of f.stages)
    if (c.status === 'running') reasons.push(`stage ${c.id} did not finish (its run is in progress elsewhere, or its process died)`);
  const notRun = f.stages.filter((c) => c.status === 'pending').length;
  if (reasons.length > 0 && notRun > 0) reasons.push(`${notRun} stage(s) not run`);
  if (f.ended?.status === 'cancelled') reasons.push(`run ${f.ended.detail ?? 'cancelled'}`);
  // What a tool's report says, unless its own stage's failure already says it.
  const failed = (id: string) => f.stages.some((c) => c.id === id && c.status === 'failed');
  if (f.specGuardViolations && !failed('spec-guard')) reasons.push(`${f.specGuardViolations} spec guard violation(s)`);
  if (f.benchOver && f.benchOver.length > 0 && !failed('bench')) reasons.push(`bench over budget: ${f.benchOver.join(', ')}`);
  if (f.budgetOver && !f.override && !failed('diff-budget')) reasons.push('diff over budget');
  // No silent narrowing: a suite, scenario or bench section left out is a reason, as a failure is.
  reasons.push(...(f.narrowed ?? []));
  let golden: string;
  let goldenShort: string;
  if ('error' in f.golden) {
    golden = `golden diff not available (${f.golden.error})`;
    goldenShort = 'golden diff not available';
  } else {
    const changed = f.golden.scenarios.filter((s) => s.differences.length > 0 || s.error);
    const undeclared = f.declarations.filter((d) => d.coveredBy.length === 0).length;
    golden =
      changed.length === 0
        ? `0 of ${f.golden.scenarios.length} golden scenarios change`
        : `${changed.length} of ${f.golden.scenarios.length} golden scenarios change, ${undeclared === 0 ? 'every changed file declared by a touched spec' : `${undeclared} changed file(s) not declared by a touched spec`}`;
    goldenShort =
      changed.length === 0
        ? golden
        : `${changed.length} of ${f.golden.scenarios.length} golden scenarios change, ${undeclared === 0 ? 'all declared' : `${undeclared} file(s) undeclared`}`;
    if (undeclared > 0) reasons.push(`${undeclared} golden file(s) changed without a touched spec declaring them`);
    const errors = changed.filter((s) => s.error).length;
    if (errors > 0) reasons.push(`${errors} golden scenario(s) could not be replayed`);
  }
  const green = reasons.length === 0;
  // One line short enough to be a stage's summary (200 characters, cut at the front): the first reason and how many more.
  const why = green ? 'every stage passed' : `${reasons[0]}${reasons.length > 1 ? ` (+${reasons.length - 1} more)` : ''}`;
  return { green, reviewed, reasons, golden, line: `${green ? 'green' : reviewed ? 'red' : 'not reviewed'}: ${why}; ${goldenShort}` };
}
