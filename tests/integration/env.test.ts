// The environment a stage's child gets: the CODEX_ORCHESTRATOR_* values, the precedence
// (orchestrator env < pipeline env < CODEX_ORCHESTRATOR_* < stage env), per-stage cwd; and
// the B6 baseline (pipeline env leaks through process.env; metrics embed every decision).
import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { NODE, checkRunsDir, metricsLines, onlyRunId, runFiles, runIds, useTempRepos, type Json } from '../helpers/integration.js';

const repo = useTempRepos();

// Writes the child's environment and working directory as JSON.
const DUMP = `import { writeFileSync } from 'node:fs';
writeFileSync(process.argv[2], JSON.stringify({ cwd: process.cwd(), env: process.env }));
`;

describe('stage environment', () => {
  it('gives every child the CODEX_ORCHESTRATOR_* values, with the contract precedence and the stage cwd', async () => {
    const root = repo(
      {
        pipelines: [
          {
            id: 'envp',
            title: 'Env',
            env: { B: 'pipe', C: 'pipe', D: 'pipe', CODEX_ORCHESTRATOR_PIPELINE_ID: 'from-pipeline-env' },
            stages: [
              {
                kind: 'command',
                id: 'dump',
                title: 'Dump',
                command: `${NODE} dump.mjs env.json`,
                env: { C: 'stage', CODEX_ORCHESTRATOR_TASK_ID: 'from-stage-env' },
              },
              { kind: 'command', id: 'nested', title: 'Nested', command: `${NODE} ../../dump.mjs ../../nested.json`, cwd: 'sub/dir' },
            ],
          },
        ],
      },
      { 'dump.mjs': DUMP, 'sub/dir/.keep': '' },
    );
    const orchestratorEnv = {
      A: 'orch',
      B: 'orch',
      C: 'orch',
      CODEX_ORCHESTRATOR_RUN_ID: 'from-orchestrator-env',
      CODEX_ORCHESTRATOR_REPO_ROOT: '/nowhere',
    };
    const result = await runCliProcess(['start', 'envp', '--task', 'env-task'], { cwd: root, env: orchestratorEnv });
    expect(result.code, result.stderr).toBe(0);
    const id = onlyRunId(root, 'env-task');
    const runDir = join(root, '.runs/env-task/cli', id);

    const { env, cwd } = JSON.parse(readFileSync(join(root, 'env.json'), 'utf8')) as { env: Json; cwd: string };
    expect(env).toMatchObject({
      A: 'orch',
      B: 'pipe',
      C: 'stage',
      D: 'pipe',
      CODEX_ORCHESTRATOR_TASK_ID: 'from-stage-env',
      CODEX_ORCHESTRATOR_RUN_ID: id,
      CODEX_ORCHESTRATOR_PIPELINE_ID: 'envp',
    });
    const place = (value: string) => realpathSync(resolve(root, value));
    expect(place(env.CODEX_ORCHESTRATOR_MANIFEST_PATH)).toBe(realpathSync(join(runDir, 'manifest.json')));
    expect(place(env.CODEX_ORCHESTRATOR_RUN_DIR)).toBe(realpathSync(runDir));
    expect(place(env.CODEX_ORCHESTRATOR_RUNS_DIR)).toBe(realpathSync(join(root, '.runs')));
    expect(resolve(root, env.CODEX_ORCHESTRATOR_OUT_DIR)).toBe(resolve(root, 'out'));
    expect(place(env.CODEX_ORCHESTRATOR_REPO_ROOT)).toBe(realpathSync(root));
    expect(realpathSync(cwd)).toBe(realpathSync(root));

    const nested = JSON.parse(readFileSync(join(root, 'nested.json'), 'utf8')) as { env: Json; cwd: string };
    expect(realpathSync(nested.cwd)).toBe(realpathSync(join(root, 'sub/dir')));
    expect(nested.env).toMatchObject({ A: 'orch', B: 'pipe', C: 'pipe', CODEX_ORCHESTRATOR_TASK_ID: 'env-task', CODEX_ORCHESTRATOR_RUN_ID: id });
    expect(
      runFiles(root, id, 'env-task')
        .commandLog('02-nested.ndjson')
        .find((e) => e.type === 'exec:begin'),
    ).toMatchObject({ cwd: 'sub/dir' });
    checkRunsDir(root);
  });

  it("B6 removed by phase 5: a subpipeline's env stays its own; metrics lines point at the privacy log", async () => {
    // Phase 0 wrote pipeline env defaults into process.env when the pipeline was resolved, so
    // a subpipeline's FOO stayed set for the parent's later stages ('FOO=child' after it); and
    // every metrics line embedded the run's whole privacy decision array.
    const root = repo({
      pipelines: [
        {
          id: 'parent',
          title: 'Parent',
          stages: [
            { kind: 'command', id: 'before', title: 'Before', command: 'echo "FOO=${FOO-unset}"' },
            { kind: 'subpipeline', id: 'sub', title: 'Sub', pipeline: 'child' },
            { kind: 'command', id: 'after', title: 'After', command: 'echo "FOO=${FOO-unset}"' },
          ],
        },
        {
          id: 'child',
          title: 'Child',
          env: { FOO: 'child' },
          stages: [{ kind: 'command', id: 'inner', title: 'Inner', command: 'echo "FOO=${FOO-unset}"' }],
        },
      ],
    });
    const result = await runCliProcess(['start', 'parent'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const manifests = runIds(root).map((id) => runFiles(root, id).manifest());
    const parent = manifests.find((m) => m.pipeline_id === 'parent')!;
    const child = manifests.find((m) => m.pipeline_id === 'child')!;
    expect(parent.commands.map((c: Json) => c.summary)).toEqual(['FOO=unset', "Subpipeline 'Child' succeeded.", 'FOO=unset']);
    expect(child.commands[0].summary).toBe('FOO=child');

    const lines = metricsLines(root);
    for (const m of [parent, child]) {
      const line = lines.find((l) => l.run_id === m.run_id)!;
      const logged = runFiles(root, m.run_id).decisions();
      // Every decision here is an allow: the log has them all, the manifest and the line none.
      expect(logged.length).toBeGreaterThan(0);
      expect(line.privacy_events).toEqual([]);
      expect(m.privacy.decisions).toEqual([]);
      expect(line.privacy_event_count).toBe(logged.length);
      expect(line.privacy_event_count).toBe(m.privacy.totals.total_frames);
      expect(line.privacy_log_path).toBe(m.privacy.log_path);
    }
    checkRunsDir(root, { minManifests: 2 });
  });
});
