// The diff budget: files and lines changed since the merge-base, code and fixtures (golden
// expected files, codemod fixtures) budgeted apart; lock files and build output ignored;
// untracked files counted. Over budget fails unless an override reason is given.
import picomatch from 'picomatch';
import type { Change, ChangedFile } from '../git/change.js';

export type BudgetLimits = { codeFiles: number; codeLines: number; fixtureFiles: number; fixtureLines: number };

export const DEFAULT_LIMITS: BudgetLimits = { codeFiles: 25, codeLines: 800, fixtureFiles: 1000, fixtureLines: 500_000 };

const IGNORED = [
  '**/package-lock.json',
  '**/npm-shrinkwrap.json',
  '**/yarn.lock',
  '**/pnpm-lock.yaml',
  '**/*.lock',
  'dist/**',
  'build/**',
  'coverage/**',
];
const FIXTURES = ['golden/**/expected/**', 'codemods/**/fixtures/**'];

export type Bucket = {
  files: number;
  lines: number;
  maxFiles: number;
  maxLines: number;
  over: boolean;
  paths: Array<{ path: string; lines: number | null; status: ChangedFile['status'] }>;
};

export type BudgetReport = {
  base: string;
  baseSource: string;
  code: Bucket;
  fixtures: Bucket;
  ignored: string[];
  over: boolean;
  override: string | null;
  passed: boolean;
};

export function classify(path: string): 'ignored' | 'fixtures' | 'code' {
  if (picomatch.isMatch(path, IGNORED, { dot: true })) return 'ignored';
  if (picomatch.isMatch(path, FIXTURES, { dot: true })) return 'fixtures';
  return 'code';
}

function bucket(files: ChangedFile[], maxFiles: number, maxLines: number): Bucket {
  const lines = files.reduce((sum, f) => sum + (f.lines ?? 0), 0);
  return {
    files: files.length,
    lines,
    maxFiles,
    maxLines,
    over: files.length > maxFiles || lines > maxLines,
    paths: files.map((f) => ({ path: f.path, lines: f.lines, status: f.status })),
  };
}

export function runDiffBudget(change: Change, limits: BudgetLimits, overrideReason: string | undefined): BudgetReport {
  const groups = { ignored: [] as ChangedFile[], fixtures: [] as ChangedFile[], code: [] as ChangedFile[] };
  for (const file of change.files) groups[classify(file.path)].push(file);
  const code = bucket(groups.code, limits.codeFiles, limits.codeLines);
  const fixtures = bucket(groups.fixtures, limits.fixtureFiles, limits.fixtureLines);
  const over = code.over || fixtures.over;
  // One line, printable: a newline or a terminal escape in the variable would otherwise reach the
  // terminal and the review packet as they are.
  const printable = overrideReason
    ?.replace(/[\r\n\t]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .trim();
  const override = printable ? printable : null;
  return {
    base: change.base,
    baseSource: change.baseSource,
    code,
    fixtures,
    ignored: groups.ignored.map((f) => f.path),
    over,
    override,
    passed: !over || override !== null,
  };
}
