// The proof that a decision was recorded by the function app from a verified answer of a configured
// person: HMAC-SHA256 with DECISION_SIGNING_KEY (held only by the function app) over a canonical text
// of what was decided, by whom, through which channel and when. The worker recomputes it before any
// effect, so a decision written to the store by anything else (a task, an import, a hand edit) is
// never performed. The same key signs an answer while its checks run (`raa1`) and a Slack click on its
// way through the work queue (`rac1`). node:crypto is computation, not I/O.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Decision, DecisionOutcome, GateKind } from './model.ts';
import type { Secret } from './secret.ts';
import { canonicalJson } from './values.ts';

const PROOF_VERSION = 'rad1';

/** The text the proof signs: every field that says what a yes (or a no) does and who gave it. */
export function decisionProofText(decision: Decision): string | undefined {
  if (decision.status !== 'approved' && decision.status !== 'rejected') return undefined;
  if (!decision.decidedBy || !decision.decidedVia || !decision.decidedAt) return undefined;
  return canonicalJson([
    PROOF_VERSION,
    decision.id,
    decision.threadId,
    decision.gate,
    decision.target,
    decision.status,
    decision.decidedBy,
    decision.decidedVia,
    decision.decidedAt,
    decision.nonce,
  ]);
}

/** `rad1.<base64url HMAC>`; undefined when the decision is not decided by someone. */
export function signDecision(decision: Decision, key: Secret): string | undefined {
  const text = decisionProofText(decision);
  if (text === undefined || key.isEmpty) return undefined;
  return `${PROOF_VERSION}.${createHmac('sha256', key.reveal()).update(text).digest('base64url')}`;
}

export type ProofCheck = { ok: true } | { ok: false; reason: 'no_key' | 'missing' | 'invalid' };

/** Recomputes the proof and compares in constant time. */
export function verifyDecisionProof(decision: Decision, key: Secret): ProofCheck {
  return checkProof(key, decision.proof, () => signDecision(decision, key));
}

function checkProof(key: Secret, presented: unknown, expected: () => string | undefined): ProofCheck {
  if (key.isEmpty) return { ok: false, reason: 'no_key' };
  if (typeof presented !== 'string' || !presented) return { ok: false, reason: 'missing' };
  const recomputed = expected();
  if (recomputed === undefined) return { ok: false, reason: 'invalid' };
  const a = Buffer.from(recomputed);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b) ? { ok: true } : { ok: false, reason: 'invalid' };
}

const ANSWER_PROOF_VERSION = 'raa1';

/** The text an answer's proof signs: the decision it answers and every field of the answer. */
function answerProofText(decision: Decision): string | undefined {
  const taken = decision.answer;
  if (!taken) return undefined;
  return canonicalJson([
    ANSWER_PROOF_VERSION,
    decision.id,
    decision.threadId,
    decision.gate,
    decision.target,
    decision.nonce,
    taken.outcome,
    taken.by,
    taken.via,
    taken.at,
    taken.click ?? null,
    taken.responseUrl ?? null,
  ]);
}

/** `raa1.<base64url HMAC>` over the decision's answer; undefined without an answer or a key. */
export function signAnswer(decision: Decision, key: Secret): string | undefined {
  const text = answerProofText(decision);
  if (text === undefined || key.isEmpty) return undefined;
  return `${ANSWER_PROOF_VERSION}.${createHmac('sha256', key.reveal()).update(text).digest('base64url')}`;
}

/** Recomputes an answer's proof and compares in constant time. */
export function verifyAnswerProof(decision: Decision, key: Secret): ProofCheck {
  return checkProof(key, decision.answer?.proof, () => signAnswer(decision, key));
}

const CLICK_PROOF_VERSION = 'rac1';

/** A Slack click as the acknowledgement took it: what the worker turns into an answer. */
export interface TakenClick {
  decisionId: string;
  outcome: DecisionOutcome;
  nonce: string;
  by: string;
  card: { channel: string; ts: string; gate: GateKind };
  click: string;
  responseUrl: string;
}

function clickProofText(taken: TakenClick): string {
  return canonicalJson([
    CLICK_PROOF_VERSION,
    taken.decisionId,
    taken.outcome,
    taken.nonce,
    taken.by,
    taken.card.channel,
    taken.card.ts,
    taken.card.gate,
    taken.click,
    taken.responseUrl,
  ]);
}

/** `rac1.<base64url HMAC>` over a taken click (its queue message carries it); undefined without a key. */
export function signClick(taken: TakenClick, key: Secret): string | undefined {
  if (key.isEmpty) return undefined;
  return `${CLICK_PROOF_VERSION}.${createHmac('sha256', key.reveal()).update(clickProofText(taken)).digest('base64url')}`;
}

/** Recomputes a click's proof and compares in constant time. */
export function verifyClickProof(taken: TakenClick, proof: unknown, key: Secret): ProofCheck {
  return checkProof(key, proof, () => signClick(taken, key));
}
