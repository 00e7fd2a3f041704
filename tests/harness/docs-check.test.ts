// The docs check on throwaway repositories: every `npm run X`, `codex-orchestrator start X`
// and backticked repo path in README.md and docs/ exists; placeholders and gitignored paths
// are not flagged. Every section reference `<file>.md §N`, in those files and in the comments
// of the sources under src/, bench/, codemods/, lint-rules/ and tests/, names a file with a
// `## N.` heading, and the contracts document that is not in the repository is never cited.
// And this repository's own docs and source comments pass.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { DocsReport } from '../../src/harness/docs-check/check.js';
import { PROJECT_ROOT, TOOLS, cleanEnv, useGitRepos, type GitRepo } from '../helpers/git-repo.js';
import { expectOneLineError } from '../helpers/integration.js';

const repo = useGitRepos();

const PACKAGE = JSON.stringify({ name: 'docs-fixture', private: true, scripts: { build: 'tsc', test: 'vitest run', 'docs:check': 'x', lane: 'y' } });
const CONFIG = JSON.stringify({
  pipelines: [
    { id: 'ci', title: 'CI', stages: [{ kind: 'command', id: 'a', title: 'A', command: 'true' }] },
    { id: 'implementation-gate', title: 'Gate', stages: [{ kind: 'command', id: 'a', title: 'A', command: 'true' }] },
  ],
});

function docsRepo(docs: Record<string, string>, extra: Record<string, string> = {}): GitRepo {
  return repo({
    'package.json': PACKAGE,
    'codex.orchestrator.json': CONFIG,
    '.gitignore': '/out/\n/.runs/\n',
    'src/index.ts': 'export {};\n',
    'out/keep.txt': 'ignored build output\n',
    ...docs,
    ...extra,
  });
}

const check = (r: GitRepo, args: string[] = []) => r.run(TOOLS.docsCheck, args);

/** The 1-based line of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`'${needle}' is not in the text`);
  return index + 1;
}

const README = [
  '# Project',
  '',
  'Build with `npm run build`, test with `npm run test`, then `npm run docs:check`.',
  'Ship it with `npm run deploy`.',
  'The lane: `codex-orchestrator start implementation-gate`; in CI `codex-orchestrator start --format json ci`.',
  'Nightly: `codex-orchestrator start --task 0202 --format=json nightly`.',
  'The code is in `src/index.ts` and `./src/`; the old entry `src/main.ts` is gone.',
  'Runs land in `.runs/0101/cli/<run-id>/` and reports in `out/report.html`.',
  'Any pipeline: `codex-orchestrator start <pipeline>`, or `npx codex-orchestrator start` for the default.',
  '`src/index.ts/` is not a directory.',
  '',
].join('\n');

/** Sections 1 and 2; the `## 3.` line is inside a code block, so it is no heading. */
const CONTRACTS_DOC = ['# Contracts', '', '## 1. Command line', '', 'Text.', '', '## 2. Config', '', '```md', '## 3. Not a heading', '```', ''].join(
  '\n',
);

const GUIDE = ['# Guide', '', 'Lint with `npm run lint`.', 'See `docs/missing.md`.', ''].join('\n');
const DEEP = ['# Deep', '', '```sh', 'codex-orchestrator start ghost', '```', ''].join('\n');

describe('docs check', () => {
  it('reports every missing script, pipeline and path with file:line (exit 1)', async () => {
    const r = docsRepo({ 'README.md': README, 'docs/guide.md': GUIDE, 'docs/deep/more.md': DEEP });
    const result = await check(r);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const problems = result.stdout.split('\n').filter((l) => /^docs:check: [^ ]+:\d+: /.test(l));
    expect(problems).toEqual([
      `docs:check: README.md:${lineOf(README, 'npm run deploy')}: npm run deploy: no script 'deploy' in package.json`,
      `docs:check: README.md:${lineOf(README, 'nightly')}: codex-orchestrator start nightly: no pipeline 'nightly' in codex.orchestrator.json`,
      `docs:check: README.md:${lineOf(README, 'src/main.ts')}: src/main.ts: no such file or directory in the repository`,
      `docs:check: README.md:${lineOf(README, 'is not a directory')}: src/index.ts/: named as a directory but is a file`,
      `docs:check: docs/deep/more.md:${lineOf(DEEP, 'ghost')}: codex-orchestrator start ghost: no pipeline 'ghost' in codex.orchestrator.json`,
      `docs:check: docs/guide.md:${lineOf(GUIDE, 'npm run lint')}: npm run lint: no script 'lint' in package.json`,
      `docs:check: docs/guide.md:${lineOf(GUIDE, 'docs/missing.md')}: docs/missing.md: no such file or directory in the repository`,
    ]);
    expect(result.stdout.endsWith('7 problem(s)\n')).toBe(true);

    const json = await check(r, ['--json']);
    const report = JSON.parse(json.stdout) as DocsReport;
    expect(report.files).toEqual(['README.md', 'docs/deep/more.md', 'docs/guide.md']);
    expect(report.problems.map((p) => [p.file, p.line, p.kind])).toEqual([
      ['README.md', 4, 'script'],
      ['README.md', 6, 'pipeline'],
      ['README.md', 7, 'path'],
      ['README.md', 10, 'path'],
      ['docs/deep/more.md', 4, 'pipeline'],
      ['docs/guide.md', 3, 'script'],
      ['docs/guide.md', 4, 'path'],
    ]);
  });

  it('skips flags (and their values) before the pipeline id', async () => {
    const text = [
      '`codex-orchestrator start --format json ci`',
      '`codex-orchestrator start --task 0202 --approval-policy never --target a implementation-gate`',
      '`codex-orchestrator start --format=json --parent-run 2026-01-01T00-00-00-000Z-abcdef01 ci`',
      '`codex-orchestrator start --format json nope`',
      '',
    ].join('\n');
    const r = docsRepo({ 'README.md': text });
    const result = await check(r, ['--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as DocsReport;
    expect(report.checked.pipelines).toBe(4);
    expect(report.problems).toEqual([
      {
        file: 'README.md',
        line: 4,
        kind: 'pipeline',
        text: 'codex-orchestrator start nope',
        message: "no pipeline 'nope' in codex.orchestrator.json",
      },
    ]);
  });

  it('does not flag placeholders, gitignored paths or bare file names, but flags a path once it is no longer ignored', async () => {
    const text = [
      'Runs: `.runs/0101/cli/<run-id>/manifest.json`; reports: `out/report.html`; each stage writes `commands/NN-<stage>.ndjson`.',
      'Globs like `golden/**/expected/**` and `src/{a,b}.ts`, values like `$CODEX_ORCHESTRATOR_RUN_DIR/bench.json`, files like `scenario.json`.',
      'Links: `https://example.com/a/b`, flags: `--out/x`.',
      '',
    ].join('\n');
    const r = docsRepo({ 'README.md': text });
    const result = await check(r);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toBe('docs:check: 1 file(s), 0 script, 0 pipeline and 1 path reference(s): ok\n');

    r.write('.gitignore', '/.runs/\n');
    const unignored = await check(r);
    expect(unignored.code).toBe(1);
    expect(unignored.stdout).toContain('docs:check: README.md:1: out/report.html: no such file or directory in the repository\n');
  });

  it('passes a clean doc (exit 0) and checks only README.md and docs/', async () => {
    const r = docsRepo({
      'README.md': '# Clean\n\n`npm run build` then `npm run-script test`; `codex-orchestrator start ci`. Code: `src/index.ts`, `./src/`.\n',
      'docs/ok.md': 'Also `npm run lane` and `src/`.\n',
      'notes/elsewhere.md': '`npm run nope` is not checked here.\n',
    });
    const result = await check(r);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toBe('docs:check: 2 file(s), 3 script, 1 pipeline and 3 path reference(s): ok\n');
  });

  it('passes without README.md and docs/ at all', async () => {
    const r = docsRepo({});
    const result = await check(r);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 file(s)');
  });

  it('a repository without a readable package.json is bad input: exit 2, one line', async () => {
    const r = docsRepo({ 'README.md': '`npm run build`\n' });
    r.remove('package.json');
    expectOneLineError(await check(r), 'docs:check: package.json: ');
    r.write('package.json', '{ "scripts": ');
    expectOneLineError(await check(r), 'docs:check: package.json: ');
  });

  it('an unreadable codex.orchestrator.json is bad input: exit 2, one line', async () => {
    const r = docsRepo({ 'README.md': '`codex-orchestrator start ci`\n' });
    r.write('codex.orchestrator.json', '{ "pipelines": [');
    expectOneLineError(await check(r), 'docs:check: codex.orchestrator.json: ');
  });

  it('checks every <file>.md §N in the docs and in source comments against the numbered headings (exit 1)', async () => {
    const readme = [
      '# Project',
      '',
      'The command line: docs/contracts.md §1; the config: `docs/contracts.md` §2.',
      'Events: docs/contracts.md §5.',
      'Gone: docs/gone.md §1.',
      '',
    ].join('\n');
    const source = [
      '// The command line (docs/contracts.md §1).',
      "export const a = 'docs/contracts.md §9 in a string is not a reference';",
      "export const b = `template ${'docs/contracts.md §9'} text`; // trailing: contracts.md §2",
      '/**',
      ' * A block comment: docs/contracts.md §4.',
      ' */',
      'export const re = /\\/\\/ docs\\/contracts.md §9/; // the regular expression is not a comment',
      'export const half = 1 / 2; /* docs/contracts.md §2 */',
      '',
    ].join('\n');
    const r = docsRepo({
      'README.md': readme,
      'docs/contracts.md': CONTRACTS_DOC,
      'docs/guide.md': 'Read contracts.md §2, then ./contracts.md §3.\n',
      'src/index.ts': source,
      'src/deep/inner.ts': '// ../../docs/contracts.md §2, relative to this file.\n',
      'bench/b.ts': '// docs/contracts.md §2\n',
      'codemods/c.ts': '/* docs/contracts.md §0 */\n',
      'lint-rules/l.js': '// docs/contracts.md §1 and docs/contracts.md §6\n',
      'tests/a.test.ts': '// See docs/contracts.md §7.\n',
      'notes/n.ts': '// docs/contracts.md §99 is not checked: notes/ holds no sources.\n',
    });
    const result = await check(r);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const has = '(its numbered sections: 1, 2)';
    expect(result.stdout.split('\n').filter((l) => /^docs:check: [^ ]+:\d+: /.test(l))).toEqual([
      `docs:check: README.md:${lineOf(readme, '§5')}: docs/contracts.md §5: no section '## 5.' in docs/contracts.md ${has}`,
      `docs:check: README.md:${lineOf(readme, 'gone')}: docs/gone.md §1: no file docs/gone.md in the repository`,
      `docs:check: docs/guide.md:1: ./contracts.md §3: no section '## 3.' in docs/contracts.md ${has}`,
      `docs:check: codemods/c.ts:1: docs/contracts.md §0: no section '## 0.' in docs/contracts.md ${has}`,
      `docs:check: lint-rules/l.js:1: docs/contracts.md §6: no section '## 6.' in docs/contracts.md ${has}`,
      `docs:check: src/index.ts:${lineOf(source, '§4')}: docs/contracts.md §4: no section '## 4.' in docs/contracts.md ${has}`,
      `docs:check: tests/a.test.ts:1: docs/contracts.md §7: no section '## 7.' in docs/contracts.md ${has}`,
    ]);
    expect(result.stdout.endsWith('docs:check: 3 file(s), 0 script, 0 pipeline and 1 path reference(s): 7 problem(s)\n')).toBe(true);

    const report = JSON.parse((await check(r, ['--json'])).stdout) as DocsReport;
    expect(report.sourceFiles).toBe(6);
    expect(report.checked.sections).toBe(16);
    expect(new Set(report.problems.map((p) => p.kind))).toEqual(new Set(['section']));
  });

  it('fails when a cited section number does not exist, and passes once the heading is there', async () => {
    const r = docsRepo({ 'docs/contracts.md': CONTRACTS_DOC, 'src/index.ts': '// See docs/contracts.md §3.\nexport {};\n' });
    const result = await check(r);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toBe(
      [
        "docs:check: src/index.ts:1: docs/contracts.md §3: no section '## 3.' in docs/contracts.md (its numbered sections: 1, 2)",
        'docs:check: 1 file(s), 0 script, 0 pipeline and 0 path reference(s): 1 problem(s)',
        '',
      ].join('\n'),
    );

    r.write('docs/contracts.md', `${CONTRACTS_DOC}\n## 3. Manifest\n`);
    const fixed = await check(r);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(fixed.stdout).toBe('docs:check: 1 file(s), 0 script, 0 pipeline and 0 path reference(s): ok\n');
  });

  it('reports every reference to the contracts document that is not in the repository, however it is written', async () => {
    const readme = ['# Project', '', 'The old `CONTRACTS.md` §4 is gone; so is ../shared/design/CONTRACTS.md.', ''].join('\n');
    const source = ['// Manifest keys (CONTRACTS.md §4).', "export const s = 'CONTRACTS.md §4 in a string is not a reference';", ''].join('\n');
    const r = docsRepo({ 'README.md': readme, 'docs/contracts.md': CONTRACTS_DOC, 'src/index.ts': source });
    const result = await check(r, ['--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as DocsReport;
    expect(report.problems.map((p) => [p.file, p.line, p.kind, p.text])).toEqual([
      ['README.md', 3, 'section', 'CONTRACTS.md §4'],
      ['README.md', 3, 'section', '../shared/design/CONTRACTS.md'],
      ['src/index.ts', 1, 'section', 'CONTRACTS.md §4'],
    ]);
    expect(report.problems[0]!.message).toBe(
      'cites a document that is not in the repository: cite a numbered section of a file in docs/ (e.g. docs/contracts.md §4)',
    );
  });

  it("this repository's own README, docs and source comments pass (npm run docs:check)", async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('npm', ['run', '--silent', 'docs:check'], { cwd: PROJECT_ROOT, env: cleanEnv() }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^docs:check: \d+ file\(s\), \d+ script, \d+ pipeline and \d+ path reference\(s\): ok\n$/);
  });
});
