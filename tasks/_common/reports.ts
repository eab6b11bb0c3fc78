// Flow outcomes → what a task shows on its run: the result, the message, output variables, the run
// summary (Markdown) and the build number. Pure (no task-lib), so tests map outcomes the same way.
import { buildNumberFor } from '../../core/build-number.ts';
import type { CompleteReleaseOutcome } from '../../flows/complete-release.ts';
import type {
  CommentTicketOutcome,
  EnsureTicketResult,
  TicketTargetProblem,
  TransitionTicketOutcome,
} from '../../flows/jira-ticket.ts';
import type { RunFact, RunPipelinesOutcome } from '../../flows/run-pipelines.ts';
import { seconds } from '../../flows/release-common.ts';
import type { MergedOutcome, PlanOutcome, ReleasePrOutcome } from '../../flows/release-pull-request.ts';

export type ReportResult = 'Succeeded' | 'SucceededWithIssues' | 'Failed';

/** A task's view of an outcome; applyReport (release-task.ts) writes it onto the agent. */
export interface TaskReport {
  result: ReportResult;
  message: string;
  outputs: Record<string, string>;
  summary?: { title: string; markdown: string };
  buildNumber?: string;
}

/** CompleteRelease: `version`, the release notes as summary, issues listed for a person. */
export function completeReleaseReport(outcome: CompleteReleaseOutcome): TaskReport {
  const { repo, version } = outcome;
  const title = `Released ${repo} ${version}`;
  if (outcome.kind === 'already-released') {
    return {
      result: 'Succeeded',
      message: `already completed: ${repo} ${version} was released at ${outcome.releasedAt}`,
      outputs: { version },
      summary: { title, markdown: outcome.notes },
    };
  }
  const { issues } = outcome;
  if (issues.length > 0) {
    return {
      result: 'SucceededWithIssues',
      message: `released ${repo} ${version} with ${issues.length} issue(s): ${issues.join('; ')}`,
      outputs: { version },
      summary: {
        title,
        markdown: `${outcome.notes}\n**Needs a look:**\n\n${issues.map((issue) => `- ${issue}`).join('\n')}\n`,
      },
    };
  }
  return {
    result: 'Succeeded',
    message: `released ${repo} ${version}: ${outcome.tickets} ticket(s) ${outcome.doneStatus}`,
    outputs: { version },
    summary: { title, markdown: outcome.notes },
  };
}

/** ReleasePullRequest plan: `hasRelease` (and `version`), the notes as summary, the build number. */
export function planReport(outcome: PlanOutcome): TaskReport {
  if (outcome.kind === 'nothing-staged') {
    return {
      result: 'Succeeded',
      message: `nothing to release: ${outcome.repo} has no staged tickets`,
      outputs: { hasRelease: 'false' },
    };
  }
  const { repo, version } = outcome;
  return {
    result: 'Succeeded',
    message: `${repo} ${version}: ${outcome.tickets} ticket(s) to release`,
    outputs: { hasRelease: 'true', version },
    summary: { title: `Release ${repo} ${version}`, markdown: outcome.notes },
    buildNumber: buildNumberFor(repo, version),
  };
}

/** ReleasePullRequest create: `pullRequestId`; a failed Slack card is an issue, not a failure. */
export function releasePrReport(outcome: ReleasePrOutcome): TaskReport {
  const { repo, version, pr, created } = outcome;
  const what = `${created ? 'created' : 'reused'} release PR #${pr.id} for ${repo} ${version}`;
  return {
    result: outcome.notified ? 'Succeeded' : 'SucceededWithIssues',
    message: outcome.notified ? what : `${what}; the Slack notification failed`,
    outputs: { pullRequestId: String(pr.id) },
    summary: {
      title: `Release PR: ${repo} ${version}`,
      markdown: `[PR #${pr.id}: ${pr.title}](${pr.url}) (${created ? 'created' : 'reused'})\n\n${outcome.notes}`,
    },
  };
}

/** ReleasePullRequest complete: `mergeCommit` and `tag`. */
export function mergedReport(outcome: MergedOutcome): TaskReport {
  const { repo, version, pr, mergeCommit, tag } = outcome;
  return {
    result: 'Succeeded',
    message: `merged release PR #${pr.id} of ${repo} ${version} as ${mergeCommit.slice(0, 8)}, tagged ${tag}`,
    outputs: { mergeCommit, tag },
    summary: {
      title: `Release merged: ${repo} ${version}`,
      markdown: `[PR #${pr.id}](${pr.url}) merged into \`${outcome.targetRef}\` as \`${mergeCommit}\`, tagged \`${tag}\`.`,
    },
  };
}

const runName = (run: RunFact) => `${run.pipeline.name} #${run.runId}`;
const runLink = (run: RunFact) => `${runName(run)}${run.url ? ` (${run.url})` : ''}`;

/** A failure the task reports with its code first, like a thrown coded error. */
function failed(code: string, message: string, outputs: Record<string, string>): TaskReport {
  return { result: 'Failed', message: `[${code}] ${message}`, outputs };
}

/** RunPipelines: `runIds` and `result` (skipped, failed, timedOut, succeeded); a run that failed fails the task. */
export function runPipelinesReport(outcome: RunPipelinesOutcome): TaskReport {
  if (outcome.kind === 'skipped') {
    return {
      result: 'Succeeded',
      message: 'no pipelines configured: nothing to run',
      outputs: { runIds: '', result: 'skipped' },
    };
  }
  const runIds = outcome.runs.map((run) => String(run.runId)).join(',');
  switch (outcome.kind) {
    case 'not-queued':
      return failed(
        outcome.code,
        `could not queue ${outcome.pipeline.name} (${outcome.pipeline.id}): ${outcome.reason}`,
        { runIds, result: 'failed' },
      );
    case 'timed-out':
      return failed(
        'PIPELINE_TIMEOUT',
        `still running after ${seconds(outcome.maxWaitMs)}: ${outcome.running.map(runLink).join(', ')}`,
        { runIds, result: 'timedOut' },
      );
    case 'failed':
      return failed(
        'PIPELINE_FAILED',
        outcome.failed
          .map((run) => `${runLink(run)} ${run.result === 'canceled' ? 'was canceled' : 'failed'}`)
          .join(', '),
        { runIds, result: 'failed' },
      );
    case 'succeeded': {
      const what = `${outcome.runs.length} pipeline run(s) succeeded for ${outcome.commit.slice(0, 8)}: ${outcome.runs.map(runName).join(', ')}`;
      return {
        result: outcome.notified ? 'Succeeded' : 'SucceededWithIssues',
        message: outcome.notified ? what : `${what}; the Slack notification failed`,
        outputs: { runIds, result: 'succeeded' },
      };
    }
  }
}

/** JiraTicket ensure: `ticketKey` and `ticketCreated`; no ticket, or one another PR holds, is an issue. */
export function ensureTicketReport(
  result: Exclude<EnsureTicketResult, { kind: 'needs-draft' }>,
  prId: number,
): TaskReport {
  const title = `Jira ticket of PR !${prId}`;
  if (result.kind === 'none') {
    return {
      result: 'SucceededWithIssues',
      message: result.reason,
      outputs: { ticketKey: '', ticketCreated: 'false' },
      summary: { title, markdown: `No ticket: ${result.reason}.` },
    };
  }
  if (result.kind === 'conflict') {
    return {
      result: 'SucceededWithIssues',
      message: result.reason,
      outputs: { ticketKey: '', ticketCreated: 'false' },
      summary: { title, markdown: `⚠ ${result.reason}.` },
    };
  }
  const moved = result.move
    ? result.move.changed
      ? `moved ${result.move.from} → ${result.move.to}${viaOf(result.move.path)}`
      : `stays in ${result.move.to}`
    : 'not moved';
  const how = result.createdNow
    ? 'created'
    : result.created
      ? 'created earlier for this PR'
      : `found in the ${result.source}`;
  return {
    result: result.warnings.length > 0 ? 'SucceededWithIssues' : 'Succeeded',
    message: `${result.ticketKey} ${how}, ${moved}`,
    outputs: { ticketKey: result.ticketKey, ticketCreated: String(result.created) },
    summary: {
      title,
      markdown: [
        `[${result.ticketKey}](${result.ticketUrl}) ${result.summary}`,
        '',
        `- ${how}`,
        `- ${moved}`,
        `- ${result.linkThreadId ? `linked on the PR (thread ${result.linkThreadId})` : 'not linked on the PR (no iteration)'}`,
        ...result.warnings.map((warning) => `- ⚠ ${warning}`),
      ].join('\n'),
    },
  };
}

/** The statuses passed on the way, when there were any. */
function viaOf(path: readonly string[]): string {
  return path.length > 1 ? ` (via ${path.slice(0, -1).join(', ')})` : '';
}

/** A ticket that could not be told, as the JiraTicket inputs that would tell it (`ticketKey`). */
function ticketTargetFailure(problem: TicketTargetProblem): TaskReport {
  switch (problem.kind) {
    case 'invalid-key':
      return failed(
        'INPUT_INVALID',
        `input "ticketKey" is not a Jira issue key (PROJECT-123): "${problem.key}"`,
        {},
      );
    case 'no-target':
      return failed(
        'INPUT_INVALID',
        'input "ticketKey" is required when the run is not for a pull request (no pullRequestId input or System.PullRequest.PullRequestId)',
        {},
      );
    case 'no-azdo':
      return failed('INPUT_INVALID', 'Azure DevOps is needed to find the ticket of a pull request', {});
    case 'pr-without-ticket':
      return failed(
        'TICKET_MISSING',
        `PR !${problem.prId} in ${problem.repo} has no ticket (branch, title or a linked ticket); set input "ticketKey"`,
        {},
      );
  }
}

/** JiraTicket transition: `ticketKey` (and `ticketCreated` false). */
export function transitionTicketReport(outcome: TransitionTicketOutcome): TaskReport {
  if (outcome.kind === 'no-status')
    return failed('INPUT_INVALID', 'input "status" is required for action transition', {});
  if (outcome.kind !== 'moved') return ticketTargetFailure(outcome);
  return {
    result: 'Succeeded',
    message: outcome.changed
      ? `${outcome.key} moved ${outcome.from} → ${outcome.to}${viaOf(outcome.path)}`
      : `${outcome.key} already in ${outcome.to}`,
    outputs: { ticketKey: outcome.key, ticketCreated: 'false' },
  };
}

/** JiraTicket comment: `ticketKey` (and `ticketCreated` false). */
export function commentTicketReport(outcome: CommentTicketOutcome): TaskReport {
  if (outcome.kind === 'no-comment')
    return failed('INPUT_INVALID', 'input "comment" is required for action comment', {});
  if (outcome.kind !== 'commented') return ticketTargetFailure(outcome);
  return {
    result: 'Succeeded',
    message: `commented on ${outcome.key}`,
    outputs: { ticketKey: outcome.key, ticketCreated: 'false' },
  };
}
