// Issue 18 item 4, spec 0012: never a false green. The lane's tools refuse to run on a dist/
// older than its sources (one line: run `npm run build`, exit 2). File times are set with
// utimes, never waited for.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const T = Date.parse('2026-12-01T06:00:00.000Z') / 1000;

type FreshDist = { staleDistLine: (root: string) => string | null; BUILD_STAMP: string };
const load = async () => (await import('../../src/harness/fresh-dist.js' as string)) as FreshDist;

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A checkout: sources with the given times (seconds from T), a build stamp at `stamp` (or none). */
function checkout(sources: Record<string, number>, stamp: number | null, stampName: string): string {
  const root = mkdtempSync(join(tmpdir(), 'fresh-dist-'));
  temps.push(root);
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (const [path, at] of Object.entries(sources)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), 'export {};\n');
    utimesSync(join(root, path), T + at, T + at);
  }
  if (stamp !== null) {
    writeFileSync(join(root, 'dist', stampName), '');
    utimesSync(join(root, 'dist', stampName), T + stamp, T + stamp);
  }
  return root;
}

describe('a dist/ older than its sources', () => {
  it('is fresh when every source is older than the build stamp (tests and codemod fixtures do not count)', async () => {
    const { staleDistLine, BUILD_STAMP } = await load();
    const root = checkout({ 'src/a.ts': -10, 'bench/b.ts': -5, 'src/a.test.ts': 50, 'codemods/x/fixtures/f.ts': 50 }, 0, BUILD_STAMP);
    expect(staleDistLine(root)).toBeNull();
  });

  it('names the newest source changed after the build', async () => {
    const { staleDistLine, BUILD_STAMP } = await load();
    const root = checkout({ 'src/a.ts': -10, 'src/run/b.ts': 30, 'codemods/c.ts': 20, 'lint-rules/r.ts': -1 }, 0, BUILD_STAMP);
    expect(staleDistLine(root)).toBe('dist/ is older than src/run/b.ts (changed after the last build): run `npm run build`');
  });

  it('counts a CommonJS TypeScript source (.cts, as bench/startup-floor.cts) like any other', async () => {
    const { staleDistLine, BUILD_STAMP } = await load();
    const root = checkout({ 'src/a.ts': -10, 'bench/startup-floor.cts': 30, 'bench/x.test.cts': 50 }, 0, BUILD_STAMP);
    expect(staleDistLine(root)).toBe('dist/ is older than bench/startup-floor.cts (changed after the last build): run `npm run build`');
  });

  it('says so when there is no build stamp', async () => {
    const { staleDistLine, BUILD_STAMP } = await load();
    const root = checkout({ 'src/a.ts': 0 }, null, BUILD_STAMP);
    expect(staleDistLine(root)).toBe('dist/ has no build stamp (dist/.build-stamp): run `npm run build`');
  });

  it('is not judged without sources (an installed package)', async () => {
    const { staleDistLine, BUILD_STAMP } = await load();
    expect(staleDistLine(checkout({}, null, BUILD_STAMP))).toBeNull();
  });

  it('each tool refuses it with one line and exit 2 (the review aside); a fresh build runs', async () => {
    const { BUILD_STAMP } = await load();
    const root = checkout({ 'src/a.ts': 0 }, 10, BUILD_STAMP);
    cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    utimesSync(join(root, 'dist', BUILD_STAMP), T + 10, T + 10);
    const tools = {
      'spec-guard': 'dist/src/harness/spec-guard/bin.cjs',
      'diff-budget': 'dist/src/harness/diff-budget/bin.cjs',
      'docs:check': 'dist/src/harness/docs-check/bin.cjs',
      golden: 'dist/src/harness/golden/bin.cjs',
      bench: 'dist/bench/run-bench.js',
      codemod: 'dist/codemods/cli.js',
    };
    const run = (script: string) => spawnSync(process.execPath, [join(root, script), '--help'], { cwd: root, encoding: 'utf8' });
    for (const script of Object.values(tools)) expect(run(script).status, script).toBe(0);
    utimesSync(join(root, 'src/a.ts'), T + 20, T + 20);
    for (const [name, script] of Object.entries(tools)) {
      const result = run(script);
      expect([result.status, result.stdout, result.stderr], script).toEqual([
        2,
        '',
        `${name}: dist/ is older than src/a.ts (changed after the last build): run \`npm run build\`\n`,
      ]);
    }
  });

  // The review writes the lane's packet after any failure (it is always): on a stale dist/ it
  // does not refuse, the packet is red and says why.
  it('the review writes its packet all the same, red, saying why', async () => {
    const { BUILD_STAMP } = await load();
    const root = checkout({ 'src/a.ts': 20 }, 10, BUILD_STAMP);
    cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    utimesSync(join(root, 'dist', BUILD_STAMP), T + 10, T + 10);
    const runDir = join(root, '.runs/0101/cli/r1');
    mkdirSync(runDir, { recursive: true });
    const golden = join(ROOT, 'golden/success/expected/files/.runs/0101/cli');
    const [id] = readdirSync(golden);
    // The golden run's stages declare no report: give its first stage one, written, so the
    // packet has something to review and its verdict is about the stale dist/.
    const manifest = JSON.parse(readFileSync(join(golden, id!, 'manifest.json'), 'utf8')) as { commands: Array<Record<string, unknown>> };
    manifest.commands[0]!.report = '.runs/0101/cli/r1/checks.json';
    writeFileSync(join(runDir, 'checks.json'), '{}\n');
    writeFileSync(join(runDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const result = spawnSync(process.execPath, [join(root, 'dist/src/harness/review/bin.cjs'), '--run-dir', runDir, '--no-golden-diff'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    const line = 'dist/ is older than src/a.ts (changed after the last build): run `npm run build`';
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^red: ${line.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}; `));
    expect(readFileSync(join(runDir, 'review.md'), 'utf8')).toContain(`**RED**: ${line}.`);
  });
});
