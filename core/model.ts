// The domain's records. Pure data (JSON-serialisable), shared by core logic, the store, the tasks,
// the function app and the hub. Timestamps are ISO-8601 strings in UTC.

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

/**
 * The five gates, one per details type below (core/gate-registry.ts defines each): 1 `merge_pr` merge a
 * reviewed PR, 2 `create_release_pr` open develop → main, 3 `merge_release_pr` merge the release PR,
 * 4 `run_pipelines` trigger the CI/CD pipelines, 5 `approve_stage` deploy to sandbox/production.
 */
export type GateKind = GateDetails['gate'];

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

// What a gate card shows, per gate (core/gate-registry.ts defines the gates; core/gate-cards.ts
// renders these). Stored on the decision to re-render its card in place.

export interface TicketRef {
  key: string;
  summary?: string;
}

export interface PullRequestRef {
  id: number;
  url?: string;
  title?: string;
}

export interface MergePrDetails {
  gate: 'merge_pr';
  repo: string;
  prId: number;
  prTitle: string;
  prUrl?: string;
  author: string;
  sourceBranch?: string;
  targetBranch?: string;
  /** The reviewed commit the approval is bound to. */
  sourceCommit: string;
  ticket?: TicketRef;
  /** Base of ticket links (config JIRA_BASE_URL). */
  jiraBaseUrl: string;
  review: { summary: string; findingsCount: number; costUsd: number; injectionSuspected?: boolean };
}

/**
 * Gates 2–5: set when Azure DevOps said (`$expand=permissions`) that the app's identity may not answer
 * the approval: an answer here cannot release the stage, so the card sends people to Azure DevOps.
 */
export interface AzdoApprovalAccess {
  appCannotApprove?: { url?: string };
}

export interface CreateReleasePrDetails extends AzdoApprovalAccess {
  gate: 'create_release_pr';
  repo: string;
  version: string;
  tickets: TicketRef[];
  jiraBaseUrl: string;
}

export interface MergeReleasePrDetails extends AzdoApprovalAccess {
  gate: 'merge_release_pr';
  repo: string;
  version: string;
  releasePr: PullRequestRef;
}

export interface RunPipelinesDetails extends AzdoApprovalAccess {
  gate: 'run_pipelines';
  repo: string;
  version: string;
  pipelines: { name: string; url?: string }[];
}

export interface ApproveStageDetails extends AzdoApprovalAccess {
  gate: 'approve_stage';
  repo: string;
  version: string;
  /** The environment: `sandbox` or `production`. */
  stage: string;
  runUrl?: string;
}

/** What a gate card shows, per gate. */
export type GateDetails =
  | MergePrDetails
  | CreateReleasePrDetails
  | MergeReleasePrDetails
  | RunPipelinesDetails
  | ApproveStageDetails;

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

/** What a thread tracks: one pull request's flow, or one release's. */
export type ThreadKind = 'pr' | 'release';

export type ThreadStatus = 'running' | 'waiting' | 'done' | 'failed' | 'cancelled';

/**
 * A thread imported from the Python agent (scripts/import.ts): its original graph name and status, and
 * its state as it was (the Python agent's own keys, which our flows do not read).
 */
export interface PythonAgentOrigin {
  graphName: unknown;
  status: unknown;
  state: Record<string, unknown>;
}

/** State of a PR thread. */
export interface PrThreadState {
  title?: string;
  sourceRefName?: string;
  targetRefName?: string;
  ticketKey?: string;
  ticketCreated?: boolean;
  /** The ticket whose link was posted on the PR as a comment thread (posted once per ticket). */
  ticketLinkedKey?: string;
  ticketLinkThreadId?: number;
  /**
   * A ticket the branch or title names that another open PR holds: flagged on the PR once, never
   * recorded as this PR's `ticketKey`.
   */
  ticketConflictKey?: string;
  /** The source commit the last review looked at. */
  reviewedCommit?: string;
  verdict?: string;
  /** Set once the merge commit is known (StageRelease, the completed event). */
  mergeCommit?: string;
  /** The PR-validation run queued for a source commit by the webhook or the poller. */
  queuedRuns?: { sourceCommit: string; runId: number }[];
  /** The latest source commit the function app has handled (discovery), so the poller skips it. */
  discoveredCommit?: string;
  pythonAgent?: PythonAgentOrigin;
}

/** State of a release thread, written by the release pipeline's tasks. */
export interface ReleaseThreadState {
  /** Always set by our flows; absent only on a thread imported from the Python agent. */
  version?: string;
  /** The release pipeline run that carries this release: approvals of that run belong to it. */
  runId?: number;
  pipelineId?: number;
  runUrl?: string;
  /** Pipelines gate 4 triggers. */
  pipelines?: { id: number; name: string }[];
  releasePrId?: number;
  releasePrUrl?: string;
  mergeCommit?: string;
  tag?: string;
  notes?: string;
  /** Who answered each gate, for the archived release. */
  gates?: GateRecord[];
  /** Runs RunPipelines queued for this release: a retried task awaits them instead of queueing again. */
  pipelineRuns?: { pipelineId: number; runId: number; commit: string; webUrl?: string; queuedAt: string }[];
  /** When CompleteRelease posted the release notification (posted once). */
  notifiedAt?: string;
  pythonAgent?: PythonAgentOrigin;
}

interface ThreadCommon {
  id: string;
  repo: string;
  status: ThreadStatus;
  slackMessageTs?: string;
  createdAt: string;
  updatedAt: string;
}

/** The flow of one pull request (id `pr.<repo>.<prId>`). */
export interface PrThread extends ThreadCommon {
  kind: 'pr';
  prId: number;
  state: PrThreadState;
}

/** The flow of one release (id `release.<repo>.<version>`). */
export interface ReleaseThread extends ThreadCommon {
  kind: 'release';
  /** Only on a thread imported from the Python agent that named a PR. */
  prId?: number;
  state: ReleaseThreadState;
}

/** One PR flow or one release flow (the Python agent's agent_threads rows); narrow it by `kind`. */
export type Thread = PrThread | ReleaseThread;

/** The thread of one kind. */
export type ThreadOf<K extends ThreadKind> = Extract<Thread, { kind: K }>;

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
