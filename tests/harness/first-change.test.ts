// Issue 18 item 5, spec 0012: a contributor's first change. The spec guard says which
// golden_changes globs would cover the undeclared golden files, and when a touched spec's
// golden_changes were ignored because the spec itself is invalid. Without --base, BASE_SHA
// and origin/main, the lane's tools judge the working tree against HEAD and say so in one
// line (never "since the root commit").
import { describe, expect, it } from 'vitest';
import { TOOLS, specText, useGitRepos, type GitRepo } from '../helpers/git-repo.js';

const repo = useGitRepos();
const TODAY = '2026-06-15';
const FRESH = '2026-06-01';
const FEATURE = 'tasks/specs/0002-feature.md';
const RUN = 'golden/alpha/expected/files/.runs/0101/cli/2026-01-05T09-00-00-000Z-96a0f96b';

function baseRepo(): { r: GitRepo; base: string } {
  const r = repo({
    'src/a.ts': 'export const a = 1;\n',
    [FEATURE]: specText({ id: '0002-feature', title: 'Feature', status: 'active', last_review: FRESH }),
    [`${RUN}/manifest.json`]: '{"status":"succeeded"}\n',
    'golden/alpha/expected/cli/1.stdout': 'ok\n',
    'golden/beta/expected/timeline.ndjson': '{"t":0}\n',
  });
  return { r, base: r.head() };
}

const guard = (r: GitRepo, args: string[], env: Record<string, string | undefined> = {}) => r.run(TOOLS.specGuard, ['--today', TODAY, ...args], env);

describe('spec guard: help with golden_changes', () => {
  it('prints the golden_changes globs that would cover the undeclared files', async () => {
    const { r, base } = baseRepo();
    r.write(`${RUN}/manifest.json`, '{"status":"failed"}\n')
      .write('golden/alpha/expected/cli/1.stdout', 'changed\n')
      .write('golden/beta/expected/timeline.ndjson', '{"t":1}\n')
      .append(FEATURE, 'More.\n')
      .commit('golden');
    const result = await guard(r, ['--base', base]);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toContain(
      'spec-guard: to declare them, add to the golden_changes of a touched spec: golden/alpha/expected/cli/1.stdout, golden/alpha/expected/files/.runs/*/cli/*/manifest.json, golden/beta/expected/timeline.ndjson\n',
    );
  });

  it("says a touched spec's golden_changes were ignored because the spec is invalid", async () => {
    const { r, base } = baseRepo();
    r.write('golden/alpha/expected/cli/1.stdout', 'changed\n')
      .write(
        FEATURE,
        specText({ id: '0002-feature', status: 'active', last_review: FRESH, risk: 'tiny', golden_changes: ['golden/alpha/expected/**'] }),
      )
      .commit('golden');
    const result = await guard(r, ['--base', base]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `spec-guard: ${FEATURE}: its golden_changes (golden/alpha/expected/**) were ignored: the spec itself is invalid (see its violations)\n`,
    );
  });
});

describe('the default base: the working tree against HEAD', () => {
  it('without --base, BASE_SHA and origin/main, the spec guard judges the working tree against HEAD and says so', async () => {
    const { r } = baseRepo();
    r.write('src/a.ts', 'export const a = 2;\n').commit('committed work is not the change');
    r.write('src/b.ts', 'export const b = 1;\n');
    const result = await guard(r, []);
    expect(result.stdout).toContain('spec-guard: change against HEAD (no origin/main and no BASE_SHA: the working tree against HEAD): 1 file(s)');
    expect(result.stdout).toContain('guarded code changed (src/b.ts)');
    expect(result.stdout).not.toContain('root commit');
  });

  it('the diff budget does the same', async () => {
    const { r } = baseRepo();
    r.write('src/a.ts', 'export const a = 2;\n').commit('one');
    r.write('src/b.ts', 'b\n');
    const result = await r.run(TOOLS.diffBudget, ['--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ base: 'HEAD', baseSource: 'HEAD', code: { files: 1, lines: 1 } });
    const text = await r.run(TOOLS.diffBudget, []);
    expect(text.stdout).toContain('change against HEAD (no origin/main and no BASE_SHA: the working tree against HEAD)');
  });
});

describe('tasks/specs/TEMPLATE.md', () => {
  it('is not a spec: never judged, and touching it declares nothing', async () => {
    const { r, base } = baseRepo();
    r.write('tasks/specs/TEMPLATE.md', '---\nid: NNNN\n---\n').write('src/a.ts', 'export const a = 3;\n').commit('template');
    const result = await guard(r, ['--base', base]);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('TEMPLATE.md:');
    expect(result.stdout).toContain('guarded code changed (src/a.ts) but no spec in tasks/specs/ is touched by this change');
  });
});
