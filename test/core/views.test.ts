// core/views.ts: the API shows views built field by field, never the stored record.
import assert from 'node:assert/strict';
import type { ArchivedRelease, Decision } from '../../core/model.ts';
import { decisionView, releaseView } from '../../core/views.ts';

const DECISION: Decision = {
  id: 'dec-1',
  threadId: 'release-billing-worker-0.9.3',
  gate: 'create_release_pr',
  target: { gate: 'create_release_pr', repo: 'billing-worker', version: '0.9.3', approvalId: 'appr-1' },
  nonce: 'nonce-0000000000000001',
  status: 'approved',
  createdAt: '2026-05-07T09:00:00.000Z',
  decidedAt: '2026-05-07T09:10:00.000Z',
  decidedBy: 'U0ALICE',
  decidedVia: 'slack',
  decidedByEmail: 'alice@example.com',
  proof: 'proof-hmac',
  slack: { channel: 'C1', ts: '1.2' },
  effect: {
    status: 'running',
    at: '2026-05-07T09:10:01.000Z',
    runner: 'run-7',
    leaseUntil: '2026-05-07T09:11:00.000Z',
  },
};

describe('API views', () => {
  it('a decision: no nonce, proof, Slack message, e-mail or worker lease; the gate named', () => {
    assert.deepEqual(decisionView(DECISION), {
      id: 'dec-1',
      threadId: 'release-billing-worker-0.9.3',
      gate: 'create_release_pr',
      gateNumber: 2,
      title: 'Create the release pull request',
      repo: 'billing-worker',
      status: 'approved',
      target: DECISION.target,
      actions: { approve: 'create', reject: 'cancel' },
      createdAt: '2026-05-07T09:00:00.000Z',
      decidedAt: '2026-05-07T09:10:00.000Z',
      decidedBy: 'U0ALICE',
      decidedVia: 'slack',
      effect: { status: 'running', at: '2026-05-07T09:10:01.000Z' },
    });
  });

  it('leaves absent fields out rather than undefined (JSON and deepEqual see the same)', () => {
    const release: ArchivedRelease = {
      repo: 'a',
      version: '1.0.0',
      startedAt: '2026-01-01T00:00:00.000Z',
      releasedAt: '2026-01-02T00:00:00.000Z',
      tickets: [{ key: 'X-1', summary: 's', prIds: [1], bump: 'patch', addedAt: '2026-01-01T00:00:00.000Z' }],
      notes: '',
      gates: [],
    };
    const view = releaseView(release);
    assert.ok(!('tag' in view) && !('releasePrId' in view));
    assert.ok(!('status' in view.tickets[0]!));
    assert.deepEqual(view, release);
  });
});
