// ReviewPullRequest: the AI review of this run's PR (flows/review-pull-request.ts), mapped to outputs,
// a run summary and the task result. A PR-validation build that fails blocks the merge, which is what
// "request changes" means: Failed unless failOnRequestChanges is false. A review that needs a human
// is Failed too: build validation counts "partially succeeded" as passed. The verdict goes to the
// function app, which alone stores it and asks gate 1: this job holds no credential of the app's state,
// Slack or Jira (it runs the PR author's YAML).
import { SECRET_REMOVED_REASON } from '../../adapters/claude/claude.ts';
import { systemClock } from '../../adapters/system-clock.ts';
import type { ReviewVerdict } from '../../core/model.ts';
import { reviewPullRequestFlow, reviewRunSummary } from '../../flows/review-pull-request.ts';
import { pullRequestOfRun, workingDirectoryOfRun } from '../_common/pull-request.ts';
import type { ReviewReporting } from '../../flows/review-record.ts';
import {
  askFunctionApp,
  azureDevOpsFromAgent,
  claudeFromInputs,
  functionAppFromConnection,
} from '../_common/services.ts';
import { runTask, type TaskOutcome } from '../_common/task-runtime.ts';

function resultFor(verdict: ReviewVerdict, failOnRequestChanges: boolean, message: string): TaskOutcome {
  switch (verdict) {
    case 'approve':
      return { result: 'Succeeded', message };
    case 'needs_human_review':
      return { result: 'Failed', message: `needs a human review: ${message}` };
    case 'request_changes':
      return { result: failOnRequestChanges ? 'Failed' : 'SucceededWithIssues', message };
  }
}

void runTask('ReviewPullRequest', async (context) => {
  const { inputs } = context;
  const pr = pullRequestOfRun(context, true)!;
  const cwd = workingDirectoryOfRun(context, true)!;
  const maxBudgetUsd = inputs.number('maxBudgetUsd', 2, 0.01, 100);
  const timeoutSeconds = inputs.integer('timeoutSeconds', 600, 1, 7_200);
  const failOnRequestChanges = inputs.boolean('failOnRequestChanges', true);
  const fullReview = inputs.boolean('fullReview', false);
  const app = functionAppFromConnection(context);
  const claude = claudeFromInputs(context);
  const azdo = azureDevOpsFromAgent(context);
  const reporting: ReviewReporting = {
    start: () => askFunctionApp(context, app, 'review.start', {}),
    report: (report) => askFunctionApp(context, app, 'review.report', report),
  };

  context.log(
    `Reviewing PR !${pr.prId} in ${pr.repo} over ${cwd} (budget $${maxBudgetUsd}, timeout ${timeoutSeconds} s)`,
  );
  const outcome = await reviewPullRequestFlow(
    {
      azdo: azdo.azdo,
      claude,
      reporting,
      now: systemClock.now,
      log: context.logger,
    },
    {
      repo: pr.repo,
      prId: pr.prId,
      cwd,
      maxBudgetUsd,
      timeoutMs: timeoutSeconds * 1000,
      fullReview,
      ...(azdo.runUrl ? { runUrl: azdo.runUrl } : {}),
      // The job token, the Claude credential, the connections' tokens and keys: never in what is posted.
      secrets: context.secrets,
    },
  );
  context.summary(`AI review of PR !${pr.prId}`, reviewRunSummary(outcome, pr.repo));
  if (outcome.kind === 'not-active') {
    return {
      result: 'SucceededWithIssues',
      message: `PR !${pr.prId} is ${outcome.pr.status}: nothing reviewed`,
    };
  }
  const { record } = outcome;
  context.setOutput('verdict', record.verdict);
  context.setOutput('costUsd', record.costUsd.toFixed(4));
  context.setOutput('findingsCount', String(record.findingsCount));
  if (outcome.kind === 'already-reviewed') {
    // The stored verdict still decides the result: a re-run must not turn a blocked PR green.
    const message = `already reviewed: commit ${record.sourceCommit.slice(0, 7)} of PR !${pr.prId}, verdict ${record.verdict}`;
    context.log(message);
    return resultFor(record.verdict, failOnRequestChanges, message);
  }
  for (const warning of outcome.warnings) context.warn(warning);
  context.log(
    `Verdict ${record.verdict}: ${record.findingsCount} findings, $${record.costUsd.toFixed(4)}, diff from ${outcome.diff.note}`,
  );
  const message =
    record.verdict === 'approve'
      ? `approved by the AI review; gate 1 asks a human to merge (decision ${outcome.decision?.id ?? 'not created'})`
      : record.verdict === 'request_changes'
        ? `the AI review requested changes (${record.findingsCount} findings)`
        : outcome.review.secretRemoved
          ? SECRET_REMOVED_REASON
          : outcome.review.failure
            ? `the AI review did not complete (${outcome.review.failure.reason})`
            : 'the PR looks like it tries to instruct the reviewer';
  const result = resultFor(record.verdict, failOnRequestChanges, message);
  if (result.result === 'Succeeded' && outcome.warnings.length > 0)
    return { result: 'SucceededWithIssues', message };
  return result;
});
