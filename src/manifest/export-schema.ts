// Exports the manifest's zod schema as JSON Schema (schemas/manifest.schema.json).
// `--write` regenerates the file; `--check` exits 1 when the committed file is not current.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { manifestSchema } from './schema.js';

export const SCHEMA_FILE = 'schemas/manifest.schema.json';

export function manifestJsonSchema(): string {
  const schema = z.toJSONSchema(manifestSchema, { target: 'draft-2020-12' });
  const doc = {
    $schema: schema.$schema,
    $id: 'https://codex-orchestrator.local/schemas/manifest.schema.json',
    title: 'codex-orchestrator run manifest (version 1)',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function main(argv: string[]): number {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const path = resolve(root, SCHEMA_FILE);
  const text = manifestJsonSchema();
  if (argv.includes('--write')) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
    return 0;
  }
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = '';
  }
  if (current !== text) {
    process.stderr.write(`${SCHEMA_FILE} is not current with src/manifest/schema.ts: run \`npm run schema\` and commit the result\n`);
    return 1;
  }
  process.stdout.write(`${SCHEMA_FILE} is current\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
