// Proof that the golden guards catch what they claim. Each regression below is injected
// without editing src/: through the replay's seams (around the file sink or the executor) or
// through a small patched copy of one module (vi.doMock), and the corpus is checked with it.
// Each must be caught, by the scenario and the kind of line named here. The battery prints
// what it caught, by which scenario and line, and how long each guard took.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import type { ScenarioCheck } from '../../src/harness/golden/check.js';
import type { ReplaySeams } from '../../src/harness/golden/replay.js';
import { digestManifest } from '../../src/harness/trace/manifest-digest.js';
import { isManifestPath } from '../../src/harness/trace/trace.js';
import type { FileSink } from '../../src/runtime/types.js';

const CORPUS = join(import.meta.dirname, '../../golden');
/**
 * The 10,000-chunk stages are left out: none of these regressions is about output volume, and
 * with a regression that makes each forced write wait, one of them alone took most of the
 * test's 120 s (a lane run timed out when phase 3 added bounded-noisy-stage).
 */
const SKIP = new Set(['noisy-stage', 'bounded-noisy-stage']);

type Caught = { scenario: string; line: string };
type Verdict = { regression: string; caught: Caught[]; ms: number; scenarios: number };
const verdicts: Verdict[] = [];

/** The failure lines of a check, without the pending-file chatter. */
function failureLines(check: ScenarioCheck, format: (c: ScenarioCheck, label: string) => string[]): string[] {
  return format(check, 'golden')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('wrote '));
}

/** Checks the corpus with a fresh module graph (after the test's vi.doMock) and the given seams. */
async function checkCorpusWith(regression: string, seams: ReplaySeams = {}): Promise<Map<string, string[]>> {
  const { checkScenario, checkPassed, formatCheck } = await import('../../src/harness/golden/check.js');
  const { listScenarios } = await import('../../src/harness/golden/scenario.js');
  const { loadExemptions } = await import('../../src/harness/golden/exemptions.js');
  const exemptions = await loadExemptions(CORPUS);
  const started = performance.now();
  const failing = new Map<string, string[]>();
  const names = (await listScenarios(CORPUS)).filter((name) => !SKIP.has(name));
  for (const name of names) {
    const check = await checkScenario(CORPUS, name, { writePending: false, exemptions, seams });
    if (!checkPassed(check)) failing.set(name, failureLines(check, formatCheck));
  }
  verdicts.push({
    regression,
    caught: [...failing].map(([scenario, lines]) => ({ scenario, line: lines[0] ?? '(no detail)' })),
    ms: performance.now() - started,
    scenarios: names.length,
  });
  return failing;
}

const patched = new Set<string>();

async function withPatchedModule(path: string, factory: (original: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  vi.resetModules();
  patched.add(path);
  vi.doMock(path, async (importOriginal) => factory(await importOriginal<Record<string, unknown>>()));
}

function expectCaught(failing: Map<string, string[]>, scenario: string, pattern: RegExp): void {
  const lines = failing.get(scenario);
  expect(lines, `${scenario} should fail`).toBeDefined();
  expect(lines!.some((line) => pattern.test(line)), `${scenario}: no line matches ${pattern}:\n${lines!.join('\n')}`).toBe(true);
}

/** A sink that drops (never lands) the manifest writes `drop` picks. */
function dropManifestWrites(drop: (before: string[] | undefined, after: string[]) => boolean): ReplaySeams {
  return {
    wrapFs: (fs: FileSink) => {
      const last = new Map<string, string[]>();
      return {
        ...fs,
        writeAtomic: (path, data) => {
          if (isManifestPath(path)) {
            const digest = digestManifest(data);
            const commands = 'commands' in digest ? digest.commands : [];
            const before = last.get(path);
            last.set(path, commands);
            if (drop(before, commands)) return Promise.resolve();
          }
          return fs.writeAtomic(path, data);
        },
      };
    },
  };
}

describe('regression battery: each injected regression is caught by the golden guards', () => {
  afterEach(() => {
    for (const path of patched) vi.doUnmock(path);
    patched.clear();
    vi.resetModules();
  });

  afterAll(() => {
    const lines = ['regression battery:'];
    for (const v of verdicts) {
      lines.push(`  ${v.regression}: caught by ${v.caught.length} of ${v.scenarios} scenarios in ${(v.ms / 1000).toFixed(2)}s`);
      for (const c of v.caught.slice(0, 3)) lines.push(`      ${c.scenario}: ${c.line.slice(0, 220)}`);
      if (v.caught.length > 3) lines.push(`      … and ${v.caught.length - 3} more`);
    }
    console.log(lines.join('\n'));
  });

  it('a forced write that waits out the throttle', async () => {
    await withPatchedModule('../../src/persist/persister.js', (original) => {
      type Transition = (m: unknown) => void;
      const Base = original.ManifestPersister as new (...args: never[]) => {
        update(t: Transition, o?: { force?: boolean }): Promise<void>;
        persist(o?: { force?: boolean }): Promise<void>;
      };
      class WaitsOutThrottle extends Base {
        override update(transition: Transition, options: { force?: boolean } = {}): Promise<void> {
          if (!options.force) return super.update(transition, options);
          void super.update(transition); // a plain request: it arms the throttle
          const clock = (this as unknown as { paths: { clock: { setTimeout(fn: () => void, ms: number): unknown } } }).paths.clock;
          return new Promise<void>((resolve) => clock.setTimeout(resolve, 5_000)).then(() => super.persist({ force: true }));
        }
      }
      return { ...original, ManifestPersister: WaitsOutThrottle };
    });
    const failing = await checkCorpusWith('forced write waits out the throttle');
    expectCaught(failing, 'success', /timeline\.ndjson differs/);
  });

  it('a forced write dropped (written only with the throttle)', async () => {
    await withPatchedModule('../../src/persist/persister.js', (original) => {
      type Transition = (m: unknown) => void;
      const Base = original.ManifestPersister as new (...args: never[]) => { update(t: Transition, o?: { force?: boolean }): Promise<void> };
      class DropsForced extends Base {
        override update(transition: Transition): Promise<void> {
          return super.update(transition);
        }
      }
      return { ...original, ManifestPersister: DropsForced };
    });
    const failing = await checkCorpusWith('forced write dropped');
    expectCaught(failing, 'success', /timeline\.ndjson differs/);
    // The stage's start is no longer on disk when its child starts.
    expectCaught(failing, 'success', /invariant stage-start broken/);
  });

  it('a failed write that makes every later write fail', async () => {
    await withPatchedModule('../../src/persist/persister.js', (original) => {
      type Paths = { fs: { writeAtomic(path: string, data: string | Uint8Array): Promise<void> } };
      const Base = original.ManifestPersister as new (paths: Paths, ...rest: never[]) => object;
      class StickyFailure extends Base {
        constructor(paths: Paths, ...rest: never[]) {
          let poisoned: unknown = null;
          const writeAtomic = async (path: string, data: string | Uint8Array) => {
            if (poisoned) throw poisoned;
            try {
              await paths.fs.writeAtomic(path, data);
            } catch (error) {
              poisoned = error;
              throw error;
            }
          };
          super({ ...paths, fs: { ...paths.fs, writeAtomic } }, ...rest);
        }
      }
      return { ...original, ManifestPersister: StickyFailure };
    });
    const failing = await checkCorpusWith('a failed write poisons every later write');
    expectCaught(failing, 'heartbeat-write-fails', /expected\/(cli\/1\.exit|cli\/1\.stderr|timeline\.ndjson) differs/);
  });

  it('the stage-start write removed', async () => {
    vi.resetModules();
    const failing = await checkCorpusWith(
      'stage-start write removed',
      dropManifestWrites((before, after) => before !== undefined && after.some((c, i) => c.endsWith(':running') && before[i]?.endsWith(':pending'))),
    );
    // Since phase 2 the first stage's start is the run's first manifest write (there is no
    // earlier state to drop from); the second stage's start write is the one dropped here.
    expectCaught(failing, 'success', /invariant stage-(start|end) broken at t=\d+ms by exec:start diagnostics\/lint: /);
  });

  it('the final write not awaited (it has not landed when the CLI returns)', async () => {
    vi.resetModules();
    // The terminal manifest writes are started but not awaited: they land a macrotask later.
    const seams: ReplaySeams = {
      wrapFs: (fs) => ({
        ...fs,
        writeAtomic: (path, data) => {
          const digest = isManifestPath(path) ? digestManifest(data) : null;
          if (digest && 'run' in digest && ['succeeded', 'failed', 'cancelled'].includes(digest.run)) {
            setImmediate(() => void fs.writeAtomic(path, data));
            return Promise.resolve();
          }
          return fs.writeAtomic(path, data);
        },
      }),
    };
    const failing = await checkCorpusWith('final write not awaited', seams);
    expectCaught(failing, 'success', /invariant terminal-before-return broken .* by cli:exit 0: .*manifest\.json is in_progress on disk/);
    expectCaught(failing, 'resume-after-failure', /invariant terminal-before-return broken at t=\d+ms by cli:exit 0: /);
    expectCaught(failing, 'success', /expected\/files\/.*manifest\.json differs/);
  });

  it('a stage run in the repo root instead of its cwd', async () => {
    vi.resetModules();
    const failing = await checkCorpusWith('stage cwd ignored', {
      wrapExecutor: (executor, root) => ({ start: (request, onChunk) => executor.start({ ...request, cwd: root }, onChunk) }),
    });
    expectCaught(failing, 'stage-env-cwd', /request differs from transcript\.json: envs\/where #1: cwd: "packages\/core" -> "\."/);
    expectCaught(failing, 'stage-env-cwd', /requests\.ndjson differs/);
  });

  it('pipeline env defaults not reaching the child', async () => {
    await withPatchedModule('../../src/config/pipeline-env.js', (original) => ({ ...original, pipelineEnvOverrides: () => ({}) }));
    const failing = await checkCorpusWith('pipeline env not passed on');
    expectCaught(failing, 'stage-env-cwd', /request differs from transcript\.json: envs\/where #1: env\.SHARED: "pipeline" -> \(unset\)/);
  });

  it('a different heartbeat interval', async () => {
    await withPatchedModule('../../src/run/heartbeat.js', (original) => {
      const transitions = import('../../src/manifest/transitions.js');
      const INTERVAL = 6_000;
      return {
        ...original,
        HEARTBEAT_INTERVAL_MS: INTERVAL,
        // startHeartbeat as in src/run/heartbeat.ts, on the other interval.
        startHeartbeat: async (ctx: {
          invocation: { runtime: { clock: { now(): number; setInterval(fn: () => void, ms: number): unknown; clearInterval(h: unknown): void } } };
          manifest: unknown;
          persister: { beat(t: (m: unknown) => void, o?: { forceManifest?: boolean }): Promise<void> };
        }) => {
          const { recordHeartbeat } = (await transitions) as { recordHeartbeat: (m: unknown, ms: number) => void };
          const { clock } = ctx.invocation.runtime;
          await ctx.persister.beat((m) => recordHeartbeat(m, clock.now()), { forceManifest: false });
          const timer = clock.setInterval(() => {
            void ctx.persister.beat((m) => recordHeartbeat(m, clock.now()));
          }, INTERVAL);
          return { stop: () => clock.clearInterval(timer) };
        },
      };
    });
    const failing = await checkCorpusWith('heartbeat every 6 s instead of 5 s');
    expectCaught(failing, 'long-stage-heartbeats', /invariant heartbeat broken at t=\d+ms .* is 6000 ms behind \(limit 5000 ms\)/);
    expectCaught(failing, 'long-stage-heartbeats', /timeline\.ndjson differs/);
  });

  it('with nothing injected, the same corpus passes (the battery itself is not what fails)', async () => {
    vi.resetModules();
    const failing = await checkCorpusWith('(control: no regression)');
    expect([...failing.keys()]).toEqual([]);
  });
});
