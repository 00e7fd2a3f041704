// A stage's declared report (config `report`): a JSON file the stage writes into its run
// directory, named by its manifest entry once the stage has ended; null when it was not written
// (the lane's stages declare theirs, so its manifest names what each stage ran).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJson, runCliProcess } from '../helpers/cli.js';
import { CONTRACT_COMMAND_KEYS, expectOneLineError, onlyRunId, useTempRepos } from '../helpers/integration.js';
import { assertValidManifest } from '../helpers/manifest-schema.js';

const repo = useTempRepos();

type Entry = Record<string, unknown> & { id: string; status: string; report?: string | null };

describe('a stage report', () => {
  it('is named in the manifest once written, null when it was not, and absent where none is declared', async () => {
    const root = repo({
      pipelines: [
        {
          id: 'p',
          title: 'P',
          stages: [
            {
              kind: 'command',
              id: 'writes',
              title: 'Writes',
              command: 'echo \'{"ran": 3}\' > "$CODEX_ORCHESTRATOR_RUN_DIR/ran.json"',
              report: 'ran.json',
            },
            { kind: 'command', id: 'forgets', title: 'Forgets', command: 'true', report: 'reports/forgot.json' },
            { kind: 'command', id: 'plain', title: 'Plain', command: 'true' },
            { kind: 'command', id: 'fails', title: 'Fails', command: 'echo "{}" > "$CODEX_ORCHESTRATOR_RUN_DIR/f.json"; exit 3', report: 'f.json' },
          ],
        },
      ],
    });
    const result = await runCliProcess(['start', 'p'], { cwd: root });
    expect(result.code).toBe(1);
    const runDir = `.runs/0101/cli/${onlyRunId(root)}`;
    const manifest = readJson(join(root, runDir, 'manifest.json'));
    assertValidManifest(manifest, 'manifest.json');
    const entries = manifest.commands as Entry[];
    expect(entries.map((e) => [e.id, e.status, e.report])).toEqual([
      ['writes', 'succeeded', `${runDir}/ran.json`],
      ['forgets', 'succeeded', null],
      ['plain', 'succeeded', undefined],
      ['fails', 'failed', `${runDir}/f.json`],
    ]);
    // After the 13 keys every entry has; an entry without a declared report has the 13 only.
    expect(Object.keys(entries[0]!)).toEqual([...CONTRACT_COMMAND_KEYS, 'report']);
    expect(Object.keys(entries[2]!)).toEqual(CONTRACT_COMMAND_KEYS);
    expect(readJson(join(root, entries[0]!.report as string))).toEqual({ ran: 3 });
  });

  it('a report path outside the run directory is bad input: one line naming the field, nothing run', async () => {
    for (const report of ['/tmp/x.json', '../x.json', 'a/../../x.json']) {
      const root = repo({ pipelines: [{ id: 'p', title: 'P', stages: [{ kind: 'command', id: 'a', title: 'A', command: 'true', report }] }] });
      const result = await runCliProcess(['start', 'p'], { cwd: root });
      expectOneLineError(
        result,
        'codex.orchestrator.json: pipelines[0].stages[0].report: expected a path inside the run directory (relative, no ..)',
      );
    }
  });
});
