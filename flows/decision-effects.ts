// The slow half of a decision, run by the queue worker: complete the PR at the reviewed commit, answer
// the environment approval (the release pipeline's stage then does the work), move the Jira ticket,
// record the result on the decision and redraw its Slack card.
//
// Gate 1 never sets auto-complete: Azure DevOps does not pin it to a commit, so a push after the click
// followed by a policy pass would merge a commit nobody reviewed. While required policies are pending
// the worker waits instead (the message comes back after a growing delay, bounded by
// MERGE_POLICY_MAX_WAIT_SECONDS) and completes with a PATCH pinned to the reviewed commit once they
// pass; a newer commit voids the approval (the decision becomes superseded and its card says why).
//
// Idempotent by checking before acting: a recorded result ends it; a PR already completed or an
// approval already answered the same way counts as done. An outside call that fails transiently is
// thrown so the queue redelivers; on the last attempt the failure is recorded and shown instead.
import { randomUUID } from 'node:crypto';
import type { Approval, CompletionOutcome, PullRequest } from '../adapters/azdo/azdo.ts';
import { verifyDecisionProof } from '../core/decision-proof.ts';
import { classifyError, errorMessage, isReleaseAgentError } from '../core/errors.ts';
import type { Decision, GateRecord, ThreadKind, ThreadOf } from '../core/model.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { FlowContext } from './context.ts';
import { refreshCard } from './gate-requests.ts';
import { moveTicket } from './jira-workflow.ts';
import { prThreadId } from './threads.ts';
import type { EffectKind, WorkMessageOf } from './work-messages.ts';

export interface EffectAttempt {
  /** 1 for the first delivery. */
  dequeueCount: number;
  maxAttempts: number;
}

type EffectResult =
  | { status: 'done' | 'failed'; detail: string }
  /** Required policies are pending: run again after `delaySeconds`. */
  | { status: 'waiting'; detail: string; since: string; delaySeconds: number }
  /** A newer commit voids the approval: the decision becomes superseded for `reason`. */
  | { status: 'voided'; reason: string; detail: string };

/**
 * How long a run holds an effect: longer than an invocation may last (host.json functionTimeout, 5 min),
 * so a lease runs out only when its run is dead.
 */
export const EFFECT_LEASE_SECONDS = 360;

/** A decided decision's effect that is not finished: queued, running or waiting. */
function isOpen(decision: Decision): boolean {
  return (
    (decision.status === 'approved' || decision.status === 'rejected') &&
    (decision.effect?.status === 'queued' ||
      decision.effect?.status === 'running' ||
      decision.effect?.status === 'waiting')
  );
}

function isRunningElsewhere(decision: Decision, now: Date): boolean {
  return (
    decision.effect?.status === 'running' && Date.parse(decision.effect.leaseUntil ?? '') > now.getTime()
  );
}

/** How long a queued or waiting effect may sit before its message is taken as lost. */
export const EFFECT_LOST_AFTER_SECONDS = 600;

/**
 * Whether a decided decision's effect should be queued again: its message was lost (queued or waiting
 * far longer than any delivery or re-check takes) or its run died (the lease ran out).
 */
export function effectNeedsRedrive(decision: Decision, now: Date, lostAfterSeconds: number): boolean {
  if (!isOpen(decision) || !decision.effect) return false;
  const effect = decision.effect;
  if (effect.status === 'running') return !isRunningElsewhere(decision, now);
  // A waiting merge re-checks itself at most MAX_RECHECK_SECONDS later.
  const allowed = lostAfterSeconds + (effect.status === 'waiting' ? MAX_RECHECK_SECONDS : 0);
  return now.getTime() - Date.parse(effect.at) >= allowed * 1000;
}

/** Gives a run's hold up (back to queued) if it still holds it. */
async function releaseRun(deps: EffectDeps, decisionId: string, runner: string): Promise<void> {
  await deps.store.decisions
    .update(decisionId, (current) =>
      current.effect?.status === 'running' && current.effect.runner === runner
        ? { ...current, effect: queuedAgain(current.effect) }
        : undefined,
    )
    .catch((error: unknown) => {
      // The lease runs out by itself; the redelivery then takes it.
      deps.log.warn('could not give an effect run up', {
        decisionId,
        code: isReleaseAgentError(error) ? error.code : 'unknown',
      });
    });
}

/** The effect back to queued, without a run's hold; a waiting merge keeps when its wait started. */
export function queuedAgain(effect: NonNullable<Decision['effect']>): NonNullable<Decision['effect']> {
  const { runner: _runner, leaseUntil: _leaseUntil, ...rest } = effect;
  return { ...rest, status: 'queued' };
}

/** The longest pause between two checks of a merge waiting for its policies. */
const MAX_RECHECK_SECONDS = 600;

type EffectDeps = FlowContext &
  Pick<AgentDeps, 'azdo' | 'jira' | 'slack' | 'settings' | 'hooks' | 'workQueue'>;

/** Worth another delivery: an outside service down, throttled or timed out, or an unexpected error. */
export function isTransient(error: unknown): boolean {
  return classifyError(error).transient;
}

/**
 * What carries no valid proof of the function app (a decision, an answer, a queued click) is refused
 * the same way: logged as an error and audited, never acted on.
 */
export async function refuseUnproven(
  deps: Pick<FlowContext, 'store' | 'now' | 'log'>,
  action: 'effect-refused' | 'answer-refused',
  subject: string,
  reason: string,
  detail: Record<string, string> = {},
): Promise<void> {
  deps.log.error(`${action.replace('-', ' ')}: no valid proof`, { subject, reason });
  await deps.store.audit.append({
    at: deps.now().toISOString(),
    actor: 'release-agent',
    action,
    subject,
    detail: { reason, ...detail },
  });
}

export async function performEffect(
  deps: EffectDeps,
  message: WorkMessageOf<'effect'>,
  attempt: EffectAttempt,
): Promise<Decision | undefined> {
  const decision = await deps.store.decisions.get(message.decisionId);
  if (!decision) {
    deps.log.warn('effect for an unknown decision: nothing to do', { decisionId: message.decisionId });
    return undefined;
  }
  if (decision.effect?.status === 'done' || decision.effect?.status === 'failed') {
    // Redelivered after the result was recorded: only make sure the card shows it.
    await refreshCard(deps, decision);
    return decision;
  }
  if (isRunningElsewhere(decision, deps.now())) {
    // A redelivery (or a re-queue) while another run holds it: that run records the result; if it
    // dies, its lease runs out and the poller queues the effect again.
    deps.log.info('effect already running: this delivery leaves it to that run', {
      decisionId: decision.id,
      effect: message.effect,
    });
    return decision;
  }
  if (decision.status !== 'approved' && decision.status !== 'rejected') {
    deps.log.warn('effect for a decision that is not decided: nothing to do', {
      decisionId: decision.id,
      status: decision.status,
    });
    return decision;
  }
  // Only a decision the function app recorded from a verified answer carries a valid proof; anything
  // else in the store (forged, imported, edited) is left as it is and never performed.
  const proof = verifyDecisionProof(decision, deps.settings.decisionSigningKey);
  if (!proof.ok) {
    await refuseUnproven(deps, 'effect-refused', decision.id, `proof ${proof.reason}`, {
      effect: message.effect,
      gate: decision.gate,
    });
    return decision;
  }

  // One run at a time: take the effect with an ETag-guarded write; a run that lost the race leaves it.
  const runner = randomUUID();
  const leased = await deps.store.decisions.update(decision.id, (current) =>
    !isOpen(current) || isRunningElsewhere(current, deps.now())
      ? undefined
      : {
          ...current,
          effect: {
            ...current.effect!,
            status: 'running',
            runner,
            leaseUntil: new Date(deps.now().getTime() + EFFECT_LEASE_SECONDS * 1000).toISOString(),
          },
        },
  );
  if (leased.effect?.runner !== runner) {
    deps.log.info('effect taken by another run meanwhile', { decisionId: decision.id });
    return leased;
  }

  let result: EffectResult;
  try {
    result = await run(deps, decision, message.effect, attempt.dequeueCount >= attempt.maxAttempts);
    await deps.hooks.afterExternalEffect?.(decision);
  } catch (error) {
    const last = attempt.dequeueCount >= attempt.maxAttempts;
    if (isTransient(error) && !last) {
      // Give the run up so the redelivery can take it at once.
      await releaseRun(deps, decision.id, runner);
      throw error;
    }
    deps.log.error('effect failed', {
      decisionId: decision.id,
      effect: message.effect,
      attempt: attempt.dequeueCount,
      code: isReleaseAgentError(error) ? error.code : 'unknown',
    });
    result = {
      status: 'failed',
      detail:
        last && isTransient(error)
          ? `gave up after ${attempt.dequeueCount} attempts: ${errorMessage(error)}`
          : errorMessage(error),
    };
  }

  if (result.status === 'waiting') return await waitForPolicies(deps, decision, message, result);
  if (result.status === 'voided') return await voidApproval(deps, decision, message.effect, result);

  const at = deps.now().toISOString();
  const stored = await deps.store.decisions.update(decision.id, (current) =>
    current.effect?.status === 'done' || current.effect?.status === 'failed'
      ? undefined
      : {
          ...current,
          effect: {
            status: result.status,
            detail: result.detail.slice(0, 1000),
            at,
            // Kept with the result: how often its message had to be queued again.
            ...(current.effect?.redriven ? { redriven: current.effect.redriven } : {}),
          },
        },
  );
  // Recorded by this delivery (not by a concurrent one that got there first): audit it once (the
  // decision itself was audited when it was decided).
  if (stored.effect?.at === at && stored.effect.status === result.status) {
    await deps.store.audit.append({
      at,
      actor: 'release-agent',
      action: `effect.${result.status}`,
      subject: decision.id,
      detail: { effect: message.effect, detail: result.detail.slice(0, 500) },
    });
  }
  deps.log.info('effect recorded', {
    decisionId: decision.id,
    effect: message.effect,
    status: result.status,
  });
  await refreshCard(deps, stored);
  return stored;
}

/**
 * Records the wait on the decision (its card shows it once) and sends the message again, visible after
 * the delay. A failed send is thrown: the redelivery checks again.
 */
async function waitForPolicies(
  deps: EffectDeps,
  decision: Decision,
  message: WorkMessageOf<'effect'>,
  result: Extract<EffectResult, { status: 'waiting' }>,
): Promise<Decision> {
  const first = decision.effect?.status !== 'waiting';
  const stored = await deps.store.decisions.update(decision.id, (current) =>
    current.status !== 'approved' || current.effect?.status === 'done' || current.effect?.status === 'failed'
      ? undefined
      : {
          ...current,
          effect: {
            status: 'waiting',
            detail: result.detail,
            at: deps.now().toISOString(),
            since: result.since,
          },
        },
  );
  if (stored.effect?.status !== 'waiting') return stored;
  await deps.workQueue!.send(message, { delaySeconds: result.delaySeconds });
  deps.log.info('merge waits for required policies', {
    decisionId: decision.id,
    since: result.since,
    nextCheckSeconds: result.delaySeconds,
  });
  if (first) await refreshCard(deps, stored);
  return stored;
}

/** A newer commit on the PR: the approval is void, the decision superseded, its card says why. */
async function voidApproval(
  deps: EffectDeps,
  decision: Decision,
  effect: EffectKind,
  result: Extract<EffectResult, { status: 'voided' }>,
): Promise<Decision> {
  const at = deps.now().toISOString();
  const stored = await deps.store.decisions.update(decision.id, (current) =>
    current.status !== 'approved' || current.effect?.status === 'done' || current.effect?.status === 'failed'
      ? undefined
      : {
          ...current,
          status: 'superseded',
          reason: result.reason,
          effect: { status: 'failed', detail: result.detail, at },
        },
  );
  if (stored.status === 'superseded' && stored.effect?.at === at) {
    await deps.store.audit.append({
      at,
      actor: 'release-agent',
      action: 'decision.voided',
      subject: stored.id,
      detail: { effect, reason: result.reason },
    });
    deps.log.warn('merge approval voided by a newer commit', { decisionId: decision.id });
  }
  await refreshCard(deps, stored);
  return stored;
}

/** The next check of a merge waiting for its policies: the time waited so far, between the bounds. */
function recheckDelaySeconds(deps: EffectDeps, waitedSeconds: number, leftSeconds: number): number {
  const delay = Math.min(
    MAX_RECHECK_SECONDS,
    Math.max(deps.settings.mergePolicyRecheckSeconds, waitedSeconds),
  );
  // One last check at the deadline, not long after it.
  return Math.max(1, Math.min(delay, Math.ceil(leftSeconds)));
}

/** `last`: no redelivery follows, so a follow-up that fails (the ticket) is reported, not retried. */
async function run(
  deps: EffectDeps,
  decision: Decision,
  effect: EffectKind,
  last: boolean,
): Promise<EffectResult> {
  switch (effect) {
    case 'complete_pr':
      return await completePr(deps, decision, last);
    case 'decline_pr':
      return await declinePr(deps, decision, last);
    case 'decide_approval':
      return await answerApproval(deps, decision);
  }
}

async function completePr(deps: EffectDeps, decision: Decision, last: boolean): Promise<EffectResult> {
  const target = decision.target;
  if (target.gate !== 'merge_pr' || decision.status !== 'approved') return mismatch(decision, 'complete_pr');
  if (!deps.azdo) return { status: 'failed', detail: 'Azure DevOps is not configured' };
  let outcome: CompletionOutcome;
  try {
    outcome = await deps.azdo.completePullRequest(target.repo, target.prId, {
      sourceCommitId: target.sourceCommit,
      approvedBy: `${decision.decidedBy ?? 'someone'} (${decision.decidedVia ?? 'api'})`,
    });
  } catch (error) {
    if (isReleaseAgentError(error, 'PR_STALE_COMMIT')) {
      const current =
        typeof error.fields.actualCommit === 'string' ? ` (${error.fields.actualCommit.slice(0, 7)})` : '';
      return {
        status: 'voided',
        reason: `a newer push${current} voided this approval: the new commit needs its own review`,
        detail: `nothing was merged: the reviewed commit ${target.sourceCommit.slice(0, 7)} is no longer the PR's head`,
      };
    }
    if (isReleaseAgentError(error, 'CONFLICT') || isReleaseAgentError(error, 'NOT_FOUND'))
      return { status: 'failed', detail: error.message };
    // No redelivery follows an uncertain failure on the last attempt: the completion may have landed
    // with its answer lost. Ask Azure DevOps before calling it failed.
    const landed =
      last && isTransient(error) ? await completedMeanwhile(deps, target.repo, target.prId) : undefined;
    if (!landed) throw error;
    outcome = { kind: 'already-completed', pullRequest: landed };
  }
  const pr = outcome.pullRequest;
  const threadId = prThreadId(target.repo, target.prId);
  if (outcome.kind === 'policies-pending' || outcome.kind === 'auto-complete-set') {
    return policiesPending(deps, decision, target.sourceCommit);
  }
  if (outcome.kind === 'completion-pending') {
    return { status: 'done', detail: 'completion accepted: Azure DevOps is merging the PR' };
  }
  const merge = pr.mergeCommitId ? ` (merge ${pr.mergeCommitId.slice(0, 7)})` : '';
  const details = [`PR completed${merge}`];
  const thread = await updateThread(
    deps,
    'pr',
    threadId,
    (state) => ({
      ...state,
      ...(pr.mergeCommitId ? { mergeCommit: pr.mergeCommitId } : {}),
    }),
    'done',
  );
  // Only the ticket the ticket step linked (project-checked, held by no other open PR) moves: a key the
  // branch or title merely names could be anyone's ticket.
  const ticket = thread?.state.ticketKey;
  if (ticket) details.push(await transitionTicket(deps, ticket, deps.settings.jiraStagingStatus, last));
  return { status: 'done', detail: details.join('; ') };
}

/** Wait for the policies (bounded), or give up; nothing is merged either way. */
function policiesPending(deps: EffectDeps, decision: Decision, sourceCommit: string): EffectResult {
  const now = deps.now();
  // Kept through a run's hold and a re-queue, so the wait stays bounded.
  const since = decision.effect?.since ?? now.toISOString();
  const waitedSeconds = Math.max(0, (now.getTime() - Date.parse(since)) / 1000);
  const leftSeconds = deps.settings.mergePolicyMaxWaitSeconds - waitedSeconds;
  const commit = sourceCommit.slice(0, 7);
  if (leftSeconds <= 0) {
    return {
      status: 'failed',
      detail: `the required policies did not pass within ${duration(deps.settings.mergePolicyMaxWaitSeconds)}: nothing was merged; ask again once they pass`,
    };
  }
  if (!deps.workQueue) {
    return {
      status: 'failed',
      detail: 'the required policies are pending and this worker cannot wait for them: nothing was merged',
    };
  }
  return {
    status: 'waiting',
    detail: `the required policies are pending: the PR is merged at ${commit} once they pass (a newer push voids this approval)`,
    since,
    delaySeconds: recheckDelaySeconds(deps, waitedSeconds, leftSeconds),
  };
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The PR when it is completed after all, else undefined (also when it cannot be read). */
async function completedMeanwhile(
  deps: EffectDeps,
  repo: string,
  prId: number,
): Promise<PullRequest | undefined> {
  try {
    const pr = await deps.azdo!.getPullRequest(repo, prId);
    return pr.status === 'completed' ? pr : undefined;
  } catch {
    return undefined;
  }
}

async function declinePr(deps: EffectDeps, decision: Decision, last: boolean): Promise<EffectResult> {
  const target = decision.target;
  if (target.gate !== 'merge_pr' || decision.status !== 'rejected') return mismatch(decision, 'decline_pr');
  const thread = await deps.store.threads.getOf('pr', prThreadId(target.repo, target.prId));
  const ticket = thread?.state.ticketKey;
  const details = ['PR left open, not merged'];
  if (ticket && deps.jira) {
    try {
      await deps.jira.comment(
        ticket,
        `Release Agent: the merge of PR #${target.prId} (${target.repo}) was cancelled by ${decision.decidedBy ?? 'someone'}.`,
      );
      details.push(`comment on ${ticket}`);
    } catch (error) {
      if (isTransient(error) && !last) throw error;
      details.push(`no comment on ${ticket}: ${errorMessage(error)}`);
    }
  }
  return { status: 'done', detail: details.join('; ') };
}

async function answerApproval(deps: EffectDeps, decision: Decision): Promise<EffectResult> {
  const target = decision.target;
  if (target.gate === 'merge_pr') return mismatch(decision, 'decide_approval');
  if (decision.status !== 'approved' && decision.status !== 'rejected')
    return mismatch(decision, 'decide_approval');
  if (!deps.azdo) return { status: 'failed', detail: 'Azure DevOps is not configured' };
  const wanted = decision.status;
  const comment = `Release Agent: ${wanted} by ${decision.decidedBy ?? 'someone'} via ${decision.decidedVia ?? 'api'}`;
  let after: Approval | undefined;
  try {
    after = await deps.azdo.decideApproval(target.approvalId, { status: wanted, comment });
  } catch (error) {
    // Answered already: by our earlier attempt (same answer, done) or by someone in Azure DevOps.
    if (isReleaseAgentError(error, 'CONFLICT')) {
      const current = String(error.fields.currentStatus ?? 'decided');
      if (current !== wanted)
        return { status: 'failed', detail: `the approval was already ${current} in Azure DevOps` };
    } else if (isReleaseAgentError(error, 'NOT_FOUND')) {
      return { status: 'failed', detail: 'the approval no longer exists in Azure DevOps' };
    } else if (isReleaseAgentError(error, 'FORBIDDEN')) {
      // Azure DevOps lets only an approver answer: nothing moved, the stage still waits there.
      return {
        status: 'failed',
        detail:
          "Azure DevOps does not let the Release Agent's identity answer this approval: the stage still waits; answer it in Azure DevOps",
      };
    } else {
      throw error;
    }
  }
  await recordGate(deps, decision);
  // Read back: with more approvers required (or in sequence) our answer is one of several.
  if (after && after.status === 'pending' && wanted === 'approved') {
    const approved = after.steps.filter((step) => step.status === 'approved').length;
    const min = after.minRequiredApprovers ?? 0;
    const required = min > 0 ? Math.min(min, after.steps.length) : after.steps.length;
    return {
      status: 'done',
      detail: `${approved} of ${required} approvals in Azure DevOps: the stage runs once the others approve there`,
    };
  }
  return {
    status: 'done',
    detail:
      wanted === 'approved'
        ? 'approval given in Azure DevOps: the stage runs'
        : 'approval rejected in Azure DevOps: the stage does not run',
  };
}

/** Who answered, on the release thread (kept for the archived release); once per gate answer. */
async function recordGate(deps: EffectDeps, decision: Decision): Promise<void> {
  if (decision.status !== 'approved' && decision.status !== 'rejected') return;
  const record: GateRecord = {
    gate: decision.gate,
    outcome: decision.status,
    by: decision.decidedBy ?? 'someone',
    via: decision.decidedVia ?? 'api',
    at: decision.decidedAt ?? deps.now().toISOString(),
  };
  await updateThread(deps, 'release', decision.threadId, (state) => {
    const gates = state.gates ?? [];
    if (gates.some((gate) => gate.gate === record.gate && gate.at === record.at && gate.by === record.by))
      return undefined;
    return { ...state, gates: [...gates, record] };
  });
}

async function transitionTicket(
  deps: EffectDeps,
  key: string,
  status: string,
  last: boolean,
): Promise<string> {
  if (!deps.jira || !status) return `${key} not moved (Jira is not configured)`;
  try {
    // Walks the workflow when there is no direct transition (In Progress → Code Review → Staging).
    const moved = await moveTicket(deps.jira, key, status);
    return moved.changed ? `${key} → ${moved.to}` : `${key} already ${moved.to}`;
  } catch (error) {
    // A Jira outage is worth a redelivery (completing the PR again is a no-op); a workflow without
    // that status is not. On the last delivery the merge stands and is recorded as done, with the
    // ticket reported as not moved (StageRelease moves it after the merge too).
    if (isTransient(error) && !last) throw error;
    return `${key} not moved: ${errorMessage(error)}`;
  }
}

/** Changes a thread's state (and status) if a thread of that kind exists; returns the stored thread. */
async function updateThread<K extends ThreadKind>(
  deps: EffectDeps,
  kind: K,
  threadId: string,
  change: (state: ThreadOf<K>['state']) => ThreadOf<K>['state'] | undefined,
  status?: 'done' | 'cancelled',
): Promise<ThreadOf<K> | undefined> {
  if (!(await deps.store.threads.get(threadId))) return undefined;
  try {
    return await deps.store.threads.updateOf(kind, threadId, (thread) => {
      const state = change(thread.state);
      if (state === undefined && (status === undefined || thread.status === status)) return undefined;
      return {
        ...thread,
        ...(status ? { status } : {}),
        state: state ?? thread.state,
        updatedAt: deps.now().toISOString(),
      };
    });
  } catch (error) {
    if (isReleaseAgentError(error, 'STORE_NOT_FOUND')) return undefined;
    // The decision names a thread of the other kind: nothing of this effect belongs in it.
    if (isReleaseAgentError(error, 'THREAD_KIND_MISMATCH')) {
      deps.log.warn('decision names a thread of another kind; its state is left as it is', {
        threadId,
        kind,
      });
      return undefined;
    }
    throw error;
  }
}

function mismatch(decision: Decision, effect: EffectKind): EffectResult {
  return {
    status: 'failed',
    detail: `effect ${effect} does not fit decision ${decision.id} (${decision.gate}, ${decision.status})`,
  };
}
