// The docs check on throwaway repositories: every `npm run X`, `codex-orchestrator start X`
// and backticked repo path in README.md and docs/ exists; placeholders and gitignored paths
// are not flagged. And this repository's own README passes.
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

  it("this repository's own README passes (npm run docs:check)", async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('npm', ['run', '--silent', 'docs:check'], { cwd: PROJECT_ROOT, env: cleanEnv() }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^docs:check: \d+ file\(s\), \d+ script, \d+ pipeline and \d+ path reference\(s\): ok\n$/);
  });
});
