// A golden scenario newer than the base's code (the base cannot replay it) is added, not an
// error: the lane's verdict stays green when every stage passed and its files are declared;
// a scenario the working tree cannot replay still makes it red.
import { describe, expect, it } from 'vitest';
import { verdictOf, type VerdictFacts } from '../../src/harness/review/verdict.js';
import { formatScenarioDiff, type ScenarioDiff } from '../../src/harness/golden/diff-base.js';

const added: ScenarioDiff = {
  name: 'cloud-cancel',
  differences: [{ kind: 'new', file: 'cli/1.exit' } as ScenarioDiff['differences'][number]],
  error: null,
  baseError: 'at 39a15e4: golden/cloud-cancel/transcript.json: stages["cloud/build"][0].chunks[0]: Invalid input',
};

const facts = (scenarios: ScenarioDiff[]): VerdictFacts => ({
  stages: [{ id: 'test', status: 'succeeded', exit_code: 0 }],
  ended: null,
  golden: { scenarios },
  declarations: [{ path: 'golden/cloud-cancel/expected/cli/1.exit', coveredBy: ['tasks/specs/0011-cloud-execution.md'] }],
  specGuardViolations: 0,
  benchOver: [],
  budgetOver: false,
  override: null,
  declaredReports: ['test'],
});

describe('a scenario the base cannot replay', () => {
  it('is a change, not an error: the verdict stays green', () => {
    const verdict = verdictOf(facts([added]));
    expect(verdict.green).toBe(true);
    expect(verdict.line).toBe('green: every stage passed; 1 of 1 golden scenarios change, all declared');
    expect(formatScenarioDiff(added)).toContain(`  new since the base: its code cannot replay it (${added.baseError})`);
  });

  it('one the working tree cannot replay makes it red', () => {
    const verdict = verdictOf(facts([{ name: 'broken', differences: [], error: 'transcript.json: invalid' }]));
    expect(verdict.green).toBe(false);
    expect(verdict.reasons).toContain('1 golden scenario(s) could not be replayed');
  });
});
