// The timer's cycle, the backstop for lost or missing service hooks. PR discovery (PR_POLL_ENABLED):
// one project-wide call for the active PRs on the target branch; a new PR or a new source commit goes
// down the same path as the webhook (observePullRequest), which dedupes the two; tracked PRs that left
// the list are read once to record their completion. Approvals (always): pending approvals get their
// card, pending decisions whose approval was answered in Azure DevOps are settled, and pending
// decisions whose card was never posted get it. Effects (always): a decided decision whose effect's
// message was lost or poisoned, or whose run died, has its effect queued again (effects are idempotent
// and run one at a time; the decision and its proof are left as they are), and so do the checks of a
// Slack answer whose message was lost (the answer stays; the checks are idempotent).
import { errorMessage } from '../core/errors.ts';
import type { Decision } from '../core/model.ts';
import { type AgentDeps, isWatched } from './agent-deps.ts';
import type { FlowContext } from './context.ts';
import { askForApproval, pendingFor, settleDecisions } from './approval-gates.ts';
import { EFFECT_LOST_AFTER_SECONDS, effectNeedsRedrive, queuedAgain } from './decision-effects.ts';
import { ANSWER_LOST_AFTER_SECONDS, answerNeedsRedrive, effectFor } from './decide.ts';
import { postPendingCard, refreshCard } from './gate-requests.ts';
import { observePullRequest } from './pr-discovery.ts';
import { prThreadId } from './threads.ts';
import { workMessage } from './work-messages.ts';

export interface PollReport {
  prsSeen: number;
  prsHandled: number;
  runsQueued: number;
  closedRecorded: number;
  approvalsAsked: number;
  approvalsSettled: number;
  cardsPosted: number;
  effectsRedriven: number;
  effectsAbandoned: number;
  answersRedriven: number;
  errors: string[];
}

/** The flow context plus the ports and settings a poll cycle uses. */
type Deps = FlowContext & Pick<AgentDeps, 'azdo' | 'slack' | 'channel' | 'settings' | 'workQueue'>;

export async function pollOnce(deps: Deps, cycleId: string): Promise<PollReport> {
  const report: PollReport = {
    prsSeen: 0,
    prsHandled: 0,
    runsQueued: 0,
    closedRecorded: 0,
    approvalsAsked: 0,
    approvalsSettled: 0,
    cardsPosted: 0,
    effectsRedriven: 0,
    effectsAbandoned: 0,
    answersRedriven: 0,
    errors: [],
  };
  await guarded(report, 'effects', () => redriveEffects(deps, report));
  await guarded(report, 'answers', () => redriveAnswers(deps, report));
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
    effectsRedriven: report.effectsRedriven,
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
    const state = thread?.kind === 'pr' ? thread.state : undefined;
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
    if (thread.kind !== 'pr') continue;
    if (
      activeIds.has(`${thread.repo.toLowerCase()}|${thread.prId}`) ||
      !isWatched(deps.settings, thread.repo)
    )
      continue;
    const { state } = thread;
    if (state.targetRefName && state.targetRefName !== deps.settings.targetBranch) continue;
    await guarded(report, `PR ${thread.prId}`, async () => {
      const result = await observePullRequest(deps, {
        repo: thread.repo,
        prId: thread.prId,
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
  const graceMs = 60_000;
  for (const decision of await deps.store.decisions.listPending()) {
    if (decision.slack || !decision.details) continue;
    // Young ones may still be being posted by their creator.
    if (deps.now().getTime() - Date.parse(decision.createdAt) < graceMs) continue;
    await guarded(report, `card ${decision.id}`, async () => {
      if (await postPendingCard(deps, decision)) report.cardsPosted++;
    });
  }
}

/** After this many re-queues an effect that still never finished is recorded as failed (and shown). */
export const MAX_EFFECT_REDRIVES = 5;

/** Decided decisions whose effect never ran (a lost or poisoned message, a dead run): queue it again. */
async function redriveEffects(deps: Deps, report: PollReport): Promise<void> {
  if (!deps.workQueue) return;
  for (const decision of await deps.store.decisions.listOpenEffects()) {
    if (!effectNeedsRedrive(decision, deps.now(), EFFECT_LOST_AFTER_SECONDS)) continue;
    await guarded(report, `effect ${decision.id}`, async () => {
      const at = deps.now().toISOString();
      const redriven = (decision.effect?.redriven ?? 0) + 1;
      const giveUp = redriven > MAX_EFFECT_REDRIVES;
      // Only the effect changes: the decision, its answer and its proof stay as the app recorded them.
      // Concurrent pollers: the ETag-guarded write lets one of them re-queue it.
      // Whether this poller's write is the one stored (the last run of the transition decides: it runs
      // again after a 412). Not the timestamp: two pollers can stamp the same millisecond.
      let wrote = false;
      const stored = await deps.store.decisions.update(decision.id, (current) => {
        const effect = current.effect;
        wrote = !!effect && effectNeedsRedrive(current, deps.now(), EFFECT_LOST_AFTER_SECONDS);
        if (!effect || !wrote) return undefined;
        return {
          ...current,
          effect: giveUp
            ? {
                status: 'failed',
                detail: `the effect never finished, even after ${MAX_EFFECT_REDRIVES} re-queues: check Azure DevOps and act there`,
                at,
              }
            : { ...queuedAgain(effect), at, redriven },
        };
      });
      if (!wrote || !stored.effect) return;
      const effect = effectFor(stored);
      if (giveUp) {
        report.effectsAbandoned++;
        deps.log.error('effect abandoned after re-queues', { decisionId: stored.id, effect });
        await deps.store.audit.append({
          at,
          actor: 'release-agent',
          action: 'effect.failed',
          subject: stored.id,
          detail: { effect, detail: stored.effect.detail ?? '' },
        });
        await refreshCard(deps, stored);
        return;
      }
      await deps.workQueue!.send(workMessage('effect', { decisionId: stored.id, effect }), {
        delaySeconds: 0,
      });
      report.effectsRedriven++;
      deps.log.warn('effect re-queued: its message was lost or its run died', {
        decisionId: stored.id,
        effect,
        redriven,
      });
    });
  }
}

/**
 * Slack answers still waiting for their checks long after they were taken: their message was lost.
 * Queued again once per ANSWER_LOST_AFTER_SECONDS (the stamp is an ETag-guarded write, so concurrent
 * pollers queue it once).
 */
async function redriveAnswers(deps: Deps, report: PollReport): Promise<void> {
  if (!deps.workQueue) return;
  const waitMs = ANSWER_LOST_AFTER_SECONDS * 1000;
  const lost = (decision: Decision) => {
    const redrivenAt = decision.answer?.redrivenAt;
    const recently = redrivenAt !== undefined && deps.now().getTime() - Date.parse(redrivenAt) < waitMs;
    return answerNeedsRedrive(decision, deps.now(), ANSWER_LOST_AFTER_SECONDS) && !recently;
  };
  for (const decision of await deps.store.decisions.listPending()) {
    if (!lost(decision)) continue;
    await guarded(report, `answer ${decision.id}`, async () => {
      let wrote = false;
      await deps.store.decisions.update(decision.id, (current) => {
        wrote = lost(current);
        if (!wrote || !current.answer) return undefined;
        return { ...current, answer: { ...current.answer, redrivenAt: deps.now().toISOString() } };
      });
      if (!wrote) return;
      await deps.workQueue!.send(workMessage('confirm', { decisionId: decision.id }), { delaySeconds: 0 });
      report.answersRedriven++;
      deps.log.warn('answer checks re-queued: their message was lost', { decisionId: decision.id });
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
