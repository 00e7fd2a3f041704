// The entries' exit code without top-level await (src/runtime/exit-when-settled.ts): what the
// work resolves to; a rejection is exit 1 with its stack, even where unhandled rejections only
// warn; work still pending when nothing is left to run is exit 13 with one line; an explicit
// process.exit while it waits (commander's after --help) keeps its own code.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../dist/src/runtime/exit-when-settled.js')).href;

function entry(work: string, nodeArgs: string[] = []) {
  const script = `import { exitWhenSettled } from ${JSON.stringify(MODULE)};\nexitWhenSettled('tool', ${work});`;
  return spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('exitWhenSettled', () => {
  it('exits with the code the work resolves to, after the work', () => {
    const result = entry(`new Promise((resolve) => setTimeout(() => { process.stdout.write('done\\n'); resolve(3); }, 1))`);
    expect([result.status, result.stdout, result.stderr]).toEqual([3, 'done\n', '']);
    expect(entry('Promise.resolve(0)').status).toBe(0);
  });

  it('a rejection is exit 1 with its stack, also where unhandled rejections only warn', () => {
    for (const args of [[], ['--unhandled-rejections=warn'], ['--unhandled-rejections=none']]) {
      const result = entry(`Promise.reject(new Error('boom'))`, args);
      expect(result.status, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(/^Error: boom\n\s+at /);
    }
  });

  it('work still pending when nothing is left to run is exit 13, with one line', () => {
    const result = entry('new Promise(() => {})');
    expect(result.status).toBe(13);
    expect(result.stderr.trim().split('\n')).toEqual([
      'tool: internal error: the command stopped before it finished (nothing left to run while it waited)',
    ]);
  });

  it('an explicit process.exit while the work waits keeps its code', () => {
    const result = entry(`new Promise(() => { setTimeout(() => process.exit(0), 1); })`);
    expect([result.status, result.stderr]).toEqual([0, '']);
  });
});
