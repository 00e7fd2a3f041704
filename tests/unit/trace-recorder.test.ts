// The trace recorder: wraps a file sink and an executor and records what another process could
// observe (writes when they land, children's starts and ends), and digests manifest writes.
import { DURABILITY } from '../../src/runtime/durability.js';
import { describe, expect, it } from 'vitest';
import { digestManifest } from '../../src/harness/trace/manifest-digest.js';
import { createTraceRecorder, isManifestPath, type TraceEvent, type TraceRecorderOptions } from '../../src/harness/trace/trace.js';
import { serializeManifest } from '../../src/persist/manifest-writer.js';
import type { Manifest } from '../../src/manifest/schema.js';
import {
  finalizeRun,
  finishStage,
  markRunInProgress,
  markStageRunning,
  prepareResume,
  recordResumeEvent,
  skipStage,
} from '../../src/manifest/transitions.js';
import { sampleManifest } from '../helpers/sample-manifest.js';
import { createMemoryFileSink, type MemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import type { ExecChunk, ExecRequest, ExecResult, Executor, FileSink } from '../../src/runtime/types.js';
import { createVirtualClock, type VirtualClock } from '../../src/runtime/virtual-clock.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const ROOT = '/repo';
const RUN = '2026-03-01T10-00-00-000Z-abcdef12';
const MANIFEST = `${ROOT}/.runs/0101/cli/${RUN}/manifest.json`;
const COMPAT = `${ROOT}/.runs/0101/mcp/${RUN}/manifest.json`;
const iso = (ms: number) => new Date(T0 + ms).toISOString();

const newManifest = (stages?: string[]): Manifest => sampleManifest(RUN, T0, stages);

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parsed');
}

/** What every recorder here is made with: this repo root, the origin T0, the disk's durability, manifests digested. */
const base = (clock: VirtualClock) => ({ clock, root: ROOT, originMs: T0, durability: DURABILITY, digest: digestManifest });

type Setup = { clock: VirtualClock; sink: MemoryFileSink; fs: FileSink; events: () => TraceEvent[] };

function setup(
  options: Partial<Omit<TraceRecorderOptions, 'readPrevious' | 'digest'>> & { readPrevious?: boolean } = {},
  wrap: (sink: MemoryFileSink) => FileSink = (sink) => sink,
): Setup {
  const clock = createVirtualClock(T0);
  const sink = createMemoryFileSink({ durability: DURABILITY });
  const { readPrevious, ...rest } = options;
  // As the bin's trace does: the previous state read synchronously, before the write is issued.
  const previous = (path: string) => {
    const data = sink.files().get(path);
    return data ? digestManifest(data) : undefined;
  };
  const recorder = createTraceRecorder({ ...base(clock), ...rest, ...(readPrevious ? { readPrevious: previous } : {}) });
  return { clock, sink, fs: recorder.wrapFs(wrap(sink)), events: () => recorder.events() };
}

describe('digestManifest', () => {
  it('digests a real manifest through its transitions', () => {
    const m = newManifest(['build', 'lint', 'test']);
    expect(digestManifest(serializeManifest(m))).toStrictEqual({
      run: 'queued',
      detail: null,
      commands: ['build:pending', 'lint:pending', 'test:pending'],
      updated_at: iso(0),
      heartbeat_at: null,
      resumes: 0,
    });

    markRunInProgress(m, T0 + 1_000);
    markStageRunning(m, 0, T0 + 1_500, 'log');
    m.updated_at = iso(1_600);
    expect(digestManifest(Buffer.from(serializeManifest(m), 'utf8'))).toStrictEqual({
      run: 'in_progress',
      detail: null,
      commands: ['build:running', 'lint:pending', 'test:pending'],
      updated_at: iso(1_600),
      heartbeat_at: iso(1_000),
      resumes: 0,
    });

    finishStage(m, 0, { status: 'failed', completedAtMs: T0 + 2_000, exitCode: 2, summary: 'boom' });
    skipStage(m, 1, 'after failure');
    finalizeRun(m, { status: 'failed', statusDetail: 'stage build failed', completedAtMs: T0 + 2_000, summaryLines: [] });
    expect(digestManifest(serializeManifest(m))).toStrictEqual({
      run: 'failed',
      detail: 'stage build failed',
      commands: ['build:failed', 'lint:skipped', 'test:pending'],
      updated_at: iso(1_600),
      heartbeat_at: iso(1_000),
      resumes: 0,
    });

    // Only accepted resume events count.
    recordResumeEvent(m, { timestamp: iso(3_000), actor: 'cli', reason: 'retry', outcome: 'blocked', detail: 'bad token' });
    recordResumeEvent(m, { timestamp: iso(4_000), actor: 'cli', reason: 'retry', outcome: 'accepted' });
    prepareResume(m, T0 + 4_000);
    recordResumeEvent(m, { timestamp: iso(5_000), actor: 'cli', reason: 'retry', outcome: 'accepted' });
    expect(digestManifest(serializeManifest(m))).toStrictEqual({
      run: 'in_progress',
      detail: null,
      commands: ['build:pending', 'lint:skipped', 'test:pending'],
      updated_at: iso(1_600),
      heartbeat_at: iso(4_000),
      resumes: 2,
    });
  });

  it('says why a write is not a valid manifest', () => {
    expect(digestManifest('{"version":')).toStrictEqual({ invalid: `not JSON: ${jsonError('{"version":')}` });
    expect(digestManifest('[]')).toStrictEqual({ invalid: '(root): Invalid input: expected object, received array' });
    const m = newManifest() as unknown as Record<string, unknown>;
    m.status = 'paused';
    expect(digestManifest(JSON.stringify(m))).toStrictEqual({
      invalid: 'status: Invalid option: expected one of "queued"|"in_progress"|"succeeded"|"failed"|"cancelled"',
    });
    delete m.status;
    expect(digestManifest(JSON.stringify(m))).toStrictEqual({
      invalid: 'status: Invalid option: expected one of "queued"|"in_progress"|"succeeded"|"failed"|"cancelled"',
    });
  });

  it('knows run manifests from the compat pointer and other files', () => {
    expect(isManifestPath(MANIFEST)).toBe(true);
    expect(isManifestPath(`.runs/0101/cli/${RUN}/manifest.json`)).toBe(true);
    expect(isManifestPath(COMPAT)).toBe(false);
    expect(isManifestPath(`${ROOT}/.runs/0101/cli/${RUN}/manifest.json.tmp-1-2`)).toBe(false);
    expect(isManifestPath(`${ROOT}/.runs/0101/cli/${RUN}/sub/manifest.json`)).toBe(false);
    expect(isManifestPath(`${ROOT}/.runs/0101/cli/manifest.json`)).toBe(false);
  });
});

describe('createTraceRecorder over a file sink', () => {
  it('records each write when it lands, in order, with repo-relative paths', async () => {
    const { clock, fs, events } = setup();
    clock.setNow(T0 + 5);
    const pending = fs.writeAtomic(`${ROOT}/out/a.txt`, 'héllo');
    expect(events()).toEqual([]); // not landed yet
    clock.setNow(T0 + 9); // lands after the clock moved: recorded at 9, not 5
    await pending;
    const appended = fs.append(`${ROOT}/.runs/0101/cli/${RUN}/runner.ndjson`, new Uint8Array([1, 2, 3]));
    const created = fs.createExclusive(`${ROOT}/.runs/0101/lock`, 'pid');
    await Promise.all([appended, created]);
    clock.setNow(T0 + 12);
    expect(await fs.createExclusive(`${ROOT}/.runs/0101/lock`, 'again')).toBe(false);
    await fs.remove(`${ROOT}/.runs/0101/lock`);
    await fs.writeAtomic('/elsewhere/b.txt', 'x');
    await fs.remove(ROOT);
    expect(events()).toStrictEqual<TraceEvent[]>([
      { t: 9, kind: 'write', path: 'out/a.txt', bytes: 6, fsync: true },
      { t: 9, kind: 'append', path: `.runs/0101/cli/${RUN}/runner.ndjson`, bytes: 3 },
      { t: 9, kind: 'create', path: '.runs/0101/lock', bytes: 3 },
      { t: 12, kind: 'remove', path: '.runs/0101/lock' },
      { t: 12, kind: 'write', path: '../elsewhere/b.txt', bytes: 1, fsync: true },
      { t: 12, kind: 'remove', path: '.' },
    ]);
  });

  it('passes writes through to the sink and reports the fsync policy it was given', async () => {
    const { sink, fs, events } = setup({ durability: { fsyncFile: false, fsyncDirectory: false } });
    await fs.writeAtomic(`${ROOT}/a.txt`, 'one');
    await fs.append(`${ROOT}/a.txt`, 'two');
    expect(sink.files().get('/repo/a.txt')?.toString('utf8')).toBe('onetwo');
    expect(events()).toStrictEqual<TraceEvent[]>([
      { t: 0, kind: 'write', path: 'a.txt', bytes: 3, fsync: false },
      { t: 0, kind: 'append', path: 'a.txt', bytes: 3 },
    ]);
  });

  it('digests run manifest writes only (not the compat pointer under mcp/)', async () => {
    const { fs, events } = setup();
    const text = serializeManifest(newManifest());
    await fs.writeAtomic(MANIFEST, text);
    await fs.writeAtomic(COMPAT, text);
    await fs.writeAtomic(MANIFEST, '{');
    const bytes = Buffer.byteLength(text);
    expect(events()).toStrictEqual<TraceEvent[]>([
      {
        t: 0,
        kind: 'write',
        path: `.runs/0101/cli/${RUN}/manifest.json`,
        bytes,
        fsync: true,
        state: { run: 'queued', detail: null, commands: ['build:pending', 'test:pending'], updated_at: iso(0), heartbeat_at: null, resumes: 0 },
      },
      { t: 0, kind: 'write', path: `.runs/0101/mcp/${RUN}/manifest.json`, bytes, fsync: true },
      { t: 0, kind: 'write', path: `.runs/0101/cli/${RUN}/manifest.json`, bytes: 1, fsync: true, state: { invalid: `not JSON: ${jsonError('{')}` } },
    ]);
  });

  it('records a failing write as write:failed and still rejects to the caller', async () => {
    const failure = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const { clock, fs, events } = setup({}, (sink) => ({
      ...sink,
      writeAtomic: () => Promise.reject(failure),
      append: () => Promise.reject(new Error('ENOSPC')),
      createExclusive: () => Promise.reject(new Error('EEXIST?')),
      remove: () => Promise.reject('not an Error'),
    }));
    clock.setNow(T0 + 7);
    await expect(fs.writeAtomic(MANIFEST, '{}')).rejects.toBe(failure);
    await expect(fs.append(`${ROOT}/log`, 'x')).rejects.toThrow('ENOSPC');
    await expect(fs.createExclusive(`${ROOT}/lock`, 'x')).rejects.toThrow('EEXIST?');
    await expect(fs.remove(`${ROOT}/dir`)).rejects.toBe('not an Error');
    expect(events()).toStrictEqual<TraceEvent[]>([
      { t: 7, kind: 'write:failed', path: `.runs/0101/cli/${RUN}/manifest.json`, op: 'write', error: 'EACCES: permission denied' },
      { t: 7, kind: 'write:failed', path: 'log', op: 'append', error: 'ENOSPC' },
      { t: 7, kind: 'write:failed', path: 'lock', op: 'create', error: 'EEXIST?' },
      { t: 7, kind: 'write:failed', path: 'dir', op: 'remove', error: 'not an Error' },
    ]);
  });

  it('records a failing first write of a manifest with readPrevious as write:failed, and rejects', async () => {
    const failure = new Error('EIO');
    const { sink, fs, events } = setup({ readPrevious: true }, (inner) => ({ ...inner, writeAtomic: () => Promise.reject(failure) }));
    sink.seedFile(MANIFEST, serializeManifest(newManifest()));
    await expect(fs.writeAtomic(MANIFEST, '{}')).rejects.toBe(failure);
    expect(events()).toStrictEqual<TraceEvent[]>([
      { t: 0, kind: 'write:failed', path: `.runs/0101/cli/${RUN}/manifest.json`, op: 'write', error: 'EIO' },
    ]);
  });

  it('with readPrevious, records `was` on the first write of a manifest that existed before, only', async () => {
    const { sink, fs, events } = setup({ readPrevious: true });
    const before = newManifest(['build']);
    markRunInProgress(before, T0);
    finishStage(before, 0, { status: 'failed', completedAtMs: T0, exitCode: 1, summary: null });
    finalizeRun(before, { status: 'failed', statusDetail: 'stage build failed', completedAtMs: T0, summaryLines: [] });
    sink.seedFile(MANIFEST, serializeManifest(before));
    sink.seedFile(COMPAT, serializeManifest(before));
    const fresh = `${ROOT}/.runs/0101/cli/2026-03-01T10-00-09-000Z-00000000/manifest.json`;
    const broken = `${ROOT}/.runs/0101/cli/broken/manifest.json`;
    sink.seedFile(broken, 'nope');

    const after = structuredClone(before);
    recordResumeEvent(after, { timestamp: iso(0), actor: 'cli', reason: 'retry', outcome: 'accepted' });
    prepareResume(after, T0);
    await fs.writeAtomic(MANIFEST, serializeManifest(after));
    await fs.writeAtomic(MANIFEST, serializeManifest(after));
    await fs.writeAtomic(COMPAT, serializeManifest(after));
    await fs.writeAtomic(fresh, serializeManifest(newManifest(['build'])));
    await fs.writeAtomic(broken, serializeManifest(newManifest(['build'])));

    const digests = events().map((e) => (e.kind === 'write' ? { path: e.path, state: e.state, was: e.was } : e));
    const queued = { run: 'queued', detail: null, commands: ['build:pending'], updated_at: iso(0), heartbeat_at: null, resumes: 0 };
    const resumed = { run: 'in_progress', detail: null, commands: ['build:pending'], updated_at: iso(0), heartbeat_at: iso(0), resumes: 1 };
    expect(digests).toEqual([
      {
        path: `.runs/0101/cli/${RUN}/manifest.json`,
        state: resumed,
        was: { run: 'failed', detail: 'stage build failed', commands: ['build:failed'], updated_at: iso(0), heartbeat_at: iso(0), resumes: 0 },
      },
      { path: `.runs/0101/cli/${RUN}/manifest.json`, state: resumed, was: undefined },
      { path: `.runs/0101/mcp/${RUN}/manifest.json`, state: undefined, was: undefined },
      { path: '.runs/0101/cli/2026-03-01T10-00-09-000Z-00000000/manifest.json', state: queued, was: undefined },
      { path: '.runs/0101/cli/broken/manifest.json', state: queued, was: { invalid: `not JSON: ${jsonError('nope')}` } },
    ]);
    expect(events().map((e) => Object.keys(e).includes('was'))).toEqual([true, false, false, false, true]);
  });

  it('does not read previous states unless asked', async () => {
    const { sink, fs, events } = setup();
    sink.seedFile(MANIFEST, serializeManifest(newManifest()));
    await fs.writeAtomic(MANIFEST, serializeManifest(newManifest()));
    expect(Object.keys(events()[0]!)).toEqual(['t', 'kind', 'path', 'bytes', 'fsync', 'state']);
  });
});

describe('createTraceRecorder notes and events', () => {
  it('notes cli:start and cli:exit at the clock time, hands every event to onEvent, and keeps none with keep: false', async () => {
    const clock = createVirtualClock(T0 + 1_000);
    const seen: TraceEvent[] = [];
    const recorder = createTraceRecorder({ ...base(clock), keep: false, onEvent: (e) => seen.push(e) });
    const fs = recorder.wrapFs(createMemoryFileSink({ durability: DURABILITY }));
    recorder.note({ kind: 'cli:start', argv: ['start', 'p'] });
    await fs.append(`${ROOT}/x`, 'ab');
    clock.setNow(T0 + 1_500);
    recorder.note({ kind: 'cli:exit', code: 3 });
    expect(recorder.originMs).toBe(T0);
    expect(recorder.events()).toEqual([]);
    expect(seen).toStrictEqual<TraceEvent[]>([
      { t: 1_000, kind: 'cli:start', argv: ['start', 'p'] },
      { t: 1_000, kind: 'append', path: 'x', bytes: 2 },
      { t: 1_500, kind: 'cli:exit', code: 3 },
    ]);
  });
});

describe('createTraceRecorder over an executor', () => {
  type Script = { resolve: (result: ExecResult) => void; reject: (error: unknown) => void; cancels: string[]; onChunk: unknown };

  function scripted(): { executor: Executor; scripts: Script[] } {
    const scripts: Script[] = [];
    const executor: Executor = {
      start(_request, onChunk) {
        const script = { cancels: [] as string[], onChunk } as Script;
        const done = new Promise<ExecResult>((resolve, reject) => {
          script.resolve = resolve;
          script.reject = reject;
        });
        scripts.push(script);
        return { done, cancel: (signal) => script.cancels.push(signal) };
      },
    };
    return { executor, scripts };
  }

  const request = (stageKey: string, env: Record<string, string> = {}): ExecRequest => ({ command: 'run', cwd: `${ROOT}/sub`, env, stageKey });

  it('records exec:start when the child is started and exec:exit / exec:error when it ends', async () => {
    const clock = createVirtualClock(T0);
    const recorder = createTraceRecorder(base(clock));
    const { executor, scripts } = scripted();
    const wrapped = recorder.wrapExecutor(executor);
    const onChunk = (_chunk: ExecChunk) => undefined;

    clock.setNow(T0 + 10);
    const build = wrapped.start(request('p/build', { CODEX_ORCHESTRATOR_MANIFEST_PATH: MANIFEST, OTHER: 'x' }), onChunk);
    const test = wrapped.start(request('p/test'), onChunk);
    expect(scripts[0]!.onChunk).toBe(onChunk);
    build.cancel('SIGTERM');
    expect(scripts[0]!.cancels).toEqual(['SIGTERM']);
    expect(recorder.events()).toStrictEqual<TraceEvent[]>([
      { t: 10, kind: 'exec:start', stage: 'p/build', manifest: `.runs/0101/cli/${RUN}/manifest.json` },
      { t: 10, kind: 'exec:start', stage: 'p/test', manifest: null },
    ]);

    clock.setNow(T0 + 25);
    scripts[0]!.resolve({ exitCode: null, signal: 'SIGTERM' });
    await expect(build.done).resolves.toEqual({ exitCode: null, signal: 'SIGTERM' });
    clock.setNow(T0 + 30);
    scripts[1]!.reject(new Error('spawn ENOENT'));
    await expect(test.done).rejects.toThrow('spawn ENOENT');

    const rerun = wrapped.start(request('p/test'), onChunk);
    scripts[2]!.resolve({ exitCode: 0, signal: null });
    await expect(rerun.done).resolves.toEqual({ exitCode: 0, signal: null });

    expect(recorder.events().slice(2)).toStrictEqual<TraceEvent[]>([
      { t: 25, kind: 'exec:exit', stage: 'p/build', code: null, signal: 'SIGTERM' },
      { t: 30, kind: 'exec:error', stage: 'p/test', error: 'spawn ENOENT' },
      { t: 30, kind: 'exec:start', stage: 'p/test', manifest: null },
      { t: 30, kind: 'exec:exit', stage: 'p/test', code: 0, signal: null },
    ]);
  });
});

describe('readPrevious does not reorder writes', () => {
  it('a second write of a manifest issued while the first is in flight still lands last', async () => {
    const { sink, fs } = setup({ readPrevious: true });
    sink.seedFile(MANIFEST, serializeManifest(newManifest()));
    await Promise.all([fs.writeAtomic(MANIFEST, 'first'), fs.writeAtomic(MANIFEST, 'second')]);
    expect(sink.files().get(MANIFEST)!.toString('utf8')).toBe('second');
  });
});
