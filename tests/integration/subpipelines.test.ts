// Subpipeline stages: a child run per stage, linked both ways; required and optional failures.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJson, runCliProcess } from '../helpers/cli.js';
import { ISO_RE, RUN_ID_RE, checkRunsDir, metricsLines, runFiles, runIds, useTempRepos, type Json } from '../helpers/integration.js';

const repo = useTempRepos();

const config = {
  pipelines: [
    {
      id: 'main',
      title: 'Main',
      stages: [
        { kind: 'command', id: 'pre', title: 'Pre', command: 'echo pre' },
        { kind: 'subpipeline', id: 'checks', title: 'Checks', pipeline: 'child' },
        { kind: 'command', id: 'post', title: 'Post', command: 'echo post' },
      ],
    },
    { id: 'child', title: 'Child', stages: [{ kind: 'command', id: 'c1', title: 'C1', command: 'echo in-child' }] },
    {
      id: 'main-required',
      title: 'Main required',
      stages: [
        { kind: 'subpipeline', id: 'gate', title: 'Gate', pipeline: 'failing' },
        { kind: 'command', id: 'post', title: 'Post', command: 'touch post-ran' },
      ],
    },
    {
      id: 'main-optional',
      title: 'Main optional',
      stages: [
        { kind: 'subpipeline', id: 'extra', title: 'Extra', pipeline: 'failing', optional: true },
        { kind: 'command', id: 'post', title: 'Post', command: 'echo post' },
      ],
    },
    { id: 'failing', title: 'Failing', stages: [{ kind: 'command', id: 'f1', title: 'F1', command: 'echo broken >&2; exit 3' }] },
  ],
};

/** The parent (no parent_run_id) and child runs of a task, by reading every manifest. */
function parentAndChild(root: string): { parent: Json; child: Json } {
  const manifests = runIds(root).map((id) => runFiles(root, id).manifest());
  expect(manifests).toHaveLength(2);
  const parent = manifests.find((m) => m.parent_run_id === null)!;
  const child = manifests.find((m) => m.parent_run_id !== null)!;
  expect(parent, 'parent run').toBeDefined();
  expect(child, 'child run').toBeDefined();
  return { parent, child };
}

describe('subpipeline stages', () => {
  it('a required subpipeline that succeeds: child run linked to its parent both ways', async () => {
    const root = repo(config);
    const result = await runCliProcess(['start', 'main', '--format', 'json'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as Json;
    const { parent, child } = parentAndChild(root);
    expect(parent.run_id).toBe(doc.run_id);
    expect(child.run_id).toMatch(RUN_ID_RE);

    expect(child).toMatchObject({
      parent_run_id: parent.run_id,
      pipeline_id: 'child',
      pipeline_title: 'Child',
      status: 'succeeded',
      task_id: '0101',
    });
    expect(child.commands[0]).toMatchObject({ id: 'c1', status: 'succeeded', summary: 'in-child' });

    expect(parent).toMatchObject({ status: 'succeeded', status_detail: null });
    const entry = parent.commands[1];
    expect(entry).toMatchObject({
      index: 2,
      id: 'checks',
      title: 'Checks',
      command: null,
      kind: 'subpipeline',
      status: 'succeeded',
      exit_code: null,
      sub_run_id: child.run_id,
      error_file: null,
    });
    expect(entry.started_at).toMatch(ISO_RE);
    expect(entry.completed_at).toMatch(ISO_RE);
    expect(parent.commands.map((c: Json) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(parent.child_runs).toHaveLength(1);
    expect(Object.keys(parent.child_runs[0])).toEqual(['run_id', 'pipeline_id', 'status', 'manifest']);
    expect(parent.child_runs[0]).toEqual({
      run_id: child.run_id,
      pipeline_id: 'child',
      status: 'succeeded',
      manifest: `.runs/0101/cli/${child.run_id}/manifest.json`,
    });

    // The child is a full run: its own logs, compat pointer and metrics line.
    const childRun = runFiles(root, child.run_id);
    expect(childRun.commandLog('01-c1.ndjson').map((e) => e.type)[0]).toBe('command:start');
    expect(readJson(join(root, `.runs/0101/mcp/${child.run_id}/manifest.json`))).toMatchObject({ redirect_to: `.runs/0101/cli/${child.run_id}` });
    const lines = metricsLines(root);
    expect(lines.map((l) => [l.run_id, l.pipeline_id, l.status, l.child_runs])).toEqual([
      [child.run_id, 'child', 'succeeded', 0],
      [parent.run_id, 'main', 'succeeded', 1],
    ]);
    expect(readJson(join(root, 'out/0101/state.json'))).toMatchObject({ totals: { runs: 2, succeeded: 2 }, last_run: { run_id: parent.run_id } });
    const summary = runFiles(root, parent.run_id).summary();
    expect(summary.stages[1]).toMatchObject({ id: 'checks', kind: 'subpipeline', status: 'succeeded', sub_run_id: child.run_id });
    checkRunsDir(root, { minManifests: 2 });
  });

  it('a required subpipeline that fails fails the parent with subpipeline:<pipeline>:failed', async () => {
    const root = repo(config);
    const result = await runCliProcess(['start', 'main-required'], { cwd: root });
    expect(result.code, result.stderr).toBe(1);
    const { parent, child } = parentAndChild(root);
    expect(child).toMatchObject({ status: 'failed', status_detail: 'stage:f1:failed', parent_run_id: parent.run_id });
    expect(parent).toMatchObject({ status: 'failed', status_detail: 'subpipeline:failing:failed' });
    expect(parent.commands[0]).toMatchObject({ kind: 'subpipeline', status: 'failed', sub_run_id: child.run_id });
    expect(parent.commands[1]).toMatchObject({ status: 'pending', started_at: null, completed_at: null });
    expect(parent.child_runs).toEqual([
      { run_id: child.run_id, pipeline_id: 'failing', status: 'failed', manifest: `.runs/0101/cli/${child.run_id}/manifest.json` },
    ]);
    expect(parent.summary.split('\n')).toContain("Subpipeline 'Failing' failed.");
    expect(result.stdout.split('\n')[0]).toBe(`Run ${parent.run_id} failed (subpipeline:failing:failed).`);
    expect(metricsLines(root).map((l) => [l.run_id, l.status])).toEqual([
      [child.run_id, 'failed'],
      [parent.run_id, 'failed'],
    ]);
    checkRunsDir(root, { minManifests: 2 });
  });

  it('an optional subpipeline that fails: the parent continues and succeeds', async () => {
    const root = repo(config);
    const result = await runCliProcess(['start', 'main-optional'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const { parent, child } = parentAndChild(root);
    expect(child).toMatchObject({ status: 'failed', parent_run_id: parent.run_id });
    expect(parent).toMatchObject({ status: 'succeeded', status_detail: null });
    expect(parent.commands.map((c: Json) => c.status)).toEqual(['skipped', 'succeeded']); // an optional subpipeline that fails is recorded skipped (phase 1)
    expect(parent.commands[0].sub_run_id).toBe(child.run_id);
    expect(parent.child_runs[0]).toMatchObject({ run_id: child.run_id, status: 'failed' });
    expect(parent.summary.split('\n')).toContain("Optional subpipeline 'Failing' failed; continuing.");
    checkRunsDir(root, { minManifests: 2 });
  });
});
