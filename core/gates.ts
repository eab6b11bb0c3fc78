// A gate's question is one Decision: pending → approved | rejected | expired |
// superseded, exactly once. A click must carry the decision's nonce and, when it names what it
// decides, the very target (PR + commit, approval id…) the decision was created for.
import { ReleaseAgentError } from './errors.ts';
import { isGateKind } from './gate-registry.ts';
import type { Decision, DecisionAnswer, DecisionOutcome, DecisionSource, DecisionTarget } from './model.ts';
import { canonicalJson, isoTime } from './values.ts';

// What a gate is (number, buttons, verbs, wording, effect…) is defined in core/gate-registry.ts.
export {
  GATE_ACTIONS,
  GATE_KINDS,
  type GateButton,
  type GateSpec,
  gateActionFromActionId,
  isGateKind,
  outcomeFromAction,
} from './gate-registry.ts';

// Ids and nonces travel in button values and URLs: keep them to URL-unreserved characters.
const TOKEN = /^[A-Za-z0-9._~-]{1,200}$/;
const MIN_NONCE_LENGTH = 16;
const DECISION_SOURCES: readonly DecisionSource[] = ['slack', 'hub', 'api', 'azdo'];
const OUTCOMES: readonly DecisionOutcome[] = ['approved', 'rejected'];

export interface CreateDecisionInput {
  id: string;
  threadId: string;
  target: DecisionTarget;
  /** A random value of at least 16 URL-safe characters, carried by the buttons. */
  nonce: string;
  now: Date;
  /** After this many seconds a click no longer decides; no expiry when absent. */
  ttlSeconds?: number;
}

export function createDecision(input: CreateDecisionInput): Decision {
  if (!TOKEN.test(input.id)) {
    throw new ReleaseAgentError('INPUT_INVALID', 'decision id must be 1-200 URL-safe characters', {
      field: 'id',
    });
  }
  if (!input.threadId.trim())
    throw new ReleaseAgentError('INPUT_INVALID', 'threadId is empty', { field: 'threadId' });
  if (!TOKEN.test(input.nonce) || input.nonce.length < MIN_NONCE_LENGTH) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `nonce must be ${MIN_NONCE_LENGTH}-200 URL-safe characters`,
      {
        decisionId: input.id,
        field: 'nonce',
      },
    );
  }
  const gate: unknown = input.target?.gate;
  if (!isGateKind(gate)) {
    throw new ReleaseAgentError('INPUT_INVALID', `unknown gate: ${String(gate)}`, {
      decisionId: input.id,
      field: 'target.gate',
    });
  }
  const createdAt = isoTime(input.now);
  const decision: Decision = {
    id: input.id,
    threadId: input.threadId,
    gate: input.target.gate,
    target: structuredClone(input.target),
    nonce: input.nonce,
    status: 'pending',
    createdAt,
  };
  if (input.ttlSeconds !== undefined) {
    if (!Number.isFinite(input.ttlSeconds) || input.ttlSeconds <= 0) {
      throw new ReleaseAgentError('INPUT_INVALID', `ttlSeconds must be positive: ${input.ttlSeconds}`, {
        decisionId: input.id,
        field: 'ttlSeconds',
      });
    }
    decision.expiresAt = new Date(input.now.getTime() + input.ttlSeconds * 1000).toISOString();
  }
  return decision;
}

/** True when the decision has an expiry and `now` is past it. */
export function isExpired(decision: Decision, now: Date): boolean {
  return decision.expiresAt !== undefined && now.getTime() > Date.parse(decision.expiresAt);
}

function assertPending(decision: Decision): void {
  if (decision.status !== 'pending') {
    throw new ReleaseAgentError(
      'DECISION_NOT_PENDING',
      `decision ${decision.id} is already ${decision.status}`,
      {
        decisionId: decision.id,
        status: decision.status,
        decidedBy: decision.decidedBy,
      },
    );
  }
}

// Compares without an early exit so the time taken does not reveal how much of a nonce matched.
function constantTimeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
    difference |= (a.charCodeAt(index) || 0) ^ (b.charCodeAt(index) || 0);
  }
  return difference === 0;
}

/** Names of the target fields that differ (missing on one side counts as different). */
export function targetDifferences(expected: DecisionTarget, presented: DecisionTarget): string[] {
  const left = expected as unknown as Record<string, unknown>;
  const right = presented as unknown as Record<string, unknown>;
  const names = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  return names.filter((name) => canonicalJson(left[name]) !== canonicalJson(right[name]));
}

export interface DecideInput {
  outcome: DecisionOutcome;
  /** Who clicked: a Slack user id, a hub user, an operator. */
  by: string;
  via: DecisionSource;
  nonce: string;
  /** What the clicker believes it decides; compared field by field when given. */
  target?: DecisionTarget;
  now: Date;
}

/** `decided`: the outcome was recorded. `expired`: too late, the decision is now expired and nothing was approved. */
export type DecideResult = { kind: 'decided'; decision: Decision } | { kind: 'expired'; decision: Decision };

/** An answer taken: `answered` (the decision is still pending, its `answer` set) or too late (`expired`). */
export type AnswerResult = { kind: 'answered'; decision: Decision } | { kind: 'expired'; decision: Decision };

/**
 * Takes a human answer without deciding yet (the checks that need outside services come after, see
 * `confirm`). Checks, in order: still pending (DECISION_NOT_PENDING), not already answered by someone
 * (CONFLICT), the outcome, source and decider, the nonce (DECISION_NONCE_MISMATCH), the presented target
 * (DECISION_TARGET_MISMATCH), then the expiry: an expired decision comes back as `{ kind: 'expired' }`
 * with status `expired`, never approved.
 */
export function answer(
  decision: Decision,
  input: DecideInput & { click?: string; responseUrl?: string },
): AnswerResult {
  assertPending(decision);
  if (decision.answer) {
    throw new ReleaseAgentError(
      'CONFLICT',
      `${decision.answer.by} has already answered decision ${decision.id}; their answer is being checked`,
      { decisionId: decision.id, answeredBy: decision.answer.by },
    );
  }
  if (!OUTCOMES.includes(input.outcome)) {
    throw new ReleaseAgentError('INPUT_INVALID', `not an outcome: ${String(input.outcome)}`, {
      decisionId: decision.id,
      field: 'outcome',
    });
  }
  if (!DECISION_SOURCES.includes(input.via)) {
    throw new ReleaseAgentError('INPUT_INVALID', `not a decision source: ${String(input.via)}`, {
      decisionId: decision.id,
      field: 'via',
    });
  }
  if (!input.by.trim()) {
    throw new ReleaseAgentError('INPUT_INVALID', 'who decided is empty', {
      decisionId: decision.id,
      field: 'by',
    });
  }
  if (!constantTimeEqual(input.nonce, decision.nonce)) {
    throw new ReleaseAgentError(
      'DECISION_NONCE_MISMATCH',
      `the nonce does not match decision ${decision.id}`,
      {
        decisionId: decision.id,
      },
    );
  }
  if (input.target !== undefined) {
    const differences = targetDifferences(decision.target, input.target);
    if (differences.length > 0) {
      throw new ReleaseAgentError(
        'DECISION_TARGET_MISMATCH',
        `decision ${decision.id} decides another ${decision.gate} (differs in ${differences.join(', ')})`,
        { decisionId: decision.id, gate: decision.gate, differences },
      );
    }
  }
  const at = isoTime(input.now);
  if (isExpired(decision, input.now)) {
    return {
      kind: 'expired',
      decision: { ...decision, status: 'expired', decidedAt: at, reason: 'expired before a decision' },
    };
  }
  const taken: DecisionAnswer = {
    outcome: input.outcome,
    by: input.by,
    via: input.via,
    at,
    ...(input.click ? { click: input.click } : {}),
    ...(input.responseUrl ? { responseUrl: input.responseUrl } : {}),
  };
  return { kind: 'answered', decision: { ...decision, answer: taken } };
}

/**
 * Decides by the answer taken (after its checks passed): the status becomes the answer's outcome, as
 * of when the person answered. DECISION_NOT_PENDING when it was decided meanwhile; INPUT_INVALID
 * without an answer.
 */
export function confirm(decision: Decision): Decision {
  assertPending(decision);
  const taken = decision.answer;
  if (!taken) {
    throw new ReleaseAgentError('INPUT_INVALID', `decision ${decision.id} has no answer to confirm`, {
      decisionId: decision.id,
    });
  }
  return {
    ...decision,
    status: taken.outcome,
    decidedAt: taken.at,
    decidedBy: taken.by,
    decidedVia: taken.via,
  };
}

/** Drops an answer the checks refused: the decision waits for another answer. */
export function withdrawAnswer(decision: Decision): Decision {
  const { answer: _refused, ...rest } = decision;
  return rest;
}

/** `answer` then `confirm` at once, for an answer with nothing left to check (one answered in Azure DevOps). */
export function decide(decision: Decision, input: DecideInput): DecideResult {
  const taken = answer(decision, input);
  return taken.kind === 'expired'
    ? taken
    : { kind: 'decided', decision: withdrawAnswer(confirm(taken.decision)) };
}

/** Ends a pending decision because what it asked about changed (a new push, a newer release). */
export function supersede(decision: Decision, reason: string, now: Date): Decision {
  assertPending(decision);
  return { ...decision, status: 'superseded', decidedAt: isoTime(now), reason };
}

/** Ends a pending decision unanswered (the poller's reconcile, an approval that timed out in Azure DevOps). */
export function expire(decision: Decision, now: Date, reason = 'expired before a decision'): Decision {
  assertPending(decision);
  return { ...decision, status: 'expired', decidedAt: isoTime(now), reason };
}

export interface ActionValue {
  decisionId: string;
  nonce: string;
  outcome: DecisionOutcome;
}

const ACTION_VALUE_VERSION = 'ra1';
const OUTCOME_CODES: Readonly<Record<DecisionOutcome, string>> = { approved: 'a', rejected: 'r' };

/** A button's `value`: `ra1|a|<decisionId>|<nonce>` (Slack allows 2,000 characters; this is ≤ 409). */
export function encodeActionValue(value: ActionValue): string {
  if (!TOKEN.test(value.decisionId) || !TOKEN.test(value.nonce) || !OUTCOMES.includes(value.outcome)) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'action value needs URL-safe decisionId and nonce and an outcome',
      {
        decisionId: TOKEN.test(value.decisionId) ? value.decisionId : undefined,
      },
    );
  }
  return [ACTION_VALUE_VERSION, OUTCOME_CODES[value.outcome], value.decisionId, value.nonce].join('|');
}

/**
 * Reads a button's `value`. It arrives from outside, so a malformed value is an expected case, not
 * an exception: the answer is undefined and the caller refuses the click.
 */
export function decodeActionValue(text: unknown): ActionValue | undefined {
  if (typeof text !== 'string' || text.length > 500) return undefined;
  const parts = text.split('|');
  if (parts.length !== 4) return undefined;
  const [version, code, decisionId = '', nonce = ''] = parts;
  if (version !== ACTION_VALUE_VERSION || !TOKEN.test(decisionId) || !TOKEN.test(nonce)) return undefined;
  const outcome = OUTCOMES.find((candidate) => OUTCOME_CODES[candidate] === code);
  return outcome ? { decisionId, nonce, outcome } : undefined;
}
