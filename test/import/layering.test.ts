// The importer runs once, when moving from the Python agent: it lives in import/ and uses the
// product, never the other way round, so it can be dropped without touching core/, adapters/ or flows/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const IMPORTER = join(ROOT, 'import');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The relative module paths a file imports (static and dynamic). */
function importedPaths(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map(
    (match) => match[1] as string,
  );
  return specifiers.map((specifier) => resolve(dirname(file), specifier));
}

describe('the importer stays out of the product', () => {
  it('the importer is in import/ and uses core/', () => {
    const files = sourceFiles(IMPORTER);
    assert.ok(files.length >= 5, `import/ holds ${files.length} files`);
    const usesCore = files.some((file) =>
      importedPaths(file).some((path) => path.startsWith(join(ROOT, 'core') + '/')),
    );
    assert.ok(usesCore, 'no file of import/ imports core/: the scan reads no imports');
  });

  for (const layer of ['core', 'adapters', 'flows']) {
    it(`nothing in ${layer}/ imports from import/`, () => {
      const offenders = sourceFiles(join(ROOT, layer)).flatMap((file) =>
        importedPaths(file)
          .filter((path) => path.startsWith(IMPORTER + '/'))
          .map((path) => `${relative(ROOT, file)} → ${relative(ROOT, path)}`),
      );
      assert.deepEqual(offenders, []);
    });
  }
});
