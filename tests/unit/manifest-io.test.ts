// Reading a manifest back (every way it can be wrong is one InputError naming the file), the
// label a manifest path is shown with, the byte format of a write, and the schema export's
// command line (`npm run schema`, `npm run schema:check`) run in-process with node:fs mocked.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { manifestLabel, readManifest, saveManifest, serializeManifest } from '../../src/persist/manifest-writer.js';
import { manifestJsonSchema, SCHEMA_FILE } from '../../src/manifest/export-schema.js';
import { HEARTBEAT_INTERVAL_SECONDS, HEARTBEAT_STALE_AFTER_SECONDS, type Manifest } from '../../src/manifest/schema.js';
import { testManifest } from '../helpers/manifest-fixture.js';
import { runPaths } from '../../src/persist/manifest-writer.js';
import { createVirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const T0 = Date.parse('2026-04-01T12:00:00.000Z');
const ROOTS = { root: '/repo', runsDir: '/repo/.runs', outDir: '/repo/out' };

function manifest(): Manifest {
  return testManifest({
    nowMs: T0,
    artifactRoot: '.runs/0101/cli/run-1',
    compatPath: '.runs/0101/mcp/run-1/manifest.json',
    logPath: '.runs/0101/cli/run-1/runner.ndjson',
    resumeToken: 'c'.repeat(64),
    stages: [{ id: 'build', title: 'Build', kind: 'command', command: 'npm run build' }],
    privacyLogPath: '.runs/0101/cli/run-1/privacy-decisions.ndjson',
  });
}

function runtime() {
  return createVirtualRuntime({ startMs: T0, seed: 3, cwd: '/repo' });
}

/** readManifest's error, as `<class>: <message>`. */
async function readError(text: string | null): Promise<string> {
  const rt = runtime();
  if (text !== null) rt.fs.seedFile('/repo/m.json', text);
  try {
    await readManifest(rt.fs, '/repo/m.json', 'runs/m.json');
  } catch (error) {
    return `${error instanceof InputError ? 'InputError' : 'other'}: ${(error as Error).message}`;
  }
  return 'no error';
}

describe('readManifest', () => {
  it('reads back what saveManifest wrote, with updated_at stamped from the clock', async () => {
    const rt = runtime();
    const paths = runPaths(ROOTS, '0101', 'run-1', rt.fs, rt.clock);
    const m = manifest();
    rt.clock.setNow(T0 + 1_500);
    await saveManifest(paths, m);
    expect(m.updated_at).toBe('2026-04-01T12:00:01.500Z');
    const text = rt.fs.files().get(paths.manifestPath)!.toString('utf8');
    expect(text).toBe(`${JSON.stringify(m, null, 2)}\n`);
    expect(text).toBe(serializeManifest(m));
    expect(await readManifest(rt.fs, paths.manifestPath, 'x')).toEqual(m);
    expect(m.heartbeat_interval_seconds).toBe(HEARTBEAT_INTERVAL_SECONDS);
    expect(m.heartbeat_stale_after_seconds).toBe(HEARTBEAT_STALE_AFTER_SECONDS);
    expect([HEARTBEAT_INTERVAL_SECONDS, HEARTBEAT_STALE_AFTER_SECONDS]).toEqual([5, 30]);
  });

  it('a missing file is an InputError naming it and the reason', async () => {
    expect(await readError(null)).toBe("InputError: runs/m.json: cannot be read: ENOENT: no such file or directory, open '/repo/m.json'");
  });

  it('bad JSON and a bad shape are InputErrors naming the file and the place', async () => {
    expect(await readError('{"version": 1,')).toMatch(/^InputError: runs\/m\.json: invalid JSON at line 1, column \d+: /);
    const badTime = { ...manifest(), started_at: '2026-04-01 12:00:00' };
    expect(await readError(JSON.stringify(badTime))).toBe('InputError: runs/m.json: started_at: expected an ISO-8601 UTC time');
    const badToken = { ...manifest(), resume_token: 'C'.repeat(64) };
    expect(await readError(JSON.stringify(badToken))).toBe('InputError: runs/m.json: resume_token: expected 64 lower-case hex characters');
  });

  it('the time and token patterns are anchored and exact', async () => {
    const times = [
      '2026-04-01T12:00:00.000Z',
      'x2026-04-01T12:00:00.000Z',
      '2026-04-01T12:00:00.000Zx',
      '2026-04-01T12:00:00Z',
      '2026-04-01T12:00:00.0000Z',
    ];
    const verdicts = await Promise.all(times.map((t) => readError(JSON.stringify({ ...manifest(), updated_at: t }))));
    expect(verdicts.map((v) => v === 'no error')).toEqual([true, false, false, false, false]);
    const tokens = ['0'.repeat(64), '0'.repeat(63), '0'.repeat(65), `g${'0'.repeat(63)}`, `${'0'.repeat(63)}\n`];
    const tokenVerdicts = await Promise.all(tokens.map((t) => readError(JSON.stringify({ ...manifest(), resume_token: t }))));
    expect(tokenVerdicts.map((v) => v === 'no error')).toEqual([true, false, false, false, false]);
  });

  it('a handle written before phase 1 with latest_sequence null reads as 0; other handles are left as they are', async () => {
    const m = manifest();
    const handle = (id: string, latest: number | null) => ({
      handle_id: id,
      correlation_id: 'c',
      stage_id: 'build',
      pipeline_id: 'p',
      status: 'closed',
      frame_count: latest ?? 0,
      latest_sequence: latest,
      created_at: m.started_at,
      metadata: {},
    });
    const rt = runtime();
    rt.fs.seedFile('/repo/m.json', JSON.stringify({ ...m, handles: [handle('h1', null), handle('h2', 7)] }));
    const read = await readManifest(rt.fs, '/repo/m.json', 'm');
    expect(read.handles.map((h) => [h.handle_id, h.latest_sequence])).toEqual([
      ['h1', 0],
      ['h2', 7],
    ]);
    // Not an array: nothing to upgrade, the schema says what is wrong.
    expect(await readError(JSON.stringify({ ...m, handles: { h1: handle('h1', null) } }))).toBe(
      'InputError: runs/m.json: handles: Invalid input: expected array, received object',
    );
    // A null entry is not touched (and is refused by the schema, not by the upgrade).
    expect(await readError(JSON.stringify({ ...m, handles: [null] }))).toBe(
      'InputError: runs/m.json: handles[0]: Invalid input: expected object, received null',
    );
    expect(await readError('null')).toBe('InputError: runs/m.json: (root): Invalid input: expected object, received null');
  });
});

describe('manifestLabel', () => {
  it('is repo-relative inside the root and the path as given outside it', () => {
    expect(manifestLabel(ROOTS, '/repo/.runs/0101/cli/r/manifest.json')).toBe('.runs/0101/cli/r/manifest.json');
    expect(manifestLabel(ROOTS, '/elsewhere/.runs/manifest.json')).toBe('/elsewhere/.runs/manifest.json');
  });
});

describe('the schema export command line (export-schema.ts run as a script)', () => {
  const MODULE = fileURLToPath(new URL('../../src/manifest/export-schema.ts', import.meta.url));
  // Three levels above the module: the repo root from dist/src/manifest/export-schema.js.
  const TARGET = resolve(dirname(MODULE), '../../..', SCHEMA_FILE);
  const argvBefore = process.argv;
  const exitBefore = process.exitCode;
  afterEach(() => {
    process.argv = argvBefore;
    process.exitCode = exitBefore;
    vi.doUnmock('node:fs');
    vi.restoreAllMocks();
    vi.resetModules();
  });

  /** Imports the module as `node export-schema.js ...args` with node:fs faked; returns what it did. */
  async function runScript(argv1: string, args: string[], committed: string | Error) {
    const calls: string[] = [];
    vi.resetModules();
    vi.doMock('node:fs', async (importOriginal) => {
      const actual = await importOriginal<typeof import('node:fs')>();
      return {
        ...actual,
        readFileSync: (path: string, encoding: string) => {
          calls.push(`read ${path === TARGET} ${encoding}`);
          if (committed instanceof Error) throw committed;
          return committed;
        },
        writeFileSync: (path: string, text: string) => calls.push(`write ${path === TARGET} ${text === manifestJsonSchema()}`),
        mkdirSync: (path: string, options: unknown) => calls.push(`mkdir ${path === dirname(TARGET)} ${JSON.stringify(options)}`),
      };
    });
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    process.exitCode = undefined;
    process.argv = [process.execPath, argv1, ...args];
    await import('../../src/manifest/export-schema.js');
    const exitCode = process.exitCode;
    vi.restoreAllMocks();
    return { calls, out: out.join(''), err: err.join(''), exitCode };
  }

  it('--write writes the current export under schemas/ and says so', async () => {
    expect(await runScript(MODULE, ['--write'], 'old')).toEqual({
      calls: ['mkdir true {"recursive":true}', 'write true true'],
      out: 'wrote schemas/manifest.schema.json\n',
      err: '',
      exitCode: 0,
    });
  });

  it('--check passes on the current export and fails, naming the fix, on anything else', async () => {
    expect(await runScript(MODULE, ['--check'], manifestJsonSchema())).toEqual({
      calls: ['read true utf8'],
      out: 'schemas/manifest.schema.json is current\n',
      err: '',
      exitCode: 0,
    });
    const stale = await runScript(MODULE, ['--check'], manifestJsonSchema().replace('"version"', '"versio"'));
    expect(stale).toEqual({
      calls: ['read true utf8'],
      out: '',
      err: 'schemas/manifest.schema.json is not current with src/manifest/schema.ts: run `npm run schema` and commit the result\n',
      exitCode: 1,
    });
    const missing = await runScript(MODULE, [], new Error('ENOENT'));
    expect(missing).toEqual({ ...stale, calls: ['read true utf8'] });
  });

  it('does nothing when imported by another script', async () => {
    expect(await runScript('/elsewhere/other.js', ['--write'], 'old')).toEqual({ calls: [], out: '', err: '', exitCode: undefined });
  });
});
