// A new run's manifest for tests of what reads or records manifests (task 0101, pipeline `p`,
// command stages named after their ids), as createManifest makes it.
import type { Manifest } from '../../src/manifest/schema.js';
import { createManifest } from '../../src/manifest/transitions.js';

export function sampleManifest(runId: string, nowMs: number, stages: string[] = ['build', 'test']): Manifest {
  return createManifest({
    taskId: '0101',
    taskSlug: null,
    runId,
    parentRunId: null,
    pipelineId: 'p',
    pipelineTitle: 'P',
    approvalPolicy: null,
    nowMs,
    artifactRoot: `.runs/0101/cli/${runId}`,
    compatPath: `.runs/0101/mcp/${runId}/manifest.json`,
    logPath: `.runs/0101/cli/${runId}/runner.ndjson`,
    resumeToken: 'a'.repeat(64),
    stages: stages.map((id) => ({ id, title: id, kind: 'command' as const, command: `npm run ${id}` })),
    planTargetId: null,
    instructionsHash: null,
    instructionsSources: [],
    guardrailsRequired: false,
    privacyMode: 'shadow',
    privacyLogPath: `.runs/0101/cli/${runId}/privacy-decisions.ndjson`,
  });
}
