// `exec [--] <cmd…>`: one command as a one-stage run (pipeline id `exec`); the command's
// exit code is passed through.
import { resolve } from 'node:path';
import type { Runtime } from '../runtime/types.js';
import type { ResolvedPipeline } from '../run/context.js';
import type { StageSink } from '../run/sinks/stage-sink.js';
import { createAndDriveRun, type RunResult } from '../run/drive-run.js';
import { prepareInvocation, taskIdFrom, withSignals } from './invocation.js';
import { InputError } from '../errors.js';

export const EXEC_PIPELINE_ID = 'exec';

/** Quotes an argument for /bin/sh unless it is plainly safe. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** One argument is a shell command line as written; several are quoted and joined. */
export function commandFromArgs(args: string[]): string {
  return args.length === 1 ? args[0]! : args.map(shellQuote).join(' ');
}

export function execPipeline(command: string, cwd: string): ResolvedPipeline {
  return {
    id: EXEC_PIPELINE_ID,
    title: 'exec',
    stages: [{ kind: 'command', id: 'exec', title: 'exec', command, cwd }],
    guardrailsRequired: false,
    envOverrides: {},
  };
}

/** `console`: the sink that shows the command's output (the CLI builds it). */
export type ExecOptions = { args: string[]; task?: string; cwd?: string; console: StageSink };

export async function execCommand(runtime: Runtime, options: ExecOptions): Promise<RunResult> {
  const command = commandFromArgs(options.args);
  // Bad input, refused before anything is written (as an empty `command` in the config is).
  if (command.trim() === '') throw new InputError('exec: the command is empty');
  const taskId = taskIdFrom(runtime, options.task);
  const invocation = await prepareInvocation(runtime, { taskId, needConfig: false, console: options.console });
  const cwd = resolve(runtime.cwd, options.cwd ?? '.');
  const pipeline = execPipeline(command, cwd);
  return withSignals(invocation, () =>
    createAndDriveRun(
      invocation,
      { pipeline, parentRunId: null, approvalPolicy: null, target: null, depth: 0, command: 'exec' },
      { target: null, failureDetail: { kind: 'exec-failed' } },
    ),
  );
}
