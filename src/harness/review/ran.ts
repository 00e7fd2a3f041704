// What the lane ran (issue 19: "the lane's manifest listing exactly which suites, scenarios and
// checks ran"): from the reports the lane's stages declare (their manifest entries name them:
// docs/contracts.md §2 `report`), every test suite with its counts, every golden scenario,
// every bench section and how many figures it held against a budget, and each stage with its
// command; then what exists but did not run: a suite on disk that vitest did not report, a
// scenario in the corpus the golden check left out, a bench section not measured. The review
// writes it as ran.json (its own report) and shows it; anything not run makes the packet red.
import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { filesUnder } from '../repo-files.js';
import picomatch from 'picomatch';
import { z } from 'zod';
import type { Manifest } from '../../manifest/schema.js';
import { TEST_INCLUDE } from '../test-suites.js';

/** The bench's sections (bench/run-bench.ts): `--check` in the lane measures all four. */
export const BENCH_SECTIONS = ['counts', 'memory', 'latency', 'gap'] as const;

const vitestReportSchema = z.looseObject({
  testResults: z.array(
    z.looseObject({
      name: z.string(),
      assertionResults: z.array(z.looseObject({ fullName: z.string(), status: z.string() })),
    }),
  ),
});
const goldenReportSchema = z.looseObject({
  tool: z.literal('golden check'),
  partial: z.boolean(),
  scenarios: z.array(z.looseObject({ name: z.string(), passed: z.boolean() })),
});
const benchReportSchema = z.looseObject({
  results: z.record(z.string(), z.unknown()),
  verdicts: z.array(z.looseObject({ figure: z.string(), gates: z.boolean().optional() })).optional(),
});

export type SuiteRan = { file: string; tests: number; passed: number; failed: number; skipped: number };
export type Ran = {
  version: 1;
  /** Each stage with its command, result and declared report (repo-relative; null when not written). */
  stages: Array<{ id: string; status: string; command: string | null; declared: boolean; report: string | null }>;
  /** null: the test stage left no report. */
  suites: SuiteRan[] | null;
  skipped_tests: string[];
  scenarios: Array<{ name: string; passed: boolean }> | null;
  bench: { sections: string[]; figures: number } | null;
  /** What exists and did not run. */
  not_run: { suites: string[]; scenarios: string[]; bench_sections: string[] };
  /** A report a stage declared that could not be read: `<file>: <why>`. */
  problems: string[];
  /** The review's own stage (its report is this ran.json, not written yet while it runs): no evidence of what ran. */
  own_stage?: string | null;
};

/** The test suites on disk (vitest's include), repo-relative, sorted. */
export function suitesOnDisk(root: string): string[] {
  const match = picomatch(TEST_INCLUDE);
  const files: string[] = [];
  for (const top of new Set(TEST_INCLUDE.map((glob) => glob.split('/')[0]!)))
    filesUnder(root, top, (name) => name !== 'node_modules' && name !== 'dist' && !name.startsWith('.'), files);
  return files.filter((f) => match(f)).sort();
}

/**
 * What ran, from the manifest's declared reports; `scenarios` are the corpus's (every one
 * the golden check should have run).
 */
export function whatRan(root: string, manifest: Manifest, corpusScenarios: string[], own: string | null = null): Ran {
  const stages = manifest.commands.map((c) => ({
    id: c.id,
    status: c.status,
    command: c.command,
    declared: c.report !== undefined,
    report: c.report ?? null,
  }));
  const problems: string[] = [];
  let suites: SuiteRan[] | null = null;
  let skipped: string[] = [];
  let scenarios: Ran['scenarios'] = null;
  let bench: Ran['bench'] = null;
  for (const entry of manifest.commands) {
    if (!entry.report) continue;
    const text = (() => {
      try {
        return JSON.parse(readFileSync(resolve(root, entry.report), 'utf8')) as unknown;
      } catch (error) {
        problems.push(`${entry.report}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    })();
    if (text === undefined) continue;
    // Which kind a report is, from what names it; one of these that does not parse is a problem,
    // never taken for another kind's or for none. Each is parsed once.
    const kind = reportKind(text);
    const parse = <T>(schema: z.ZodType<T>): T | undefined => {
      const result = schema.safeParse(text);
      if (result.success) return result.data;
      const issue = result.error.issues[0]!;
      problems.push(`${entry.report}: not a valid ${kind} report (${issue.path.join('.') || '(root)'}: ${issue.message})`);
      return undefined;
    };
    if (kind === 'tests') {
      const tests = parse(vitestReportSchema);
      if (!tests) continue;
      suites = tests.testResults
        .map((file) => {
          const count = (status: string) => file.assertionResults.filter((a) => a.status === status).length;
          return {
            file: relative(root, file.name).split(sep).join('/'),
            tests: file.assertionResults.length,
            passed: count('passed'),
            failed: count('failed'),
            skipped: file.assertionResults.length - count('passed') - count('failed'),
          };
        })
        .sort((a, b) => a.file.localeCompare(b.file));
      skipped = tests.testResults.flatMap((file) =>
        file.assertionResults
          .filter((a) => a.status !== 'passed' && a.status !== 'failed')
          .map((a) => `${relative(root, file.name).split(sep).join('/')}: ${a.fullName}`),
      );
    } else if (kind === 'golden') {
      const golden = parse(goldenReportSchema);
      if (golden) scenarios = golden.scenarios.map((s) => ({ name: s.name, passed: s.passed }));
    } else {
      // A bench report by its name, or any other that still reads as one (no `verdicts`).
      const doc = kind === 'bench' ? parse(benchReportSchema) : benchReportSchema.safeParse(text).data;
      if (doc) bench = { sections: BENCH_SECTIONS.filter((s) => s in doc.results), figures: doc.verdicts?.length ?? 0 };
    }
  }
  const ranSuites = new Set((suites ?? []).map((s) => s.file));
  const ranScenarios = new Set((scenarios ?? []).map((s) => s.name));
  return {
    version: 1,
    stages,
    suites,
    skipped_tests: skipped,
    scenarios,
    bench,
    not_run: {
      suites: suites === null ? [] : suitesOnDisk(root).filter((f) => !ranSuites.has(f)),
      scenarios: scenarios === null ? [] : corpusScenarios.filter((s) => !ranScenarios.has(s)),
      bench_sections: bench === null ? [] : BENCH_SECTIONS.filter((s) => !bench!.sections.includes(s)),
    },
    problems,
    own_stage: own,
  };
}

/** The kind a declared report names itself as: a vitest JSON report, a golden check's, a bench run's; null for any other. */
function reportKind(doc: unknown): 'tests' | 'golden' | 'bench' | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  if ('testResults' in doc) return 'tests';
  if ((doc as { tool?: unknown }).tool === 'golden check') return 'golden';
  if ('results' in doc && 'verdicts' in doc) return 'bench';
  return null;
}

/** Why the lane ran less than there is, one reason per kind; [] when nothing was left out. */
export function narrowing(ran: Ran): string[] {
  const reasons: string[] = [];
  const list = (items: string[]) => `${items.slice(0, 3).join(', ')}${items.length > 3 ? ` (+${items.length - 3} more)` : ''}`;
  if (ran.not_run.suites.length > 0) reasons.push(`${ran.not_run.suites.length} test suite(s) not run: ${list(ran.not_run.suites)}`);
  if (ran.not_run.scenarios.length > 0)
    reasons.push(`${ran.not_run.scenarios.length} golden scenario(s) not checked: ${list(ran.not_run.scenarios)}`);
  if (ran.not_run.bench_sections.length > 0) reasons.push(`bench section(s) not measured: ${list(ran.not_run.bench_sections)}`);
  // A stage that passed without the report it declares: what it ran cannot be shown.
  const silent = ran.stages.filter((s) => s.status === 'succeeded' && s.report === null && s.declared);
  if (silent.length > 0) reasons.push(`stage(s) passed without their declared report: ${list(silent.map((s) => s.id))}`);
  // A report that is there but cannot be read (cut short, not JSON): what its stage ran is unknown.
  if (ran.problems.length > 0) reasons.push(`declared report(s) that cannot be read: ${list(ran.problems)}`);
  return reasons;
}

/**
 * The stages (ids) whose declared report was not written or cannot be read, so that what they
 * ran is unknown; the review's own stage is not one (its report is the ran.json being written).
 */
export function unknownReports(ran: Ran): string[] {
  return ran.stages
    .filter((s) => s.id !== ran.own_stage && s.declared && (s.report === null || ran.problems.some((p) => p.startsWith(`${s.report}: `))))
    .map((s) => s.id);
}

/** What "nothing left out" covers: the kinds whose report was read. */
export function checkedKinds(ran: Ran): string[] {
  return [
    ...(ran.suites ? ['every suite on disk'] : []),
    ...(ran.scenarios ? ['every scenario of the corpus'] : []),
    ...(ran.bench ? ['every bench section'] : []),
  ];
}

/**
 * One line per kind: what the packet's "What ran" section and the review's summary say. A kind
 * no stage of the pipeline reports is not named, unless a declared report's kind is unknown.
 */
export function ranLines(ran: Ran): string[] {
  const lines: string[] = [];
  // A kind not found may still be the pipeline's when some declared report's kind is unknown;
  // when every declared report was read, a kind none of them is belongs to no stage of this
  // pipeline (one other than the lane), and nothing is said about it.
  const unknown = unknownReports(ran).length > 0;
  if (ran.suites) {
    const t = ran.suites.reduce(
      (acc, s) => ({ tests: acc.tests + s.tests, passed: acc.passed + s.passed, failed: acc.failed + s.failed, skipped: acc.skipped + s.skipped }),
      {
        tests: 0,
        passed: 0,
        failed: 0,
        skipped: 0,
      },
    );
    lines.push(`tests: ${ran.suites.length} suites, ${t.tests} tests (${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped)`);
  } else if (unknown) lines.push('tests: no report (the test stage did not run or wrote none)');
  if (ran.scenarios) lines.push(`golden: ${ran.scenarios.length} scenarios checked (${ran.scenarios.filter((s) => s.passed).length} passed)`);
  else if (unknown) lines.push('golden: no report (the golden stage did not run or wrote none)');
  if (ran.bench) lines.push(`bench: sections ${ran.bench.sections.join(', ') || 'none'}; ${ran.bench.figures} figures against their budgets`);
  else if (unknown) lines.push('bench: no report (the bench stage did not run or wrote none)');
  if (lines.length === 0) lines.push('no test, golden or bench report: no stage of this pipeline declares one');
  return lines;
}
