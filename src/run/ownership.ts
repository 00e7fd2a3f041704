// One live owner per run (docs/contracts.md §12). The process that runs a run holds
// `<run dir>/.owner`: its pid, host, start and a token, created exclusively (so of two
// processes that try at once exactly one gets it) and removed when the run ends. Anyone
// else who finds it asks the process table whether that owner still runs; only an owner
// provably gone (its pid is not alive on this host, or is another process now) or, on
// another host, one whose heartbeat is stale, is taken over. A takeover of a dead owner is
// itself exclusive: `.owner.takeover-<its token>` is created first, so two processes that
// find the same dead owner never both replace it.
import { heartbeatStale } from '../manifest/liveness.js';
import type { Manifest } from '../manifest/schema.js';
import { isoTime } from '../layout/run-layout.js';
import type { RunPaths } from '../persist/manifest-writer.js';
import type { Ids, ProcessIdentity, ProcessTable } from '../runtime/types.js';

export type StageGroup = { stage: string; pgid: number; started: string | null };

export type OwnerRecord = ProcessIdentity & {
  token: string;
  acquired_at: string;
  /** What it was started as: `start`, `resume` or `exec`. */
  command: string;
  /** The process group of the stage it runs now (or ran last): stopped when the owner is taken over. */
  stage_group: StageGroup | null;
};

/**
 * alive: it runs (or, on another host, its heartbeat is fresh); gone: it is provably not
 * running on this host; stale: on another host (or unreadable) and its heartbeat is stale.
 */
export type OwnerState = 'alive' | 'gone' | 'stale';

export type JudgedOwner = { record: OwnerRecord | null; state: OwnerState };

/** How a held run's owner is named in a refusal and in `status`. */
export function describeOwner(record: OwnerRecord | null): string {
  if (record === null) return 'a process that left an unreadable .owner file';
  return `pid ${record.pid} on host ${record.host} (${record.command} since ${record.acquired_at})`;
}

export function parseOwner(text: string): OwnerRecord | null {
  try {
    const record = JSON.parse(text) as Partial<OwnerRecord> | null;
    if (
      record === null ||
      typeof record !== 'object' ||
      typeof record.pid !== 'number' ||
      typeof record.host !== 'string' ||
      typeof record.token !== 'string' ||
      typeof record.acquired_at !== 'string'
    ) {
      return null;
    }
    return {
      pid: record.pid,
      host: record.host,
      started: typeof record.started === 'string' ? record.started : null,
      token: record.token,
      acquired_at: record.acquired_at,
      command: typeof record.command === 'string' ? record.command : 'unknown',
      stage_group: record.stage_group ?? null,
    };
  } catch {
    return null;
  }
}

/** The owner file: absent (null), or its record (null record: unreadable, e.g. a process died writing it). */
export async function readOwner(paths: Pick<RunPaths, 'fs' | 'ownerPath'>): Promise<{ record: OwnerRecord | null } | null> {
  let text: string;
  try {
    text = (await paths.fs.readFile(paths.ownerPath)).toString('utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw error;
  }
  return { record: parseOwner(text) };
}

/** Whether the owner still runs; the manifest's heartbeat decides only where the process table cannot. */
export function judgeOwner(
  record: OwnerRecord | null,
  processes: ProcessTable,
  manifest: Pick<Manifest, 'status' | 'heartbeat_at' | 'updated_at' | 'heartbeat_stale_after_seconds'> | null,
  nowMs: number,
): OwnerState {
  if (record !== null) {
    const liveness = processes.liveness(record);
    if (liveness === 'alive') return 'alive';
    if (liveness === 'gone') return 'gone';
  }
  // Another host, or no record to ask about: presumed alive while the run's heartbeat is fresh.
  if (manifest !== null && heartbeatStale({ ...manifest, status: 'in_progress' }, nowMs)) return 'stale';
  return 'alive';
}

/** `ids.ownerToken` names each acquisition: 32 random hex characters, its own. */
export type OwnershipDeps = { paths: RunPaths; processes: ProcessTable; ids: Pick<Ids, 'ownerToken'> };

/** A process's hold on a run: what the stage loop and the run's end need of it. */
export interface Ownership {
  recordStageGroup(stage: string, pid: number): void;
  release(): Promise<void>;
}

/** The hold of a context whose run is not (yet) this process's: nothing to record or give up. */
export const notOwned: Ownership = {
  recordStageGroup: () => undefined,
  release: async () => undefined,
};

/** The run held by this process. */
export class RunOwnership implements Ownership {
  private writes: Promise<void> = Promise.resolve();
  private released = false;

  constructor(
    private readonly deps: OwnershipDeps,
    readonly record: OwnerRecord,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * Notes the process group of the stage now running, for whoever takes the run over should
   * this process die (a stage that prints nothing would otherwise outlive it). Best effort: a
   * failed write is reported, never fails the stage.
   */
  recordStageGroup(stage: string, pid: number): void {
    if (this.released) return;
    const identity = this.deps.processes.identify(pid);
    this.record.stage_group = { stage, pgid: pid, started: identity.started };
    const text = `${JSON.stringify(this.record)}\n`;
    this.writes = this.writes
      .then(() => (this.released ? undefined : this.deps.paths.fs.writeAtomic(this.deps.paths.ownerPath, text)))
      .catch(this.onError);
  }

  /** Gives the run up (its end, or an error that ends the process): removes `.owner` if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.writes;
    const held = await readOwner(this.deps.paths).catch(() => null);
    if (held?.record?.token === this.record.token) await this.deps.paths.fs.remove(this.deps.paths.ownerPath);
  }
}

export type Acquired = {
  kind: 'owned';
  ownership: RunOwnership;
  /** The dead owner this acquisition took the run over from. */
  previous: (OwnerRecord & { state: Exclude<OwnerState, 'alive'> }) | null;
  /** A dead owner whose record could not be read (a process that died writing it). */
  previousUnreadable: boolean;
};

export type Refused = { kind: 'refused'; owner: OwnerRecord | null; reason: string };

/**
 * Takes the run for this process: at once when nobody holds it, by takeover when its holder
 * is gone; refused (naming the holder) when its holder runs. `manifest` reads the run's
 * manifest for the heartbeat (null for a run that has none yet).
 */
export async function acquireRun(
  deps: OwnershipDeps,
  options: { command: string; nowMs: number; manifest: () => Promise<Manifest | null>; onError?: (error: unknown) => void },
): Promise<Acquired | Refused> {
  const { paths, processes } = deps;
  const { fs } = paths;
  const self = processes.self();
  const record: OwnerRecord = {
    ...self,
    token: deps.ids.ownerToken(),
    acquired_at: isoTime(options.nowMs),
    command: options.command,
    stage_group: null,
  };
  const text = `${JSON.stringify(record)}\n`;
  const owned = (previous: Acquired['previous'], previousUnreadable = false): Acquired => ({
    kind: 'owned',
    ownership: new RunOwnership(deps, record, options.onError),
    previous,
    previousUnreadable,
  });

  // A few rounds: the holder may release, or another process take over, between two looks.
  for (let round = 0; round < 5; round += 1) {
    if (await fs.createExclusive(paths.ownerPath, text)) return owned(null);
    const held = await readOwner(paths);
    if (held === null) continue; // Released meanwhile: try again.
    const state = judgeOwner(held.record, processes, await options.manifest(), options.nowMs);
    if (state === 'alive') return { kind: 'refused', owner: held.record, reason: `it is owned by ${describeOwner(held.record)}, which still runs` };

    // The holder is gone: take over, one taker per dead holder.
    const marker = `${paths.ownerPath}.takeover-${held.record?.token ?? 'unreadable'}`;
    if (!(await fs.createExclusive(marker, text))) {
      const taker = await readOwner({ fs, ownerPath: marker }).catch(() => null);
      return { kind: 'refused', owner: taker?.record ?? null, reason: `${describeOwner(taker?.record ?? null)} is taking it over` };
    }
    try {
      const still = await readOwner(paths);
      // Someone took over and released while we looked: look again.
      if (still === null || still.record?.token !== held.record?.token) continue;
      await fs.remove(paths.ownerPath);
      if (await fs.createExclusive(paths.ownerPath, text)) {
        return owned(held.record === null ? null : { ...held.record, state }, held.record === null);
      }
    } finally {
      await fs.remove(marker).catch(() => undefined);
    }
  }
  const held = await readOwner(paths).catch(() => null);
  return { kind: 'refused', owner: held?.record ?? null, reason: `it is owned by ${describeOwner(held?.record ?? null)}` };
}

/** The one line a refused acquisition is reported as, after `cannot <verb> `. */
export function refusalLine(runId: string, refused: Refused): string {
  return `run '${runId}': ${refused.reason}`;
}
