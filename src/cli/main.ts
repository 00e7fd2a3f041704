#!/usr/bin/env node
// The `codex-orchestrator` bin: the only place that builds the real Runtime (process.env,
// the wall clock, random ids, child processes, the disk) and hands it to the CLI.
import { createCloudRouter } from '../cloud/router.js';
import { createRealRuntime } from '../runtime/real-runtime.js';
import { runCli } from './run-cli.js';
import { ENV_VARIABLES } from '../config/env-settings.js';
import { exitWhenSettled } from '../runtime/exit-when-settled.js';

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const argv = process.argv.slice(2);
// Cloud stages go to workers when a Redis URL is set (src/cloud/router.ts); everything else runs here.
const runtime = createRealRuntime({ wrapExecutor: (spawn) => createCloudRouter(spawn) });

// No top-level await: the bin runs this module bundled as a classic script (scripts/bundle-bin.mjs).
async function main(): Promise<number> {
  // CODEX_ORCHESTRATOR_TRACE=<file>: record every write and child start of this process (see
  // src/harness/trace/file-trace.ts); loaded only when asked for.
  const traceFile = runtime.env[ENV_VARIABLES.trace.name];
  let traceFailure: string | null = null;
  const trace = traceFile
    ? await import('../harness/trace/file-trace.js')
        .then((module) => module.attachFileTrace(runtime, traceFile))
        .catch((error: unknown) => {
          traceFailure = (error as NodeJS.ErrnoException).code ?? String(error);
          return null;
        })
    : null;
  // Bad input, before anything ran: one line naming the variable and the file.
  if (traceFailure !== null) {
    process.stderr.write(`codex-orchestrator: ${ENV_VARIABLES.trace.name}: cannot write ${traceFile}: ${traceFailure}\n`);
    return 2;
  }
  trace?.note({ kind: 'cli:start', argv });
  const code = await runCli(argv, runtime);
  trace?.note({ kind: 'cli:exit', code });
  // A worker that has stopped (its stages finished or handed back) does not wait for BullMQ's
  // clients to give up on a Redis that is gone: they retry forever and would keep it alive.
  if (argv[0] === 'worker') process.exit(code);
  return code;
}

exitWhenSettled('codex-orchestrator', main());
