// What the hub tests seed into the function app's memory store (test/hub/hub-app.ts): stored records
// (core/model.ts), which the app's routes answer as views (core/views.ts).
import type { ArchivedRelease, Decision, ReviewRecord, StagingRelease } from '../../core/model.ts';

export const JIRA_BASE_URL = 'https://billolife.atlassian.net';

export const STAGING: StagingRelease[] = [
  {
    repo: 'payments-api',
    version: '1.4.0',
    startedAt: '2026-05-04T08:12:00.000Z',
    updatedAt: '2026-05-06T15:40:00.000Z',
    tickets: [
      {
        key: 'ALLPOST-4028',
        summary: 'Login page remembers the last organisation',
        prIds: [101, 102],
        bump: 'minor',
        addedAt: '2026-05-04T08:12:00.000Z',
      },
      {
        key: 'ALLPOST-4031',
        summary: 'Refunds show the original card',
        prIds: [105],
        bump: 'patch',
        addedAt: '2026-05-06T15:40:00.000Z',
      },
    ],
  },
  {
    repo: 'billing-worker',
    version: '0.9.3',
    startedAt: '2026-05-05T10:00:00.000Z',
    updatedAt: '2026-05-05T10:00:00.000Z',
    tickets: [
      {
        key: 'ALLPOST-4040',
        summary: 'Retry failed invoice exports',
        prIds: [88],
        bump: 'patch',
        addedAt: '2026-05-05T10:00:00.000Z',
      },
    ],
  },
];

export const ARCHIVED: ArchivedRelease[] = [
  {
    repo: 'payments-api',
    version: '1.3.0',
    startedAt: '2026-04-20T09:00:00.000Z',
    releasedAt: '2026-04-28T14:30:00.000Z',
    tickets: [
      {
        key: 'ALLPOST-3990',
        summary: 'Card tokens rotate monthly',
        prIds: [91],
        bump: 'minor',
        addedAt: '2026-04-20T09:00:00.000Z',
      },
    ],
    notes: 'payments-api 1.3.0\n- ALLPOST-3990 Card tokens rotate monthly',
    gates: [
      {
        gate: 'create_release_pr',
        outcome: 'approved',
        by: 'Dana Reyes',
        via: 'slack',
        at: '2026-04-28T12:01:00.000Z',
      },
      {
        gate: 'merge_release_pr',
        outcome: 'approved',
        by: 'Dana Reyes',
        via: 'slack',
        at: '2026-04-28T12:20:00.000Z',
      },
      {
        gate: 'run_pipelines',
        outcome: 'approved',
        by: 'Omar Haddad',
        via: 'hub',
        at: '2026-04-28T12:25:00.000Z',
      },
      {
        gate: 'approve_stage',
        outcome: 'approved',
        by: 'Omar Haddad',
        via: 'hub',
        at: '2026-04-28T14:10:00.000Z',
      },
    ],
    releasePrId: 97,
    tag: 'v1.3.0',
  },
  {
    repo: 'payments-api',
    version: '1.2.0',
    startedAt: '2026-04-01T09:00:00.000Z',
    releasedAt: '2026-04-10T11:00:00.000Z',
    tickets: [
      {
        key: 'ALLPOST-3901',
        summary: 'Faster statement export',
        prIds: [70],
        bump: 'minor',
        addedAt: '2026-04-01T09:00:00.000Z',
      },
    ],
    notes: 'payments-api 1.2.0',
    gates: [
      {
        gate: 'approve_stage',
        outcome: 'approved',
        by: 'Dana Reyes',
        via: 'azdo',
        at: '2026-04-10T10:55:00.000Z',
      },
    ],
    tag: 'v1.2.0',
  },
  {
    repo: 'document-analyser',
    version: '2.0.1',
    startedAt: '2026-04-15T09:00:00.000Z',
    releasedAt: '2026-04-16T16:45:00.000Z',
    tickets: [
      {
        key: 'ALLPOST-3955',
        summary: 'Read rotated scans',
        prIds: [44],
        bump: 'patch',
        addedAt: '2026-04-15T09:00:00.000Z',
      },
    ],
    notes: 'document-analyser 2.0.1',
    gates: [
      {
        gate: 'approve_stage',
        outcome: 'rejected',
        by: 'Lena Park',
        via: 'slack',
        at: '2026-04-16T16:00:00.000Z',
      },
    ],
    tag: 'v2.0.1',
  },
];

const nonce = (n: number) => `nonce-${String(n).padStart(16, '0')}`;

export const PENDING: Decision[] = [
  {
    id: 'dec-merge-107',
    threadId: 'pr-payments-api-107',
    gate: 'merge_pr',
    target: {
      gate: 'merge_pr',
      repo: 'payments-api',
      prId: 107,
      sourceCommit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    },
    nonce: nonce(1),
    status: 'pending',
    createdAt: '2026-05-07T09:00:00.000Z',
    details: {
      gate: 'merge_pr',
      repo: 'payments-api',
      prId: 107,
      prTitle: 'Show the refund reason on receipts',
      prUrl: 'https://dev.azure.com/acme/Payments/_git/payments-api/pullrequest/107',
      author: 'Priya Nair',
      sourceBranch: 'refs/heads/feature/ALLPOST-4033_refund-reason',
      targetBranch: 'refs/heads/develop',
      sourceCommit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      ticket: { key: 'ALLPOST-4033', summary: 'Refund reason on receipts' },
      jiraBaseUrl: JIRA_BASE_URL,
      review: {
        summary: 'Small, well-tested change; no findings above minor.',
        findingsCount: 2,
        costUsd: 0.42,
      },
    },
  },
  {
    id: 'dec-create-billing-093',
    threadId: 'release-billing-worker-0.9.3',
    gate: 'create_release_pr',
    target: { gate: 'create_release_pr', repo: 'billing-worker', version: '0.9.3', approvalId: 'appr-201' },
    nonce: nonce(2),
    status: 'pending',
    createdAt: '2026-05-07T09:05:00.000Z',
    details: {
      gate: 'create_release_pr',
      repo: 'billing-worker',
      version: '0.9.3',
      tickets: [{ key: 'ALLPOST-4040', summary: 'Retry failed invoice exports' }],
      jiraBaseUrl: JIRA_BASE_URL,
    },
  },
  {
    id: 'dec-merge-release-140',
    threadId: 'release-payments-api-1.4.0',
    gate: 'merge_release_pr',
    target: {
      gate: 'merge_release_pr',
      repo: 'payments-api',
      version: '1.4.0',
      approvalId: 'appr-202',
      prId: 110,
    },
    nonce: nonce(3),
    status: 'pending',
    createdAt: '2026-05-07T09:10:00.000Z',
    details: {
      gate: 'merge_release_pr',
      repo: 'payments-api',
      version: '1.4.0',
      releasePr: {
        id: 110,
        title: 'Release payments-api 1.4.0',
        url: 'https://dev.azure.com/acme/Payments/_git/payments-api/pullrequest/110',
      },
    },
  },
  {
    id: 'dec-pipelines-140',
    threadId: 'release-payments-api-1.4.0-ci',
    gate: 'run_pipelines',
    target: {
      gate: 'run_pipelines',
      repo: 'payments-api',
      version: '1.4.0',
      approvalId: 'appr-203',
      pipelines: ['payments-api-ci', 'payments-api-cd'],
    },
    nonce: nonce(4),
    status: 'pending',
    createdAt: '2026-05-07T09:15:00.000Z',
    details: {
      gate: 'run_pipelines',
      repo: 'payments-api',
      version: '1.4.0',
      pipelines: [{ name: 'payments-api-ci' }, { name: 'payments-api-cd' }],
    },
  },
  {
    id: 'dec-stage-analyser-210',
    threadId: 'release-document-analyser-2.1.0',
    gate: 'approve_stage',
    target: {
      gate: 'approve_stage',
      repo: 'document-analyser',
      version: '2.1.0',
      approvalId: 'appr-204',
      stage: 'production',
    },
    nonce: nonce(5),
    status: 'pending',
    createdAt: '2026-05-07T09:20:00.000Z',
    expiresAt: '2026-05-08T09:20:00.000Z',
    details: {
      gate: 'approve_stage',
      repo: 'document-analyser',
      version: '2.1.0',
      stage: 'production',
      runUrl: 'https://dev.azure.com/acme/Payments/_build/results?buildId=204',
    },
  },
];

export const REVIEWS: ReviewRecord[] = [
  {
    repo: 'payments-api',
    prId: 107,
    sourceCommit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    verdict: 'approve',
    summary: 'Small, well-tested change.',
    findingsCount: 2,
    injectionSuspected: false,
    costUsd: 0.42,
    prUrl: 'https://dev.azure.com/acme/Payments/_git/payments-api/pullrequest/107',
    prTitle: 'Show the refund reason on receipts',
    createdAt: '2026-05-07T08:58:00.000Z',
  },
  {
    // An earlier push of PR 107, reviewed too: the PR's total is both reviews.
    repo: 'payments-api',
    prId: 107,
    sourceCommit: 'f0e1d2c3b4a5968778695a4b3c2d1e0f98765432',
    verdict: 'request_changes',
    summary: 'The reason is not escaped.',
    findingsCount: 1,
    injectionSuspected: false,
    costUsd: 0.13,
    prUrl: 'https://dev.azure.com/acme/Payments/_git/payments-api/pullrequest/107',
    prTitle: 'Show the refund reason on receipts',
    createdAt: '2026-05-07T08:10:00.000Z',
  },
  {
    repo: 'billing-worker',
    prId: 91,
    sourceCommit: 'b2c3d4e5f60718293a4b5c6d7e8f901234567890',
    verdict: 'request_changes',
    summary: 'The retry loop never gives up.',
    findingsCount: 5,
    injectionSuspected: false,
    costUsd: 0.61,
    prTitle: 'Retry exports forever',
    createdAt: '2026-05-06T12:00:00.000Z',
  },
  {
    repo: 'document-analyser',
    prId: 52,
    sourceCommit: 'c3d4e5f60718293a4b5c6d7e8f90123456789012',
    verdict: 'needs_human_review',
    summary: 'The review output could not be validated.',
    findingsCount: 0,
    injectionSuspected: true,
    costUsd: 1.05,
    prTitle: 'Tune OCR thresholds',
    createdAt: '2026-05-05T17:30:00.000Z',
  },
];
