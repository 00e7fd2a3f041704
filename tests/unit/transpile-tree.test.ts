// src/harness/build/transpile-tree.ts builds another checkout (a base ref, the bench's
// baseline) file by file; a tree that does not link that way is built with tsc.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
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
