// Issue 16, item 5: the run never writes through a symbolic link planted where one of its
// files goes, and the resume token is readable by its owner only.
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { onlyRunId, runIds, useTempRepos } from '../helpers/integration.js';

const repo = useTempRepos();
const CONFIG = { pipelines: [{ id: 'main', title: 'Main', stages: [{ kind: 'command', id: 'hello', title: 'Hello', command: 'echo hello' }] }] };

describe('symbolic links and the resume token', () => {
  it('a metrics.json that is a symbolic link is refused with one line; its target is untouched', async () => {
    const root = repo(CONFIG);
    const target = join(root, 'elsewhere.txt');
    writeFileSync(target, 'precious\n');
    mkdirSync(join(root, '.runs/0101'), { recursive: true });
    symlinkSync(target, join(root, '.runs/0101/metrics.json'));
    const result = await runCliProcess(['start', 'main'], { cwd: root });
    expect(result.code).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('codex-orchestrator:') && line.includes('symbolic link'));
    expect(errors).toEqual([
      `codex-orchestrator: refusing to append to ${join(root, '.runs/0101/metrics.json')}: it is a symbolic link (the run never writes through a link)`,
    ]);
    expect(result.stderr).not.toContain('internal error');
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('.resume-token is 0600; without a planted link the same run records its metrics line', async () => {
    const root = repo(CONFIG);
    const result = await runCliProcess(['start', 'main'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const runId = onlyRunId(root);
    const token = join(root, '.runs/0101/cli', runId, '.resume-token');
    expect(statSync(token).mode & 0o777).toBe(0o600);
    expect(existsSync(join(root, '.runs/0101/metrics.json'))).toBe(true);
    expect(runIds(root)).toHaveLength(1);
  });
});
