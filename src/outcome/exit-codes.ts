// Exit codes, in one place: the CLI's own (docs/contracts.md §1) and a child's when a signal
// killed it (128 + the signal's number, from the OS's own table).
import { constants } from 'node:os';
import type { RunStatus } from '../manifest/schema.js';
import type { StatusDetail } from './status-detail.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, SIGINT: 130, SIGTERM: 143 } as const;

/** 128 + the signal's number; 128 for a name the OS does not know. */
export function signalExitCode(signal: string): number {
  return 128 + ((constants.signals as Record<string, number | undefined>)[signal] ?? 0);
}

/** A child's exit code: its own, or 128 + the number of the signal that killed it. */
export function childExitCode(result: { exitCode: number | null; signal: string | null }): number | null {
  if (result.signal) return signalExitCode(result.signal);
  return result.exitCode;
}

/** The CLI's exit code for a run that ended: 0, 1, or 130/143 when cancelled by SIGINT/SIGTERM. */
export function runExitCode(status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>, detail: StatusDetail | null): number {
  if (status === 'succeeded') return EXIT.ok;
  if (status === 'cancelled') return detail?.kind === 'cancelled' && detail.signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT;
  return EXIT.failed;
}
