// The AI review of one PR at one source commit, as the PR build runs it: Claude Code reads the checkout
// (read-only, with a budget and a timeout), the verdict is posted as a summary thread, inline threads and
// the PR status `release-agent/ai-review` of the iteration with the job's own token, and reported to the
// function app (flows/review-record.ts), which stores it once per commit and alone asks gate 1.
import type {
  AzureDevOps,
  PostedReview,
  PullRequest,
  PullRequestIteration,
  ReviewThread,
  StatusState,
} from '../adapters/azdo/azdo.ts';
import { type ClaudeRunner, type PullRequestReview, reviewPullRequest } from '../adapters/claude/claude.ts';
import { ReleaseAgentError } from '../core/errors.ts';
import type { ReviewFinding, ReviewRecord, ReviewVerdict } from '../core/model.ts';
import type { Secret } from '../core/secret.ts';
import { isOpenThread, planReviewThreads, type ThreadPlan } from '../core/review-threads.ts';
import type { FlowContext } from './context.ts';
import { buildPullRequestDiff, type DiffMethod, type GitRunner } from './pr-diff.ts';
import { anchorComments, type FoldedComment, summaryWithFolded } from './review-anchors.ts';
import type { ReviewRecorded, ReviewReporting, ReviewStart } from './review-record.ts';

/** The flow context without the store (the job holds none: the app stores the review) plus the job's ports. */
export type ReviewDeps = Omit<FlowContext, 'store'> & {
  /** The job's own Azure DevOps identity: reads the PR, posts threads and the status. */
  azdo: AzureDevOps;
  claude: ClaudeRunner;
  /** The function app: which commit to review, and where the verdict goes. */
  reporting: ReviewReporting;
  git?: GitRunner;
};

export interface ReviewInput {
  repo: string;
  prId: number;
  /** The checked-out source (the reviewer's read-only tools see this tree). */
  cwd: string;
  maxBudgetUsd: number;
  timeoutMs: number;
  /** The pipeline run, linked from the PR status. */
  runUrl?: string;
  /** Review the whole PR again instead of what changed since the last reviewed commit. */
  fullReview?: boolean;
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
      /** `folded`: findings that could not be anchored on the iteration (in the summary instead). */
      posted: PostedReview & { folded: FoldedComment[] };
      status: StatusState;
      diff: { method: DiffMethod; note: string };
      ticketKey: string | undefined;
      decision: ReviewRecorded['decision'];
      superseded: number;
      notified: ReviewRecorded['notified'];
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
export function reviewThreadText(
  review: PullRequestReview,
  sourceCommit: string,
  threads?: Pick<ThreadPlan, 'post' | 'known' | 'resolve'>,
): string {
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
  if (threads && (threads.known.length > 0 || threads.resolve.length > 0)) {
    lines.push(
      '',
      `**Threads:** ${threads.post.length} new, ${threads.known.length} already raised (not posted again), ${threads.resolve.length} fixed by this push (resolved).`,
    );
  }
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

/**
 * The PR's review budget is spent: no reviewer runs. The summary says so in place, the status asks a
 * person, open threads stay as they are (nothing was checked), and the app records a review that needs
 * a human.
 */
async function budgetSpent(
  deps: ReviewDeps,
  input: ReviewInput,
  known: { pr: PullRequest; iterationId: number; sourceCommit: string; started: ReviewStart },
): Promise<ReviewOutcome> {
  const { pr, iterationId, sourceCommit, started } = known;
  const spent = `$${started.spentUsd.toFixed(2)} of $${(started.budgetUsd ?? 0).toFixed(2)}`;
  const review: PullRequestReview = {
    verdict: 'needs_human_review',
    summary: `The AI review budget of this pull request is spent (${spent}): commit ${shortCommit(sourceCommit)} was not reviewed by the AI; a person must review it.`,
    findings: [],
    injectionSuspected: false,
    costUsd: 0,
    failure: { reason: 'pr_budget_spent', errors: [] },
    signals: [],
    removed: [],
  };
  const plan = planReviewThreads(await deps.azdo.listReviewThreads(input.repo, input.prId), []);
  const threadsPosted = await deps.azdo.postReview(input.repo, input.prId, {
    iterationId,
    summary: reviewThreadText(review, sourceCommit),
    comments: [],
    reviewSummary: true,
    ...(plan.summaryThreadId !== undefined ? { summaryThreadId: plan.summaryThreadId } : {}),
  });
  const posted = { ...threadsPosted, folded: [] };
  const status = statusOf(review);
  await deps.azdo.setPullRequestStatus(input.repo, input.prId, {
    iterationId,
    state: status.state,
    description: `AI review budget spent (${spent}): a person must review`,
    ...(input.runUrl ? { targetUrl: input.runUrl } : {}),
  });
  const recorded = await deps.reporting.report({
    iterationId,
    verdict: review.verdict,
    summary: review.summary,
    findings: [],
    injectionSuspected: false,
    failure: 'pr_budget_spent',
    costUsd: 0,
  });
  return {
    kind: 'reviewed',
    pr,
    record: recorded.record,
    review,
    iterationId,
    posted,
    status: status.state,
    diff: { method: 'list', note: 'not read: the review budget is spent' },
    ticketKey: started.ticketKey,
    decision: recorded.decision,
    superseded: started.superseded,
    notified: recorded.notified,
    warnings: [...recorded.warnings, `the AI review budget of PR !${pr.id} is spent (${spent})`],
  };
}

/** What earlier reviews left open on the PR and what people answered on those threads. */
export function earlierContext(
  threads: readonly ReviewThread[],
  since: string,
): { since: string; openFindings: string[]; replies: string[] } {
  const ours = threads.filter((thread) => thread.finding);
  return {
    since,
    openFindings: ours
      .filter((thread) => isOpenThread(thread.status))
      .map((thread) => thread.comments[0]?.content ?? '')
      .filter(Boolean),
    replies: ours.flatMap((thread) => {
      const agent = thread.comments[0]?.authorId;
      return thread.comments
        .slice(1)
        .filter((comment) => comment.authorId !== agent)
        .map((comment) => comment.content);
    }),
  };
}

/** Reviews the commit the build was queued for, once; a commit already reviewed is reported, not reviewed again. */
export async function reviewPullRequestFlow(deps: ReviewDeps, input: ReviewInput): Promise<ReviewOutcome> {
  const { repo, prId } = input;
  const pr = await deps.azdo.getPullRequest(repo, prId);
  if (pr.status !== 'active') return { kind: 'not-active', pr };
  const started = await deps.reporting.start();
  if (started.existing) return { kind: 'already-reviewed', pr, record: started.existing };
  const iterations = await deps.azdo.listIterations(repo, prId);
  const iteration = reviewedIteration(
    { ...pr, sourceCommitId: started.sourceCommit || pr.sourceCommitId },
    iterations,
  );
  const sourceCommit = started.sourceCommit || pr.sourceCommitId || iteration?.sourceCommitId;
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
  if (started.budgetUsd !== undefined && started.spentUsd >= started.budgetUsd) {
    return await budgetSpent(deps, input, { pr, iterationId: iteration.id, sourceCommit, started });
  }
  const changes = await deps.azdo.getIterationChanges(repo, prId, iteration.id);
  // A later push is reviewed from the commit the last review saw (when the checkout has it), with what
  // earlier reviews left open and what people answered as context; the whole PR only when asked.
  const since = input.fullReview ? undefined : started.previousCommit;
  const threads = await deps.azdo.listReviewThreads(repo, prId);
  const diff = await buildPullRequestDiff({
    cwd: input.cwd,
    changes,
    targetCommit: since ?? iteration.targetCommitId,
    sourceCommit,
    ...(deps.git ? { git: deps.git } : {}),
  });
  const earlier = since ? earlierContext(threads, since) : undefined;
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
    ...(earlier ? { earlier } : {}),
  });

  // Threads follow the code: only new findings get a thread, fixed ones are resolved, the summary is
  // updated in place, and a thread a person settled is never raised again.
  const plan = planReviewThreads(threads, review.findings);
  // Threads and status first, the report after: a retry after a crash may post twice, never lose a review.
  // Only findings on files this iteration changed, at lines they have, can be threads on the PR.
  const { anchored, folded } = anchorComments(
    plan.post.map((finding) => ({
      path: finding.file,
      line: finding.line,
      body: inlineText(finding),
      fingerprint: finding.fingerprint,
    })),
    changes,
    diff.lineCounts,
  );
  const threadsPosted = await deps.azdo.postReview(repo, prId, {
    iterationId: iteration.id,
    summary: summaryWithFolded(reviewThreadText(review, sourceCommit, plan), folded),
    comments: anchored,
    reviewSummary: true,
    ...(plan.summaryThreadId !== undefined ? { summaryThreadId: plan.summaryThreadId } : {}),
  });
  const posted = { ...threadsPosted, folded };
  for (const fixed of plan.resolve) {
    await deps.azdo.replyToThread(
      repo,
      prId,
      fixed.id,
      `Fixed in ${shortCommit(sourceCommit)}: the review of this commit no longer finds this.`,
    );
    await deps.azdo.setThreadStatus(repo, prId, fixed.id, 'fixed');
  }
  const status = statusOf(review);
  await deps.azdo.setPullRequestStatus(repo, prId, {
    iterationId: iteration.id,
    state: status.state,
    description: status.description,
    ...(input.runUrl ? { targetUrl: input.runUrl } : {}),
  });
  const recorded = await deps.reporting.report({
    iterationId: iteration.id,
    verdict: review.verdict,
    summary: review.summary,
    findings: review.findings,
    injectionSuspected: review.injectionSuspected,
    ...(review.failure ? { failure: review.failure.reason } : {}),
    costUsd: review.costUsd,
  });
  return {
    kind: 'reviewed',
    pr,
    record: recorded.record,
    review,
    iterationId: iteration.id,
    posted,
    status: status.state,
    diff: { method: diff.method, note: diff.note },
    ticketKey: started.ticketKey,
    decision: recorded.decision,
    superseded: started.superseded,
    notified: recorded.notified,
    warnings: recorded.warnings,
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
  if (outcome.superseded > 0)
    lines.push('', `Superseded ${outcome.superseded} merge question(s) for older commits.`);
  lines.push('', `Diff: ${outcome.diff.note}.`);
  for (const warning of outcome.warnings) lines.push('', `⚠ ${warning}`);
  return lines.join('\n');
}
