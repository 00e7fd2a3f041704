// Validates manifests the tests produce against the committed JSON Schema (what other tools
// read), and against the zod schema it was generated from.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { manifestSchema } from '../../src/manifest/schema.js';

const schemaPath = new URL('../../schemas/manifest.schema.json', import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateJson = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

/** Throws with the file and the problems when `value` is not a valid manifest. */
export function assertValidManifest(value: unknown, label = 'manifest'): void {
  if (!validateJson(value)) {
    throw new Error(`${label} does not match schemas/manifest.schema.json: ${ajv.errorsText(validateJson.errors)}`);
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${label} does not match the zod manifest schema: ${parsed.error.message}`);
}

/** Every `cli/<run>/manifest.json` under a runs directory, validated; returns how many. */
export function assertRunsDirManifestsValid(runsDir: string): number {
  let count = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name === 'manifest.json' && dir.includes(`${'/'}cli${'/'}`)) {
        assertValidManifest(JSON.parse(readFileSync(path, 'utf8')), path);
        count += 1;
      }
    }
  };
  walk(runsDir);
  return count;
}
