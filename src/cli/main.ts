#!/usr/bin/env node
// The `codex-orchestrator` bin: the only place that builds the real Runtime (process.env,
// the wall clock, random ids, child processes, the disk) and hands it to the CLI.
import { createRealRuntime } from '../runtime/real-runtime.js';
import { runCli } from './run-cli.js';

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const runtime = createRealRuntime();
process.exitCode = await runCli(process.argv.slice(2), runtime);
