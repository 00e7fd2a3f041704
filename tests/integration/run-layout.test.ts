// A succeeding pipeline run through the built CLI: every file of the run layout, byte formats,
// key orders, event order, run summary, metrics line, state.json, compat pointer, id files.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, readJson, runCliProcess } from '../helpers/cli.js';
import {
  CONTRACT_COMMAND_KEYS,
  CONTRACT_MANIFEST_KEYS,
  CONTRACT_METRICS_KEYS,
  ISO_RE,
  RUN_ID_RE,
  checkRunsDir,
  chunkBytes,
  metricsLines,
  onlyRunId,
  runFiles,
  useTempRepos,
  type Json,
} from '../helpers/integration.js';

const repo = useTempRepos();

const config = {
  pipelines: [
    {
      id: 'diagnostics',
      title: 'Diagnostics',
      stages: [
        { kind: 'command', id: 'build', title: 'Build', command: 'echo building; echo "warning: slow disk" >&2; echo build-done' },
        { kind: 'command', id: 'unit tests!', title: 'Unit tests', command: 'printf "42 passed\\n"' },
        { kind: 'command', id: 'spec', title: 'Spec guard', command: 'echo spec-guard ok' },
      ],
    },
  ],
};

const EVENT_KEYS: Record<string, string[]> = {
  'command:start': ['type', 'command', 'timestamp', 'index'],
  'exec:begin': ['type', 'correlation_id', 'attempt', 'command', 'cwd', 'timestamp', 'index'],
  'exec:chunk': ['type', 'correlation_id', 'attempt', 'stream', 'sequence', 'bytes', 'data', 'timestamp', 'index'],
  'exec:end': ['type', 'correlation_id', 'attempt', 'exit_code', 'signal', 'duration_ms', 'status', 'timestamp', 'index'],
  'command:end': ['type', 'exit_code', 'signal', 'duration_ms', 'timestamp', 'index'],
};

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

describe('a succeeding pipeline run', () => {
  it('writes the whole run layout with the contract formats', async () => {
    const agents = '# Agents\nBe careful.\n';
    const root = repo(config, { 'AGENTS.md': agents });
    const result = await runCliProcess(['start', '--format', 'json'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);

    // stdout: exactly one JSON document, keys in contract order; progress is on stderr.
    const doc = JSON.parse(result.stdout) as Json;
    expect(Object.keys(doc)).toEqual(['run_id', 'status', 'artifact_root', 'manifest', 'log_path']);
    const id = onlyRunId(root);
    expect(id).toMatch(RUN_ID_RE);
    const artifactRoot = `.runs/0101/cli/${id}`;
    expect(doc).toEqual({
      run_id: id,
      status: 'succeeded',
      artifact_root: artifactRoot,
      manifest: `${artifactRoot}/manifest.json`,
      log_path: `${artifactRoot}/runner.ndjson`,
    });
    expect(result.stderr).toContain(id);
    expect(result.stderr).toContain('build');

    // Exactly the files of the layout, nothing else (no temp files, no lock, no error files).
    expect(listFiles(join(root, '.runs'))).toEqual(
      [
        `0101/cli/${id}/.heartbeat`,
        `0101/cli/${id}/.resume-token`,
        `0101/cli/${id}/commands/01-build.ndjson`,
        `0101/cli/${id}/commands/02-unit-tests.ndjson`,
        `0101/cli/${id}/commands/03-spec.ndjson`,
        `0101/cli/${id}/manifest.json`,
        `0101/cli/${id}/privacy-decisions.ndjson`,
        `0101/cli/${id}/run-summary.json`,
        `0101/cli/${id}/runner.ndjson`,
        `0101/mcp/${id}/manifest.json`,
        '0101/metrics.json',
      ].sort(),
    );
    expect(listFiles(join(root, 'out'))).toEqual(['0101/state.json']);

    // manifest.json: 2-space JSON + "\n", keys in contract order.
    const run = runFiles(root, id);
    const m = run.manifest();
    expect(run.manifestText()).toBe(`${JSON.stringify(m, null, 2)}\n`);
    expect(Object.keys(m)).toEqual(CONTRACT_MANIFEST_KEYS);
    expect(m).toMatchObject({
      version: 1,
      task_id: '0101',
      task_slug: null,
      run_id: id,
      parent_run_id: null,
      pipeline_id: 'diagnostics',
      pipeline_title: 'Diagnostics',
      runner: 'codex-cli',
      approval_policy: null,
      status: 'succeeded',
      status_detail: null,
      heartbeat_interval_seconds: 5,
      heartbeat_stale_after_seconds: 30,
      artifact_root: artifactRoot,
      compat_path: `.runs/0101/mcp/${id}/manifest.json`,
      log_path: `${artifactRoot}/runner.ndjson`,
      metrics_recorded: true,
      resume_events: [],
      approvals: [],
      child_runs: [],
      run_summary_path: `${artifactRoot}/run-summary.json`,
      plan_target_id: null,
      instructions_hash: createHash('sha256').update(agents).digest('hex'),
      instructions_sources: ['AGENTS.md'],
      guardrails_required: false,
    });
    for (const key of ['started_at', 'completed_at', 'updated_at', 'heartbeat_at']) expect(m[key]).toMatch(ISO_RE);
    expect(id.startsWith(`${m.started_at.replace(/[:.]/g, '-')}-`)).toBe(true);
    expect(m.started_at <= m.completed_at && m.completed_at <= m.updated_at).toBe(true);
    expect(m.summary.split('\n')).toContain('Guardrails: 1/1 succeeded.');
    expect(m.guardrail_status).toMatchObject({ present: true, counts: { total: 1, succeeded: 1, failed: 0, skipped: 0, other: 0 } });

    // commands[]: 13 keys in order, finished.
    const stageFiles = ['01-build', '02-unit-tests', '03-spec'];
    const lastLines = ['build-done', '42 passed', 'spec-guard ok'];
    expect(m.commands).toHaveLength(3);
    m.commands.forEach((entry: Json, i: number) => {
      expect(Object.keys(entry)).toEqual(CONTRACT_COMMAND_KEYS);
      expect(entry).toMatchObject({
        index: i + 1,
        id: config.pipelines[0]!.stages[i]!.id,
        title: config.pipelines[0]!.stages[i]!.title,
        command: config.pipelines[0]!.stages[i]!.command,
        kind: 'command',
        status: 'succeeded',
        exit_code: 0,
        summary: lastLines[i],
        log_path: `${artifactRoot}/commands/${stageFiles[i]}.ndjson`,
        error_file: null,
        sub_run_id: null,
      });
      expect(entry.started_at).toMatch(ISO_RE);
      expect(entry.completed_at).toMatch(ISO_RE);
    });

    // Event lines: per stage command:start, exec:begin, exec:chunk…, exec:end, command:end;
    // timestamp and index last; runner.ndjson is the stage logs one after the other.
    const perStage = stageFiles.map((file) => run.commandLog(`${file}.ndjson`));
    const runnerText = run.runnerText();
    expect(runnerText).toBe(stageFiles.map((file) => readFileSync(join(run.dir, 'commands', `${file}.ndjson`), 'utf8')).join(''));
    for (const line of runnerText.split('\n').filter(Boolean)) expect(JSON.stringify(JSON.parse(line))).toBe(line);
    const correlationIds: string[] = [];
    perStage.forEach((events, i) => {
      const types = events.map((e) => e.type);
      expect(types[0]).toBe('command:start');
      expect(types[1]).toBe('exec:begin');
      expect(types.slice(-2)).toEqual(['exec:end', 'command:end']);
      expect(types.slice(2, -2).every((t) => t === 'exec:chunk')).toBe(true);
      expect(types.length).toBeGreaterThan(4);
      for (const event of events) {
        expect(Object.keys(event), `${event.type} keys`).toEqual(EVENT_KEYS[event.type as string]);
        expect(event.index).toBe(i + 1);
        expect(event.timestamp).toMatch(ISO_RE);
      }
      const [start, begin] = events;
      expect(start!.command).toBe(m.commands[i].command);
      expect(begin).toMatchObject({ attempt: 1, command: m.commands[i].command, cwd: '.' });
      const correlation = begin!.correlation_id as string;
      correlationIds.push(correlation);
      const chunks = events.filter((e) => e.type === 'exec:chunk');
      chunks.forEach((chunk, k) => {
        expect(chunk.correlation_id).toBe(correlation);
        expect(chunk.sequence).toBe(k + 1);
        expect(chunk.bytes).toBe(Buffer.byteLength(chunk.data as string));
      });
      expect(events.at(-2)).toMatchObject({ correlation_id: correlation, attempt: 1, exit_code: 0, signal: null, status: 'succeeded' });
      expect(events.at(-1)).toMatchObject({ exit_code: 0, signal: null });
      expect(events.at(-1)!.duration_ms).toBe(events.at(-2)!.duration_ms);
    });
    expect(chunkBytes(perStage[0]!, 'stdout').toString()).toBe('building\nbuild-done\n');
    expect(chunkBytes(perStage[0]!, 'stderr').toString()).toBe('warning: slow disk\n');
    expect(chunkBytes(perStage[1]!, 'stdout').toString()).toBe('42 passed\n');

    // Handles: one per stream of each command stage, closed, tied to the stage's correlation id.
    expect(m.handles).toHaveLength(6);
    m.handles.forEach((handle: Json, k: number) => {
      const stage = Math.floor(k / 2);
      expect(handle).toMatchObject({
        correlation_id: correlationIds[stage],
        stage_id: m.commands[stage].id,
        pipeline_id: 'diagnostics',
        status: 'closed',
      });
      const chunks = perStage[stage]!.filter((e) => e.type === 'exec:chunk' && e.stream === handle.metadata.stream);
      expect(handle.frame_count).toBe(chunks.length);
      expect(handle.latest_sequence).toBe(chunks.at(-1)?.sequence ?? 0); // 0 before the first frame (phase 1)
    });

    // Privacy (shadow by default): one decision per chunk, in the log; totals add up.
    const chunkCount = perStage.flat().filter((e) => e.type === 'exec:chunk').length;
    const decisions = run.decisions();
    expect(decisions).toHaveLength(chunkCount);
    for (const d of decisions) {
      expect(Object.keys(d)).toEqual(['handle_id', 'sequence', 'action', 'rule', 'reason', 'timestamp', 'stage_id']);
      expect(d).toMatchObject({ action: 'allow', rule: null, reason: 'shadow-mode' });
    }
    expect(m.privacy).toMatchObject({
      mode: 'shadow',
      totals: { total_frames: chunkCount, redacted_frames: 0, blocked_frames: 0, allowed_frames: chunkCount },
      log_path: `${artifactRoot}/privacy-decisions.ndjson`,
    });

    // run-summary.json: tool run records with the exec events in camelCase.
    const summary = run.summary();
    expect(summary).toMatchObject({ run_id: id, task_id: '0101', pipeline_id: 'diagnostics', status: 'succeeded' });
    expect(summary.tool_runs).toHaveLength(3);
    summary.tool_runs.forEach((record: Json, i: number) => {
      expect(Object.keys(record)).toEqual(['id', 'tool', 'status', 'startedAt', 'completedAt', 'attemptCount', 'events']);
      expect(record).toMatchObject({ id: correlationIds[i], status: 'succeeded', attemptCount: 1 });
      const execEvents = perStage[i]!.filter((e) => (e.type as string).startsWith('exec:'));
      expect(record.events).toHaveLength(execEvents.length);
      record.events.forEach((event: Json, k: number) => {
        expect(Object.keys(event).slice(0, 4)).toEqual(['type', 'correlationId', 'timestamp', 'attempt']);
        const expected: Json = {};
        for (const [key, value] of Object.entries(execEvents[k]!)) if (key !== 'index') expected[camel(key)] = value;
        expect(event).toEqual(expected);
      });
    });

    // metrics.json: one compact line for the run.
    const [line, ...more] = metricsLines(root);
    expect(more).toEqual([]);
    expect(Object.keys(line!).filter((key) => CONTRACT_METRICS_KEYS.includes(key))).toEqual(CONTRACT_METRICS_KEYS);
    expect(line).toMatchObject({
      run_id: id,
      task_id: '0101',
      pipeline_id: 'diagnostics',
      status: 'succeeded',
      started_at: m.started_at,
      completed_at: m.completed_at,
      duration_seconds: (Date.parse(m.completed_at) - Date.parse(m.started_at)) / 1000,
      commands_passed: 3,
      commands_failed: 0,
      guardrails_present: true,
      artifact_path: artifactRoot,
      child_runs: 0,
      privacy_mode: 'shadow',
      handle_count: 6,
    });
    expect(line!.recorded_at).toMatch(ISO_RE);
    expect(Array.isArray(line!.privacy_events)).toBe(true);

    // out/<task>/state.json: the aggregate over the task's runs.
    const state = readJson(join(root, 'out/0101/state.json'));
    expect(state).toMatchObject({
      task_id: '0101',
      totals: { runs: 1, succeeded: 1, failed: 0, cancelled: 0 },
      last_run: { run_id: id, pipeline_id: 'diagnostics', status: 'succeeded', completed_at: m.completed_at, artifact_path: artifactRoot },
    });

    // Compat pointer.
    const pointerText = readFileSync(join(root, `.runs/0101/mcp/${id}/manifest.json`), 'utf8');
    const pointer = JSON.parse(pointerText) as Json;
    expect(Object.keys(pointer)).toEqual(['redirect_to', 'manifest', 'created_at', 'note']);
    expect(pointer).toMatchObject({ redirect_to: artifactRoot, manifest: `${artifactRoot}/manifest.json`, created_at: m.started_at });
    expect(typeof pointer.note).toBe('string');

    // .resume-token and .heartbeat.
    const token = readFileSync(join(run.dir, '.resume-token'), 'utf8');
    expect(token).toMatch(/^[0-9a-f]{64}\n$/);
    expect(token).toBe(`${m.resume_token}\n`);
    const heartbeat = readFileSync(join(run.dir, '.heartbeat'), 'utf8');
    expect(heartbeat).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\n$/);
    expect(heartbeat).toBe(`${m.heartbeat_at}\n`);

    checkRunsDir(root);
  });

  it('prints a text report by default and takes the task, runs and out dirs from flags and env', async () => {
    const root = repo({
      defaultPipeline: 'quick',
      pipelines: [{ id: 'quick', title: 'Quick', stages: [{ kind: 'command', id: 'hi', title: 'Hi', command: 'echo hi' }] }],
    });
    const env = { CODEX_ORCHESTRATOR_RUNS_DIR: 'var/runs', CODEX_ORCHESTRATOR_OUT_DIR: 'var/out', MCP_RUNNER_TASK_ID: 'from-env' };
    const fromEnv = await runCliProcess(['start'], { cwd: root, env });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    const runsDir = join(root, 'var/runs');
    const id = onlyRunId(root, 'from-env', runsDir);
    expect(fromEnv.stdout.split('\n')[0]).toBe(`Run ${id} succeeded.`);
    expect(fromEnv.stdout).toContain(`manifest: var/runs/from-env/cli/${id}/manifest.json`);
    expect(fromEnv.stdout).toContain(`log:      var/runs/from-env/cli/${id}/runner.ndjson`);

    // --key=value works like --key value; --task wins over MCP_RUNNER_TASK_ID.
    const fromFlag = await runCliProcess(['start', 'quick', '--task=task-7', '--approval-policy=never', `--parent-run=${id}`, '--format=json'], {
      cwd: root,
      env,
    });
    expect(fromFlag.code, fromFlag.stderr).toBe(0);
    const doc = JSON.parse(fromFlag.stdout) as Json;
    const flagged = runFiles(root, doc.run_id, 'task-7', runsDir).manifest();
    expect(flagged).toMatchObject({
      task_id: 'task-7',
      approval_policy: 'never',
      parent_run_id: id,
      pipeline_id: 'quick',
      artifact_root: `var/runs/task-7/cli/${doc.run_id}`,
    });
    expect(listFiles(join(root, 'var/out'))).toEqual(['from-env/state.json', 'task-7/state.json']);
    expect(listFiles(root).filter((f) => f.startsWith('.runs/') || f.startsWith('out/'))).toEqual([]);
    checkRunsDir(root, { runsDir, outDir: join(root, 'var/out'), minManifests: 2 });
  });

  it('CODEX_ORCHESTRATOR_ROOT names the repo root when the CLI runs elsewhere', async () => {
    const root = repo(
      { pipelines: [{ id: 'diagnostics', title: 'D', stages: [{ kind: 'command', id: 'where', title: 'Where', command: 'pwd -P' }] }] },
      { 'deep/er/.keep': '' },
    );
    const result = await runCliProcess(['start', '--format', 'json'], { cwd: join(root, 'deep/er'), env: { CODEX_ORCHESTRATOR_ROOT: '../..' } });
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as Json;
    expect(doc.artifact_root).toBe(`.runs/0101/cli/${doc.run_id}`);
    const m = runFiles(root, onlyRunId(root)).manifest();
    expect(m.commands[0].summary).toBe(realpathSync(root));
    expect(listFiles(join(root, 'deep'))).toEqual(['er/.keep']);
    checkRunsDir(root);
  });

  it('--target runs the stages up to the target and marks the later ones skipped', async () => {
    const root = repo(config);
    const result = await runCliProcess(['start', 'diagnostics', '--target', 'unit tests!'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const m = runFiles(root, onlyRunId(root)).manifest();
    expect(m.status).toBe('succeeded');
    expect(m.plan_target_id).toBe('unit tests!');
    expect(m.commands.map((c: Json) => c.status)).toEqual(['succeeded', 'succeeded', 'skipped']);
    expect(m.commands[2]).toMatchObject({ started_at: null, completed_at: null, exit_code: null, log_path: null });
    expect(listFiles(join(root, '.runs/0101/cli', m.run_id, 'commands'))).toEqual(['01-build.ndjson', '02-unit-tests.ndjson']);
    checkRunsDir(root);
  });
});
