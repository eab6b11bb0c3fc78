// The domain's records. Pure data (JSON-serialisable), shared by core logic, the store, the tasks,
// the function app and the hub. Timestamps are ISO-8601 strings in UTC.
import type { GateDetails } from './slack-cards.ts';

/** Semantic-version bump a change asks for. */
export type Bump = 'major' | 'minor' | 'patch';

/** A ticket on a staging release, with the PRs that delivered it. */
export interface StagedTicket {
  key: string;
  summary: string;
  /** Pull request ids (numbers) that carried this ticket, ascending, no repeats. */
  prIds: number[];
  /** The bump this ticket's change asked for (patch unless conventional bumps are enabled). */
  bump: Bump;
  addedAt: string;
  /** Its Jira status as the agent last read or set it (absent without Jira). */
  status?: string;
}

/** The one open release of a repo: what is on develop/staging and not yet on main. */
export interface StagingRelease {
  repo: string;
  version: string;
  startedAt: string;
  updatedAt: string;
  tickets: StagedTicket[];
  /** An explicit `Release-As: x.y.z` that wins over computed bumps. */
  releaseAs?: string;
}

/** Who answered a gate, how and when. */
export interface GateRecord {
  gate: GateKind;
  outcome: DecisionOutcome;
  by: string;
  via: DecisionSource;
  at: string;
}

/** A finished release: immutable once written. */
export interface ArchivedRelease {
  repo: string;
  version: string;
  startedAt: string;
  releasedAt: string;
  tickets: StagedTicket[];
  notes: string;
  gates: GateRecord[];
  releasePrId?: number;
  tag?: string;
}

/** The five gates. */
export type GateKind =
  | 'merge_pr' // 1: merge a reviewed PR            [Merge] [Cancel]
  | 'create_release_pr' // 2: open develop → main     [Create] [Cancel]
  | 'merge_release_pr' // 3: merge the release PR      [Merge] [Cancel]
  | 'run_pipelines' // 4: trigger the CI/CD pipelines   [Trigger] [Skip]
  | 'approve_stage'; // 5: deploy to sandbox/production [Approve] [Skip]

export type DecisionStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'superseded';
export type DecisionOutcome = 'approved' | 'rejected';
export type DecisionSource = 'slack' | 'hub' | 'api' | 'azdo';

/** What a decision decides: the exact thing a click approves, so a stale click cannot approve something else. */
export type DecisionTarget =
  | { gate: 'merge_pr'; repo: string; prId: number; sourceCommit: string }
  | { gate: 'create_release_pr'; repo: string; version: string; approvalId: string }
  | { gate: 'merge_release_pr'; repo: string; version: string; approvalId: string; prId?: number }
  | { gate: 'run_pipelines'; repo: string; version: string; approvalId: string; pipelines: string[] }
  | { gate: 'approve_stage'; repo: string; version: string; approvalId: string; stage: string };

/** An answer to a pending decision, recorded before the checks that need outside services. */
export interface DecisionAnswer {
  outcome: DecisionOutcome;
  by: string;
  via: DecisionSource;
  at: string;
  /** The delivery it came with (Slack's channel, message, action, user and action time). */
  click?: string;
  /** Where the clicker is told when the checks refuse it (Slack's response_url). */
  responseUrl?: string;
  /** The function app's HMAC over the answer (core/decision-proof.ts): the worker checks only its own. */
  proof?: string;
  /** When the poller last queued its checks again (their message was lost); not part of the proof. */
  redrivenAt?: string;
}

/** One human decision at one gate: pending → approved | rejected | expired | superseded, once. */
export interface Decision {
  id: string;
  threadId: string;
  gate: GateKind;
  target: DecisionTarget;
  /** Random value carried by the buttons; a click must present it. */
  nonce: string;
  status: DecisionStatus;
  createdAt: string;
  expiresAt?: string;
  decidedAt?: string;
  decidedBy?: string;
  decidedVia?: DecisionSource;
  /** Why it ended this way (e.g. "superseded by a push of abc123"). */
  reason?: string;
  /** What the card shows (PR title, version, tickets…), kept to re-render it in place when decided. */
  details?: GateDetails;
  /** The Slack card that asks for it, updated in place. */
  slack?: { channel: string; ts: string };
  /**
   * The function app's HMAC over the answer (core/decision-proof.ts): the worker performs an effect
   * only for a decision whose proof it can recompute.
   */
  proof?: string;
  /** The decider's e-mail when a mapping gave one (Slack users.info), for separation of duties. */
  decidedByEmail?: string;
  /**
   * A Slack answer taken at the door (only storage is touched before Slack gets its 200) and not yet
   * checked against outside facts: separation of duties, the PR's current commit. The worker checks
   * it, then decides (status, proof, effect) or refuses it (the answer is cleared, the clicker told).
   * Kept after the decision as the record of the click (a redelivered click finds it).
   */
  answer?: DecisionAnswer;
  /** The side effect after a decision, performed by the worker. */
  effect?: {
    /**
     * `running`: a worker holds it until `leaseUntil` (one run at a time); `waiting`: a merge waiting for
     * required policies, re-checked until it completes or gives up.
     */
    status: 'queued' | 'running' | 'waiting' | 'done' | 'failed';
    detail?: string;
    at: string;
    /** When the wait started (bounds it). */
    since?: string;
    /** While running: the run that holds it and until when (past it, the run is taken as dead). */
    runner?: string;
    leaseUntil?: string;
    /** How many times the poller re-queued it after its message was lost. */
    redriven?: number;
  };
}

/** The Python agent's agent_threads row: one PR flow or one release flow. */
export interface Thread {
  id: string;
  graph: 'pr' | 'release';
  repo: string;
  prId?: number;
  status: 'running' | 'waiting' | 'done' | 'failed' | 'cancelled';
  /** Flow state (JSON), e.g. ticket key, reviewed commit, version. */
  state: Record<string, unknown>;
  slackMessageTs?: string;
  createdAt: string;
  updatedAt: string;
}

export type ReviewVerdict = 'approve' | 'request_changes' | 'needs_human_review';

export type FindingSeverity = 'info' | 'minor' | 'major' | 'critical';

export interface ReviewFinding {
  file: string;
  line: number;
  severity: FindingSeverity;
  message: string;
}

/** One AI review of one PR at one source commit. */
export interface ReviewRecord {
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

/** One line of the append-only audit log. */
export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail?: Record<string, unknown>;
}
