// The mutation score of the guards: StrykerJS's JSON report (`npm run mutation`) boiled down to
// reports/mutation/summary.json (per folder: killed, survived, no coverage, timeout, score, and
// the date and commit of the run; per file: the mutants still alive), and what the review
// packet shows of it.
import { join } from 'node:path';
import { z } from 'zod';
import { readLocalJson } from '../../config/json-file.js';

export const MUTATION_SUMMARY_FILE = 'reports/mutation/summary.json';

/** The statuses of the mutation-testing-report-schema (StrykerJS's JSON reporter). */
export type MutantStatus = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';

/** The part of a StrykerJS JSON report (mutation-testing-report-schema) read here. */
export type StrykerReport = {
  files: Record<
    string,
    {
      mutants: Array<{
        mutatorName: string;
        replacement?: string;
        status: MutantStatus;
        location: { start: { line: number; column: number } };
      }>;
    }
  >;
  framework?: { name?: string; version?: string };
  /** The options of the run; `mutate` includes a `--mutate` given on the command line. */
  config?: { mutate?: string[] };
};

export type FolderScore = {
  /** When the report this entry comes from was written, and the commit checked out then. */
  date: string;
  commit: string;
  /** Whether src/, tests/ or the mutation config had uncommitted changes when it ran. */
  dirty: boolean;
  files: number;
  mutants: number;
  killed: number;
  survived: number;
  no_coverage: number;
  timeout: number;
  runtime_errors: number;
  compile_errors: number;
  ignored: number;
  /** (killed + timeout) / (killed + timeout + survived + no coverage), in percent, 2 decimals. */
  score: number | null;
  /** Source files of the folder (under the configured `mutate` patterns) with no result in the report: the score leaves them out. */
  untested_files: string[];
};

export type Survivor = { line: number; column: number; mutator: string; replacement: string | null; status: 'Survived' | 'NoCoverage' };

export type MutationSummary = {
  version: 1;
  generated_by: string;
  stryker: string | null;
  folders: Record<string, FolderScore>;
  /** Mutants left alive (survived or not covered), by file, in source order. */
  survivors: Record<string, Survivor[]>;
};

export type RunInfo = { date: string; commit: string; dirty: boolean };

/** `src/run/plan.ts` -> `src/run`: the first two segments, the granularity `mutate` is set at. */
export function folderOf(file: string): string {
  return file.split('/').slice(0, 2).join('/');
}

function percent(detected: number, valid: number): number | null {
  return valid === 0 ? null : Math.round((detected / valid) * 10_000) / 100;
}

const sortedEntries = <T>(record: Record<string, T>): Array<[string, T]> => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The folders a run's `mutate` patterns name (`src/run/**\/*.ts` -> `src/run`); negations left out. */
export function mutatedFolders(patterns: string[]): string[] {
  return [...new Set(patterns.filter((p) => !p.startsWith('!')).map(folderOf))].sort();
}

/**
 * Summarizes a report. A folder the run did not mutate (a `--mutate` run over one folder: the
 * report still carries the other folders' results from the incremental file) keeps its entry,
 * and its survivors, from `previous` when there is one: its date and commit stay those of the
 * run that tested it.
 */
export function summarizeMutationReport(
  report: StrykerReport,
  run: RunInfo,
  previous: MutationSummary | null = null,
  sourceFiles: string[] = [],
): MutationSummary {
  const folders: Record<string, FolderScore> = {};
  const survivors: Record<string, Survivor[]> = {};
  for (const [file, result] of sortedEntries(report.files)) {
    const folder = folderOf(file);
    const entry = (folders[folder] ??= {
      ...run,
      files: 0,
      mutants: 0,
      killed: 0,
      survived: 0,
      no_coverage: 0,
      timeout: 0,
      runtime_errors: 0,
      compile_errors: 0,
      ignored: 0,
      score: null,
      untested_files: [],
    });
    entry.files += 1;
    const alive: Survivor[] = [];
    for (const mutant of result.mutants) {
      entry.mutants += 1;
      if (mutant.status === 'Killed') entry.killed += 1;
      else if (mutant.status === 'Timeout') entry.timeout += 1;
      else if (mutant.status === 'RuntimeError') entry.runtime_errors += 1;
      else if (mutant.status === 'CompileError') entry.compile_errors += 1;
      else if (mutant.status === 'Ignored') entry.ignored += 1;
      else if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') {
        if (mutant.status === 'Survived') entry.survived += 1;
        else entry.no_coverage += 1;
        const { line, column } = mutant.location.start;
        alive.push({ line, column, mutator: mutant.mutatorName, replacement: mutant.replacement ?? null, status: mutant.status });
      } else throw new Error(`${file}: mutant at line ${mutant.location.start.line} is ${mutant.status}: the run did not finish`);
    }
    if (alive.length > 0) survivors[file] = alive.sort((a, b) => a.line - b.line || a.column - b.column || (a.mutator < b.mutator ? -1 : 1));
  }
  for (const [folder, entry] of Object.entries(folders)) {
    const detected = entry.killed + entry.timeout;
    entry.score = percent(detected, detected + entry.survived + entry.no_coverage);
    entry.untested_files = [...new Set(sourceFiles)].filter((file) => folderOf(file) === folder && !(file in report.files)).sort();
  }
  if (previous) {
    const ran = new Set(report.config?.mutate ? mutatedFolders(report.config.mutate) : Object.keys(folders));
    const kept = Object.keys(previous.folders).filter((folder) => !ran.has(folder));
    for (const folder of kept) {
      folders[folder] = previous.folders[folder]!;
      for (const file of Object.keys(survivors)) if (folderOf(file) === folder) delete survivors[file];
      for (const [file, alive] of Object.entries(previous.survivors)) if (folderOf(file) === folder) survivors[file] = alive;
    }
  }
  return {
    version: 1,
    generated_by: 'scripts/mutation-summary.mjs',
    stryker: report.framework?.version ?? null,
    folders: Object.fromEntries(sortedEntries(folders)),
    survivors: Object.fromEntries(sortedEntries(survivors)),
  };
}

const folderScoreSchema = z.looseObject({
  date: z.string(),
  commit: z.string(),
  dirty: z.boolean(),
  files: z.number(),
  mutants: z.number(),
  killed: z.number(),
  survived: z.number(),
  no_coverage: z.number(),
  timeout: z.number(),
  runtime_errors: z.number(),
  compile_errors: z.number(),
  ignored: z.number(),
  score: z.number().nullable(),
  untested_files: z.array(z.string()).default([]),
});
const survivorSchema = z.looseObject({
  line: z.number(),
  column: z.number(),
  mutator: z.string(),
  replacement: z.string().nullable(),
  status: z.enum(['Survived', 'NoCoverage']),
});
const mutationSummarySchema = z.looseObject({
  version: z.literal(1, { error: 'not a version 1 mutation summary' }),
  generated_by: z.string(),
  stryker: z.string().nullable(),
  folders: z.record(z.string(), folderScoreSchema),
  survivors: z.record(z.string(), z.array(survivorSchema)),
});

/**
 * The committed summary under `root`, validated; null when there is none. A file that is not
 * a summary is one line naming it and the field (InputError).
 */
export function readMutationSummary(root: string): MutationSummary | null {
  return (readLocalJson(join(root, MUTATION_SUMMARY_FILE), MUTATION_SUMMARY_FILE, mutationSummarySchema) as MutationSummary | undefined) ?? null;
}

/** The changed files that have mutants left alive in the summary, with those mutants. */
export function touchedSurvivors(summary: MutationSummary, changedFiles: string[]): Array<{ file: string; survivors: Survivor[] }> {
  return [...new Set(changedFiles)]
    .sort()
    .filter((file) => (summary.survivors[file]?.length ?? 0) > 0)
    .map((file) => ({ file, survivors: summary.survivors[file]! }));
}
