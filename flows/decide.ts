// One way to answer a gate, whoever clicks: a Slack button, the hub, or POST /api/approvals/{threadId}.
// Two steps. `answerGate` touches only storage, so a Slack click is acknowledged well inside Slack's
// 3 s whatever Azure DevOps and Slack's own API are doing: load the decision, check the click is for
// this decision's own card and gate, that the person may answer (GATE_ALLOWED_USERS: no entry, no one),
// and record the answer single-shot (an ETag-guarded write) with the function app's HMAC over it.
// `confirmAnswer` (the worker, for Slack; inline for the hub and the API) checks the answer against
// outside facts (separation of duties, which needs Slack's e-mail of the clicker and the PR's author;
// a merge against the PR's current commit), then decides: the status, the decision's proof
// (core/decision-proof.ts), its audit line and the queue message that does the slow part; or refuses
// it: the answer is withdrawn, the clicker told why, the card redrawn. Refusals are results, not
// exceptions: each carries its coded error (the HTTP status) and the messages that tell the clicker.
import type { PullRequest } from '../adapters/azdo/azdo.ts';
import { signAnswer, signDecision, verifyAnswerProof } from '../core/decision-proof.ts';
import { isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { mayDecide } from '../core/gate-access.ts';
import { gateEffect } from '../core/gate-registry.ts';
import {
  answer,
  confirm,
  GATE_ACTIONS,
  outcomeFromAction,
  supersede,
  withdrawAnswer,
} from '../core/gates.ts';
import type { Decision, DecisionAnswer, DecisionOutcome, DecisionSource, GateKind } from '../core/model.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { FlowContext } from './context.ts';
import { effectNeedsRedrive, isTransient, refuseUnproven } from './decision-effects.ts';
import { authorCheckApplies, checkDuties } from './duties.ts';
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
  /** From Slack: the delivery (a redelivery of it is a duplicate) and where to tell the clicker. */
  click?: string;
  responseUrl?: string;
}

type Refused = {
  kind: 'refused';
  error: ReleaseAgentError;
  decision: Decision | undefined;
  messages: WorkMessage[];
};

export type AnswerResult =
  | { kind: 'answered'; decision: Decision; messages: WorkMessage[] }
  /** The same delivery again (Slack retries a slow acknowledgement): nothing more to do. */
  | { kind: 'duplicate'; decision: Decision }
  | Refused;

export type DecideResult = { kind: 'decided'; decision: Decision; messages: WorkMessage[] } | Refused;

type AnswerDeps = FlowContext & Pick<AgentDeps, 'settings'>;
type DecideDeps = FlowContext & Pick<AgentDeps, 'azdo' | 'slack' | 'settings'>;

/**
 * How long an answer may wait for its checks before its queue message is taken as lost: a click on
 * the card (or the poller) then queues the checks again.
 */
export const ANSWER_LOST_AFTER_SECONDS = 120;

/** Whether a pending decision's answer waited so long for its checks that their message was lost. */
export function answerNeedsRedrive(decision: Decision, now: Date, lostAfterSeconds: number): boolean {
  return (
    decision.status === 'pending' &&
    decision.answer !== undefined &&
    now.getTime() - Date.parse(decision.answer.at) >= lostAfterSeconds * 1000
  );
}

/** Answers and decides at once (the hub, the API): the checks run inline, the caller gets the verdict. */
export async function decideGate(deps: DecideDeps, request: DecideRequest): Promise<DecideResult> {
  const taken = await answerGate(deps, request);
  if (taken.kind === 'refused') return taken;
  if (taken.kind === 'duplicate') return refused(notPending(taken.decision), taken.decision, []);
  try {
    return await confirmAnswer(deps, taken.decision.id);
  } catch (error) {
    // A service the checks need failed: nothing is decided and the answer must not block the next try.
    await withdraw(deps, taken.decision.id, taken.decision.answer);
    throw error;
  }
}

/** Takes an answer touching only storage (see the top of this file); the checks come after. */
export async function answerGate(deps: AnswerDeps, request: DecideRequest): Promise<AnswerResult> {
  requireSigningKey(deps);
  let decision: Decision | undefined;
  try {
    decision = await findDecision(deps, request);
    if (request.click && decision.answer?.click === request.click) return { kind: 'duplicate', decision };
    if (request.card) checkCard(decision, request.card);
    const outcome = request.outcome ?? outcomeFromAction(decision.gate, request.action ?? '');
    requireMayAnswer(deps, decision.gate, request.by, decision.id);
    if (decision.status !== 'pending') throw notPending(decision);
    let expired = false;
    let duplicate = false;
    // Written against the version just read (no second read); a 412 re-reads and re-runs the pure
    // transition: the same delivery that lost the race finds its own answer (a duplicate), another
    // click finds the decision answered (CONFLICT).
    const stored = await deps.store.decisions.update(
      decision.id,
      (current) => {
        duplicate = request.click !== undefined && current.answer?.click === request.click;
        if (duplicate) return undefined;
        const result = answer(current, {
          outcome,
          by: request.by,
          via: request.via,
          nonce: request.nonce ?? current.nonce,
          now: deps.now(),
          ...(request.click ? { click: request.click } : {}),
          ...(request.responseUrl ? { responseUrl: request.responseUrl } : {}),
        });
        expired = result.kind === 'expired';
        if (result.kind === 'expired') return result.decision;
        const proof = signAnswer(result.decision, deps.settings.decisionSigningKey);
        return { ...result.decision, answer: { ...(result.decision.answer as DecisionAnswer), proof } };
      },
      { from: decision },
    );
    if (duplicate) return { kind: 'duplicate', decision: stored };
    if (expired) {
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
    return {
      kind: 'answered',
      decision: stored,
      messages: [workMessage('confirm', { decisionId: stored.id })],
    };
  } catch (error) {
    if (!isReleaseAgentError(error)) throw error;
    return refused(error, decision, clickedAgain(deps, decision, error));
  }
}

/** A decided (or answered) card clicked again: redraw it, and queue again what never ran. */
function clickedAgain(
  deps: AnswerDeps,
  decision: Decision | undefined,
  error: ReleaseAgentError,
): WorkMessage[] {
  if (!decision) return [];
  const messages: WorkMessage[] = [];
  if (error.code === 'DECISION_NOT_PENDING' || error.code === 'DECISION_EXPIRED') {
    messages.push(
      workMessage('card', {
        decisionId: decision.id,
        ...(error.code === 'DECISION_NOT_PENDING' ? { notice: 'repeated' as const } : {}),
      }),
    );
  }
  // Decided, but its effect never ran (its message was lost, its run died): the click, from someone
  // allowed to answer, queues it again. The effect is idempotent and runs one at a time.
  if (error.code === 'DECISION_NOT_PENDING' && effectNeedsRedrive(decision, deps.now(), 0)) {
    deps.log.info('click on a decided decision re-queues its effect', { decisionId: decision.id });
    messages.push(workMessage('effect', { decisionId: decision.id, effect: effectFor(decision) }));
  }
  // Answered, but its checks never ran: the same, for the checks.
  if (error.code === 'CONFLICT' && answerNeedsRedrive(decision, deps.now(), ANSWER_LOST_AFTER_SECONDS)) {
    deps.log.info('click on an answered decision re-queues its checks', { decisionId: decision.id });
    messages.push(workMessage('confirm', { decisionId: decision.id }));
  }
  return messages;
}

/**
 * Checks a decision's answer against outside facts, then decides by it or refuses it (see the top of
 * this file). A decision this answer already decided comes back `decided` (a redelivery goes on with
 * its effect). A service the checks need that fails is thrown: the worker's message is redelivered.
 */
export async function confirmAnswer(deps: DecideDeps, decisionId: string): Promise<DecideResult> {
  requireSigningKey(deps);
  const decision = await deps.store.decisions.get(decisionId);
  if (!decision) {
    return refused(
      new ReleaseAgentError('DECISION_NOT_FOUND', 'no such decision', { decisionId }),
      undefined,
      [],
    );
  }
  const taken = decision.answer;
  if (decision.status !== 'pending') {
    if (taken && decidedBy(decision, taken)) return { kind: 'decided', decision, messages: [] };
    // Decided otherwise meanwhile (in Azure DevOps, superseded by a push, expired).
    return refused(notPending(decision), decision, tellClicker(taken, notPending(decision).message));
  }
  if (!taken) {
    return refused(
      new ReleaseAgentError('INPUT_INVALID', `decision ${decision.id} has no answer to check`, {
        decisionId,
      }),
      decision,
      [],
    );
  }
  // Only an answer this app took carries a valid proof: anything else in the store is dropped unread.
  const proof = verifyAnswerProof(decision, deps.settings.decisionSigningKey);
  if (!proof.ok) {
    await withdraw(deps, decision.id, taken);
    await refuseUnproven(deps, 'answer-refused', decision.id, `proof ${proof.reason}`, {
      gate: decision.gate,
    });
    return refused(
      new ReleaseAgentError('FORBIDDEN', 'the answer has no valid proof', {
        decisionId,
        reason: proof.reason,
      }),
      decision,
      [],
    );
  }
  try {
    const pr = await readPullRequest(deps, decision, taken);
    const email = await checkDuties(deps, decision, taken, pr);
    if (decision.target.gate === 'merge_pr' && taken.outcome === 'approved') {
      const stale = staleMergeReason(decision, pr);
      if (stale) {
        const superseded = await deps.store.decisions.update(decision.id, (current) =>
          current.status === 'pending' ? supersede(current, stale, deps.now()) : undefined,
        );
        const error = new ReleaseAgentError(
          'PR_STALE_COMMIT',
          `refused: ${stale}; the approval was for commit ${decision.target.sourceCommit.slice(0, 7)}`,
          { decisionId: decision.id, prId: decision.target.prId },
        );
        return refused(error, superseded, [
          workMessage('card', { decisionId: decision.id }),
          ...tellClicker(taken, error.message),
        ]);
      }
    }
    return await record(deps, decision, email);
  } catch (error) {
    if (!isReleaseAgentError(error) || isTransient(error)) throw error;
    // Refused by the rules (separation of duties): the decision waits for someone else's answer.
    const withdrawn = await withdraw(deps, decision.id, taken);
    await deps.store.audit.append({
      at: deps.now().toISOString(),
      actor: `${taken.via}:${taken.by}`,
      action: 'answer-refused',
      subject: decision.id,
      detail: { code: error.code, reason: error.message, gate: decision.gate },
    });
    deps.log.info('answer refused by its checks', { decisionId: decision.id, code: error.code });
    return refused(error, withdrawn, tellClicker(taken, error.message));
  }
}

/** Whether the decision was decided by this very answer. */
function decidedBy(decision: Decision, taken: DecisionAnswer): boolean {
  return (
    decision.status === taken.outcome &&
    decision.decidedBy === taken.by &&
    decision.decidedVia === taken.via &&
    decision.decidedAt === taken.at
  );
}

/** An ephemeral note to whoever clicked, when Slack gave a way to reach them. */
function tellClicker(taken: DecisionAnswer | undefined, why: string): WorkMessage[] {
  if (!taken?.responseUrl) return [];
  return [
    workMessage('reply', { responseUrl: taken.responseUrl, text: `Your click changed nothing: ${why}` }),
  ];
}

/** Drops the answer if it is still this one and the decision still pending; the stored decision after. */
async function withdraw(
  deps: AnswerDeps,
  decisionId: string,
  taken: DecisionAnswer | undefined,
): Promise<Decision> {
  return await deps.store.decisions.update(decisionId, (current) =>
    current.status === 'pending' && taken && current.answer?.at === taken.at && current.answer.by === taken.by
      ? withdrawAnswer(current)
      : undefined,
  );
}

/** Only the people GATE_ALLOWED_USERS names for the gate may answer it (no entry: no one). */
export function requireMayAnswer(
  deps: Pick<AnswerDeps, 'settings'>,
  gate: GateKind,
  by: string,
  decisionId: string,
): void {
  if (!mayDecide(deps.settings.allowList, gate, by)) {
    throw new ReleaseAgentError(
      'FORBIDDEN',
      `you may not answer gate ${GATE_ACTIONS[gate].number} (${gate})`,
      {
        decisionId,
        gate,
        user: by,
      },
    );
  }
}

export function requireSigningKey(deps: Pick<AnswerDeps, 'settings'>): void {
  // Closed by default: an answer that cannot be proven to the worker is not taken at all.
  if (deps.settings.decisionSigningKey.isEmpty) {
    throw new ReleaseAgentError('NOT_CONFIGURED', 'DECISION_SIGNING_KEY is not set: no gate can be decided', {
      variables: ['DECISION_SIGNING_KEY'],
    });
  }
}

/** The effect a decided decision asks the worker for. */
export function effectFor(decision: Decision): EffectKind {
  return gateEffect(decision.gate, decision.status === 'approved' ? 'approved' : 'rejected');
}

async function record(
  deps: DecideDeps,
  decision: Decision,
  email: string | undefined,
): Promise<DecideResult> {
  // The transition may run again after a concurrent write (412): it is pure, and a decision that was
  // decided meanwhile throws DECISION_NOT_PENDING, unless this very answer decided it (the same checks
  // run twice at once: a redelivered click, the poller's re-drive): then nothing is written again.
  const taken = decision.answer;
  let wrote = false;
  const stored = await deps.store.decisions.update(
    decision.id,
    (current) => {
      wrote = false;
      if (current.status !== 'pending' && taken && decidedBy(current, taken)) return undefined;
      wrote = true;
      const decided: Decision = { ...confirm(current), ...(email ? { decidedByEmail: email } : {}) };
      const proof = signDecision(decided, deps.settings.decisionSigningKey);
      return {
        ...decided,
        ...(proof ? { proof } : {}),
        effect: { status: 'queued', at: deps.now().toISOString() },
      };
    },
    { from: decision },
  );
  if (!wrote) return { kind: 'decided', decision: stored, messages: [] };
  // Audited when decided (not when the effect ran), so the line exists whatever becomes of the effect.
  await deps.store.audit.append({
    at: stored.decidedAt ?? deps.now().toISOString(),
    actor: `${stored.decidedVia}:${stored.decidedBy}`,
    action: `decision.${stored.status}`,
    subject: stored.id,
    detail: { gate: stored.gate, threadId: stored.threadId },
  });
  deps.log.info('gate decided', {
    decisionId: stored.id,
    gate: stored.gate,
    status: stored.status,
    via: stored.decidedVia ?? '',
  });
  return {
    kind: 'decided',
    decision: stored,
    messages: [workMessage('effect', { decisionId: stored.id, effect: effectFor(stored) })],
  };
}

async function findDecision(deps: AnswerDeps, request: DecideRequest): Promise<Decision> {
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

/**
 * The PR of a gate-1 decision, read now; undefined for other gates and without Azure DevOps (the author
 * check then refuses: closed). When the read fails and the author check needs the PR, the failure is
 * thrown (the worker's redelivery checks again); otherwise only the commit check is skipped, which the
 * commit-pinned completion makes anyway.
 */
async function readPullRequest(
  deps: DecideDeps,
  decision: Decision,
  taken: DecisionAnswer,
): Promise<PullRequest | undefined> {
  if (decision.target.gate !== 'merge_pr' || !deps.azdo) return undefined;
  try {
    return await deps.azdo.getPullRequest(decision.target.repo, decision.target.prId);
  } catch (error) {
    if (authorCheckApplies(deps.settings, decision, taken)) throw error;
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

function refused(error: ReleaseAgentError, decision: Decision | undefined, messages: WorkMessage[]): Refused {
  return { kind: 'refused', error, decision, messages };
}
