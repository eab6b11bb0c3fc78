import assert from 'node:assert/strict';
import { createMemoryStore } from '../../adapters/store/memory-store.ts';
import { readPrThreadState, upsertPrThread } from '../../flows/pr-thread.ts';

describe('the PR thread of the pipeline tasks', () => {
  it('is created once, then merged into; an unchanged patch leaves the row alone', async () => {
    const store = createMemoryStore();
    const first = await upsertPrThread(store, {
      repo: 'a/b',
      prId: 3,
      now: new Date('2026-01-01T00:00:00Z'),
      state: { ticketKey: 'ALLPOST-1' },
    });
    assert.equal(first.id, 'pr.a%2Fb.3');
    assert.equal(first.status, 'running');
    const merged = await upsertPrThread(store, {
      repo: 'a/b',
      prId: 3,
      now: new Date('2026-01-02T00:00:00Z'),
      status: 'waiting',
      state: { reviewedCommit: 'abc', ticketKey: undefined },
    });
    assert.deepEqual(merged.state, { ticketKey: 'ALLPOST-1', reviewedCommit: 'abc' });
    assert.equal(merged.status, 'waiting');
    assert.equal(merged.updatedAt, '2026-01-02T00:00:00.000Z');
    const same = await upsertPrThread(store, {
      repo: 'a/b',
      prId: 3,
      now: new Date('2026-01-03T00:00:00Z'),
      state: { reviewedCommit: 'abc' },
    });
    assert.equal(same.updatedAt, '2026-01-02T00:00:00.000Z');
    assert.deepEqual(await readPrThreadState(store, 'a/b', 3), {
      ticketKey: 'ALLPOST-1',
      reviewedCommit: 'abc',
    });
    assert.deepEqual(await readPrThreadState(store, 'a/b', 4), {});
  });
});
