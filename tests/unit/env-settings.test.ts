// The environment catalogue: --help lists exactly what the readers read, and the harness and
// the test helper clear the same variables before starting a CLI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, envHelpLines, isOrchestratorVariable } from '../../src/config/env-settings.js';

describe('env settings', () => {
  it('--help lists each variable of the catalogue once, in order, with its help', () => {
    const names = Object.values(ENV_VARIABLES).map((v) => v.name);
    const lines = envHelpLines();
    expect(lines.map((line) => line.trim().split(/\s+/)[0])).toEqual(names);
    // Padded to the longest name (CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS, 40 characters).
    expect(lines[0]).toBe(`  ${ENV_VARIABLES.root.name.padEnd(40)}  repo root, default: cwd`);
  });

  it('every variable of the catalogue, and those the orchestrator sets for children, count as its own', () => {
    for (const v of Object.values(ENV_VARIABLES)) expect(isOrchestratorVariable(v.name)).toBe(true);
    expect(isOrchestratorVariable('CODEX_ORCHESTRATOR_RUN_ID')).toBe(true);
    expect(isOrchestratorVariable('CODEX_METRICS_PRIVACY_EVENTS_MAX')).toBe(true);
    expect(isOrchestratorVariable('PATH')).toBe(false);
    expect(isOrchestratorVariable('CODEX_HOME')).toBe(false);
  });

  it('no source file outside the catalogue names a variable it reads by hand', () => {
    const readers = [
      'src/layout/run-layout.ts',
      'src/commands/invocation.ts',
      'src/privacy/guard.ts',
      'src/cli/main.ts',
      'src/cli/run-cli.ts',
      'src/config/event-cap.ts',
    ];
    for (const file of readers) {
      const text = readFileSync(join(import.meta.dirname, '../..', file), 'utf8');
      expect(text, file).not.toMatch(
        /env(\.|\[')(CODEX_ORCHESTRATOR_(ROOT|RUNS_DIR|OUT_DIR|TRACE|DEBUG|EXEC_EVENT_MAX_CHUNKS)|MCP_RUNNER_TASK_ID|CODEX_PRIVACY_GUARD_MODE)/,
      );
    }
  });
});
