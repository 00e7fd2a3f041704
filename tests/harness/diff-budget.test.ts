// The diff budget on throwaway git repositories: code files and lines against their budget,
// golden expected files and codemod fixtures in a bucket of their own, lock files and build
// output ignored, the working tree (untracked files included) counted, the override.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BudgetReport } from '../../src/harness/diff-budget/budget.js';
import { expectOneLineError } from '../helpers/integration.js';
import { TOOLS, lines, useGitRepos, type GitRepo } from '../helpers/git-repo.js';

const repo = useGitRepos();

function baseRepo(files: Record<string, string> = {}): { r: GitRepo; base: string } {
  const r = repo({ 'src/a.ts': lines(10), 'README.md': '# project\n', ...files });
  return { r, base: r.head() };
}

function budget(r: GitRepo, args: string[], env: Record<string, string | undefined> = {}) {
  return r.run(TOOLS.diffBudget, args, env);
}

async function budgetJson(r: GitRepo, args: string[], env: Record<string, string | undefined> = {}) {
  const result = await budget(r, [...args, '--json'], env);
  return { ...result, report: JSON.parse(result.stdout) as BudgetReport };
}

describe('diff budget: code', () => {
  it('passes a change within the budget (exit 0) and reports files and lines', async () => {
    const { r, base } = baseRepo();
    r.write('src/a.ts', lines(10).replace('line 3\n', 'LINE 3\n')).write('src/b.ts', lines(4)).commit('change');
    const result = await budget(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toBe(
      [
        `diff-budget: change against ${base} (--base)`,
        'diff-budget: code: 2 file(s) / 6 line(s) changed (budget 25 files / 800 lines)',
        'diff-budget: fixtures: 0 file(s) / 0 line(s) changed (budget 1000 files / 500000 lines)',
        'diff-budget: ok',
        '',
      ].join('\n'),
    );
  });

  it('fails when there are more code files than --max-files (exit 1); exactly the budget passes', async () => {
    const { r, base } = baseRepo();
    r.write('src/b.ts', 'b\n').write('src/c.ts', 'c\n').commit('two files');
    expect((await budget(r, ['--base', base, '--max-files', '2'])).code).toBe(0);
    r.write('src/d.ts', 'd\n').commit('three files');
    const result = await budget(r, ['--base', base, '--max-files', '2']);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toContain('diff-budget: code: 3 file(s) / 3 line(s) changed (budget 2 files / 800 lines) OVER\n');
    expect(result.stdout).toContain('diff-budget: over budget (split the change, or set DIFF_BUDGET_OVERRIDE_REASON="<why>")\n');
    const { report } = await budgetJson(r, ['--base', base, '--max-files', '2']);
    expect(report).toMatchObject({ over: true, override: null, passed: false, code: { files: 3, lines: 3, over: true } });
  });

  it('fails when there are more code lines than --max-lines (exit 1), naming the largest changes', async () => {
    const { r, base } = baseRepo();
    r.write('src/big.ts', lines(6)).write('src/small.ts', lines(1)).commit('seven lines');
    expect((await budget(r, ['--base', base, '--max-lines', '7'])).code).toBe(0);
    const result = await budget(r, ['--base', base, '--max-lines', '6']);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toContain('diff-budget: code: 2 file(s) / 7 line(s) changed (budget 25 files / 6 lines) OVER\n');
    expect(result.stdout).toContain('diff-budget: largest code changes: src/big.ts (6), src/small.ts (1)\n');
  });

  it('counts deleted lines: added + deleted per file, and every line of a deleted file', async () => {
    const { r, base } = baseRepo({ 'src/gone.ts': lines(5) });
    const kept = lines(10).split('\n');
    // Lines 3-6 replaced by one line: 4 deleted + 1 added = 5 lines in src/a.ts.
    r.write('src/a.ts', [...kept.slice(0, 2), 'replaced', ...kept.slice(6)].join('\n'))
      .remove('src/gone.ts')
      .commit('deletions');
    const { code, report } = await budgetJson(r, ['--base', base]);
    expect(code).toBe(0);
    expect(report.code.paths).toEqual([
      { path: 'src/a.ts', lines: 5, status: 'modified' },
      { path: 'src/gone.ts', lines: 5, status: 'deleted' },
    ]);
    expect(report.code).toMatchObject({ files: 2, lines: 10 });
    expect((await budget(r, ['--base', base, '--max-lines', '9'])).code).toBe(1);
  });

  it('counts untracked files with their line count (and staged, unstaged changes)', async () => {
    const { r, base } = baseRepo();
    r.write('notes/todo.md', 'one\ntwo\nthree') // no final newline: still 3 lines
      .write('notes/empty.txt', '')
      .write('src/binary.bin', Buffer.from([0, 1, 2, 3, 10, 0]))
      .write('src/a.ts', `${lines(10)}appended\n`)
      .write('src/staged.ts', lines(2));
    r.git('add', 'src/staged.ts');
    const { code, report } = await budgetJson(r, ['--base', base]);
    expect(code).toBe(0);
    expect(report.code.paths).toEqual([
      { path: 'notes/empty.txt', lines: 0, status: 'untracked' },
      { path: 'notes/todo.md', lines: 3, status: 'untracked' },
      { path: 'src/a.ts', lines: 1, status: 'modified' },
      { path: 'src/binary.bin', lines: null, status: 'untracked' },
      { path: 'src/staged.ts', lines: 2, status: 'added' },
    ]);
    expect(report.code).toMatchObject({ files: 5, lines: 6 });
    const over = await budget(r, ['--base', base, '--max-files', '4']);
    expect(over.code).toBe(1);
    expect(over.stdout).toContain('src/binary.bin (binary)');
  });

  it('counts only the change since the merge-base, not what the base branch did since', async () => {
    const { r } = baseRepo();
    r.git('checkout', '-q', '-b', 'feature');
    r.write('src/feature.ts', lines(3)).commit('feature');
    r.git('checkout', '-q', 'main');
    r.write('src/main-only.ts', lines(500)).commit('main moves on');
    r.git('checkout', '-q', 'feature');
    const { code, report } = await budgetJson(r, ['--base', 'main', '--max-lines', '10']);
    expect(code).toBe(0);
    expect(report.code.paths).toEqual([{ path: 'src/feature.ts', lines: 3, status: 'added' }]);
  });
});

describe('diff budget: what is not code', () => {
  it('ignores lock files and build output', async () => {
    const { r, base } = baseRepo({ 'package-lock.json': '{}\n' });
    r.write('package-lock.json', lines(5000))
      .write('packages/x/yarn.lock', lines(100))
      .write('pnpm-lock.yaml', lines(100))
      .write('Cargo.lock', lines(100))
      .write('dist/src/index.js', lines(3000))
      .write('build/out.js', lines(10))
      .write('coverage/lcov.info', lines(10))
      .write('src/a.ts', `${lines(10)}one more\n`)
      .commit('mostly generated');
    const result = await budget(r, ['--base', base, '--max-files', '1', '--max-lines', '1']);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('diff-budget: code: 1 file(s) / 1 line(s) changed');
    expect(result.stdout).toContain(
      'diff-budget: ignored (lock files, build output): Cargo.lock, build/out.js, coverage/lcov.info, dist/src/index.js, package-lock.json, packages/x/yarn.lock, pnpm-lock.yaml\n',
    );
    // Build output only at the root: src/dist/ is code.
    r.write('src/dist/x.ts', 'x\n');
    expect((await budget(r, ['--base', base, '--max-files', '1'])).code).toBe(1);
  });

  it('counts golden expected files and codemod fixtures in the fixtures bucket, not in code', async () => {
    const { r, base } = baseRepo();
    r.write('golden/alpha/expected/manifest.json', lines(300))
      .write('golden/alpha/expected/commands/01-build.ndjson', lines(200))
      .write('codemods/persister/fixtures/input.ts', lines(50))
      .write('golden/alpha/scenario.json', lines(2)) // not an expected file: code
      .commit('fixtures');
    const result = await budgetJson(r, ['--base', base, '--max-files', '1', '--max-lines', '2']);
    expect(result.code, result.stdout).toBe(0);
    expect(result.report.code).toMatchObject({ files: 1, lines: 2 });
    expect(result.report.fixtures).toMatchObject({ files: 3, lines: 550, over: false });
    expect(result.report.fixtures.paths.map((p) => p.path)).toEqual([
      'codemods/persister/fixtures/input.ts',
      'golden/alpha/expected/commands/01-build.ndjson',
      'golden/alpha/expected/manifest.json',
    ]);

    // The fixtures bucket has a budget of its own.
    const files = await budget(r, ['--base', base, '--max-fixture-files', '2']);
    expect(files.code).toBe(1);
    expect(files.stdout).toContain('diff-budget: fixtures: 3 file(s) / 550 line(s) changed (budget 2 files / 500000 lines) OVER\n');
    expect((await budget(r, ['--base', base, '--max-fixture-lines', '549'])).code).toBe(1);
  });
});

describe('diff budget: the override', () => {
  it('DIFF_BUDGET_OVERRIDE_REASON passes an over-budget change (exit 0), prints the reason and keeps it in --out', async () => {
    const { r, base } = baseRepo();
    r.write('src/b.ts', lines(20)).commit('big');
    const reason = 'phase 5 rewrites every golden manifest';
    const out = r.path('.runs/run/diff-budget.json');
    const result = await budget(r, ['--base', base, '--max-lines', '5', '--out', out], { DIFF_BUDGET_OVERRIDE_REASON: reason });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('OVER\n');
    expect(result.stdout).toContain(`diff-budget: override: ${reason}\n`);
    expect(result.stdout.endsWith('diff-budget: over budget, overridden\n')).toBe(true);
    const report = JSON.parse(readFileSync(out, 'utf8')) as BudgetReport;
    expect(report).toMatchObject({ over: true, override: reason, passed: true, base, baseSource: '--base' });
    expect(report.code).toMatchObject({ files: 1, lines: 20, maxLines: 5, over: true });

    // A blank reason is no reason.
    expect((await budget(r, ['--base', base, '--max-lines', '5'], { DIFF_BUDGET_OVERRIDE_REASON: '   ' })).code).toBe(1);
    // One printable line: a newline and a terminal escape never reach the terminal or the packet as they are.
    const raw = await budget(r, ['--base', base, '--max-lines', '5'], { DIFF_BUDGET_OVERRIDE_REASON: 'split\nlater \u001b[31mred' });
    expect(raw.stdout).toContain('diff-budget: override: split later \\x1b[31mred\n');
    // Within budget, the reason is still recorded but nothing is overridden.
    const within = await budgetJson(r, ['--base', base], { DIFF_BUDGET_OVERRIDE_REASON: reason });
    expect(within.code).toBe(0);
    expect(within.report).toMatchObject({ over: false, override: reason, passed: true });
  });
});

describe('diff budget: the base ref', () => {
  it('a --base that names no commit is bad input: exit 2, one line', async () => {
    const { r } = baseRepo();
    expectOneLineError(await budget(r, ['--base', 'no-such-ref']), "diff-budget: --base: 'no-such-ref' does not name a commit");
  });

  it('a BASE_SHA that names no commit is bad input: exit 2, one line', async () => {
    const { r } = baseRepo();
    expectOneLineError(await budget(r, [], { BASE_SHA: 'origin/nowhere' }), "diff-budget: BASE_SHA: 'origin/nowhere' does not name a commit");
  });

  it('a bad --max-files is bad usage: exit 2', async () => {
    const { r } = baseRepo();
    const result = await budget(r, ['--max-files', 'many']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('defaults to the working tree against HEAD and says so (issue 18: never "since the root commit")', async () => {
    const { r } = baseRepo();
    r.write('src/b.ts', 'b\n').commit('one');
    r.write('src/c.ts', 'c\n');
    const { report } = await budgetJson(r, []);
    expect(report).toMatchObject({ base: 'HEAD', baseSource: 'HEAD', code: { files: 1, lines: 1 } });
  });
});
