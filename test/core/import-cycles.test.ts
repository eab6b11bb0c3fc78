// core/ is layered: the domain model and the gate registry below, the renderings (cards, views) above.
// An import cycle among its files means a lower layer reaches up (as core/model.ts once imported the
// gate details from the Slack cards), so any cycle fails here, type-only imports included.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const CORE = join(import.meta.dirname, '..', '..', 'core');

/** The core/ files a file imports or re-exports (static, type-only and dynamic). */
function coreImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom|\bimport\(?)\s*'(\.[^']+)'/g)].map(
    (match) => match[1] as string,
  );
  return specifiers
    .map((specifier) => resolve(dirname(file), specifier))
    .filter((path) => dirname(path) === CORE)
    .map((path) => basename(path));
}

/** Every cycle found by a depth-first walk, each as the files along it (first file repeated at the end). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): void => {
    const at = path.indexOf(node);
    if (at >= 0) {
      cycles.push([...path.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) visit(node);
  return cycles;
}

describe('core/ has no import cycle', () => {
  const files = readdirSync(CORE).filter((name) => /\.tsx?$/.test(name));
  const graph = new Map(files.map((name) => [name, coreImports(join(CORE, name))]));

  it('reads the imports of core/ (the scan is not blind)', () => {
    assert.ok(files.length >= 20, `core/ holds ${files.length} files`);
    assert.ok(graph.get('gate-cards.ts')?.includes('gate-registry.ts'));
    assert.ok(graph.get('gates.ts')?.includes('gate-registry.ts'), 'a re-export counts as an import');
  });

  it('finds a cycle when there is one', () => {
    const cycles = findCycles(
      new Map([
        ['a.ts', ['b.ts']],
        ['b.ts', ['c.ts']],
        ['c.ts', ['a.ts']],
        ['d.ts', ['a.ts']],
      ]),
    );
    assert.deepEqual(cycles, [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });

  it('no file of core/ imports, even for types, a file that imports it back', () => {
    assert.deepEqual(
      findCycles(graph).map((cycle) => cycle.join(' → ')),
      [],
    );
  });

  it('the domain model imports no other core/ file', () => {
    assert.deepEqual(graph.get('model.ts'), []);
  });
});
