// The invariant exemptions of the corpus: each phase-0 pattern that breaks a run invariant in
// a scenario is listed in golden/invariant-exemptions.json (scenario, invariant, the B-id and
// the phase that removes it). Any other violation fails `check`; so does an exemption that no
// longer fires, so each phase deletes the exemptions it makes obsolete.
import { join } from 'node:path';
import { z } from 'zod';
import { readLocalJson } from '../../config/json-file.js';
import { corpusLabel } from './scenario.js';
import { INVARIANTS, type InvariantName, type Violation } from '../trace/invariants.js';

export const EXEMPTIONS_FILE = 'invariant-exemptions.json';

const invariantNames = Object.keys(INVARIANTS) as [InvariantName, ...InvariantName[]];

const exemptionSchema = z.strictObject({
  scenario: z.string().min(1),
  invariant: z.enum(invariantNames),
  pattern: z.string().regex(/^B[1-7]$/, 'expected a phase-0 pattern id, B1..B7'),
  removed_by_phase: z.number().int().min(1).max(5),
  why: z.string().min(1),
});

const exemptionsSchema = z.strictObject({ exemptions: z.array(exemptionSchema) });

export type Exemption = z.infer<typeof exemptionSchema>;

export async function loadExemptions(corpus: string): Promise<Exemption[]> {
  return readLocalJson(join(corpus, EXEMPTIONS_FILE), `${corpusLabel(corpus)}/${EXEMPTIONS_FILE}`, exemptionsSchema)?.exemptions ?? [];
}

export type InvariantVerdict = {
  /** Violations no exemption covers: each fails the scenario. */
  unexpected: Violation[];
  /** Violations an exemption covers, with it. */
  exempted: Array<{ violation: Violation; exemption: Exemption }>;
  /** Exemptions of the scenario that did not fire: each fails the scenario. */
  stale: Exemption[];
};

export function judgeInvariants(scenario: string, violations: Violation[], exemptions: Exemption[]): InvariantVerdict {
  const mine = exemptions.filter((e) => e.scenario === scenario);
  const verdict: InvariantVerdict = { unexpected: [], exempted: [], stale: [] };
  const fired = new Set<Exemption>();
  for (const violation of violations) {
    const exemption = mine.find((e) => e.invariant === violation.invariant);
    if (exemption) {
      fired.add(exemption);
      verdict.exempted.push({ violation, exemption });
    } else {
      verdict.unexpected.push(violation);
    }
  }
  verdict.stale = mine.filter((e) => !fired.has(e));
  return verdict;
}
