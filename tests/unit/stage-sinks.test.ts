// The stage sinks (src/run/sinks/) and exec's console (src/cli/exec-console.ts): each sees
// every event in order and does only its own part.
import { describe, expect, it } from 'vitest';
import { execConsole } from '../../src/cli/exec-console.js';
import { eventLine, type ExecChunkEvent, type ExecEvent } from '../../src/events/events.js';
import { DURABILITY } from '../../src/runtime/durability.js';
import type { ToolRunRecord } from '../../src/run/context.js';
import { eventLogSink } from '../../src/run/sinks/event-log-sink.js';
import { outputTailSink } from '../../src/run/sinks/output-tail-sink.js';
import { fanOut, type StageSink } from '../../src/run/sinks/stage-sink.js';
import { droppedEventsLine, toolRunRecordSink } from '../../src/run/sinks/tool-run-record-sink.js';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import type { FileSink } from '../../src/runtime/types.js';
import { createVirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const T = '2026-01-05T09:00:00.000Z';
const chunk = (stream: 'stdout' | 'stderr', text: string, sequence: number): [ExecEvent, Uint8Array] => {
  const bytes = Buffer.from(text);
  return [{ type: 'exec:chunk', correlation_id: 'c', attempt: 1, stream, sequence, bytes: bytes.length }, bytes];
};
const stageEvents = (): Array<[ExecEvent, Uint8Array?]> => [
  [{ type: 'command:start', command: 'make' }],
  [{ type: 'exec:begin', correlation_id: 'c', attempt: 1, command: 'make', cwd: '.' }],
  chunk('stdout', 'built\n', 1),
  chunk('stderr', 'warn\n', 2),
  [{ type: 'exec:end', correlation_id: 'c', attempt: 1, exit_code: 0, signal: null, duration_ms: 5, status: 'succeeded' }],
  [{ type: 'command:end', exit_code: 0, signal: null, duration_ms: 5 }],
];
const feed = async (sink: StageSink) => {
  for (const [event, bytes] of stageEvents()) await sink.event(event, { timestamp: T, index: 2, bytes });
};

describe('stage sinks', () => {
  it('the event logs get every event as one line, in the runner log and the stage log', async () => {
    const fs = createMemoryFileSink({ durability: DURABILITY });
    await feed(eventLogSink(fs, '/r/runner.ndjson', '/r/commands/02-make.ndjson'));
    const runner = fs.files().get('/r/runner.ndjson')!.toString('utf8').trim().split('\n');
    expect(runner.map((line) => (JSON.parse(line) as { type: string }).type)).toEqual([
      'command:start',
      'exec:begin',
      'exec:chunk',
      'exec:chunk',
      'exec:end',
      'command:end',
    ]);
    expect(JSON.parse(runner[0]!)).toEqual({ type: 'command:start', command: 'make', timestamp: T, index: 2 });
    expect(fs.files().get('/r/commands/02-make.ndjson')!.equals(fs.files().get('/r/runner.ndjson')!)).toBe(true);
  });

  it("the event logs write every chunk's line from one buffer, and each line lands whole and right", async () => {
    // The lines differ in length both ways, so a reused buffer that kept a longer line's end
    // (or a line written from the next one's bytes) shows in the files.
    const texts = ['x'.repeat(70_000), 'short "quoted"\n', 'y\n'.repeat(40_000), '', 'é'.repeat(10), 'z'.repeat(5)];
    const fs = createMemoryFileSink({ durability: DURABILITY });
    const buffers: ArrayBufferLike[] = [];
    const seen: FileSink = { ...fs, append: (path, data) => (buffers.push((data as Buffer).buffer), fs.append(path, data)) };
    const sink = eventLogSink(seen, '/r/runner.ndjson', '/r/commands/01-s.ndjson');
    const expected: string[] = [];
    for (const [k, text] of texts.entries()) {
      const [event, bytes] = chunk('stdout', text, k + 1);
      await sink.event(event, { timestamp: T, index: 1, bytes });
      expected.push(eventLine(event as ExecChunkEvent, T, 1, bytes).toString('utf8'));
    }
    expect(fs.files().get('/r/runner.ndjson')!.toString('utf8')).toBe(expected.join(''));
    expect(fs.files().get('/r/commands/01-s.ndjson')!.toString('utf8')).toBe(expected.join(''));
    // Both logs and all chunks but the first (the buffer grows once, to the longest line): 2 buffers in all.
    expect(new Set(buffers).size).toBe(2);
  });

  it('a chunk line asked for while the last is still being written gets a buffer of its own', async () => {
    const fs = createMemoryFileSink({ durability: DURABILITY });
    const gates: Array<() => void> = [];
    // The first append of each line waits until let go: the two events overlap.
    const slow: FileSink = {
      ...fs,
      append: async (path, data) => {
        if (path.endsWith('runner.ndjson')) await new Promise<void>((resolve) => gates.push(resolve));
        return fs.append(path, data);
      },
    };
    const sink = eventLogSink(slow, '/r/runner.ndjson', '/r/commands/01-s.ndjson');
    const [first, firstBytes] = chunk('stdout', 'a'.repeat(1000), 1);
    const [second, secondBytes] = chunk('stderr', 'b'.repeat(500), 2);
    const one = sink.event(first, { timestamp: T, index: 1, bytes: firstBytes });
    const two = sink.event(second, { timestamp: T, index: 1, bytes: secondBytes });
    while (gates.length > 0) gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    while (gates.length > 0) gates.shift()!();
    await Promise.all([one, two]);
    const lines = fs.files().get('/r/commands/01-s.ndjson')!.toString('utf8');
    expect(lines).toBe(
      eventLine(first as ExecChunkEvent, T, 1, firstBytes).toString('utf8') + eventLine(second as ExecChunkEvent, T, 1, secondBytes).toString('utf8'),
    );
  });

  it('the tool run record keeps the exec events and a command error, not command:start/end (B4: every chunk)', async () => {
    const record: ToolRunRecord = { id: 'c', tool: 'exec', status: 'failed', startedAt: T, completedAt: T, attemptCount: 1, events: [] };
    const sink = toolRunRecordSink(record);
    await feed(sink);
    await sink.event({ type: 'command:error', message: 'boom' }, { timestamp: T, index: 2 });
    expect(record.events.map((e) => e.type)).toEqual(['exec:begin', 'exec:chunk', 'exec:chunk', 'exec:end', 'command:error']);
    // A kept chunk holds its bytes; what run-summary.json gets is its JSON form.
    expect(JSON.parse(JSON.stringify(record.events[1]))).toMatchObject({
      type: 'exec:chunk',
      correlationId: 'c',
      stream: 'stdout',
      sequence: 1,
      data: 'built\n',
    });
    expect(record.eventCap).toBeUndefined();
  });

  it('with a cap (phase 3) it keeps the first N chunk events and counts the others and their bytes', async () => {
    const record: ToolRunRecord = {
      id: 'c',
      tool: 'exec',
      status: 'failed',
      startedAt: T,
      completedAt: T,
      attemptCount: 1,
      eventCap: { maxChunkEvents: 1, keptChunkEvents: 0, droppedChunkEvents: 0, droppedChunkBytes: 0 },
      events: [],
    };
    const sink = toolRunRecordSink(record);
    await feed(sink);
    expect(record.events.map((e) => e.type)).toEqual(['exec:begin', 'exec:chunk', 'exec:end']);
    expect(record.eventCap).toEqual({ maxChunkEvents: 1, keptChunkEvents: 1, droppedChunkEvents: 1, droppedChunkBytes: 5 });
    expect(droppedEventsLine(record, 'Build')).toBe(
      "Stage 'Build': run-summary.json keeps the first 1 of 2 chunk events (1 dropped, 5 bytes); the event logs keep them all.",
    );
    expect(droppedEventsLine({ ...record, eventCap: { ...record.eventCap!, droppedChunkEvents: 0 } }, 'Build')).toBeNull();
  });

  it('the tails keep what each stream printed; fanOut hands each event to each sink in order', async () => {
    const seen: string[] = [];
    const tails = outputTailSink();
    const spy = (name: string): StageSink => ({
      event: (event) => void seen.push(`${name}:${event.type}`),
      end: () => void seen.push(`${name}:end`),
    });
    const all = fanOut([tails, spy('a'), spy('b')]);
    await feed(all);
    all.end({ exitCode: 0, signal: null, durationMs: 5, error: null });
    expect(tails.stdout.text()).toBe('built\n');
    expect(tails.stderr.text()).toBe('warn\n');
    expect(seen.slice(0, 4)).toEqual(['a:command:start', 'b:command:start', 'a:exec:begin', 'b:exec:begin']);
    expect(seen.slice(-2)).toEqual(['a:end', 'b:end']);
  });
});

describe("exec's console", () => {
  const runtime = () => createVirtualRuntime({ startMs: Date.parse(T), seed: 1, cwd: '/r' });

  it('text: the output as it comes, each stream to its own; the result has the tails', async () => {
    const r = runtime();
    const console = execConsole(r, 'text');
    expect(console.result()).toBeNull();
    await feed(console);
    console.end!({ exitCode: 0, signal: null, durationMs: 5, error: null });
    expect(r.stdout.text()).toBe('built\n');
    expect(r.stderr.text()).toBe('warn\n');
    expect(console.result()).toEqual({ exitCode: 0, signal: null, durationMs: 5, stdout: 'built\n', stderr: 'warn\n' });
  });

  it('jsonl: every event line on stdout; a command that could not run has its message as stderr', async () => {
    const r = runtime();
    const console = execConsole(r, 'jsonl');
    await feed(console);
    expect(r.stdout.text().trim().split('\n')).toHaveLength(6);
    expect(r.stderr.text()).toBe('');
    console.end!({ exitCode: null, signal: null, durationMs: 3, error: 'spawn ENOENT' });
    expect(console.result()).toEqual({ exitCode: null, signal: null, durationMs: 3, stdout: '', stderr: 'spawn ENOENT' });
  });
});
