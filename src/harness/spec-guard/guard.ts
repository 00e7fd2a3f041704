// The spec guard: every spec's front matter is valid; specs that are active or touched by
// the change are fresh (never a time bomb on untouched inactive ones); a change to guarded
// code touches a spec; a change to golden expected files is declared by a touched spec's
// golden_changes globs, and each glob of a touched spec names a golden expected file that
// exists or that the change deletes (untouched specs, a landed one whose scenario was later
// renamed, are not judged).
import { readdirSync, readFileSync } from 'node:fs';
import { filesUnder } from '../repo-files.js';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type { Change } from '../git/change.js';
import { parseSpec, type ParsedSpec, type Violation } from './spec.js';

export type GuardOptions = {
  root: string;
  specsDir: string;
  guarded: string[];
  maxAgeDays: number;
  /** Today, YYYY-MM-DD. */
  today: string;
  goldenPattern: string;
};

/** The file a new spec is copied from (tasks/specs/TEMPLATE.md): never counted as a spec. */
export const SPEC_TEMPLATE = 'TEMPLATE.md';

export const DEFAULT_GUARD = { specsDir: 'tasks/specs', guarded: ['src/'], maxAgeDays: 30, goldenPattern: 'golden/**/expected/**' };

export type GuardReport = {
  base: string;
  baseSource: string;
  specs: Array<{ file: string; id: string | null; status: string | null; touched: boolean; last_review: string | null }>;
  touchedSpecs: string[];
  guardedChanges: string[];
  goldenChanges: Array<{ path: string; coveredBy: string[] }>;
  /** golden_changes globs that would cover the undeclared golden files (a run's ids as `*`). */
  suggestedGlobs: string[];
  /** Touched specs whose golden_changes were not counted because the spec is invalid. */
  ignoredGoldenChanges: Array<{ file: string; globs: string[] }>;
  violations: Violation[];
};

/**
 * The glob to declare a golden file with: its path, with the task and run id segments of a
 * run directory (`.runs/0101/cli/2026-…-96a0f96b/`) as `*`, so the declaration outlives a
 * re-recorded id.
 */
export function declarationGlob(path: string): string {
  const parts = path.split('/');
  return parts
    .map((part, i) => {
      if (parts[i - 1] === '.runs' && /^[\w.-]+$/.test(part) && parts[i + 1] === 'cli') return '*';
      if (parts[i - 1] === 'cli' && parts[i - 3] === '.runs') return '*';
      return part;
    })
    .join('/');
}

const DAY_MS = 86_400_000;

/**
 * The golden expected files a golden_changes glob can name: those in the working tree
 * (untracked ones included) and those the change deletes (a scenario removed or renamed).
 */
function goldenExpectedFiles(root: string, pattern: string, change: Change): string[] {
  const isGolden = picomatch(pattern, { dot: true });
  // Dot directories included (a run's .runs/ under expected/); not .git, not node_modules.
  const onDisk = filesUnder(root, picomatch.scan(pattern).base, (name) => name !== '.git' && name !== 'node_modules');
  return [...onDisk, ...change.files.filter((f) => f.status === 'deleted').map((f) => f.path)].filter((path) => isGolden(path));
}

export function runSpecGuard(change: Change, options: GuardOptions): GuardReport {
  const specFiles = (() => {
    try {
      return (
        readdirSync(join(options.root, options.specsDir))
          // TEMPLATE.md is what a new spec is copied from, not a spec: touching it declares nothing.
          .filter((name) => name.endsWith('.md') && name !== SPEC_TEMPLATE)
          .sort()
      );
    } catch {
      return [];
    }
  })();
  const changed = change.files.filter((f) => f.status !== 'deleted');
  const changedPaths = new Set(changed.map((f) => f.path));
  const specs: ParsedSpec[] = specFiles.map((name) => {
    const file = `${options.specsDir}/${name}`;
    return parseSpec(file, readFileSync(join(options.root, file), 'utf8'));
  });
  const violations: Violation[] = specs.flatMap((s) => s.violations);
  // A spec is named by its file: its id is the file's name (so ids are unique, and a copy of
  // TEMPLATE.md that kept NNNN-short-name, or of another spec, is caught).
  for (const spec of specs) {
    const expected = spec.file.slice(spec.file.lastIndexOf('/') + 1).replace(/\.md$/, '');
    if (spec.frontMatter && spec.frontMatter.id !== expected)
      violations.push({ file: spec.file, field: 'id', message: `must be the file's name without .md: ${expected} (it is ${spec.frontMatter.id})` });
  }
  const touched = specs.filter((s) => changedPaths.has(s.file));

  const todayMs = Date.parse(`${options.today}T00:00:00Z`);
  for (const spec of specs) {
    const fm = spec.frontMatter;
    if (!fm) continue;
    const isTouched = changedPaths.has(spec.file);
    if (fm.status !== 'active' && !isTouched) continue;
    const age = Math.floor((todayMs - Date.parse(`${fm.last_review}T00:00:00Z`)) / DAY_MS);
    const why = isTouched ? 'touched by this change' : 'active';
    if (age > options.maxAgeDays) {
      violations.push({
        file: spec.file,
        field: 'last_review',
        message: `${fm.last_review} is ${age} days old (at most ${options.maxAgeDays} for a spec that is ${why}); review it and update last_review`,
      });
    } else if (age < 0) {
      violations.push({ file: spec.file, field: 'last_review', message: `${fm.last_review} is in the future (today is ${options.today})` });
    }
  }

  const guardedChanges = change.files.filter((f) => options.guarded.some((prefix) => f.path.startsWith(prefix))).map((f) => f.path);
  if (guardedChanges.length > 0 && touched.length === 0) {
    const shown = guardedChanges.slice(0, 5).join(', ') + (guardedChanges.length > 5 ? `, … (${guardedChanges.length} files)` : '');
    violations.push({
      file: options.specsDir,
      field: '(change)',
      message: `guarded code changed (${shown}) but no spec in ${options.specsDir}/ is touched by this change`,
    });
  }

  const isGolden = picomatch(options.goldenPattern, { dot: true });
  const goldenChanges = change.files
    .filter((f) => isGolden(f.path))
    .map((f) => ({
      path: f.path,
      coveredBy: touched.filter((s) => s.frontMatter?.golden_changes?.some((glob) => picomatch(glob, { dot: true })(f.path))).map((s) => s.file),
    }));
  for (const golden of goldenChanges) {
    if (golden.coveredBy.length === 0) {
      violations.push({
        file: golden.path,
        field: 'golden_changes',
        message: 'golden expected file changed, but no touched spec declares it in golden_changes',
      });
    }
  }

  // A touched spec's glob that matches no golden expected file declares a change that cannot
  // happen: a typo (golden/sucess/…) or a scenario that does not exist. Touched specs only,
  // whatever their status: one that landed in this change is judged; an untouched one whose
  // scenario was renamed since is history, never a time bomb.
  const declaring = touched.filter((s) => (s.frontMatter?.golden_changes ?? []).length > 0);
  if (declaring.length > 0) {
    const expectedFiles = goldenExpectedFiles(options.root, options.goldenPattern, change);
    for (const spec of declaring) {
      for (const glob of spec.frontMatter!.golden_changes!) {
        const match = picomatch(glob, { dot: true });
        if (expectedFiles.some((path) => match(path))) continue;
        // A directory named without what is in it (golden/success/expected): say so.
        const within = picomatch(`${glob.replace(/\/+$/, '')}/**`, { dot: true });
        const hint = expectedFiles.some((path) => within(path))
          ? `it names a directory: ${glob.replace(/\/+$/, '')}/** would match the files in it`
          : 'a typo, or a scenario that does not exist?';
        violations.push({
          file: spec.file,
          field: 'golden_changes',
          message: `${glob} matches no golden expected file (${options.goldenPattern}) in the working tree or deleted by this change: ${hint}`,
        });
      }
    }
  }

  const undeclaredPaths = goldenChanges.filter((g) => g.coveredBy.length === 0).map((g) => g.path);
  const suggestedGlobs = [...new Set(undeclaredPaths.map(declarationGlob))].sort();
  const ignoredGoldenChanges = touched
    .filter((s) => s.frontMatter === null && s.ignoredGoldenChanges)
    .map((s) => ({ file: s.file, globs: s.ignoredGoldenChanges! }));

  return {
    base: change.base,
    baseSource: change.baseSource,
    specs: specs.map((s) => ({
      file: s.file,
      id: s.frontMatter?.id ?? null,
      status: s.frontMatter?.status ?? null,
      touched: changedPaths.has(s.file),
      last_review: s.frontMatter?.last_review ?? null,
    })),
    touchedSpecs: touched.map((s) => s.file),
    guardedChanges,
    goldenChanges,
    suggestedGlobs,
    ignoredGoldenChanges,
    violations,
  };
}
