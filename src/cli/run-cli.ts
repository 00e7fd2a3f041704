// argv -> command handlers -> rendering and exit codes. Everything runs on the Runtime it is
// given, so the golden replay drives exactly this code in-process.
import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, OrchestratorError, errorMessage } from '../errors.js';
import { EXIT } from '../outcome/exit-codes.js';
import { envHelpLines, ENV_VARIABLES } from '../config/env-settings.js';
import { withGuardedOutput } from './guarded-output.js';
import { withLiveLine } from '../runtime/live-line.js';
import type { FoundRun } from '../commands/find-run.js';
import type { RunStatusView } from '../commands/status.js';
import type { Format } from './render-run.js';
import { loadModule } from '../runtime/module-loads.js';
import type { Runtime, SignalName } from '../runtime/types.js';

export { EXIT };

// Each command's module (and what it needs: the config schema, the run machinery, BullMQ…) is
// imported inside its action, so a command loads only its own code, and --help or --version none.

function formatOption(): Option {
  return new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
}

let version: string | undefined;

/** This package's version, from its package.json (found above this module, built or not), read once. */
export function packageVersion(): string {
  return (version ??= readPackageVersion());
}

function readPackageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'codex-orchestrator' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // Not here: look one directory up.
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

function parseInterval(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400)
    throw new InvalidArgumentError('expected a number of seconds greater than 0, at most 86400 (a day)');
  return seconds;
}

async function watchStatus(runtime: Runtime, found: FoundRun, intervalMs: number, onView: (view: RunStatusView) => void): Promise<number> {
  let stopped: SignalName | null = null;
  let wake: (() => void) | null = null;
  const { readRunStatus, TERMINAL_STATUSES, ownerlessRun } = await loadModule(() => import('../commands/status.js'));
  const unsubscribe = runtime.signals.subscribe((signal) => {
    stopped = signal;
    wake?.();
  });
  try {
    let lastKey = '';
    for (;;) {
      const view = await readRunStatus(runtime, found.runId, found.taskId);
      const key = `${view.updated_at}|${view.status}|${view.heartbeat_stale}|${view.owner?.state ?? 'none'}`;
      if (key !== lastKey) onView(view);
      lastKey = key;
      if (TERMINAL_STATUSES.has(view.status)) return EXIT.ok;
      // Nothing will end a run whose owner is gone: say so instead of waiting forever.
      const ownerless = ownerlessRun(view);
      if (ownerless !== null) {
        runtime.stderr.write(`codex-orchestrator: ${ownerless}\n`);
        return EXIT.failed;
      }
      await new Promise<void>((resolve) => {
        const timer = runtime.clock.setTimeout(resolve, intervalMs);
        wake = () => {
          runtime.clock.clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (stopped) return stopped === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT;
    }
  } finally {
    unsubscribe();
  }
}

/**
 * The command `argv` runs when it names one and asks for no help: then only that command is
 * built (with no version option, which only goes before a command), and the others, their
 * options and the package's version are never made or read. Otherwise every command, in order.
 */
function commandAlone(argv: string[], names: string[]): string | null {
  const first = argv[0];
  if (first === undefined || !names.includes(first)) return null;
  return argv.some((arg) => arg === '--help' || arg === '-h') ? null : first;
}

function buildProgram(runtime: Runtime, setExit: (code: number) => void, argv: string[]): Command {
  const program = new Command('codex-orchestrator')
    .description('Run pipelines of shell stages and write one evidence manifest per run.')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => runtime.stdout.write(text),
      writeErr: (text) => runtime.stderr.write(text),
      // Bad usage is one line: commander puts its "(Did you mean …?)" on a line of its own.
      outputError: (text, write) => write(text.replace(/\n(?=\(Did you mean)/g, ' ')),
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 the run succeeded, 1 it failed, 2 bad usage or input (nothing written), 130/143 cancelled by SIGINT/SIGTERM.',
        'Environment:',
        ...envHelpLines(),
        'Pipelines come from <root>/codex.orchestrator.json.',
      ].join('\n'),
    );

  const commands: Record<string, () => void> = {
    start: () => {
      program
        .command('start')
        .description('resolve a pipeline, create a run and run its stages in order')
        .argument('[pipeline]', 'pipeline id (default: defaultPipeline, else diagnostics)')
        .option('--task <id>', 'task id (default: $MCP_RUNNER_TASK_ID, else 0101)')
        .option('--parent-run <id>', 'run id of the parent run')
        .option('--approval-policy <policy>', 'approval policy recorded in the manifest')
        .option('--target <stage>', 'run stages up to and including this one; later ones are skipped')
        .addOption(formatOption())
        .action(
          async (
            pipeline: string | undefined,
            opts: { task?: string; parentRun?: string; approvalPolicy?: string; target?: string; format: Format },
          ) => {
            const [{ startRun }, { renderRun, exitCodeForRun }] = await loadModule(() =>
              Promise.all([import('../commands/start.js'), import('./render-run.js')]),
            );
            const result = await startRun(runtime, {
              pipeline,
              task: opts.task,
              parentRun: opts.parentRun,
              approvalPolicy: opts.approvalPolicy,
              target: opts.target,
            });
            renderRun(runtime, result, opts.format);
            setExit(exitCodeForRun(result));
          },
        );
    },
    resume: () => {
      program
        .command('resume')
        .description('rerun a failed or cancelled run; stages already succeeded or skipped are not rerun')
        .requiredOption('--run <id>', 'run id')
        .option('--token <token>', 'resume token (checked against the run when given)')
        .option('--actor <actor>', 'who resumes', 'cli')
        .option('--reason <reason>', 'why', 'manual-resume')
        .addOption(formatOption())
        .action(async (opts: { run: string; token?: string; actor: string; reason: string; format: Format }) => {
          const [{ resumeRun }, { renderRun, exitCodeForRun }] = await loadModule(() =>
            Promise.all([import('../commands/resume.js'), import('./render-run.js')]),
          );
          const result = await resumeRun(runtime, { run: opts.run, token: opts.token, actor: opts.actor, reason: opts.reason });
          renderRun(runtime, result, opts.format);
          setExit(exitCodeForRun(result));
        });
    },
    status: () => {
      program
        .command('status')
        .description("print a run's state (default: the task's latest run)")
        .option('--run <id>', "run id (default: the task's latest run, named on stderr)")
        .option('--task <id>', 'task id (default: $MCP_RUNNER_TASK_ID, else 0101); with --run, look only under it')
        .option('--watch', 'keep printing until the run ends (with --format json: print the final state only)')
        .option('--interval <seconds>', 'seconds between checks with --watch', parseInterval, 2)
        .addOption(formatOption())
        .action(async (opts: { run?: string; task?: string; watch?: boolean; interval: number; format: Format }) => {
          const [{ chooseRun }, { readRunStatus, renderStatus }] = await loadModule(() =>
            Promise.all([import('../commands/runs.js'), import('../commands/status.js')]),
          );
          const { found, note } = await chooseRun(runtime, { run: opts.run, task: opts.task });
          if (note !== null) runtime.stderr.write(note);
          const print = (view: RunStatusView) => {
            if (opts.format === 'json') runtime.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
            else runtime.stdout.write(renderStatus(view));
          };
          if (!opts.watch) {
            print(await readRunStatus(runtime, found.runId, found.taskId));
            setExit(EXIT.ok);
            return;
          }
          let last: RunStatusView | null = null;
          let lastText = '';
          const code = await watchStatus(runtime, found, opts.interval * 1000, (view) => {
            last = view;
            if (opts.format === 'json') {
              runtime.stderr.write(`${view.run_id} ${view.status}\n`);
              return;
            }
            // A change text mode does not show (a heartbeat) prints nothing again.
            const text = renderStatus(view);
            if (text !== lastText) runtime.stdout.write(text);
            lastText = text;
          });
          if (opts.format === 'json' && last) print(last);
          setExit(code);
        });
    },
    logs: () => {
      program
        .command('logs')
        .description("print a run's stage output as its logs hold it (default: the task's latest run, every stage)")
        .argument('[stage]', 'one stage, by id or 1-based index: only its output on stdout, its header on stderr')
        .option('--run <id>', "run id (default: the task's latest run, named on stderr)")
        .option('--task <id>', 'task id (default: $MCP_RUNNER_TASK_ID, else 0101); with --run, look only under it')
        .addOption(formatOption())
        .action(async (stage: string | undefined, opts: { run?: string; task?: string; format: Format }) => {
          const [{ chooseRun }, { readRunLogs, stageLogHeader, stageOutputBytes }] = await loadModule(() =>
            Promise.all([import('../commands/runs.js'), import('../commands/logs.js')]),
          );
          const { found, note } = await chooseRun(runtime, { run: opts.run, task: opts.task });
          const logs = await readRunLogs(runtime, found, stage);
          if (note !== null) runtime.stderr.write(note);
          if (opts.format === 'json') {
            runtime.stdout.write(`${JSON.stringify(logs, null, 2)}\n`);
          } else if (stage !== undefined) {
            const one = logs.stages[0]!;
            runtime.stderr.write(`${stageLogHeader(one, logs.status)}\n`);
            runtime.stdout.write(stageOutputBytes(one));
          } else {
            for (const one of logs.stages) {
              runtime.stdout.write(`${stageLogHeader(one, logs.status)}\n`);
              const bytes = stageOutputBytes(one);
              if (bytes.length > 0) runtime.stdout.write(bytes);
              // The next header starts on a line of its own.
              if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) runtime.stdout.write('\n');
            }
          }
          setExit(EXIT.ok);
        });
    },
    runs: () => {
      program
        .command('runs')
        .description("list the task's recent runs, newest first (subpipelines' child runs are shown by their parent)")
        .option('--task <id>', 'task id (default: $MCP_RUNNER_TASK_ID, else 0101)')
        .option('--limit <n>', 'how many runs', parseLimit, 10)
        .addOption(formatOption())
        .action(async (opts: { task?: string; limit: number; format: Format }) => {
          const { listRuns, renderRunList } = await loadModule(() => import('../commands/runs.js'));
          const list = await listRuns(runtime, { task: opts.task, limit: opts.limit });
          runtime.stdout.write(opts.format === 'json' ? `${JSON.stringify(list, null, 2)}\n` : renderRunList(list));
          setExit(EXIT.ok);
        });
    },
    plan: () => {
      program
        .command('plan')
        .description("print the stages that start would run, with each stage's execution mode; creates nothing")
        .argument('[pipeline]', 'pipeline id (default: defaultPipeline, else diagnostics)')
        .option('--target <stage>', 'plan stages up to and including this one')
        // Hidden: only so that `plan --task` gets a reason, not just "unknown option".
        .addOption(new Option('--task <id>').hideHelp())
        .addOption(formatOption())
        .action(async (pipeline: string | undefined, opts: { target?: string; task?: string; format: Format }) => {
          if (opts.task !== undefined) {
            throw new InputError(
              "plan: --task is not accepted: the plan preview reads only each stage's own settings; the task's execution.parallel is read by start (run plan without --task)",
            );
          }
          const { planPipeline, renderPlan } = await loadModule(() => import('../commands/plan.js'));
          const plan = await planPipeline(runtime, { pipeline, target: opts.target });
          runtime.stdout.write(opts.format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
          setExit(EXIT.ok);
        });
    },
    exec: () => {
      program
        .command('exec')
        .description('run one command as a one-stage run (pipeline id exec) and pass its exit code through')
        .argument('<cmd...>', 'the command (one argument: a shell command line; several: quoted and joined)')
        .option('--json', 'print one JSON document with the result (and output tails) at the end')
        .option('--jsonl', 'print every event line on stdout as it happens, then a result line')
        .option('--cwd <dir>', 'working directory (relative to the current directory)')
        .option('--task <id>', 'task id (default: $MCP_RUNNER_TASK_ID, else 0101)')
        .passThroughOptions()
        .action(async (args: string[], opts: { json?: boolean; jsonl?: boolean; cwd?: string; task?: string }) => {
          if (opts.json && opts.jsonl) throw new InputError('exec: --json and --jsonl cannot be used together');
          const output = opts.json ? 'json' : opts.jsonl ? 'jsonl' : 'text';
          const [{ execConsole }, { execCommand }, { exitCodeForRun, manifestOf, reportWriteFailure }] = await loadModule(() =>
            Promise.all([import('./exec-console.js'), import('../commands/exec.js'), import('./render-run.js')]),
          );
          const console = execConsole(runtime, output);
          const result = await execCommand(runtime, { args, task: opts.task, cwd: opts.cwd, console });
          const m = result.ctx.manifest;
          const last = console.result();
          const cancelled = result.status === 'cancelled';
          // A run that lost a write of its own files exits 1, whatever its command's exit code.
          const code = result.writeFailure !== null ? EXIT.failed : cancelled ? exitCodeForRun(result) : (last?.exitCode ?? EXIT.failed);
          const error = reportWriteFailure(runtime, result);
          const doc = {
            run_id: m.run_id,
            status: result.status,
            exit_code: last?.exitCode ?? null,
            signal: last?.signal ?? null,
            duration_ms: last?.durationMs ?? null,
            artifact_root: m.artifact_root,
            manifest: manifestOf(result),
            log_path: m.log_path,
          };
          if (output === 'json') {
            runtime.stdout.write(`${JSON.stringify({ ...doc, stdout: last?.stdout ?? '', stderr: last?.stderr ?? '', ...error }, null, 2)}\n`);
          } else if (output === 'jsonl') {
            runtime.stdout.write(`${JSON.stringify({ type: 'exec:result', ...doc, ...error })}\n`);
          } else {
            runtime.stderr.write(`codex-orchestrator: exec run ${m.run_id} ${result.status} (exit ${code}); manifest: ${doc.manifest ?? 'none'}\n`);
          }
          setExit(code);
        });
    },
    worker: () => {
      program
        .command('worker')
        .description('run cloud stages sent through Redis ($CODEX_ORCHESTRATOR_REDIS_URL) until SIGTERM/SIGINT (a running stage finishes first)')
        .requiredOption('--root <dir>', 'the checkout stages run in (each stage cwd is under it)')
        .option('--concurrency <n>', 'stages run at once', parseConcurrency, 1)
        .option('--queue <name>', 'queue name (default: $CODEX_ORCHESTRATOR_CLOUD_QUEUE, else codex-orchestrator)')
        .option('--id <name>', 'the worker id recorded with each stage it runs (default: <host>:<pid>)')
        .option(
          '--lock-ms <ms>',
          'how long a stage stays locked to a worker that stopped answering; another worker runs it again at the next stalled-job check after that (checks run every <ms>, so one to about three lock periods after the death; default 30000; every worker of a queue should use the same)',
          parseLockMs,
        )
        .action(async (opts: { root: string; concurrency: number; queue?: string; id?: string; lockMs?: number }) => {
          const { cloudSettingsFrom, validateQueueName } = await loadModule(() => import('../cloud/settings.js'));
          const settings = cloudSettingsFrom(runtime.env);
          if (settings === null) throw new InputError(`worker: ${ENV_VARIABLES.redisUrl.name} is not set`);
          if (opts.queue !== undefined) settings.queue = validateQueueName(opts.queue, 'worker: --queue');
          const root = resolvePath(runtime.cwd, opts.root);
          if (!(await runtime.fs.isDirectory(root))) throw new InputError(`worker: --root ${opts.root} is not a directory`);
          if (opts.id !== undefined && !/^[A-Za-z0-9._:@-]{1,100}$/.test(opts.id))
            throw new InputError(`worker: --id '${opts.id}' is not a worker id (letters, digits, . _ : @ -)`);
          const workerId = opts.id ?? `${hostname()}:${runtime.pid}`;
          const { startWorker } = await loadModule(() => import('../cloud/worker.js'));
          const worker = startWorker({
            settings,
            root,
            concurrency: opts.concurrency,
            executor: runtime.executor,
            env: runtime.env,
            workerId,
            ...(opts.lockMs === undefined ? {} : { lockMs: opts.lockMs }),
          });
          let stopSignal: SignalName | null = null;
          let forced = false;
          let unsubscribe: () => void = () => undefined;
          // The first SIGTERM/SIGINT: running stages finish first. A second: they are stopped and left to another worker.
          const stopped = new Promise<void>((resolveStopped) => {
            unsubscribe = runtime.signals.subscribe((signal) => {
              if (stopSignal === null) {
                stopSignal = signal;
                resolveStopped();
              } else if (!forced) {
                forced = true;
                runtime.stderr.write(
                  `codex-orchestrator: worker ${workerId} stopping now (${signal}): ${worker.running()} running stage(s) stopped and left to another worker\n`,
                );
                void worker.stopNow();
              }
            });
          });
          // Redis may not answer yet (or ever): a signal before the worker is ready stops it at once.
          runtime.stderr.write(`codex-orchestrator: worker ${workerId} waiting for Redis at ${settings.target}\n`);
          const ready = await Promise.race([worker.ready.then(() => true), stopped.then(() => false)]);
          if (!ready) {
            runtime.stderr.write(
              `codex-orchestrator: worker ${workerId} stopping (${stopSignal}) before it was ready: Redis at ${settings.target} did not answer\n`,
            );
            unsubscribe();
            await worker.stopNow();
            setExit(EXIT.failed);
            return;
          }
          runtime.stderr.write(`codex-orchestrator: worker ${workerId} ready on queue ${settings.queue} (root ${root})\n`);
          await stopped;
          runtime.stderr.write(
            `codex-orchestrator: worker ${workerId} stopping (${stopSignal}): running stages finish first (again to stop them now)\n`,
          );
          await worker.stop();
          unsubscribe();
          if (forced) {
            await worker.stopNow();
            setExit(EXIT.failed);
            return;
          }
          setExit(EXIT.ok);
        });
    },
  };
  const alone = commandAlone(argv, Object.keys(commands));
  if (alone === null) program.version(packageVersion(), '--version', 'print the version and exit');
  for (const [name, define] of Object.entries(commands)) if (alone === null || name === alone) define();
  return program;
}

function parseLockMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 3_600_000) throw new InvalidArgumentError('expected milliseconds from 100 to 3600000');
  return n;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer of at least 1');
  return n;
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected an integer from 1 to 1000');
  return n;
}

/** An error the operating system reported (ENOSPC, EIO, EROFS, …), not one of the code. */
function isSystemError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/** Runs the CLI on a Runtime and returns the exit code. Never throws for bad input. */
export async function runCli(argv: string[], given: Runtime): Promise<number> {
  // In enforce mode, everything the CLI prints goes through the privacy guard.
  // On a terminal, stdout and stderr keep the progress's live line below everything printed.
  const runtime = withLiveLine(withGuardedOutput(given));
  let exitCode: number = EXIT.ok;
  const program = buildProgram(
    runtime,
    (code) => {
      exitCode = code;
    },
    argv,
  );
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    // Commander answers `help <unknown>` with the general help and 0: an unknown command is bad usage.
    if (argv[0] === 'help' && argv[1] !== undefined && !program.commands.some((command) => command.name() === argv[1])) {
      runtime.stderr.write(`error: unknown command '${argv[1]}'\n`);
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      // Commander has already printed its one-line message to stderr.
      return EXIT.usage;
    }
    if (error instanceof OrchestratorError) {
      runtime.stderr.write(`codex-orchestrator: ${error.message}\n`);
      return error.exitCode;
    }
    // A file system's error (a write the core does not name itself: the real sink names each
    // one) is not a bug of the orchestrator: its own message, in one line.
    if (isSystemError(error)) {
      runtime.stderr.write(`codex-orchestrator: ${errorMessage(error)}\n`);
      return EXIT.failed;
    }
    runtime.stderr.write(`codex-orchestrator: internal error: ${errorMessage(error)}\n`);
    if (runtime.env[ENV_VARIABLES.debug.name] && error instanceof Error && error.stack) runtime.stderr.write(`${error.stack}\n`);
    return EXIT.failed;
  } finally {
    await runtime.fs.close();
  }
}
