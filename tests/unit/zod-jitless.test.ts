// src/config/zod-jitless.ts: each module that makes the CLI's schemas is, loaded alone, enough to
// make zod jitless (zod reads the setting when a schema is made), and a parse with such a
// schema then compiles no parser. Each in a Node process of its own: in a vitest worker, another
// suite may have set it already.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = (path: string) => fileURLToPath(new URL(`../../dist/src/${path}`, import.meta.url));

/** What a Node process that imports `module` alone says of zod's setting, and how many functions a parse made. */
function probe(module: string, parse: string): { jitless: unknown; compiled: number } {
  const script = `
    const schemas = await import(${JSON.stringify(dist(module))});
    const { z } = await import('zod');
    let compiled = 0;
    const Native = globalThis.Function;
    globalThis.Function = new Proxy(Native, { construct(target, args) { compiled += 1; return Reflect.construct(target, args); } });
    (${parse})(schemas);
    globalThis.Function = Native;
    process.stdout.write(JSON.stringify({ jitless: z.config().jitless ?? null, compiled }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
  });
  return JSON.parse(out) as { jitless: unknown; compiled: number };
}

describe("the CLI's zod schemas are jitless", () => {
  it.each([
    ['config/schema.js', "(s) => s.configSchema.safeParse({ pipelines: [{ id: 'p', title: 'P', stages: [] }] })"],
    ['manifest/schema.js', '(s) => s.manifestSchema.safeParse({ version: 1 })'],
    ['run/tool-runs-schema.js', '(s) => s.toolRunsSchema.safeParse({ tool_runs: [{}] })'],
  ])('%s, loaded alone: jitless, and a parse compiles no parser', (module, parse) => {
    expect(probe(module, parse)).toEqual({ jitless: true, compiled: 0 });
  });
});
