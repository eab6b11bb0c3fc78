import assert from 'node:assert/strict';
import {
  commentTicketReport,
  completeReleaseReport,
  ensureTicketReport,
  mergedReport,
  planReport,
  releasePrReport,
  runPipelinesReport,
  transitionTicketReport,
} from '../../tasks/_common/reports.ts';
import type { PullRequest } from '../../adapters/azdo/azdo.ts';

const ci = { id: 12, name: 'CI' };
const cd = { id: 14, name: 'CD' };

describe('task reports: flow outcomes mapped onto the run', () => {
  it('plan: hasRelease false with nothing staged; else version, notes as summary and the build number', () => {
    assert.deepEqual(planReport({ kind: 'nothing-staged', repo: 'Payments' }), {
      result: 'Succeeded',
      message: 'nothing to release: Payments has no staged tickets',
      outputs: { hasRelease: 'false' },
    });
    const planned = planReport({
      kind: 'planned',
      repo: 'Payments',
      version: '1.4.0',
      tickets: 2,
      notes: '## notes',
      threadId: 'release.Payments.1.4.0',
    });
    assert.deepEqual(planned.outputs, { hasRelease: 'true', version: '1.4.0' });
    assert.deepEqual(planned.summary, { title: 'Release Payments 1.4.0', markdown: '## notes' });
    assert.equal(planned.buildNumber, 'Payments 1.4.0');
    assert.equal(planned.message, 'Payments 1.4.0: 2 ticket(s) to release');
  });

  it('release PR: a failed Slack card makes it SucceededWithIssues, never Failed', () => {
    const outcome = {
      kind: 'release-pr' as const,
      repo: 'Payments',
      version: '1.4.0',
      created: true,
      pr: { id: 7, url: 'https://x/pr/7', title: 'Release Payments 1.4.0' },
      notes: 'notes',
      notified: false,
    };
    const report = releasePrReport(outcome);
    assert.equal(report.result, 'SucceededWithIssues');
    assert.equal(report.message, 'created release PR #7 for Payments 1.4.0; the Slack notification failed');
    assert.deepEqual(report.outputs, { pullRequestId: '7' });
    assert.equal(releasePrReport({ ...outcome, notified: true, created: false }).result, 'Succeeded');
  });

  it('merged: mergeCommit and tag outputs', () => {
    const report = mergedReport({
      kind: 'merged',
      repo: 'Payments',
      version: '1.4.0',
      pr: { id: 7, url: 'https://x/pr/7' },
      targetRef: 'refs/heads/main',
      mergeCommit: 'a'.repeat(40),
      tag: 'v1.4.0',
    });
    assert.deepEqual(report.outputs, { mergeCommit: 'a'.repeat(40), tag: 'v1.4.0' });
    assert.equal(report.message, 'merged release PR #7 of Payments 1.4.0 as aaaaaaaa, tagged v1.4.0');
  });

  it('run pipelines: each outcome fails or succeeds with runIds and result, failures carrying their code', () => {
    const runs = [
      { pipeline: ci, runId: 101, url: 'https://x/101', result: 'succeeded' },
      { pipeline: cd, runId: 102, result: 'failed' },
    ];
    assert.deepEqual(runPipelinesReport({ kind: 'skipped' }).outputs, { runIds: '', result: 'skipped' });
    const failed = runPipelinesReport({ kind: 'failed', runs, failed: [runs[1]!] });
    assert.equal(failed.result, 'Failed');
    assert.equal(failed.message, '[PIPELINE_FAILED] CD #102 failed');
    assert.deepEqual(failed.outputs, { runIds: '101,102', result: 'failed' });
    const late = runPipelinesReport({ kind: 'timed-out', runs, running: [runs[0]!], maxWaitMs: 1_500 });
    assert.equal(late.message, '[PIPELINE_TIMEOUT] still running after 1.5s: CI #101 (https://x/101)');
    assert.equal(late.outputs.result, 'timedOut');
    const refused = runPipelinesReport({
      kind: 'not-queued',
      runs: [],
      pipeline: cd,
      code: 'FORBIDDEN',
      reason: 'no permission',
    });
    assert.equal(refused.message, '[FORBIDDEN] could not queue CD (14): no permission');
    const ok = runPipelinesReport({ kind: 'succeeded', runs, commit: 'b'.repeat(40), notified: true });
    assert.deepEqual([ok.result, ok.outputs.result], ['Succeeded', 'succeeded']);
  });

  it('complete release: issues make it SucceededWithIssues and are listed in the summary', () => {
    const report = completeReleaseReport({
      kind: 'released',
      repo: 'Payments',
      version: '1.4.0',
      notes: 'notes\n',
      tickets: 2,
      doneStatus: 'Done',
      issues: ['ALLPOST-1 not moved to Done: no transition'],
    });
    assert.equal(report.result, 'SucceededWithIssues');
    assert.match(report.summary?.markdown ?? '', /Needs a look:\*\*\n\n- ALLPOST-1 not moved/);
    const again = completeReleaseReport({
      kind: 'already-released',
      repo: 'Payments',
      version: '1.4.0',
      releasedAt: '2026-01-02T00:00:00Z',
      notes: 'notes',
    });
    assert.equal(again.message, 'already completed: Payments 1.4.0 was released at 2026-01-02T00:00:00Z');
  });

  it('JiraTicket transition and comment: a ticket that cannot be told fails naming the ticketKey input', () => {
    assert.deepEqual(transitionTicketReport({ kind: 'invalid-key', key: 'not a key' }), {
      result: 'Failed',
      message: '[INPUT_INVALID] input "ticketKey" is not a Jira issue key (PROJECT-123): "not a key"',
      outputs: {},
    });
    assert.equal(
      commentTicketReport({ kind: 'pr-without-ticket', repo: 'Payments', prId: 7 }).message,
      '[TICKET_MISSING] PR !7 in Payments has no ticket (branch, title or a linked ticket); set input "ticketKey"',
    );
    assert.match(
      transitionTicketReport({ kind: 'no-target' }).message,
      /^\[INPUT_INVALID\] input "ticketKey" is required/,
    );
    assert.equal(
      transitionTicketReport({ kind: 'no-status' }).message,
      '[INPUT_INVALID] input "status" is required for action transition',
    );
    assert.equal(
      commentTicketReport({ kind: 'no-comment' }).message,
      '[INPUT_INVALID] input "comment" is required for action comment',
    );
  });

  it('JiraTicket transition and comment: ticketKey output and the move in the message', () => {
    const moved = transitionTicketReport({
      kind: 'moved',
      key: 'PAY-1',
      from: 'To Do',
      to: 'Code Review',
      changed: true,
      path: ['In Progress', 'Code Review'],
      source: 'input',
    });
    assert.equal(moved.result, 'Succeeded');
    assert.equal(moved.message, 'PAY-1 moved To Do → Code Review (via In Progress)');
    assert.deepEqual(moved.outputs, { ticketKey: 'PAY-1', ticketCreated: 'false' });
    const commented = commentTicketReport({
      kind: 'commented',
      key: 'PAY-1',
      commentId: '10',
      source: 'branch',
    });
    assert.deepEqual(commented, {
      result: 'Succeeded',
      message: 'commented on PAY-1',
      outputs: { ticketKey: 'PAY-1', ticketCreated: 'false' },
    });
  });

  it('JiraTicket ensure: no ticket is an issue with empty outputs; a linked one sets ticketKey and ticketCreated', () => {
    const pr = { id: 7 } as PullRequest;
    const none = ensureTicketReport({ kind: 'none', reason: 'auto-create is off', pr, warnings: [] }, 7);
    assert.equal(none.result, 'SucceededWithIssues');
    assert.deepEqual(none.outputs, { ticketKey: '', ticketCreated: 'false' });
    assert.deepEqual(none.summary, {
      title: 'Jira ticket of PR !7',
      markdown: 'No ticket: auto-create is off.',
    });
    const linked = ensureTicketReport(
      {
        kind: 'linked',
        ticketKey: 'PAY-1',
        ticketUrl: 'https://jira.example/browse/PAY-1',
        summary: 'Refunds',
        source: 'created',
        created: true,
        createdNow: true,
        linkThreadId: 3,
        move: { key: 'PAY-1', from: 'To Do', to: 'Code Review', changed: true, path: ['Code Review'] },
        warnings: [],
        pr,
      },
      7,
    );
    assert.equal(linked.result, 'Succeeded');
    assert.equal(linked.message, 'PAY-1 created, moved To Do → Code Review');
    assert.deepEqual(linked.outputs, { ticketKey: 'PAY-1', ticketCreated: 'true' });
    assert.match(linked.summary?.markdown ?? '', /linked on the PR \(thread 3\)/);
  });
});
