// A manifest for unit tests: createManifest with plain defaults (task 0101, run run-1,
// pipeline p, no stages, shadow privacy); a test overrides only what it is about.
import { createManifest, type NewManifest } from '../../src/manifest/transitions.js';
import type { Manifest } from '../../src/manifest/schema.js';

export function testManifest(overrides: Partial<NewManifest> & Pick<NewManifest, 'nowMs'>): Manifest {
  return createManifest({
    taskId: '0101',
    taskSlug: null,
    runId: 'run-1',
    parentRunId: null,
    pipelineId: 'p',
    pipelineTitle: 'P',
    approvalPolicy: null,
    artifactRoot: 'a',
    compatPath: 'c',
    logPath: 'l',
    resumeToken: 'd'.repeat(64),
    stages: [],
    planTargetId: null,
    instructionsHash: null,
    instructionsSources: [],
    guardrailsRequired: false,
    privacyMode: 'shadow',
    privacyLogPath: 'p',
    ...overrides,
  });
}
