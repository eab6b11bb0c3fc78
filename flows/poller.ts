// The timer's cycle, the backstop for lost or missing service hooks. PR discovery (PR_POLL_ENABLED):
// one project-wide call for the active PRs on the target branch; a new PR or a new source commit goes
// down the same path as the webhook (observePullRequest), which dedupes the two; tracked PRs that left
// the list are read once to record their completion. Approvals (always): pending approvals get their
// card, pending decisions whose approval was answered in Azure DevOps are settled, and pending
// decisions whose card was never posted get it.
import { errorMessage } from '../core/errors.ts';
import { type AgentDeps, isWatched } from './agent-deps.ts';
import { askForApproval, pendingFor, settleDecisions } from './approval-gates.ts';
import { postPendingCard } from './gate-requests.ts';
import { observePullRequest } from './pr-discovery.ts';
import { type PrThreadState, prThreadId } from './threads.ts';

export interface PollReport {
  prsSeen: number;
  prsHandled: number;
  runsQueued: number;
  closedRecorded: number;
  approvalsAsked: number;
  approvalsSettled: number;
  cardsPosted: number;
  errors: string[];
}

type Deps = Pick<AgentDeps, 'store' | 'azdo' | 'slack' | 'channel' | 'now' | 'log' | 'settings'>;

export async function pollOnce(deps: Deps, cycleId: string): Promise<PollReport> {
  const report: PollReport = {
    prsSeen: 0,
    prsHandled: 0,
    runsQueued: 0,
    closedRecorded: 0,
    approvalsAsked: 0,
    approvalsSettled: 0,
    cardsPosted: 0,
    errors: [],
  };
  if (!deps.azdo) return report;
  // One part failing (Azure DevOps throttling the PR list, say) must not starve the others.
  if (deps.settings.pollEnabled)
    await guarded(report, 'pull requests', () => pollPullRequests(deps, cycleId, report));
  await guarded(report, 'approvals', () => reconcileApprovals(deps, report));
  await guarded(report, 'cards', () => postMissingCards(deps, report));
  deps.log.info('poll cycle', {
    prsSeen: report.prsSeen,
    runsQueued: report.runsQueued,
    approvalsAsked: report.approvalsAsked,
    approvalsSettled: report.approvalsSettled,
    errors: report.errors.length,
  });
  return report;
}

async function pollPullRequests(deps: Deps, cycleId: string, report: PollReport): Promise<void> {
  const azdo = deps.azdo!;
  const active = (await azdo.listActivePullRequests({ targetRefName: deps.settings.targetBranch })).filter(
    (pr) => isWatched(deps.settings, pr.repository.name),
  );
  report.prsSeen = active.length;
  // One query for every running thread serves both the "already handled" check of each active PR and
  // the search for tracked PRs that closed: a steady cycle costs one Table query, not one read per PR.
  const running = await deps.store.threads.listByStatus('running');
  const runningById = new Map(running.map((thread) => [thread.id, thread]));
  for (const pr of active) {
    const threadId = prThreadId(pr.repository.name, pr.id);
    // Not running (new, or closed and since reactivated): read it, observePullRequest sorts it out.
    const thread = runningById.get(threadId) ?? (await deps.store.threads.get(threadId));
    const state = thread?.state as PrThreadState | undefined;
    if (
      state &&
      pr.sourceCommitId &&
      (state.discoveredCommit === pr.sourceCommitId ||
        state.queuedRuns?.some((run) => run.sourceCommit === pr.sourceCommitId))
    ) {
      continue;
    }
    await guarded(report, `PR ${pr.id}`, async () => {
      const result = await observePullRequest(deps, {
        repo: pr.repository.name,
        prId: pr.id,
        source: 'poller',
        pullRequest: pr,
        requestId: `${cycleId}-${pr.id}`,
      });
      report.prsHandled++;
      if (result.outcome === 'run-queued') report.runsQueued++;
    });
  }
  // Tracked PRs that are no longer active were completed or abandoned: record which.
  const activeIds = new Set(active.map((pr) => `${pr.repository.name.toLowerCase()}|${pr.id}`));
  for (const thread of running) {
    if (thread.graph !== 'pr' || thread.prId === undefined) continue;
    if (
      activeIds.has(`${thread.repo.toLowerCase()}|${thread.prId}`) ||
      !isWatched(deps.settings, thread.repo)
    )
      continue;
    const state = thread.state as PrThreadState;
    if (state.targetRefName && state.targetRefName !== deps.settings.targetBranch) continue;
    await guarded(report, `PR ${thread.prId}`, async () => {
      const result = await observePullRequest(deps, {
        repo: thread.repo,
        prId: thread.prId!,
        source: 'poller',
        requestId: `${cycleId}-${thread.prId}`,
      });
      if (result.outcome === 'completed' || result.outcome === 'abandoned') report.closedRecorded++;
    });
  }
}

async function reconcileApprovals(deps: Deps, report: PollReport): Promise<void> {
  const azdo = deps.azdo!;
  const pending = await azdo.listPendingApprovals();
  const pendingIds = new Set(pending.map((approval) => approval.id.toLowerCase()));
  for (const approval of pending) {
    if ((await pendingFor(deps, approval.id)).length > 0) continue;
    await guarded(report, `approval ${approval.id}`, async () => {
      if ((await askForApproval(deps, approval)) === 'card-posted') report.approvalsAsked++;
    });
  }
  // Pending decisions on approvals that are pending no more: answered in the UI, timed out, cancelled.
  const waiting = (await deps.store.decisions.listPending()).filter(
    (decision) => 'approvalId' in decision.target,
  );
  for (const decision of waiting) {
    if (!('approvalId' in decision.target) || pendingIds.has(decision.target.approvalId.toLowerCase()))
      continue;
    const approvalId = decision.target.approvalId;
    await guarded(report, `approval ${approvalId}`, async () => {
      const approval = await azdo.getApproval(approvalId).catch((error: unknown) => {
        if ((error as { code?: string }).code === 'NOT_FOUND') return undefined;
        throw error;
      });
      if (approval?.status === 'pending') return;
      report.approvalsSettled += await settleDecisions(deps, approvalId, approval);
    });
  }
}

/** A decision whose creator died before posting its card (requestDecision posts only once). */
async function postMissingCards(deps: Deps, report: PollReport): Promise<void> {
  if (!deps.slack?.interactive || !deps.channel) return;
  const gateDeps = { store: deps.store, slack: deps.slack, channel: deps.channel, now: deps.now };
  const graceMs = 60_000;
  for (const decision of await deps.store.decisions.listPending()) {
    if (decision.slack || !decision.details) continue;
    // Young ones may still be being posted by their creator.
    if (deps.now().getTime() - Date.parse(decision.createdAt) < graceMs) continue;
    await guarded(report, `card ${decision.id}`, async () => {
      if (await postPendingCard(gateDeps, decision)) report.cardsPosted++;
    });
  }
}

async function guarded(report: PollReport, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    report.errors.push(`${what}: ${errorMessage(error)}`);
  }
}
