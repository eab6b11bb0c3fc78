// The AI review of one PR at one source commit: Claude Code reads the checkout (read-only, with a
// budget and a timeout), the verdict is posted as a summary thread, inline threads and the PR status
// `release-agent/ai-review` of the iteration, and stored once per commit. Approve asks gate 1
// [Merge] [Cancel], bound to the reviewed commit; anything else notifies Slack and the Jira ticket.
import type {
  AzureDevOps,
  PostedReview,
  PullRequest,
  PullRequestIteration,
  StatusState,
} from '../adapters/azdo/azdo.ts';
import { type ClaudeRunner, type PullRequestReview, reviewPullRequest } from '../adapters/claude/claude.ts';
import type { Jira } from '../adapters/jira/jira.ts';
import type { Slack } from '../adapters/slack/slack.ts';
import type { Store } from '../adapters/store/store.ts';
import { errorMessage, ReleaseAgentError } from '../core/errors.ts';
import type { Secret } from '../core/secret.ts';
import type { Decision, ReviewFinding, ReviewRecord, ReviewVerdict } from '../core/model.ts';
import { type MergePrDetails, reviewChangesRequestedCard, type TicketRef } from '../core/slack-cards.ts';
import { findTicketKey } from '../core/tickets.ts';
import { decisionIdFor, requestDecision, supersedeStaleMergeDecisions } from './gate-requests.ts';
import { buildPullRequestDiff, type DiffMethod, type GitRunner } from './pr-diff.ts';
import { readPrThreadState, upsertPrThread } from './pr-thread.ts';
import { prThreadId } from './threads.ts';

export interface ReviewDeps {
  azdo: AzureDevOps;
  claude: ClaudeRunner;
  store: Store;
  slack?: Slack;
  channel?: string;
  jira?: Jira;
  now: () => Date;
  nonce?: () => string;
  git?: GitRunner;
}

export interface ReviewInput {
  repo: string;
  prId: number;
  /** The checked-out source (the reviewer's read-only tools see this tree). */
  cwd: string;
  maxBudgetUsd: number;
  timeoutMs: number;
  jiraBaseUrl: string;
  ticketPattern?: string;
  /** The pipeline run, linked from the PR status. */
  runUrl?: string;
  /** Every secret the caller knows: removed from the model's output before anything is posted. */
  secrets?: readonly Secret[];
}

export type ReviewOutcome =
  | { kind: 'not-active'; pr: PullRequest }
  | { kind: 'already-reviewed'; pr: PullRequest; record: ReviewRecord }
  | {
      kind: 'reviewed';
      pr: PullRequest;
      record: ReviewRecord;
      review: PullRequestReview;
      iterationId: number;
      posted: PostedReview;
      status: StatusState;
      diff: { method: DiffMethod; note: string };
      ticketKey: string | undefined;
      decision: Decision | undefined;
      superseded: Decision[];
      notified: { slack: boolean; jira: boolean };
      warnings: string[];
    };

const VERDICT_TEXT: Record<ReviewVerdict, string> = {
  approve: 'approved',
  request_changes: 'changes requested',
  needs_human_review: 'needs a human review',
};

const SEVERITY_ORDER: ReviewFinding['severity'][] = ['critical', 'major', 'minor', 'info'];

function shortCommit(commit: string): string {
  return commit.slice(0, 7);
}

/** The iteration that carries the PR's current source commit (the newest when none says so). */
function reviewedIteration(
  pr: PullRequest,
  iterations: readonly PullRequestIteration[],
): PullRequestIteration | undefined {
  const newestFirst = [...iterations].sort((a, b) => b.id - a.id);
  return newestFirst.find((iteration) => iteration.sourceCommitId === pr.sourceCommitId) ?? newestFirst[0];
}

function statusOf(review: PullRequestReview): { state: StatusState; description: string } {
  const findings = `${review.findings.length} finding${review.findings.length === 1 ? '' : 's'}`;
  switch (review.verdict) {
    case 'approve':
      return {
        state: 'succeeded',
        description: `AI review approved (${findings}); a human decides the merge`,
      };
    case 'request_changes':
      return { state: 'failed', description: `AI review requested changes (${findings})` };
    case 'needs_human_review':
      // A run that did not complete is an error of the check; a suspicious PR waits for a person.
      if (review.secretRemoved)
        return {
          state: 'pending',
          description: 'AI review output contained a credential (removed): a person must review',
        };
      return review.failure
        ? {
            state: 'error',
            description: `AI review did not complete (${review.failure.reason}): a person must review`,
          }
        : { state: 'pending', description: 'AI review needs a human: a person must review' };
  }
}

function findingCounts(findings: readonly ReviewFinding[]): string {
  return SEVERITY_ORDER.map(
    (severity) => [severity, findings.filter((finding) => finding.severity === severity).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
}

/** The summary thread's text (Markdown). The model's words are quoted, never used as markup around ours. */
export function reviewThreadText(review: PullRequestReview, sourceCommit: string): string {
  const lines = [
    `### AI review: ${VERDICT_TEXT[review.verdict]}`,
    '',
    review.summary.trim() || '_No summary._',
    '',
  ];
  const counts = findingCounts(review.findings);
  lines.push(
    `**Findings:** ${review.findings.length}${counts ? ` (${counts})` : ''} · **Commit:** ${shortCommit(sourceCommit)} · **Cost:** $${review.costUsd.toFixed(2)}`,
  );
  if (review.injectionSuspected) {
    lines.push(
      '',
      '> ⚠ The pull request text looks like it tries to instruct the reviewer. It was treated as data; a person must review this change.',
    );
  }
  if (review.failure) lines.push('', `> The review did not complete: ${review.failure.reason}.`);
  if (review.secretRemoved)
    lines.push(
      '',
      `> ⚠ The review's output contained a credential; it was removed. A person must review this change.`,
    );
  lines.push(
    '',
    '_Claude Code reviewed the checkout read-only. The verdict is advice: a human decides the merge._',
  );
  return lines.join('\n');
}

function inlineText(finding: ReviewFinding): string {
  return `**${finding.severity}**: ${finding.message}`;
}

function jiraCommentText(
  pr: PullRequest,
  repo: string,
  review: PullRequestReview,
  sourceCommit: string,
): string {
  const lines = [
    `AI review of pull request !${pr.id} "${pr.title}" in ${repo} (commit ${shortCommit(sourceCommit)}): ${VERDICT_TEXT[review.verdict]}.`,
    '',
    review.summary.trim(),
  ];
  if (review.findings.length > 0) {
    lines.push(
      '',
      ...review.findings.map(
        (finding) => `- ${finding.severity} ${finding.file}:${finding.line}: ${finding.message}`,
      ),
    );
  }
  lines.push('', `Pull request: ${pr.webUrl}`);
  return lines.join('\n');
}

/** Reviews the PR's current source commit once; a commit already reviewed is reported, not reviewed again. */
export async function reviewPullRequestFlow(deps: ReviewDeps, input: ReviewInput): Promise<ReviewOutcome> {
  const { repo, prId } = input;
  const pr = await deps.azdo.getPullRequest(repo, prId);
  if (pr.status !== 'active') return { kind: 'not-active', pr };
  const iterations = await deps.azdo.listIterations(repo, prId);
  const iteration = reviewedIteration(pr, iterations);
  const sourceCommit = pr.sourceCommitId ?? iteration?.sourceCommitId;
  if (!iteration || !sourceCommit) {
    throw new ReleaseAgentError(
      'NOT_FOUND',
      `PR !${prId} in ${repo} has no iteration or source commit yet; run again once Azure DevOps has computed it`,
      {
        repo,
        prId,
      },
    );
  }
  const gateDeps = {
    store: deps.store,
    ...(deps.slack ? { slack: deps.slack } : {}),
    ...(deps.channel ? { channel: deps.channel } : {}),
    now: deps.now,
    ...(deps.nonce ? { nonce: deps.nonce } : {}),
  };
  // A newer push voids gate-1 questions asked for older commits, whether or not this one was reviewed.
  const superseded = await supersedeStaleMergeDecisions(gateDeps, {
    repo,
    prId,
    currentCommit: sourceCommit,
  });
  const existing = await deps.store.reviews.get(repo, prId, sourceCommit);
  if (existing) return { kind: 'already-reviewed', pr, record: existing };

  const state = await readPrThreadState(deps.store, repo, prId);
  // The ticket JiraTicket linked (project-checked, not claimed by another PR) wins; a key the branch or
  // title names is only shown, never recorded here: recording it would let a PR take over any ticket.
  const ticketKey =
    state.ticketKey ??
    findTicketKey({ branch: pr.sourceRefName, title: pr.title }, { pattern: input.ticketPattern })?.key;
  const changes = await deps.azdo.getIterationChanges(repo, prId, iteration.id);
  const diff = await buildPullRequestDiff({
    cwd: input.cwd,
    changes,
    targetCommit: iteration.targetCommitId,
    sourceCommit,
    ...(deps.git ? { git: deps.git } : {}),
  });
  const review = await reviewPullRequest(deps.claude, {
    repo,
    title: pr.title,
    description: pr.description,
    branch: pr.sourceRefName,
    commits: diff.commits,
    diff: diff.diff,
    cwd: input.cwd,
    maxBudgetUsd: input.maxBudgetUsd,
    timeoutMs: input.timeoutMs,
    ...(input.secrets ? { secrets: input.secrets } : {}),
  });

  // Threads and status first, the record after: a retry after a crash may post twice, never lose a review.
  const posted = await deps.azdo.postReview(repo, prId, {
    iterationId: iteration.id,
    summary: reviewThreadText(review, sourceCommit),
    comments: review.findings.map((finding) => ({
      path: finding.file,
      line: finding.line,
      body: inlineText(finding),
    })),
    lineCounts: diff.lineCounts,
  });
  const status = statusOf(review);
  await deps.azdo.setPullRequestStatus(repo, prId, {
    iterationId: iteration.id,
    state: status.state,
    description: status.description,
    ...(input.runUrl ? { targetUrl: input.runUrl } : {}),
  });
  const now = deps.now();
  const record: ReviewRecord = {
    repo,
    prId,
    sourceCommit,
    iterationId: iteration.id,
    verdict: review.verdict,
    summary: review.summary,
    findingsCount: review.findings.length,
    injectionSuspected: review.injectionSuspected,
    costUsd: review.costUsd,
    prUrl: pr.webUrl,
    prTitle: pr.title,
    createdAt: now.toISOString(),
  };
  await deps.store.reviews.put(record);
  await upsertPrThread(deps.store, {
    repo,
    prId,
    now,
    status: review.verdict === 'approve' ? 'waiting' : 'running',
    state: {
      title: pr.title,
      sourceRefName: pr.sourceRefName,
      targetRefName: pr.targetRefName,
      reviewedCommit: sourceCommit,
      verdict: review.verdict,
    },
  });

  const warnings: string[] = [];
  const ticket: TicketRef | undefined = ticketKey ? { key: ticketKey } : undefined;
  let decision: Decision | undefined;
  const notified = { slack: false, jira: false };
  if (review.verdict === 'approve') {
    const target = { gate: 'merge_pr' as const, repo, prId, sourceCommit };
    const details: MergePrDetails = {
      gate: 'merge_pr',
      repo,
      prId,
      prTitle: pr.title,
      prUrl: pr.webUrl,
      author: pr.createdBy.displayName,
      sourceBranch: pr.sourceRefName,
      targetBranch: pr.targetRefName,
      sourceCommit,
      ...(ticket ? { ticket } : {}),
      jiraBaseUrl: input.jiraBaseUrl,
      review: {
        summary: review.summary,
        findingsCount: review.findings.length,
        costUsd: review.costUsd,
        injectionSuspected: review.injectionSuspected,
      },
    };
    try {
      const requested = await requestDecision(gateDeps, {
        threadId: prThreadId(repo, prId),
        target,
        details,
      });
      decision = requested.decision;
      notified.slack = requested.posted;
    } catch (error) {
      // Stored but its card failed: the hub, the API and the poller's reconcile still reach it.
      decision = await deps.store.decisions.get(decisionIdFor(target));
      if (!decision) throw error;
      warnings.push(
        `the gate-1 card was not posted (${errorMessage(error)}); the decision is answerable in the hub`,
      );
    }
  } else {
    const verdict = review.verdict;
    if (deps.slack) {
      try {
        const card = reviewChangesRequestedCard({
          repo,
          prId,
          prTitle: pr.title,
          prUrl: pr.webUrl,
          author: pr.createdBy.displayName,
          verdict,
          summary: review.summary,
          findings: review.findings,
          ...(ticket ? { ticket } : {}),
          jiraBaseUrl: input.jiraBaseUrl,
          costUsd: review.costUsd,
        });
        await deps.slack.postMessage({
          ...(deps.channel ? { channel: deps.channel } : {}),
          text: card.text,
          blocks: card.blocks,
        });
        notified.slack = true;
      } catch (error) {
        warnings.push(`the Slack notification failed: ${errorMessage(error)}`);
      }
    }
    if (deps.jira && ticketKey) {
      try {
        await deps.jira.comment(ticketKey, jiraCommentText(pr, repo, review, sourceCommit));
        notified.jira = true;
      } catch (error) {
        warnings.push(`the Jira comment on ${ticketKey} failed: ${errorMessage(error)}`);
      }
    }
  }
  return {
    kind: 'reviewed',
    pr,
    record,
    review,
    iterationId: iteration.id,
    posted,
    status: status.state,
    diff: { method: diff.method, note: diff.note },
    ticketKey,
    decision,
    superseded,
    notified,
    warnings,
  };
}

function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

/** The run summary (Markdown) of a review outcome. */
export function reviewRunSummary(outcome: ReviewOutcome, repo: string): string {
  const { pr } = outcome;
  const head = `**Pull request:** [!${pr.id} ${cell(pr.title)}](${pr.webUrl}) in ${repo}`;
  if (outcome.kind === 'not-active') return `${head}\n\nThe pull request is ${pr.status}: nothing to review.`;
  if (outcome.kind === 'already-reviewed') {
    const record = outcome.record;
    return [
      head,
      '',
      `Commit ${shortCommit(record.sourceCommit)} was already reviewed at ${record.createdAt}: **${VERDICT_TEXT[record.verdict]}** (${record.findingsCount} findings, $${record.costUsd.toFixed(2)}). No new review, no new threads.`,
    ].join('\n');
  }
  const { review, record } = outcome;
  const lines = [
    head,
    '',
    `| Verdict | Commit | Findings | Cost | Diff |`,
    `|---|---|---|---|---|`,
    `| **${VERDICT_TEXT[review.verdict]}** | ${shortCommit(record.sourceCommit)} | ${review.findings.length} | $${review.costUsd.toFixed(2)} | ${outcome.diff.method} |`,
    '',
    review.summary.trim(),
  ];
  if (review.findings.length > 0) {
    lines.push('', '| Severity | File | Line | Finding |', '|---|---|---|---|');
    for (const finding of review.findings) {
      lines.push(
        `| ${finding.severity} | ${cell(finding.file)} | ${finding.line} | ${cell(finding.message)} |`,
      );
    }
  }
  if (outcome.posted.folded.length > 0) {
    lines.push(
      '',
      `${outcome.posted.folded.length} finding(s) could not be anchored in the iteration and went into the summary thread.`,
    );
  }
  if (review.injectionSuspected) {
    lines.push(
      '',
      `⚠ Prompt injection suspected${review.signals.length > 0 ? ` (${review.signals.join('; ')})` : ''}: never approved by the AI.`,
    );
  }
  if (review.modelVerdict && review.modelVerdict !== review.verdict) {
    lines.push(
      '',
      `The model answered ${review.modelVerdict}; the product's rules made it ${VERDICT_TEXT[review.verdict]}.`,
    );
  }
  if (review.failure)
    lines.push(
      '',
      `The review did not complete: ${review.failure.reason}${review.failure.errors.length > 0 ? ` (${review.failure.errors.join('; ')})` : ''}.`,
    );
  if (outcome.decision)
    lines.push(
      '',
      `Gate 1 [Merge] [Cancel]: decision \`${outcome.decision.id}\` (${outcome.decision.status}), bound to commit ${shortCommit(record.sourceCommit)}.`,
    );
  if (outcome.superseded.length > 0)
    lines.push('', `Superseded ${outcome.superseded.length} merge question(s) for older commits.`);
  lines.push('', `Diff: ${outcome.diff.note}.`);
  for (const warning of outcome.warnings) lines.push('', `⚠ ${warning}`);
  return lines.join('\n');
}
