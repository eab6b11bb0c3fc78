import assert from 'node:assert/strict';
import { buildNumberFor } from '../../core/build-number.ts';
import type { Decision, ReleaseThread } from '../../core/model.ts';
import { fitDescription, gateRecords, pollUntil } from '../../flows/release-common.ts';
import { branchRef, parsePipelineList } from '../../tasks/_common/task-runtime.ts';
import { coded } from '../core/expect-error.ts';

describe('release flows: shared rules', () => {
  it('makes a build number of only the characters Azure DevOps allows', () => {
    assert.equal(buildNumberFor('Billo.Platform.Payment', '1.4.0'), 'Billo.Platform.Payment 1.4.0');
    assert.equal(buildNumberFor('a/b:c"d<e>f|g?h@i*j\\k\'l', '2.0.0'), 'a-b-c-d-e-f-g-h-i-j-k-l 2.0.0');
    assert.equal(buildNumberFor('x'.repeat(300), '1.0.0').length, 255);
    assert.equal(buildNumberFor('repo.', '').endsWith('.'), false, 'no trailing dot');
  });

  it('reads pipeline lists as ids or id:name, once each, and names the input on anything else', () => {
    assert.deepEqual(parsePipelineList(['12:Payments CI', '14', '12'], 'pipelines'), [
      { id: 12, name: 'Payments CI' },
      { id: 14, name: 'pipeline 14' },
    ]);
    assert.throws(
      () => parsePipelineList(['CI'], 'pipelines'),
      coded('INPUT_INVALID', { input: 'pipelines' }),
    );
    assert.throws(
      () => parsePipelineList(['0'], 'pipelines'),
      coded('INPUT_INVALID', { input: 'pipelines' }),
    );
  });

  it('turns branch names into refs and refuses what git would', () => {
    assert.equal(branchRef('develop', 'sourceBranch'), 'refs/heads/develop');
    assert.equal(branchRef('refs/heads/release/1.x', 'sourceBranch'), 'refs/heads/release/1.x');
    for (const bad of ['a b', 'x..y', 'feature/', 'a:b']) {
      assert.throws(
        () => branchRef(bad, 'targetBranch'),
        coded('INPUT_INVALID', { input: 'targetBranch' }),
        bad,
      );
    }
  });

  it('cuts a description at whole lines, counting the tickets left out', () => {
    const notes = [
      '## repo 1.0.0',
      '',
      ...Array.from({ length: 50 }, (_, i) => `- [ALLPOST-${i}](u): ${'x'.repeat(60)}`),
    ].join('\n');
    const cut = fitDescription(notes, 1000);
    assert.ok(cut.length <= 1000);
    const kept = cut.split('\n').filter((line) => line.startsWith('- [')).length;
    assert.match(cut, new RegExp(`…and ${50 - kept} more tickets: the description is cut`));
    assert.equal(fitDescription('short', 1000), 'short');
  });

  it('merges recorded gates and decided decisions, without repeats, oldest first', () => {
    const recorded = {
      gate: 'create_release_pr',
      outcome: 'approved',
      by: 'Ann',
      via: 'hub',
      at: '2026-01-01T10:00:00.000Z',
    } as const;
    const thread: ReleaseThread = {
      id: 'release.payments.1.0.0',
      kind: 'release',
      repo: 'payments',
      status: 'running',
      state: { version: '1.0.0', gates: [recorded] },
      createdAt: '2026-01-01T08:00:00.000Z',
      updatedAt: '2026-01-01T08:00:00.000Z',
    };
    const decision = (status: Decision['status'], at: string, by = 'U1') =>
      ({
        gate: 'merge_release_pr',
        status,
        decidedAt: at,
        decidedBy: by,
        decidedVia: 'slack',
        createdAt: at,
      }) as Decision;
    assert.deepEqual(
      gateRecords(thread, [
        decision('approved', '2026-01-01T09:00:00.000Z'),
        decision('pending', '2026-01-01T11:00:00.000Z'),
        decision('approved', '2026-01-01T09:00:00.000Z'),
        decision('rejected', '2026-01-01T12:00:00.000Z', 'U2'),
      ]),
      [
        {
          gate: 'merge_release_pr',
          outcome: 'approved',
          by: 'U1',
          via: 'slack',
          at: '2026-01-01T09:00:00.000Z',
        },
        recorded,
        {
          gate: 'merge_release_pr',
          outcome: 'rejected',
          by: 'U2',
          via: 'slack',
          at: '2026-01-01T12:00:00.000Z',
        },
      ],
    );
  });

  it('polls at the interval until a value comes, and stops at the deadline with one last check', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const clock = {
      now: () => new Date(now),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    const done = await pollUntil({
      clock,
      intervalMs: 30,
      maxWaitMs: 100,
      check: async (round) => (round === 3 ? 'ok' : undefined),
    });
    assert.deepEqual(done, { done: true, value: 'ok', elapsedMs: 60 });
    sleeps.length = 0;
    now = 0;
    const checked: number[] = [];
    const late = await pollUntil({
      clock,
      intervalMs: 30,
      maxWaitMs: 100,
      check: async (_, elapsed) => void checked.push(elapsed),
    });
    assert.deepEqual(late, { done: false, elapsedMs: 100 });
    assert.deepEqual(sleeps, [30, 30, 30, 10], 'the last wait ends on the deadline');
    assert.deepEqual(checked, [0, 30, 60, 90, 100]);
  });
});
