// The messages of the function app's work queue. HTTP triggers answer fast and leave the slow part
// here; the worker performs each message idempotently, so a redelivery (crash, timeout, duplicate
// event) never does anything twice. Every message has `v`, `kind` and a unique `id` (the attempt id:
// a redelivery keeps it, a new request gets a new one).
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { parseOrFail } from '../core/input.ts';
import { ReleaseAgentError } from '../core/errors.ts';
import { EFFECTS, type EffectKind, GATE_KINDS } from '../core/gate-registry.ts';
import type { GateKind } from '../core/model.ts';

export const WORK_MESSAGE_VERSION = 1;

// The effects are the gates' (core/gate-registry.ts).
export { EFFECTS, type EffectKind };

const id = z.string().regex(/^[A-Za-z0-9._~:|-]{1,200}$/);
const repo = z.string().min(1).max(256);
const base = { v: z.literal(WORK_MESSAGE_VERSION), id };

export const workMessageSchema = z.discriminatedUnion('kind', [
  /** Perform a decided decision's side effect (complete the PR, answer the approval…). */
  z.object({ ...base, kind: z.literal('effect'), decisionId: id, effect: z.enum(EFFECTS) }),
  /** Check a decision's answer (separation of duties, the PR's commit), then decide and do its effect. */
  z.object({ ...base, kind: z.literal('confirm'), decisionId: id }),
  /** A Slack click as its acknowledgement took it, signed (`rac1`): take the answer, check it, decide. */
  z.object({
    ...base,
    kind: z.literal('answer'),
    decisionId: id,
    outcome: z.enum(['approved', 'rejected']),
    nonce: id,
    by: z.string().min(1).max(200),
    card: z.object({
      channel: z.string().min(1).max(200),
      ts: z.string().min(1).max(200),
      gate: z.enum(GATE_KINDS as [GateKind, ...GateKind[]]),
    }),
    click: z.string().min(1).max(1000),
    responseUrl: z.url(),
    proof: z.string().min(1).max(200),
  }),
  /** Redraw a decision's card; `notice: 'repeated'` adds "your click changed nothing". */
  z.object({ ...base, kind: z.literal('card'), decisionId: id, notice: z.enum(['repeated']).optional() }),
  /** A short note only the clicker sees, through the button's response_url. */
  z.object({ ...base, kind: z.literal('reply'), responseUrl: z.url(), text: z.string().min(1).max(3000) }),
  /** A PR was seen (service hook, manual trigger): re-read it and act (discovery, completion). */
  z.object({
    ...base,
    kind: z.literal('pr'),
    source: z.enum(['webhook', 'poller', 'manual']),
    repo,
    prId: z.number().int().positive(),
    /** Manual: queue the PR pipeline even when this commit already had a run. */
    force: z.boolean().optional(),
  }),
  /** An environment approval changed (service hook): post or update its gate card. */
  z.object({
    ...base,
    kind: z.literal('approval'),
    source: z.enum(['webhook', 'poller']),
    approvalId: id,
    environment: z.string().max(256).optional(),
    stage: z.string().max(256).optional(),
    runId: z.number().int().positive().optional(),
    pipelineId: z.number().int().positive().optional(),
    /** No longer sent (a run's name is its author's, never shown as a fact); read for queued messages. */
    pipelineName: z.string().max(256).optional(),
  }),
  /** Queue a repo's release pipeline (POST /api/manual/release). */
  z.object({
    ...base,
    kind: z.literal('release'),
    repo,
    pipelineId: z.number().int().positive(),
    requestedBy: z.string().max(200),
  }),
]);

export type WorkMessage = z.infer<typeof workMessageSchema>;
type Kind = WorkMessage['kind'];
export type WorkMessageOf<K extends Kind> = Extract<WorkMessage, { kind: K }>;

/** A new message of a kind, with a fresh attempt id. */
export function workMessage<K extends Kind>(
  kind: K,
  fields: Omit<WorkMessageOf<K>, 'v' | 'id' | 'kind'>,
): WorkMessageOf<K> {
  return { v: WORK_MESSAGE_VERSION, id: randomUUID(), kind, ...fields } as unknown as WorkMessageOf<K>;
}

/**
 * Reads a dequeued message: the Functions host hands over parsed JSON for a JSON message and the text
 * otherwise. INPUT_INVALID for anything else (it ends in the poison queue, visible in /api/status).
 */
export function parseWorkMessage(entry: unknown): WorkMessage {
  let value = entry;
  if (typeof entry === 'string') {
    try {
      value = JSON.parse(entry);
    } catch {
      throw new ReleaseAgentError('INPUT_INVALID', 'work message is not JSON', { field: 'message' });
    }
  }
  return parseOrFail(
    workMessageSchema,
    value,
    (field, problem) => {
      throw new ReleaseAgentError('INPUT_INVALID', `invalid work message: ${field}: ${problem}`, { field });
    },
    { root: 'message' },
  );
}

/** What a message is about, for logs and the status page (no URLs, no free text). */
export function describeWorkMessage(message: unknown): Record<string, string | number> {
  const value = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
  const out: Record<string, string | number> = {};
  for (const key of ['kind', 'id', 'decisionId', 'effect', 'repo', 'prId', 'approvalId', 'source']) {
    const field = value[key];
    if (typeof field === 'string' || typeof field === 'number')
      out[key] = typeof field === 'string' ? field.slice(0, 200) : field;
  }
  return out;
}
