import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manifestJsonSchema } from '../../src/manifest/export-schema.js';

describe('schemas/manifest.schema.json', () => {
  it('is the current export of the zod schema (npm run schema regenerates it)', () => {
    expect(readFileSync(new URL('../../schemas/manifest.schema.json', import.meta.url), 'utf8')).toBe(manifestJsonSchema());
  });

  it('lists the manifest keys in contract order and forbids unknown ones', () => {
    const schema = JSON.parse(manifestJsonSchema()) as { properties: Record<string, unknown>; additionalProperties: boolean; required: string[] };
    expect(Object.keys(schema.properties)[0]).toBe('version');
    expect(Object.keys(schema.properties).at(-1)).toBe('privacy');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toHaveLength(35);
  });
});
