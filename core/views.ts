// The function app's HTTP API for the hub and operators, declared once: every request and response
// body of the routes the hub calls. functions/*.ts build exactly these types (each handler's answer is
// checked against them with `satisfies`, so tsc fails when the server drifts) and hub/src/api.ts reads
// them. These are views, not the stored records of core/model.ts: each builder copies only what the
// API shows, so a field added to a record stays private until it is added here (a decision's nonce,
// proof, Slack message and the decider's e-mail are never shown). No Node imports: the hub bundles it.
import { GATE_ACTIONS } from './gate-registry.ts';
import type {
  ArchivedRelease,
  Bump,
  Decision,
  DecisionOutcome,
  DecisionSource,
  DecisionStatus,
  DecisionTarget,
  GateDetails,
  GateKind,
  ReviewRecord,
  ReviewVerdict,
  StagedTicket,
  StagingRelease,
} from './model.ts';

/** Every refusal: a coded error (core/errors.ts) worded for people, without stacks or secrets. */
export interface ErrorBody {
  error: { code: string; message: string };
}

// ---------------------------------------------------------------------------------------------
// GET /api/status

export type HealthStatus = 'ok' | 'degraded';

/** The work queue's depth and what its poison messages were about (kinds and ids only). */
export interface QueueView {
  name: string;
  depth: number;
  poisonName: string;
  poisonDepth: number;
  poison: unknown[];
}

/** To anyone: health alone. */
export interface PublicStatus {
  status: HealthStatus;
}

/** To the hub or the operator: what is missing, the watched repos and where tickets link to. */
export interface CallerStatus {
  status: HealthStatus;
  problems: string[];
  /** WATCHED_REPOS. */
  repos: string[];
  /** JIRA_BASE_URL ('' when not set). */
  jiraBaseUrl: string;
  queue?: QueueView;
}

/** The configuration cannot be read: the variables to fix, never their values. */
export interface MisconfiguredStatus {
  status: 'misconfigured';
  variables?: string[];
}

export type StatusResponse = PublicStatus | CallerStatus | MisconfiguredStatus;

export function isCallerStatus(status: StatusResponse): status is CallerStatus {
  return 'problems' in status;
}

// ---------------------------------------------------------------------------------------------
// GET /api/staging[?repo=], GET /api/releases/{repo}

export interface TicketView {
  key: string;
  summary: string;
  prIds: number[];
  bump: Bump;
  addedAt: string;
  /** Its Jira status as the agent last read or set it (absent without Jira). */
  status?: string;
}

export interface StagingView {
  repo: string;
  version: string;
  startedAt: string;
  updatedAt: string;
  tickets: TicketView[];
  releaseAs?: string;
}

export interface GateRecordView {
  gate: GateKind;
  outcome: DecisionOutcome;
  by: string;
  via: DecisionSource;
  at: string;
}

export interface ReleaseView {
  repo: string;
  version: string;
  startedAt: string;
  releasedAt: string;
  tickets: TicketView[];
  notes: string;
  gates: GateRecordView[];
  releasePrId?: number;
  tag?: string;
}

/** GET /api/staging: every repo's open staging release. */
export interface StagingListResponse {
  staging: StagingView[];
}

/** GET /api/staging?repo=: that repo's staging release (404 RELEASE_NOT_FOUND when it has none). */
export interface StagingResponse {
  repo: string;
  staging: StagingView;
}

/** GET /api/releases/{repo}: its archived releases, newest first. */
export interface ReleasesResponse {
  repo: string;
  releases: ReleaseView[];
}

// ---------------------------------------------------------------------------------------------
// GET /api/approvals/pending, POST /api/approvals/{threadId}

export interface DecisionView {
  id: string;
  threadId: string;
  gate: GateKind;
  gateNumber: number;
  title: string;
  repo: string;
  status: DecisionStatus;
  /** What a decision decides (PR + commit, approval id, stage…). */
  target: DecisionTarget;
  /** What the Slack card shows (absent for a decision recorded without a card). */
  details?: GateDetails;
  /** The API verbs of its two buttons. */
  actions: { approve: string; reject: string };
  createdAt: string;
  expiresAt?: string;
  decidedAt?: string;
  decidedBy?: string;
  decidedVia?: DecisionSource;
  reason?: string;
  /** The side effect after the answer, as far as the worker got. */
  effect?: { status: NonNullable<Decision['effect']>['status']; detail?: string; at: string };
}

/** GET /api/approvals/pending[?repo=]. */
export interface PendingResponse {
  pending: DecisionView[];
}

/**
 * POST /api/approvals/{threadId}: one of the gate's verbs (core/gates.ts), and the decision the
 * caller saw (else the thread's pending one). The decider is the authenticated caller: no `by`, and no
 * nonce (that proves a Slack button came from its card; the API's caller proves itself by its token).
 */
export interface DecideRequest {
  action: string;
  decisionId?: string;
}

export interface DecideResponse {
  decision: DecisionView;
  effect: 'queued';
}

/** A refused answer; a decision that is no longer pending comes with it (who decided, and how). */
export type DecideRefusal = ErrorBody & { decision?: DecisionView };

// ---------------------------------------------------------------------------------------------
// GET /api/reviews[?repo=]

export interface ReviewView {
  repo: string;
  prId: number;
  sourceCommit: string;
  iterationId?: number;
  verdict: ReviewVerdict;
  summary: string;
  findingsCount: number;
  injectionSuspected: boolean;
  costUsd: number;
  prUrl?: string;
  prTitle?: string;
  createdAt: string;
}

/** Newest first. */
export interface ReviewsResponse {
  reviews: ReviewView[];
}

// ---------------------------------------------------------------------------------------------
// Record → view.

/** `{ name: value }` when value is defined, else `{}`: optional fields stay absent, never undefined. */
function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

export function ticketView(ticket: StagedTicket): TicketView {
  return {
    key: ticket.key,
    summary: ticket.summary,
    prIds: [...ticket.prIds],
    bump: ticket.bump,
    addedAt: ticket.addedAt,
    ...optional('status', ticket.status),
  };
}

export function stagingView(release: StagingRelease): StagingView {
  return {
    repo: release.repo,
    version: release.version,
    startedAt: release.startedAt,
    updatedAt: release.updatedAt,
    tickets: release.tickets.map(ticketView),
    ...optional('releaseAs', release.releaseAs),
  };
}

export function releaseView(release: ArchivedRelease): ReleaseView {
  return {
    repo: release.repo,
    version: release.version,
    startedAt: release.startedAt,
    releasedAt: release.releasedAt,
    tickets: release.tickets.map(ticketView),
    notes: release.notes,
    gates: release.gates.map((gate) => ({
      gate: gate.gate,
      outcome: gate.outcome,
      by: gate.by,
      via: gate.via,
      at: gate.at,
    })),
    ...optional('releasePrId', release.releasePrId),
    ...optional('tag', release.tag),
  };
}

export function decisionView(decision: Decision): DecisionView {
  const spec = GATE_ACTIONS[decision.gate];
  return {
    id: decision.id,
    threadId: decision.threadId,
    gate: decision.gate,
    gateNumber: spec.number,
    title: spec.title,
    repo: decision.target.repo,
    status: decision.status,
    target: decision.target,
    ...optional('details', decision.details),
    actions: { approve: spec.approve.label.toLowerCase(), reject: spec.reject.label.toLowerCase() },
    createdAt: decision.createdAt,
    ...optional('expiresAt', decision.expiresAt),
    ...optional('decidedAt', decision.decidedAt),
    ...optional('decidedBy', decision.decidedBy),
    ...optional('decidedVia', decision.decidedVia),
    ...optional('reason', decision.reason),
    // The worker's lease (runner, until when) is its own business.
    ...optional(
      'effect',
      decision.effect
        ? {
            status: decision.effect.status,
            ...optional('detail', decision.effect.detail),
            at: decision.effect.at,
          }
        : undefined,
    ),
  };
}

export function reviewView(review: ReviewRecord): ReviewView {
  return {
    repo: review.repo,
    prId: review.prId,
    sourceCommit: review.sourceCommit,
    ...optional('iterationId', review.iterationId),
    verdict: review.verdict,
    summary: review.summary,
    findingsCount: review.findingsCount,
    injectionSuspected: review.injectionSuspected,
    costUsd: review.costUsd,
    ...optional('prUrl', review.prUrl),
    ...optional('prTitle', review.prTitle),
    createdAt: review.createdAt,
  };
}
