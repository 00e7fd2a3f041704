// vitest runs every suite of TEST_INCLUDE in one of two projects (vitest.config.ts): the suites
// that replace modules or spy on process-wide objects each in a module graph of their own, the
// others sharing their worker's module graph (isolate: false). A suite that mocks a module in a
// shared graph would hand its mock to the suites run after it in that worker; this finds every
// such suite and holds the config to the list.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config.js';
import { suitesOnDisk } from '../../src/harness/review/ran.js';
import { ISOLATED_SUITES, TEST_INCLUDE } from '../../src/harness/test-suites.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Every suite on disk, as the lane's review counts them. */
const suites = suitesOnDisk(root);

/** What a suite does that must not reach the suites after it in a shared module graph. */
const NEEDS_ISOLATION = /\bvi\s*\.\s*(mock|doMock|unmock|doUnmock|spyOn|stubGlobal|stubEnv|resetModules|importMock)\s*\(/;

describe('the two vitest projects', () => {
  it('every suite that mocks a module or spies on a process-wide object runs isolated', () => {
    const needing = suites.filter((file) => NEEDS_ISOLATION.test(readFileSync(path.join(root, file), 'utf8')));
    expect(needing.length).toBeGreaterThan(0);
    expect(needing.filter((file) => !ISOLATED_SUITES.includes(file))).toEqual([]);
  });

  it('every isolated suite exists and is a suite', () => {
    expect(ISOLATED_SUITES.filter((file) => !suites.includes(file))).toEqual([]);
  });

  it('together the projects run exactly TEST_INCLUDE, each suite in one project', () => {
    const projects = (config.test?.projects ?? []) as Array<{ test: { name: string; include: string[]; exclude?: string[]; isolate?: boolean } }>;
    expect(projects.map((p) => p.test.name)).toEqual(['isolated', 'shared']);
    const [isolated, shared] = projects as [(typeof projects)[0], (typeof projects)[0]];
    expect(isolated.test.include).toEqual(ISOLATED_SUITES);
    expect(isolated.test.isolate).not.toBe(false);
    expect(shared.test.include).toEqual(TEST_INCLUDE);
    expect(shared.test.isolate).toBe(false);
    const excluded = picomatch(shared.test.exclude ?? []);
    const inShared = suites.filter((file) => !excluded(file));
    expect(inShared.filter((file) => ISOLATED_SUITES.includes(file))).toEqual([]);
    expect([...inShared, ...ISOLATED_SUITES].sort()).toEqual(suites);
  });
});

/** A statement at a module's top level that runs a command: the module is an entry, not a library. */
const RUNS_ON_IMPORT = /^(process\.exitCode\s*=|await\s|exitWhenSettled\(|refuseStaleDist\()/m;

/** The project modules `file` imports for their code (not `import type`), as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers
    .map((spec) => path.relative(root, path.resolve(root, path.dirname(file), spec.replace(/\.js$/, '.ts'))))
    .filter((target) => !target.startsWith('..') && existsSync(path.join(root, target)));
}

describe('what a suite imports', () => {
  // bench/run-bench.ts runs the whole bench when imported: a suite that imported it for one
  // helper ran every memory probe and timing inside its vitest worker, 8 s of the test stage.
  it('no suite imports, directly or through what it imports, a module that runs a command when loaded', () => {
    const seen = new Set<string>();
    const entries: string[] = [];
    const queue = [...suites];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file) || !file.endsWith('.ts')) continue;
      seen.add(file);
      if (!suites.includes(file) && RUNS_ON_IMPORT.test(readFileSync(path.join(root, file), 'utf8'))) entries.push(file);
      queue.push(...importsOf(file));
    }
    expect(seen.size).toBeGreaterThan(suites.length);
    expect(entries).toEqual([]);
  });

  it('finds an entry behind an import', () => {
    expect(importsOf('tests/unit/test-suites.test.ts')).toContain('src/harness/test-suites.ts');
    expect(RUNS_ON_IMPORT.test(readFileSync(path.join(root, 'bench/run-bench.ts'), 'utf8'))).toBe(true);
    expect(RUNS_ON_IMPORT.test(readFileSync(path.join(root, 'src/cli/main.ts'), 'utf8'))).toBe(true);
  });
});

describe('what a suite starts', () => {
  it('no Node process the suite starts reads an extra CA bundle (vitest.config.ts)', () => {
    expect(process.env.NODE_EXTRA_CA_CERTS).toBeUndefined();
  });
});
