// One contract for every Store implementation: each test builds a fresh, empty store.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { RestError } from '@azure/data-tables';
import { ReleaseAgentError } from '../../../core/errors.ts';
import type {
  ArchivedRelease,
  AuditEntry,
  Decision,
  ReviewRecord,
  StagedTicket,
  PrThread,
  ReleaseThread,
  StagingRelease,
} from '../../../core/model.ts';
import { decodeValue } from '../../../adapters/store/codec.ts';
import type { EntityTable, TableWrapper } from '../../../adapters/store/entity-table.ts';
import { encodeKeyPart } from '../../../adapters/store/keys.ts';
import { DEFAULT_RETRY, RecordTable, type RetryPolicy } from '../../../adapters/store/records.ts';
import type { Store } from '../../../adapters/store/store.ts';

export interface StoreFactoryOptions {
  wrapTable?: TableWrapper;
  retry?: Partial<RetryPolicy>;
}

export type MakeStore = (options?: StoreFactoryOptions) => Store;

const REPO = 'billo/payments-api';
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function ticket(key: string, prId: number, summary = `Summary of ${key}`): StagedTicket {
  return { key, summary, prIds: [prId], bump: 'patch', addedAt: at(0) };
}

function staging(repo: string, tickets: StagedTicket[] = []): StagingRelease {
  return { repo, version: '1.4.0', startedAt: at(0), updatedAt: at(0), tickets };
}

/** The domain step the tests need: append a ticket (no dedupe, so a double application shows). */
function addTicket(repo: string, added: StagedTicket) {
  return (current: StagingRelease | undefined): StagingRelease => {
    const base = current ?? staging(repo);
    return { ...base, tickets: [...base.tickets, added] };
  };
}

function archived(
  repo: string,
  version: string,
  releasedAt: string,
  tickets: StagedTicket[] = [],
): ArchivedRelease {
  return { repo, version, startedAt: at(0), releasedAt, tickets, notes: `Release ${version}`, gates: [] };
}

function buildArchive(releasedAt: string) {
  return (current: StagingRelease): ArchivedRelease => ({
    repo: current.repo,
    version: current.version,
    startedAt: current.startedAt,
    releasedAt,
    tickets: current.tickets,
    notes: current.tickets.map((t) => t.key).join(', '),
    gates: [{ gate: 'approve_stage', outcome: 'approved', by: 'ana', via: 'slack', at: releasedAt }],
    tag: `v${current.version}`,
  });
}

function thread(id: string, overrides: Partial<PrThread> = {}): PrThread {
  return {
    id,
    kind: 'pr',
    repo: REPO,
    prId: 42,
    status: 'running',
    state: { title: 'ALLPOST-1 Fix the payments' },
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

function releaseThread(id: string): ReleaseThread {
  return {
    id,
    kind: 'release',
    repo: REPO,
    status: 'running',
    state: { version: '1.4.0', runId: 7 },
    createdAt: at(0),
    updatedAt: at(0),
  };
}

function decision(id: string, overrides: Partial<Decision> = {}): Decision {
  return {
    id,
    threadId: 'thread-1',
    gate: 'merge_pr',
    target: { gate: 'merge_pr', repo: REPO, prId: 42, sourceCommit: 'abc123' },
    nonce: `nonce-${id}`,
    status: 'pending',
    createdAt: at(0),
    ...overrides,
  };
}

function review(repo: string, prId: number, sourceCommit: string, createdAt: string): ReviewRecord {
  return {
    repo,
    prId,
    sourceCommit,
    verdict: 'approve',
    summary: `Review of ${repo}#${prId}`,
    findingsCount: 0,
    injectionSuspected: false,
    costUsd: 0.12,
    createdAt,
  };
}

const keysOf = (release: StagingRelease | ArchivedRelease | undefined) => release?.tickets.map((t) => t.key);

/** A lost answer, as @azure/core-rest-pipeline reports it: no status, the request may have landed. */
const lostAnswer = () => new RestError('socket hang up', { code: RestError.REQUEST_SEND_ERROR });

/** A 412 as the service answers a stale ETag. */
const preconditionFailed = () =>
  Object.assign(
    new RestError('The update condition specified in the request was not satisfied.', { statusCode: 412 }),
    {
      details: { odataError: { code: 'UpdateConditionNotSatisfied' } },
    },
  );

type TableOverrides = Partial<Omit<EntityTable, 'name'>>;

/** Overrides some calls of the tables whose name ends with `collection`; the rest pass through. */
function onTable(collection: string, overrides: (inner: EntityTable) => TableOverrides): TableWrapper {
  return (table) => {
    if (!table.name.endsWith(collection)) return table;
    return {
      name: table.name,
      get: (pk, rk) => table.get(pk, rk),
      create: (pk, rk, props) => table.create(pk, rk, props),
      replace: (pk, rk, props, etag) => table.replace(pk, rk, props, etag),
      delete: (pk, rk, etag) => table.delete(pk, rk, etag),
      transact: (pk, steps) => table.transact(pk, steps),
      query: (query) => table.query(query),
      ...overrides(table),
    };
  };
}

const hasCode =
  (code: string, fields: Record<string, unknown> = {}) =>
  (error: unknown) => {
    assert.ok(error instanceof ReleaseAgentError, `expected a ReleaseAgentError, got ${String(error)}`);
    assert.equal(error.code, code);
    for (const [name, value] of Object.entries(fields)) assert.deepEqual(error.fields[name], value);
    return true;
  };

export function runStoreContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    describe('threads', () => {
      it('creates a thread once; a second create returns the stored one untouched', async () => {
        const store = makeStore();
        const first = await store.threads.createIfAbsent(thread('t-1'));
        const second = await store.threads.createIfAbsent(thread('t-1', { status: 'failed' }));
        assert.deepEqual(first, { created: true, stored: thread('t-1') });
        assert.deepEqual(second, { created: false, stored: thread('t-1') });
        assert.deepEqual(await store.threads.get('t-1'), thread('t-1'));
        assert.equal(await store.threads.get('t-2'), undefined);
      });

      it('updates through a transition and lists by status and by pull request', async () => {
        const store = makeStore();
        await store.threads.createIfAbsent(thread('t-1'));
        await store.threads.createIfAbsent(thread('t-2', { prId: 7, createdAt: at(1) }));
        await store.threads.createIfAbsent(thread('t-3', { repo: 'other', createdAt: at(2) }));
        const updated = await store.threads.update('t-1', (current) => ({
          ...current,
          status: 'waiting',
          state: { ...current.state, reviewedCommit: 'abc' },
        }));
        assert.equal(updated.status, 'waiting');
        assert.deepEqual((await store.threads.get('t-1'))?.state, {
          title: 'ALLPOST-1 Fix the payments',
          reviewedCommit: 'abc',
        });
        assert.deepEqual(
          (await store.threads.listByStatus('running')).map((t) => t.id),
          ['t-2', 't-3'],
        );
        assert.deepEqual(
          (await store.threads.listByStatus('waiting')).map((t) => t.id),
          ['t-1'],
        );
        assert.deepEqual(
          (await store.threads.listByPullRequest(REPO, 42)).map((t) => t.id),
          ['t-1'],
        );
        assert.deepEqual(
          (await store.threads.listByPullRequest(REPO, 7)).map((t) => t.id),
          ['t-2'],
        );
      });

      it('lists the threads linked to a ticket, following updates of the link', async () => {
        const store = makeStore();
        await store.threads.createIfAbsent(thread('t-1', { state: { ticketKey: 'ALLPOST-5' } }));
        await store.threads.createIfAbsent(
          thread('t-2', { prId: 7, createdAt: at(1), state: { ticketKey: 'ALLPOST-5' } }),
        );
        await store.threads.createIfAbsent(thread('t-3', { prId: 8, createdAt: at(2) }));
        assert.deepEqual(
          (await store.threads.listByTicket('ALLPOST-5')).map((t) => t.id),
          ['t-1', 't-2'],
        );
        await store.threads.updateOf('pr', 't-2', (current) => ({
          ...current,
          state: { ticketKey: 'ALLPOST-6' },
        }));
        await store.threads.updateOf('pr', 't-3', (current) => ({
          ...current,
          state: { ticketKey: 'ALLPOST-5' },
        }));
        assert.deepEqual(
          (await store.threads.listByTicket('ALLPOST-5')).map((t) => t.id),
          ['t-1', 't-3'],
        );
        assert.deepEqual(
          (await store.threads.listByTicket('ALLPOST-6')).map((t) => t.id),
          ['t-2'],
        );
        assert.deepEqual(await store.threads.listByTicket('ALLPOST-404'), []);
      });

      it('rejects an update of a missing thread with STORE_NOT_FOUND, and one that changes the id', async () => {
        const store = makeStore();
        await assert.rejects(
          store.threads.update('nope', (current) => current),
          hasCode('STORE_NOT_FOUND', { key: 'nope' }),
        );
        await store.threads.createIfAbsent(thread('t-1'));
        await assert.rejects(
          store.threads.update('t-1', (current) => ({ ...current, id: 't-9' })),
          hasCode('INPUT_INVALID'),
        );
      });
      it('reads and changes a thread of one kind only, the state typed by that kind', async () => {
        const store = makeStore();
        const now = new Date(at(5));
        await store.threads.createIfAbsent(thread('t-1'));
        await store.threads.createIfAbsent(releaseThread('r-1'));
        assert.equal((await store.threads.getOf('pr', 't-1'))?.prId, 42);
        assert.equal((await store.threads.getOf('release', 'r-1'))?.state.version, '1.4.0');
        assert.equal(await store.threads.getOf('pr', 'nope'), undefined);
        await assert.rejects(
          store.threads.getOf('pr', 'r-1'),
          hasCode('THREAD_KIND_MISMATCH', { threadId: 'r-1', expected: 'pr', actual: 'release' }),
        );

        const changed = await store.threads.setState(
          'pr',
          't-1',
          (state) => ({ ...state, reviewedCommit: 'abc' }),
          now,
        );
        assert.deepEqual(changed, {
          ...thread('t-1'),
          state: { ...thread('t-1').state, reviewedCommit: 'abc' },
          updatedAt: at(5),
        });
        assert.deepEqual(await store.threads.get('t-1'), changed);
        // No change: nothing is written, updatedAt stays.
        const same = await store.threads.setState('pr', 't-1', () => undefined, new Date(at(9)));
        assert.equal(same.updatedAt, at(5));
        assert.equal((await store.threads.get('t-1'))?.updatedAt, at(5));

        await assert.rejects(
          store.threads.setState('pr', 'r-1', (state) => ({ ...state, verdict: 'approve' }), now),
          hasCode('THREAD_KIND_MISMATCH', { threadId: 'r-1' }),
        );
        assert.deepEqual(
          await store.threads.get('r-1'),
          releaseThread('r-1'),
          'the release thread is untouched',
        );
        await assert.rejects(
          store.threads.setState('release', 'nope', (state) => state, now),
          hasCode('STORE_NOT_FOUND', { key: 'nope' }),
        );
        await assert.rejects(
          store.threads.updateOf('release', 't-1', (current) => ({ ...current, status: 'done' })),
          hasCode('THREAD_KIND_MISMATCH', { threadId: 't-1' }),
        );
        // An id that holds a thread of the other kind is no thread of this one.
        await assert.rejects(
          store.threads.createIfAbsent(releaseThread('t-1')),
          hasCode('THREAD_KIND_MISMATCH', { threadId: 't-1', expected: 'release', actual: 'pr' }),
        );
      });

      it('reads a thread stored with `graph` (the earlier name of its kind) as its kind, and writes it back as `kind`', async () => {
        let raw: EntityTable | undefined;
        const store = makeStore({
          wrapTable: (table) => {
            if (table.name.endsWith('Threads')) raw = table;
            return table;
          },
        });
        assert.ok(raw, 'the store opened its Threads table');
        // Written as the store wrote threads before: `graph` in the record and as an index property.
        const oldRow = async (value: Record<string, unknown>, index: Record<string, string>) => {
          const address = {
            partitionKey: encodeKeyPart(String(value.id)),
            rowKey: 'thread',
            key: String(value.id),
          };
          const props = new RecordTable(raw!, DEFAULT_RETRY).rowProps(address, value, index, randomUUID());
          await raw!.create(address.partitionKey, address.rowKey, props);
        };
        const { kind: _pr, ...oldPr } = thread('old-pr', { state: { ticketKey: 'ALLPOST-7' } });
        await oldRow(
          { ...oldPr, graph: 'pr' },
          { repo: REPO, status: 'running', graph: 'pr', prId: '42', ticketKey: 'ALLPOST-7' },
        );
        const { kind: _release, ...oldRelease } = releaseThread('old-release');
        await oldRow(
          { ...oldRelease, graph: 'release' },
          { repo: REPO, status: 'running', graph: 'release' },
        );

        const pr = await store.threads.get('old-pr');
        assert.deepEqual(pr, thread('old-pr', { state: { ticketKey: 'ALLPOST-7' } }));
        assert.ok(pr && !('graph' in pr), 'no graph field is read back');
        assert.deepEqual(await store.threads.getOf('release', 'old-release'), releaseThread('old-release'));
        await assert.rejects(store.threads.getOf('pr', 'old-release'), hasCode('THREAD_KIND_MISMATCH'));
        assert.deepEqual(
          (await store.threads.listByStatus('running')).map((t) => [t.id, t.kind, 'graph' in t]),
          [
            ['old-pr', 'pr', false],
            ['old-release', 'release', false],
          ],
        );
        assert.deepEqual(
          (await store.threads.listByTicket('ALLPOST-7')).map((t) => t.kind),
          ['pr'],
        );

        await store.threads.setState(
          'pr',
          'old-pr',
          (state) => ({ ...state, verdict: 'approve' }),
          new Date(at(3)),
        );
        const row = await raw!.get(encodeKeyPart('old-pr'), 'thread');
        assert.ok(row);
        assert.equal(row.props.kind, 'pr');
        assert.equal(row.props.graph, undefined, 'the index property is written under its new name only');
        const stored = decodeValue<Record<string, unknown>>(row.props);
        assert.equal(stored?.kind, 'pr');
        assert.equal(stored && 'graph' in stored, false, 'the record is written without graph');
        assert.deepEqual(stored?.state, { ticketKey: 'ALLPOST-7', verdict: 'approve' });
      });
    });

    describe('decisions', () => {
      it('of concurrent create-if-absent calls for one id exactly one creates; all see the winner', async () => {
        const store = makeStore();
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.decisions.createIfAbsent(decision('d-1', { nonce: `n${i}` })),
          ),
        );
        const winners = results.filter((result) => result.created);
        assert.equal(winners.length, 1);
        for (const result of results) assert.deepEqual(result.stored, winners[0]!.stored);
        assert.deepEqual(await store.decisions.get('d-1'), winners[0]!.stored);
      });

      it('is decided once: of two concurrent answers exactly one wins', async () => {
        const store = makeStore();
        await store.decisions.createIfAbsent(decision('d-1'));
        const answer = (status: 'approved' | 'rejected', by: string) =>
          store.decisions.update('d-1', (current) => {
            if (current.status !== 'pending') {
              throw new ReleaseAgentError('DECISION_NOT_PENDING', 'already decided', { id: current.id });
            }
            return { ...current, status, decidedBy: by, decidedAt: at(5), decidedVia: 'slack' };
          });
        const outcomes = await Promise.allSettled([answer('approved', 'ana'), answer('rejected', 'bob')]);
        const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
        assert.equal(won.length, 1);
        assert.equal(lost.length, 1);
        assert.ok(hasCode('DECISION_NOT_PENDING')(lost[0]!.reason));
        const stored = await store.decisions.get('d-1');
        assert.equal(stored?.status, won[0]!.value.status);
        assert.equal(stored?.decidedBy, won[0]!.value.decidedBy);
      });

      it('an update from a value just read writes without reading again; from an outdated one it re-reads and loses nothing', async () => {
        let reads = 0;
        const store = makeStore({
          wrapTable: onTable('Decisions', (inner) => ({
            get: (pk, rk) => {
              reads++;
              return inner.get(pk, rk);
            },
          })),
        });
        await store.decisions.createIfAbsent(decision('d-1'));
        const read = (await store.decisions.get('d-1'))!;
        reads = 0;
        const decided = await store.decisions.update(
          'd-1',
          (current) => ({ ...current, status: 'approved', decidedBy: 'ana' }),
          { from: read },
        );
        assert.equal(reads, 0, 'the write was based on the value passed in');
        assert.equal(decided.status, 'approved');
        assert.equal((await store.decisions.get('d-1'))?.decidedBy, 'ana');

        // Someone else wrote after `stale` was read: the first write fails on its ETag, the transition
        // runs again on the newest version, and both changes are kept.
        const stale = (await store.decisions.get('d-1'))!;
        await store.decisions.update('d-1', (current) => ({ ...current, reason: 'noted by bob' }));
        reads = 0;
        const seen: (string | undefined)[] = [];
        const updated = await store.decisions.update(
          'd-1',
          (current) => {
            seen.push(current.reason);
            return { ...current, effect: { status: 'queued', at: at(6) } };
          },
          { from: stale },
        );
        assert.deepEqual(
          seen,
          [undefined, 'noted by bob'],
          'applied to the stale value, then to the fresh one',
        );
        assert.ok(reads >= 1, 'the rejected write was followed by a fresh read');
        assert.equal(updated.reason, 'noted by bob');
        assert.equal((await store.decisions.get('d-1'))?.effect?.status, 'queued');
      });

      it('lists pending decisions oldest first, by repo and gate, and finds them by thread', async () => {
        const store = makeStore();
        const release = { repo: 'web', version: '2.0.0', approvalId: 'ap-1' };
        await store.decisions.createIfAbsent(decision('d-3', { createdAt: at(3) }));
        await store.decisions.createIfAbsent(decision('d-1', { createdAt: at(1), threadId: 'thread-2' }));
        await store.decisions.createIfAbsent(
          decision('d-2', {
            createdAt: at(2),
            gate: 'create_release_pr',
            target: { gate: 'create_release_pr', ...release },
            threadId: 'thread-2',
          }),
        );
        await store.decisions.createIfAbsent(decision('d-4', { status: 'approved', createdAt: at(0) }));
        const ids = (decisions: Decision[]) => decisions.map((d) => d.id);
        assert.deepEqual(ids(await store.decisions.listPending()), ['d-1', 'd-2', 'd-3']);
        assert.deepEqual(ids(await store.decisions.listPending({ repo: 'web' })), ['d-2']);
        assert.deepEqual(ids(await store.decisions.listPending({ gate: 'merge_pr' })), ['d-1', 'd-3']);
        assert.deepEqual(
          ids(await store.decisions.listPending({ repo: REPO, gate: 'create_release_pr' })),
          [],
        );
        assert.deepEqual(ids(await store.decisions.findByThread('thread-2')), ['d-1', 'd-2']);
        await store.decisions.update('d-1', (current) => ({ ...current, status: 'superseded' }));
        assert.deepEqual(ids(await store.decisions.listPending()), ['d-2', 'd-3']);
      });
    });

    describe('staging releases', () => {
      it('lists every repo with an open staging release, and not the archived ones', async () => {
        const store = makeStore();
        await store.staging.update('web', addTicket('web', ticket('ALLPOST-7', 7)));
        await store.staging.update('api/v2#x', addTicket('api/v2#x', ticket('ALLPOST-8', 8)));
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-9', 9)));
        await store.releases.archiveFromStaging(REPO, (staging) => ({
          repo: staging.repo,
          version: staging.version,
          startedAt: staging.startedAt,
          releasedAt: staging.updatedAt,
          tickets: staging.tickets,
          notes: '',
          gates: [],
        }));
        assert.deepEqual(
          (await store.staging.list()).map((release) => release.repo),
          ['api/v2#x', 'web'],
        );
      });

      it('keeps all of 50 concurrent ticket additions to one repo', async function () {
        this.timeout(60_000);
        const store = makeStore();
        // An existing release, so every writer of the first wave replaces (a create would be 409-protected).
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        const keys = Array.from({ length: 50 }, (_, i) => `ALLPOST-${1000 + i}`);
        await Promise.all(
          keys.map((key, i) => store.staging.update(REPO, addTicket(REPO, ticket(key, i + 1)))),
        );
        const stored = await store.staging.get(REPO);
        assert.deepEqual([...(keysOf(stored) ?? [])].sort(), ['ALLPOST-1', ...keys].sort());
      });

      it('retries a write whose ETag went stale, re-applying the transition to the fresh record', async () => {
        let store: Store | undefined;
        let injected = false;
        store = makeStore({
          wrapTable: onTable('Releases', (inner) => ({
            replace: async (pk, rk, props, etag) => {
              if (!injected) {
                injected = true; // a competing writer lands between our read and our write
                await store!.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-3', 3)));
              }
              return inner.replace(pk, rk, props, etag);
            },
          })),
        });
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        injected = false;
        let calls = 0;
        const add = addTicket(REPO, ticket('ALLPOST-2', 2));
        const result = await store.staging.update(REPO, (current) => {
          calls++;
          return add(current);
        });
        assert.equal(calls, 2);
        assert.deepEqual(keysOf(result), ['ALLPOST-1', 'ALLPOST-3', 'ALLPOST-2']);
        assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-1', 'ALLPOST-3', 'ALLPOST-2']);
      });

      it("gives up before its attempts when the next wait would pass the policy's total time", async () => {
        let writes = 0;
        const store = makeStore({
          // A total already spent (-1 ms): no wait, however short its jitter, fits in it.
          retry: { maxAttempts: 10, maxTotalMs: -1, baseDelayMs: 2_000, maxDelayMs: 2_000 },
          wrapTable: onTable('Releases', () => ({
            replace: async () => {
              writes++;
              throw preconditionFailed();
            },
          })),
        });
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        const started = Date.now();
        await assert.rejects(
          store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-2', 2))),
          hasCode('STORE_CONFLICT', { key: REPO, attempts: 1 }),
        );
        assert.equal(writes, 1);
        assert.ok(Date.now() - started < 1_500, 'no wait was started');
      });

      it('gives up with STORE_CONFLICT naming the key when every write meets a change', async () => {
        let writes = 0;
        const store = makeStore({
          retry: { maxAttempts: 3, baseDelayMs: 0 },
          wrapTable: onTable('Releases', () => ({
            replace: async () => {
              writes++;
              throw preconditionFailed();
            },
          })),
        });
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        await assert.rejects(
          store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-2', 2))),
          hasCode('STORE_CONFLICT', { key: REPO, attempts: 3 }),
        );
        assert.equal(writes, 3);
        assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-1']);
      });

      for (const [outcome, error] of [
        ['the answer is lost', lostAnswer],
        ['a retried request answers 412', preconditionFailed],
      ] as const) {
        it(`recognises its own landed write when ${outcome}`, async () => {
          let fault = false;
          const store = makeStore({
            wrapTable: onTable('Releases', (inner) => ({
              replace: async (pk, rk, props, etag) => {
                const etagAfter = await inner.replace(pk, rk, props, etag);
                if (!fault) return etagAfter;
                fault = false;
                throw error();
              },
            })),
          });
          await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
          fault = true;
          let calls = 0;
          const add = addTicket(REPO, ticket('ALLPOST-2', 2));
          const result = await store.staging.update(REPO, (current) => {
            calls++;
            return add(current);
          });
          assert.equal(fault, false, 'the fault was injected');
          assert.equal(calls, 1);
          assert.deepEqual(keysOf(result), ['ALLPOST-1', 'ALLPOST-2']);
          assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-1', 'ALLPOST-2']);
        });
      }

      it('recognises its own landed write even after another writer overtook it', async () => {
        let store: Store | undefined;
        let fault = false;
        store = makeStore({
          wrapTable: onTable('Releases', (inner) => ({
            replace: async (pk, rk, props, etag) => {
              const etagAfter = await inner.replace(pk, rk, props, etag);
              if (!fault) return etagAfter;
              fault = false;
              await store!.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-3', 3)));
              throw lostAnswer();
            },
          })),
        });
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        fault = true;
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-2', 2)));
        assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-1', 'ALLPOST-2', 'ALLPOST-3']);
      });

      it('applies a write whose answer was lost before it landed exactly once', async () => {
        let fault = true;
        const store = makeStore({
          wrapTable: onTable('Releases', (inner) => ({
            create: async (pk, rk, props) => {
              if (!fault) return inner.create(pk, rk, props);
              fault = false;
              throw lostAnswer();
            },
          })),
        });
        let calls = 0;
        const add = addTicket(REPO, ticket('ALLPOST-1', 1));
        await store.staging.update(REPO, (current) => {
          calls++;
          return add(current);
        });
        assert.equal(calls, 2);
        assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-1']);
      });

      it('recognises its own landed create when the answer is lost', async () => {
        let fault = true;
        const store = makeStore({
          wrapTable: onTable('Releases', (inner) => ({
            create: async (pk, rk, props) => {
              const etag = await inner.create(pk, rk, props);
              if (!fault) return etag;
              fault = false;
              throw lostAnswer();
            },
          })),
        });
        let calls = 0;
        const add = addTicket(REPO, ticket('ALLPOST-1', 1));
        await store.staging.update(REPO, (current) => {
          calls++;
          return add(current);
        });
        assert.equal(calls, 1);
        assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-1']);
      });

      it('writes nothing when the transition returns undefined', async () => {
        let writes = 0;
        const store = makeStore({
          wrapTable: onTable('Releases', (inner) => ({
            replace: (pk, rk, props, etag) => {
              writes++;
              return inner.replace(pk, rk, props, etag);
            },
          })),
        });
        assert.equal(await store.staging.update(REPO, () => undefined), undefined);
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        const unchanged = await store.staging.update(REPO, () => undefined);
        assert.deepEqual(keysOf(unchanged), ['ALLPOST-1']);
        assert.equal(writes, 0);
        assert.equal(await store.staging.get('empty/repo'), undefined);
      });

      // Plain ASCII summaries are stored as readable JSON; escaped non-Latin text outgrows the limit and is
      // stored compressed. Either way every property written is ASCII (Azurite corrupts split UTF-8).
      for (const [variant, summary, format] of [
        [
          'ASCII',
          (i: number) => `Ticket ${i}: `.padEnd(200, `lorem ipsum ${i % 10} `).slice(0, 200),
          undefined,
        ],
        [
          'emoji and accents',
          (i: number) => `Ticket ${i} — ünïcödé `.padEnd(200, `x😀${i % 10}`).slice(0, 200),
          'gzip',
        ],
      ] as const) {
        it(`round-trips a staging release of 1,000 tickets with 200-character ${variant} summaries`, async function () {
          this.timeout(30_000);
          const written: Record<string, string>[] = [];
          const store = makeStore({
            wrapTable: onTable('Releases', (inner) => ({
              create: (pk, rk, props) => {
                written.push(props);
                return inner.create(pk, rk, props);
              },
            })),
          });
          const tickets = Array.from({ length: 1000 }, (_, i) => ({
            ...ticket(`ALLPOST-${i + 1}`, i + 1, summary(i)),
            prIds: [i + 1, i + 2001, i + 4001],
          }));
          const big = staging(REPO, tickets);
          await store.staging.update(REPO, () => big);
          assert.deepEqual(await store.staging.get(REPO), big);
          const [props] = written;
          assert.ok(props);
          assert.equal(props.format, format);
          if (format === undefined)
            assert.ok(props.data1 !== undefined, 'split across several data properties');
          assert.match(Object.values(props).join(''), /^[\x00-\x7f]*$/);
        });
      }

      it('refuses a record beyond the size limit with STORE_VALUE_TOO_LARGE naming the key', async function () {
        this.timeout(30_000);
        const store = makeStore();
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        // Random summaries: too large as JSON and still too large compressed.
        const huge = staging(
          REPO,
          Array.from({ length: 2000 }, (_, i) =>
            ticket(`ALLPOST-${i}`, i, randomBytes(225).toString('base64')),
          ),
        );
        await assert.rejects(
          store.staging.update(REPO, () => huge),
          hasCode('STORE_VALUE_TOO_LARGE', { key: REPO }),
        );
        assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-1']);
      });

      it('round-trips keys holding / \\ # ? control characters, quotes and refs', async () => {
        const store = makeStore();
        const names = [
          'org/repo',
          'a\\b#c?d',
          'refs/heads/feature/x',
          'tab\there\u0001\u007f',
          "quote'repo",
          'ümlaut 😀',
          '~7E%2F|',
        ];
        for (const [i, repo] of names.entries()) {
          await store.staging.update(repo, addTicket(repo, ticket(`ALLPOST-${i}`, i)));
          await store.threads.createIfAbsent(thread(`${repo}#thread`, { repo, prId: i }));
          await store.decisions.createIfAbsent(decision(`${repo}?decision`, { threadId: `${repo}#thread` }));
          await store.inbox.claim(`${repo}/delivery`, 60, new Date(T0));
        }
        for (const [i, repo] of names.entries()) {
          assert.deepEqual(await store.staging.get(repo), staging(repo, [ticket(`ALLPOST-${i}`, i)]));
          assert.equal((await store.threads.get(`${repo}#thread`))?.repo, repo);
          assert.deepEqual(
            (await store.threads.listByPullRequest(repo, i)).map((t) => t.id),
            [`${repo}#thread`],
          );
          assert.deepEqual(
            (await store.decisions.findByThread(`${repo}#thread`)).map((d) => d.id),
            [`${repo}?decision`],
          );
          assert.equal(await store.inbox.claim(`${repo}/delivery`, 60, new Date(T0)), false);
        }
        await assert.rejects(store.staging.get(''), hasCode('STORE_KEY_INVALID'));
        await assert.rejects(store.staging.get('x'.repeat(600)), hasCode('STORE_KEY_INVALID'));
      });

      it('deletes the staging release, only when the check holds', async () => {
        const store = makeStore();
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        assert.equal(await store.staging.delete(REPO, (current) => current.version === '9.9.9'), false);
        assert.notEqual(await store.staging.get(REPO), undefined);
        assert.equal(await store.staging.delete(REPO, (current) => current.version === '1.4.0'), true);
        assert.equal(await store.staging.get(REPO), undefined);
        assert.equal(await store.staging.delete(REPO), false);
      });
    });

    describe('archived releases', () => {
      it('are create-only: the same again is a no-op, different content is RELEASE_ARCHIVED', async () => {
        const store = makeStore();
        const release = archived(REPO, '1.4.0', at(10), [ticket('ALLPOST-1', 1)]);
        assert.deepEqual(await store.releases.archive(release), { created: true, stored: release });
        assert.deepEqual(await store.releases.archive(structuredClone(release)), {
          created: false,
          stored: release,
        });
        await assert.rejects(
          store.releases.archive({ ...release, notes: 'rewritten history' }),
          hasCode('RELEASE_ARCHIVED', { repo: REPO, version: '1.4.0' }),
        );
        await assert.rejects(
          store.releases.archive({ ...release, releasedAt: at(11) }),
          hasCode('RELEASE_ARCHIVED', { repo: REPO, version: '1.4.0' }),
        );
        assert.deepEqual(await store.releases.get(REPO, '1.4.0'), release);
        assert.deepEqual(await store.releases.list(REPO), [release]);
      });

      it('list newest first (with a limit) and latest is the newest, per repo', async () => {
        const store = makeStore();
        await store.releases.archive(archived(REPO, '1.1.0', at(20)));
        await store.releases.archive(archived(REPO, '1.0.0', at(10)));
        await store.releases.archive(archived(REPO, '1.10.0', at(30)));
        await store.releases.archive(archived('other', '9.0.0', at(40)));
        const versions = (releases: ArchivedRelease[]) => releases.map((r) => r.version);
        assert.deepEqual(versions(await store.releases.list(REPO)), ['1.10.0', '1.1.0', '1.0.0']);
        assert.deepEqual(versions(await store.releases.list(REPO, 2)), ['1.10.0', '1.1.0']);
        assert.equal((await store.releases.latest(REPO))?.version, '1.10.0');
        assert.equal(await store.releases.latest('never-released'), undefined);
        assert.deepEqual(await store.releases.list('never-released'), []);
      });

      it('archiveFromStaging archives staging and retires it; the next staging starts fresh', async () => {
        const store = makeStore();
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        const release = await store.releases.archiveFromStaging(REPO, buildArchive(at(10)));
        assert.deepEqual(keysOf(release), ['ALLPOST-1']);
        assert.deepEqual(await store.releases.get(REPO, '1.4.0'), release);
        assert.deepEqual(await store.releases.list(REPO), [release]);
        assert.equal(await store.staging.get(REPO), undefined);
        const next = await store.staging.update(REPO, (current) => {
          assert.equal(current, undefined);
          return { ...staging(REPO, [ticket('ALLPOST-2', 2)]), version: '1.4.1' };
        });
        assert.equal(next?.version, '1.4.1');
        assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-2']);
      });

      it('archiveFromStaging completes a run that stopped after writing the archive, without a duplicate', async () => {
        const store = makeStore();
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-2', 2)));
        // The crashed run: the archive is written, staging was never retired.
        const first = buildArchive(at(10))((await store.staging.get(REPO))!);
        await store.releases.archive(first);
        // The re-run builds again (a later releasedAt) and must keep the first archive.
        const rerun = await store.releases.archiveFromStaging(REPO, buildArchive(at(15)));
        assert.deepEqual(rerun, first);
        assert.deepEqual(await store.releases.list(REPO), [first]);
        assert.equal(await store.staging.get(REPO), undefined);
      });

      it('archiveFromStaging keeps staging that holds tickets missing from an archive of its version', async () => {
        const store = makeStore();
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        await store.releases.archive(buildArchive(at(10))((await store.staging.get(REPO))!));
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-2', 2)));
        await assert.rejects(
          store.releases.archiveFromStaging(REPO, buildArchive(at(15))),
          hasCode('RELEASE_ARCHIVED', { repo: REPO, version: '1.4.0' }),
        );
        assert.deepEqual(keysOf(await store.staging.get(REPO)), ['ALLPOST-1', 'ALLPOST-2']);
        assert.equal((await store.releases.list(REPO)).length, 1);
      });

      it('archiveFromStaging recognises its own landed write when the answer is lost', async () => {
        let fault = true;
        const store = makeStore({
          wrapTable: onTable('Releases', (inner) => ({
            transact: async (pk, steps) => {
              await inner.transact(pk, steps);
              if (!fault) return;
              fault = false;
              throw lostAnswer();
            },
          })),
        });
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        let builds = 0;
        const release = await store.releases.archiveFromStaging(REPO, (current) => {
          builds++;
          return buildArchive(at(10))(current);
        });
        assert.equal(fault, false, 'the fault was injected');
        assert.equal(builds, 1);
        assert.deepEqual(await store.releases.list(REPO), [release]);
        assert.equal(await store.staging.get(REPO), undefined);
      });

      it('archiveFromStaging re-builds when staging changes underneath it', async () => {
        let store: Store | undefined;
        let injected = false;
        store = makeStore({
          wrapTable: onTable('Releases', (inner) => ({
            transact: async (pk, steps) => {
              if (!injected) {
                injected = true;
                await store!.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-2', 2)));
              }
              return inner.transact(pk, steps);
            },
          })),
        });
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        let builds = 0;
        const release = await store.releases.archiveFromStaging(REPO, (current) => {
          builds++;
          return buildArchive(at(10))(current);
        });
        assert.equal(builds, 2);
        assert.deepEqual(keysOf(release), ['ALLPOST-1', 'ALLPOST-2']);
        assert.deepEqual(await store.releases.list(REPO), [release]);
        assert.equal(await store.staging.get(REPO), undefined);
      });

      it('archiveFromStaging without a staging release rejects with RELEASE_NOT_FOUND', async () => {
        const store = makeStore();
        await assert.rejects(
          store.releases.archiveFromStaging(REPO, buildArchive(at(10))),
          hasCode('RELEASE_NOT_FOUND', { repo: REPO }),
        );
        await store.staging.update(REPO, addTicket(REPO, ticket('ALLPOST-1', 1)));
        await store.releases.archiveFromStaging(REPO, buildArchive(at(10)));
        await assert.rejects(
          store.releases.archiveFromStaging(REPO, buildArchive(at(10))),
          hasCode('RELEASE_NOT_FOUND', { repo: REPO }),
        );
        assert.equal((await store.releases.list(REPO)).length, 1);
      });
    });

    describe('reviews', () => {
      it('put is create-if-absent per repo, PR and source commit', async () => {
        const store = makeStore();
        const first = review(REPO, 42, 'abc', at(1));
        assert.deepEqual(await store.reviews.put(first), { created: true, stored: first });
        assert.deepEqual(
          await store.reviews.put({ ...first, verdict: 'request_changes', createdAt: at(2) }),
          {
            created: false,
            stored: first,
          },
        );
        const nextCommit = review(REPO, 42, 'def', at(3));
        assert.equal((await store.reviews.put(nextCommit)).created, true);
        assert.deepEqual(await store.reviews.get(REPO, 42, 'abc'), first);
        assert.deepEqual(await store.reviews.get(REPO, 42, 'def'), nextCommit);
        assert.equal(await store.reviews.get(REPO, 43, 'abc'), undefined);
      });

      it('list newest first, across repos or for one, with a limit', async () => {
        const store = makeStore();
        await store.reviews.put(review(REPO, 1, 'a', at(1)));
        await store.reviews.put(review('web/app', 2, 'b', at(3)));
        await store.reviews.put(review(REPO, 3, 'c', at(2)));
        await store.reviews.put(review('web/app', 4, 'd', at(4)));
        const prs = (reviews: ReviewRecord[]) => reviews.map((r) => r.prId);
        assert.deepEqual(prs(await store.reviews.list()), [4, 2, 3, 1]);
        assert.deepEqual(prs(await store.reviews.list({ limit: 3 })), [4, 2, 3]);
        assert.deepEqual(prs(await store.reviews.list({ repo: REPO })), [3, 1]);
        assert.deepEqual(prs(await store.reviews.list({ repo: 'web/app', limit: 1 })), [4]);
      });
    });

    describe('delivery inbox', () => {
      it('claims a key once within its ttl and again once it has expired', async () => {
        const store = makeStore();
        const now = new Date(T0);
        const later = (seconds: number) => new Date(T0 + seconds * 1000);
        assert.equal(await store.inbox.claim('slack:C1:123.456:merge:U1', 60, now), true);
        assert.equal(await store.inbox.claim('slack:C1:123.456:merge:U1', 60, later(59)), false);
        assert.equal(await store.inbox.claim('slack:C1:123.456:merge:U2', 60, later(59)), true);
        assert.equal(await store.inbox.claim('slack:C1:123.456:merge:U1', 60, later(60)), true);
        assert.equal(await store.inbox.claim('slack:C1:123.456:merge:U1', 60, later(61)), false);
        await assert.rejects(store.inbox.claim('k', 0, now), hasCode('INPUT_INVALID'));
      });

      it('a released claim can be claimed again at once; releasing nothing is a no-op', async () => {
        const store = makeStore();
        const now = new Date(T0);
        assert.equal(await store.inbox.claim('pr-run|repo|7|abc', 900, now), true);
        assert.equal(await store.inbox.claim('pr-run|repo|7|abc', 900, now), false);
        await store.inbox.release('pr-run|repo|7|abc');
        assert.equal(await store.inbox.claim('pr-run|repo|7|abc', 900, now), true);
        await store.inbox.release('never-claimed');
        assert.equal(await store.inbox.claim('never-claimed', 60, now), true);
      });

      it('of 20 concurrent claims of one key exactly one wins, fresh or expired', async () => {
        const store = makeStore();
        const claims = async (now: Date) =>
          (
            await Promise.all(Array.from({ length: 20 }, () => store.inbox.claim('azdo:evt-1', 60, now)))
          ).filter(Boolean).length;
        assert.equal(await claims(new Date(T0)), 1);
        assert.equal(await claims(new Date(T0 + 30_000)), 0);
        assert.equal(await claims(new Date(T0 + 120_000)), 1);
      });

      it('recognises its own landed claim when the answer is lost', async () => {
        let fault = true;
        const store = makeStore({
          wrapTable: onTable('Inbox', (inner) => ({
            create: async (pk, rk, props) => {
              const etag = await inner.create(pk, rk, props);
              if (!fault) return etag;
              fault = false;
              throw lostAnswer();
            },
          })),
        });
        assert.equal(await store.inbox.claim('azdo:evt-2', 60, new Date(T0)), true);
        assert.equal(fault, false, 'the fault was injected');
        assert.equal(await store.inbox.claim('azdo:evt-2', 60, new Date(T0)), false);
      });

      it('a new key costs one write and no read (acknowledgements wait on it); a taken key is read once', async () => {
        const calls: string[] = [];
        const store = makeStore({
          wrapTable: onTable('Inbox', (inner) => ({
            get: (pk, rk) => {
              calls.push('get');
              return inner.get(pk, rk);
            },
            create: (pk, rk, props) => {
              calls.push('create');
              return inner.create(pk, rk, props);
            },
          })),
        });
        assert.equal(await store.inbox.claim('azdo:evt-3', 60, new Date(T0)), true);
        assert.deepEqual(calls, ['create']);
        calls.length = 0;
        assert.equal(await store.inbox.claim('azdo:evt-3', 60, new Date(T0)), false);
        assert.deepEqual(calls, ['create', 'get']);
      });
    });

    describe('audit log', () => {
      it('appends and lists newest first, filtered and limited', async () => {
        const store = makeStore();
        const entry = (minutes: number, actor: string, action: string): AuditEntry => ({
          at: at(minutes),
          actor,
          action,
          subject: `${REPO}#42`,
          detail: { minutes },
        });
        await store.audit.append(entry(2, 'ana', 'gate.approved'));
        await store.audit.append(entry(1, 'agent', 'review.posted'));
        await store.audit.append(entry(3, 'bob', 'gate.rejected'));
        await store.audit.append({ ...entry(4, 'ana', 'gate.approved'), subject: 'web#1' });
        const minutes = (entries: AuditEntry[]) => entries.map((e) => e.detail?.minutes);
        assert.deepEqual(minutes(await store.audit.list()), [4, 3, 2, 1]);
        assert.deepEqual(minutes(await store.audit.list({ limit: 2 })), [4, 3]);
        assert.deepEqual(minutes(await store.audit.list({ actor: 'ana' })), [4, 2]);
        assert.deepEqual(
          minutes(await store.audit.list({ action: 'gate.approved', subject: `${REPO}#42` })),
          [2],
        );
        await assert.rejects(
          store.audit.append({ ...entry(1, 'x', 'y'), at: 'yesterday' }),
          hasCode('INPUT_INVALID'),
        );
      });
    });
  });
}
