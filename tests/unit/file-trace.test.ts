// The trace file of a real process (CODEX_ORCHESTRATOR_TRACE): the traced process keeps each
// manifest write's text, and readTraceFile digests it, so the invariants see what they saw
// when the process digested its own writes: the schema's verdict on every write, and the state
// found on disk before the process's first write of a manifest.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { attachFileTrace } from '../../src/harness/trace/file-trace.js';
import { digestManifest } from '../../src/harness/trace/manifest-digest.js';
import { readTraceFile } from '../../src/harness/trace/read-trace.js';
import { markRunInProgress } from '../../src/manifest/transitions.js';
import { sampleManifest } from '../helpers/sample-manifest.js';
import { serializeManifest } from '../../src/persist/manifest-writer.js';
import { createNodeFileSink } from '../../src/runtime/node-file-sink.js';
import { createVirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const RUN = '2026-03-01T10-00-00-000Z-abcdef12';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const manifest = () => sampleManifest(RUN, T0, ['build']);

describe('the trace file of a real process', () => {
  it('keeps manifest texts, and reading it back digests them as the process would have', async () => {
    const root = mkdtempSync(join(tmpdir(), 'file-trace-'));
    dirs.push(root);
    const path = join(root, '.runs/0101/cli', RUN, 'manifest.json');
    mkdirSync(dirname(path), { recursive: true });
    const before = manifest();
    const beforeText = serializeManifest(before);
    writeFileSync(path, beforeText); // on disk before the process starts
    const runtime = createVirtualRuntime({ startMs: T0, seed: 1, cwd: root });
    runtime.fs = createNodeFileSink({ clock: runtime.clock, pid: runtime.pid });
    const file = join(root, 'trace.ndjson');
    const recorder = attachFileTrace(runtime, file);
    recorder.note({ kind: 'cli:start', argv: ['resume'] });

    const after = structuredClone(before);
    markRunInProgress(after, T0 + 1_000);
    await runtime.fs.writeAtomic(path, serializeManifest(after));
    await runtime.fs.writeAtomic(path, '{"version":'); // not JSON
    await runtime.fs.writeAtomic(path, '[]'); // JSON, not a manifest
    await runtime.fs.writeAtomic(join(root, 'notes.txt'), 'not a manifest path');

    // The file holds the texts, not digests: the process never ran the schema.
    const raw = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const writes = raw.filter((e) => e.kind === 'write');
    expect(writes[0]!.was).toStrictEqual({ text: beforeText });
    expect(writes.slice(0, 3).map((e) => e.state)).toStrictEqual([{ text: serializeManifest(after) }, { text: '{"version":' }, { text: '[]' }]);
    expect(writes[3]!.state).toBeUndefined();

    const { header, events } = readTraceFile(file);
    expect(header).toMatchObject({ trace: 2, origin_ms: T0, root, heartbeat_interval_ms: 5_000 });
    const read = events.filter((e) => e.kind === 'write');
    expect(read.map((e) => e.path)).toStrictEqual([
      `.runs/0101/cli/${RUN}/manifest.json`,
      `.runs/0101/cli/${RUN}/manifest.json`,
      `.runs/0101/cli/${RUN}/manifest.json`,
      'notes.txt',
    ]);
    expect(read[0]).toMatchObject({ was: digestManifest(beforeText), state: digestManifest(serializeManifest(after)) });
    expect(read[0]!.was).toMatchObject({ run: 'queued' });
    expect(read[0]!.state).toMatchObject({ run: 'in_progress', commands: ['build:pending'] });
    expect(read[1]!.state).toStrictEqual(digestManifest('{"version":'));
    expect(read[1]!.state).toHaveProperty('invalid');
    expect(read[2]!.state).toStrictEqual({ invalid: '(root): Invalid input: expected object, received array' });
    expect(read[1]).not.toHaveProperty('was');
    expect(read[3]).not.toHaveProperty('state');
    expect(events[0]).toStrictEqual({ t: 0, kind: 'cli:start', argv: ['resume'] });
  });
});

describe('reading a trace back', () => {
  it('refuses a trace of another format, naming the file and the format', () => {
    const root = mkdtempSync(join(tmpdir(), 'file-trace-'));
    dirs.push(root);
    const file = join(root, 'old.ndjson');
    writeFileSync(file, `${JSON.stringify({ trace: 1, origin_ms: T0, root, heartbeat_interval_ms: 5000, pid: 1 })}\n`);
    expect(() => readTraceFile(file)).toThrow(`${file}: a trace of format 1; this reader reads format 2 (manifest writes with their text)`);
  });
});
