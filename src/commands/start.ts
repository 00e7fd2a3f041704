// `start [pipeline]`: resolve a pipeline, create a run, run its stages in order.
import { validateTarget } from '../run/target.js';
import { selectPipeline } from '../config/load-config.js';
import type { RunResult } from '../run/drive-run.js';
import { createAndDriveRun, resolvePipeline } from '../run/drive-run.js';
import { prepareInvocation, taskIdFrom, withSignals } from './invocation.js';
import { validateId } from '../layout/run-layout.js';
import type { Runtime } from '../runtime/types.js';

export type StartOptions = {
  pipeline?: string;
  task?: string;
  parentRun?: string;
  approvalPolicy?: string;
  target?: string;
};

export async function startRun(runtime: Runtime, options: StartOptions): Promise<RunResult> {
  const taskId = taskIdFrom(runtime, options.task);
  const parentRunId = options.parentRun === undefined ? null : validateId('parent run id', options.parentRun);
  const invocation = await prepareInvocation(runtime, { taskId, needConfig: true });
  const configured = selectPipeline(invocation.config!, options.pipeline);
  const target = options.target ?? null;
  validateTarget(configured, target);
  const pipeline = resolvePipeline(configured);
  return withSignals(invocation, () =>
    createAndDriveRun(invocation, { pipeline, parentRunId, approvalPolicy: options.approvalPolicy ?? null, target, depth: 0 }, { target }),
  );
}
