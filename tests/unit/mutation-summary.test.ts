// reports/mutation/summary.json is made from StrykerJS's JSON report by summarizeMutationReport
// (scripts/mutation-summary.mjs): counts and score per folder, the run's date and commit, the
// mutants left alive per file; folders a `--mutate` run did not cover keep their last entry.
import { describe, expect, it } from 'vitest';
import {
  folderOf,
  mutatedFolders,
  summarizeMutationReport,
  touchedSurvivors,
  type MutantStatus,
  type StrykerReport,
} from '../../src/harness/review/mutation.js';

const RUN = { date: '2026-06-15T10:00:00.000Z', commit: 'a'.repeat(40), dirty: false };
const LATER = { date: '2026-06-16T11:00:00.000Z', commit: 'b'.repeat(40), dirty: true };

const mutant = (status: MutantStatus, line: number, column = 1, mutatorName = 'ConditionalExpression', replacement = 'true') => ({
  mutatorName,
  replacement,
  status,
  location: { start: { line, column } },
});

const report: StrykerReport = {
  framework: { name: 'StrykerJS', version: '9.6.1' },
  files: {
    'src/run/plan.ts': {
      mutants: [
        mutant('Killed', 3),
        mutant('Survived', 20, 9, 'StringLiteral', '""'),
        mutant('Timeout', 4),
        mutant('NoCoverage', 12, 5, 'BlockStatement', '{}'),
        mutant('Survived', 12, 2, 'BooleanLiteral', 'false'),
        mutant('Survived', 12, 2, 'ArrayDeclaration', '[]'),
        mutant('RuntimeError', 5),
        mutant('CompileError', 6),
        mutant('Ignored', 7),
      ],
    },
    'src/run/layout.ts': { mutants: [mutant('Killed', 1), mutant('Killed', 2), mutant('Killed', 3)] },
    'src/persist/persist-queue.ts': { mutants: [mutant('Killed', 1), { ...mutant('Survived', 9, 3, 'EqualityOperator'), replacement: undefined }] },
    'src/manifest/schema.ts': { mutants: [mutant('Ignored', 1)] },
  },
};

describe('summarizeMutationReport', () => {
  it('counts each status per folder, scores (killed + timeout) over the valid mutants, and lists the survivors in source order', () => {
    expect(summarizeMutationReport(report, RUN)).toEqual({
      version: 1,
      generated_by: 'scripts/mutation-summary.mjs',
      stryker: '9.6.1',
      folders: {
        'src/manifest': {
          ...RUN,
          files: 1,
          mutants: 1,
          killed: 0,
          survived: 0,
          no_coverage: 0,
          timeout: 0,
          runtime_errors: 0,
          compile_errors: 0,
          ignored: 1,
          score: null,
          untested_files: [],
        },
        'src/persist': {
          ...RUN,
          files: 1,
          mutants: 2,
          killed: 1,
          survived: 1,
          no_coverage: 0,
          timeout: 0,
          runtime_errors: 0,
          compile_errors: 0,
          ignored: 0,
          score: 50,
          untested_files: [],
        },
        'src/run': {
          ...RUN,
          files: 2,
          mutants: 12,
          killed: 4,
          survived: 3,
          no_coverage: 1,
          timeout: 1,
          runtime_errors: 1,
          compile_errors: 1,
          ignored: 1,
          // (4 + 1) / (4 + 1 + 3 + 1)
          score: 55.56,
          untested_files: [],
        },
      },
      survivors: {
        'src/persist/persist-queue.ts': [{ line: 9, column: 3, mutator: 'EqualityOperator', replacement: null, status: 'Survived' }],
        'src/run/plan.ts': [
          { line: 12, column: 2, mutator: 'ArrayDeclaration', replacement: '[]', status: 'Survived' },
          { line: 12, column: 2, mutator: 'BooleanLiteral', replacement: 'false', status: 'Survived' },
          { line: 12, column: 5, mutator: 'BlockStatement', replacement: '{}', status: 'NoCoverage' },
          { line: 20, column: 9, mutator: 'StringLiteral', replacement: '""', status: 'Survived' },
        ],
      },
    });
  });

  it('names the source files of a folder the report has no result for (a run over part of it)', () => {
    const sources = [
      'src/run/plan.ts',
      'src/run/layout.ts',
      'src/run/status.ts',
      'src/run/drive-run.ts',
      'src/persist/persist-queue.ts',
      'src/run/status.ts',
    ];
    const summary = summarizeMutationReport(report, RUN, null, sources);
    expect(summary.folders['src/run']!.untested_files).toEqual(['src/run/drive-run.ts', 'src/run/status.ts']);
    expect(summary.folders['src/persist']!.untested_files).toEqual([]);
    expect(summary.folders['src/manifest']!.untested_files).toEqual([]);
  });

  it('orders folders and files by name whatever the order of the report', () => {
    const summary = summarizeMutationReport(report, RUN);
    expect(Object.keys(summary.folders)).toEqual(['src/manifest', 'src/persist', 'src/run']);
    expect(Object.keys(summary.survivors)).toEqual(['src/persist/persist-queue.ts', 'src/run/plan.ts']);
  });

  it('rounds the score to two decimals: 2 of 3 is 66.67, all of them is 100', () => {
    const two = summarizeMutationReport(
      { files: { 'src/a/x.ts': { mutants: [mutant('Killed', 1), mutant('Timeout', 2), mutant('Survived', 3)] } } },
      RUN,
    );
    expect(two.folders['src/a']!.score).toBe(66.67);
    expect(two.stryker).toBeNull();
    const all = summarizeMutationReport({ files: { 'src/a/x.ts': { mutants: [mutant('Killed', 1), mutant('Ignored', 2)] } } }, RUN);
    expect(all.folders['src/a']!.score).toBe(100);
    expect(all.survivors).toEqual({});
  });

  it('refuses a report with a mutant still pending: the run did not finish', () => {
    expect(() => summarizeMutationReport({ files: { 'src/a/x.ts': { mutants: [mutant('Killed', 1), mutant('Pending', 8)] } } }, RUN)).toThrow(
      'src/a/x.ts: mutant at line 8 is Pending: the run did not finish',
    );
  });

  it('a --mutate run over one folder replaces that folder and its survivors, and keeps the others from the previous summary', () => {
    const previous = summarizeMutationReport(report, RUN);
    // What Stryker writes after `--mutate 'src/persist/**/*.ts'`: src/run's results come from
    // the incremental file (here: changed, to show they are not taken from the report).
    const persistRun: StrykerReport = {
      config: { mutate: ['src/persist/**/*.ts', '!src/persist/**/*.d.ts'] },
      files: {
        'src/persist/persist-queue.ts': { mutants: [mutant('Killed', 1), mutant('Killed', 9)] },
        'src/run/plan.ts': { mutants: [mutant('Survived', 40)] },
        'src/other/new.ts': { mutants: [mutant('Survived', 2)] },
      },
    };
    const next = summarizeMutationReport(persistRun, LATER, previous);
    expect(Object.keys(next.folders)).toEqual(['src/manifest', 'src/other', 'src/persist', 'src/run']);
    expect(next.folders['src/run']).toEqual(previous.folders['src/run']);
    expect(next.folders['src/manifest']).toEqual(previous.folders['src/manifest']);
    expect(next.folders['src/persist']).toMatchObject({ ...LATER, files: 1, mutants: 2, killed: 2, survived: 0, score: 100 });
    // A folder no summary had yet is taken from the report.
    expect(next.folders['src/other']).toMatchObject({ ...LATER, survived: 1, score: 0 });
    expect(next.survivors).toEqual({
      'src/other/new.ts': [{ line: 2, column: 1, mutator: 'ConditionalExpression', replacement: 'true', status: 'Survived' }],
      'src/run/plan.ts': previous.survivors['src/run/plan.ts'],
    });
  });

  it('without a previous summary, or with the same mutate patterns, everything comes from the report', () => {
    const first = summarizeMutationReport({ ...report, config: { mutate: ['src/persist/**/*.ts'] } }, RUN, null);
    expect(first).toEqual(summarizeMutationReport(report, RUN));
    const again = summarizeMutationReport(report, LATER, first);
    expect(again.folders['src/run']).toMatchObject(LATER);
    expect(again.survivors).toEqual(first.survivors);
  });
});

describe('folderOf and touchedSurvivors', () => {
  it('the folders of mutate patterns, once each, sorted, negations left out', () => {
    expect(mutatedFolders(['src/run/**/*.ts', 'src/manifest/**/*.ts', '!src/run/**/*.d.ts', 'src/run/plan.ts:3-9'])).toEqual([
      'src/manifest',
      'src/run',
    ]);
  });

  it('a file belongs to its first two path segments', () => {
    expect(folderOf('src/run/plan.ts')).toBe('src/run');
    expect(folderOf('src/run/deep/er.ts')).toBe('src/run');
    expect(folderOf('README.md')).toBe('README.md');
  });

  it('keeps the changed files that have survivors, once each, sorted', () => {
    const summary = summarizeMutationReport(report, RUN);
    expect(touchedSurvivors(summary, ['src/run/plan.ts', 'src/run/layout.ts', 'src/persist/persist-queue.ts', 'src/run/plan.ts'])).toEqual([
      { file: 'src/persist/persist-queue.ts', survivors: summary.survivors['src/persist/persist-queue.ts'] },
      { file: 'src/run/plan.ts', survivors: summary.survivors['src/run/plan.ts'] },
    ]);
    expect(touchedSurvivors(summary, ['src/run/layout.ts', 'docs/x.md'])).toEqual([]);
  });
});
