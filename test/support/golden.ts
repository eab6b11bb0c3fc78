// Golden files: compare a value with the JSON checked in next to the tests; UPDATE_GOLDEN=1 rewrites them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function assertGolden(actual: unknown, file: string): void {
  // Round-trip so the comparison sees exactly what the file can hold (no undefined, no functions).
  const json = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, json);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing: run the tests once with UPDATE_GOLDEN=1`);
  assert.deepEqual(JSON.parse(json), JSON.parse(readFileSync(file, 'utf8')), `differs from ${file}`);
}
