// Loads codex.orchestrator.json and tasks/index.json, and checks what a schema cannot:
// duplicate ids, subpipelines that name a missing pipeline, themselves, or form a cycle.
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import type { FileSink } from '../runtime/types.js';
import { formatJsonPath, readJsonFile, validateWith } from './json-file.js';
import type { OrchestratorConfig, Pipeline, TaskInfo } from './schema.js';
import { plainConfig } from './plain-config.js';
import { loadModule } from '../runtime/module-loads.js';

export const CONFIG_FILE = 'codex.orchestrator.json';

/** The largest config or tasks index read: 16 MiB (a bigger one is refused, not read whole). */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/**
 * A stage's `cwd` stays inside the repository root (`/etc` or `../..` is refused) unless the
 * stage sets `allowOutsideRoot: true`. The path is judged as written, resolved against the
 * root; a symbolic link inside the root that points out of it is not followed here.
 */
function checkStageDirectories(config: OrchestratorConfig, root: string, label: string): void {
  config.pipelines.forEach((pipeline, p) => {
    pipeline.stages.forEach((stage, s) => {
      if (stage.kind !== 'command' || stage.cwd === undefined || stage.allowOutsideRoot === true) return;
      const rel = relative(root, resolve(root, stage.cwd));
      if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
        throw new InputError(
          `${label}: ${formatJsonPath(['pipelines', p, 'stages', s, 'cwd'])}: '${stage.cwd}' is outside the repository root (set "allowOutsideRoot": true on the stage to allow it)`,
        );
      }
    });
  });
}

function checkReferences(config: OrchestratorConfig, label: string): void {
  const fail = (path: PropertyKey[], why: string): never => {
    throw new InputError(`${label}: ${formatJsonPath(path)}: ${why}`);
  };
  const pipelineIndex = new Map<string, number>();
  config.pipelines.forEach((pipeline, p) => {
    if (pipelineIndex.has(pipeline.id)) fail(['pipelines', p, 'id'], `duplicate pipeline id '${pipeline.id}'`);
    pipelineIndex.set(pipeline.id, p);
  });
  config.pipelines.forEach((pipeline, p) => {
    const seen = new Set<string>();
    pipeline.stages.forEach((stage, s) => {
      if (seen.has(stage.id)) fail(['pipelines', p, 'stages', s, 'id'], `duplicate stage id '${stage.id}' in pipeline '${pipeline.id}'`);
      seen.add(stage.id);
      if (stage.kind !== 'subpipeline') return;
      if (stage.pipeline === pipeline.id)
        fail(['pipelines', p, 'stages', s, 'pipeline'], `subpipeline stage '${stage.id}' names its own pipeline '${pipeline.id}'`);
      if (!pipelineIndex.has(stage.pipeline)) fail(['pipelines', p, 'stages', s, 'pipeline'], `unknown pipeline '${stage.pipeline}'`);
    });
  });
  // Cycles through more than one pipeline: depth-first search over subpipeline edges.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): void => {
    state.set(id, 'visiting');
    const p = pipelineIndex.get(id)!;
    config.pipelines[p]!.stages.forEach((stage, s) => {
      if (stage.kind !== 'subpipeline') return;
      const mark = state.get(stage.pipeline);
      if (mark === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(stage.pipeline)), id, stage.pipeline];
        fail(['pipelines', p, 'stages', s, 'pipeline'], `subpipeline cycle ${cycle.join(' -> ')}`);
      }
      if (mark === undefined) visit(stage.pipeline, [...trail, id]);
    });
    state.set(id, 'done');
  };
  for (const pipeline of config.pipelines) if (!state.has(pipeline.id)) visit(pipeline.id, []);
  if (config.defaultPipeline !== undefined && !pipelineIndex.has(config.defaultPipeline)) {
    fail(['defaultPipeline'], `unknown pipeline '${config.defaultPipeline}'`);
  }
}

/** The config's zod schemas: loaded only when a file needs them (src/runtime/module-loads.ts). */
const loadSchema = () => loadModule(() => import('./schema.js'));

export async function loadConfig(fs: FileSink, root: string): Promise<OrchestratorConfig> {
  const path = join(root, CONFIG_FILE);
  const raw = await readJsonFile(fs, path, CONFIG_FILE, MAX_INPUT_BYTES);
  if (raw === undefined) throw new InputError(`${CONFIG_FILE}: not found in ${root}`);
  // A plainly valid config needs no zod; any other is validated (and its problems worded) by the schema.
  const config = plainConfig(raw) ?? validateWith((await loadSchema()).configSchema, raw, CONFIG_FILE);
  checkReferences(config, CONFIG_FILE);
  checkStageDirectories(config, root, CONFIG_FILE);
  return config;
}

/** The named pipeline, else `defaultPipeline`, else `diagnostics`. */
export function selectPipeline(config: OrchestratorConfig, requested: string | undefined): Pipeline {
  const id = requested ?? config.defaultPipeline ?? (config.pipelines.some((p) => p.id === 'diagnostics') ? 'diagnostics' : undefined);
  if (id === undefined) {
    throw new InputError(`${CONFIG_FILE}: no pipeline named, no defaultPipeline and no 'diagnostics' pipeline`);
  }
  const pipeline = config.pipelines.find((p) => p.id === id);
  if (!pipeline) {
    const known = config.pipelines.map((p) => p.id).join(', ') || 'none';
    throw new InputError(`unknown pipeline '${id}' (${CONFIG_FILE} defines: ${known})`);
  }
  return pipeline;
}

export function findPipeline(config: OrchestratorConfig, id: string): Pipeline {
  const pipeline = config.pipelines.find((p) => p.id === id);
  if (!pipeline) throw new InputError(`unknown pipeline '${id}' in ${CONFIG_FILE}`);
  return pipeline;
}

export const TASKS_INDEX_FILE = 'tasks/index.json';

export async function loadTaskInfo(fs: FileSink, root: string, taskId: string): Promise<TaskInfo | undefined> {
  const raw = await readJsonFile(fs, join(root, TASKS_INDEX_FILE), TASKS_INDEX_FILE, MAX_INPUT_BYTES);
  if (raw === undefined) return undefined;
  const index = validateWith((await loadSchema()).tasksIndexSchema, raw, TASKS_INDEX_FILE);
  return index.items.find((item) => item.id === taskId);
}
