// src/harness/build/transpile-tree.ts builds another checkout (a base ref, the bench's
// baseline) file by file; a tree that does not link that way is built with tsc.
// src/harness/build/checkout.ts writes out the commit's files it builds.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkoutCommit } from '../../src/harness/build/checkout.js';
import { buildTree, transpileTree } from '../../src/harness/build/transpile-tree.js';

const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const trees: string[] = [];
afterEach(() => {
  for (const tree of trees.splice(0)) rmSync(tree, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'transpile-tree-'));
  trees.push(root);
  const all: Record<string, string> = {
    'package.json': JSON.stringify({ type: 'module' }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        rootDir: '.',
        outDir: 'dist',
        sourceMap: true,
        types: [],
        skipLibCheck: true,
      },
      include: ['src/**/*.ts', 'src/**/*.cts'],
    }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('transpileTree', () => {
  it("emits what tsc emits for each file of tsconfig's include, as ES modules under a type: module package", async () => {
    const files = {
      'src/a.ts': 'export type Count = number;\nexport const one: Count = 1;\n',
      'src/b.ts': "import { one, type Count } from './a.js';\nexport function twice(n: Count = one): Count {\n  return n * 2;\n}\n",
      'src/c.cts': 'export const legacy = 1;\n',
    };
    const mine = tree(files);
    const theirs = tree(files);
    expect(await transpileTree(mine)).toBe(3);
    execFileSync(process.execPath, [TSC, '-p', join(theirs, 'tsconfig.json')]);
    for (const out of ['dist/src/a.js', 'dist/src/b.js', 'dist/src/c.cjs', 'dist/src/b.js.map']) {
      expect(readFileSync(join(mine, out), 'utf8'), out).toBe(readFileSync(join(theirs, out), 'utf8'));
    }
    expect(readFileSync(join(mine, 'dist/src/b.js'), 'utf8')).toContain("import { one } from './a.js';");
  });

  it('with `under`, transpiles only the sources under those directories (a base ref needs only src/)', async () => {
    const root = tree({
      'src/a.ts': 'export const a = 1;\n',
      'src/deep/b.ts': 'export const b = 2;\n',
      'srcx/c.ts': 'export const c = 3;\n', // a sibling whose name starts the same is not under src/
      'tsconfig.json': JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', rootDir: '.', outDir: 'dist', types: [] },
        include: ['src/**/*.ts', 'srcx/**/*.ts'],
      }),
    });
    expect(await transpileTree(root, { under: ['src'] })).toBe(2);
    expect(existsSync(join(root, 'dist/src/a.js'))).toBe(true);
    expect(existsSync(join(root, 'dist/src/deep/b.js'))).toBe(true);
    expect(existsSync(join(root, 'dist/srcx/c.js'))).toBe(false);
  });
});

describe('checkoutCommit', () => {
  it("writes a commit's files, but the golden corpus and the test suites, and registers nothing in the repository", async () => {
    const repo = tree({ 'src/a.ts': 'export const a = 1;\n', 'golden/s/scenario.json': '{}', 'tests/a.test.ts': '', 'docs/golden/x.md': 'kept\n' });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
    writeFileSync(join(repo, 'src/a.ts'), 'export const a = 2;\n'); // the working tree's change is not the commit's
    const out = mkdtempSync(join(tmpdir(), 'checkout-'));
    trees.push(out);
    await checkoutCommit(repo, 'HEAD', out);
    expect(readFileSync(join(out, 'src/a.ts'), 'utf8')).toBe('export const a = 1;\n');
    expect(readFileSync(join(out, 'docs/golden/x.md'), 'utf8')).toBe('kept\n'); // only the top-level directories are left out
    expect(existsSync(join(out, 'golden'))).toBe(false);
    expect(existsSync(join(out, 'tests'))).toBe(false);
    expect(existsSync(join(out, 'package.json'))).toBe(true);
    expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
  });

  it('says which step failed, in one line: a commit that does not exist, a directory tar cannot write to', async () => {
    const repo = tree({ 'src/a.ts': '' });
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'base'], { cwd: repo });
    const out = mkdtempSync(join(tmpdir(), 'checkout-'));
    trees.push(out);
    await expect(checkoutCommit(repo, 'no-such-ref', out)).rejects.toThrow(/^git archive of no-such-ref: fatal: /);
    await expect(checkoutCommit(repo, 'HEAD', join(out, 'missing'))).rejects.toThrow(/^tar of HEAD: /);
  });

  // Found in review: a tar that stops reading left `git archive` blocked on a full pipe, and the
  // promise (golden diff --base, the review, the bench's baseline) never settled. The archive
  // here is far larger than a pipe's buffer.
  it('ends, naming tar, when tar stops reading an archive larger than a pipe holds', async () => {
    const repo = tree({ 'src/big.txt': 'x'.repeat(4 * 1024 * 1024) });
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'big'], { cwd: repo });
    const out = mkdtempSync(join(tmpdir(), 'checkout-'));
    trees.push(out);
    await expect(checkoutCommit(repo, 'HEAD', join(out, 'missing'))).rejects.toThrow(/^tar of HEAD: .*missing/);
  });

  it('dates each file now, not with the commit date: a commit from a clock ahead is not newer than a build made from it', async () => {
    const repo = tree({ 'src/a.ts': 'export const a = 1;\n' });
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'ahead'], {
      cwd: repo,
      env: { ...process.env, GIT_COMMITTER_DATE: '2099-01-01T00:00:00Z', GIT_AUTHOR_DATE: '2099-01-01T00:00:00Z' },
    });
    const out = mkdtempSync(join(tmpdir(), 'checkout-'));
    trees.push(out);
    const before = Date.now();
    await checkoutCommit(repo, 'HEAD', out);
    const mtime = statSync(join(out, 'src/a.ts')).mtimeMs;
    expect(mtime).toBeGreaterThanOrEqual(before - 2_000);
    expect(mtime).toBeLessThanOrEqual(Date.now() + 2_000);
  });
});

describe('buildTree', () => {
  it('keeps the transpiled build when its entries link', async () => {
    const root = tree({ 'src/a.ts': 'export const a = 1;\n', 'src/entry.ts': "export { a } from './a.js';\n" });
    expect(await buildTree(root, TSC, ['dist/src/entry.js'])).toBe('transpiled');
  });

  it('builds with tsc when a type re-exported without `type` does not link file by file', async () => {
    const root = tree({
      'src/a.ts': 'export type T = number;\nexport const a: T = 1;\n',
      'src/b.ts': "export { T, a } from './a.js';\n", // not isolatedModules-clean
      'src/entry.ts': "import { a } from './b.js';\nexport const b = a + 1;\n",
    });
    expect(await buildTree(root, TSC, ['dist/src/entry.js'])).toBe('tsc');
    // tsc knows T is a type and leaves it out: the tree now links.
    expect(readFileSync(join(root, 'dist/src/b.js'), 'utf8')).not.toContain('T,');
  });
});
