// The typed run outcome (src/outcome/): status_detail's seven shapes and their string form,
// and every exit code in one module.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXIT, childExitCode, runExitCode, signalExitCode } from '../../src/outcome/exit-codes.js';
import { formatStatusDetail, parseStatusDetail, type StatusDetail } from '../../src/outcome/status-detail.js';

describe('status_detail', () => {
  const cases: Array<[StatusDetail, string]> = [
    [{ kind: 'stage-failed', stageId: 'build' }, 'stage:build:failed'],
    [{ kind: 'stage-error', stageId: 'build' }, 'stage:build:error'],
    [{ kind: 'subpipeline-failed', pipelineId: 'extras' }, 'subpipeline:extras:failed'],
    [{ kind: 'subpipeline-error', pipelineId: 'extras' }, 'subpipeline:extras:error'],
    [{ kind: 'cancelled', signal: 'SIGINT' }, 'cancelled:SIGINT'],
    [{ kind: 'cancelled', signal: 'SIGTERM' }, 'cancelled:SIGTERM'],
    [{ kind: 'pipeline-failed' }, 'pipeline-failed'],
    [{ kind: 'exec-failed' }, 'exec-failed'],
  ];

  it.each(cases)('%j is written %s and read back', (detail, text) => {
    expect(formatStatusDetail(detail)).toBe(text);
    expect(parseStatusDetail(text)).toEqual(detail);
  });

  it('round-trips any stage or pipeline id, including ones with colons', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.constantFrom('stage-failed', 'stage-error', 'subpipeline-failed', 'subpipeline-error'),
        (id, kind) => {
          const detail = (kind.startsWith('stage') ? { kind, stageId: id } : { kind, pipelineId: id }) as StatusDetail;
          expect(parseStatusDetail(formatStatusDetail(detail))).toEqual(detail);
        },
      ),
    );
  });

  it('none is null both ways; an unknown shape reads as null', () => {
    expect(formatStatusDetail(null)).toBeNull();
    expect(parseStatusDetail(null)).toBeNull();
    expect(parseStatusDetail('cancelled:SIGHUP')).toBeNull();
    expect(parseStatusDetail('stage:x:exploded')).toBeNull();
  });
});

describe('exit codes', () => {
  it('a signal-killed child exits 128 + the signal number from the OS table', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGKILL')).toBe(137);
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGNOPE')).toBe(128);
    expect(childExitCode({ exitCode: null, signal: 'SIGSEGV' })).toBe(139);
    expect(childExitCode({ exitCode: 3, signal: null })).toBe(3);
  });

  it('the CLI exit code comes from the typed outcome', () => {
    expect(runExitCode('succeeded', null)).toBe(EXIT.ok);
    expect(runExitCode('failed', { kind: 'stage-failed', stageId: 'x' })).toBe(EXIT.failed);
    expect(runExitCode('cancelled', { kind: 'cancelled', signal: 'SIGINT' })).toBe(130);
    expect(runExitCode('cancelled', { kind: 'cancelled', signal: 'SIGTERM' })).toBe(143);
  });
});
