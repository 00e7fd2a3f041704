// resume's reading of an exec stage's working directory from the head of its event log
// (src/commands/resume.ts, firstExecBeginCwd): only as much of the log as it takes.
import { describe, expect, it } from 'vitest';
import { firstExecBeginCwd } from '../../src/commands/resume.js';
import { InputError } from '../../src/errors.js';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import type { FileSink } from '../../src/runtime/types.js';

const LOG = '/r/commands/01-exec.ndjson';
const line = (event: object) => `${JSON.stringify(event)}\n`;
const begin = (cwd: unknown) => line({ type: 'exec:begin', correlation_id: 'c', attempt: 1, command: 'make', cwd });

function sinkWith(text: string | null): { fs: FileSink; reads: number[] } {
  const fs = createMemoryFileSink({ durability: { fsyncFile: false, fsyncDirectory: false } });
  if (text !== null) fs.seedFile(LOG, text);
  const reads: number[] = [];
  const readPrefix = fs.readPrefix.bind(fs);
  fs.readPrefix = (path, bytes) => {
    reads.push(bytes);
    return readPrefix(path, bytes);
  };
  return { fs, reads };
}

describe('firstExecBeginCwd', () => {
  it('finds the first exec:begin in the first 64 KiB, with one read', async () => {
    const { fs, reads } = sinkWith(line({ type: 'command:start', command: 'make' }) + begin('sub') + begin('other'));
    expect(await firstExecBeginCwd(fs, LOG, 'log')).toBe('sub');
    expect(reads).toEqual([64 * 1024]);
  });

  it('reads four times more while the begin is past the prefix, never trusting a line cut at its end', async () => {
    // A start line of 100 KiB: the first prefix ends inside it, the second holds the begin.
    const { fs, reads } = sinkWith(line({ type: 'command:start', command: 'x'.repeat(100 * 1024) }) + begin('deep'));
    expect(await firstExecBeginCwd(fs, LOG, 'log')).toBe('deep');
    expect(reads).toEqual([64 * 1024, 256 * 1024]);
    // A begin cut by the prefix's end is not read as a damaged line.
    const cut = begin('x'.repeat(70 * 1024));
    const second = sinkWith(cut);
    expect(await firstExecBeginCwd(second.fs, LOG, 'log')).toBe('x'.repeat(70 * 1024));
    expect(second.reads).toEqual([64 * 1024, 256 * 1024]);
  });

  it('finds a begin on the last line of a whole log that does not end in a newline (a log cut before its line end)', async () => {
    const { fs, reads } = sinkWith(line({ type: 'command:start', command: 'make' }) + begin('sub').trimEnd());
    expect(await firstExecBeginCwd(fs, LOG, 'log')).toBe('sub');
    expect(reads).toEqual([64 * 1024]);
  });

  it('null when the log is missing or has no exec:begin with a string cwd; other read errors are thrown', async () => {
    expect(await firstExecBeginCwd(sinkWith(null).fs, LOG, 'log')).toBeNull();
    expect(await firstExecBeginCwd(sinkWith(line({ type: 'command:start' }) + begin(7) + 'null\n' + line({ cwd: 'x' })).fs, LOG, 'log')).toBeNull();
    const { fs } = sinkWith('');
    fs.readPrefix = () => Promise.reject(Object.assign(new Error('EACCES: denied'), { code: 'EACCES' }));
    await expect(firstExecBeginCwd(fs, LOG, 'log')).rejects.toThrow('EACCES: denied');
  });

  it('a line that is not JSON is one line naming the file and the line', async () => {
    const error = await firstExecBeginCwd(sinkWith(line({ type: 'command:start' }) + '{oops\n' + begin('sub')).fs, LOG, 'runs/x.ndjson').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe('runs/x.ndjson: line 2 is not a JSON event');
  });
});
