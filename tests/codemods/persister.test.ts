// Input/output fixture pairs for the persister codemod, each also run a second time
// (idempotency) and type-checked after the rewrite.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project, ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import type { PersisterOptions } from '../../codemods/persister/analyse.js';
import { runPersisterCodemod } from '../../codemods/persister/run.js';

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

const optionsFor = (name: string): PersisterOptions =>
  name === 'function-target' ? { ...baseOptions, targetFunction: { name: 'persistManifest', module: '/fixtures/_lib/persister.ts' } } : baseOptions;

function projectWith(name: string, input: string) {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
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
});
