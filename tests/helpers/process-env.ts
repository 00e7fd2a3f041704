// process.env as each test found it: a test that sets or deletes a variable (or a core that
// wrote one, as B6 did until phase 5) cannot change what the next test sees.
import { afterEach, beforeEach } from 'vitest';

/** Snapshots process.env before each test of the file and puts it back after. */
export function restoreProcessEnvAfterEach(): void {
  let before: NodeJS.ProcessEnv = {};
  beforeEach(() => {
    before = { ...process.env };
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
    Object.assign(process.env, before);
  });
}
