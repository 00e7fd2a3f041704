// Where `start` decides whether a command stage runs here (mcp) or elsewhere (cloud).
//
// B5 (phase 0, removed by phase 4): this is one of three places that parse the execution
// mode, each with its own rules (the others: plan preview in commands/plan.ts, run summary in
// run/run-summary.ts). Rules here: booleans `requires_cloud` then `requiresCloud` (the first
// boolean present is final); else strings `executionMode` then `mode`, lower-cased but not
// trimmed; else the task's `execution.parallel`; else mcp.

export type ExecutionMode = 'mcp' | 'cloud';

export type ModeInputs = {
  executionMode?: unknown;
  mode?: unknown;
  requires_cloud?: unknown;
  requiresCloud?: unknown;
};

export type ModeTask = { execution?: { parallel?: unknown } } | undefined;

export function resolveDispatchMode(stage: ModeInputs, task: ModeTask): ExecutionMode {
  for (const flag of [stage.requires_cloud, stage.requiresCloud]) {
    if (typeof flag === 'boolean') return flag ? 'cloud' : 'mcp';
  }
  for (const value of [stage.executionMode, stage.mode]) {
    if (typeof value !== 'string') continue;
    const lowered = value.toLowerCase();
    if (lowered === 'cloud') return 'cloud';
    if (lowered === 'mcp') return 'mcp';
  }
  if (task?.execution?.parallel === true) return 'cloud';
  return 'mcp';
}
