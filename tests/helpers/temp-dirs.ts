// Temporary directories a test file makes, removed after its tests (KEEP_TEST_REPOS=1 keeps
// them, as for useTempRepos): a suite run leaves nothing behind in the system's temp directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Call at a test file's top level: returns a maker of fresh directories named `<prefix>XXXXXX` (or a prefix of the call's own). */
export function useTempDirs(prefix: string): (own?: string) => string {
  const made: string[] = [];
  afterAll(() => {
    if (process.env.KEEP_TEST_REPOS) return;
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (own = prefix) => {
    const dir = mkdtempSync(join(tmpdir(), own));
    made.push(dir);
    return dir;
  };
}
