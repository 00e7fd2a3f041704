// `npm run mutation` (scripts/mutation.mjs) takes no arguments: --help says what it does, and
// anything else is refused before the half-hour run starts (the npm script passed them to its
// last command only, so `npm run mutation -- --help` built and started StrykerJS).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../../scripts/mutation.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

describe('npm run mutation', () => {
  it('--help prints what it does and starts nothing (exit 0)', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run mutation\n/);
    expect(help.stdout).toContain('It takes no arguments.');
    expect(help.stderr).toBe('');
  });

  it('an argument is refused with one line, exit 2, before anything runs', () => {
    const bad = run('--since', 'main');
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toEqual(["mutation: unexpected argument '--since': it takes none (npm run mutation -- --help)"]);
  });
});
