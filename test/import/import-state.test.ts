// The import flow's own rules over the in-memory store (same store logic as Table Storage) and a
// source made in the test: store refusals per row, fatal store failures, dry runs, progress.
import assert from 'node:assert/strict';
import type { ImportSource, SourceItem } from '../../import/sources/source.ts';
import type { EntityTable } from '../../adapters/store/entity-table.ts';
import { createMemoryStore, MemoryTables } from '../../adapters/store/memory-store.ts';
import type { ReleaseRow, ThreadRow } from '../../import/mapping.ts';
import {
  formatReport,
  type ImportProgress,
  importExitCode,
  importState,
  progressPrinter,
} from '../../import/import-state.ts';
import { JIRA } from './import-kit.ts';

function thread(id: string, overrides: Partial<ThreadRow> = {}): ThreadRow {
  return {
    thread_id: id,
    graph_name: 'release',
    repo_name: 'Billo.Web',
    pr_id: null,
    status: 'interrupted',
    state: { pending_approval: 'create_release_pr', version: '1.0.0' },
    slack_message_ts: null,
    created_at: '2024-05-01T10:00:00Z',
    updated_at: '2024-05-01T10:00:00Z',
    ...overrides,
  };
}

function source(rows: {
  threads?: ThreadRow[];
  staging?: ReleaseRow[];
  archived?: ReleaseRow[];
}): ImportSource {
  const serve = async function* <Row>(items: Row[] = []): AsyncIterable<SourceItem<Row>> {
    for (const row of items) yield { row };
  };
  return {
    description: 'test rows',
    count: async () => undefined,
    threads: () => serve(rows.threads),
    stagingReleases: () => serve(rows.staging),
    archivedReleases: () => serve(rows.archived),
    close: async () => {},
  };
}

function writesRefused(table: EntityTable): EntityTable {
  const refuse = async (): Promise<never> => {
    throw new Error(`write to ${table.name}`);
  };
  return {
    name: table.name,
    get: table.get.bind(table),
    query: table.query.bind(table),
    create: refuse,
    replace: refuse,
    delete: refuse,
    transact: refuse,
  };
}

describe('import flow', () => {
  it('reports a record the store refuses (a key too long) with its row key and goes on', async () => {
    const store = createMemoryStore();
    const longId = 'x'.repeat(600);
    const report = await importState(
      source({ threads: [thread(longId), thread('t-ok', { state: {}, status: 'running' })] }),
      { store },
      { jiraBaseUrl: JIRA },
    );
    assert.deepEqual(
      report.problems.map((problem) => [problem.table, problem.code, problem.key]),
      [['agent_threads', 'STORE_KEY_INVALID', `thread_id=${JSON.stringify(`${'x'.repeat(120)}…`)}`]],
    );
    assert.ok(await store.threads.get('t-ok'));
    assert.equal(importExitCode(report), 1);
  });

  it('stops on a store failure that is not about one row', async () => {
    const store = createMemoryStore({
      wrapTable: (table) => ({
        ...writesRefused(table),
        get: async () => {
          throw new Error('connection reset');
        },
      }),
    });
    await assert.rejects(
      importState(source({ threads: [thread('t-1'), thread('t-2')] }), { store }, { jiraBaseUrl: JIRA }),
      /connection reset/,
    );
  });

  it('a dry run with --overwrite reads conflicts but never writes', async () => {
    const memory = new MemoryTables();
    const seed = createMemoryStore({ tables: memory });
    await seed.staging.update('Billo.Web', () => ({
      repo: 'Billo.Web',
      version: '0.9.0',
      startedAt: '2024-01-01T00:00:00.000Z',
      updatedAt: '2024-01-01T00:00:00.000Z',
      tickets: [],
    }));
    // The same tables behind a store whose every write throws.
    const readOnly = createMemoryStore({ tables: memory, wrapTable: writesRefused });
    const report = await importState(
      source({
        threads: [thread('t-1')],
        staging: [
          { repo: 'Billo.Web', version: '1.0.0', started_at: '2024-05-01T00:00:00Z', tickets: ['ALLPOST-1'] },
        ],
        archived: [
          {
            repo: 'Billo.Web',
            version: '0.8.0',
            started_at: '2024-04-01T00:00:00Z',
            tickets: [],
            released_at: '2024-04-02T00:00:00Z',
          },
        ],
      }),
      { store: readOnly },
      { jiraBaseUrl: JIRA, dryRun: true, overwrite: true },
    );
    assert.deepEqual(report.problems, []);
    assert.deepEqual(
      [
        report.counts.archived.created,
        report.counts.staging.overwritten,
        report.counts.threads.created,
        report.counts.decisions.created,
      ],
      [1, 1, 1, 1],
    );
    assert.equal((await seed.staging.get('Billo.Web'))?.version, '0.9.0');
    assert.match(
      formatReport(report, 'memory'),
      /staging releases \[repo="Billo.Web"\]: stored staging release replaced \(was version 0\.9\.0, tickets \[\]\): would be overwritten/,
    );
  });
});

describe('import progress', () => {
  const progress = (done: number, total?: number): ImportProgress => ({
    table: 'archived_releases',
    done,
    total,
    counts: { read: done, created: done, overwritten: 0, unchanged: 0, conflicts: 0, invalid: 0 },
  });

  it('prints a line every N rows, after a quiet second, and at the end of a table', () => {
    const lines: string[] = [];
    let clock = 0;
    const print = progressPrinter((line) => lines.push(line), {
      everyRows: 100,
      everyMs: 1000,
      now: () => clock,
    });
    for (let done = 1; done <= 250; done++) {
      if (done === 150) clock = 1500;
      print(progress(done, 250));
    }
    assert.deepEqual(
      lines.map((line) => line.split(' rows')[0]),
      [
        'archived_releases: 100/250',
        'archived_releases: 150/250',
        'archived_releases: 200/250',
        'archived_releases: 250/250',
      ],
    );
    assert.match(lines[0] ?? '', /\(created 100, overwritten 0, unchanged 0, conflicts 0, invalid 0\)\n$/);
  });
});
