// The import against a real PostgreSQL server holding the Python agent's schema and data
// (test/fixtures/python-agent/*.sql) and the real Table Storage adapter on Azurite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgresSource } from '../../import/sources/postgres-source.ts';
import type { ImportSource, SourceItem } from '../../import/sources/source.ts';
import type { Store } from '../../adapters/store/store.ts';
import { AZURITE_KEY } from '../../sandbox/azurite.ts';
import { freePort } from '../../sandbox/ports.ts';
import { createDecision } from '../../core/gates.ts';
import type { ReleaseRow } from '../../import/mapping.ts';
import type { ArchivedRelease, Decision, StagingRelease, Thread } from '../../core/model.ts';
import { decisionIdFor } from '../../flows/gate-requests.ts';
import { formatReport, type ImportReport, importExitCode, importState } from '../../import/import-state.ts';
import { main } from '../../import/cli.ts';
import { type RunningPostgres, startPostgres } from '../support/postgres.ts';
import {
  azuriteConnectionString,
  type CliRun,
  capturingIo,
  FIXTURES,
  JIRA,
  runCliProcess,
  snapshot,
  tableStore,
  uniquePrefix,
} from './import-kit.ts';

const PASSWORD = 'S3cret-pa55word';
const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

/** The rows every full import of data.sql reports as invalid, by table and key. */
const INVALID_KEYS = [
  ['archived_releases', 'repo="Billo.Beta", version="1.0.0-beta"'],
  ['archived_releases', 'repo="Billo.Platform.Payment", version="v1.7.1"'],
  ['archived_releases', 'repo="Billo.Text", version="1.0.0"'],
  ['archived_releases', 'repo="Billo\\\\Back", version="1.0.0"'],
  ['archived_releases', 'repo="Billo\\tTab", version="1.0.0"'],
  ['staging_releases', 'repo="Billo#Hash"'],
  ['staging_releases', 'repo="Billo.NoKey"'],
  ['staging_releases', 'repo="Billo.Number"'],
  ['staging_releases', 'repo="Billo.Short"'],
  ['agent_threads', 'thread_id="bad-empty-repo"'],
  ['agent_threads', 'thread_id="bad-merge-no-commit"'],
  ['agent_threads', 'thread_id="bad-release-version"'],
  ['agent_threads', 'thread_id="bad-repo-slash"'],
  ['agent_threads', 'thread_id="bad-state-list"'],
  ['agent_threads', 'thread_id="bad-state-string"'],
  ['agent_threads', 'thread_id="bad-unknown-gate"'],
];

function counts(report: ImportReport) {
  return Object.fromEntries(
    Object.entries(report.counts).map(([collection, c]) => [
      collection,
      [c.read, c.created, c.overwritten, c.unchanged, c.conflicts, c.invalid],
    ]),
  );
}

function conflictKeys(report: ImportReport) {
  return report.conflicts.map((conflict) => [conflict.collection, conflict.key, conflict.outcome]);
}

/** The source without the 2,000 generated releases, for scenarios about a handful of rows. */
function withoutBulk(source: ImportSource): ImportSource {
  return {
    description: source.description,
    count: async () => undefined,
    threads: () => source.threads(),
    stagingReleases: () => source.stagingReleases(),
    async *archivedReleases(): AsyncIterable<SourceItem<ReleaseRow>> {
      for await (const item of source.archivedReleases()) {
        if ('row' in item && String(item.row.repo).startsWith('Billo.Bulk')) continue;
        yield item;
      }
    },
    close: () => source.close(),
  };
}

describe('import from the Python agent database (PostgreSQL → Table Storage)', function () {
  // Starting PostgreSQL and the one full import through the CLI take seconds on a busy machine.
  this.timeout(60_000);
  let server: RunningPostgres;

  const runImport = async (
    store: Store,
    options: { dryRun?: boolean; overwrite?: boolean; bulk?: boolean } = {},
  ) => {
    const opened = await openPostgresSource({ dsn: server.url('agent', PASSWORD) });
    const source = options.bulk === false ? withoutBulk(opened) : opened;
    try {
      return await importState(source, { store }, { jiraBaseUrl: JIRA, ...options });
    } finally {
      await source.close();
    }
  };

  before(async () => {
    server = await startPostgres();
    await server.sql('CREATE DATABASE agent');
    await server.sql(readFileSync(join(FIXTURES, 'schema.sql'), 'utf8'), 'agent');
    await server.sql(readFileSync(join(FIXTURES, 'data.sql'), 'utf8'), 'agent');
    // An older or foreign database: one table, one column short.
    await server.sql('CREATE DATABASE partial');
    await server.sql('CREATE TABLE agent_threads (thread_id TEXT PRIMARY KEY, graph_name TEXT)', 'partial');
  });

  after(async () => {
    await server?.stop();
  });

  describe('a dry run', () => {
    it('reports what would be written, every conflict and bad row, and writes nothing', async () => {
      const tablePrefix = uniquePrefix();
      const store = tableStore(tablePrefix);
      // Something stored already: the snapshot has rows, and the dry run has a conflict to report.
      await store.threads.createIfAbsent(storedThread({ id: 'pr-90-done', state: { title: 'edited here' } }));
      const before = await snapshot(tablePrefix);
      assert.equal(before.Threads?.length, 1);

      const report = await runImport(store, { dryRun: true });

      assert.deepEqual(await snapshot(tablePrefix), before, 'not one entity written or changed');
      assert.deepEqual(counts(report), {
        archived: [2008, 2003, 0, 0, 0, 5],
        staging: [9, 4, 0, 0, 1, 4],
        threads: [17, 9, 0, 0, 1, 7],
        decisions: [6, 6, 0, 0, 0, 0],
      });
      assert.deepEqual(conflictKeys(report), [
        ['staging', 'repo="Billo.Platform.Legacy"', 'immutable'],
        ['threads', 'thread_id="pr-90-done"', 'kept'],
      ]);
      assert.deepEqual(
        report.problems.map((problem) => [problem.table, problem.key]),
        INVALID_KEYS,
      );
      assert.equal(importExitCode(report), 1);
    });
  });

  describe('an import run with the CLI', () => {
    const tablePrefix = uniquePrefix();
    let run: CliRun;
    let store: Store;

    before(async () => {
      store = tableStore(tablePrefix);
      run = await runCliProcess(
        [
          '--from',
          'postgres',
          '--dsn',
          server.url('agent', PASSWORD),
          '--table-prefix',
          tablePrefix,
          '--jira-base-url',
          JIRA,
        ],
        { STORAGE_CONNECTION_STRING: azuriteConnectionString() },
      );
    });

    it('exits 1 for the skipped rows and prints counts, keys and progress, but no secret', () => {
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /archived releases\s+2008\s+2003\s+0\s+0\s+0\s+5\n/);
      assert.match(run.stdout, /staging releases\s+9\s+4\s+0\s+0\s+1\s+4\n/);
      assert.match(run.stdout, /threads\s+17\s+10\s+0\s+0\s+0\s+7\n/);
      assert.match(run.stdout, /pending decisions\s+6\s+6\s+0\s+0\s+0\s+0\n/);
      for (const [table, key] of INVALID_KEYS)
        assert.ok(run.stdout.includes(`${table} [${key}]`), `${table} [${key}]`);
      assert.match(run.stdout, /17 rows were skipped/);
      assert.match(run.stdout, /postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1/);
      assert.match(run.stderr, /archived_releases: 1000\/2008 rows/);
      assert.match(run.stderr, /agent_threads: 17\/17 rows \(created 10/);
      for (const secret of [PASSWORD, AZURITE_KEY]) {
        assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'a secret was printed');
      }
    });

    it('stores the threads with our kind and status names', async () => {
      const byId = async (id: string) => {
        const thread = await store.threads.get(id);
        assert.ok(thread, id);
        return thread;
      };
      assert.deepEqual(await byId('pr-101-merge'), {
        id: 'pr-101-merge',
        kind: 'pr',
        repo: 'Billo.Platform.Payment',
        prId: 101,
        status: 'waiting',
        state: {
          pythonAgent: {
            graphName: 'pr_completed',
            status: 'interrupted',
            state: {
              pending_approval: 'merge_pr',
              last_merge_source_commit: COMMIT,
              pr_title: 'ALLPOST-11 Login page',
              author: 'Jane Doe',
              ticket_id: 'ALLPOST-11',
              review: { summary: 'Looks good.', findings: [{ file: '/app.py', line: 3 }] },
            },
          },
        },
        slackMessageTs: '1716800000.000100',
        createdAt: '2024-05-27T09:00:00.000Z',
        updatedAt: '2024-05-27T09:05:00.000Z',
      });
      const expected: [string, Thread['kind'], Thread['status']][] = [
        ['pr-102-merge-nested', 'pr', 'waiting'],
        ['rel-doc-create', 'release', 'waiting'],
        ['rel-pay-merge', 'release', 'waiting'],
        ['rel-web-pipelines', 'release', 'waiting'],
        ['cycle-pay-prod', 'release', 'waiting'],
        ['pr-90-done', 'pr', 'done'],
        ['pr-91-failed', 'pr', 'failed'],
        ['rel-cancelled', 'release', 'cancelled'],
        ['cycle-running', 'pr', 'running'],
      ];
      for (const [id, kind, status] of expected) {
        const thread = await byId(id);
        assert.deepEqual([thread.kind, thread.status], [kind, status], id);
      }
      assert.equal(await store.threads.get('bad-repo-slash'), undefined, 'a bad row is not imported');
      assert.deepEqual((await store.threads.listByStatus('waiting')).map((thread) => thread.id).sort(), [
        'cycle-pay-prod',
        'pr-101-merge',
        'pr-102-merge-nested',
        'rel-doc-create',
        'rel-pay-merge',
        'rel-web-pipelines',
      ]);
    });

    it('asks each waiting thread its question again: one pending decision with its gate target', async () => {
      const pending = await store.decisions.listPending();
      const byThread = new Map(pending.map((decision) => [decision.threadId, decision]));
      assert.equal(pending.length, 6);
      assert.deepEqual(
        Object.fromEntries([...byThread].map(([thread, decision]) => [thread, decision.target])),
        {
          'pr-101-merge': {
            gate: 'merge_pr',
            repo: 'Billo.Platform.Payment',
            prId: 101,
            sourceCommit: COMMIT,
          },
          'pr-102-merge-nested': {
            gate: 'merge_pr',
            repo: 'Billo.Platform.Document',
            prId: 102,
            sourceCommit: 'b0000000000000000000000000000000000000ff',
          },
          'rel-doc-create': {
            gate: 'create_release_pr',
            repo: 'Billo.Platform.Document',
            version: '2.4.0',
            approvalId: 'imported:rel-doc-create:create_release_pr',
          },
          'rel-pay-merge': {
            gate: 'merge_release_pr',
            repo: 'Billo.Platform.Payment',
            version: '1.8.0',
            approvalId: 'imported:rel-pay-merge:merge_release_pr',
            prId: 555,
          },
          'rel-web-pipelines': {
            gate: 'run_pipelines',
            repo: 'Billo.Web',
            version: '3.0.1',
            approvalId: 'imported:rel-web-pipelines:run_pipelines',
            pipelines: ['Billo.Web-CI', 'Billo.Web-CD'],
          },
          'cycle-pay-prod': {
            gate: 'approve_stage',
            repo: 'Billo.Platform.Payment',
            version: '1.7.2',
            approvalId: '4711',
            stage: 'production',
          },
        },
      );
      for (const decision of pending) {
        assert.equal(decision.id, decisionIdFor(decision.target), 'the id every other path derives for it');
        assert.equal(decision.status, 'pending');
        assert.ok(decision.nonce.length >= 16);
      }
      assert.equal(new Set(pending.map((decision) => decision.nonce)).size, 6, 'a fresh nonce each');
      const merge = byThread.get('pr-101-merge');
      assert.equal(merge?.createdAt, '2024-05-27T09:05:00.000Z');
      assert.equal(merge?.details?.gate === 'merge_pr' && merge.details.prTitle, 'ALLPOST-11 Login page');
    });

    it('stores the staging releases with their tickets', async () => {
      const tickets = (staging: StagingRelease | undefined) =>
        staging?.tickets.map((ticket) => [ticket.key, ticket.summary, ticket.prIds]);
      const payment = await store.staging.get('Billo.Platform.Payment');
      assert.equal(payment?.version, '1.8.1');
      assert.equal(payment?.startedAt, '2024-05-25T08:00:00.000Z');
      assert.deepEqual(tickets(payment), [
        ['ALLPOST-21', 'Fix rounding', [120, 122]],
        ['ALLPOST-22', 'Refunds', [119, 121]],
      ]);
      const document = await store.staging.get('Billo.Platform.Document');
      assert.equal(document?.version, '2.4.0');
      assert.deepEqual(tickets(document), [
        ['ALLPOST-30', '', []],
        ['ALLPOST-31', 'Archive', [5]],
      ]);
      assert.deepEqual(tickets(await store.staging.get('Billo.Web')), [['ALLPOST-40', 'Dark mode', [140]]]);
      assert.deepEqual(tickets(await store.staging.get('Billo.Api')), [
        ['ALLPOST-50', 'Rate limits', [150]],
        ['ALLPOST-51', 'Docs', []],
      ]);
      assert.equal(await store.staging.get('Billo.Platform.Legacy'), undefined, 'its version is archived');
      assert.equal(await store.staging.get('Billo.Number'), undefined);
    });

    it('stores the archived history, the 2,000 generated releases included', async () => {
      const history = await store.releases.list('Billo.Platform.Payment');
      assert.deepEqual(
        history.map((release) => release.version),
        ['1.7.1', '1.7.0'],
        'newest first; v1.7.1 was a duplicate',
      );
      const first = history[1] as ArchivedRelease;
      assert.deepEqual(first, {
        repo: 'Billo.Platform.Payment',
        version: '1.7.0',
        startedAt: '2024-03-01T08:00:00.000Z',
        releasedAt: '2024-03-05T12:00:00.000Z',
        tickets: [
          {
            key: 'ALLPOST-1',
            summary: 'Payments v1',
            prIds: [10],
            bump: 'patch',
            addedAt: '2024-03-01T08:00:00.000Z',
          },
        ],
        notes:
          '## Billo.Platform.Payment 1.7.0\n\nReleased 2024-03-05.\n\n' +
          '- [ALLPOST-1](https://jira.example/browse/ALLPOST-1): Payments v1 (PR !10)\n',
        gates: [],
      });
      let bulk = 0;
      for (const repo of ['Billo.Bulk0', 'Billo.Bulk1', 'Billo.Bulk2', 'Billo.Bulk3']) {
        bulk += (await store.releases.list(repo)).length;
      }
      assert.equal(bulk, 2000);
      const latest = await store.releases.latest('Billo.Bulk0');
      assert.equal(latest?.version, '1.2000.0');
      assert.deepEqual(
        latest?.tickets.map((ticket) => [ticket.key, ticket.prIds]),
        [['BULK-2000', [2000]]],
      );
      assert.equal(await store.releases.get('Billo.Beta', '1.0.0-beta'), undefined);
    });

    it('a second run reports every row unchanged and writes nothing', async () => {
      const before = await snapshot(tablePrefix);
      const report = await runImport(store);
      assert.deepEqual(counts(report), {
        archived: [2008, 0, 0, 2003, 0, 5],
        staging: [9, 0, 0, 4, 1, 4],
        threads: [17, 0, 0, 10, 0, 7],
        decisions: [6, 0, 0, 6, 0, 0],
      });
      assert.deepEqual(await snapshot(tablePrefix), before, 'same entities, same ETags');
    });
  });

  describe('conflicts', () => {
    it('are reported and left alone, then replaced with --overwrite, except archived releases', async () => {
      const tablePrefix = uniquePrefix();
      const store = tableStore(tablePrefix);
      const editedThread = storedThread({ id: 'pr-90-done', state: { title: 'edited here' } });
      const movedOn = storedThread({
        id: 'rel-doc-create',
        kind: 'release',
        repo: 'Billo.Platform.Document',
        status: 'waiting',
      });
      const stale = staleDecision('rel-doc-create');
      const otherStaging: StagingRelease = {
        repo: 'Billo.Web',
        version: '3.0.0',
        startedAt: '2024-05-01T00:00:00.000Z',
        updatedAt: '2024-05-01T00:00:00.000Z',
        tickets: [
          {
            key: 'ALLPOST-99',
            summary: 'Other',
            prIds: [99],
            bump: 'patch',
            addedAt: '2024-05-01T00:00:00.000Z',
          },
        ],
      };
      const otherArchive: ArchivedRelease = {
        repo: 'Billo.Platform.Payment',
        version: '1.7.0',
        startedAt: '2024-03-01T08:00:00.000Z',
        releasedAt: '2024-03-05T12:00:00.000Z',
        tickets: [],
        notes: 'Hand-written notes',
        gates: [],
      };
      await store.threads.createIfAbsent(editedThread);
      await store.threads.createIfAbsent(movedOn);
      await store.decisions.createIfAbsent(stale);
      await store.staging.update('Billo.Web', () => otherStaging);
      await store.releases.archive(otherArchive);

      const kept = await runImport(store, { bulk: false });
      assert.deepEqual(conflictKeys(kept), [
        ['archived', 'repo="Billo.Platform.Payment", version="1.7.0"', 'immutable'],
        ['staging', 'repo="Billo.Platform.Legacy"', 'immutable'],
        ['staging', 'repo="Billo.Web"', 'kept'],
        ['threads', 'thread_id="pr-90-done"', 'kept'],
        ['threads', 'thread_id="rel-doc-create"', 'kept'],
      ]);
      assert.match(
        kept.conflicts[2]?.reason ?? '',
        /version 3\.0\.0, tickets \[ALLPOST-99\]; import: version 3\.0\.1, tickets \[ALLPOST-40\]/,
      );
      const text = formatReport(kept, 'Table Storage');
      assert.match(
        text,
        /threads \[thread_id="pr-90-done"\]: stored thread differs \(slackMessageTs, state\): kept \(--overwrite replaces it\)\n/,
      );
      assert.match(
        text,
        /archived releases \[repo="Billo.Platform.Payment", version="1.7.0"\]: .*immutable: kept\n/,
      );
      assert.deepEqual(await store.threads.get('pr-90-done'), editedThread);
      assert.deepEqual(await store.threads.get('rel-doc-create'), movedOn);
      assert.deepEqual(await store.staging.get('Billo.Web'), otherStaging);
      assert.deepEqual(await store.releases.get('Billo.Platform.Payment', '1.7.0'), otherArchive);
      assert.deepEqual(
        (await store.decisions.findByThread('rel-doc-create')).map((decision) => [
          decision.id,
          decision.status,
        ]),
        [[stale.id, 'pending']],
        'no decision is added to a thread that was left alone',
      );
      assert.equal(kept.counts.decisions.created, 5);

      const replaced = await runImport(store, { bulk: false, overwrite: true });
      assert.deepEqual(conflictKeys(replaced), [
        ['archived', 'repo="Billo.Platform.Payment", version="1.7.0"', 'immutable'],
        ['staging', 'repo="Billo.Platform.Legacy"', 'immutable'],
        ['staging', 'repo="Billo.Web"', 'overwritten'],
        ['threads', 'thread_id="pr-90-done"', 'overwritten'],
        ['threads', 'thread_id="rel-doc-create"', 'overwritten'],
        ['decisions', `thread_id="rel-doc-create", decision="${stale.id}"`, 'overwritten'],
      ]);
      assert.equal(importExitCode(replaced), 1, 'the archived conflict and the bad rows remain');
      assert.equal(
        (await store.threads.getOf('pr', 'pr-90-done'))?.state.pythonAgent?.state.ticket_id,
        'ALLPOST-9',
      );
      assert.equal(
        (await store.threads.getOf('release', 'rel-doc-create'))?.state.pythonAgent?.state.awaiting,
        'create_release',
      );
      assert.deepEqual(
        (await store.staging.get('Billo.Web'))?.tickets.map((ticket) => ticket.key),
        ['ALLPOST-40'],
      );
      assert.deepEqual(
        await store.releases.get('Billo.Platform.Payment', '1.7.0'),
        otherArchive,
        'immutable',
      );
      const decisions = await store.decisions.findByThread('rel-doc-create');
      assert.deepEqual(
        decisions
          .map((decision) => [
            decision.target.gate === 'create_release_pr' && decision.target.version,
            decision.status,
          ])
          .sort(),
        [
          ['2.3.0', 'superseded'],
          ['2.4.0', 'pending'],
        ],
      );

      const again = await runImport(store, { bulk: false, overwrite: true });
      assert.deepEqual(conflictKeys(again), [
        ['archived', 'repo="Billo.Platform.Payment", version="1.7.0"', 'immutable'],
        ['staging', 'repo="Billo.Platform.Legacy"', 'immutable'],
      ]);
      assert.equal(again.counts.threads.unchanged, 10);
    });
  });

  describe('source errors', () => {
    const env = () => ({ STORAGE_CONNECTION_STRING: azuriteConnectionString() });

    async function fails(args: string[], message: RegExp) {
      const io = capturingIo(env());
      const code = await main(['--table-prefix', uniquePrefix(), ...args], io);
      assert.equal(code, 2, io.err);
      assert.match(io.err, message);
      assert.doesNotMatch(io.err, /\n\s+at /, 'no stack trace');
      assert.ok(!io.err.includes(PASSWORD) && !io.out.includes(PASSWORD), 'the password was printed');
      assert.equal(io.out, '');
      return io;
    }

    it('an unreachable server exits 2 naming the server', async () => {
      const port = await freePort();
      await fails(
        ['--from', 'postgres', '--dsn', `postgresql://agent:${PASSWORD}@127.0.0.1:${port}/agent`],
        new RegExp(`cannot reach PostgreSQL on 127\\.0\\.0\\.1:${port}: ECONNREFUSED \\(SERVICE_NETWORK\\)`),
      );
    });

    it('a database without the agent tables exits 2 naming what is missing', async () => {
      await fails(
        ['--from', 'postgres', '--dsn', server.url('partial', PASSWORD)],
        /missing column agent_threads\.repo_name, .*column agent_threads\.updated_at, table staging_releases, table archived_releases \(IMPORT_SOURCE_INVALID\)/,
      );
    });

    it('a database that does not exist exits 2', async () => {
      await fails(
        ['--from', 'postgres', '--dsn', server.url('nope', PASSWORD)],
        /database "nope" does not exist/,
      );
    });

    it('a DSN that is not a PostgreSQL URL exits 2 without quoting it', async () => {
      const io = await fails(
        ['--from', 'postgres', '--dsn', `host=db password=${PASSWORD}`],
        /not a PostgreSQL URL/,
      );
      assert.doesNotMatch(io.err, /host=db/);
    });

    it('reads the DSN from POSTGRES_DSN, as the Python agent did', async () => {
      const io = capturingIo({ ...env(), POSTGRES_DSN: server.url('agent', PASSWORD) });
      const code = await main(['--from', 'postgres', '--dry-run', '--table-prefix', uniquePrefix()], io);
      assert.equal(code, 1, io.err);
      assert.match(io.out, /dry run/);
      assert.ok(!io.out.includes(PASSWORD) && !io.err.includes(PASSWORD));
    });
  });
});

describe('import CLI usage errors', () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [[], {}, /--from is required/],
    [['--from', 'mysql'], {}, /--from must be postgres or json/],
    [
      ['--from', 'postgres'],
      { STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' },
      /needs --dsn \(or POSTGRES_DSN\)/,
    ],
    [['--from', 'json'], {}, /needs --source/],
    [
      ['--from', 'json', '--source', 'x', '--dsn', 'postgresql://a@b/c'],
      {},
      /--dsn goes with --from postgres/,
    ],
    [['--from', 'json', '--source', 'x'], {}, /no Table Storage/],
    [['--from', 'json', '--source', 'x', '--storage', 'nonsense'], {}, /has no AccountName/],
    [
      ['--from', 'json', '--source', 'x', '--table-prefix', 'bad-prefix'],
      { AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
      /--table-prefix must be letters/,
    ],
    [['--from', 'json', '--source', 'x', '--passwrd=hunter2'], {}, /Unknown option '--passwrd'/],
    [
      ['--from', 'postgres', 'postgresql://u:hunter2@db/agent'],
      {},
      /unexpected argument: every value follows its option/,
    ],
  ];
  for (const [args, env, message] of cases) {
    it(`${args.join(' ') || '(no arguments)'} exits 2: ${message.source}`, async () => {
      const io = capturingIo(env);
      assert.equal(await main(args, io), 2);
      assert.match(io.err, message);
      assert.match(io.err, /Usage:/);
      assert.doesNotMatch(io.err, /hunter2/);
    });
  }

  it('--help prints the usage and exits 0', async () => {
    const io = capturingIo({});
    assert.equal(await main(['--help'], io), 0);
    assert.match(io.out, /--from postgres\|json/);
  });

  it('runs as the package bin (npx release-agent-import): usage, and a usage error exits 2', () => {
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'release-agent-import.mjs');
    const manifest = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as {
      bin: Record<string, string>;
    };
    assert.equal(manifest.bin['release-agent-import'], 'bin/release-agent-import.mjs');
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--from postgres\|json/);
    const wrong = spawnSync(process.execPath, [bin, '--from', 'mysql'], { encoding: 'utf8' });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--from must be postgres or json/);
  });
});

function storedThread(overrides: Partial<Thread>): Thread {
  return {
    id: 't',
    kind: 'pr',
    repo: 'Billo.Platform.Payment',
    prId: 90,
    status: 'done',
    state: {},
    createdAt: '2024-05-20T09:00:00.000Z',
    updatedAt: '2024-05-20T11:00:00.000Z',
    ...overrides,
  };
}

function staleDecision(threadId: string): Decision {
  const target = {
    gate: 'create_release_pr' as const,
    repo: 'Billo.Platform.Document',
    version: '2.3.0',
    approvalId: 'approval-old',
  };
  return createDecision({
    id: decisionIdFor(target),
    threadId,
    target,
    nonce: 'stale-nonce-0123456789',
    now: new Date('2024-05-01T00:00:00Z'),
  });
}
