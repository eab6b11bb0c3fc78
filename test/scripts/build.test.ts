import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { commonJsShim } from '../../scripts/build.ts';

describe('bundling (scripts/build.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps only zod’s English messages, and zod still validates and explains in English', async () => {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import * as z from 'zod';
const result = z.object({ name: z.string() }).safeParse({ name: 1 });
console.log(JSON.stringify({ locales: Object.keys(z.locales), message: result.error?.issues[0]?.message }));
`,
    );
    const outfile = join(dir, 'out.cjs');
    await build({
      ...commonJsShim,
      entryPoints: [entry],
      outfile,
      target: 'node22',
      nodePaths: [join(import.meta.dirname, '..', '..', 'node_modules')],
    });
    const bundle = readFileSync(outfile, 'utf8');
    assert.ok(!bundle.includes('Ungültige Eingabe'), 'the German locale is bundled');
    const printed = JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8' })) as {
      locales: string[];
      message: string;
    };
    assert.deepEqual(printed.locales, ['en']);
    assert.equal(printed.message, 'Invalid input: expected string, received number');
  });
});
