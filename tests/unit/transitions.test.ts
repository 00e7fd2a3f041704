import { describe, expect, it } from 'vitest';
import { COMMAND_KEYS, MANIFEST_KEYS, type Manifest } from '../../src/manifest/schema.js';
import {
  computeGuardrailStatus,
  createManifest,
  finalizeRun,
  finishStage,
  markRunInProgress,
  markStageRunning,
  prepareResume,
  recordPrivacyDecision,
  openHandle,
  recordFrame,
  closeHandle,
  summarize,
  updateCommandStatus,
  failStage,
  type NewManifest,
} from '../../src/manifest/transitions.js';
import { serializeManifest } from '../../src/persist/manifest-writer.js';
import { assertValidManifest } from '../helpers/manifest-schema.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

function manifest(commands = ['build', 'spec-guard', 'test']): Manifest {
  const input: NewManifest = {
    taskId: '0101',
    taskSlug: null,
    runId: '2026-03-01T10-00-00-000Z-abcdef12',
    parentRunId: null,
    pipelineId: 'p',
    pipelineTitle: 'P',
    approvalPolicy: null,
    nowMs: T0,
    artifactRoot: '.runs/0101/cli/r',
    compatPath: '.runs/0101/mcp/r/manifest.json',
    logPath: '.runs/0101/cli/r/runner.ndjson',
    resumeToken: 'a'.repeat(64),
    stages: commands.map((id) => ({
      id,
      title: id,
      kind: 'command' as const,
      command: id === 'spec-guard' ? 'npm run spec-guard' : `npm run ${id}`,
    })),
    planTargetId: null,
    instructionsHash: null,
    instructionsSources: [],
    guardrailsRequired: false,
    privacyMode: 'shadow',
    privacyLogPath: '.runs/0101/cli/r/privacy-decisions.ndjson',
  };
  return createManifest(input);
}

describe('manifest construction', () => {
  it('has the contract keys in the contract order and validates', () => {
    const m = manifest();
    expect(Object.keys(m)).toEqual(MANIFEST_KEYS);
    expect(MANIFEST_KEYS.join(',')).toBe(
      'version,task_id,task_slug,run_id,parent_run_id,pipeline_id,pipeline_title,runner,approval_policy,status,status_detail,started_at,completed_at,updated_at,heartbeat_at,heartbeat_interval_seconds,heartbeat_stale_after_seconds,artifact_root,compat_path,log_path,summary,metrics_recorded,resume_token,resume_events,approvals,commands,child_runs,run_summary_path,plan_target_id,instructions_hash,instructions_sources,guardrails_required,guardrail_status,handles,privacy',
    );
    expect(Object.keys(m.commands[0]!)).toEqual(COMMAND_KEYS);
    expect(COMMAND_KEYS).toHaveLength(13);
    expect(m.commands[0]).toMatchObject({ index: 1, status: 'pending', started_at: null, exit_code: null, sub_run_id: null });
    assertValidManifest(m);
    expect(serializeManifest(m).endsWith('}\n')).toBe(true);
    expect(serializeManifest(m).split('\n')[1]).toBe('  "version": 1,');
  });

  it('keeps key order through every transition', () => {
    const m = manifest();
    markRunInProgress(m, T0 + 1);
    markStageRunning(m, 0, T0 + 2, 'log');
    finishStage(m, 0, { status: 'succeeded', completedAtMs: T0 + 3, exitCode: 0, summary: 'ok' });
    finalizeRun(m, { status: 'succeeded', statusDetail: null, completedAtMs: T0 + 4, summaryLines: [] });
    expect(Object.keys(m)).toEqual(MANIFEST_KEYS);
    expect(Object.keys(m.commands[0]!)).toEqual(COMMAND_KEYS);
    assertValidManifest(m);
  });
});

describe('transitions', () => {
  it('queued → in_progress → terminal with summary and guardrails', () => {
    const m = manifest();
    expect(m.status).toBe('queued');
    markRunInProgress(m, T0 + 10);
    expect(m).toMatchObject({ status: 'in_progress', heartbeat_at: '2026-03-01T10:00:00.010Z' });
    finishStage(m, 1, { status: 'failed', completedAtMs: T0 + 20, exitCode: 1, summary: 'x' });
    finalizeRun(m, {
      status: 'failed',
      statusDetail: 'stage:spec-guard:failed',
      completedAtMs: T0 + 30,
      summaryLines: ["Stage 'spec-guard' failed with exit code 1.", "Stage 'spec-guard' failed with exit code 1."],
    });
    expect(m.summary).toBe("Stage 'spec-guard' failed with exit code 1.\nGuardrails: 0/1 succeeded, 1 failed.");
    expect(m.guardrail_status).toMatchObject({ present: true, counts: { total: 1, succeeded: 0, failed: 1, skipped: 0, other: 0 } });
    expect(m.completed_at).toBe('2026-03-01T10:00:00.030Z');
  });

  it('computes guardrail status over spec-guard command stages', () => {
    const none = manifest(['build']);
    expect(computeGuardrailStatus(none, T0)).toMatchObject({ present: false, summary: 'Guardrails: spec-guard command not found.' });
    const m = manifest();
    finishStage(m, 1, { status: 'succeeded', completedAtMs: T0, exitCode: 0, summary: null });
    expect(computeGuardrailStatus(m, T0)).toMatchObject({ present: true, recommendation: null, summary: 'Guardrails: 1/1 succeeded.' });
  });

  it('summarize keeps distinct non-empty lines in order', () => {
    expect(summarize(['b', 'a', 'b', ' ', 'c'])).toBe('b\na\nc');
    expect(summarize([])).toBeNull();
  });

  it('prepareResume resets everything not succeeded or skipped', () => {
    const m = manifest();
    finishStage(m, 0, { status: 'succeeded', completedAtMs: T0, exitCode: 0, summary: 'ok' });
    finishStage(m, 1, { status: 'failed', completedAtMs: T0, exitCode: 2, summary: 'bad', errorFile: 'e.json' });
    finalizeRun(m, { status: 'failed', statusDetail: 'stage:spec-guard:failed', completedAtMs: T0, summaryLines: [] });
    m.metrics_recorded = true;
    expect(prepareResume(m, T0 + 100)).toEqual([1, 2]);
    expect(m.commands.map((c) => c.status)).toEqual(['succeeded', 'pending', 'pending']);
    expect(m.commands[1]).toMatchObject({ exit_code: null, error_file: null, summary: null });
    expect(m).toMatchObject({ status: 'in_progress', status_detail: null, completed_at: null, metrics_recorded: false });
  });

  it('B7 removed by phase 5: the manifest keeps the non-allow decisions only; the totals count them all', () => {
    const m = manifest();
    const empty = serializeManifest(m).length;
    const actions = ['allow', 'redact', 'block'] as const;
    for (let sequence = 1; sequence <= 1000; sequence += 1) {
      const action = sequence % 100 === 0 ? actions[1 + ((sequence / 100) % 2)]! : actions[0];
      recordPrivacyDecision(m, {
        handle_id: 'h',
        sequence,
        action,
        rule: action === 'allow' ? null : 'r',
        reason: 'shadow-mode',
        timestamp: '2026-03-01T10:00:00.000Z',
        stage_id: 'build',
      });
    }
    expect(m.privacy.decisions.map((d) => [d.sequence, d.action])).toEqual(
      Array.from({ length: 10 }, (_, i) => [(i + 1) * 100, (i + 1) % 2 === 0 ? 'redact' : 'block']),
    );
    expect(m.privacy.totals).toEqual({ total_frames: 1000, redacted_frames: 5, blocked_frames: 5, allowed_frames: 990 });
    // The allows no longer ride in every manifest write (phase 0: over 150,000 bytes here).
    expect(serializeManifest(m).length - empty).toBeLessThan(3_000);
  });

  it('frames and closing go to the handle named by id; an unknown id is an error naming it', () => {
    const m = manifest();
    const base = { correlation_id: 'c', stage_id: 'build', pipeline_id: 'p', created_at: m.started_at, metadata: {} };
    openHandle(m, { handle_id: 'h-out', ...base });
    openHandle(m, { handle_id: 'h-err', ...base });
    recordFrame(m, 'h-err', 3);
    recordFrame(m, 'h-err', 4);
    closeHandle(m, 'h-out');
    expect(m.handles.map((h) => [h.handle_id, h.status, h.frame_count, h.latest_sequence])).toEqual([
      ['h-out', 'closed', 0, 0],
      ['h-err', 'open', 2, 4],
    ]);
    expect(() => recordFrame(m, 'h-gone', 1)).toThrow('manifest has no handle h-gone');
    expect(() => closeHandle(m, 'h-gone')).toThrow('manifest has no handle h-gone');
  });
});

describe('phase 1 removed B1: entries are updated in place', () => {
  it('updateCommandStatus updates the entry itself, so a reference read before it is still the entry', () => {
    const m = manifest();
    const entry = m.commands[0]!;
    const updated = updateCommandStatus(m, 0, { status: 'running', started_at: '2026-03-01T10:00:01.000Z' });
    expect(m.commands[0]).toBe(entry);
    expect(updated).toBe(entry);
    expect(entry).toMatchObject({ status: 'running', started_at: '2026-03-01T10:00:01.000Z' });
  });

  it('failStage ends the entry failed with completed_at and the execution error; allowed, it is skipped', () => {
    const m = manifest();
    markStageRunning(m, 0, Date.parse('2026-03-01T10:00:01.000Z'), 'log');
    const failed = failStage(m, 0, { completedAtMs: Date.parse('2026-03-01T10:00:02.000Z'), message: 'boom', errorFile: 'errors/01-a.json' });
    expect(failed).toBe(m.commands[0]);
    expect(failed).toMatchObject({
      status: 'failed',
      completed_at: '2026-03-01T10:00:02.000Z',
      exit_code: null,
      summary: 'Execution error: boom',
      error_file: 'errors/01-a.json',
    });
    const allowed = failStage(m, 0, { completedAtMs: Date.parse('2026-03-01T10:00:03.000Z'), message: 'later', allowed: true });
    expect(allowed).toMatchObject({ status: 'skipped', summary: 'Execution error: later', error_file: 'errors/01-a.json' });
  });
});
