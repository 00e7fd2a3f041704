// `.ci/run` calls `npm test -- --reporter=json --outputFile=…` and reads the report: the
// arguments given to `npm test` must reach vitest through every script of the chain. npm
// appends them to the end of a script's text, so a chain `a && npm run b` hands them to
// `npm run b` as npm's own flags unless it ends with `--`. (A CI run went red on exactly that:
// every test passed and no report was written.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const scripts = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** Where appended arguments end up: the script name chain that receives them, then "vitest" or why not. */
function argsReach(name: string, seen: string[] = []): string[] {
  const text = scripts[name];
  if (text === undefined) return [...seen, name, '(no such script)'];
  if (seen.includes(name)) return [...seen, name, '(cycle)'];
  const last = text.split('&&').at(-1)!.trim();
  if (/^vitest run\b/.test(last)) return [...seen, name, 'vitest'];
  const forward = /^npm run ([\w:-]+) --$/.exec(last);
  if (forward) return argsReach(forward[1]!, [...seen, name]);
  return [...seen, name, `(appended to "${last}")`];
}

describe(".ci/run's test command", () => {
  it('calls npm test with reporter arguments and reads the report they ask for', () => {
    const ci = readFileSync(path.join(root, '.ci/run'), 'utf8');
    expect(ci).toMatch(/npm test -- --reporter=default --reporter=json --outputFile="\$report"/);
  });

  it("hands npm test's arguments to vitest through every script of the chain", () => {
    expect(argsReach('test').at(-1)).toBe('vitest');
  });

  it('would see a chain that drops them', () => {
    scripts['probe:drop'] = 'npm run build && npm run test:built';
    try {
      expect(argsReach('probe:drop').at(-1)).toBe('(appended to "npm run test:built")');
    } finally {
      delete scripts['probe:drop'];
    }
  });
});
