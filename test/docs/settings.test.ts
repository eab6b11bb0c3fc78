// Every setting the README documents does something: product code reads it (not only the schema
// that parses it, nor the status check that says it is missing), and every setting the schema
// parses is documented.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { configSchema, RETIRED_SETTINGS } from '../../core/config.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** Where the product's code lives (the sandbox, tests and bench are not the product). */
const PRODUCT_DIRS = ['core', 'flows', 'functions', 'adapters', 'tasks', 'scripts', 'import'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The first column of the README's configuration table. */
function readmeSettings(readme: string): string[] {
  const start = readme.indexOf('| variable | default | meaning |');
  assert.ok(start >= 0, 'the README has no configuration table');
  const rows = readme.slice(start).split('\n').slice(2);
  const names: string[] = [];
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const match = /^\| `([A-Z][A-Z0-9_]+)`/.exec(row);
    assert.ok(match, `a configuration row that names no setting: ${row}`);
    names.push(match[1] as string);
  }
  return names;
}

/**
 * The product's code with core/config.ts's schema and its configProblems removed: what is left of
 * config.ts (loadConfig's storage fallback, the audience and URL helpers) is behaviour.
 */
function productCode(): Array<{ path: string; text: string }> {
  return PRODUCT_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir))).map((path) => {
    let text = readFileSync(path, 'utf8');
    if (relative(ROOT, path) === join('core', 'config.ts')) {
      text = cut(text, 'export const configSchema = z.object({', '\n});\n');
      text = cut(text, 'export function configProblems(', '\n}\n');
      text = cut(text, 'export const RETIRED_SETTINGS', '\n};\n');
    }
    return { path: relative(ROOT, path), text };
  });
}

function cut(text: string, from: string, to: string): string {
  const start = text.indexOf(from);
  assert.ok(start >= 0, `core/config.ts has no ${from}`);
  const end = text.indexOf(to, start);
  assert.ok(end > start, `core/config.ts: no end of ${from}`);
  return text.slice(0, start) + text.slice(end + to.length);
}

/** A read of the setting: a property access on the parsed configuration (`config.NAME`, `c.NAME`…). */
const readsOf = (name: string) => new RegExp(`\\.${name}\\b`);

describe('settings: documented, and each one read by the product', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const documented = readmeSettings(readme);
  const code = productCode();

  it('the README table lists the settings the schema parses, each once', () => {
    assert.deepEqual([...documented].sort(), Object.keys(configSchema.shape).sort());
    assert.equal(new Set(documented).size, documented.length);
  });

  for (const name of documented) {
    it(`${name} is read by product code`, () => {
      const readers = code.filter((file) => readsOf(name).test(file.text)).map((file) => file.path);
      assert.ok(readers.length > 0, `${name} is documented but only parsed: nothing reads it`);
    });
  }

  it('the check itself: a setting that is only parsed and checked for is not counted as read', () => {
    // SLACK_SIGNING_SECRET is read by the Slack route; this proves the cut leaves the schema out.
    const config = code.find((file) => file.path === join('core', 'config.ts'));
    assert.ok(config);
    assert.doesNotMatch(config.text, /JIRA_STAGING_STATUS: text\(/);
    assert.doesNotMatch(config.text, /problems\.push\('AZDO_PROJECT is not set'\)/);
  });

  it('a retired setting is neither documented as a setting nor parsed', () => {
    for (const name of Object.keys(RETIRED_SETTINGS)) {
      assert.ok(!documented.includes(name), name);
      assert.match(readme, new RegExp(`\`${name}\``), `the README says where ${name} went`);
    }
  });
});
