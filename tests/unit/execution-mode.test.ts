// B5 (phase 0, removed by phase 4): execution mode was parsed in three places with three rule
// sets. This table pins each call site's answer; phase 4 kept it unchanged. Since phase 4 it
// asks the call sites' presets of src/run/execution-mode.ts (the rows are phase 0's).
import { describe, expect, it } from 'vitest';
import { DISPATCH_PRESET, PLAN_PRESET, SUMMARY_PRESET, resolveExecutionMode, type ModeInputs, type ModeTask } from '../../src/run/execution-mode.js';

const resolveDispatchMode = (stage: ModeInputs, task: ModeTask) => resolveExecutionMode(DISPATCH_PRESET, stage, task);
// The plan preset is given the task too: it must not read it.
const previewExecutionMode = (stage: ModeInputs, task: ModeTask) => resolveExecutionMode(PLAN_PRESET, stage, task);
const summaryExecutionMode = (stage: ModeInputs, task: ModeTask) => resolveExecutionMode(SUMMARY_PRESET, stage, task);

type Row = [name: string, stage: ModeInputs, task: ModeTask, dispatch: string, plan: string, summary: string];

const parallel: ModeTask = { execution: { parallel: true } };

const table: Row[] = [
  ['nothing set', {}, undefined, 'mcp', 'mcp', 'mcp'],
  ['requires_cloud true', { requires_cloud: true }, undefined, 'cloud', 'cloud', 'cloud'],
  [
    'requires_cloud false beats executionMode cloud (booleans first)',
    { requires_cloud: false, executionMode: 'cloud' },
    undefined,
    'mcp',
    'mcp',
    'cloud',
  ],
  ['requires_cloud wins over requiresCloud', { requires_cloud: false, requiresCloud: true }, undefined, 'mcp', 'mcp', 'mcp'],
  ['requiresCloud true', { requiresCloud: true }, undefined, 'cloud', 'cloud', 'cloud'],
  ['non-boolean requires_cloud is ignored', { requires_cloud: 'yes', requiresCloud: true }, undefined, 'cloud', 'cloud', 'cloud'],
  ['executionMode cloud', { executionMode: 'cloud' }, undefined, 'cloud', 'cloud', 'cloud'],
  ['executionMode CLOUD (lower-cased everywhere)', { executionMode: 'CLOUD' }, undefined, 'cloud', 'cloud', 'cloud'],
  ['executionMode " cloud " (dispatch does not trim)', { executionMode: ' cloud ' }, undefined, 'mcp', 'cloud', 'cloud'],
  ['mode cloud (plan ignores mode)', { mode: 'cloud' }, undefined, 'cloud', 'mcp', 'cloud'],
  ['executionMode mcp, mode cloud (dispatch: executionMode first)', { executionMode: 'mcp', mode: 'cloud' }, undefined, 'mcp', 'mcp', 'cloud'],
  ['executionMode cloud, mode mcp (summary: mode first)', { executionMode: 'cloud', mode: 'mcp' }, undefined, 'cloud', 'cloud', 'mcp'],
  ['executionMode true (only the summary knows true)', { executionMode: 'true' }, undefined, 'mcp', 'mcp', 'cloud'],
  ['executionMode yes', { executionMode: 'yes' }, undefined, 'mcp', 'mcp', 'cloud'],
  ['executionMode 1', { executionMode: '1' }, undefined, 'mcp', 'mcp', 'cloud'],
  ['executionMode no, requiresCloud true (summary: strings first)', { executionMode: 'no', requiresCloud: true }, undefined, 'cloud', 'cloud', 'mcp'],
  ['executionMode bogus falls through', { executionMode: 'bogus' }, undefined, 'mcp', 'mcp', 'mcp'],
  ['task parallel, nothing else', {}, parallel, 'cloud', 'mcp', 'cloud'],
  ['task parallel vs executionMode mcp', { executionMode: 'mcp' }, parallel, 'mcp', 'mcp', 'cloud'],
  ['task parallel vs explicit requires_cloud false', { requires_cloud: false }, parallel, 'mcp', 'mcp', 'cloud'],
  ['task parallel vs executionMode " mcp " (not trimmed by dispatch)', { executionMode: ' mcp ' }, parallel, 'cloud', 'mcp', 'cloud'],
  ['task parallel false', {}, { execution: { parallel: false } }, 'mcp', 'mcp', 'mcp'],
  ['task parallel "true" (not a boolean)', {}, { execution: { parallel: 'true' } }, 'mcp', 'mcp', 'mcp'],
];

describe('B5 characterization (removed by phase 4): three execution-mode rule sets', () => {
  it.each(table)('%s', (_name, stage, task, dispatch, plan, summary) => {
    expect({
      dispatch: resolveDispatchMode(stage, task),
      plan: previewExecutionMode(stage, task),
      summary: summaryExecutionMode(stage, task),
    }).toEqual({ dispatch, plan, summary });
  });

  it('the three call sites disagree on some inputs (the hazard phase 4 removes)', () => {
    const disagreeing = table.filter(([, , , d, p, s]) => !(d === p && p === s));
    expect(disagreeing.length).toBeGreaterThan(5);
  });
});
