// The function app's half of an AI review. The PR build runs Claude and posts the threads with its own
// job token; what it reports is hostile input (the PR's YAML runs there), so the app takes every fact
// from Azure DevOps (the PR, its author, its branches and which commit the build was queued for) and
// only the review's words from the report. It stores the review once per commit and asks gate 1 for an
// approve verdict, or notifies Slack and the ticket otherwise. Only the app creates decisions.
import type { AzureDevOps, PullRequest } from '../adapters/azdo/azdo.ts';
import type { Jira } from '../adapters/jira/jira.ts';
import type { Slack } from '../adapters/slack/slack.ts';
import { errorMessage } from '../core/errors.ts';
import type { MergePrDetails, ReviewFinding, ReviewRecord, ReviewVerdict, TicketRef } from '../core/model.ts';
import { reviewChangesRequestedCard } from '../core/release-cards.ts';
import { findTicketKey } from '../core/tickets.ts';
import type { FlowContext } from './context.ts';
import { decisionIdFor, requestDecision, supersedeStaleMergeDecisions } from './gate-requests.ts';
import { readPrThreadState, upsertPrThread } from './pr-thread.ts';
import { prThreadId } from './threads.ts';

/** What a PR build reports of its review: the reviewer's words and the verdict the task's rules gave. */
export interface ReviewReport {
  iterationId: number;
  verdict: ReviewVerdict;
  summary: string;
  findings: ReviewFinding[];
  injectionSuspected: boolean;
  /** Why the run gave no valid answer, when it did not. */
  failure?: string;
  costUsd: number;
}

export interface ReviewStart {
  /** The commit this build reviews: the one Azure DevOps queued the build for. */
  sourceCommit: string;
  /** A review of that commit already stored: nothing to review again. */
  existing: ReviewRecord | undefined;
  /** The PR's ticket as the app knows it (branch, title, or the one the agent linked). */
  ticketKey: string | undefined;
  /** Pending merge questions for older commits voided by this build. */
  superseded: number;
  /** The commit the PR's latest earlier review saw: a later push is reviewed from there. */
  previousCommit?: string;
  /** What the PR's reviews cost so far, and what they may cost together. */
  spentUsd: number;
  budgetUsd: number | undefined;
}

export interface ReviewRecorded {
  record: ReviewRecord;
  decision: { id: string; status: string } | undefined;
  notified: { slack: boolean; jira: boolean };
  warnings: string[];
}

/** The review's two calls to the function app, as the agent-side flow sees them. */
export interface ReviewReporting {
  start(): Promise<ReviewStart>;
  report(report: ReviewReport): Promise<ReviewRecorded>;
}

/** The flow context plus the app's ports (Slack and Jira optional) and the review settings. */
export interface ReviewRecordDeps extends FlowContext {
  /** The app's own Azure DevOps identity: the facts about the PR come from here. */
  azdo: Pick<AzureDevOps, 'getPullRequest'>;
  slack?: Slack | undefined;
  channel?: string | undefined;
  jira?: Jira | undefined;
  nonce?: () => string;
  jiraBaseUrl: string;
  ticketPattern?: string;
  /** REVIEW_PR_BUDGET_USD. */
  prBudgetUsd?: number;
}

/** The PR of a PR build: its repo, id and the commit the build was queued for (when Azure DevOps says). */
export interface ReviewedPullRequest {
  repo: string;
  prId: number;
  sourceCommit: string | undefined;
}

const VERDICT_TEXT: Record<ReviewVerdict, string> = {
  approve: 'approved',
  request_changes: 'changes requested',
  needs_human_review: 'needs a human review',
};

/**
 * The ticket shown with the review: the one the ticket step linked (project-checked, not held by
 * another PR), else a key the branch or title names. Only shown, never recorded here: recording it
 * would let a PR take over any ticket by naming it.
 */
async function ticketOf(deps: ReviewRecordDeps, pr: PullRequest, repo: string): Promise<string | undefined> {
  const linked = (await readPrThreadState(deps.store, repo, pr.id)).ticketKey;
  return (
    linked ??
    findTicketKey({ branch: pr.sourceRefName, title: pr.title }, { pattern: deps.ticketPattern })?.key
  );
}

/** A PR build starts: void older merge questions, and say which commit it reviews and whether it was. */
export async function startReview(deps: ReviewRecordDeps, target: ReviewedPullRequest): Promise<ReviewStart> {
  const pr = await deps.azdo.getPullRequest(target.repo, target.prId);
  const current = pr.sourceCommitId?.toLowerCase();
  const sourceCommit = target.sourceCommit ?? current;
  if (!sourceCommit) {
    return {
      sourceCommit: '',
      existing: undefined,
      ticketKey: undefined,
      superseded: 0,
      spentUsd: 0,
      budgetUsd: deps.prBudgetUsd,
    };
  }
  const superseded = current
    ? await supersedeStaleMergeDecisions(deps, {
        repo: target.repo,
        prId: target.prId,
        currentCommit: current,
      })
    : [];
  const earlier = (await deps.store.reviews.list({ repo: target.repo, limit: 500 })).filter(
    (review) => review.prId === target.prId,
  );
  const previous = earlier.find((review) => review.sourceCommit !== sourceCommit);
  const spentUsd = earlier.reduce((sum, review) => sum + review.costUsd, 0);
  return {
    sourceCommit,
    existing: await deps.store.reviews.get(target.repo, target.prId, sourceCommit),
    ticketKey: await ticketOf(deps, pr, target.repo),
    superseded: superseded.length,
    ...(previous ? { previousCommit: previous.sourceCommit } : {}),
    spentUsd,
    budgetUsd: deps.prBudgetUsd,
  };
}

/**
 * The verdict the app acts on: the report's, never better than its own words allow. A report that says
 * the run failed or suspects injection is never an approval, whatever its verdict field says.
 */
export function acceptedVerdict(report: ReviewReport): ReviewVerdict {
  if (report.failure || report.injectionSuspected) return 'needs_human_review';
  return report.verdict;
}

/** Stores the review of the build's commit and asks gate 1, or notifies. */
export async function recordReview(
  deps: ReviewRecordDeps,
  target: ReviewedPullRequest,
  report: ReviewReport,
): Promise<ReviewRecorded> {
  const { repo, prId } = target;
  const pr = await deps.azdo.getPullRequest(repo, prId);
  const current = pr.sourceCommitId?.toLowerCase();
  const sourceCommit = target.sourceCommit ?? current ?? '';
  const verdict = acceptedVerdict(report);
  const ticketKey = await ticketOf(deps, pr, repo);
  const now = deps.now();
  const record: ReviewRecord = {
    repo,
    prId,
    sourceCommit,
    iterationId: report.iterationId,
    verdict,
    summary: report.summary,
    findingsCount: report.findings.length,
    injectionSuspected: report.injectionSuspected,
    costUsd: report.costUsd,
    prUrl: pr.webUrl,
    prTitle: pr.title,
    createdAt: now.toISOString(),
  };
  const stored = await deps.store.reviews.put(record);
  if (!stored.created) {
    // Reported before (a retried task): the first report stands, and was acted on then.
    const decision = await deps.store.decisions.get(
      decisionIdFor({ gate: 'merge_pr', repo, prId, sourceCommit }),
    );
    return {
      record: stored.stored,
      decision: decision ? { id: decision.id, status: decision.status } : undefined,
      notified: { slack: false, jira: false },
      warnings: [],
    };
  }
  await upsertPrThread(deps.store, {
    repo,
    prId,
    now,
    status: verdict === 'approve' ? 'waiting' : 'running',
    state: {
      title: pr.title,
      sourceRefName: pr.sourceRefName,
      targetRefName: pr.targetRefName,
      reviewedCommit: sourceCommit,
      verdict,
    },
  });

  const warnings: string[] = [];
  const ticket: TicketRef | undefined = ticketKey ? { key: ticketKey } : undefined;
  const notified = { slack: false, jira: false };
  if (verdict === 'approve') {
    if (pr.status !== 'active' || sourceCommit !== current) {
      warnings.push(
        `gate 1 was not asked: the PR is ${pr.status}${current && current !== sourceCommit ? ` and now at ${current.slice(0, 7)}` : ''}; the new commit gets its own review`,
      );
      return { record, decision: undefined, notified, warnings };
    }
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
      jiraBaseUrl: deps.jiraBaseUrl,
      review: {
        summary: report.summary,
        findingsCount: report.findings.length,
        costUsd: report.costUsd,
        injectionSuspected: report.injectionSuspected,
      },
    };
    try {
      const requested = await requestDecision(deps, {
        threadId: prThreadId(repo, prId),
        target,
        details,
      });
      notified.slack = requested.posted;
      return {
        record,
        decision: { id: requested.decision.id, status: requested.decision.status },
        notified,
        warnings,
      };
    } catch (error) {
      // Stored but its card failed: the hub, the API and the poller's reconcile still reach it.
      const decision = await deps.store.decisions.get(decisionIdFor(target));
      if (!decision) throw error;
      warnings.push(
        `the gate-1 card was not posted (${errorMessage(error)}); the decision is answerable in the hub`,
      );
      return { record, decision: { id: decision.id, status: decision.status }, notified, warnings };
    }
  }
  if (deps.slack) {
    try {
      const card = reviewChangesRequestedCard({
        repo,
        prId,
        prTitle: pr.title,
        prUrl: pr.webUrl,
        author: pr.createdBy.displayName,
        verdict,
        summary: report.summary,
        findings: report.findings,
        ...(ticket ? { ticket } : {}),
        jiraBaseUrl: deps.jiraBaseUrl,
        costUsd: report.costUsd,
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
      await deps.jira.comment(ticketKey, jiraCommentText(pr, repo, verdict, report, sourceCommit));
      notified.jira = true;
    } catch (error) {
      warnings.push(`the Jira comment on ${ticketKey} failed: ${errorMessage(error)}`);
    }
  }
  return { record, decision: undefined, notified, warnings };
}

function jiraCommentText(
  pr: PullRequest,
  repo: string,
  verdict: ReviewVerdict,
  report: ReviewReport,
  sourceCommit: string,
): string {
  const lines = [
    `AI review of pull request !${pr.id} "${pr.title}" in ${repo} (commit ${sourceCommit.slice(0, 7)}): ${VERDICT_TEXT[verdict]}.`,
    '',
    report.summary.trim(),
  ];
  if (report.findings.length > 0) {
    lines.push(
      '',
      ...report.findings.map(
        (finding) => `- ${finding.severity} ${finding.file}:${finding.line}: ${finding.message}`,
      ),
    );
  }
  lines.push('', `Pull request: ${pr.webUrl}`);
  return lines.join('\n');
}

/** The app's half run in-process (flow tests, benchmarks): the same functions the app's route calls. */
export function localReviewReporting(deps: ReviewRecordDeps, target: ReviewedPullRequest): ReviewReporting {
  let bound = target;
  return {
    start: async () => {
      const started = await startReview(deps, bound);
      if (started.sourceCommit) bound = { ...bound, sourceCommit: started.sourceCommit };
      return started;
    },
    report: (report) => recordReview(deps, bound, report),
  };
}
