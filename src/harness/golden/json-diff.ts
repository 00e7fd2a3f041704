// Differences between two JSON values, by JSON path, for a reviewer to read.
import { formatJsonPath } from '../../config/json-file.js';

export type JsonChange = { path: string; old: unknown; new: unknown; kind: 'changed' | 'added' | 'removed' };

const MISSING = Symbol('missing');

function walk(a: unknown, b: unknown, path: PropertyKey[], out: JsonChange[]): void {
  if (Object.is(a, b)) return;
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  const bothObjects = !bothArrays && a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
  if (bothArrays) {
    const x = a as unknown[];
    const y = b as unknown[];
    for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
      walk(i < x.length ? x[i] : MISSING, i < y.length ? y[i] : MISSING, [...path, i], out);
    }
    return;
  }
  if (bothObjects) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keysA = Object.keys(x);
    const keysB = Object.keys(y);
    for (const key of keysA) walk(x[key], key in y ? y[key] : MISSING, [...path, key], out);
    for (const key of keysB) if (!(key in x)) walk(MISSING, y[key], [...path, key], out);
    // Key order is part of the byte contract: report a reordering that changes nothing else.
    const common = keysA.filter((k) => k in y);
    const commonB = keysB.filter((k) => k in x);
    if (common.join('\u0000') !== commonB.join('\u0000')) {
      out.push({ path: `${formatJsonPath(path)} (key order)`, old: common, new: commonB, kind: 'changed' });
    }
    return;
  }
  if (a === MISSING) out.push({ path: formatJsonPath(path), old: undefined, new: b, kind: 'added' });
  else if (b === MISSING) out.push({ path: formatJsonPath(path), old: a, new: undefined, kind: 'removed' });
  else out.push({ path: formatJsonPath(path), old: a, new: b, kind: 'changed' });
}

export function diffJson(oldValue: unknown, newValue: unknown): JsonChange[] {
  const out: JsonChange[] = [];
  walk(oldValue, newValue, [], out);
  return out;
}

function short(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

export function formatJsonChange(change: JsonChange, prefix = ''): string {
  const path = `${prefix}${change.path === '(root)' && prefix ? '' : change.path}`;
  if (change.kind === 'added') return `${path}: added ${short(change.new)}`;
  if (change.kind === 'removed') return `${path}: removed (was ${short(change.old)})`;
  return `${path}: ${short(change.old)} -> ${short(change.new)}`;
}
