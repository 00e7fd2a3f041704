// What every command that runs stages needs first: roots, task id, config and task info,
// all validated before anything is written.
import type { StageSink } from '../run/sinks/stage-sink.js';
import { cloudSettingsFrom } from '../cloud/settings.js';
import { execEventMaxChunks } from '../config/event-cap.js';
import { metricsPrivacyEventsMax } from '../config/metrics-cap.js';
import { loadConfig, loadTaskInfo } from '../config/load-config.js';
import type { OrchestratorConfig } from '../config/schema.js';
import { privacyModeFrom } from '../privacy/guard.js';
import type { Runtime } from '../runtime/types.js';
import { CancelState, type Invocation } from '../run/context.js';
import { resolveRoots } from '../layout/run-layout.js';
import { ENV_VARIABLES } from '../config/env-settings.js';
import { InputError } from '../errors.js';
import { Progress } from '../run/progress.js';

export { DEFAULT_TASK_ID, taskIdFrom } from './task-id.js';

export async function prepareInvocation(
  runtime: Runtime,
  options: { taskId: string; needConfig: boolean; console?: StageSink },
): Promise<Invocation> {
  const roots = resolveRoots(runtime.env, runtime.cwd);
  // A root named by the environment must be there: a typo would otherwise get .runs/ and out/ made under it.
  const named = runtime.env[ENV_VARIABLES.root.name];
  if (named && !(await runtime.fs.isDirectory(roots.root))) throw new InputError(`${ENV_VARIABLES.root.name}: ${named} is not a directory`);
  const config: OrchestratorConfig | null = options.needConfig ? await loadConfig(runtime.fs, roots.root) : null;
  const taskInfo = await loadTaskInfo(runtime.fs, roots.root, options.taskId);
  const cloud = cloudSettingsFrom(runtime.env, config);
  return {
    runtime,
    roots,
    config,
    taskId: options.taskId,
    taskInfo,
    privacyMode: privacyModeFrom(runtime.env),
    execEventMaxChunks: execEventMaxChunks(runtime.env, config),
    metricsPrivacyEventsMax: metricsPrivacyEventsMax(runtime.env),
    cancel: new CancelState(),
    progress: new Progress(runtime.stderr, runtime.clock),
    console: options.console ?? null,
    persisters: new Set(),
    // The executor sends cloud stages there (src/cloud/router.ts, put in place by the bin, loads BullMQ only then).
    cloud: cloud === null ? null : { ...cloud, ...(config?.cloud?.reconnectMs === undefined ? {} : { reconnectMs: config.cloud.reconnectMs }) },
  };
}

/**
 * Runs `work` with SIGINT/SIGTERM routed to the invocation's cancel state. A run's persister
 * still open when `work` ends (it threw before the run's end: a resume whose first write
 * failed) is abandoned: its pending write is dropped, so the manifest on disk stays as it was
 * and no retry keeps the process alive.
 */
export async function withSignals<T>(invocation: Invocation, work: () => Promise<T>): Promise<T> {
  const unsubscribe = invocation.runtime.signals.subscribe((signal) => invocation.cancel.trigger(signal));
  try {
    return await work();
  } finally {
    unsubscribe();
    for (const persister of invocation.persisters) persister.abandon();
    invocation.persisters.clear();
    await invocation.runtime.executor.close?.();
  }
}
