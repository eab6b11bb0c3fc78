// Flow outcomes → what a task shows on its run: the result, the message, output variables, the run
// summary (Markdown) and the build number. Pure (no task-lib), so tests map outcomes the same way.
import type { CompleteReleaseOutcome } from '../../flows/complete-release.ts';

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
