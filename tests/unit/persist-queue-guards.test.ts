// The persist queue's edges that whole runs do not pin (the mutation run found them alive):
// what a fresh queue writes, that a heartbeat-only flush leaves manifest.json alone, that a
// flush with nothing dirty does not restart the throttle, that dispose writes what is still
// dirty and stops the timer, and that two flushes never have a write in flight at once.
import { testManifest } from '../helpers/manifest-fixture.js';
import { describe, expect, it } from 'vitest';
import { PersistQueue } from '../../src/persist/persist-queue.js';
import { runPaths } from '../../src/persist/manifest-writer.js';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import { createVirtualRuntime, waitForIdle } from '../../src/runtime/virtual-runtime.js';

const T0 = Date.parse('2026-05-01T00:00:00.000Z');

function setup() {
  const runtime = createVirtualRuntime({
    startMs: T0,
    seed: 1,
    cwd: '/r',
    fs: createMemoryFileSink({ durability: { fsyncFile: false, fsyncDirectory: false } }),
  });
  const { clock, fs } = runtime;
  const paths = runPaths({ root: '/r', runsDir: '/r/.runs', outDir: '/r/out' }, '0101', 'run-1', fs, clock);
  const manifest = testManifest({ nowMs: T0, resumeToken: 'd'.repeat(64) });
  const queue = new PersistQueue(paths, manifest, 5_000);
  const writes = (path: string) => fs.counts().get(path)?.writes ?? 0;
  const text = (path: string) => fs.files().get(path)?.toString('utf8') ?? null;
  return { runtime, clock, fs, paths, manifest, queue, writes, text };
}

describe('the persist queue writes only what was asked', () => {
  it('a fresh queue has nothing dirty: flushing it writes nothing', async () => {
    const { queue, paths, writes } = setup();
    await queue.flush();
    expect([writes(paths.manifestPath), writes(paths.heartbeatPath)]).toEqual([0, 0]);
  });

  it('a heartbeat request writes .heartbeat only; a manifest request writes manifest.json only', async () => {
    const { queue, paths, manifest, writes, text } = setup();
    await queue.schedule({ heartbeat: true, force: true });
    expect([writes(paths.manifestPath), writes(paths.heartbeatPath)]).toEqual([0, 1]);
    // No heartbeat yet: the file holds an empty line.
    expect(text(paths.heartbeatPath)).toBe('\n');
    manifest.heartbeat_at = '2026-05-01T00:00:00.000Z';
    await queue.schedule({ heartbeat: true, force: true });
    expect(text(paths.heartbeatPath)).toBe('2026-05-01T00:00:00.000Z\n');
    expect([writes(paths.manifestPath), writes(paths.heartbeatPath)]).toEqual([0, 2]);
    await queue.schedule({ manifest: true, force: true });
    expect([writes(paths.manifestPath), writes(paths.heartbeatPath)]).toEqual([1, 2]);
  });
});

describe('the throttle', () => {
  it('a flush with nothing dirty does not count as a write: the next request is written at once', async () => {
    const { queue, clock, paths, writes } = setup();
    await queue.flush();
    clock.setNow(T0 + 1_000);
    await queue.schedule({ manifest: true });
    expect(writes(paths.manifestPath)).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a request exactly one interval after the last write is written at once', async () => {
    const { queue, clock, paths, writes } = setup();
    await queue.schedule({ manifest: true });
    clock.setNow(T0 + 5_000);
    await queue.schedule({ manifest: true });
    expect(writes(paths.manifestPath)).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a request inside the interval waits for the rest of it, measured from the last write', async () => {
    const { runtime, queue, clock, paths, writes } = setup();
    await queue.schedule({ manifest: true });
    clock.setNow(T0 + 4_000);
    await queue.schedule({ manifest: true });
    expect(writes(paths.manifestPath)).toBe(1);
    expect(clock.fireNext()).toBe(true);
    await waitForIdle(runtime);
    expect(clock.now()).toBe(T0 + 5_000);
    expect(writes(paths.manifestPath)).toBe(2);
  });
});

describe('dispose', () => {
  it('writes what is still dirty at once and leaves no timer behind', async () => {
    const { queue, clock, paths, writes } = setup();
    await queue.schedule({ manifest: true });
    await queue.schedule({ manifest: true, heartbeat: true }); // throttled: a timer is pending
    expect(clock.pendingTimers()).toBe(1);
    await queue.dispose();
    expect([writes(paths.manifestPath), writes(paths.heartbeatPath)]).toEqual([2, 1]);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('overlapping flushes', () => {
  it('a forced flush with no write in flight issues its write at once, before the caller awaits anything', () => {
    const { fs, queue } = setup();
    const started: string[] = [];
    const writeAtomic = fs.writeAtomic.bind(fs);
    fs.writeAtomic = (path, data) => {
      started.push(path.slice(path.lastIndexOf('/') + 1));
      return writeAtomic(path, data);
    };
    void queue.schedule({ heartbeat: true, force: true });
    expect(started).toEqual(['.heartbeat']);
  });

  it('a forced flush waits for the write in flight: never two writes of the queue at once', async () => {
    const { fs, queue, manifest, paths } = setup();
    const started: string[] = [];
    let inFlight = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const writeAtomic = fs.writeAtomic.bind(fs);
    fs.writeAtomic = async (path, data) => {
      started.push(`${path.slice(path.lastIndexOf('/') + 1)} ${JSON.parse(String(data)).status}`);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => release.push(resolve));
      await writeAtomic(path, data);
      inFlight -= 1;
    };
    const first = queue.schedule({ manifest: true, force: true });
    await Promise.resolve();
    expect(started).toEqual(['manifest.json queued']);
    manifest.status = 'in_progress';
    const second = queue.schedule({ manifest: true, force: true });
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
    // The second flush has not started a write: the first one is still in flight.
    expect(started).toEqual(['manifest.json queued']);
    release.shift()!();
    await first;
    for (let i = 0; i < 50 && release.length === 0; i += 1) await Promise.resolve();
    expect(started).toEqual(['manifest.json queued', 'manifest.json in_progress']);
    release.shift()!();
    await second;
    expect(most).toBe(1);
    expect(JSON.parse(fs.files().get(paths.manifestPath)!.toString('utf8')).status).toBe('in_progress');
  });
});
