// Who is running, and who is gone: the seam a run's ownership stands on (docs/contracts.md
// §12). A process is identified by its pid, its host and its start (the boot it started in
// and its start time in clock ticks since that boot, from /proc), so a pid the system has
// given to another process since is never taken for the owner that died.
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ProcessIdentity, ProcessLiveness, ProcessTable } from './types.js';

type ProcStat = { state: string; pgrp: number; startTicks: string };

function procStat(pid: number | string): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: fields after it count from the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, pgrp: Number(rest[2]), startTicks: rest[19]! };
  } catch {
    return null;
  }
}

let bootId: string | null | undefined;
function currentBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/** `<boot id>/<start ticks>`; null where /proc does not say (not Linux). */
function startOf(pid: number): string | null {
  const stat = procStat(pid);
  const boot = currentBootId();
  return stat === null || boot === null ? null : `${boot}/${stat.startTicks}`;
}

/** A zombie (or a process being torn down) has exited: its parent just has not reaped it. */
const exited = (stat: ProcStat | null) => stat !== null && (stat.state === 'Z' || stat.state === 'X');

/** How many processes of group `pgid` have not exited (zombies do not count); 0 where /proc does not say. */
export function liveGroupMembers(pgid: number): number {
  let members = 0;
  for (const name of numericEntries()) {
    const stat = procStat(name);
    if (stat !== null && stat.pgrp === pgid && !exited(stat)) members += 1;
  }
  return members;
}

export function createRealProcessTable(): ProcessTable {
  const host = hostname();
  const self: ProcessIdentity = { pid: process.pid, host, started: startOf(process.pid) };
  const liveness = (identity: ProcessIdentity): ProcessLiveness => {
    if (identity.host !== host) return 'unknown';
    try {
      process.kill(identity.pid, 0);
    } catch (error) {
      // EPERM: it exists, owned by another user.
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
    }
    if (exited(procStat(identity.pid))) return 'gone';
    const started = startOf(identity.pid);
    // The pid now belongs to a process started later (or in another boot): the one we look for is gone.
    if (identity.started !== null && started !== null && started !== identity.started) return 'gone';
    return 'alive';
  };
  return {
    self: () => self,
    identify: (pid) => ({ pid, host, started: startOf(pid) }),
    liveness,
    stopGroup(group) {
      // A leader with another start is a new group that reuses the id: not ours to stop.
      const leader = procStat(group.pgid);
      if (leader !== null && !exited(leader) && group.started !== null && startOf(group.pgid) !== group.started) return 0;
      const members = liveGroupMembers(group.pgid);
      if (members === 0) return 0;
      try {
        process.kill(-group.pgid, 'SIGKILL');
      } catch {
        return 0; // Gone meanwhile.
      }
      return members;
    },
    stopByEnvironment(name, values) {
      const wanted = new Set(values.map((value) => `${name}=${value}`));
      const own = procStat(process.pid)?.pgrp;
      const groups = new Map<number, number>();
      for (const pid of numericEntries()) {
        const stat = procStat(pid);
        if (stat === null || exited(stat) || stat.pgrp === own || Number(pid) === process.pid) continue;
        let environ: string;
        try {
          environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
        } catch {
          continue; // Another user's process, or gone.
        }
        if (environ.split('\0').some((entry) => wanted.has(entry))) groups.set(stat.pgrp, 0);
      }
      let stopped = 0;
      const signalled: number[] = [];
      for (const pgid of groups.keys()) {
        const members = liveGroupMembers(pgid);
        try {
          process.kill(-pgid, 'SIGKILL');
          stopped += members;
          signalled.push(pgid);
        } catch {
          // Gone meanwhile.
        }
      }
      return { groups: signalled, processes: stopped };
    },
  };
}

function numericEntries(): string[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
}

/**
 * A process table for the virtual runtime: this process is `self`; another identity is alive
 * while `alive` says so (by default: never, as an earlier step of a scenario has exited).
 * Tests that run two owners side by side share one table and register both.
 */
export type VirtualProcessTable = ProcessTable & {
  /** Marks an identity alive (true) or gone (false). */
  setAlive(identity: ProcessIdentity, alive: boolean): void;
  /** The groups `stopGroup` was asked to stop. */
  readonly stopped: Array<{ pgid: number; started: string | null }>;
  /** What `stopByEnvironment` was asked to stop. */
  readonly stoppedByEnvironment: Array<{ name: string; values: string[] }>;
};

export function createVirtualProcessTable(self: ProcessIdentity, live: Set<string> = new Set()): VirtualProcessTable {
  const key = (identity: ProcessIdentity) => `${identity.host}|${identity.pid}|${identity.started ?? ''}`;
  live.add(key(self));
  const stopped: Array<{ pgid: number; started: string | null }> = [];
  const stoppedByEnvironment: Array<{ name: string; values: string[] }> = [];
  return {
    self: () => self,
    identify: (pid) => ({ pid, host: self.host, started: `virtual-start-${pid}` }),
    liveness: (identity) => (identity.host !== self.host ? 'unknown' : live.has(key(identity)) ? 'alive' : 'gone'),
    setAlive(identity, alive) {
      if (alive) live.add(key(identity));
      else live.delete(key(identity));
    },
    stopGroup(group) {
      stopped.push(group);
      return 0;
    },
    stopByEnvironment(name, values) {
      stoppedByEnvironment.push({ name, values });
      return { groups: [], processes: 0 };
    },
    stopped,
    stoppedByEnvironment,
  };
}
