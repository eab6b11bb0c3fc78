// One way to answer a gate, whoever clicks: a Slack button, the hub, or POST /api/approvals/{threadId}.
// Load the decision, check the click is for this decision's own card and gate, check who may answer
// (GATE_ALLOWED_USERS: no entry, no one) and separation of duties, re-check a merge against the PR's
// current commit, record the answer single-shot (an ETag-guarded write in the store) with its proof
// (HMAC with DECISION_SIGNING_KEY, core/decision-proof.ts) and its audit line, and hand back the queue
// messages that do the slow part (the worker checks the proof). Refusals are results, not exceptions:
// each carries its coded error (the HTTP status) and the card refresh that tells the clicker why.
import type { PullRequest } from '../adapters/azdo/azdo.ts';
import { signDecision } from '../core/decision-proof.ts';
import { isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { mayDecide } from '../core/gate-access.ts';
import { decide, GATE_ACTIONS, outcomeFromAction, supersede } from '../core/gates.ts';
import type { Decision, DecisionOutcome, DecisionSource, GateKind } from '../core/model.ts';
import type { AgentDeps } from './agent-deps.ts';
import { effectNeedsRedrive } from './decision-effects.ts';
import { checkDuties } from './duties.ts';
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
  /** The authenticated identity (Slack user id, hub user id, `operator`): never taken from a body. */
  by: string;
  via: DecisionSource;
  /** From a button: the message it sits on and the gate its action_id belongs to. */
  card?: { channel: string; ts: string; gate: GateKind };
}

export type DecideResult =
  | { kind: 'decided'; decision: Decision; messages: WorkMessage[] }
  | { kind: 'refused'; error: ReleaseAgentError; decision: Decision | undefined; messages: WorkMessage[] };

type DecideDeps = Pick<AgentDeps, 'store' | 'azdoQuick' | 'slack' | 'now' | 'log' | 'settings'>;

export async function decideGate(deps: DecideDeps, request: DecideRequest): Promise<DecideResult> {
  // Closed by default: an answer that cannot be proven to the worker is not taken at all.
  if (deps.settings.decisionSigningKey.isEmpty) {
    throw new ReleaseAgentError('NOT_CONFIGURED', 'DECISION_SIGNING_KEY is not set: no gate can be decided', {
      variables: ['DECISION_SIGNING_KEY'],
    });
  }
  let decision: Decision | undefined;
  try {
    decision = await findDecision(deps, request);
    if (request.card) checkCard(decision, request.card);
    const outcome = request.outcome ?? outcomeFromAction(decision.gate, request.action ?? '');
    if (!mayDecide(deps.settings.allowList, decision.gate, request.by)) {
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
    const pr = decision.target.gate === 'merge_pr' ? await readPullRequest(deps, decision) : undefined;
    const email = await checkDuties(deps, decision, request, pr);
    if (decision.target.gate === 'merge_pr' && outcome === 'approved') {
      const stale = staleMergeReason(decision, pr);
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
    return await record(deps, decision, outcome, request, email);
  } catch (error) {
    if (!isReleaseAgentError(error)) throw error;
    // A decided card that was clicked again: redraw it saying the click changed nothing.
    const messages: WorkMessage[] =
      decision && (error.code === 'DECISION_NOT_PENDING' || error.code === 'DECISION_EXPIRED')
        ? [
            workMessage('card', {
              decisionId: decision.id,
              ...(error.code === 'DECISION_NOT_PENDING' ? { notice: 'repeated' as const } : {}),
            }),
          ]
        : [];
    // Decided, but its effect never ran (its message was lost, its run died): the click, from someone
    // allowed to answer, queues it again. The effect is idempotent and runs one at a time.
    if (decision && error.code === 'DECISION_NOT_PENDING' && effectNeedsRedrive(decision, deps.now(), 0)) {
      deps.log.info('click on a decided decision re-queues its effect', { decisionId: decision.id });
      messages.push(workMessage('effect', { decisionId: decision.id, effect: effectFor(decision) }));
    }
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
  email: string | undefined,
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
      const decided: Decision = { ...result.decision, ...(email ? { decidedByEmail: email } : {}) };
      const proof = signDecision(decided, deps.settings.decisionSigningKey);
      return {
        ...decided,
        ...(proof ? { proof } : {}),
        effect: { status: 'queued', at: deps.now().toISOString() },
      };
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
  // Audited when decided (not when the effect ran), so the line exists whatever becomes of the effect.
  await deps.store.audit.append({
    at: stored.decidedAt ?? deps.now().toISOString(),
    actor: `${stored.decidedVia ?? request.via}:${stored.decidedBy ?? request.by}`,
    action: `decision.${stored.status}`,
    subject: stored.id,
    detail: { gate: stored.gate, threadId: stored.threadId },
  });
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

/** The PR of a gate-1 decision, read now (one short attempt); undefined when it could not be read. */
async function readPullRequest(deps: DecideDeps, decision: Decision): Promise<PullRequest | undefined> {
  if (decision.target.gate !== 'merge_pr' || !deps.azdoQuick) return undefined;
  try {
    return await deps.azdoQuick.getPullRequest(decision.target.repo, decision.target.prId);
  } catch (error) {
    // The worker completes at exactly the reviewed commit, so a failed early check only costs the
    // author check (which then refuses: closed).
    deps.log.warn('could not re-read the PR before deciding', {
      decisionId: decision.id,
      code: isReleaseAgentError(error) ? error.code : 'unknown',
    });
    return undefined;
  }
}

/** Why a merge can no longer be approved (a newer push, a closed PR), or undefined when it still can. */
function staleMergeReason(decision: Decision, pr: PullRequest | undefined): string | undefined {
  if (decision.target.gate !== 'merge_pr' || !pr) return undefined;
  if (pr.status !== 'active') return `the pull request is ${pr.status}`;
  if (pr.sourceCommitId && pr.sourceCommitId !== decision.target.sourceCommit)
    return `a new commit ${pr.sourceCommitId.slice(0, 7)} was pushed`;
  return undefined;
}

/** A button counts only on the card posted for its decision, and only with an action of that gate. */
function checkCard(decision: Decision, card: NonNullable<DecideRequest['card']>): void {
  const where = decision.slack;
  if (!where || where.channel !== card.channel || where.ts !== card.ts) {
    throw new ReleaseAgentError(
      'DECISION_TARGET_MISMATCH',
      `this button is not on the card of decision ${decision.id}`,
      { decisionId: decision.id, channel: card.channel, ts: card.ts },
    );
  }
  if (card.gate !== decision.gate) {
    throw new ReleaseAgentError(
      'DECISION_TARGET_MISMATCH',
      `a gate ${GATE_ACTIONS[card.gate].number} button cannot answer gate ${GATE_ACTIONS[decision.gate].number} (${decision.gate})`,
      { decisionId: decision.id, gate: decision.gate, buttonGate: card.gate },
    );
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
