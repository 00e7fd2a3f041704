// The codemod's dry-run report and the single-manifest-writer rule must name the same call
// sites in this project's own src/: one tool moves them, the other keeps them moved. Since
// phase 2 both name none: every site is migrated (the persister's calls), none is left.
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { runPersisterCodemod } from '../../codemods/persister/run.js';
import { srcReports } from '../helpers/lint-src.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('codemod and lint rule agree on src/', () => {
  it('name the same saveManifest sites: none left, every one migrated', async () => {
    const project = new Project({ tsConfigFilePath: join(ROOT, 'tsconfig.json'), skipAddingFilesFromTsConfig: true });
    const files = project.addSourceFilesAtPaths([join(ROOT, 'src/**/*.ts')]);
    const report = runPersisterCodemod(
      project,
      files,
      {
        writerModule: join(ROOT, 'src/persist/manifest-writer.ts'),
        writerExport: 'saveManifest',
        persisterType: 'ManifestPersister',
        targetMethod: 'persist',
        targetArgs: '{ force: true }',
        targetFunction: null,
        migratedMethods: ['update'],
        skip: [join(ROOT, 'src/persist/')],
      },
      { write: false, root: ROOT },
    );
    const codemodSites = report.sites
      .filter((s) => s.kind !== 'already-migrated')
      .map((s) => `${relative(ROOT, s.file)}:${s.line}`)
      .sort();

    // The project's own rules over src/, once per worker (tests/helpers/lint-src.ts).
    const lintSites = (await srcReports('codex/single-manifest-writer'))
      .filter((m) => m.messageId === 'call' || m.messageId === 'value')
      .map((m) => `${relative(ROOT, m.filePath)}:${m.line}`)
      .sort();

    expect(codemodSites).toEqual([]);
    expect(lintSites).toEqual(codemodSites);
    // The 13 raw writes of phase 0 are persister calls now (plus the finalize and chunk
    // requests that went through the queue).
    expect(report.summary.already_migrated).toBeGreaterThanOrEqual(13);
  });
});
