// One way to answer a gate, whoever clicks: a Slack button, the hub, or POST /api/approvals/{threadId}.
// Load the decision, check who may answer, re-check a merge against the PR's current commit, record the
// answer single-shot (an ETag-guarded write in the store), and hand back the queue messages that do the
// slow part (the worker also writes the audit line). Refusals are results, not exceptions: each carries
// its coded error (the HTTP status) and the card refresh that tells the clicker why.
import { isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { mayDecide } from '../core/gate-access.ts';
import { decide, GATE_ACTIONS, outcomeFromAction, supersede } from '../core/gates.ts';
import type { Decision, DecisionOutcome, DecisionSource } from '../core/model.ts';
import type { AgentDeps } from './agent-deps.ts';
import { type EffectKind, type WorkMessage, workMessage } from './work-messages.ts';

export interface DecideRequest {
  /** From a button (or the hub): the decision it was drawn for. */
  decisionId?: string;
  /** From the API: the thread whose single pending decision is answered (or `decisionId` within it). */
  threadId?: string;
  /** From a button. */
  outcome?: DecisionOutcome;
  /** From the API: merge, cancel, approve, skip, create, trigger… (core/gates.ts verbs). */
  action?: string;
  /** From a button: it must match the decision's. The API and the hub authenticate by token instead. */
  nonce?: string;
  by: string;
  via: DecisionSource;
  /** Operators (X-Operator-Token) are trusted; clickers are checked against GATE_ALLOWED_USERS. */
  checkAllowList: boolean;
}

export type DecideResult =
  | { kind: 'decided'; decision: Decision; messages: WorkMessage[] }
  | { kind: 'refused'; error: ReleaseAgentError; decision: Decision | undefined; messages: WorkMessage[] };

type DecideDeps = Pick<AgentDeps, 'store' | 'azdoQuick' | 'now' | 'log' | 'settings'>;

export async function decideGate(deps: DecideDeps, request: DecideRequest): Promise<DecideResult> {
  let decision: Decision | undefined;
  try {
    decision = await findDecision(deps, request);
    const outcome = request.outcome ?? outcomeFromAction(decision.gate, request.action ?? '');
    if (request.checkAllowList && !mayDecide(deps.settings.allowList, decision.gate, request.by)) {
      throw new ReleaseAgentError(
        'FORBIDDEN',
        `you may not answer gate ${GATE_ACTIONS[decision.gate].number} (${decision.gate})`,
        {
          decisionId: decision.id,
          gate: decision.gate,
          user: request.by,
        },
      );
    }
    if (decision.status !== 'pending') throw notPending(decision);
    if (decision.target.gate === 'merge_pr' && outcome === 'approved') {
      const stale = await staleMergeReason(deps, decision);
      if (stale) {
        const superseded = await deps.store.decisions.update(decision.id, (current) =>
          current.status === 'pending' ? supersede(current, stale, deps.now()) : undefined,
        );
        return refused(
          new ReleaseAgentError(
            'PR_STALE_COMMIT',
            `refused: ${stale}; the approval was for commit ${decision.target.sourceCommit.slice(0, 7)}`,
            {
              decisionId: decision.id,
              prId: decision.target.prId,
            },
          ),
          superseded,
          [workMessage('card', { decisionId: decision.id })],
        );
      }
    }
    return await record(deps, decision, outcome, request);
  } catch (error) {
    if (!isReleaseAgentError(error)) throw error;
    // A decided card that was clicked again: redraw it saying the click changed nothing.
    const messages =
      decision && (error.code === 'DECISION_NOT_PENDING' || error.code === 'DECISION_EXPIRED')
        ? [
            workMessage('card', {
              decisionId: decision.id,
              ...(error.code === 'DECISION_NOT_PENDING' ? { notice: 'repeated' as const } : {}),
            }),
          ]
        : [];
    return refused(error, decision, messages);
  }
}

/** The effect a decided decision asks the worker for. */
export function effectFor(decision: Decision): EffectKind {
  if (decision.gate === 'merge_pr') return decision.status === 'approved' ? 'complete_pr' : 'decline_pr';
  return 'decide_approval';
}

async function record(
  deps: DecideDeps,
  decision: Decision,
  outcome: DecisionOutcome,
  request: DecideRequest,
): Promise<DecideResult> {
  const seen: { kind: 'decided' | 'expired' } = { kind: 'decided' };
  // The transition may run again after a concurrent write (412): it is pure, and a second click that
  // lost the race finds the decision no longer pending and throws DECISION_NOT_PENDING.
  const stored = await deps.store.decisions.update(
    decision.id,
    (current) => {
      const result = decide(current, {
        outcome,
        by: request.by,
        via: request.via,
        nonce: request.nonce ?? current.nonce,
        now: deps.now(),
      });
      seen.kind = result.kind;
      if (result.kind === 'expired') return result.decision;
      return { ...result.decision, effect: { status: 'queued', at: deps.now().toISOString() } };
    },
    // Written against the version just read and checked (no second read); a 412 re-reads and re-decides.
    { from: decision },
  );
  const kind = seen.kind;
  if (kind === 'expired') {
    await deps.store.audit.append({
      at: deps.now().toISOString(),
      actor: `${request.via}:${request.by}`,
      action: 'decision.expired',
      subject: stored.id,
      detail: { gate: stored.gate, threadId: stored.threadId },
    });
    return refused(
      new ReleaseAgentError('DECISION_EXPIRED', `decision ${stored.id} expired before it was answered`, {
        decisionId: stored.id,
      }),
      stored,
      [workMessage('card', { decisionId: stored.id })],
    );
  }
  deps.log.info('gate decided', {
    decisionId: stored.id,
    gate: stored.gate,
    status: stored.status,
    via: request.via,
  });
  return {
    kind: 'decided',
    decision: stored,
    messages: [workMessage('effect', { decisionId: stored.id, effect: effectFor(stored) })],
  };
}

async function findDecision(deps: DecideDeps, request: DecideRequest): Promise<Decision> {
  if (request.threadId === undefined) {
    const found = request.decisionId ? await deps.store.decisions.get(request.decisionId) : undefined;
    if (!found)
      throw new ReleaseAgentError('DECISION_NOT_FOUND', 'no such decision', {
        decisionId: request.decisionId,
      });
    return found;
  }
  const decisions = await deps.store.decisions.findByThread(request.threadId);
  if (request.decisionId) {
    const chosen = decisions.find((candidate) => candidate.id === request.decisionId);
    if (!chosen)
      throw new ReleaseAgentError(
        'DECISION_NOT_FOUND',
        `thread ${request.threadId} has no decision ${request.decisionId}`,
        { threadId: request.threadId },
      );
    return chosen;
  }
  const pending = decisions.filter((candidate) => candidate.status === 'pending');
  if (pending.length === 1) return pending[0] as Decision;
  if (pending.length > 1) {
    throw new ReleaseAgentError(
      'CONFLICT',
      `thread ${request.threadId} waits on ${pending.length} decisions: name one with decisionId`,
      {
        threadId: request.threadId,
        decisionIds: pending.map((candidate) => candidate.id),
      },
    );
  }
  const latest = decisions.at(-1);
  if (latest) throw notPending(latest);
  if (await deps.store.threads.get(request.threadId)) {
    throw new ReleaseAgentError(
      'DECISION_NOT_PENDING',
      `thread ${request.threadId} is not waiting on a decision`,
      { threadId: request.threadId },
    );
  }
  throw new ReleaseAgentError('NOT_FOUND', `no thread ${request.threadId}`, { threadId: request.threadId });
}

/** Why a merge can no longer be approved (a newer push, a closed PR), or undefined when it still can. */
async function staleMergeReason(deps: DecideDeps, decision: Decision): Promise<string | undefined> {
  if (decision.target.gate !== 'merge_pr' || !deps.azdoQuick) return undefined;
  try {
    const pr = await deps.azdoQuick.getPullRequest(decision.target.repo, decision.target.prId);
    if (pr.status !== 'active') return `the pull request is ${pr.status}`;
    if (pr.sourceCommitId && pr.sourceCommitId !== decision.target.sourceCommit)
      return `a new commit ${pr.sourceCommitId.slice(0, 7)} was pushed`;
    return undefined;
  } catch (error) {
    // The worker completes at exactly the reviewed commit, so a failed early check is safe to skip.
    deps.log.warn('could not re-read the PR before deciding; the commit-pinned completion still guards it', {
      decisionId: decision.id,
      code: isReleaseAgentError(error) ? error.code : 'unknown',
    });
    return undefined;
  }
}

function notPending(decision: Decision): ReleaseAgentError {
  const who = decision.decidedBy ? ` by ${decision.decidedBy}` : '';
  const why = decision.reason ? `: ${decision.reason}` : '';
  return new ReleaseAgentError(
    'DECISION_NOT_PENDING',
    `decision ${decision.id} is already ${decision.status}${who}${why}`,
    {
      decisionId: decision.id,
      status: decision.status,
    },
  );
}

function refused(
  error: ReleaseAgentError,
  decision: Decision | undefined,
  messages: WorkMessage[],
): DecideResult {
  return { kind: 'refused', error, decision, messages };
}
