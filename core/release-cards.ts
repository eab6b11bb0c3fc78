// The release cards: notices without buttons (a review asking for changes, a ticket staged, the
// release PR created, pipelines finished, a deployment approved, a release done, a step failed).
import {
  type Actor,
  actorText,
  type Block,
  context,
  counted,
  divider,
  facts,
  fallback,
  fitLines,
  formatUtcTime,
  header,
  inline,
  type SlackCard,
  section,
  stageName,
  ticketLink,
  ticketList,
  usd,
  VIA_TEXT,
} from './card-blocks.ts';
import type { DecisionSource, FindingSeverity, PullRequestRef, ReviewFinding, TicketRef } from './model.ts';
import { escapeMrkdwn, isLinkableUrl, SLACK_LIMITS, slackLink } from './slack-text.ts';

const SEVERITY: Readonly<Record<FindingSeverity, { rank: number; icon: string }>> = {
  critical: { rank: 0, icon: '🔴' },
  major: { rank: 1, icon: '🟠' },
  minor: { rank: 2, icon: '🟡' },
  info: { rank: 3, icon: '🔵' },
};

/** Azure Pipelines run results, plus our own time-out. */
export type PipelineResult = 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled' | 'timedOut' | 'none';

const PIPELINE_RESULT: Readonly<Record<PipelineResult, { icon: string; label: string; ok: boolean }>> = {
  succeeded: { icon: '✅', label: 'succeeded', ok: true },
  partiallySucceeded: { icon: '⚠️', label: 'partially succeeded', ok: false },
  failed: { icon: '❌', label: 'failed', ok: false },
  canceled: { icon: '⛔', label: 'canceled', ok: false },
  timedOut: { icon: '⏱', label: 'timed out', ok: false },
  none: { icon: '❔', label: 'no result', ok: false },
};

// ---------------------------------------------------------------------------------------------
// Notifications (no buttons).

export interface ReviewChangesRequestedInput {
  repo: string;
  prId: number;
  prTitle: string;
  prUrl?: string;
  author?: string;
  verdict?: 'request_changes' | 'needs_human_review';
  summary: string;
  findings: ReviewFinding[];
  ticket?: TicketRef;
  jiraBaseUrl: string;
  costUsd?: number;
}

export function reviewChangesRequestedCard(input: ReviewChangesRequestedInput): SlackCard {
  const human = input.verdict === 'needs_human_review';
  const findings = [...input.findings].sort(
    (a, b) =>
      SEVERITY[a.severity].rank - SEVERITY[b.severity].rank ||
      a.file.localeCompare(b.file) ||
      a.line - b.line,
  );
  const counts = (Object.keys(SEVERITY) as FindingSeverity[])
    .map(
      (severity) => [severity, findings.filter((finding) => finding.severity === severity).length] as const,
    )
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
  const blocks: Block[] = [
    header(human ? `PR #${input.prId} needs a human review` : `Changes requested on PR #${input.prId}`),
    section(`*${slackLink(input.prUrl, input.prTitle, { max: 500 })}*`),
    facts([
      ['Repository', inline(input.repo)],
      ['Author', input.author ? inline(input.author, 100) : undefined],
      ['Ticket', input.ticket ? ticketLink(input.ticket.key, input.jiraBaseUrl) : undefined],
      ['Findings', findings.length > 0 ? `${findings.length} (${counts})` : '0'],
      ['Review cost', input.costUsd === undefined ? undefined : usd(input.costUsd)],
    ]),
  ];
  if (input.summary.trim()) {
    blocks.push(
      section(`*AI review*\n${escapeMrkdwn(input.summary, { max: SLACK_LIMITS.sectionText - 20 })}`),
    );
  }
  if (findings.length > 0) {
    const lines = findings.map(
      (finding) =>
        `${SEVERITY[finding.severity].icon} ${inline(finding.file, 200)}:${finding.line} ${inline(finding.message, 300)}`,
    );
    blocks.push(section(`*Findings*\n${fitLines(lines, SLACK_LIMITS.sectionText - 20)}`));
  }
  const what = human ? 'needs a human review' : 'changes requested';
  return {
    text: fallback(
      `PR #${input.prId} ${inline(input.prTitle)} in ${inline(input.repo)}: ${what} (${counted(findings.length, 'finding')})`,
    ),
    blocks,
  };
}

export interface StagedInput {
  repo: string;
  version: string;
  ticket: TicketRef;
  jiraBaseUrl: string;
  pr?: PullRequestRef;
  /** How many tickets the staging release holds now. */
  ticketsOnStaging?: number;
}

export function stagedCard(input: StagedInput): SlackCard {
  const key = ticketLink(input.ticket.key, input.jiraBaseUrl);
  const summary = input.ticket.summary?.trim() ? ` ${inline(input.ticket.summary)}` : '';
  const pr = input.pr
    ? `\nFrom ${slackLink(input.pr.url, `PR #${input.pr.id}${input.pr.title ? `: ${input.pr.title}` : ''}`)}`
    : '';
  const blocks: Block[] = [
    header(`Staged: ${input.ticket.key} → ${input.repo} ${input.version}`),
    section(
      `Ticket ${key}${summary} added to *${inline(input.repo)}* staging version *${inline(input.version, 50)}*${pr}`,
    ),
  ];
  if (input.ticketsOnStaging !== undefined) {
    blocks.push(
      context([`${counted(input.ticketsOnStaging, 'ticket')} on staging for ${inline(input.repo)}`]),
    );
  }
  return {
    text: fallback(
      `Ticket ${inline(input.ticket.key, 100)} added to ${inline(input.repo)} staging version ${inline(input.version, 50)}`,
    ),
    blocks,
  };
}

export interface ReleasePrCreatedInput {
  repo: string;
  version: string;
  pr: PullRequestRef;
  tickets: TicketRef[];
  jiraBaseUrl: string;
}

export function releasePrCreatedCard(input: ReleasePrCreatedInput): SlackCard {
  const label = `Release PR #${input.pr.id}${input.pr.title ? `: ${input.pr.title}` : ''}`;
  return {
    text: fallback(
      `Release PR #${input.pr.id} created for ${inline(input.repo)} ${inline(input.version, 50)}`,
    ),
    blocks: [
      header(`Release PR created: ${input.repo} ${input.version}`),
      section(`*${slackLink(input.pr.url, label, { max: 500 })}*`),
      section(
        `*Tickets (${input.tickets.length})*\n${ticketList(input.tickets, input.jiraBaseUrl, SLACK_LIMITS.sectionText - 30)}`,
      ),
    ],
  };
}

export interface PipelinesFinishedInput {
  repo: string;
  version?: string;
  pipelines: { name: string; result: PipelineResult; url?: string }[];
}

export function pipelinesFinishedCard(input: PipelinesFinishedInput): SlackCard {
  const ok = input.pipelines.every((pipeline) => PIPELINE_RESULT[pipeline.result].ok);
  const version = input.version ? ` ${input.version}` : '';
  const lines = input.pipelines.map((pipeline) => {
    const result = PIPELINE_RESULT[pipeline.result];
    return `${result.icon} ${slackLink(pipeline.url, pipeline.name)}: ${result.label}`;
  });
  const failed = input.pipelines.filter((pipeline) => !PIPELINE_RESULT[pipeline.result].ok).length;
  const outcome = ok ? 'all succeeded' : `${failed} of ${input.pipelines.length} did not succeed`;
  return {
    text: fallback(
      `Pipelines for ${inline(input.repo)}${input.version ? ` ${inline(input.version, 50)}` : ''}: ${outcome}`,
    ),
    blocks: [
      header(`${ok ? '✅' : '❌'} Pipelines finished: ${input.repo}${version}`),
      section(lines.length > 0 ? fitLines(lines, SLACK_LIMITS.sectionText) : '_no pipelines ran_'),
      context([outcome]),
    ],
  };
}

export interface DeploymentApprovedInput {
  repo: string;
  version: string;
  stage: string;
  by: Actor;
  via: DecisionSource;
  at: string;
  now: string;
  runUrl?: string;
}

export function deploymentApprovedCard(input: DeploymentApprovedInput): SlackCard {
  const stage = inline(stageName(input.stage), 50);
  const run =
    input.runUrl && isLinkableUrl(input.runUrl) ? ` · ${slackLink(input.runUrl, 'Pipeline run')}` : '';
  return {
    text: fallback(`Deployment of ${inline(input.repo)} ${inline(input.version, 50)} to ${stage} approved`),
    blocks: [
      header(`Deployment approved: ${input.repo} ${input.version} → ${stageName(input.stage)}`),
      section(
        `✅ *${stage}* deployment of *${inline(input.repo)}* ${inline(input.version, 50)} approved by ${actorText(input.by)} ${VIA_TEXT[input.via]} at ${formatUtcTime(input.at, input.now)}${run}`,
      ),
    ],
  };
}

export interface ReleaseCompletedInput {
  repo: string;
  version: string;
  notes: string;
  tickets: TicketRef[];
  jiraBaseUrl: string;
  releasePr?: PullRequestRef;
  tag?: string;
}

export function releaseCompletedCard(input: ReleaseCompletedInput): SlackCard {
  const blocks: Block[] = [
    header(`🚀 Released ${input.repo} ${input.version}`),
    facts([
      ['Repository', inline(input.repo)],
      ['Version', inline(input.version, 50)],
      ['Tag', input.tag ? inline(input.tag, 100) : undefined],
      [
        'Release PR',
        input.releasePr ? slackLink(input.releasePr.url, `PR #${input.releasePr.id}`) : undefined,
      ],
    ]),
  ];
  if (input.notes.trim()) {
    blocks.push(
      section(`*Release notes*\n${escapeMrkdwn(input.notes, { max: SLACK_LIMITS.sectionText - 20 })}`),
    );
  }
  blocks.push(
    divider(),
    section(
      `*Tickets (${input.tickets.length})*\n${ticketList(input.tickets, input.jiraBaseUrl, SLACK_LIMITS.sectionText - 30)}`,
    ),
  );
  return {
    text: fallback(
      `Released ${inline(input.repo)} ${inline(input.version, 50)} (${counted(input.tickets.length, 'ticket')})`,
    ),
    blocks,
  };
}

export interface FailureInput {
  /** The step that failed, e.g. "RunPipelines". */
  step: string;
  repo?: string;
  version?: string;
  runUrl?: string;
  /** Already redacted by the caller (core/secret.ts `redact`). */
  message: string;
}

export function failureCard(input: FailureInput): SlackCard {
  const where = [input.repo, input.version].filter((part): part is string => Boolean(part?.trim()));
  const blocks: Block[] = [
    header(`❌ Failed: ${input.step}${where.length > 0 ? ` (${where.join(' ')})` : ''}`),
    section(
      `*Error*\n${escapeMrkdwn(input.message, { max: SLACK_LIMITS.sectionText - 20 }) || '_no message_'}`,
    ),
  ];
  if (input.runUrl && isLinkableUrl(input.runUrl))
    blocks.push(context([slackLink(input.runUrl, 'Open the run')]));
  const scope = where.length > 0 ? ` for ${where.map((part) => inline(part)).join(' ')}` : '';
  return {
    text: fallback(`Failed: ${inline(input.step, 100)}${scope}: ${inline(input.message, 300)}`),
    blocks,
  };
}
