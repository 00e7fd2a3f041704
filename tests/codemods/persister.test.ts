// Input/output fixture pairs for the persister codemod, each also run a second time
// (idempotency) and type-checked after the rewrite.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project, ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import type { PersisterOptions } from '../../codemods/persister/analyse.js';
import { runPersisterCodemod } from '../../codemods/persister/run.js';
import { expectOneLineError } from '../helpers/integration.js';

const CODEMOD = fileURLToPath(new URL('../../dist/codemods/cli.js', import.meta.url));
const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** The built codemod CLI, run from the project root. */
function runCli(script: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [script, ...args], { cwd: ROOT_DIR }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? null) : 0;
      resolveRun({
        code: typeof code === 'number' ? code : null,
        signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}

const FIXTURES = fileURLToPath(new URL('../../codemods/persister/fixtures', import.meta.url));
const cases = readdirSync(FIXTURES)
  .filter((name) => !name.startsWith('_'))
  .sort();

const baseOptions: PersisterOptions = {
  writerModule: '/fixtures/_lib/manifest.ts',
  writerExport: 'saveManifest',
  persisterType: 'ManifestPersister',
  targetMethod: 'persist',
  targetArgs: '{ force: true }',
  targetFunction: null,
};

const optionsFor = (name: string): PersisterOptions => {
  if (name === 'function-target') return { ...baseOptions, targetFunction: { name: 'persistManifest', module: '/fixtures/_lib/persister.ts' } };
  // A foreign codebase's wrapper: the persister is the third argument (found at any position).
  if (name === 'wrapper-any-position') return { ...baseOptions, targetFunction: { name: 'persistWith', module: '/fixtures/_lib/persister.ts' } };
  // The module that implements the persister is skipped: no site, no marker.
  if (name === 'skip-persister-module') return { ...baseOptions, skip: ['/fixtures/skip-persister-module/'] };
  return baseOptions;
};

function projectWith(name: string, input: string) {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      // The language only: target ES2022's default lib adds the DOM's, which the fixtures never
      // use and which each project parsed again (most of this file's time).
      lib: ['lib.es2022.d.ts'],
      noEmit: true,
    },
  });
  for (const lib of readdirSync(join(FIXTURES, '_lib')))
    project.createSourceFile(`/fixtures/_lib/${lib}`, readFileSync(join(FIXTURES, '_lib', lib), 'utf8'));
  const file = project.createSourceFile(`/fixtures/${name}/input.ts`, input);
  return { project, file };
}

const expectedSites: Record<string, { migrated: number; already_migrated: number; unmigratable: number }> = {
  aliased: { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'already-migrated': { migrated: 0, already_migrated: 1, unmigratable: 0 },
  ambiguous: { migrated: 0, already_migrated: 0, unmigratable: 1 },
  callback: { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'class-field': { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'context-field': { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'default-alias': { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'function-target': { migrated: 1, already_migrated: 0, unmigratable: 0 },
  namespace: { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'namespace-only-writer': { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'no-persister': { migrated: 0, already_migrated: 0, unmigratable: 1 },
  'persister-local': { migrated: 1, already_migrated: 0, unmigratable: 0 },
  plain: { migrated: 1, already_migrated: 0, unmigratable: 0 },
  're-export': { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'returned-promise': { migrated: 2, already_migrated: 0, unmigratable: 0 },
  'then-chain': { migrated: 1, already_migrated: 0, unmigratable: 0 },
  'used-as-value': { migrated: 1, already_migrated: 0, unmigratable: 1 },
  'wrapper-any-position': { migrated: 0, already_migrated: 1, unmigratable: 0 },
  'skip-persister-module': { migrated: 0, already_migrated: 0, unmigratable: 0 },
};

describe('persister codemod fixtures', () => {
  it('has at least 12 cases, each with an expected site count', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    expect(Object.keys(expectedSites).sort()).toEqual(cases);
  });

  it.each(cases)('%s: input becomes output, a rerun changes nothing, and the result type-checks', (name) => {
    const input = readFileSync(join(FIXTURES, name, 'input.ts'), 'utf8');
    const output = readFileSync(join(FIXTURES, name, 'output.ts'), 'utf8');
    const { project, file } = projectWith(name, input);
    const first = runPersisterCodemod(project, [file], optionsFor(name), { write: true, root: '/fixtures' });
    expect(file.getFullText()).toBe(output);
    expect(first.summary).toMatchObject({ ...expectedSites[name], files_changed: input === output ? 0 : 1 });

    const second = runPersisterCodemod(project, [file], optionsFor(name), { write: true, root: '/fixtures' });
    expect(second.summary.files_changed).toBe(0);
    expect(file.getFullText()).toBe(output);
    expect(second.summary.unmigratable).toBe(first.summary.unmigratable);

    const diagnostics = file.getPreEmitDiagnostics().map((d) => ts.flattenDiagnosticMessageText(d.getMessageText(), '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('a dry run leaves the text alone and returns a unified diff and file:line sites', () => {
    const input = readFileSync(join(FIXTURES, 'used-as-value', 'input.ts'), 'utf8');
    const { project, file } = projectWith('used-as-value', input);
    const report = runPersisterCodemod(project, [file], baseOptions, { write: false, root: '/fixtures' });
    expect(file.getFullText()).toBe(input);
    expect(report.files[0]!.diff).toContain('+  await persister.persist({ force: true });');
    expect(report.files[0]!.diff).toContain('--- a/used-as-value/input.ts');
    expect(report.sites.map((s) => `${s.kind} ${s.line} ${s.detail}`)).toEqual([
      'unmigratable 4 the writer is used as a value, not called',
      'migrated 8 persister',
    ]);
  });

  it('without the skip list, the persister module itself would be marked; with the persister at a fixed other position, the wrapper is not recognized', () => {
    const own = readFileSync(join(FIXTURES, 'skip-persister-module', 'input.ts'), 'utf8');
    const a = projectWith('skip-persister-module', own);
    expect(runPersisterCodemod(a.project, [a.file], baseOptions, { write: false, root: '/fixtures' }).summary.unmigratable).toBe(1);
    const wrapper = readFileSync(join(FIXTURES, 'wrapper-any-position', 'input.ts'), 'utf8');
    const b = projectWith('wrapper-any-position', wrapper);
    const options = { ...optionsFor('wrapper-any-position'), persisterArg: 0 as const };
    expect(runPersisterCodemod(b.project, [b.file], options, { write: false, root: '/fixtures' }).summary.already_migrated).toBe(0);
    expect(
      runPersisterCodemod(b.project, [b.file], { ...options, persisterArg: 2 }, { write: false, root: '/fixtures' }).summary.already_migrated,
    ).toBe(1);
  });

  it('an explicit --project that does not exist is bad input (exit 2, one line), not a silent fallback', async () => {
    const result = await runCli(CODEMOD, ['persister', 'src', '--dry-run', '--project', 'no-such-tsconfig.json']);
    expectOneLineError(result, '--project: no-such-tsconfig.json not found');
    expectOneLineError(await runCli(CODEMOD, ['persister', 'src', '--persister-arg', 'first']), '--persister-arg');
  });

  it("a codemod's option given without the codemod says which codemod it belongs to (it said only: unknown option)", async () => {
    const result = await runCli(CODEMOD, ['--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("error: unknown option '--dry-run'\n(the options belong to a codemod: codemod persister --help)\n");
    // Within the codemod its options are known: no hint (it was inherited there too).
    const inner = await runCli(CODEMOD, ['persister', '--bogus']);
    expect([inner.code, inner.stderr]).toEqual([2, "error: unknown option '--bogus'\n"]);
  });
});
