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

type FreshDist = {
  staleDistLine: (root: string, sources?: string[]) => string | null;
  importedSources: (root: string, entry: string) => string[];
  BUILD_STAMP: string;
};
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

  it('a module of dist/ runs the sources of its relative imports, followed (from, import, import(), require); packages are not judged', async () => {
    const { importedSources, staleDistLine, BUILD_STAMP } = await load();
    const root = checkout(
      { 'tool/cli.ts': -10, 'tool/a.ts': -10, 'src/b.ts': -10, 'src/c.cts': -10, 'src/d.ts': -10, 'src/other.ts': 50 },
      0,
      BUILD_STAMP,
    );
    const emitted = {
      'tool/cli.js': "import { a } from './a.js';\nexport * from '../src/b.js';\nimport { Command } from 'commander';\n",
      'tool/a.js': "import '../src/d.js';\nexport const a = await import('../src/c.cjs');\n",
      'src/b.js': 'export {};\n',
      'src/c.cjs': "require('./b.js');\n",
      'src/d.js': "import './b.js';\n",
      'src/other.js': 'export {};\n',
    };
    for (const [path, text] of Object.entries(emitted)) {
      mkdirSync(join(root, 'dist', path, '..'), { recursive: true });
      writeFileSync(join(root, 'dist', path), text);
    }
    const sources = importedSources(root, join(root, 'dist/tool/cli.js'));
    expect(sources.map((path) => path.slice(root.length + 1))).toEqual(['src/b.ts', 'src/c.cts', 'src/d.ts', 'tool/a.ts', 'tool/cli.ts']);
    // src/other.ts changed after the build: stale for every tool, not for this one.
    expect(staleDistLine(root)).toBe('dist/ is older than src/other.ts (changed after the last build): run `npm run build`');
    expect(staleDistLine(root, sources)).toBeNull();
    utimesSync(join(root, 'src/c.cts'), T + 60, T + 60);
    expect(staleDistLine(root, sources)).toBe('dist/ is older than src/c.cts (changed after the last build): run `npm run build`');
  });

  it('each tool refuses it with one line and exit 2 (the review and the codemod aside); a fresh build runs', async () => {
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
    // The codemod runs none of src/a.ts from dist/ (its test below: what it does run).
    expect(run('dist/codemods/cli.js').status).toBe(0);
  });

  // The codemod reads src/ with ts-morph and rewrites it: only the modules it runs from dist/
  // (its own and what they import) must be older than the build. It used to be judged by every
  // source, so its own rewrite refused its next run until a rebuild.
  it('the codemod runs again after its own rewrite of src/, and refuses when code it runs from dist/ changed', async () => {
    const { BUILD_STAMP } = await load();
    const root = mkdtempSync(join(tmpdir(), 'fresh-dist-codemod-'));
    temps.push(root);
    for (const path of ['src', 'codemods', 'dist', 'tsconfig.json', 'package.json']) cpSync(join(ROOT, path), join(root, path), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    // A call site of the raw writer for it to move.
    writeFileSync(
      join(root, 'src/run/finish-x.ts'),
      [
        "import { saveManifest, type RunPaths } from '../persist/manifest-writer.js';",
        "import type { ManifestPersister } from '../persist/persister.js';",
        "import type { Manifest } from '../manifest/schema.js';",
        '',
        'export async function finishX(paths: RunPaths, manifest: Manifest, persister: ManifestPersister): Promise<void> {',
        "  manifest.status = 'succeeded';",
        '  await saveManifest(paths, manifest);',
        '}',
        '',
      ].join('\n'),
    );
    // Every source older than the build; the rewrite (now) is newer. File times set, never waited for.
    const now = Date.now() / 1000;
    const age = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) age(path);
        else utimesSync(path, now - 200, now - 200);
      }
    };
    for (const dir of ['src', 'codemods']) age(join(root, dir));
    utimesSync(join(root, 'dist', BUILD_STAMP), now - 100, now - 100);
    const run = (script: string, ...args: string[]) => spawnSync(process.execPath, [join(root, script), ...args], { cwd: root, encoding: 'utf8' });
    const codemod = (...args: string[]) => run('dist/codemods/cli.js', 'persister', 'src/run/finish-x.ts', ...args);

    const first = codemod();
    expect([first.status, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toContain('  sites:  1 migrated, 0 already migrated, 0 unmigratable\n');
    expect(readFileSync(join(root, 'src/run/finish-x.ts'), 'utf8')).toContain('  await persister.persist({ force: true });\n');
    // Without a rebuild: a dry run, then a rerun, find nothing left to move.
    const dry = codemod('--dry-run');
    expect([dry.status, dry.stderr]).toEqual([0, '']);
    expect(dry.stdout).toBe(
      'persister codemod (dry run: nothing written):\n  files:  0 would change, 1 unchanged\n  sites:  0 migrated, 1 already migrated, 0 unmigratable\n',
    );
    const again = codemod();
    expect([again.status, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toContain('  sites:  0 migrated, 1 already migrated, 0 unmigratable\n');
    // A tool that runs src/ from dist/ still refuses the rewritten tree.
    expect(run('dist/src/harness/golden/bin.cjs', '--help').stderr).toBe(
      'golden: dist/ is older than src/run/finish-x.ts (changed after the last build): run `npm run build`\n',
    );
    // And the codemod refuses when a module it runs changed: one it imports from src/, then its own.
    for (const source of ['src/harness/tool-cli.ts', 'codemods/persister/run.ts']) {
      utimesSync(join(root, source), now, now);
      const refused = codemod('--dry-run');
      expect([refused.status, refused.stdout, refused.stderr]).toEqual([
        2,
        '',
        `codemod: dist/ is older than ${source} (changed after the last build): run \`npm run build\`\n`,
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
    // Red with every stage passed: the packet's own finding, so the review stage fails the lane.
    expect(result.status, result.stderr).toBe(1);
    const line = 'dist/ is older than src/a.ts (changed after the last build): run `npm run build`';
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^red: ${line.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}; `));
    expect(readFileSync(join(runDir, 'review.md'), 'utf8')).toContain(`**RED**: ${line}.`);
  });
});
