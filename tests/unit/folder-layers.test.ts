// The core's folders form layers: no folder imports one that imports it back, the run layout
// is pure (paths and ids), and manifest/, persist/ and metrics/ never reach up into run/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const folderOf = (path: string) => relative(SRC, path).split('/')[0]!;

/** `from-folder -> to-folder` for every static relative import between two folders of src/. */
function folderEdges(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = resolve(dirname(file), match[1]!);
      const [a, b] = [folderOf(file), folderOf(target)];
      if (a === b || !b || b.endsWith('.js')) continue;
      const key = `${a} -> ${b}`;
      edges.set(key, [...(edges.get(key) ?? []), relative(SRC, file)]);
    }
  }
  return edges;
}

describe('folder layers of src/', () => {
  const edges = folderEdges();

  // Bottom to top: a folder may import only folders listed before it (README, "Layout and seams").
  const LAYERS = [
    'runtime',
    'config',
    'cloud',
    'layout',
    'manifest',
    'outcome',
    'privacy',
    'events',
    'persist',
    'metrics',
    'run',
    'commands',
    'cli',
    'harness',
  ];

  it('every folder of src/ has a layer, and every import points down', () => {
    const folders = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
    expect(folders.filter((folder) => !LAYERS.includes(folder))).toEqual([]);
    const upward = [...edges.keys()].filter((key) => {
      const [a, b] = key.split(' -> ') as [string, string];
      return LAYERS.indexOf(b) >= LAYERS.indexOf(a);
    });
    expect(upward.map((key) => `${key}: ${edges.get(key)!.join(', ')}`)).toEqual([]);
  });

  it('no two folders import each other', () => {
    const backEdges = [...edges.keys()].filter((key) => {
      const [a, b] = key.split(' -> ');
      return edges.has(`${b} -> ${a}`);
    });
    expect(backEdges).toEqual([]);
  });

  it('the run layout imports only the lowest folders (runtime, config)', () => {
    const fromLayout = [...edges.keys()].filter((key) => key.startsWith('layout -> ')).sort();
    expect(fromLayout).toEqual(['layout -> config', 'layout -> runtime']);
  });

  it('manifest/, persist/ and metrics/ never import run/', () => {
    const upward = [...edges.keys()].filter((key) => /^(manifest|persist|metrics) -> run$/.test(key));
    expect(upward.map((key) => `${key}: ${edges.get(key)!.join(', ')}`)).toEqual([]);
  });
});
