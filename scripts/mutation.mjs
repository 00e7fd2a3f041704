#!/usr/bin/env node
// `npm run mutation`: build, run StrykerJS over the suite of vitest.stryker.config.ts
// (stryker.config.json), then write reports/mutation/summary.json (scripts/mutation-summary.mjs).
// It takes no arguments: `--help` says so and what it does, and anything else is refused
// before the half-hour run starts (an npm script passes its arguments to the last command only,
// so `npm run mutation -- --help` used to start the whole run).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HELP = `Usage: npm run mutation

Builds, runs StrykerJS over src/manifest, src/persist, src/run and src/commands with the suite of
vitest.stryker.config.ts (about 33-45 minutes on 2 cores; incremental against
reports/mutation/stryker-incremental.json), then writes reports/mutation/summary.json.
It takes no arguments.
`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (args.length > 0) {
  process.stderr.write(`mutation: unexpected argument '${args[0]}': it takes none (npm run mutation -- --help)\n`);
  process.exit(2);
}

const steps = [
  ['npm', ['run', 'build']],
  [join(ROOT, 'node_modules/.bin/stryker'), ['run']],
  [process.execPath, [join(ROOT, 'scripts/mutation-summary.mjs')]],
];
for (const [command, commandArgs] of steps) {
  const step = spawnSync(command, commandArgs, { cwd: ROOT, stdio: 'inherit' });
  if (step.error) {
    process.stderr.write(`mutation: could not start ${command}: ${step.error.message}\n`);
    process.exit(1);
  }
  if (step.status !== 0) process.exit(step.status ?? 1);
}
