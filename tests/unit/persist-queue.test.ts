import { testManifest } from '../helpers/manifest-fixture.js';
import { describe, expect, it } from 'vitest';
import { saveManifest } from '../../src/persist/manifest-writer.js';
import { PersistQueue } from '../../src/persist/persist-queue.js';
import { runPaths } from '../../src/persist/manifest-writer.js';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import { createSeededIds } from '../../src/runtime/seeded-ids.js';
import { createVirtualRuntime, waitForIdle } from '../../src/runtime/virtual-runtime.js';

// Timer flushes are not awaited by anyone: after firing a timer, the tests wait until the
// virtual runtime is idle (no promise job, no in-memory write pending), not for N ticks.
function setup() {
  const runtime = createVirtualRuntime({
    startMs: Date.parse('2026-01-01T00:00:00.000Z'),
    seed: 1,
    cwd: '/r',
    fs: createMemoryFileSink({ durability: { fsyncFile: false, fsyncDirectory: false } }),
  });
  const { clock, fs } = runtime;
  const paths = runPaths({ root: '/r', runsDir: '/r/.runs', outDir: '/r/out' }, '0101', 'run-1', fs, clock);
  const manifest = testManifest({ nowMs: clock.now(), resumeToken: createSeededIds(1).resumeToken() });
  const queue = new PersistQueue(paths, manifest, 5_000);
  const manifestWrites = () => fs.counts().get(paths.manifestPath)?.writes ?? 0;
  return { runtime, clock, fs, paths, manifest, queue, manifestWrites };
}

describe('the stage loop persist queue', () => {
  it('throttles to one write per interval of max(1 s, heartbeat)', async () => {
    const { runtime, clock, queue, manifestWrites } = setup();
    expect(queue.intervalMs).toBe(5_000);
    await queue.schedule({ manifest: true }); // first request: written at once
    for (let i = 0; i < 100; i += 1) await queue.schedule({ manifest: true }); // coalesced
    expect(manifestWrites()).toBe(1);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.fireNext()).toBe(true); // the throttle timer at +5 s
    await waitForIdle(runtime);
    expect(manifestWrites()).toBe(2);
    expect(clock.now()).toBe(Date.parse('2026-01-01T00:00:05.000Z'));
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a forced request writes at once', async () => {
    const { queue, manifestWrites } = setup();
    await queue.schedule({ manifest: true });
    await queue.schedule({ manifest: true, force: true });
    expect(manifestWrites()).toBe(2);
  });

  it('B3 characterization (removed by phase 2): direct saveManifest calls bypass the queue', async () => {
    const { runtime, clock, queue, paths, manifest, manifestWrites } = setup();
    await queue.schedule({ manifest: true });
    await queue.schedule({ manifest: true }); // dirty, waiting for the throttle
    // The command runner, resume, run-summary writer and metrics recorder write directly…
    await saveManifest(paths, manifest);
    await saveManifest(paths, manifest);
    expect(manifestWrites()).toBe(3);
    // …and the queue does not know: its timer still writes the same state again.
    expect(clock.fireNext()).toBe(true);
    await waitForIdle(runtime);
    expect(manifestWrites()).toBe(4);
  });
});

describe('background writes', () => {
  it('report a failure instead of losing it silently', async () => {
    const { runtime, clock, fs, paths, manifest } = setup();
    const errors: string[] = [];
    const queue = new PersistQueue(paths, manifest, 5_000, (error) => errors.push((error as Error).message));
    await queue.schedule({ manifest: true });
    fs.writeAtomic = async () => {
      throw new Error('ENOSPC: no space left on device');
    };
    queue.scheduleInBackground({ heartbeat: true });
    await queue.schedule({ manifest: true }); // throttled: written later by the timer
    expect(clock.fireNext()).toBe(true);
    await waitForIdle(runtime);
    expect(errors).toEqual(['ENOSPC: no space left on device']);
  });
});
