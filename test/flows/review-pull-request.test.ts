import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AzureDevOps,
  PostReviewInput,
  PullRequest,
  PullRequestStatusInput,
} from '../../adapters/azdo/azdo.ts';
import type { ClaudeRunner, ClaudeRunRequest } from '../../adapters/claude/claude.ts';
import type { Jira } from '../../adapters/jira/jira.ts';
import type { Slack } from '../../adapters/slack/slack.ts';
import { createMemoryStore } from '../../adapters/store/memory-store.ts';
import { localReviewReporting, type ReviewRecordDeps } from '../../flows/review-record.ts';
import { reviewPullRequestFlow, reviewRunSummary } from '../../flows/review-pull-request.ts';
import { silentLogger } from '../../flows/context.ts';

const pr: PullRequest = {
  id: 7,
  repository: { id: 'r', name: 'Payments' },
  title: 'Refunds',
  description: 'Adds refunds.',
  status: 'active',
  sourceRefName: 'refs/heads/feature/ALLPOST-7_refunds',
  targetRefName: 'refs/heads/develop',
  sourceCommitId: 'c'.repeat(40),
  mergeCommitId: 'm'.repeat(40),
  mergeStatus: 'succeeded',
  createdBy: { id: 'u', displayName: 'Dev' },
  creationDate: '2026-01-01T00:00:00Z',
  closedDate: undefined,
  isDraft: false,
  autoCompleteSetById: undefined,
  webUrl: 'https://dev.azure.com/acme/p/_git/Payments/pullrequest/7',
};

function fakeAzureDevOps() {
  const posted: PostReviewInput[] = [];
  const statuses: PullRequestStatusInput[] = [];
  const azdo = {
    getPullRequest: async () => pr,
    listIterations: async () => [
      { id: 1, sourceCommitId: pr.sourceCommitId, targetCommitId: 't'.repeat(40), createdDate: '' },
    ],
    getIterationChanges: async () => [{ path: '/src/refund.ts', changeType: 'add', changeTrackingId: 1 }],
    // A PR no earlier review has commented on.
    listReviewThreads: async () => [],
    postReview: async (_repo: string, _id: number, review: PostReviewInput) => {
      posted.push(review);
      return { summaryThreadId: 1, inlineThreadIds: [], folded: [] };
    },
    setPullRequestStatus: async (_repo: string, _id: number, status: PullRequestStatusInput) => {
      statuses.push(status);
      return 1;
    },
  } as unknown as AzureDevOps;
  return { azdo, posted, statuses };
}

function claudeAnswering(output: unknown): ClaudeRunner & { requests: ClaudeRunRequest[] } {
  const requests: ClaudeRunRequest[] = [];
  return {
    requests,
    run: async (request) => {
      requests.push(request);
      return {
        ok: true,
        structuredOutput: output,
        costUsd: 0.12,
        durationMs: 10,
        numTurns: 2,
        sessionId: 's',
      };
    },
  };
}

const failingSlack = {
  mode: 'bot',
  interactive: true,
  postMessage: async () => {
    throw new Error('slack down');
  },
  updateMessage: async () => ({ updated: true }),
  respond: async () => undefined,
} as unknown as Slack;

const input = () => ({
  repo: 'Payments',
  prId: 7,
  cwd: mkdtempSync(join(tmpdir(), 'review-')),
  maxBudgetUsd: 2,
  timeoutMs: 60_000,
});

/** The function app's half of the review, run in-process over the in-memory store. */
const appSide = (
  azdo: ReviewRecordDeps['azdo'],
  store: ReviewRecordDeps['store'],
  extra: Partial<ReviewRecordDeps> = {},
) =>
  localReviewReporting(
    { azdo, store, now: () => new Date(), log: silentLogger, jiraBaseUrl: 'https://jira.example', ...extra },
    { repo: 'Payments', prId: 7, sourceCommit: undefined },
  );

describe('the review flow (fakes, in-memory store)', () => {
  it('approve with a card that cannot be posted: the gate is stored and the run warns', async () => {
    const store = createMemoryStore();
    const { azdo, statuses } = fakeAzureDevOps();
    const claude = claudeAnswering({
      verdict: 'approve',
      summary: 'Fine.',
      findings: [],
      injection_suspected: false,
    });
    const outcome = await reviewPullRequestFlow(
      {
        azdo,
        claude,
        reporting: appSide(azdo, store, { slack: failingSlack, channel: 'C1' }),
        now: () => new Date(),
        log: silentLogger,
      },
      input(),
    );
    assert.equal(outcome.kind, 'reviewed');
    if (outcome.kind !== 'reviewed') return;
    assert.equal(outcome.decision?.status, 'pending');
    assert.match(outcome.warnings[0] ?? '', /gate-1 card was not posted \(slack down\)/);
    assert.equal(statuses[0]?.state, 'succeeded');
    assert.equal(claude.requests[0]?.maxBudgetUsd, 2);
    assert.match(reviewRunSummary(outcome, 'Payments'), /decision `merge_pr\.pr7\./);
  });

  it('a critical finding under approve becomes request changes; Slack and Jira failures are warnings', async () => {
    const store = createMemoryStore();
    const { azdo, posted, statuses } = fakeAzureDevOps();
    const claude = claudeAnswering({
      verdict: 'approve',
      summary: 'Looks fine, but',
      findings: [{ file: 'src/refund.ts', line: 1, severity: 'critical', message: 'Refunds twice.' }],
      injection_suspected: false,
    });
    const jira = {
      comment: async () => {
        throw new Error('jira down');
      },
    } as unknown as Jira;
    const outcome = await reviewPullRequestFlow(
      {
        azdo,
        claude,
        reporting: appSide(azdo, store, { slack: failingSlack, jira }),
        now: () => new Date(),
        log: silentLogger,
      },
      input(),
    );
    assert.equal(outcome.kind === 'reviewed' && outcome.record.verdict, 'request_changes');
    assert.equal(statuses[0]?.state, 'failed');
    // Anchored by the flow: the path as Azure DevOps has it, the file's change tracking id added.
    assert.deepEqual(
      posted[0]?.comments.map(({ path, line, body, changeTrackingId }) => ({
        path,
        line,
        body,
        changeTrackingId,
      })),
      [{ path: '/src/refund.ts', line: 1, body: '**critical**: Refunds twice.', changeTrackingId: 1 }],
    );
    assert.match(posted[0]?.comments[0]?.fingerprint ?? '', /^[0-9a-f]{16}$/);
    assert.deepEqual(outcome.kind === 'reviewed' && outcome.warnings, [
      'the Slack notification failed: slack down',
      'the Jira comment on ALLPOST-7 failed: jira down',
    ]);
    assert.equal((await store.decisions.listPending()).length, 0);
    assert.match(reviewRunSummary(outcome, 'Payments'), /The model answered approve/);
  });

  it('a finding the iteration cannot anchor goes into the summary, not into a thread', async () => {
    const { azdo, posted } = fakeAzureDevOps();
    const store = createMemoryStore();
    const claude = claudeAnswering({
      verdict: 'request_changes',
      summary: 'Two problems.',
      findings: [
        { file: 'src/refund.ts', line: 1, severity: 'major', message: 'Refunds twice.' },
        { file: 'src/untouched.ts', line: 4, severity: 'major', message: 'Not in this push.' },
      ],
      injection_suspected: false,
    });
    const outcome = await reviewPullRequestFlow(
      { azdo, claude, reporting: appSide(azdo, store), now: () => new Date(), log: silentLogger },
      input(),
    );
    assert.deepEqual(
      posted[0]?.comments.map((comment) => comment.path),
      ['/src/refund.ts'],
    );
    assert.match(posted[0]?.summary ?? '', /`\/src\/untouched\.ts` line 4: .*Not in this push\./);
    assert.deepEqual(
      outcome.kind === 'reviewed' && outcome.posted.folded.map((comment) => [comment.path, comment.reason]),
      [['src/untouched.ts', 'file-not-in-iteration']],
    );
  });

  it('a PR that is not active is not reviewed', async () => {
    const { azdo } = fakeAzureDevOps();
    const claude = claudeAnswering({});
    azdo.getPullRequest = async () => ({ ...pr, status: 'completed' });
    const outcome = await reviewPullRequestFlow(
      {
        azdo,
        claude,
        reporting: appSide(azdo, createMemoryStore()),
        now: () => new Date(),
        log: silentLogger,
      },
      input(),
    );
    assert.equal(outcome.kind, 'not-active');
    assert.equal(claude.requests.length, 0);
  });
});
