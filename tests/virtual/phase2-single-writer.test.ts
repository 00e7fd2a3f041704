// Phase 2 (tasks/specs/0003-single-writer.md): one writer of manifest.json and .heartbeat.
// The persister's rules on a file sink whose writes land or fail when the test says so (never
// on the wall clock), and whole runs on the virtual runtime (the golden replay) read through
// their write trace.
import { describe, expect, it } from 'vitest';
import { replayScenario } from '../../src/harness/golden/replay.js';
import { scenarioSchema } from '../../src/harness/golden/scenario.js';
import type { TraceEvent } from '../../src/harness/trace/trace.js';
import { runPaths } from '../../src/persist/manifest-writer.js';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import { createSeededIds } from '../../src/runtime/seeded-ids.js';
import type { Transcript } from '../../src/runtime/transcript-executor.js';
import type { FileSink } from '../../src/runtime/types.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';
import { testManifest } from '../helpers/manifest-fixture.js';

type PersisterModule = typeof import('../../src/persist/persister.js');
/** Loaded per test, so that on phase-1 code (no persister yet) each test fails on its own. */
const persisterModule = (): Promise<PersisterModule> => import('../../src/persist/persister.js' as string) as Promise<PersisterModule>;

/** A file sink whose atomic writes wait until the test lands or fails them, one by one. */
function heldSink() {
  const inner = createMemoryFileSink({ durability: { fsyncFile: false, fsyncDirectory: false } });
  const pending: Array<{ path: string; data: string; land: () => void; fail: (code: string) => void }> = [];
  const fs: FileSink = {
    ...inner,
    writeAtomic: (path, data) =>
      new Promise<void>((resolve, reject) => {
        pending.push({
          path,
          data: typeof data === 'string' ? data : Buffer.from(data).toString('utf8'),
          land: () => {
            void inner.writeAtomic(path, data).then(resolve, reject);
          },
          fail: (code) => reject(Object.assign(new Error(`${code}: injected`), { code })),
        });
      }),
  };
  /** Lets every microtask run (the writes' continuations), without any timer. */
  const settle = async () => {
    for (let i = 0; i < 20; i += 1) await Promise.resolve();
  };
  return { fs, inner, pending, settle };
}

async function setup(options: { intervalMs?: number; closeAttempts?: number; noFailureHandler?: boolean } = {}) {
  const { ManifestPersister } = await persisterModule();
  const clock = createVirtualClock(Date.parse('2026-01-01T00:00:00.000Z'));
  const sink = heldSink();
  const paths = runPaths({ root: '/r', runsDir: '/r/.runs', outDir: '/r/out' }, '0101', 'run-1', sink.fs, clock);
  const manifest = testManifest({ nowMs: clock.now(), resumeToken: createSeededIds(1).resumeToken() });
  const failures: Array<[string, string]> = [];
  const persister = new ManifestPersister(paths, manifest, {
    intervalMs: options.intervalMs ?? 5_000,
    ...(options.noFailureHandler ? {} : { onFirstFailure: (file, error) => failures.push([file, (error as Error).message]) }),
    ...(options.closeAttempts === undefined ? {} : { closeAttempts: options.closeAttempts }),
  });
  const writesOf = (file: 'manifest.json' | '.heartbeat') => sink.pending.filter((w) => w.path.endsWith(`/${file}`));
  return { persister, manifest, clock, paths, failures, writesOf, ...sink };
}

/** Expected failures on phase-1 code (tests first, with `it.fails`); flipped by the change. */
const phase2 = it;

const setSummary = (text: string) => (m: { summary: string | null }) => {
  m.summary = text;
};

describe('phase 2: the persister', () => {
  phase2('a forced write is issued in the same tick it is requested', async () => {
    const { persister, pending } = await setup();
    void persister.update(setSummary('a'), { force: true });
    expect(pending.map((w) => w.path.split('/').at(-1))).toEqual(['manifest.json']);
  });

  phase2('a forced write does not wait out a throttle armed by a plain request in the same tick', async () => {
    const { persister, pending, clock } = await setup();
    void persister.update(setSummary('plain'));
    void persister.update(setSummary('forced'), { force: true });
    expect(pending).toHaveLength(1);
    expect(JSON.parse(pending[0]!.data).summary).toBe('forced');
    expect(clock.now()).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
  });

  phase2('a forced write does not wait for a pending throttled flush', async () => {
    const { persister, pending, settle, clock } = await setup();
    void persister.update(setSummary('first'), { force: true });
    pending[0]!.land();
    await settle();
    void persister.update(setSummary('plain')); // throttled: a flush is pending for +5 s
    expect(clock.pendingTimers()).toBe(1);
    expect(pending).toHaveLength(1);
    void persister.update(setSummary('forced'), { force: true });
    expect(pending).toHaveLength(2);
    expect(JSON.parse(pending[1]!.data).summary).toBe('forced');
    expect(clock.pendingTimers()).toBe(0); // nothing is left dirty for the throttle
  });

  phase2('a plain request on a fresh persister waits the interval: a reader never sees half of a change', async () => {
    const { persister, pending, clock } = await setup();
    void persister.update(setSummary('half'));
    expect(pending).toHaveLength(0);
    expect(clock.pendingTimers()).toBe(1);
    void persister.update(setSummary('whole'), { force: true });
    expect(pending).toHaveLength(1);
    expect(JSON.parse(pending[0]!.data).summary).toBe('whole');
  });

  phase2('requests made while a write is in flight give one more write, of the latest state; never two in flight', async () => {
    const { persister, pending, settle } = await setup();
    void persister.update(setSummary('s0'), { force: true });
    for (let i = 1; i <= 50; i += 1) void persister.update(setSummary(`s${i}`), { force: i % 2 === 0 });
    expect(pending).toHaveLength(1); // never two writes of one file in flight
    pending[0]!.land();
    await settle();
    expect(pending).toHaveLength(2);
    expect(JSON.parse(pending[1]!.data).summary).toBe('s50');
    pending[1]!.land();
    await settle();
    expect(pending).toHaveLength(2);
  });

  it('a plain request made while a write is in flight is written one interval after that write', async () => {
    const { persister, pending, settle, clock } = await setup();
    const start = clock.now();
    void persister.update(setSummary('forced'), { force: true });
    void persister.update(setSummary('plain, meanwhile'));
    expect(clock.pendingTimers()).toBe(0); // nothing to arm while the write is in flight
    pending[0]!.land();
    await settle();
    expect(clock.pendingTimers()).toBe(1); // armed when it landed: the change is not left behind
    clock.fireNext();
    expect(clock.now() - start).toBe(5_000);
    expect(pending).toHaveLength(2);
    expect(JSON.parse(pending[1]!.data).summary).toBe('plain, meanwhile');
  });

  it('a carried transition schedules nothing and rides with the next write', async () => {
    const { persister, pending, settle, clock } = await setup();
    persister.carry(setSummary('carried'));
    expect(pending).toHaveLength(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(persister.manifest.summary).toBe('carried'); // the read-only view sees it at once
    void persister.update((m) => void (m.status = 'in_progress'), { force: true });
    expect(JSON.parse(pending[0]!.data)).toMatchObject({ summary: 'carried', status: 'in_progress' });
    pending[0]!.land();
    await settle();
    // What is carried and never followed by a write is written by close.
    persister.carry(setSummary('left'));
    const closed = persister.close();
    pending[1]!.land();
    await closed;
    expect(JSON.parse(pending[1]!.data).summary).toBe('left');
  });

  phase2('a failed write stays dirty, is retried with a backoff on the clock, reports once, and fails no later write', async () => {
    const { persister, pending, settle, clock, failures } = await setup();
    const first = persister.update(setSummary('a'), { force: true });
    pending[0]!.fail('EIO');
    await expect(first).resolves.toBeUndefined();
    expect(failures).toEqual([['manifest', 'EIO: injected']]);
    expect(clock.pendingTimers()).toBe(1); // the retry
    const at = clock.now();
    clock.fireNext();
    expect(clock.now() - at).toBe(250);
    expect(pending).toHaveLength(2);
    pending[1]!.fail('EIO');
    await settle();
    clock.fireNext();
    expect(clock.now() - at).toBe(250 + 500); // the backoff doubles
    pending[2]!.land();
    await settle();
    expect(failures).toHaveLength(1); // reported once
    const later = persister.update(setSummary('b'), { force: true });
    pending[3]!.land();
    await expect(later).resolves.toBeUndefined();
    expect(JSON.parse(pending[3]!.data).summary).toBe('b');
    expect(persister.counts().manifest).toEqual({ written: 2, skipped: 0, failed: 2 });
  });

  phase2('manifest.json and .heartbeat fail and retry independently', async () => {
    const { persister, settle, clock, failures, writesOf } = await setup();
    void persister.beat((m) => {
      m.heartbeat_at = '2026-01-01T00:00:00.000Z';
    });
    expect(writesOf('.heartbeat')).toHaveLength(1);
    expect(writesOf('manifest.json')).toHaveLength(1);
    writesOf('.heartbeat')[0]!.fail('ENOSPC');
    writesOf('manifest.json')[0]!.land();
    await settle();
    expect(failures).toEqual([['heartbeat', 'ENOSPC: injected']]);
    // The manifest goes on being written while .heartbeat waits for its retry.
    void persister.update(setSummary('next'), { force: true });
    expect(writesOf('manifest.json')).toHaveLength(2);
    expect(writesOf('.heartbeat')).toHaveLength(1);
    writesOf('manifest.json')[1]!.land();
    clock.fireNext();
    expect(writesOf('.heartbeat')).toHaveLength(2);
    expect(writesOf('.heartbeat')[1]!.data).toBe('2026-01-01T00:00:00.000Z\n');
  });

  phase2('close puts the last state on disk, also after a failed write', async () => {
    const { persister, pending, settle, clock, inner, paths } = await setup();
    void persister.update(setSummary('terminal'), { force: true });
    const closed = persister.close();
    pending[0]!.fail('EIO');
    await settle();
    clock.fireNext(); // close retries on the clock
    await settle();
    pending[1]!.land();
    await closed;
    expect(JSON.parse((await inner.readFile(paths.manifestPath)).toString('utf8')).summary).toBe('terminal');
  });

  phase2('a write that would repeat the last written bytes (apart from updated_at) is skipped and counted', async () => {
    const { persister, pending, settle, clock } = await setup();
    void persister.update(setSummary('same'), { force: true });
    pending[0]!.land();
    await settle();
    clock.setNow(clock.now() + 1_000);
    await persister.update(setSummary('same'), { force: true });
    expect(pending).toHaveLength(1);
    expect(persister.counts().manifest).toEqual({ written: 1, skipped: 1, failed: 0 });
  });
});

describe('the persister at its edges', () => {
  const beatAt = (iso: string) => (m: { heartbeat_at: string | null }) => {
    m.heartbeat_at = iso;
  };

  it('the throttle counts from the last write: a plain request 1 s after a write is written 4 s later', async () => {
    const { persister, pending, settle, clock } = await setup();
    const start = clock.now();
    void persister.update(setSummary('forced'), { force: true });
    pending[0]!.land();
    await settle();
    clock.setNow(start + 1_000);
    void persister.update(setSummary('plain'));
    clock.fireNext();
    expect(clock.now() - start).toBe(5_000);
    expect(JSON.parse(pending[1]!.data).summary).toBe('plain');
  });

  it('on a fresh persister the first throttled write comes one interval after its creation', async () => {
    const { persister, pending, clock } = await setup({ intervalMs: 2_000 });
    const start = clock.now();
    void persister.update(setSummary('plain'));
    clock.fireNext();
    expect(clock.now() - start).toBe(2_000);
    expect(pending).toHaveLength(1);
  });

  it('a failed write without a failure handler is retried like any other', async () => {
    const { persister, pending, settle, clock } = await setup({ noFailureHandler: true });
    const first = persister.update(setSummary('a'), { force: true });
    pending[0]!.fail('EIO');
    await expect(first).resolves.toBeUndefined();
    clock.fireNext();
    pending[1]!.land();
    await settle();
    expect(persister.counts()).toEqual({ manifest: { written: 1, skipped: 0, failed: 1 }, heartbeat: { written: 0, skipped: 0, failed: 0 } });
  });

  it('close tries the manifest closeAttempts times with the backoff, then rejects with the last error and leaves no timer', async () => {
    const { persister, pending, settle, clock } = await setup({ closeAttempts: 3 });
    const start = clock.now();
    void persister.update(setSummary('terminal'));
    const closed = persister.close();
    closed.catch(() => undefined);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(pending).toHaveLength(attempt + 1);
      pending[attempt]!.fail(`EIO${attempt}`);
      await settle();
      if (attempt < 2) {
        clock.fireNext();
        await settle();
      }
    }
    await expect(closed).rejects.toThrow('EIO2: injected');
    expect(pending).toHaveLength(3);
    expect(clock.now() - start).toBe(250 + 500);
    expect(clock.pendingTimers()).toBe(0); // a closed persister arms no retry
  });

  it('close tries .heartbeat once: its failure does not fail the close', async () => {
    const { persister, settle, writesOf, clock } = await setup();
    void persister.beat(beatAt('2026-01-01T00:00:00.000Z'), { forceManifest: false });
    writesOf('.heartbeat')[0]!.fail('ENOSPC');
    await settle();
    const closed = persister.close();
    expect(writesOf('.heartbeat')).toHaveLength(2);
    writesOf('.heartbeat')[1]!.fail('ENOSPC');
    writesOf('manifest.json')[0]!.land();
    await settle();
    await expect(closed).resolves.toBeUndefined();
    expect(writesOf('.heartbeat')).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('after close a plain request arms no throttle', async () => {
    const { persister, clock } = await setup();
    await persister.close();
    void persister.update(setSummary('late'));
    expect(clock.pendingTimers()).toBe(0);
  });

  it('.heartbeat holds heartbeat_at and a line feed; a beat that repeats it is skipped and counted', async () => {
    const { persister, settle, writesOf } = await setup();
    void persister.beat(beatAt('2026-01-01T00:00:05.000Z'));
    expect(writesOf('.heartbeat')[0]!.data).toBe('2026-01-01T00:00:05.000Z\n');
    writesOf('.heartbeat')[0]!.land();
    writesOf('manifest.json')[0]!.land();
    await settle();
    void persister.beat(beatAt('2026-01-01T00:00:05.000Z'));
    expect(writesOf('.heartbeat')).toHaveLength(1);
    expect(persister.counts().heartbeat).toEqual({ written: 1, skipped: 1, failed: 0 });
  });

  it('a forced write that lands with nothing left to write leaves no timer behind', async () => {
    const { persister, pending, settle, clock } = await setup();
    void persister.update(setSummary('only'), { force: true });
    pending[0]!.land();
    await settle();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a beat before any heartbeat_at writes an empty line to .heartbeat', async () => {
    const { persister, writesOf } = await setup();
    void persister.beat(() => undefined);
    expect(writesOf('.heartbeat')[0]!.data).toBe('\n');
  });

  it('counts() is a copy: changing it changes nothing in the persister', async () => {
    const { persister } = await setup();
    const counts = persister.counts();
    counts.manifest.written = 99;
    expect(persister.counts().manifest.written).toBe(0);
  });

  it('a repeat is judged apart from updated_at only: a change in a nested field is written, freshly stamped', async () => {
    const { persister, pending, settle, clock } = await setup();
    void persister.update((m) => void (m.summary = 'same'), { force: true });
    pending[0]!.land();
    await settle();
    clock.setNow(clock.now() + 1_000);
    void persister.update((m) => void (m.privacy.totals.total_frames += 1), { force: true });
    expect(pending).toHaveLength(2);
    expect(JSON.parse(pending[1]!.data).updated_at).toBe('2026-01-01T00:00:01.000Z');
  });
});

// ---- whole runs on the virtual runtime ----

const stage = (id: string) => ({ kind: 'command', id, title: id, command: `echo ${id}` });
const ok = (at = 1) => ({ chunks: [{ stream: 'stdout' as const, data: 'ok\n', at_ms: at }], exit: { code: 0, signal: null, at_ms: at + 1 } });

async function runStages(n: number, transcript?: Transcript, extra: object = {}) {
  const ids = Array.from({ length: n }, (_, i) => `s${i + 1}`);
  const scenario = scenarioSchema.parse({
    description: 'phase 2',
    config: { pipelines: [{ id: 'p', title: 'P', stages: ids.map(stage) }] },
    recordable: false,
    steps: [{ argv: ['start', 'p', '--format', 'json'] }],
    ...extra,
  });
  const replay = await replayScenario(scenario, transcript ?? { stages: Object.fromEntries(ids.map((id) => [`p/${id}`, [ok()]])) });
  const isManifest = (e: TraceEvent): e is Extract<TraceEvent, { kind: 'write' }> =>
    e.kind === 'write' && /\/cli\/[^/]+\/manifest\.json$/.test(e.path);
  return { replay, manifestWrites: replay.trace.filter(isManifest) };
}

describe('phase 2: whole runs write the manifest only when a reader needs it', () => {
  phase2.each([1, 3, 6])('a run of %i command stages without a heartbeat tick writes manifest.json at most N + 2 times', async (n) => {
    const { manifestWrites, replay } = await runStages(n);
    expect(replay.exitCodes[0]).toBe(0);
    expect(manifestWrites.length).toBeLessThanOrEqual(n + 2);
  });

  phase2('no two consecutive manifest writes differ only in updated_at', async () => {
    const { manifestWrites } = await runStages(3);
    // The trace keeps a digest of each write and its size: same digest (apart from updated_at) and same size is a repeat.
    const key = (w: (typeof manifestWrites)[number]) => JSON.stringify({ ...w.state, updated_at: null, bytes: w.bytes });
    const repeats = manifestWrites.filter((w, i) => i > 0 && key(w) === key(manifestWrites[i - 1]!));
    expect(repeats).toEqual([]);
  });

  it('each stage start is on disk before its child starts, and each end before the next child starts', async () => {
    const { replay } = await runStages(3);
    for (const [i, event] of replay.trace.entries()) {
      if (event.kind !== 'exec:start') continue;
      const id = event.stage.split('/')[1]!;
      const last = replay.trace
        .slice(0, i)
        .filter((e): e is Extract<TraceEvent, { kind: 'write' }> => e.kind === 'write' && /\/cli\/[^/]+\/manifest\.json$/.test(e.path))
        .at(-1)!;
      const commands = last.state!.commands;
      expect(commands).toContain(`${id}:running`);
      const index = commands.indexOf(`${id}:running`);
      for (const earlier of commands.slice(0, index)) expect(earlier).toMatch(/:succeeded$/);
    }
  });

  phase2('the terminal state is on disk before the run returns, also when a manifest write failed', async () => {
    const { replay, manifestWrites } = await runStages(2, undefined, { faults: [{ path: '.runs/*/cli/*/manifest.json', nth: 2, code: 'EIO' }] });
    const exit = replay.trace.findIndex((e) => e.kind === 'cli:exit');
    const lastBefore = manifestWrites.filter((w) => replay.trace.indexOf(w) < exit).at(-1)!;
    expect(lastBefore.state!.run).toBe('succeeded');
    expect(replay.exitCodes[0]).toBe(0);
  });
});
