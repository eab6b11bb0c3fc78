// Release files exported as JSON (test/fixtures/python-agent/releases/) into Table Storage on Azurite.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openJsonSource } from '../../import/sources/json-source.ts';
import { importState } from '../../import/import-state.ts';
import { main } from '../../import/cli.ts';
import {
  azuriteConnectionString,
  capturingIo,
  FIXTURES,
  JIRA,
  snapshot,
  tableStore,
  uniquePrefix,
} from './import-kit.ts';

const RELEASES = join(FIXTURES, 'releases');

describe('import from release JSON files', () => {
  it('imports archived and staging releases and reports files that are not releases', async () => {
    const tablePrefix = uniquePrefix();
    const store = tableStore(tablePrefix);
    const run = async () =>
      importState(await openJsonSource({ directory: RELEASES }), { store }, { jiraBaseUrl: JIRA });

    const report = await run();
    assert.deepEqual(
      [report.counts.archived, report.counts.staging, report.counts.threads].map((c) => [
        c.read,
        c.created,
        c.invalid,
      ]),
      [
        [4, 2, 2],
        [2, 1, 1],
        [0, 0, 0],
      ],
    );
    assert.deepEqual(
      report.problems.map((problem) => [problem.table, problem.key]),
      [
        ['release_files', 'file="broken.json"'],
        ['release_files', 'file="list.json"'],
        ['staging_releases', 'file="Billo.Api-staging.json", repo="Billo.Api"'],
      ],
    );
    assert.match(report.problems[0]?.message ?? '', /not JSON/);
    assert.match(report.problems[2]?.message ?? '', /version "2.0" is not a version/);

    assert.deepEqual(await store.releases.get('Billo.Platform.Payment', '1.6.0'), {
      repo: 'Billo.Platform.Payment',
      version: '1.6.0',
      startedAt: '2024-01-02T08:00:00.000Z',
      releasedAt: '2024-01-05T12:00:00.000Z',
      tickets: [
        {
          key: 'ALLPOST-5',
          summary: 'Invoices',
          prIds: [50],
          bump: 'patch',
          addedAt: '2024-01-02T08:00:00.000Z',
        },
        {
          key: 'ALLPOST-6',
          summary: 'Credit notes',
          prIds: [51, 52],
          bump: 'patch',
          addedAt: '2024-01-02T08:00:00.000Z',
        },
      ],
      notes: '## Billo.Platform.Payment 1.6.0\n\nInvoices and credit notes.\n',
      gates: [],
    });
    const web = await store.releases.get('Billo.Web', '2.0.0');
    assert.deepEqual(
      web?.tickets.map((ticket) => [ticket.key, ticket.summary, ticket.prIds]),
      [
        ['ALLPOST-8', 'Dark mode', []],
        ['ALLPOST-9', 'Print view', [90]],
      ],
    );
    assert.match(
      web?.notes ?? '',
      /^## Billo\.Web 2\.0\.0\n\nReleased 2024-02-03\.\n\n- \[ALLPOST-8\]\(https:\/\/jira\.example\/browse\/ALLPOST-8\): Dark mode\n/,
    );
    const staging = await store.staging.get('Billo.Platform.Payment');
    assert.deepEqual(
      [
        staging?.version,
        staging?.startedAt,
        staging?.updatedAt,
        staging?.tickets.map((ticket) => ticket.key),
      ],
      ['1.6.1', '2024-01-06T08:00:00.000Z', '2024-01-07T08:00:00.000Z', ['ALLPOST-7']],
    );

    const before = await snapshot(tablePrefix);
    const again = await run();
    assert.deepEqual([again.counts.archived.unchanged, again.counts.staging.unchanged], [2, 1]);
    assert.deepEqual(await snapshot(tablePrefix), before);
  });

  it('runs from the CLI: a dry run prints the plan, writes nothing and exits 1 for the skipped files', async () => {
    const tablePrefix = uniquePrefix();
    const io = capturingIo({ STORAGE_CONNECTION_STRING: azuriteConnectionString() });
    const code = await main(
      ['--from', 'json', '--source', RELEASES, '--dry-run', '--table-prefix', tablePrefix],
      io,
    );
    assert.equal(code, 1, io.err);
    assert.match(
      io.out,
      /^Import from release files in .*releases into Table Storage at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(tables imp\w+\*\) \(dry run/,
    );
    assert.match(io.out, /archived releases\s+4\s+2\s+0\s+0\s+0\s+2\n/);
    assert.match(io.out, /release_files \[file="broken\.json"\]: not JSON/);
    assert.match(io.out, /3 rows would be skipped\./);
    const written = await snapshot(tablePrefix);
    assert.ok(
      Object.values(written).every((rows) => rows.length === 0),
      'nothing written',
    );
  });

  it('a folder that does not exist exits 2', async () => {
    const io = capturingIo({ STORAGE_CONNECTION_STRING: azuriteConnectionString() });
    const code = await main(
      ['--from', 'json', '--source', join(RELEASES, 'missing'), '--table-prefix', uniquePrefix()],
      io,
    );
    assert.equal(code, 2);
    assert.match(io.err, /release folder ".*missing" does not exist \(IMPORT_SOURCE_INVALID\)/);
  });
});
