// The Azure DevOps port: the few operations the agent needs, with plain result types that carry only
// the fields we use. Repositories are named by name or id (Azure DevOps accepts both in a URL).
// Failures are ReleaseAgentErrors: AUTH_INVALID, FORBIDDEN, NOT_FOUND, CONFLICT, PR_STALE_COMMIT, and
// the SERVICE_* codes of the shared HTTP client.
import type { Secret } from '../../core/secret.ts';

/** The pipeline check type id of "Approval" (fixed by Azure DevOps). */
export const APPROVAL_CHECK_TYPE_ID = '8c6f20a7-a545-4486-9777-f762fafe0d4d';

/** The PR status context the agent posts its review verdict under. */
export const REVIEW_STATUS_CONTEXT = { genre: 'release-agent', name: 'ai-review' } as const;

export interface Identity {
  id: string;
  displayName: string;
  uniqueName?: string;
}

export type PullRequestState = 'active' | 'abandoned' | 'completed';

export interface PullRequest {
  id: number;
  repository: { id: string; name: string };
  title: string;
  /** Whole in getPullRequest; the list operations get it cut to 400 characters by Azure DevOps. */
  description: string;
  status: PullRequestState;
  sourceRefName: string;
  targetRefName: string;
  /** The source commit of the PR's latest merge computation: what a review and a merge are bound to. */
  sourceCommitId: string | undefined;
  /** The merge commit: a test merge while active, the commit that landed once completed. */
  mergeCommitId: string | undefined;
  /** Of the latest merge attempt: queued, conflicts, succeeded, rejectedByPolicy, failure… */
  mergeStatus: string | undefined;
  createdBy: Identity;
  creationDate: string;
  closedDate: string | undefined;
  isDraft: boolean;
  /** Set while auto-complete is on. */
  autoCompleteSetById: string | undefined;
  /** The PR page in the Azure DevOps web UI. */
  webUrl: string;
}

export interface PullRequestIteration {
  id: number;
  sourceCommitId: string | undefined;
  targetCommitId: string | undefined;
  createdDate: string;
}

export type FileChangeType = 'add' | 'edit' | 'delete' | 'rename' | 'other';

export interface IterationChange {
  /** Always starting with `/`. */
  path: string;
  changeType: FileChangeType;
  /** Anchors a thread to the file across iterations. */
  changeTrackingId: number | undefined;
  originalPath?: string;
}

export type ThreadStatus = 'active' | 'fixed' | 'wontFix' | 'closed' | 'byDesign' | 'pending';

export interface InlineComment {
  /** Repository-relative path; a leading `/` is added when missing. */
  path: string;
  /** 1-based. */
  line: number;
  /** 1-based, inclusive; defaults to `line`. */
  endLine?: number;
  body: string;
  /** Kept on the thread (core/review-threads.ts FINDING_PROPERTY) so later reviews know the finding. */
  fingerprint?: string;
  /** The file's change in the iteration (IterationChange.changeTrackingId): anchors the thread across iterations. */
  changeTrackingId?: number;
}

export interface PostReviewInput {
  /** The iteration that was reviewed: inline threads are anchored in it. */
  iterationId: number;
  summary: string;
  /**
   * Posted as given, one thread each: the caller decides which findings can be anchored on the PR
   * (flows/review-anchors.ts) and puts the others in the summary.
   */
  comments: readonly InlineComment[];
  /** Default `closed`: an informational summary must not block a comment-resolution policy. */
  summaryStatus?: ThreadStatus;
  /** Default `active`: findings are for the author to resolve. */
  inlineStatus?: ThreadStatus;
  /** An earlier review's summary thread: its text is replaced in place instead of a new thread. */
  summaryThreadId?: number;
  /** The summary is the AI review's own: marked (SUMMARY_PROPERTY) so later reviews update it in place. */
  reviewSummary?: boolean;
}

/** A thread on a PR, as a later review reconciles it. */
export interface ReviewThread {
  id: number;
  status: string;
  /** The finding's fingerprint, on threads our reviews posted. */
  finding: string | undefined;
  /** The summary thread of our reviews. */
  summary: boolean;
  comments: { id: number; authorId: string; content: string }[];
}

export interface PostedReview {
  summaryThreadId: number;
  inlineThreadIds: number[];
}

export type StatusState = 'pending' | 'succeeded' | 'failed' | 'error' | 'notApplicable';

export interface PullRequestStatusInput {
  /** Ties the status to the reviewed push: a newer iteration shows it as outdated. */
  iterationId: number;
  state: StatusState;
  description: string;
  targetUrl?: string;
  /** Defaults to REVIEW_STATUS_CONTEXT. */
  context?: { genre: string; name: string };
}

export type MergeStrategy = 'noFastForward' | 'squash' | 'rebase' | 'rebaseMerge';

export interface CompletePullRequestInput {
  /** The commit that was reviewed and approved: Azure DevOps refuses to merge any other. */
  sourceCommitId: string;
  mergeStrategy?: MergeStrategy;
  deleteSourceBranch?: boolean;
  mergeCommitMessage?: string;
  transitionWorkItems?: boolean;
  /** Shown on the PR in the note posted when auto-complete is set (who approved, where). */
  approvedBy?: string;
  /**
   * While required policies are pending: 'report' (the default) answers `policies-pending` and leaves
   * the PR as it is; the caller completes it later with another pinned PATCH. 'auto-complete' sets
   * auto-complete, which Azure DevOps does NOT pin to a commit: never for a gate-1 merge.
   */
  whenPoliciesPending?: 'report' | 'auto-complete';
}

export type CompletionOutcome =
  | { kind: 'completed'; pullRequest: PullRequest }
  /** Required policies are not met yet and nothing was changed (still at the asked commit): ask again later. */
  | { kind: 'policies-pending'; pullRequest: PullRequest; reason: string }
  /** Required policies are not met yet: Azure DevOps completes the PR once they are (opt-in only). */
  | { kind: 'auto-complete-set'; pullRequest: PullRequest; reason: string }
  /** Someone (or an earlier attempt of ours) completed it already. */
  | { kind: 'already-completed'; pullRequest: PullRequest }
  /**
   * Accepted but not merged (yet): completion is asynchronous in Azure DevOps, and a PR with conflicts
   * stays active. Confirm later (git.pullrequest.updated with status completed, or a read).
   */
  | { kind: 'completion-pending'; pullRequest: PullRequest };

export interface CreatePullRequestInput {
  sourceRefName: string;
  targetRefName: string;
  title: string;
  /** Cut to Azure DevOps' 4000-character limit. */
  description: string;
  isDraft?: boolean;
}

export interface AnnotatedTag {
  name: string;
  /** The tag object. */
  objectId: string;
  /** The tagged commit. */
  commitId: string;
  /** False when a tag of that name already pointed at the same commit. */
  created: boolean;
}

export type RunState = 'inProgress' | 'canceling' | 'completed' | 'unknown';
export type RunResult = 'succeeded' | 'failed' | 'canceled' | 'unknown';

export interface PipelineRun {
  id: number;
  name: string;
  pipelineId: number;
  state: RunState;
  result: RunResult | undefined;
  createdDate: string;
  finishedDate: string | undefined;
  webUrl: string | undefined;
}

/** A build (a pipeline run) as the Build API shows it: the facts the app trusts about a job. */
export interface Build {
  id: number;
  status: 'inProgress' | 'completed' | 'cancelling' | 'postponed' | 'notStarted' | 'none';
  /** manual, individualCI, batchedCI, schedule, pullRequest, resourceTrigger, … */
  reason: string;
  definition: { id: number; name: string };
  repository: { id: string; name: string };
  sourceBranch: string;
  sourceVersion: string;
  /** A PR build's pull request (triggerInfo `pr.number`, `pr.sourceSha`). */
  pullRequest: { id: number; sourceCommit: string | undefined } | undefined;
  requestedFor: Identity | undefined;
  webUrl: string | undefined;
}

export interface RunPipelineInput {
  /** e.g. `refs/heads/main`: the branch of the pipeline's own repository (`resources.repositories.self`). */
  refName?: string;
  /** A commit id to run exactly. */
  version?: string;
  templateParameters?: Record<string, string | number | boolean>;
}

export type ApprovalStatus =
  | 'undefined'
  | 'uninitiated'
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'skipped'
  | 'canceled'
  | 'timedOut'
  | 'failed'
  | 'completed';

export interface ApprovalStep {
  /** Who answered the step, or else who should (a user or a group). */
  approver: Identity | undefined;
  status: ApprovalStatus;
  comment: string | undefined;
}

export interface Approval {
  id: string;
  status: ApprovalStatus;
  createdOn: string;
  instructions: string | undefined;
  /** 0 or absent: every approver must approve. */
  minRequiredApprovers: number | undefined;
  executionOrder: 'anyOrder' | 'inSequence' | undefined;
  steps: ApprovalStep[];
  /**
   * Whether the caller (our PAT's identity) may answer the approval now: read with
   * `$expand=permissions` (`update` among its flags); undefined when not asked for.
   */
  callerMayUpdate: boolean | undefined;
  /** What the service adds beyond the spec: the run waiting on this approval, when it says. */
  pipeline:
    | {
        id: string | undefined;
        name: string | undefined;
        runId: number | undefined;
        runName: string | undefined;
      }
    | undefined;
}

export interface ApprovalDecision {
  status: 'approved' | 'rejected';
  comment: string;
}

export interface Environment {
  id: number;
  name: string;
  /** False when one of that name already existed. */
  created: boolean;
}

export interface ApprovalCheckInput {
  /**
   * Identity ids (users or groups) who may approve. An existing check gets those it lacks added (none
   * removed), so the app's own identity can be made an approver of a check people configured.
   */
  approverIds: readonly string[];
  instructions?: string;
  /**
   * Text an existing Approval check's instructions must hold (the gate marker): appended to them when
   * missing, the rest of that check left as its owner set it.
   */
  marker?: string;
  minRequiredApprovers?: number;
  /** How long a stage waits for the approval (Azure DevOps default: 30 days). */
  timeoutMinutes?: number;
}

export type ServiceHookEvent =
  | 'git.pullrequest.created'
  | 'git.pullrequest.updated'
  | 'ms.vss-pipelinechecks-events.approval-pending'
  | 'ms.vss-pipelinechecks-events.approval-completed';

export interface ServiceHookInput {
  eventType: ServiceHookEvent;
  url: string;
  /** Sent with every event (e.g. `X-Webhook-Secret`); values are secrets. */
  headers?: Readonly<Record<string, Secret>>;
  basicAuth?: { username: string; password: Secret };
  /** Only events of this repository (git events). */
  repositoryId?: string;
}

export interface ServiceHookSubscription {
  id: string;
  /** False when a subscription for the same event, project and URL was found and updated in place. */
  created: boolean;
  /** Who created or replaced it just now: the caller, i.e. the PAT's own identity. */
  modifiedBy: Identity | undefined;
}

export interface AzureDevOps {
  /** Active PRs, project-wide in one call per page, or of one repository; descriptions cut to 400 chars. */
  listActivePullRequests(filter?: { repository?: string; targetRefName?: string }): Promise<PullRequest[]>;
  /** One PR with its whole description. */
  getPullRequest(repository: string, pullRequestId: number): Promise<PullRequest>;
  listIterations(repository: string, pullRequestId: number): Promise<PullRequestIteration[]>;
  /** Files changed from the merge base to the iteration's source commit. */
  getIterationChanges(
    repository: string,
    pullRequestId: number,
    iterationId: number,
  ): Promise<IterationChange[]>;
  /** Posts (or updates) the summary thread and one thread per inline comment, as given. */
  postReview(repository: string, pullRequestId: number, review: PostReviewInput): Promise<PostedReview>;
  /** Every thread of the PR (Threads_List), with our properties read. */
  listReviewThreads(repository: string, pullRequestId: number): Promise<ReviewThread[]>;
  /** A reply on a thread (Thread Comments_Create). */
  replyToThread(repository: string, pullRequestId: number, threadId: number, content: string): Promise<void>;
  setThreadStatus(
    repository: string,
    pullRequestId: number,
    threadId: number,
    status: ThreadStatus,
  ): Promise<void>;
  /** Returns the status id. */
  setPullRequestStatus(
    repository: string,
    pullRequestId: number,
    status: PullRequestStatusInput,
  ): Promise<number>;
  /**
   * Completes the PR at exactly `sourceCommitId` (PR_STALE_COMMIT when the source moved). While required
   * policies are pending: `policies-pending`, or auto-complete when the caller opts in.
   */
  completePullRequest(
    repository: string,
    pullRequestId: number,
    input: CompletePullRequestInput,
  ): Promise<CompletionOutcome>;
  /** Turns auto-complete off (e.g. after a push voided the approval it was set for). */
  cancelAutoComplete(repository: string, pullRequestId: number): Promise<void>;
  /** Creates the PR, or returns the active one for the same branches (`created: false`). */
  createPullRequest(
    repository: string,
    input: CreatePullRequestInput,
  ): Promise<{ pullRequest: PullRequest; created: boolean }>;
  /** The PR whose completion produced this merge commit, if any. */
  findPullRequestByMergeCommit(repository: string, commitId: string): Promise<PullRequest | undefined>;
  /** Idempotent for the same name and commit; CONFLICT when the name points elsewhere. */
  createAnnotatedTag(
    repository: string,
    tag: { name: string; commitId: string; message: string },
  ): Promise<AnnotatedTag>;
  runPipeline(pipelineId: number, input?: RunPipelineInput): Promise<PipelineRun>;
  getPipelineRun(pipelineId: number, runId: number): Promise<PipelineRun>;
  /** Build_Get: NOT_FOUND when there is no such build. */
  getBuild(buildId: number): Promise<Build>;
  listPendingApprovals(): Promise<Approval[]>;
  /** Approvals of the project in one state (Approvals_Query `state`), newest first as the service lists them. */
  listApprovals(state: 'pending' | 'approved' | 'rejected' | 'completed'): Promise<Approval[]>;
  /** `permissions`: also read whether we may answer it (`callerMayUpdate`). */
  getApproval(approvalId: string, options?: { permissions?: boolean }): Promise<Approval>;
  /**
   * Answers our step. Single-shot: CONFLICT (with `currentStatus`) when the approval is no longer
   * pending; FORBIDDEN when Azure DevOps does not let our identity answer it. The approval returned
   * may still be pending (more approvers needed, or approvers in sequence).
   */
  decideApproval(approvalId: string, decision: ApprovalDecision): Promise<Approval>;
  /** Setup: finds the environment by name or creates it. */
  ensureEnvironment(name: string, description?: string): Promise<Environment>;
  /**
   * Setup: adds an Approval check to the environment unless it has one; returns the check id, and
   * whether `check.marker` had to be added to an existing check's instructions.
   */
  ensureApprovalCheck(
    environment: { id: number; name: string },
    check: ApprovalCheckInput,
  ): Promise<{ id: number; created: boolean; approversAdded: string[]; markerAdded: boolean }>;
  /** Setup: a web-hook subscription for one event type of this project, created or updated in place. */
  ensureServiceHook(hook: ServiceHookInput): Promise<ServiceHookSubscription>;
  /**
   * A blocking Status branch policy on `refName` of every repository, requiring the latest iteration's
   * `genre/name` status to have succeeded (created once; an existing one is kept).
   */
  ensureStatusPolicy(policy: {
    refName: string;
    genre: string;
    name: string;
  }): Promise<{ id: number; created: boolean }>;
}
