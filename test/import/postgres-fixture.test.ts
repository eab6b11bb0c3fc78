// The test PostgreSQL fixture finds its binaries, or says clearly that they are missing.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBinaries } from '../support/postgres.ts';

describe('test PostgreSQL fixture', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pg-bins-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fakeBinaries(folder: string): void {
    mkdirSync(folder, { recursive: true });
    for (const name of ['initdb', 'postgres']) {
      writeFileSync(join(folder, name), '#!/bin/sh\n');
      chmodSync(join(folder, name), 0o755);
    }
  }

  it('takes PATH first, then the newest /usr/lib/postgresql/<major>/bin', () => {
    const lib = join(dir, 'lib');
    fakeBinaries(join(lib, '9.6', 'bin'));
    fakeBinaries(join(lib, '16', 'bin'));
    fakeBinaries(join(lib, '15', 'bin'));
    assert.deepEqual(findPostgresBinaries({ PATH: '' }, lib), {
      initdb: join(lib, '16', 'bin', 'initdb'),
      postgres: join(lib, '16', 'bin', 'postgres'),
    });
    fakeBinaries(join(dir, 'on-path'));
    assert.equal(
      findPostgresBinaries({ PATH: join(dir, 'on-path') }, lib).initdb,
      join(dir, 'on-path', 'initdb'),
    );
  });

  it('fails with a clear message when there are none', () => {
    assert.throws(
      () => findPostgresBinaries({ PATH: join(dir, 'empty') }, join(dir, 'no-lib')),
      /initdb and postgres\) were found neither on PATH nor in .*no-lib\/<major>\/bin\. Install them \(Debian: apt-get install postgresql/,
    );
  });
});
