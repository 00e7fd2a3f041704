// The spec guard on throwaway git repositories: front matter, freshness (touched or active
// specs only), a spec per guarded change, declared golden changes, the base ref, and what
// counts as "the change" (committed work since the merge-base plus the working tree).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GuardReport } from '../../src/harness/spec-guard/guard.js';
import { expectOneLineError } from '../helpers/integration.js';
import { TOOLS, specText, useGitRepos, type GitRepo } from '../helpers/git-repo.js';

const repo = useGitRepos();

const TODAY = '2026-06-15';
const FRESH = '2026-06-01'; // 14 days before TODAY
const STALE = '2026-05-01'; // 45 days before TODAY

const CORE = 'tasks/specs/0001-core.md';
const FEATURE = 'tasks/specs/0002-feature.md';

/** A repo with code, a landed spec and an active one (both fresh), committed as the base. */
function baseRepo(extra: Record<string, string> = {}): { r: GitRepo; base: string } {
  const r = repo({
    'src/a.ts': 'export const a = 1;\n',
    'README.md': '# project\n',
    [CORE]: specText({ id: '0001-core', title: 'Core', status: 'landed', last_review: FRESH }),
    [FEATURE]: specText({ id: '0002-feature', title: 'Feature', status: 'active', last_review: FRESH }),
    ...extra,
  });
  return { r, base: r.head() };
}

function guard(r: GitRepo, args: string[], env: Record<string, string | undefined> = {}) {
  return r.run(TOOLS.specGuard, ['--today', TODAY, ...args], env);
}

async function guardJson(r: GitRepo, args: string[], env: Record<string, string | undefined> = {}) {
  const result = await guard(r, [...args, '--json'], env);
  return { ...result, report: JSON.parse(result.stdout) as GuardReport };
}

/** The "spec-guard: <file>: <field>: <message>" lines of a text report. */
const violationLines = (stdout: string) => stdout.split('\n').filter((l) => /^spec-guard: [^:]+: [^:]+: /.test(l) && !l.includes('change against'));

describe('spec guard: valid specs and the spec a change touches', () => {
  it('passes a change to guarded code that touches a fresh spec, and names the touched spec', async () => {
    const { r, base } = baseRepo();
    r.write('src/a.ts', 'export const a = 2;\n').append(FEATURE, 'Now a is 2.\n').commit('feature');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`spec-guard: change against ${base} (--base): 2 file(s), 2 spec(s), touched: ${FEATURE}\n`);
    expect(result.stdout.endsWith('spec-guard: ok\n')).toBe(true);
    expect(violationLines(result.stdout)).toEqual([]);

    const { report } = await guardJson(r, ['--base', base]);
    expect(report.violations).toEqual([]);
    expect(report.touchedSpecs).toEqual([FEATURE]);
    expect(report.guardedChanges).toEqual(['src/a.ts']);
    expect(report.specs).toEqual([
      { file: CORE, id: '0001-core', status: 'landed', touched: false, last_review: FRESH },
      { file: FEATURE, id: '0002-feature', status: 'active', touched: true, last_review: FRESH },
    ]);
  });

  it('passes an empty change and a change outside the guarded paths without any spec touched', async () => {
    const { r, base } = baseRepo();
    expect((await guard(r, ['--base', base])).code).toBe(0);
    r.append('README.md', 'More words.\n').commit('docs');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('1 file(s), 2 spec(s), touched: none');
  });

  it('fails a change under src/ that touches no spec (exit 1), naming the changed file', async () => {
    const { r, base } = baseRepo();
    r.write('src/a.ts', 'export const a = 3;\n').write('src/b.ts', 'export const b = 1;\n').commit('code only');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(1);
    expect(violationLines(result.stdout)).toEqual([
      'spec-guard: tasks/specs: (change): guarded code changed (src/a.ts, src/b.ts) but no spec in tasks/specs/ is touched by this change',
    ]);
    expect(result.stdout.endsWith('spec-guard: 1 violation(s)\n')).toBe(true);
    // Touching a spec in the same change clears it.
    r.append(CORE, 'Addendum.\n').commit('spec');
    expect((await guard(r, ['--base', base])).code).toBe(0);
  });

  it('accepts ./-prefixed --specs-dir and --guarded paths', async () => {
    const { r, base } = baseRepo();
    r.write('src/a.ts', 'export const a = 2;\n').append(FEATURE, 'Now a is 2.\n').commit('feature');
    const { code, report } = await guardJson(r, ['--base', base, '--specs-dir', './tasks/specs/', '--guarded', './src/']);
    expect(code).toBe(0);
    expect(report.touchedSpecs).toEqual([FEATURE]);
    expect(report.guardedChanges).toEqual(['src/a.ts']);
  });

  it('guards the prefixes given with --guarded instead of src/', async () => {
    const { r, base } = baseRepo({ 'lib/x.ts': 'x\n' });
    r.write('lib/x.ts', 'y\n').commit('lib');
    expect((await guard(r, ['--base', base])).code).toBe(0);
    const result = await guard(r, ['--base', base, '--guarded', 'lib/,bin/']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('guarded code changed (lib/x.ts)');
  });
});

describe('spec guard: freshness of last_review', () => {
  it('fails a touched spec whose last_review is older than 30 days, naming the file and last_review', async () => {
    const { r, base } = baseRepo({ [CORE]: specText({ id: '0001-core', title: 'Core', status: 'landed', last_review: STALE }) });
    r.append(CORE, 'Touched.\n').commit('touch the stale spec');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(1);
    expect(violationLines(result.stdout)).toEqual([
      `spec-guard: ${CORE}: last_review: ${STALE} is 45 days old (at most 30 for a spec that is touched by this change); review it and update last_review`,
    ]);
    // Reviewing it (a fresh last_review) in the same change clears it.
    r.write(CORE, specText({ id: '0001-core', title: 'Core', status: 'landed', last_review: '2026-06-14' })).commit('review');
    expect((await guard(r, ['--base', base])).code).toBe(0);
  });

  it('leaves an untouched stale spec that is landed alone, and flags the same spec once the change touches it', async () => {
    const { r, base } = baseRepo({ [CORE]: specText({ id: '0001-core', title: 'Core', status: 'landed', last_review: '2025-01-01' }) });
    r.write('src/a.ts', 'export const a = 2;\n').append(FEATURE, 'a is 2.\n').commit('feature');
    const untouched = await guardJson(r, ['--base', base]);
    expect(untouched.code, untouched.stdout).toBe(0);
    expect(untouched.report.violations).toEqual([]);
    expect(untouched.report.specs.find((s) => s.file === CORE)).toMatchObject({ touched: false, last_review: '2025-01-01' });

    r.append(CORE, 'Touched after all.\n');
    const touched = await guardJson(r, ['--base', base]);
    expect(touched.code).toBe(1);
    expect(touched.report.violations).toEqual([{ file: CORE, field: 'last_review', message: expect.stringContaining('is 530 days old') }]);
  });

  it('leaves untouched stale draft and superseded specs alone too', async () => {
    const { r, base } = baseRepo({
      'tasks/specs/0003-draft.md': specText({ id: '0003-draft', status: 'draft', last_review: STALE }),
      'tasks/specs/0004-old.md': specText({ id: '0004-old', status: 'superseded', last_review: STALE }),
    });
    const result = await guardJson(r, ['--base', base]);
    expect(result.code).toBe(0);
    expect(result.report.specs).toHaveLength(4);
  });

  it('fails an untouched stale spec that is active', async () => {
    const { r, base } = baseRepo({ [FEATURE]: specText({ id: '0002-feature', title: 'Feature', status: 'active', last_review: STALE }) });
    r.append('README.md', 'docs only\n').commit('docs');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(1);
    expect(violationLines(result.stdout)).toEqual([
      `spec-guard: ${FEATURE}: last_review: ${STALE} is 45 days old (at most 30 for a spec that is active); review it and update last_review`,
    ]);
  });

  it('allows exactly 30 days (--max-age-days moves the limit) and rejects a date in the future', async () => {
    const { r, base } = baseRepo({ [FEATURE]: specText({ id: '0002-feature', status: 'active', last_review: '2026-05-16' }) });
    expect((await guard(r, ['--base', base])).code).toBe(0); // 30 days
    const tighter = await guard(r, ['--base', base, '--max-age-days', '29']);
    expect(tighter.code).toBe(1);
    expect(tighter.stdout).toContain('is 30 days old (at most 29');
    expect((await r.run(TOOLS.specGuard, ['--base', base, '--today', '2026-06-16'])).code).toBe(1); // 31 days

    r.write(FEATURE, specText({ id: '0002-feature', status: 'active', last_review: '2026-06-20' }));
    const future = await guard(r, ['--base', base]);
    expect(future.code).toBe(1);
    expect(violationLines(future.stdout)).toEqual([`spec-guard: ${FEATURE}: last_review: 2026-06-20 is in the future (today is ${TODAY})`]);
  });
});

describe('spec guard: golden changes', () => {
  const golden = {
    'golden/alpha/expected/manifest.json': '{"status":"succeeded"}\n',
    'golden/alpha/scenario.json': '{}\n',
    'golden/beta/expected/stdout.txt': 'beta\n',
  };

  it('fails a changed golden expected file that no touched spec declares, naming the path', async () => {
    const { r, base } = baseRepo(golden);
    r.write('golden/alpha/expected/manifest.json', '{"status":"failed"}\n').commit('golden');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(1);
    expect(violationLines(result.stdout)).toEqual([
      'spec-guard: golden/alpha/expected/manifest.json: golden_changes: golden expected file changed, but no touched spec declares it in golden_changes',
    ]);

    // A touched spec whose globs cover another scenario does not cover this one.
    r.write(FEATURE, specText({ id: '0002-feature', status: 'active', last_review: FRESH, golden_changes: ['golden/beta/expected/**'] })).commit(
      'spec',
    );
    const { report, code } = await guardJson(r, ['--base', base]);
    expect(code).toBe(1);
    expect(report.goldenChanges).toEqual([{ path: 'golden/alpha/expected/manifest.json', coveredBy: [] }]);
    expect(report.violations).toEqual([{ file: 'golden/alpha/expected/manifest.json', field: 'golden_changes', message: expect.any(String) }]);
  });

  it('a spec can declare write timelines apart from files: "the write sequence changes, the files do not"', async () => {
    const { r, base } = baseRepo({
      ...golden,
      'golden/alpha/expected/timeline.ndjson': '{"t":0,"kind":"write"}\n',
      'golden/beta/expected/timeline.ndjson': '{"t":0,"kind":"write"}\n',
    });
    r.write('golden/alpha/expected/timeline.ndjson', '{"t":5,"kind":"write"}\n')
      .write('golden/beta/expected/timeline.ndjson', '{"t":5,"kind":"write"}\n')
      .write(FEATURE, specText({ id: '0002-feature', status: 'active', last_review: FRESH, golden_changes: ['golden/*/expected/timeline.ndjson'] }))
      .commit('timelines only');
    const timelinesOnly = await guardJson(r, ['--base', base]);
    expect(timelinesOnly.code).toBe(0);
    expect(timelinesOnly.report.goldenChanges.map((c: { path: string }) => c.path)).toEqual([
      'golden/alpha/expected/timeline.ndjson',
      'golden/beta/expected/timeline.ndjson',
    ]);

    // The same spec does not let a file change through.
    r.write('golden/alpha/expected/manifest.json', '{"status":"failed"}\n').commit('and a file');
    const result = await guard(r, ['--base', base]);
    expect(result.code).toBe(1);
    expect(violationLines(result.stdout)).toEqual([
      'spec-guard: golden/alpha/expected/manifest.json: golden_changes: golden expected file changed, but no touched spec declares it in golden_changes',
    ]);
  });

  it('does not count golden_changes of a spec the change does not touch', async () => {
    const { r, base } = baseRepo({
      ...golden,
      [CORE]: specText({ id: '0001-core', status: 'landed', last_review: FRESH, golden_changes: ['golden/**/expected/**'] }),
    });
    r.write('golden/beta/expected/stdout.txt', 'BETA\n').commit('golden');
    const result = await guard(r, ['--base', base]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('spec-guard: golden/beta/expected/stdout.txt: golden_changes:');
  });

  it("passes golden changes (changed, added, deleted) covered by a touched spec's golden_changes globs", async () => {
    const { r, base } = baseRepo(golden);
    r.write('golden/alpha/expected/manifest.json', '{"status":"failed"}\n')
      .write('golden/alpha/expected/new.txt', 'new\n')
      .remove('golden/beta/expected/stdout.txt')
      .write(
        FEATURE,
        specText({ id: '0002-feature', status: 'active', last_review: FRESH, golden_changes: ['golden/alpha/expected/**', 'golden/beta/**'] }),
      )
      .commit('declared golden change');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(`spec-guard: golden change golden/alpha/expected/manifest.json declared by ${FEATURE}\n`);
    expect(result.stdout).toContain(`spec-guard: golden change golden/beta/expected/stdout.txt declared by ${FEATURE}\n`);
    const { report } = await guardJson(r, ['--base', base]);
    expect(report.goldenChanges).toEqual([
      { path: 'golden/alpha/expected/manifest.json', coveredBy: [FEATURE] },
      { path: 'golden/alpha/expected/new.txt', coveredBy: [FEATURE] },
      { path: 'golden/beta/expected/stdout.txt', coveredBy: [FEATURE] },
    ]);
    // golden/alpha/scenario.json is not an expected file: not a golden change.
    r.write('golden/alpha/scenario.json', '{"changed":true}\n');
    expect((await guardJson(r, ['--base', base])).report.goldenChanges.map((g) => g.path)).not.toContain('golden/alpha/scenario.json');
  });
});

describe('spec guard: golden_changes globs that match nothing', () => {
  const golden = {
    'golden/alpha/expected/files/.runs/0101/cli/r1/manifest.json': '{"status":"succeeded"}\n',
    'golden/alpha/scenario.json': '{}\n',
    'golden/beta/expected/stdout.txt': 'beta\n',
  };
  const noMatch = (spec: string, glob: string, hint = 'a typo, or a scenario that does not exist?') =>
    `spec-guard: ${spec}: golden_changes: ${glob} matches no golden expected file (golden/**/expected/**) in the working tree or deleted by this change: ${hint}`;

  it("a touched spec's glob that names no golden expected file is a violation: one line with the spec, the field and the glob", async () => {
    const { r, base } = baseRepo(golden);
    r.write(
      FEATURE,
      specText({
        id: '0002-feature',
        status: 'active',
        last_review: FRESH,
        golden_changes: [
          'golden/sucess/expected/**', // a typo
          'golden/alpha/scenario.json', // a file of the corpus, not an expected one
          'golden/alpha/expected', // a directory, named without what is in it
          'golden/*/expected/files/.runs/*/cli/*/manifest.json', // under a dot directory: found
          'golden/beta/expected/stdout.txt', // deleted by the change: found
          'golden/gamma/expected/**', // a new scenario, not committed yet: found
        ],
      }),
    )
      .remove('golden/beta/expected/stdout.txt')
      .write('golden/gamma/expected/out.txt', 'gamma\n');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(1);
    expect(violationLines(result.stdout)).toEqual([
      noMatch(FEATURE, 'golden/sucess/expected/**'),
      noMatch(FEATURE, 'golden/alpha/scenario.json'),
      noMatch(FEATURE, 'golden/alpha/expected', 'it names a directory: golden/alpha/expected/** would match the files in it'),
    ]);
    const { report } = await guardJson(r, ['--base', base]);
    expect(report.violations.map((v) => [v.file, v.field])).toEqual([
      [FEATURE, 'golden_changes'],
      [FEATURE, 'golden_changes'],
      [FEATURE, 'golden_changes'],
    ]);
    // --dry-run reports them without failing; fixed, the spec passes.
    expect((await guard(r, ['--base', base, '--dry-run'])).code).toBe(0);
    r.write(
      FEATURE,
      specText({
        id: '0002-feature',
        status: 'active',
        last_review: FRESH,
        golden_changes: ['golden/alpha/expected/**', 'golden/beta/expected/stdout.txt', 'golden/gamma/expected/**'],
      }),
    );
    const fixed = await guard(r, ['--base', base]);
    expect(fixed.code, fixed.stdout).toBe(0);
  });

  it('an untouched spec is not judged (a landed spec whose scenario was removed since); touched again, it is, whatever its status', async () => {
    const { r } = baseRepo({
      ...golden,
      [CORE]: specText({ id: '0001-core', status: 'landed', last_review: FRESH, golden_changes: ['golden/beta/expected/**'] }),
    });
    // A later change removes the scenario beta, declared by its own spec.
    r.remove('golden/beta/expected/stdout.txt')
      .write(FEATURE, specText({ id: '0002-feature', status: 'active', last_review: FRESH, golden_changes: ['golden/beta/**'] }))
      .commit('beta removed');
    const removed = r.head();
    // The next change leaves the landed spec alone: its glob is history, not a mistake of this change.
    r.write('src/a.ts', 'export const a = 3;\n')
      .write(FEATURE, specText({ id: '0002-feature', status: 'active', last_review: FRESH }, 'a is 3.\n'))
      .commit('a is 3');
    const untouched = await guardJson(r, ['--base', removed]);
    expect(untouched.code, untouched.stdout).toBe(0);
    expect(untouched.report.violations).toEqual([]);
    // Touched, the landed spec is judged like any other: its glob names nothing any more.
    r.append(CORE, 'Superseded in part: beta was removed.\n');
    const touched = await guard(r, ['--base', removed]);
    expect(touched.code).toBe(1);
    expect(violationLines(touched.stdout)).toEqual([noMatch(CORE, 'golden/beta/expected/**')]);
  });
});

describe('spec guard: invalid front matter', () => {
  it('reports every violation of every spec with its file and field (exit 1)', async () => {
    const { r, base } = baseRepo();
    r.writeAll({
      'tasks/specs/1001-missing.md': specText({ id: '1001-missing', owners: undefined, title: undefined }),
      'tasks/specs/1002-risk.md': specText({ id: '1002-risk', risk: 'extreme' }),
      'tasks/specs/1003-date.md': specText({ id: '1003-date', last_review: '2026-02-30' }),
      'tasks/specs/1004-format.md': specText({ id: '1004-format', last_review: '15/06/2026' }),
      'tasks/specs/1005-unknown.md': specText({ id: '1005-unknown', reviewer: 'bob' }),
      'tasks/specs/1006-yaml.md': '---\nid: [unclosed\ntitle: x\n---\nbody\n',
      'tasks/specs/1007-none.md': '# Just a heading\n\nNo front matter at all.\n',
      'tasks/specs/1008-status.md': specText({ id: '1008-status', status: 'done', phase: 9, owners: [] }),
      'tasks/specs/1009-bom.md': `\uFEFF${specText({ id: '1009-bom' })}`,
      'tasks/specs/1010-open.md': '---\nid: 1010-open\ntitle: never closed\n',
      'tasks/specs/1011-empty.md': '---\n---\nbody\n',
      'tasks/specs/1012-copy.md': specText({ id: '0001-core' }),
    });
    const { code, report } = await guardJson(r, ['--base', base]);
    expect(code).toBe(1);
    const byFile = (file: string) => report.violations.filter((v) => v.file === `tasks/specs/${file}`).map((v) => [v.field, v.message]);
    expect(byFile('1001-missing.md')).toEqual([
      ['title', 'required field is missing'],
      ['owners', 'required field is missing'],
    ]);
    expect(byFile('1002-risk.md')).toEqual([['risk', expect.stringMatching(/low.*medium.*high/)]]);
    expect(byFile('1003-date.md')).toEqual([['last_review', 'not a calendar date']]);
    expect(byFile('1004-format.md')).toContainEqual(['last_review', 'expected a date YYYY-MM-DD']);
    expect(byFile('1005-unknown.md')).toEqual([['reviewer', 'unknown field']]);
    expect(byFile('1006-yaml.md')).toEqual([['(front matter)', expect.stringMatching(/^invalid YAML at line \d+: /)]]);
    expect(byFile('1007-none.md')).toEqual([['(front matter)', 'missing: the file must start with a --- YAML block ---']]);
    expect(byFile('1008-status.md').map(([field]) => field)).toEqual(['owners', 'status', 'phase']);
    expect(byFile('1009-bom.md')).toEqual([['(front matter)', expect.stringMatching(/^the file starts with a byte order mark/)]]);
    expect(byFile('1010-open.md')).toEqual([['(front matter)', 'not closed: the --- YAML block needs a closing --- line']]);
    expect(byFile('1011-empty.md')).toEqual([['(front matter)', 'empty: the --- YAML block has no fields']]);
    // A copy of another spec (or of TEMPLATE.md) that kept its id: ids are the file names, so unique.
    expect(byFile('1012-copy.md')).toEqual([['id', "must be the file's name without .md: 1012-copy (it is 0001-core)"]]);
    // The valid specs are not reported, and every violation names a file and a field.
    expect(report.violations.filter((v) => v.file === CORE || v.file === FEATURE)).toEqual([]);
    for (const v of report.violations) expect(v.file && v.field && v.message).toBeTruthy();

    // The text report prints each of them as "<file>: <field>: <message>".
    const text = await guard(r, ['--base', base]);
    expect(text.code).toBe(1);
    expect(violationLines(text.stdout)).toHaveLength(report.violations.length);
    expect(text.stdout).toContain('spec-guard: tasks/specs/1005-unknown.md: reviewer: unknown field\n');
    expect(text.stdout).toContain('spec-guard: tasks/specs/1002-risk.md: risk: ');
    expect(text.stdout.endsWith(`spec-guard: ${report.violations.length} violation(s)\n`)).toBe(true);
  });

  it('--dry-run reports the violations but exits 0', async () => {
    const { r, base } = baseRepo();
    r.write('tasks/specs/1002-risk.md', specText({ id: '1002-risk', risk: 'extreme' })).write('src/a.ts', 'changed\n');
    const wet = await guard(r, ['--base', base]);
    expect(wet.code).toBe(1);
    const dry = await guard(r, ['--base', base, '--dry-run']);
    expect(dry.code, dry.stdout).toBe(0);
    expect(violationLines(dry.stdout)).toEqual(violationLines(wet.stdout));
    expect(violationLines(dry.stdout)).toContain('spec-guard: tasks/specs/1002-risk.md: risk: Invalid option: expected one of "low"|"medium"|"high"');
    expect(dry.stdout.endsWith('spec-guard: 1 violation(s) (dry run: not failing)\n')).toBe(true);
  });
});

describe('spec guard: the base ref', () => {
  it('--base that names no commit is bad input: exit 2, one line', async () => {
    const { r } = baseRepo();
    expectOneLineError(await guard(r, ['--base', 'no-such-ref']), "--base: 'no-such-ref' does not name a commit");
  });

  it('a --specs-dir that is not a directory, or an empty --guarded, is bad input: exit 2, one line', async () => {
    const { r } = baseRepo();
    expectOneLineError(await guard(r, ['--specs-dir', 'no/such/dir']), '--specs-dir: no/such/dir is not a directory');
    expectOneLineError(await guard(r, ['--specs-dir', 'README.md']), '--specs-dir: README.md is not a directory');
    expectOneLineError(await guard(r, ['--guarded', ' , ']), '--guarded: give at least one path prefix');
  });

  it('BASE_SHA that points nowhere is bad input: exit 2, one line', async () => {
    const { r } = baseRepo();
    const bogus = 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef';
    expectOneLineError(await guard(r, [], { BASE_SHA: bogus }), `BASE_SHA: '${bogus}' does not name a commit`);
  });

  it('takes BASE_SHA when there is no --base, and --base over BASE_SHA', async () => {
    const { r, base } = baseRepo();
    r.write('src/a.ts', 'x\n').commit('code');
    const fromEnv = await guard(r, [], { BASE_SHA: base });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stdout).toContain(`change against ${base} (BASE_SHA): 1 file(s)`);
    const explicit = await guard(r, ['--base', 'HEAD'], { BASE_SHA: 'no-such-ref' });
    expect(explicit.code, explicit.stderr).toBe(0);
    expect(explicit.stdout).toContain('change against HEAD (--base): 0 file(s)');
  });

  it('without --base, BASE_SHA and origin/main, judges the working tree against HEAD (and says so)', async () => {
    const { r } = baseRepo();
    r.write('src/a.ts', 'export const a = 2;\n').commit('one');
    r.write('src/c.ts', 'export const c = 1;\n').commit('two');
    r.write('src/d.ts', 'export const d = 1;\n');
    const result = await guard(r, []);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('spec-guard: change against HEAD (no origin/main and no BASE_SHA: the working tree against HEAD): 1 file(s)');
    expect(result.stdout).toContain('guarded code changed (src/d.ts)');
    r.commit('three');

    // With an origin/main (a fresh clone), that is the base instead.
    r.git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    const clone = await guard(r, []);
    expect(clone.code, clone.stdout).toBe(0);
    expect(clone.stdout).toContain('change against origin/main (origin/main): 0 file(s)');
  });

  it('judges the merge-base with the base, not the base itself, when the base moved on', async () => {
    const { r } = baseRepo();
    r.git('checkout', '-q', '-b', 'feature');
    r.append('README.md', 'feature docs\n').commit('feature');
    r.git('checkout', '-q', 'main');
    r.write('src/a.ts', 'main moved on\n').commit('main');
    r.git('checkout', '-q', 'feature');
    const { code, report } = await guardJson(r, ['--base', 'main']);
    expect(code).toBe(0); // src/a.ts changed on main, not in this change
    expect(report.guardedChanges).toEqual([]);
    expect(report.base).toBe('main');
  });

  it('in a repository without commits, every file is part of the change', async () => {
    const r = repo({ 'src/a.ts': 'a\n', [CORE]: specText({ id: '0001-core', status: 'landed', last_review: STALE }) }, { commit: false });
    const { code, report, stdout } = await guardJson(r, []);
    expect(code, stdout).toBe(1);
    expect(report.baseSource).toBe('empty repository');
    expect(report.touchedSpecs).toEqual([CORE]);
    expect(report.violations.map((v) => [v.file, v.field])).toEqual([[CORE, 'last_review']]);
  });

  it('outside a git repository: exit 2, one line', async () => {
    const r = repo();
    r.remove('.git');
    expectOneLineError(await guard(r, []), 'not a git repository');
  });

  it('a bad --today is bad usage: exit 2', async () => {
    const { r } = baseRepo();
    const result = await r.run(TOOLS.specGuard, ['--today', '2026-13-01']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });
});

describe('spec guard: the working tree is part of the change', () => {
  it('counts unstaged, staged and untracked changes, each on its own', async () => {
    const { r, base } = baseRepo();
    const changed = async () => {
      const { code, report } = await guardJson(r, ['--base', base]);
      return { code, guarded: report.guardedChanges, touched: report.touchedSpecs };
    };
    expect(await changed()).toEqual({ code: 0, guarded: [], touched: [] });

    r.write('src/a.ts', 'unstaged\n');
    expect(await changed()).toEqual({ code: 1, guarded: ['src/a.ts'], touched: [] });
    r.git('checkout', '--', 'src/a.ts');

    r.write('src/staged.ts', 'staged\n');
    r.git('add', 'src/staged.ts');
    expect(await changed()).toEqual({ code: 1, guarded: ['src/staged.ts'], touched: [] });
    r.git('rm', '-q', '--cached', 'src/staged.ts');
    r.remove('src/staged.ts');

    r.write('src/new/untracked.ts', 'untracked\n');
    expect(await changed()).toEqual({ code: 1, guarded: ['src/new/untracked.ts'], touched: [] });

    // A deleted file is a change too.
    r.remove('src/new');
    r.git('rm', '-q', 'src/a.ts');
    expect(await changed()).toEqual({ code: 1, guarded: ['src/a.ts'], touched: [] });

    // An untracked new spec, and an unstaged edit of one, are touched specs.
    r.write('tasks/specs/0003-new.md', specText({ id: '0003-new', last_review: FRESH }));
    expect(await changed()).toEqual({ code: 0, guarded: ['src/a.ts'], touched: ['tasks/specs/0003-new.md'] });
    r.remove('tasks/specs/0003-new.md').append(CORE, 'edited\n');
    expect(await changed()).toEqual({ code: 0, guarded: ['src/a.ts'], touched: [CORE] });
  });

  it('does not count files ignored by .gitignore', async () => {
    const { r, base } = baseRepo({ '.gitignore': 'src/generated/\n' });
    r.write('src/generated/out.ts', 'generated\n');
    expect((await guard(r, ['--base', base])).code).toBe(0);
  });
});

describe('spec guard: --json and --out', () => {
  it('--json prints the report; --out writes the same report next to the text one', async () => {
    const { r, base } = baseRepo();
    r.write('src/a.ts', 'x\n');
    const json = await guardJson(r, ['--base', base]);
    expect(json.code).toBe(1);
    expect(json.report).toMatchObject({
      base,
      baseSource: '--base',
      touchedSpecs: [],
      guardedChanges: ['src/a.ts'],
      goldenChanges: [],
      violations: [{ file: 'tasks/specs', field: '(change)', message: expect.stringContaining('src/a.ts') }],
    });
    expect(json.report.specs.map((s) => s.file)).toEqual([CORE, FEATURE]);

    const outPath = r.path('.runs/nested/dir/spec-guard.json');
    const text = await guard(r, ['--base', base, '--out', outPath]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('spec-guard: 1 violation(s)');
    expect(existsSync(outPath)).toBe(true);
    expect(JSON.parse(readFileSync(outPath, 'utf8'))).toEqual(json.report);

    // --out with --dry-run still writes the violations (exit 0).
    const dryOut = r.path('dry.json');
    expect((await guard(r, ['--base', base, '--dry-run', '--out', dryOut])).code).toBe(0);
    expect((JSON.parse(readFileSync(dryOut, 'utf8')) as GuardReport).violations).toHaveLength(1);
  });
});
