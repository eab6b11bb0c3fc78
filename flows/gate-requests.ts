// Asking a human: a gate's pending decision is created once (its id derives from what it decides, so
// a webhook, the poller and a retried task all land on the same decision) and its Slack card is
// posted once, by whoever created it. Decided cards are re-rendered in place from the stored details.
import { createHash, randomBytes } from 'node:crypto';
import { createDecision, encodeActionValue, supersede } from '../core/gates.ts';
import type { Actor, SlackCard } from '../core/card-blocks.ts';
import { decidedGateCard, type GateEffect, type GateResolution, gateCard } from '../core/gate-cards.ts';
import type { Decision, DecisionTarget, GateDetails } from '../core/model.ts';
import type { Slack } from '../adapters/slack/slack.ts';
import type { Store } from '../adapters/store/store.ts';
import { canonicalJson } from '../core/values.ts';
import type { FlowContext } from './context.ts';

/** The flow context plus Slack (optional) and the nonce source. */
export interface GateRequestDeps extends FlowContext {
  /** Absent or non-interactive (incoming webhook): the decision is still answerable in the hub and the API. */
  slack?: Slack | undefined;
  channel?: string | undefined;
  /** Random nonce source (tests inject a fixed one). */
  nonce?: () => string;
}

/** A decision's id: readable gate prefix plus a hash of exactly what it decides. */
export function decisionIdFor(target: DecisionTarget): string {
  const digest = createHash('sha256').update(canonicalJson(target)).digest('hex').slice(0, 20);
  const subject = target.gate === 'merge_pr' ? `pr${target.prId}` : `v${target.version}`;
  return `${target.gate}.${subject.replace(/[^A-Za-z0-9._~-]/g, '-')}.${digest}`;
}

export function randomNonce(): string {
  return randomBytes(18).toString('base64url');
}

export interface RequestDecisionInput {
  threadId: string;
  target: DecisionTarget;
  details: GateDetails;
  ttlSeconds?: number;
}

export interface RequestedDecision {
  decision: Decision;
  /** False when the same question was already asked (a duplicate event, a retried task). */
  created: boolean;
  /** The card was posted by this call. */
  posted: boolean;
}

/** The card of a pending decision, with buttons carrying its id and nonce. */
export function pendingCard(decision: Decision, details: GateDetails): SlackCard {
  return gateCard({
    decisionId: decision.id,
    details,
    approveValue: encodeActionValue({ decisionId: decision.id, nonce: decision.nonce, outcome: 'approved' }),
    rejectValue: encodeActionValue({ decisionId: decision.id, nonce: decision.nonce, outcome: 'rejected' }),
  });
}

/** Creates the pending decision (once) and posts its card (once). */
export async function requestDecision(
  deps: GateRequestDeps,
  input: RequestDecisionInput,
): Promise<RequestedDecision> {
  const now = deps.now();
  const decision: Decision = {
    ...createDecision({
      id: decisionIdFor(input.target),
      threadId: input.threadId,
      target: input.target,
      nonce: (deps.nonce ?? randomNonce)(),
      now,
      ...(input.ttlSeconds === undefined ? {} : { ttlSeconds: input.ttlSeconds }),
    }),
    details: input.details,
  };
  const { created, stored } = await deps.store.decisions.createIfAbsent(decision);
  if (created) {
    await deps.store.audit.append({
      at: now.toISOString(),
      actor: 'release-agent',
      action: 'decision.requested',
      subject: stored.id,
      detail: { gate: stored.gate, threadId: stored.threadId },
    });
  }
  // Only the creator posts, so duplicates never make two cards; a creator that died before posting
  // leaves a pending decision without a card, which the poller's reconcile posts.
  const posted = created ? await postPendingCard(deps, stored) : false;
  const current = posted ? ((await deps.store.decisions.get(stored.id)) ?? stored) : stored;
  return { decision: current, created, posted };
}

/** Posts the card of a pending decision that has none yet, and records where it is. */
export async function postPendingCard(deps: GateRequestDeps, decision: Decision): Promise<boolean> {
  if (!deps.slack?.interactive || !deps.channel || !decision.details || decision.slack) return false;
  if (decision.status !== 'pending') return false;
  // One poster at a time (its creator, pollers on several instances): the others leave it. A poster
  // that died holding the claim leaves the card to the poller once the claim expires.
  const claim = `card-post|${decision.id}`;
  if (!(await deps.store.inbox.claim(claim, CARD_POST_CLAIM_SECONDS, deps.now()))) return false;
  // Posted meanwhile by the claim's previous holder.
  const current = await deps.store.decisions.get(decision.id);
  if (!current || current.slack || current.status !== 'pending') return false;
  const card = pendingCard(decision, decision.details);
  let posted: Awaited<ReturnType<Slack['postMessage']>>;
  try {
    posted = await deps.slack.postMessage({
      channel: deps.channel,
      text: card.text,
      blocks: card.blocks,
    });
  } catch (error) {
    // Nothing was posted (or nothing we can point at): the next poster may try at once.
    await deps.store.inbox.release(claim);
    throw error;
  }
  if (!posted.ts) {
    await deps.store.inbox.release(claim);
    return false;
  }
  const slack = { channel: posted.channel, ts: posted.ts };
  await deps.store.decisions.update(decision.id, (stored) =>
    stored.slack ? undefined : { ...stored, slack },
  );
  return true;
}

/** How long a card's poster holds it (longer than a post with its retries takes). */
const CARD_POST_CLAIM_SECONDS = 300;

/** How a decided decision reads on its card. */
export function resolutionOf(decision: Decision): GateResolution | undefined {
  switch (decision.status) {
    case 'approved':
    case 'rejected': {
      const by: Actor =
        decision.decidedVia === 'slack' && decision.decidedBy
          ? { slackUserId: decision.decidedBy }
          : { name: decision.decidedBy ?? 'someone' };
      return {
        status: decision.status,
        by,
        via: decision.decidedVia ?? 'api',
        at: decision.decidedAt ?? decision.createdAt,
      };
    }
    case 'expired':
      return { status: 'expired', ...(decision.decidedAt ? { at: decision.decidedAt } : {}) };
    case 'superseded':
      return {
        status: 'superseded',
        ...(decision.reason ? { reason: decision.reason } : {}),
        ...(decision.decidedAt ? { at: decision.decidedAt } : {}),
      };
    default:
      return undefined;
  }
}

/** The card of a decision as it stands now: buttons while pending, the outcome (and effect) after. */
export function currentCard(
  decision: Decision,
  now: Date,
  options: { repeatedClick?: boolean } = {},
): SlackCard | undefined {
  if (!decision.details) return undefined;
  const resolution = resolutionOf(decision);
  if (!resolution) return pendingCard(decision, decision.details);
  const effect: GateEffect | undefined = decision.effect
    ? {
        // A run in progress reads as queued on the card: in progress either way.
        status: decision.effect.status === 'running' ? 'queued' : decision.effect.status,
        ...(decision.effect.detail ? { detail: decision.effect.detail } : {}),
      }
    : undefined;
  return decidedGateCard({
    decisionId: decision.id,
    details: decision.details,
    resolution,
    ...(effect ? { effect } : {}),
    ...(options.repeatedClick ? { repeatedClick: true } : {}),
    now: now.toISOString(),
  });
}

/** Updates the decision's Slack card in place to its current state; false when there is no card to update. */
export async function refreshCard(
  deps: Pick<GateRequestDeps, 'slack' | 'now'> & { store?: Pick<Store, 'decisions'> },
  decision: Decision,
  options: { repeatedClick?: boolean } = {},
): Promise<boolean> {
  let drawn = decision;
  let updated = false;
  for (let round = 0; round < MAX_CARD_REDRAWS; round++) {
    if (!deps.slack?.interactive || !drawn.slack) return updated;
    const card = currentCard(drawn, deps.now(), round === 0 ? options : {});
    if (!card) return updated;
    const result = await deps.slack.updateMessage({
      channel: drawn.slack.channel,
      ts: drawn.slack.ts,
      text: card.text,
      blocks: card.blocks,
    });
    updated = result.updated || updated;
    // Updates of one card from several workers can land out of order (one slowed by a retry): read
    // the decision again after ours landed, and redraw until the card shows what is stored now.
    const now = deps.store ? await deps.store.decisions.get(drawn.id) : undefined;
    if (!now || cardState(now) === cardState(drawn)) return updated;
    drawn = now;
  }
  return updated;
}

/** Enough for any run of out-of-order updates: each round draws a newer state. */
const MAX_CARD_REDRAWS = 4;

/** What a decided card shows, to tell whether a newer state was stored since it was drawn. */
function cardState(decision: Decision): string {
  const effect = decision.effect;
  return canonicalJson([
    decision.status,
    decision.decidedBy ?? null,
    decision.reason ?? null,
    effect ? (effect.status === 'running' ? 'queued' : effect.status) : null,
    effect?.detail ?? null,
    decision.slack?.ts ?? null,
  ]);
}

/**
 * A new push to a PR voids its pending merge decisions for older commits: they become superseded and
 * their cards say why.
 */
export async function supersedeStaleMergeDecisions(
  deps: GateRequestDeps,
  input: { repo: string; prId: number; currentCommit: string },
): Promise<Decision[]> {
  const pending = await deps.store.decisions.listPending({ repo: input.repo, gate: 'merge_pr' });
  const superseded: Decision[] = [];
  for (const decision of pending) {
    if (decision.target.gate !== 'merge_pr' || decision.target.prId !== input.prId) continue;
    if (decision.target.sourceCommit === input.currentCommit) continue;
    const reason = `a new commit ${input.currentCommit.slice(0, 7)} was pushed`;
    const updated = await deps.store.decisions.update(decision.id, (current) =>
      current.status === 'pending' ? supersede(current, reason, deps.now()) : undefined,
    );
    if (updated.status === 'superseded') {
      superseded.push(updated);
      await refreshCard(deps, updated);
    }
  }
  return superseded;
}
