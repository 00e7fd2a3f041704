// A bounded slice of `npm run soak` (src/harness/soak): each battery at a few cases, so a
// change that breaks one of the core's reliability promises fails `npm test`, not only the
// soak. Kill points are the k-th event of the CLI's trace (k from a fixed seed), signals go
// once the stage says it runs (a FIFO): nothing waits on the clock.
import { describe, expect, it } from 'vitest';
import {
  concurrentResumeBattery,
  crashBattery,
  diskFullBattery,
  fuzzBattery,
  mountUnavailable,
  signalBattery,
  type BatteryResult,
} from '../../src/harness/soak/batteries.js';
import { renderTable } from '../../src/harness/soak/cli.js';
import { requireBuiltCli } from '../helpers/integration.js';

requireBuiltCli();

const held = (result: BatteryResult) => {
  expect(result.examples, renderTable([result])).toEqual([]);
  expect(result.held).toBe(result.cases);
};

describe('soak slice', () => {
  it('crash: SIGKILL at random points, then status and resume recover every run', { timeout: 120_000 }, async () => {
    const result = await crashBattery(4, 11);
    held(result);
    expect(result.cases).toBe(4);
  });

  it('concurrent-resume: each pair has exactly one winner', { timeout: 60_000 }, async () => {
    held(await concurrentResumeBattery(3));
  });

  const noMount = mountUnavailable();
  it.skipIf(noMount !== null)(
    `disk-full: a small tmpfs fills during the run: one line, the JSON, a whole manifest, then resume${noMount ? ` (skipped: ${noMount})` : ''}`,
    { timeout: 60_000 },
    async () => {
      held(await diskFullBattery(2, 7));
    },
  );

  it('signal: SIGINT/SIGTERM end the run cancelled, its group stopped, within a second', { timeout: 60_000 }, async () => {
    held(await signalBattery(3, 5));
  });

  it('fuzz: 500 random configs and argv, in process: one line for bad input, nothing written, never an internal error', async () => {
    const result = await fuzzBattery(500, 3);
    held(result);
    expect(Object.keys(result.figures)).toContain('exit 2');
    expect(Object.keys(result.figures)).toContain('exit 0');
  });

  it('the table names every battery with its counts', () => {
    const table = renderTable([
      { battery: 'crash', cases: 3, held: 2, broken: { 'torn manifest (not JSON)': 1 }, figures: { 'resumed after the kill': 2 }, examples: [] },
    ]);
    expect(table).toBe(
      'battery  cases  held  broken                       figures\ncrash    3      2     torn manifest (not JSON): 1  resumed after the kill: 2\n',
    );
  });
});
