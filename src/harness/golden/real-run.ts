// Runs a scenario for real — real clock, real child processes, a real temp directory — the
// way `golden record` captures transcripts and `golden fidelity` checks the replay against.
import { mkdtemp, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../../cli/run-cli.js';
import { createCloudRouter } from '../../cloud/router.js';
import { ENV_VARIABLES, isOrchestratorVariable } from '../../config/env-settings.js';
import { createManualSignals } from '../../runtime/process-signals.js';
import { createRealRuntime } from '../../runtime/real-runtime.js';
import type { ReplayedRequest, Transcript } from '../../runtime/transcript-executor.js';
import { createRequestDescriber, serializeRequests } from '../trace/requests.js';
import { readTree } from './files.js';
import { REQUESTS_FILE } from './replay.js';
import { createRecordingExecutor, type RecordingExecutor } from './recording-executor.js';
import { startCloudSetup, type CloudSetup } from './cloud-setup.js';
import { declaredRedisSocket, type Scenario } from './scenario.js';
import { configText, runSteps, seedInputs, withProcessEnvRestored, type StepHooks } from './steps.js';

export type RealRun = { root: string; outputs: Map<string, Buffer>; transcript: Transcript; requests: ReplayedRequest[]; exitCodes: number[] };


/** Puts the scenario's input files and directories under `root` (a cloud worker's checkout). */
async function seedCheckout(scenario: Scenario, root: string): Promise<void> {
  const put = async (rel: string, text: string) => {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  };
  const config = configText(scenario.config);
  if (config !== undefined) await put('codex.orchestrator.json', config);
  for (const [rel, text] of Object.entries(scenario.files)) await put(rel, text);
  for (const dir of scenario.dirs) await mkdir(join(root, dir), { recursive: true });
}

/**
 * A cloud scenario (its `cloud` block) runs with a Redis and workers of its own (cloud-setup.ts):
 * the run's Redis URL points at them, and what it recorded says the declared socket again.
 */
export async function runScenarioForReal(scenario: Scenario): Promise<RealRun> {
  if (!scenario.cloud) return runLocally(scenario, null);
  const cloud = await startCloudSetup(scenario.cloud, declaredRedisSocket(scenario), (root) => seedCheckout(scenario, root));
  try {
    const real = await runLocally({ ...scenario, env: { ...scenario.env, [ENV_VARIABLES.redisUrl.name]: cloud.url } }, cloud);
    const declared = <T>(value: T): T => JSON.parse(cloud.declare(Buffer.from(JSON.stringify(value))).toString('utf8')) as T;
    return {
      ...real,
      outputs: new Map([...real.outputs].map(([file, data]) => [file, cloud.declare(data)])),
      transcript: declared(real.transcript),
      requests: declared(real.requests),
    };
  } finally {
    await cloud.stop();
  }
}

async function runLocally(scenario: Scenario, cloud: CloudSetup | null): Promise<RealRun> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'golden-real-')));
  const inputs = new Map<string, string>();
  /** process.env as each step's CLI process starts with it: requests leave these entries out. */
  let ambient: Record<string, string | undefined> = {};
  return withProcessEnvRestored(async () => {
    for (const key of Object.keys(process.env)) if (isOrchestratorVariable(key)) delete process.env[key]; // an enclosing run's (e.g. the lane's)
    Object.assign(process.env, scenario.env);
    const signals = createManualSignals();
    let recorder: RecordingExecutor | null = null;
    /** Arms the step's signals when its first child has started. */
    let onChildStart: (() => void) | null = null;
    const describe = createRequestDescriber(root, () => ambient);
    // As in the bin, the orchestrator's environment is process.env itself (B6 writes into it).
    const runtime = createRealRuntime({
      signals,
      cwd: root,
      // As in the bin, cloud stages go to workers through the cloud router (with a Redis URL set).
      wrapExecutor: (spawn, clock) => {
        recorder = createRecordingExecutor(createCloudRouter(spawn), clock, describe);
        const inner = recorder;
        return {
          start(request, onChunk) {
            const watched =
              cloud && request.dispatch
                ? async (chunk: Parameters<typeof onChunk>[0]) => {
                    await onChunk(chunk);
                    await cloud.onCloudChunk();
                  }
                : onChunk;
            // A stage sent to a worker starts when a worker takes it, not when it is queued: the
            // step's signals count from there (a loaded machine's worker can take longer than
            // the signal's offset to pick it up, and the signal would stop a stage not yet begun).
            // The replay counts from the same point (replay.ts), so the two agree.
            if (cloud && request.dispatch) {
              const onAttempt = request.onAttempt;
              const armed = {
                ...request,
                onAttempt: async (attempt: Parameters<NonNullable<typeof onAttempt>>[0]) => {
                  await onAttempt?.(attempt);
                  onChildStart?.();
                },
              };
              return inner.start(armed, watched);
            }
            const handle = inner.start(request, watched);
            onChildStart?.();
            return handle;
          },
          close: () => inner.close?.() ?? Promise.resolve(),
        };
      },
    });
    const hooks: StepHooks = {
      seedFile: async (rel, text) => {
        const path = join(root, rel);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text);
        inputs.set(path, text);
      },
      seedDirectory: async (rel) => {
        await mkdir(join(root, rel), { recursive: true });
      },
      // Real time: signals on real timers; `after_ms` does not make a real run wait. A signal's
      // offset counts from the step's first child start, not from the step's start: in the
      // replay no time passes before that start, and on a loaded machine (or with fsynced
      // writes) the real CLI can take longer than the offset to get there, so the signal
      // would arrive before the stage it is meant to stop.
      // Each step is a fresh CLI process: process.env as the scenario set it, restored after.
      invoke: (argv, step) =>
        withProcessEnvRestored(async () => {
          ambient = { ...process.env };
          const timers: NodeJS.Timeout[] = [];
          onChildStart = () => {
            onChildStart = null;
            for (const s of step.signals) timers.push(setTimeout(() => signals.fire(s.signal), s.at_ms));
          };
          try {
            return await runCli(argv, runtime);
          } finally {
            onChildStart = null;
            for (const timer of timers) clearTimeout(timer);
          }
        }),
    };
    await seedInputs(scenario, hooks);
    const { cliOutputs, exitCodes } = await runSteps(scenario, runtime, hooks);
    const outputs = new Map(cliOutputs);
    for (const [path, data] of await readTree(root)) {
      const input = inputs.get(join(root, path));
      if (input !== undefined && data.equals(Buffer.from(input))) continue; // an input nobody changed
      outputs.set(`files/${path}`, data);
    }
    const rec = recorder as RecordingExecutor | null;
    outputs.set(REQUESTS_FILE, Buffer.from(serializeRequests(rec?.requests() ?? [])));
    return { root, outputs, transcript: rec?.transcript() ?? { stages: {} }, requests: rec?.requests() ?? [], exitCodes };
  });
}

export async function removeRealRun(run: RealRun): Promise<void> {
  await rm(run.root, { recursive: true, force: true });
}
