// The Azure DevOps simulator's state and the service's rules over it: one organisation and project in
// memory (repositories, pull requests with iterations, threads and statuses, policies, pipelines and
// runs, environments, checks, approvals, groups, credentials), and the control methods that act "as a
// person in the UI". No HTTP and no JSON shapes here: wire.ts renders this state, and simulator.ts serves
// it and turns the events a change publishes into service-hook deliveries.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.ts';
import { azdoError, refusals } from './errors.ts';
import {
  addCommit,
  changedFiles,
  commitsBetween,
  type CommitState,
  type FileChange,
  newRepository,
  objectId,
  type RepositoryState,
  type TagState,
  validRefName,
} from './git.ts';
import type { HookEventType } from './hooks.ts';
import { processWideList } from '../../process-registry.ts';

export interface SimIdentity {
  id: string;
  displayName: string;
  uniqueName: string;
}

export interface SimCredential {
  token: string;
  identity?: Partial<SimIdentity>;
}

/** What the state starts with; the server's own options (hooks, delivery) are in simulator.ts. */
export interface AzureDevOpsStateOptions {
  organization?: string;
  project?: string;
  /** PATs accepted as Basic auth (any user name) and the identity each authenticates as. */
  pats?: SimCredential[];
  /** Tokens accepted as Bearer (System.AccessToken). */
  bearerTokens?: SimCredential[];
  pipelines?: { id: number; name: string; parameters?: string[]; agent?: boolean }[];
  /** How long a run stays inProgress unless scripted otherwise. */
  pipelineRunDurationMs?: number;
  /** The service's time (tests pass one they move); the machine's by default. */
  now?: Clock['now'];
}

export interface IterationState {
  id: number;
  sourceCommit: string;
  targetCommit: string;
  createdDate: string;
  reason: 'create' | 'push';
  author: SimIdentity;
}

export interface ThreadState {
  id: number;
  status: string;
  comments: {
    id: number;
    parentCommentId: number;
    author: SimIdentity;
    content: string;
    publishedDate: string;
    commentType: string;
  }[];
  threadContext?: {
    filePath: string;
    rightFileStart?: { line: number; offset: number };
    rightFileEnd?: { line: number; offset: number };
  };
  pullRequestThreadContext?: unknown;
  /** The thread's properties as the service keeps them: `{ key: { $type, $value } }`. */
  properties?: Record<string, { $type: string; $value: string | number | boolean }>;
  publishedDate: string;
  lastUpdatedDate: string;
}

export interface StatusState {
  id: number;
  state: string;
  description: string;
  context: { genre?: string; name: string };
  targetUrl?: string;
  iterationId?: number;
  createdBy: SimIdentity;
  creationDate: string;
}

export type PolicyStatus = 'queued' | 'approved' | 'rejected';

export interface PullRequestState {
  id: number;
  repositoryId: string;
  title: string;
  description: string;
  sourceRefName: string;
  targetRefName: string;
  status: 'active' | 'abandoned' | 'completed';
  isDraft: boolean;
  createdBy: SimIdentity;
  creationDate: string;
  closedDate?: string;
  closedBy?: SimIdentity;
  sourceCommit: string;
  targetCommit: string;
  /** A test merge while active; the merge commit that landed once completed. */
  mergeCommit: string;
  mergeId: string;
  autoCompleteSetBy?: SimIdentity;
  completionOptions?: Record<string, unknown>;
  /** The evaluation of the repository's blocking policy for this PR (reset to queued by a push). */
  policyStatus: PolicyStatus;
  /** The merge has conflicts: a completion is accepted but the PR stays active, as in the service. */
  mergeConflict: boolean;
  iterations: IterationState[];
  threads: ThreadState[];
  statuses: StatusState[];
  trackingIds: Map<string, number>;
}

export interface PipelineState {
  id: number;
  name: string;
  /** Declared template parameters; others are refused. Undefined accepts any. */
  parameters?: string[];
  /** Its runs are executed by an agent outside the simulator: inProgress until finishRun(). */
  agent?: boolean;
}

export type RunResult = 'succeeded' | 'failed' | 'canceled';

export interface RunState {
  id: number;
  pipelineId: number;
  name: string;
  createdAt: number;
  durationMs: number;
  result: RunResult;
  templateParameters: Record<string, unknown>;
  refName?: string;
  version?: string;
  /** What Build_Get shows of a run an agent executes: why it ran, on what, for whom. */
  build?: BuildFacts;
}

/** Build.Reason as the Build API spells it. */
export type BuildReason =
  | 'manual'
  | 'individualCI'
  | 'batchedCI'
  | 'schedule'
  | 'pullRequest'
  | 'resourceTrigger';

export interface BuildFacts {
  reason: BuildReason;
  repository: string;
  sourceBranch: string;
  sourceVersion: string;
  /** A PR build's pull request and the source commit it was queued for (triggerInfo pr.*). */
  pullRequest?: { id: number; sourceCommit: string; sourceBranch: string };
  requestedFor?: SimIdentity;
}

/** What the pipeline runner recorded of a run it played (stages, steps, logs, summaries), for the run page. */
export interface RunRecordView {
  readonly stages: readonly {
    name: string;
    displayName: string;
    result: string;
    reason?: string;
    environment?: string;
    approval?: { id: string; status: string; by?: string };
  }[];
  readonly steps: readonly {
    stage: string;
    job: string;
    displayName: string;
    result: string;
    message?: string;
    durationMs: number;
    log: readonly string[];
    /** Markdown the step uploaded as a run summary (##vso[task.uploadsummary]). */
    summaries?: readonly string[];
  }[];
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

/** A step's status: `uninitiated` waits for the steps before it (in sequence); `skipped` was not needed. */
export type ApprovalStepStatus = 'uninitiated' | 'pending' | 'approved' | 'rejected' | 'skipped';

export interface ApprovalStepState {
  /** A user, or a group any one member of which may answer the step. */
  assigned: SimIdentity;
  status: ApprovalStepStatus;
  actual?: SimIdentity;
  comment?: string;
  at?: string;
}

export interface ApprovalState {
  id: string;
  status: ApprovalStatus;
  createdOn: string;
  lastModifiedOn: string;
  instructions: string;
  /** As the check says: 0 (or more than there are approvers) means every approver. */
  minRequiredApprovers: number;
  executionOrder: 'anyOrder' | 'inSequence';
  approvers: SimIdentity[];
  blockedApprovers: SimIdentity[];
  steps: ApprovalStepState[];
  /** The last person who answered a step. */
  actualApprover?: SimIdentity;
  comment?: string;
  environment?: { id: number; name: string };
  stageName?: string;
  pipeline?: { id: number; name: string };
  run?: { id: number; name: string };
}

export interface EnvironmentState {
  id: number;
  name: string;
  description: string;
  createdBy: SimIdentity;
  createdOn: string;
}

/** The Status policy's type id, as Azure DevOps lists it under _apis/policy/types. */
export const STATUS_POLICY_TYPE_ID = 'cbdc66da-9728-4af8-aada-9a5a32e4a226';

export interface PolicyConfigurationState {
  id: number;
  isEnabled: boolean;
  isBlocking: boolean;
  type: { id: string };
  settings: {
    statusGenre?: string;
    statusName?: string;
    invalidateOnSourceUpdate?: boolean;
    scope?: { repositoryId?: string | null; refName?: string; matchKind?: string }[];
  };
  createdBy: SimIdentity;
  createdDate: string;
}

/** An extension installed in the organisation other than ours (ours is the runner's built tasks). */
export interface SimExtension {
  publisher: string;
  id: string;
  /** Its pipeline tasks: the contribution that declares each, and the task's name. */
  tasks: { contributionId: string; name: string }[];
}

export interface CheckState {
  id: number;
  type: { id: string; name?: string };
  settings: unknown;
  resource: { type: string; id: string; name?: string };
  timeout: number;
  createdBy: SimIdentity;
  modifiedBy?: SimIdentity;
  createdOn: string;
}

/** A change a service-hook subscription hears of: the server renders it and delivers it. */
export type StateEvent =
  | { kind: 'pullRequest'; eventType: HookEventType; pullRequest: PullRequestState; text: string }
  | { kind: 'approval'; eventType: HookEventType; approval: ApprovalState };

const DEFAULT_PAT = 'sim-pat';
/** The pipeline check type id of "Approval" (fixed by Azure DevOps). */
const APPROVAL_CHECK_TYPE = '8c6f20a7-a545-4486-9777-f762fafe0d4d';
const DEFAULT_ACCESS_TOKEN = 'sim-access-token';
/** The id that clears a pull request's auto-complete. */
const EMPTY_IDENTITY = '00000000-0000-0000-0000-000000000000';

export abstract class AzureDevOpsState {
  readonly organization: string;
  readonly project: { id: string; name: string };
  readonly collectionId = randomUUID();
  readonly accountId = randomUUID();
  readonly users: {
    agent: SimIdentity;
    buildService: SimIdentity;
    author: SimIdentity;
    approver: SimIdentity;
  };
  /** `runId`: a job's System.AccessToken, valid while that run is in progress. */
  readonly credentials: { kind: 'pat' | 'bearer'; token: string; identity: SimIdentity; runId?: number }[];
  readonly repositories = new Map<string, RepositoryState>();
  readonly pullRequests = new Map<number, PullRequestState>();
  readonly pipelines = new Map<number, PipelineState>();
  readonly runs = new Map<number, RunState>();
  readonly approvals = new Map<string, ApprovalState>();
  /** Filled by the sandbox's pipeline runner while it plays a run; read by the run page. */
  readonly runRecords = new Map<number, RunRecordView>();
  /** Azure DevOps groups (by id) and their members: a group may be an approver. */
  readonly groups = new Map<string, { group: SimIdentity; members: SimIdentity[] }>();
  readonly environments = new Map<number, EnvironmentState>();
  readonly checks = new Map<number, CheckState>();
  /** Branch policy configurations (Configurations_Create); only the Status policy is evaluated. */
  readonly policyConfigurations = new Map<number, PolicyConfigurationState>();
  /** Checks the API's caller may read but not change (it is not an Administrator of their resource). */
  readonly lockedChecks = new Set<number>();
  /** Other installed extensions: their tasks make a short task name ambiguous for the pipeline runner. */
  readonly extensions: SimExtension[] = [];
  readonly now: Clock['now'];
  readonly #runScripts = new Map<number, { result: RunResult; durationMs?: number }[]>();
  readonly #runDurationMs: number;
  #nextPullRequestId = 1;
  #nextThreadId = 1;
  #nextStatusId = 1;
  #nextRunId = 1;
  #nextEnvironmentId = 1;
  #nextCheckId = 1;

  constructor(options: AzureDevOpsStateOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.organization = options.organization ?? 'acme';
    this.project = { id: randomUUID(), name: options.project ?? 'Payments' };
    this.#runDurationMs = options.pipelineRunDurationMs ?? 100;
    const identity = (
      displayName: string,
      uniqueName: string,
      given?: Partial<SimIdentity>,
    ): SimIdentity => ({
      id: given?.id ?? randomUUID(),
      displayName: given?.displayName ?? displayName,
      uniqueName: given?.uniqueName ?? uniqueName,
    });
    this.users = {
      agent: identity('Release Agent', 'release-agent@acme.example', options.pats?.[0]?.identity),
      buildService: identity(
        `${this.project.name} Build Service (${this.organization})`,
        `build-service@${this.organization}`,
        options.bearerTokens?.[0]?.identity,
      ),
      author: identity('Jamal Hartnett', 'fabrikamfiber4@hotmail.com'),
      approver: identity('Norma Chen', 'norma.chen@acme.example'),
    };
    const pats = options.pats ?? [{ token: DEFAULT_PAT }];
    const bearers = options.bearerTokens ?? [{ token: DEFAULT_ACCESS_TOKEN }];
    this.credentials = [
      ...pats.map((cred, index) => ({
        kind: 'pat' as const,
        token: cred.token,
        identity:
          index === 0 ? this.users.agent : identity('PAT user', `pat-${index}@acme.example`, cred.identity),
      })),
      ...bearers.map((cred, index) => ({
        kind: 'bearer' as const,
        token: cred.token,
        identity:
          index === 0
            ? this.users.buildService
            : identity('Token user', `token-${index}@acme.example`, cred.identity),
      })),
    ];
    for (const pipeline of options.pipelines ?? []) this.addPipeline(pipeline);
  }

  isoNow(): string {
    return this.now().toISOString();
  }

  // ---- control: repositories and pushes ----

  seedRepository(input: {
    name: string;
    defaultBranch?: string;
    branches?: string[];
    files?: string[];
  }): RepositoryState {
    const defaultBranch = fullRef(input.defaultBranch ?? 'main');
    const repo = newRepository(input.name, defaultBranch);
    const initial = addCommit(repo, {
      parents: [],
      message: 'Initial commit',
      author: { name: this.users.author.displayName, email: this.users.author.uniqueName },
      changes: (input.files ?? ['/README.md']).map((path) => ({ path, changeType: 'add' })),
      date: this.isoNow(),
    });
    for (const branch of [defaultBranch, ...(input.branches ?? []).map(fullRef)])
      repo.refs.set(branch, initial.commitId);
    this.repositories.set(repo.id, repo);
    return repo;
  }

  /** By name (case-insensitive) or id, like the service; a 404 SimHttpError otherwise. */
  repository(nameOrId: string): RepositoryState {
    const key = nameOrId.toLowerCase();
    for (const repo of this.repositories.values())
      if (repo.id === key || repo.name.toLowerCase() === key) return repo;
    throw refusals.repositoryNotFound(nameOrId);
  }

  /** A push to `branch` (created from the default branch when new); PRs from it get a new iteration. */
  pushCommit(
    repository: string,
    branch: string,
    input: { message?: string; changes?: (string | FileChange)[]; author?: SimIdentity } = {},
  ): CommitState {
    const repo = this.repository(repository);
    const ref = fullRef(branch);
    const parent = repo.refs.get(ref) ?? repo.refs.get(repo.defaultBranch);
    const author = input.author ?? this.users.author;
    const commit = addCommit(repo, {
      parents: parent ? [parent] : [],
      message: input.message ?? `Change on ${branch}`,
      author: { name: author.displayName, email: author.uniqueName },
      changes: (input.changes ?? ['/src/change.ts']).map((change) =>
        typeof change === 'string' ? { path: change, changeType: 'edit' } : change,
      ),
      date: this.isoNow(),
    });
    repo.refs.set(ref, commit.commitId);
    for (const pr of this.pullRequests.values()) {
      if (pr.repositoryId !== repo.id || pr.status !== 'active') continue;
      if (pr.targetRefName === ref) {
        pr.targetCommit = commit.commitId;
        pr.mergeCommit = objectId('merge', pr.sourceCommit, pr.targetCommit);
      }
      if (pr.sourceRefName !== ref) continue;
      pr.sourceCommit = commit.commitId;
      pr.mergeCommit = objectId('merge', pr.sourceCommit, pr.targetCommit);
      if (repo.blockingPolicy) pr.policyStatus = 'queued';
      this.#addIteration(pr, 'push', author);
      this.#publishPullRequest(
        'git.pullrequest.updated',
        pr,
        `${author.displayName} updated the source branch of pull request ${pr.id}`,
      );
    }
    return commit;
  }

  // ---- control: pull requests ----

  /** As a person in the UI: fires git.pullrequest.created. */
  createPullRequestAsUser(input: {
    repository: string;
    sourceRefName: string;
    targetRefName: string;
    title: string;
    description?: string;
    createdBy?: SimIdentity;
    isDraft?: boolean;
  }): PullRequestState {
    return this.createPullRequest(
      this.repository(input.repository),
      { ...input, description: input.description ?? '' },
      input.createdBy ?? this.users.author,
    );
  }

  /** As the author editing the PR's title or description in the UI: fires git.pullrequest.updated. */
  updatePullRequestAsUser(
    repository: string,
    pullRequestId: number,
    input: { title?: string; description?: string; by?: SimIdentity },
  ): PullRequestState {
    const pr = this.pullRequest(this.repository(repository), pullRequestId);
    if (input.title !== undefined) pr.title = input.title;
    if (input.description !== undefined) pr.description = input.description;
    const by = input.by ?? pr.createdBy;
    this.#publishPullRequest(
      'git.pullrequest.updated',
      pr,
      `${by.displayName} updated pull request ${pr.id}`,
    );
    return pr;
  }

  createPullRequest(
    repo: RepositoryState,
    input: {
      sourceRefName: string;
      targetRefName: string;
      title: string;
      description: string;
      isDraft?: boolean;
    },
    by: SimIdentity,
  ): PullRequestState {
    const source = repo.refs.get(input.sourceRefName);
    const target = repo.refs.get(input.targetRefName);
    if (!source || !target) throw refusals.branchMissing();
    for (const pr of this.pullRequests.values()) {
      if (
        pr.repositoryId === repo.id &&
        pr.status === 'active' &&
        pr.sourceRefName === input.sourceRefName &&
        pr.targetRefName === input.targetRefName
      ) {
        throw refusals.pullRequestExists();
      }
    }
    const pr: PullRequestState = {
      id: this.#nextPullRequestId++,
      repositoryId: repo.id,
      title: input.title,
      description: input.description,
      sourceRefName: input.sourceRefName,
      targetRefName: input.targetRefName,
      status: 'active',
      isDraft: input.isDraft ?? false,
      createdBy: by,
      creationDate: this.isoNow(),
      sourceCommit: source,
      targetCommit: target,
      mergeCommit: objectId('merge', source, target),
      mergeId: randomUUID(),
      policyStatus: 'queued',
      mergeConflict: false,
      iterations: [],
      threads: [],
      statuses: [],
      trackingIds: new Map(),
    };
    this.pullRequests.set(pr.id, pr);
    this.#addIteration(pr, 'create', by);
    this.#publishPullRequest('git.pullrequest.created', pr, `${by.displayName} created a new pull request`);
    return pr;
  }

  pullRequest(repo: RepositoryState, id: number): PullRequestState {
    const pr = this.pullRequests.get(id);
    if (!pr || pr.repositoryId !== repo.id) throw refusals.pullRequestNotFound();
    return pr;
  }

  /** Turns the repository's blocking policy (a required build validation, say) on or off. */
  setBlockingPolicy(repository: string, on: boolean): void {
    const repo = this.repository(repository);
    repo.blockingPolicy = on;
    if (!on) for (const pr of this.#activePullRequests(repo)) this.#autoComplete(pr);
  }

  /** The policy evaluation of one PR; `approved` lets an auto-complete PR complete. */
  setPolicyStatus(repository: string, pullRequestId: number, status: PolicyStatus): void {
    const pr = this.pullRequest(this.repository(repository), pullRequestId);
    pr.policyStatus = status;
    this.#autoComplete(pr);
  }

  /** A merge conflict between the PR's branches (or its resolution). */
  setMergeConflict(repository: string, pullRequestId: number, conflict: boolean): void {
    const pr = this.pullRequest(this.repository(repository), pullRequestId);
    pr.mergeConflict = conflict;
    this.#autoComplete(pr);
  }

  policyAllowsCompletion(pr: PullRequestState): boolean {
    const repo = this.repositories.get(pr.repositoryId);
    if (repo?.blockingPolicy && pr.policyStatus !== 'approved') return false;
    return this.statusPoliciesOf(pr).every((policy) => this.statusPolicyPassed(pr, policy));
  }

  /** The enabled, blocking Status policies whose scope covers the PR's repository and target branch. */
  statusPoliciesOf(pr: PullRequestState): PolicyConfigurationState[] {
    return [...this.policyConfigurations.values()].filter(
      (policy) =>
        policy.isEnabled &&
        policy.isBlocking &&
        policy.type.id === STATUS_POLICY_TYPE_ID &&
        (policy.settings.scope ?? []).some(
          (scope) =>
            (!scope.repositoryId || scope.repositoryId === pr.repositoryId) &&
            (scope.matchKind === 'prefix'
              ? pr.targetRefName.startsWith(scope.refName ?? '')
              : pr.targetRefName === scope.refName),
        ),
    );
  }

  /** A Status policy passes on the latest `succeeded` status of its genre/name, for the latest iteration when it invalidates on updates. */
  statusPolicyPassed(pr: PullRequestState, policy: PolicyConfigurationState): boolean {
    const latestIteration = pr.iterations.at(-1)?.id;
    const statuses = pr.statuses.filter(
      (status) =>
        status.context.name === policy.settings.statusName &&
        (status.context.genre ?? '') === (policy.settings.statusGenre ?? '') &&
        (!policy.settings.invalidateOnSourceUpdate || status.iterationId === latestIteration),
    );
    return statuses.at(-1)?.state === 'succeeded';
  }

  /** Merges the PR at its current source commit; fires git.pullrequest.updated with status completed. */
  completePullRequest(pr: PullRequestState, by: SimIdentity, options: Record<string, unknown> = {}): void {
    const repo = this.repositories.get(pr.repositoryId)!;
    const targetTip = repo.refs.get(pr.targetRefName) ?? pr.targetCommit;
    const squash = options.mergeStrategy === 'squash';
    const merge = addCommit(repo, {
      parents: squash ? [targetTip] : [targetTip, pr.sourceCommit],
      message:
        typeof options.mergeCommitMessage === 'string'
          ? options.mergeCommitMessage
          : `Merged PR ${pr.id}: ${pr.title}`,
      author: { name: by.displayName, email: by.uniqueName },
      changes: squash ? changedFiles(repo, targetTip, pr.sourceCommit) : [],
      date: this.isoNow(),
    });
    repo.refs.set(pr.targetRefName, merge.commitId);
    if (options.deleteSourceBranch === true) repo.refs.delete(pr.sourceRefName);
    pr.status = 'completed';
    pr.mergeCommit = merge.commitId;
    pr.targetCommit = targetTip;
    pr.closedDate = this.isoNow();
    pr.closedBy = by;
    pr.completionOptions = options;
    this.#publishPullRequest(
      'git.pullrequest.updated',
      pr,
      `${by.displayName} completed pull request ${pr.id} (${pr.title})`,
    );
  }

  /**
   * A completion asked through the API (Pull Requests_Update with status completed), refused as the
   * service refuses it: pinned to another commit than the source's head (409 TF401192; a missing or
   * all-zero commit counts as "none" and merges whatever the branch holds), bypassing policies (simulated
   * identities hold no "bypass policies" permission), or blocked by a policy. The service accepts the
   * completion and merges in the background; with conflicts the PR stays active.
   */
  requestCompletion(
    pr: PullRequestState,
    by: SimIdentity,
    pinnedCommit: string | undefined,
    options: Record<string, unknown>,
  ): void {
    if (pinnedCommit && !/^0+$/.test(pinnedCommit) && pinnedCommit !== pr.sourceCommit)
      throw refusals.stale();
    if (options.bypassPolicy === true) throw refusals.bypassDenied();
    if (!this.policyAllowsCompletion(pr)) throw refusals.policyRejected();
    if (!pr.mergeConflict) this.completePullRequest(pr, by, options);
  }

  abandonPullRequest(pr: PullRequestState, by: SimIdentity): void {
    pr.status = 'abandoned';
    pr.closedDate = this.isoNow();
    pr.closedBy = by;
  }

  /**
   * Auto-complete set (or cleared with the empty identity) through the API: the service accepts only the
   * caller's own id (another id is answered 400). `completionOptions` come with it when set.
   */
  setAutoComplete(
    pr: PullRequestState,
    by: SimIdentity,
    setById: string,
    completionOptions: Record<string, unknown> | undefined,
  ): void {
    const id = setById.toLowerCase();
    if (id === EMPTY_IDENTITY) {
      pr.autoCompleteSetBy = undefined;
      return;
    }
    if (id !== by.id.toLowerCase())
      throw refusals.invalidArgument(
        'The identity that sets auto-complete must be the authenticated identity.',
      );
    pr.autoCompleteSetBy = by;
    if (completionOptions) pr.completionOptions = completionOptions;
  }

  /** Changed files of an iteration: from the merge base with its target commit to its source commit. */
  iterationChanges(
    pr: PullRequestState,
    iteration: IterationState,
  ): (FileChange & { changeTrackingId: number })[] {
    const repo = this.repositories.get(pr.repositoryId)!;
    return changedFiles(repo, iteration.targetCommit, iteration.sourceCommit).map((change) => {
      let tracking = pr.trackingIds.get(change.path);
      if (tracking === undefined) {
        tracking = pr.trackingIds.size + 1;
        pr.trackingIds.set(change.path, tracking);
      }
      return { ...change, changeTrackingId: tracking };
    });
  }

  /** Commits the PR brings (for the `commit` pull-request query). */
  pullRequestCommits(pr: PullRequestState): string[] {
    const repo = this.repositories.get(pr.repositoryId)!;
    return commitsBetween(repo, pr.targetCommit, pr.sourceCommit).map((commit) => commit.commitId);
  }

  /** An annotated tag on a commit, as Annotated Tags_Create makes it: once per name. */
  createAnnotatedTag(
    repo: RepositoryState,
    input: { name: string; commitId: string; message: string },
    by: SimIdentity,
  ): TagState {
    const { name, commitId, message } = input;
    if (!name || !validRefName(name)) throw refusals.invalidRefName(name);
    if (!repo.commits.has(commitId)) throw refusals.commitNotFound(commitId);
    if (repo.refs.has(`refs/tags/${name}`)) throw refusals.tagExists(name);
    const taggedBy = { name: by.displayName, email: by.uniqueName, date: this.isoNow() };
    const tag: TagState = { name, objectId: objectId('tag', name, commitId), commitId, message, taggedBy };
    repo.tags.set(name, tag);
    repo.refs.set(`refs/tags/${name}`, tag.objectId);
    return tag;
  }

  addThread(
    pr: PullRequestState,
    thread: Omit<ThreadState, 'id' | 'publishedDate' | 'lastUpdatedDate'>,
  ): ThreadState {
    const now = this.isoNow();
    const state: ThreadState = {
      ...thread,
      id: this.#nextThreadId++,
      publishedDate: now,
      lastUpdatedDate: now,
    };
    pr.threads.push(state);
    return state;
  }

  addPolicyConfiguration(
    input: Omit<PolicyConfigurationState, 'id' | 'createdDate'>,
  ): PolicyConfigurationState {
    const policy: PolicyConfigurationState = {
      ...input,
      id: this.policyConfigurations.size + 1,
      createdDate: this.isoNow(),
    };
    this.policyConfigurations.set(policy.id, policy);
    return policy;
  }

  /** A comment on a thread, as a person writes it in the UI (or the API as `author`). */
  addComment(
    thread: ThreadState,
    author: SimIdentity,
    content: string,
    parentCommentId = 1,
  ): ThreadState['comments'][number] {
    const comment = {
      id: Math.max(0, ...thread.comments.map((candidate) => candidate.id)) + 1,
      parentCommentId,
      author,
      content,
      publishedDate: this.isoNow(),
      commentType: 'text',
    };
    thread.comments.push(comment);
    thread.lastUpdatedDate = comment.publishedDate;
    return comment;
  }

  /** The comment `by` may edit: only its author edits a comment, as in the service. */
  editableComment(thread: ThreadState, commentId: number, by: SimIdentity): ThreadState['comments'][number] {
    const comment = thread.comments.find((candidate) => candidate.id === commentId);
    if (!comment)
      throw azdoError(
        404,
        `Comment ${commentId} was not found in thread ${thread.id}.`,
        'CommentNotFoundException',
        'git',
      );
    if (comment.author.id !== by.id)
      throw azdoError(
        403,
        'You do not have permission to edit this comment.',
        'CommentPermissionException',
        'git',
      );
    return comment;
  }

  /** A person resolves (or reopens) a thread in the UI. */
  setThreadStatusAsUser(thread: ThreadState, status: string): void {
    thread.status = status;
    thread.lastUpdatedDate = this.isoNow();
  }

  addStatus(pr: PullRequestState, status: Omit<StatusState, 'id' | 'creationDate'>): StatusState {
    const state: StatusState = { ...status, id: this.#nextStatusId++, creationDate: this.isoNow() };
    pr.statuses.push(state);
    return state;
  }

  // ---- control: pipelines ----

  addPipeline(input: { id?: number; name: string; parameters?: string[]; agent?: boolean }): PipelineState {
    const id = input.id ?? Math.max(0, ...this.pipelines.keys()) + 1;
    const pipeline: PipelineState = {
      id,
      name: input.name,
      ...(input.parameters ? { parameters: input.parameters } : {}),
      ...(input.agent ? { agent: true } : {}),
    };
    this.pipelines.set(id, pipeline);
    return pipeline;
  }

  /** The next run of this pipeline ends with `result` after `durationMs`; scripts queue up in order. */
  scriptNextRun(pipelineId: number, script: { result: RunResult; durationMs?: number }): void {
    const queue = this.#runScripts.get(pipelineId) ?? [];
    queue.push(script);
    this.#runScripts.set(pipelineId, queue);
  }

  startRun(
    pipeline: PipelineState,
    input: { templateParameters: Record<string, unknown>; refName?: string; version?: string },
  ): RunState {
    const script = this.#runScripts.get(pipeline.id)?.shift();
    const id = this.#nextRunId++;
    const date = this.now();
    const run: RunState = {
      id,
      pipelineId: pipeline.id,
      name: `${date.toISOString().slice(0, 10).replace(/-/g, '')}.${id}`,
      createdAt: this.now().getTime(),
      // An agent-run pipeline's run lasts until the agent reports its result.
      durationMs: pipeline.agent ? Number.POSITIVE_INFINITY : (script?.durationMs ?? this.#runDurationMs),
      result: script?.result ?? 'succeeded',
      templateParameters: input.templateParameters,
      ...(input.refName ? { refName: input.refName } : {}),
      ...(input.version ? { version: input.version } : {}),
    };
    this.runs.set(id, run);
    return run;
  }

  /** What the agent tells the service about a run it executes (Build_Get answers with it). */
  describeBuild(runId: number, facts: BuildFacts): void {
    const run = this.runs.get(runId);
    if (!run) throw refusals.runNotFound(String(runId));
    run.build = facts;
  }

  /**
   * A job's System.AccessToken: the project's build service identity, accepted only while the run is in
   * progress (the service revokes a job's token when the job ends).
   */
  issueJobToken(runId: number): string {
    if (!this.runs.has(runId)) throw refusals.runNotFound(String(runId));
    const token = `job-${runId}-${randomUUID()}`;
    // Scanned for in everything a test run prints, like every credential the sandbox issues.
    processWideList<string>('issued-secrets').push(token);
    this.credentials.push({ kind: 'bearer', token, identity: this.users.buildService, runId });
    return token;
  }

  /** True while the run has not completed. */
  runInProgress(run: RunState): boolean {
    return this.now().getTime() < run.createdAt + run.durationMs;
  }

  /**
   * A run of an agent-run pipeline that an agent is executing now, as a test arranges it: the pipeline
   * (added when missing), the run with its build facts, and the job's token.
   */
  startAgentBuild(input: { pipelineId: number; pipelineName?: string } & BuildFacts): {
    run: RunState;
    token: string;
  } {
    const pipeline =
      this.pipelines.get(input.pipelineId) ??
      this.addPipeline({
        id: input.pipelineId,
        name: input.pipelineName ?? `pipeline-${input.pipelineId}`,
        agent: true,
      });
    const { pipelineId: _id, pipelineName: _name, ...facts } = input;
    const run = this.startRun(pipeline, {
      templateParameters: {},
      refName: facts.sourceBranch,
      version: facts.sourceVersion,
    });
    // An agent runs it: in progress until finishRun(), whatever the pipeline's scripted duration.
    run.durationMs = Number.POSITIVE_INFINITY;
    this.describeBuild(run.id, facts);
    return { run, token: this.issueJobToken(run.id) };
  }

  /** The agent finished a run of an agent-run pipeline: it completes now with `result`. */
  finishRun(runId: number, result: RunResult, buildNumber?: string): RunState {
    const run = this.runs.get(runId);
    if (!run) throw refusals.runNotFound(String(runId));
    if (Number.isFinite(run.durationMs)) throw new Error(`run ${runId} has already completed`);
    run.durationMs = Math.max(0, this.now().getTime() - run.createdAt);
    run.result = result;
    if (buildNumber) run.name = buildNumber;
    return run;
  }

  // ---- control: environments and approvals ----

  addEnvironment(name: string, description: string, by: SimIdentity): EnvironmentState {
    for (const env of this.environments.values())
      if (env.name.toLowerCase() === name.toLowerCase()) throw refusals.environmentExists(name);
    const env: EnvironmentState = {
      id: this.#nextEnvironmentId++,
      name,
      description,
      createdBy: by,
      createdOn: this.isoNow(),
    };
    this.environments.set(env.id, env);
    return env;
  }

  /** Installs another extension (e.g. one with a task named like ours). */
  installExtension(extension: SimExtension): void {
    this.extensions.push(extension);
  }

  addCheck(check: Omit<CheckState, 'id' | 'createdOn'>): CheckState {
    const state: CheckState = { ...check, id: this.#nextCheckId++, createdOn: this.isoNow() };
    this.checks.set(state.id, state);
    return state;
  }

  /** The check `by` may change: a locked one needs the Administrator role on its resource (403). */
  editableCheck(id: number, by: SimIdentity): CheckState {
    const check = this.checks.get(id);
    if (!check) throw refusals.checkNotFound(id);
    if (this.lockedChecks.has(id)) throw refusals.checkNotEditable(id, by);
    return check;
  }

  /** A group of people (an approver may be one): any one member answers for it. */
  addGroup(displayName: string, members: SimIdentity[]): SimIdentity {
    const group: SimIdentity = {
      id: randomUUID(),
      displayName,
      uniqueName: `[${this.project.name}]\\${displayName}`,
    };
    this.groups.set(group.id, { group, members: [...members] });
    return group;
  }

  /** The identity with this id: a user, a credential's identity or a group (unknown ids keep their id). */
  identityById(id: string): SimIdentity {
    const key = id.toLowerCase();
    const known = [
      ...Object.values(this.users),
      ...this.credentials.map((credential) => credential.identity),
      ...[...this.groups.values()].map((entry) => entry.group),
    ].find((identity) => identity.id.toLowerCase() === key);
    return known ?? { id, displayName: id, uniqueName: id };
  }

  /** True when `who` is `identity` or a member of the group `identity`. */
  isOrIsIn(who: SimIdentity, identity: SimIdentity): boolean {
    if (who.id.toLowerCase() === identity.id.toLowerCase()) return true;
    const group = this.groups.get(identity.id);
    return group?.members.some((member) => member.id.toLowerCase() === who.id.toLowerCase()) ?? false;
  }

  /**
   * The step `who` may answer now, as the service decides: not blocked, assigned (or in an assigned
   * group), the step still pending (in sequence: only the current one), and not already answered by them.
   */
  actionableStep(approval: ApprovalState, who: SimIdentity): ApprovalStepState | undefined {
    if (approval.status !== 'pending') return undefined;
    if (approval.blockedApprovers.some((blocked) => this.isOrIsIn(who, blocked))) return undefined;
    if (approval.steps.some((step) => step.actual?.id.toLowerCase() === who.id.toLowerCase()))
      return undefined;
    return approval.steps.find((step) => step.status === 'pending' && this.isOrIsIn(who, step.assigned));
  }

  /** A stage reached an environment with an Approval check: fires approval-pending. */
  createPendingApproval(
    input: {
      environment?: string;
      stageName?: string;
      pipelineId?: number;
      runId?: number;
      instructions?: string;
      approvers?: SimIdentity[];
      minRequiredApprovers?: number;
      executionOrder?: 'anyOrder' | 'inSequence';
      blockedApprovers?: SimIdentity[];
    } = {},
  ): ApprovalState {
    const env = input.environment
      ? ([...this.environments.values()].find(
          (candidate) => candidate.name.toLowerCase() === input.environment!.toLowerCase(),
        ) ?? this.addEnvironment(input.environment, '', this.users.agent))
      : undefined;
    const pipeline = input.pipelineId !== undefined ? this.pipelines.get(input.pipelineId) : undefined;
    const run = input.runId !== undefined ? this.runs.get(input.runId) : undefined;
    // Unless the caller says otherwise, the approval takes the environment's Approval check settings.
    const check = env ? this.#approvalCheckSettings(env.id) : undefined;
    // With no check either: the person and the app's own identity, as `npm run setup` configures.
    const approvers = input.approvers ?? check?.approvers ?? [this.users.approver, this.users.agent];
    const executionOrder = input.executionOrder ?? check?.executionOrder ?? 'anyOrder';
    const now = this.isoNow();
    const approval: ApprovalState = {
      id: randomUUID(),
      status: 'pending',
      createdOn: now,
      lastModifiedOn: now,
      instructions: input.instructions ?? check?.instructions ?? '',
      minRequiredApprovers: input.minRequiredApprovers ?? check?.minRequiredApprovers ?? 1,
      executionOrder,
      approvers,
      blockedApprovers: input.blockedApprovers ?? check?.blockedApprovers ?? [],
      steps: approvers.map((assigned, index) => ({
        assigned,
        status: executionOrder === 'inSequence' && index > 0 ? 'uninitiated' : 'pending',
      })),
      ...(env ? { environment: { id: env.id, name: env.name } } : {}),
      ...(input.stageName ? { stageName: input.stageName } : {}),
      ...(pipeline ? { pipeline: { id: pipeline.id, name: pipeline.name } } : {}),
      ...(run ? { run: { id: run.id, name: run.name } } : {}),
    };
    this.approvals.set(approval.id, approval);
    this.#publishApproval('ms.vss-pipelinechecks-events.approval-pending', approval);
    return approval;
  }

  #approvalCheckSettings(environmentId: number):
    | {
        approvers: SimIdentity[];
        blockedApprovers: SimIdentity[];
        executionOrder: 'anyOrder' | 'inSequence';
        minRequiredApprovers?: number;
        instructions?: string;
      }
    | undefined {
    const check = [...this.checks.values()].find(
      (candidate) =>
        candidate.resource.type === 'environment' &&
        candidate.resource.id === String(environmentId) &&
        candidate.type.id === APPROVAL_CHECK_TYPE,
    );
    if (!check) return undefined;
    const settings = (check.settings ?? {}) as {
      approvers?: { id?: string }[];
      blockedApprovers?: { id?: string }[];
      executionOrder?: string;
      minRequiredApprovers?: number;
      instructions?: string;
    };
    const identities = (list: { id?: string }[] | undefined) =>
      (list ?? []).flatMap((entry) => (entry.id ? [this.identityById(entry.id)] : []));
    return {
      approvers: identities(settings.approvers),
      blockedApprovers: identities(settings.blockedApprovers),
      executionOrder: settings.executionOrder === 'inSequence' ? 'inSequence' : 'anyOrder',
      ...(typeof settings.minRequiredApprovers === 'number'
        ? { minRequiredApprovers: settings.minRequiredApprovers }
        : {}),
      ...(settings.instructions ? { instructions: settings.instructions } : {}),
    };
  }

  approval(id: string): ApprovalState {
    const approval = this.approvals.get(id.toLowerCase());
    if (!approval) throw refusals.approvalNotFound(id);
    return approval;
  }

  /**
   * `by` answers their step, as the service allows (see actionableStep; otherwise refused). A rejection
   * rejects the approval; it is approved once `minRequiredApprovers` steps are (0: all of them), and
   * until then stays pending, in sequence with the next step now actionable. Fires approval-completed
   * when the approval itself is answered.
   */
  decideApproval(id: string, status: 'approved' | 'rejected', by: SimIdentity, comment = ''): ApprovalState {
    const approval = this.approval(id);
    if (approval.status !== 'pending') throw refusals.approvalNotPending(approval.id, approval.status);
    const step = this.actionableStep(approval, by);
    if (!step) throw refusals.approvalNotPermitted(approval.id, by.displayName);
    const now = this.isoNow();
    Object.assign(step, { status, actual: by, comment, at: now });
    approval.actualApprover = by;
    approval.comment = comment;
    approval.lastModifiedOn = now;
    const approved = approval.steps.filter((candidate) => candidate.status === 'approved').length;
    const required =
      approval.minRequiredApprovers > 0
        ? Math.min(approval.minRequiredApprovers, approval.steps.length)
        : approval.steps.length;
    if (status === 'rejected' || approved >= required) {
      approval.status = status;
      for (const other of approval.steps)
        if (other.status === 'pending' || other.status === 'uninitiated') other.status = 'skipped';
      this.#publishApproval('ms.vss-pipelinechecks-events.approval-completed', approval);
    } else if (approval.executionOrder === 'inSequence') {
      const next = approval.steps.find((candidate) => candidate.status === 'uninitiated');
      if (next) next.status = 'pending';
    }
    return approval;
  }

  /** As a person in the Azure DevOps UI. */
  decideApprovalAsUser(
    id: string,
    status: 'approved' | 'rejected',
    options: { by?: SimIdentity; comment?: string } = {},
  ): ApprovalState {
    return this.decideApproval(id, status, options.by ?? this.users.approver, options.comment ?? '');
  }

  // ---- internals ----

  #activePullRequests(repo: RepositoryState): PullRequestState[] {
    return [...this.pullRequests.values()].filter(
      (pr) => pr.repositoryId === repo.id && pr.status === 'active',
    );
  }

  #autoComplete(pr: PullRequestState): void {
    if (
      pr.status !== 'active' ||
      !pr.autoCompleteSetBy ||
      pr.mergeConflict ||
      !this.policyAllowsCompletion(pr)
    )
      return;
    this.completePullRequest(pr, pr.autoCompleteSetBy, {
      ...pr.completionOptions,
      triggeredByAutoComplete: true,
    });
  }

  /** Auto-complete set on a PR whose policies already pass completes it at once, as the service does. */
  autoCompleteIfReady(pr: PullRequestState): void {
    this.#autoComplete(pr);
  }

  #addIteration(pr: PullRequestState, reason: IterationState['reason'], author: SimIdentity): void {
    const iteration: IterationState = {
      id: pr.iterations.length + 1,
      sourceCommit: pr.sourceCommit,
      targetCommit: pr.targetCommit,
      createdDate: this.isoNow(),
      reason,
      author,
    };
    pr.iterations.push(iteration);
    this.iterationChanges(pr, iteration);
  }

  /** Called on every change a service hook would announce (pull request created or updated, approvals). */
  protected abstract publish(event: StateEvent): void;

  #publishPullRequest(eventType: HookEventType, pr: PullRequestState, text: string): void {
    this.publish({ kind: 'pullRequest', eventType, pullRequest: pr, text });
  }

  #publishApproval(eventType: HookEventType, approval: ApprovalState): void {
    this.publish({ kind: 'approval', eventType, approval });
  }
}

export function fullRef(branch: string): string {
  return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
}
