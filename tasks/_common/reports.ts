// Flow outcomes → what a task shows on its run: the result, the message, output variables, the run
// summary (Markdown) and the build number. Pure (no task-lib), so tests map outcomes the same way.
import { buildNumberFor } from '../../core/build-number.ts';
import type { CompleteReleaseOutcome } from '../../flows/complete-release.ts';
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
