// A PR was seen (service hook, poller, operator): re-read it through REST and act on what it is now.
// Active on a watched repo and the target branch → its thread exists, merge approvals for older commits
// are void (and an auto-complete set for one is taken back), and the PR pipeline is queued once per
// source commit. Completed or abandoned → recorded, and pending merge questions end.
//
// Webhook and poller both land here, so they dedupe each other: the thread's state says which commit
// was handled, and a short inbox claim keeps two concurrent callers from queueing the same run.
import type { PipelineRun, PullRequest } from '../adapters/azdo/azdo.ts';
import { isReleaseAgentError } from '../core/errors.ts';
import { supersede } from '../core/gates.ts';
import type { Decision, PrThread } from '../core/model.ts';
import { type AgentDeps, isWatched, pipelineFor } from './agent-deps.ts';
import type { FlowContext } from './context.ts';
import { refreshCard, supersedeStaleMergeDecisions } from './gate-requests.ts';
import { type PrThreadState, prThreadId } from './threads.ts';

export interface ObservePullRequestInput {
  repo: string;
  prId: number;
  source: 'webhook' | 'poller' | 'manual';
  /** The PR as the poller's REST list returned it (saves a read); webhooks always re-read. */
  pullRequest?: PullRequest;
  /** Queue the PR pipeline even when this commit had a run (an operator's manual trigger). */
  force?: boolean;
  /** Unique per request: a forced run is queued once per request, also when redelivered. */
  requestId: string;
}

export type ObserveOutcome =
  | 'ignored'
  | 'not-found'
  | 'completed'
  | 'abandoned'
  | 'already-handled'
  | 'discovered'
  | 'run-queued';

export interface ObserveResult {
  outcome: ObserveOutcome;
  threadId?: string;
  runId?: number;
  reason?: string;
}

/** How long a claim to queue a run holds off a concurrent caller (a crashed one is retried after it). */
export const RUN_CLAIM_SECONDS = 900;

/** The flow context plus the ports and settings discovery uses. */
type Deps = FlowContext & Pick<AgentDeps, 'azdo' | 'slack' | 'channel' | 'settings'>;

export async function observePullRequest(deps: Deps, input: ObservePullRequestInput): Promise<ObserveResult> {
  if (!deps.azdo) return { outcome: 'ignored', reason: 'Azure DevOps is not configured' };
  let pr: PullRequest;
  try {
    pr = input.pullRequest ?? (await deps.azdo.getPullRequest(input.repo, input.prId));
  } catch (error) {
    if (isReleaseAgentError(error, 'NOT_FOUND')) {
      deps.log.warn('PR not found', { repo: input.repo, prId: input.prId, source: input.source });
      return { outcome: 'not-found' };
    }
    throw error;
  }
  const repo = pr.repository.name || input.repo;
  if (!isWatched(deps.settings, repo))
    return { outcome: 'ignored', reason: `${repo} is not in WATCHED_REPOS` };
  const threadId = prThreadId(repo, pr.id);

  if (pr.status === 'completed' || pr.status === 'abandoned')
    return await recordClosed(deps, pr, repo, threadId);
  if (pr.targetRefName !== deps.settings.targetBranch) {
    return {
      outcome: 'ignored',
      threadId,
      reason: `targets ${pr.targetRefName}, not ${deps.settings.targetBranch}`,
    };
  }
  const commit = pr.sourceCommitId;
  const thread = await ensureThread(deps, pr, repo, threadId);
  if (!commit) return { outcome: 'ignored', threadId, reason: 'no merge computed yet' };

  const superseded = await supersedeStaleMergeDecisions(deps, {
    repo,
    prId: pr.id,
    currentCommit: commit,
  });
  if (superseded.length > 0)
    deps.log.info('merge approvals superseded by a push', { repo, prId: pr.id, count: superseded.length });
  await withdrawStaleAutoComplete(deps, pr, repo, threadId, commit);

  const state = thread.state;
  const handled =
    state.queuedRuns?.some((run) => run.sourceCommit === commit) || state.discoveredCommit === commit;
  if (handled && !input.force) return { outcome: 'already-handled', threadId };

  const pipelineId = pipelineFor(deps.settings.prPipelineByRepo, repo, deps.settings.prPipelineId);
  if (pipelineId === undefined) {
    // No pipeline to queue: the repo's Build Validation policy runs the PR pipeline.
    await setState(deps, threadId, (current) => ({ ...current, discoveredCommit: commit }));
    deps.log.info('PR discovered; no PR pipeline configured (a Build Validation policy runs it)', {
      repo,
      prId: pr.id,
      source: input.source,
    });
    return { outcome: 'discovered', threadId };
  }
  const claimKey = `pr-run|${repo.toLowerCase()}|${pr.id}|${commit}${input.force ? `|${input.requestId}` : ''}`;
  if (!(await deps.store.inbox.claim(claimKey, RUN_CLAIM_SECONDS, deps.now()))) {
    return { outcome: 'already-handled', threadId, reason: 'another delivery is queueing this run' };
  }
  // Queued on the PR's merge ref: the run's Build.SourceBranch is refs/pull/<id>/merge.
  let run: PipelineRun;
  try {
    run = await deps.azdo.runPipeline(pipelineId, { refName: `refs/pull/${pr.id}/merge` });
  } catch (error) {
    // Not queued (or not known to be): give the claim up so the redelivery or the poller queues it
    // now, not after the claim's 15 minutes (with only service hooks, never). A run that did land
    // unseen is reviewed once anyway: reviews are kept per source commit.
    await deps.store.inbox.release(claimKey);
    throw error;
  }
  await setState(deps, threadId, (current) => ({
    ...current,
    discoveredCommit: commit,
    queuedRuns: [...(current.queuedRuns ?? []), { sourceCommit: commit, runId: run.id }],
  }));
  await deps.store.audit.append({
    at: deps.now().toISOString(),
    actor: `release-agent:${input.source}`,
    action: 'pr.run-queued',
    subject: threadId,
    detail: { pipelineId, runId: run.id, sourceCommit: commit },
  });
  deps.log.info('PR pipeline queued', { repo, prId: pr.id, runId: run.id, source: input.source });
  return { outcome: 'run-queued', threadId, runId: run.id };
}

async function ensureThread(deps: Deps, pr: PullRequest, repo: string, threadId: string): Promise<PrThread> {
  const at = deps.now().toISOString();
  const state: PrThreadState = {
    title: pr.title,
    sourceRefName: pr.sourceRefName,
    targetRefName: pr.targetRefName,
  };
  const { stored } = await deps.store.threads.createIfAbsent({
    id: threadId,
    kind: 'pr',
    repo,
    prId: pr.id,
    status: 'running',
    state,
    createdAt: at,
    updatedAt: at,
  });
  return stored;
}

async function setState(
  deps: Deps,
  threadId: string,
  change: (state: PrThreadState) => PrThreadState,
): Promise<void> {
  await deps.store.threads.setState('pr', threadId, change, deps.now());
}

/** Completed (confirmed through REST, never from git.pullrequest.merged) or abandoned: record it. */
async function recordClosed(
  deps: Deps,
  pr: PullRequest,
  repo: string,
  threadId: string,
): Promise<ObserveResult> {
  const outcome = pr.status === 'completed' ? 'completed' : 'abandoned';
  const existing = await deps.store.threads.getOf('pr', threadId);
  if (!existing && pr.targetRefName !== deps.settings.targetBranch)
    return { outcome: 'ignored', threadId, reason: 'not a tracked PR' };
  if (!existing) await ensureThread(deps, pr, repo, threadId);
  // A merge question about a PR that is closed has no answer any more. Ended before the thread is,
  // so whoever sees the thread closed sees no open question on it.
  const pending = await deps.store.decisions.listPending({ repo, gate: 'merge_pr' });
  const reason = outcome === 'completed' ? 'the PR was completed in Azure DevOps' : 'the PR was abandoned';
  for (const decision of pending) {
    if (decision.target.gate !== 'merge_pr' || decision.target.prId !== pr.id) continue;
    const updated = await deps.store.decisions.update(decision.id, (current) =>
      current.status === 'pending' ? supersede(current, reason, deps.now()) : undefined,
    );
    await refreshCard(deps, updated);
  }
  const status = outcome === 'completed' ? 'done' : 'cancelled';
  await deps.store.threads.updateOf('pr', threadId, (thread) => {
    const { state } = thread;
    const mergeCommit = outcome === 'completed' ? pr.mergeCommitId : undefined;
    if (thread.status === status && (!mergeCommit || state.mergeCommit === mergeCommit)) return undefined;
    return {
      ...thread,
      status,
      state: { ...state, ...(mergeCommit ? { mergeCommit } : {}) },
      updatedAt: deps.now().toISOString(),
    };
  });
  deps.log.info(`PR ${outcome}`, { repo, prId: pr.id });
  return { outcome, threadId };
}

/**
 * Auto-complete cannot be pinned to a commit: once a push lands after a merge was approved, Azure
 * DevOps would merge the new, unreviewed commit. Gate 1 no longer sets it (the worker waits and
 * completes with a pinned PATCH), but an earlier version did, and a PR may still carry it: take it back.
 */
async function withdrawStaleAutoComplete(
  deps: Deps,
  pr: PullRequest,
  repo: string,
  threadId: string,
  commit: string,
): Promise<void> {
  if (!pr.autoCompleteSetById || !deps.azdo) return;
  const approved = (await deps.store.decisions.findByThread(threadId)).filter(
    (decision): decision is Decision & { target: { gate: 'merge_pr'; sourceCommit: string } } =>
      decision.target.gate === 'merge_pr' && decision.status === 'approved',
  );
  if (approved.length === 0 || approved.some((decision) => decision.target.sourceCommit === commit)) return;
  await deps.azdo.cancelAutoComplete(repo, pr.id);
  await deps.store.audit.append({
    at: deps.now().toISOString(),
    actor: 'release-agent',
    action: 'pr.auto-complete-cancelled',
    subject: threadId,
    detail: { sourceCommit: commit },
  });
  deps.log.warn('auto-complete cancelled: a commit was pushed after the approved one', { repo, prId: pr.id });
}
