// Phase 5 (tasks/specs/0006-metrics-env-hygiene.md): metrics lines reference the privacy
// log instead of embedding it (with an opt-in cap), pipeline env defaults travel to the
// child as explicit overrides (process.env is never written), and the manifest keeps only
// the non-allow privacy decisions, so its bytes per write stop growing with the output.
import { ESLint } from 'eslint';
import { srcReports } from '../helpers/lint-src.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { freshProcessEnv } from '../../src/harness/golden/steps.js';
import type { ExecRequest } from '../../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../../src/runtime/virtual-runtime.js';
import { restoreProcessEnvAfterEach } from '../helpers/process-env.js';

// Expected failures on phase-4 code; flipped to `it` by the change.
const phase5 = it;

const ROOT = '/repo';
restoreProcessEnvAfterEach();

type Chunk = { stream: 'stdout' | 'stderr'; data: string; at_ms: number };

/** A world whose Runtime.env is a fresh process's, as the bin's is (process.env itself). */
function world(config: unknown, stages: Record<string, Chunk[][]>, env: Record<string, string> = {}) {
  const transcript = {
    stages: Object.fromEntries(
      Object.entries(stages).map(([key, runs]) => [key, runs.map((chunks) => ({ chunks, exit: { code: 0, signal: null, at_ms: 100 } }))]),
    ),
  };
  const runtime = createVirtualRuntime({ startMs: Date.parse('2026-12-01T09:00:00.000Z'), seed: 5, cwd: ROOT, transcript });
  runtime.env = freshProcessEnv({ PATH: '/usr/bin', ...env });
  runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(config));
  const requests: Array<{ stage: string; env: Record<string, string> }> = [];
  const inner = runtime.executor;
  runtime.executor = {
    start(request: ExecRequest, onChunk) {
      requests.push({ stage: request.stageKey ?? '', env: { ...request.env } });
      return inner.start(request, onChunk);
    },
  };
  const start = async (...argv: string[]) => driveToCompletion(runtime, () => runCli(['start', ...argv], runtime));
  const metricsLines = () =>
    (runtime.fs.files().get(`${ROOT}/.runs/0101/metrics.json`)?.toString('utf8') ?? '')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { runtime, requests, start, metricsLines };
}

const SECRET_CONFIG = {
  pipelines: [{ id: 'leaky', title: 'Leaky', stages: [{ kind: 'command', id: 'talk', title: 'Talk', command: 'talk' }] }],
};
const secretChunks: Chunk[] = [
  { stream: 'stdout', data: 'hello\n', at_ms: 1 },
  { stream: 'stdout', data: 'password=hunter22\n', at_ms: 2 },
  { stream: 'stdout', data: 'fine\n', at_ms: 3 },
  { stream: 'stderr', data: 'token: abcdef123456\n', at_ms: 4 },
  { stream: 'stdout', data: 'bye\n', at_ms: 5 },
];

describe('phase 5: metrics lines reference the privacy log', () => {
  phase5('a line has privacy_log_path and privacy_event_count; privacy_events holds the non-allow decisions only', async () => {
    const w = world(SECRET_CONFIG, { 'leaky/talk': [secretChunks] });
    expect(await w.start('leaky')).toBe(0);
    const [line] = w.metricsLines();
    expect(line!.privacy_log_path).toMatch(/^\.runs\/0101\/cli\/[^/]+\/privacy-decisions\.ndjson$/);
    expect(line!.privacy_event_count).toBe(5);
    expect((line!.privacy_events as Array<{ action: string }>).map((d) => d.action)).toEqual(['redact', 'redact']);
    expect(line).not.toHaveProperty('privacy_events_truncated');
  });

  phase5('CODEX_METRICS_PRIVACY_EVENTS_MAX=N keeps the first N events and says it cut', async () => {
    const w = world(SECRET_CONFIG, { 'leaky/talk': [secretChunks] }, { CODEX_METRICS_PRIVACY_EVENTS_MAX: '1' });
    expect(await w.start('leaky')).toBe(0);
    const [line] = w.metricsLines();
    expect((line!.privacy_events as Array<{ sequence: number }>).map((d) => d.sequence)).toEqual([2]);
    expect(line!.privacy_events_truncated).toBe(true);
    expect(line!.privacy_event_count).toBe(5);
  });

  phase5('a bad CODEX_METRICS_PRIVACY_EVENTS_MAX is exit 2, one line naming it, nothing written', async () => {
    for (const bad of ['-1', 'ten', '1.5', '99999999']) {
      const w = world(SECRET_CONFIG, { 'leaky/talk': [secretChunks] }, { CODEX_METRICS_PRIVACY_EVENTS_MAX: bad });
      expect(await w.start('leaky'), bad).toBe(2);
      const lines = w.runtime.stderr.text().trimEnd().split('\n');
      expect(lines, bad).toHaveLength(1);
      expect(lines[0]).toContain('CODEX_METRICS_PRIVACY_EVENTS_MAX');
      expect([...w.runtime.fs.files().keys()].filter((p) => p.includes('/.runs/'))).toEqual([]);
    }
  });
});

describe('phase 5: pipeline env defaults are explicit child overrides', () => {
  const CONFIG = {
    pipelines: [
      {
        id: 'main',
        title: 'Main',
        env: { PARENT_ONLY: 'p', SHARED: 'parent' },
        stages: [
          { kind: 'command', id: 'before', title: 'Before', command: 'a' },
          { kind: 'subpipeline', id: 'sub', title: 'Sub', pipeline: 'child' },
          { kind: 'command', id: 'after', title: 'After', command: 'b' },
        ],
      },
      {
        id: 'child',
        title: 'Child',
        env: { CHILD_ONLY: 'c', SHARED: 'child' },
        stages: [{ kind: 'command', id: 'inner', title: 'Inner', command: 'c' }],
      },
      { id: 'plain', title: 'Plain', stages: [{ kind: 'command', id: 'only', title: 'Only', command: 'd' }] },
    ],
  };
  const pick = (env: Record<string, string>) => ({ PARENT_ONLY: env.PARENT_ONLY, CHILD_ONLY: env.CHILD_ONLY, SHARED: env.SHARED });

  phase5('each stage sees exactly its own pipeline defaults; nothing leaks to later stages or runs; process.env is untouched', async () => {
    const w = world(CONFIG, { 'main/before': [[]], 'child/inner': [[]], 'main/after': [[]], 'plain/only': [[]] });
    delete process.env.PARENT_ONLY;
    delete process.env.CHILD_ONLY;
    delete process.env.SHARED;
    expect(await w.start('main')).toBe(0);
    expect(await w.start('plain')).toBe(0);
    expect(w.requests.map((r) => [r.stage, pick(r.env)])).toEqual([
      ['main/before', { PARENT_ONLY: 'p', CHILD_ONLY: undefined, SHARED: 'parent' }],
      ['child/inner', { PARENT_ONLY: undefined, CHILD_ONLY: 'c', SHARED: 'child' }],
      ['main/after', { PARENT_ONLY: 'p', CHILD_ONLY: undefined, SHARED: 'parent' }],
      ['plain/only', { PARENT_ONLY: undefined, CHILD_ONLY: undefined, SHARED: undefined }],
    ]);
    expect([process.env.PARENT_ONLY, process.env.CHILD_ONLY, process.env.SHARED]).toEqual([undefined, undefined, undefined]);
  });

  it("the orchestrator's own environment still comes first, under the pipeline defaults and the stage's env", async () => {
    const w = world(CONFIG, { 'plain/only': [[]] }, { SHARED: 'from-shell' });
    expect(await w.start('plain')).toBe(0);
    expect(w.requests[0]!.env.SHARED).toBe('from-shell');
    expect(w.requests[0]!.env.PATH).toBe('/usr/bin');
  });
});

describe('phase 5: the manifest keeps only the non-allow decisions', () => {
  phase5('privacy.decisions: the redactions; the totals count every chunk; the log keeps every decision', async () => {
    const w = world(SECRET_CONFIG, { 'leaky/talk': [secretChunks] });
    expect(await w.start('leaky')).toBe(0);
    const files = w.runtime.fs.files();
    const manifestPath = [...files.keys()].find((p) => /\/cli\/[^/]+\/manifest\.json$/.test(p))!;
    const privacy = (JSON.parse(files.get(manifestPath)!.toString('utf8')) as { privacy: Record<string, unknown> }).privacy;
    expect((privacy.decisions as Array<{ sequence: number; action: string }>).map((d) => [d.sequence, d.action])).toEqual([
      [2, 'redact'],
      [4, 'redact'],
    ]);
    expect(privacy.totals).toEqual({ total_frames: 5, redacted_frames: 2, blocked_frames: 0, allowed_frames: 3 });
    const log = files
      .get(join(manifestPath, '..', 'privacy-decisions.ndjson'))!
      .toString('utf8')
      .trim()
      .split('\n');
    expect(log).toHaveLength(5);
  });
});

const REPO = fileURLToPath(new URL('../..', import.meta.url));

describe('phase 5: codex/no-process-env-mutation is an error with 0 sites', () => {
  // Only the rule under test runs (the lint stage runs them all); its reports are all that is read.
  const eslint = new ESLint({ cwd: REPO, ruleFilter: ({ ruleId }) => ruleId === 'codex/no-process-env-mutation' });
  const reports = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: join(REPO, file) });
    return result!.messages.filter((m) => m.ruleId === 'codex/no-process-env-mutation').map((m) => m.severity);
  };

  phase5('a new write of process.env in the core fails npm run lint; src/ has none', async () => {
    expect(await reports('src/run/new-step.ts', "export const set = () => {\n  process.env.X = '1';\n};\n")).toEqual([2]);
    expect(await srcReports('codex/no-process-env-mutation')).toEqual([]);
  });
});
