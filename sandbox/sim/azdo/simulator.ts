// A protocol-faithful Azure DevOps for tests and the sandbox: one organisation and project in memory
// (repositories, pull requests with iterations, threads and statuses, policies, tags, pipelines and runs,
// environments, checks, approvals, service-hook subscriptions), served over HTTP on the routes of the 7.1
// specs (see routes.ts), with control methods that act "as a person in the UI" and fire the service hooks
// a real subscription would.
import { randomUUID } from 'node:crypto';
import { basicCredentials, bearerToken, type Fault, type RequestLogEntry, SimServer } from '../server.ts';
import { genericErrorBody, refusals } from './errors.ts';
import {
  addCommit,
  changedFiles,
  commitsBetween,
  type CommitState,
  type FileChange,
  newRepository,
  objectId,
  type RepositoryState,
} from './git.ts';
import {
  type DeliveryRecord,
  HOOK_EVENT_TYPES,
  HookDispatcher,
  type HookEvent,
  type HookEventType,
  type SubscriptionState,
} from './hooks.ts';
import { registerAzureDevOpsAdminRoutes } from './admin.ts';
import { registerAzureDevOpsPages } from './pages.ts';
import { registerAzureDevOpsRoutes } from './routes.ts';
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

export interface StartupWebhook {
  url: string;
  /** Defaults to every event the simulator sends. */
  eventTypes?: HookEventType[];
  headers?: Record<string, string>;
  basicAuth?: { username: string; password: string };
}

export interface AzureDevOpsSimulatorOptions {
  organization?: string;
  project?: string;
  /** PATs accepted as Basic auth (any user name) and the identity each authenticates as. */
  pats?: SimCredential[];
  /** Tokens accepted as Bearer (System.AccessToken). */
  bearerTokens?: SimCredential[];
  webhooks?: StartupWebhook[];
  pipelines?: { id: number; name: string; parameters?: string[]; agent?: boolean }[];
  /** How long a run stays inProgress unless scripted otherwise. */
  pipelineRunDurationMs?: number;
  delivery?: { retryDelaysMs?: number[]; timeoutMs?: number; probationMs?: number };
  now?: () => number;
  /** For negative tests that send off-spec requests on purpose: keep this log out of the contract check. */
  offContract?: boolean;
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

const DEFAULT_PAT = 'sim-pat';
/** The pipeline check type id of "Approval" (fixed by Azure DevOps). */
const APPROVAL_CHECK_TYPE = '8c6f20a7-a545-4486-9777-f762fafe0d4d';
const DEFAULT_ACCESS_TOKEN = 'sim-access-token';
const LIST_DESCRIPTION_LIMIT = 400;

/** Request logs of every Azure DevOps simulator this process started: the spec contract test reads them. */
const startedServers: SimServer[] = [];

export function recordedAzureDevOpsRequests(): RequestLogEntry[] {
  return startedServers.flatMap((server) => server.requestLog);
}

export class AzureDevOpsSimulator {
  readonly server = new SimServer('azure-devops');
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
  readonly hooks: HookDispatcher;
  readonly now: () => number;
  readonly #runScripts = new Map<number, { result: RunResult; durationMs?: number }[]>();
  readonly #runDurationMs: number;
  readonly #offContract: boolean;
  #nextPullRequestId = 1;
  #nextThreadId = 1;
  #nextStatusId = 1;
  #nextRunId = 1;
  #nextEnvironmentId = 1;
  #nextCheckId = 1;

  constructor(options: AzureDevOpsSimulatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.organization = options.organization ?? 'acme';
    this.project = { id: randomUUID(), name: options.project ?? 'Payments' };
    this.#runDurationMs = options.pipelineRunDurationMs ?? 100;
    this.#offContract = options.offContract ?? false;
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
    this.hooks = new HookDispatcher({
      retryDelaysMs: options.delivery?.retryDelaysMs ?? [20, 40, 80],
      timeoutMs: options.delivery?.timeoutMs ?? 2_000,
      probationMs: options.delivery?.probationMs ?? 1_000,
      now: this.now,
    });
    for (const pipeline of options.pipelines ?? []) this.addPipeline(pipeline);
    for (const webhook of options.webhooks ?? []) this.addWebhook(webhook);
    this.server.errorBody = genericErrorBody;
    // Rate limits count per identity: the log names who each request authenticated as.
    this.server.identify = (headers) => {
      const basic = basicCredentials(headers);
      const bearer = basic ? undefined : bearerToken(headers);
      const credential = this.credentials.find((cred) =>
        basic
          ? cred.kind === 'pat' && cred.token === basic.password
          : cred.kind === 'bearer' && cred.token === bearer,
      );
      return credential?.identity.uniqueName;
    };
    // The contract test checks every exchange's bodies against the specs.
    this.server.recordBodies = true;
    registerAzureDevOpsRoutes(this);
    registerAzureDevOpsAdminRoutes(this);
    registerAzureDevOpsPages(this);
  }

  get url(): string {
    return this.server.url;
  }

  /** What the adapter is configured with: `{url}/{organization}`. */
  get organizationUrl(): string {
    return `${this.server.url}/${this.organization}`;
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.hooks.deliveries;
  }

  get requestLog(): readonly RequestLogEntry[] {
    return this.server.requestLog;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const url = await this.server.start(port, host);
    if (!this.#offContract) startedServers.push(this.server);
    return url;
  }

  async stop(): Promise<void> {
    await this.hooks.flush();
    await this.server.stop();
  }

  addFault(fault: Fault): void {
    this.server.addFault(fault);
  }

  clearFaults(): void {
    this.server.clearFaults();
  }

  /** Resolves once every queued service-hook delivery has ended. */
  async flushDeliveries(): Promise<void> {
    await this.hooks.flush();
  }

  isoNow(): string {
    return new Date(this.now()).toISOString();
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
    const date = new Date(this.now());
    const run: RunState = {
      id,
      pipelineId: pipeline.id,
      name: `${date.toISOString().slice(0, 10).replace(/-/g, '')}.${id}`,
      createdAt: this.now(),
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
    return this.now() < run.createdAt + run.durationMs;
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
    run.durationMs = Math.max(0, this.now() - run.createdAt);
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

  // ---- control: service hooks ----

  addWebhook(webhook: StartupWebhook): SubscriptionState[] {
    const consumerInputs: Record<string, string> = { url: webhook.url };
    const headerLines = Object.entries(webhook.headers ?? {}).map(([name, value]) => `${name}:${value}`);
    if (headerLines.length > 0) consumerInputs.httpHeaders = headerLines.join('\n');
    if (webhook.basicAuth) {
      consumerInputs.basicAuthUsername = webhook.basicAuth.username;
      consumerInputs.basicAuthPassword = webhook.basicAuth.password;
    }
    return (webhook.eventTypes ?? [...HOOK_EVENT_TYPES]).map((eventType) =>
      this.hooks.add({
        publisherId: eventType.startsWith('git.') ? 'tfs' : 'pipelines',
        eventType,
        resourceVersion: eventType.startsWith('git.') ? '1.0' : '5.1-preview.1',
        consumerId: 'webHooks',
        consumerActionId: 'httpRequest',
        publisherInputs: { projectId: this.project.id },
        consumerInputs: { ...consumerInputs },
        createdBy: { id: this.users.agent.id, displayName: this.users.agent.displayName },
      }),
    );
  }

  // ---- wire shapes ----

  identityJson(identity: SimIdentity): Record<string, unknown> {
    return {
      id: identity.id,
      displayName: identity.displayName,
      uniqueName: identity.uniqueName,
      url: `${this.organizationUrl}/_apis/Identities/${identity.id}`,
      imageUrl: `${this.organizationUrl}/_api/_common/identityImage?id=${identity.id}`,
    };
  }

  projectJson(): Record<string, unknown> {
    return {
      id: this.project.id,
      name: this.project.name,
      url: `${this.organizationUrl}/_apis/projects/${this.project.id}`,
      state: 'wellFormed',
      revision: 1,
      visibility: 'private',
      lastUpdateTime: this.isoNow(),
    };
  }

  repositoryJson(repo: RepositoryState): Record<string, unknown> {
    const web = `${this.organizationUrl}/${encodeURIComponent(this.project.name)}/_git/${encodeURIComponent(repo.name)}`;
    return {
      id: repo.id,
      name: repo.name,
      url: `${this.organizationUrl}/${this.project.id}/_apis/git/repositories/${repo.id}`,
      project: this.projectJson(),
      defaultBranch: repo.defaultBranch,
      size: 0,
      remoteUrl: web,
      webUrl: web,
      isDisabled: false,
    };
  }

  commitRef(repo: RepositoryState, commitId: string): Record<string, unknown> {
    return {
      commitId,
      url: `${this.organizationUrl}/${this.project.id}/_apis/git/repositories/${repo.id}/commits/${commitId}`,
    };
  }

  pullRequestJson(pr: PullRequestState, options: { cutDescription?: boolean } = {}): Record<string, unknown> {
    const repo = this.repositories.get(pr.repositoryId)!;
    const description = options.cutDescription
      ? pr.description.slice(0, LIST_DESCRIPTION_LIMIT)
      : pr.description;
    return {
      repository: this.repositoryJson(repo),
      pullRequestId: pr.id,
      codeReviewId: pr.id,
      status: pr.status,
      createdBy: this.identityJson(pr.createdBy),
      creationDate: pr.creationDate,
      ...(pr.closedDate ? { closedDate: pr.closedDate } : {}),
      ...(pr.closedBy ? { closedBy: this.identityJson(pr.closedBy) } : {}),
      title: pr.title,
      description,
      sourceRefName: pr.sourceRefName,
      targetRefName: pr.targetRefName,
      mergeStatus: pr.mergeConflict ? 'conflicts' : 'succeeded',
      isDraft: pr.isDraft,
      mergeId: pr.mergeId,
      lastMergeSourceCommit: this.commitRef(repo, pr.sourceCommit),
      lastMergeTargetCommit: this.commitRef(repo, pr.targetCommit),
      lastMergeCommit: this.commitRef(repo, pr.mergeCommit),
      reviewers: [],
      ...(pr.autoCompleteSetBy ? { autoCompleteSetBy: this.identityJson(pr.autoCompleteSetBy) } : {}),
      ...(pr.completionOptions ? { completionOptions: pr.completionOptions } : {}),
      url: `${this.organizationUrl}/${this.project.id}/_apis/git/repositories/${repo.id}/pullRequests/${pr.id}`,
      supportsIterations: true,
      artifactId: `vstfs:///Git/PullRequestId/${this.project.id}%2f${repo.id}%2f${pr.id}`,
    };
  }

  iterationJson(pr: PullRequestState, iteration: IterationState): Record<string, unknown> {
    const repo = this.repositories.get(pr.repositoryId)!;
    return {
      id: iteration.id,
      description: pr.title,
      author: this.identityJson(iteration.author),
      createdDate: iteration.createdDate,
      updatedDate: iteration.createdDate,
      reason: iteration.reason,
      sourceRefCommit: { commitId: iteration.sourceCommit },
      targetRefCommit: { commitId: iteration.targetCommit },
      commonRefCommit: { commitId: iteration.targetCommit },
      hasMoreCommits: false,
      url: `${this.organizationUrl}/${this.project.id}/_apis/git/repositories/${repo.id}/pullRequests/${pr.id}/iterations/${iteration.id}`,
    };
  }

  threadJson(thread: ThreadState): Record<string, unknown> {
    return {
      id: thread.id,
      publishedDate: thread.publishedDate,
      lastUpdatedDate: thread.lastUpdatedDate,
      comments: thread.comments.map((comment) => ({
        id: comment.id,
        parentCommentId: comment.parentCommentId,
        author: this.identityJson(comment.author),
        content: comment.content,
        publishedDate: comment.publishedDate,
        lastUpdatedDate: comment.publishedDate,
        lastContentUpdatedDate: comment.publishedDate,
        commentType: comment.commentType,
        usersLiked: [],
      })),
      status: thread.status,
      ...(thread.threadContext ? { threadContext: thread.threadContext } : { threadContext: null }),
      ...(thread.pullRequestThreadContext
        ? { pullRequestThreadContext: thread.pullRequestThreadContext }
        : {}),
      properties: thread.properties ?? {},
      identities: null,
      isDeleted: false,
    };
  }

  statusJson(status: StatusState): Record<string, unknown> {
    return {
      id: status.id,
      state: status.state,
      description: status.description,
      context: status.context,
      ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
      ...(status.iterationId !== undefined ? { iterationId: status.iterationId } : {}),
      createdBy: this.identityJson(status.createdBy),
      creationDate: status.creationDate,
      updatedDate: status.creationDate,
    };
  }

  runJson(run: RunState): Record<string, unknown> {
    const pipeline = this.pipelines.get(run.pipelineId)!;
    const finishedAt = run.createdAt + run.durationMs;
    const done = this.now() >= finishedAt;
    const base = `${this.organizationUrl}/${this.project.id}/_apis/pipelines/${pipeline.id}`;
    const web = `${this.organizationUrl}/${encodeURIComponent(this.project.name)}/_build/results?buildId=${run.id}`;
    return {
      _links: {
        self: { href: `${base}/runs/${run.id}` },
        web: { href: web },
        'pipeline.web': { href: web },
        pipeline: { href: base },
      },
      pipeline: { url: base, id: pipeline.id, revision: 1, name: pipeline.name, folder: '\\' },
      state: done ? 'completed' : 'inProgress',
      ...(done ? { result: run.result, finishedDate: new Date(finishedAt).toISOString() } : {}),
      createdDate: new Date(run.createdAt).toISOString(),
      url: `${base}/runs/${run.id}`,
      resources: {
        repositories: {
          self: {
            repository: { type: 'azureReposGit' },
            ...(run.refName ? { refName: run.refName } : {}),
            ...(run.version ? { version: run.version } : {}),
          },
        },
      },
      templateParameters: run.templateParameters,
      id: run.id,
      name: run.name,
    };
  }

  /** A run as the Build API shows it (Build_Get): the facts the agent reported, or a manual run's. */
  buildJson(run: RunState): Record<string, unknown> {
    const pipeline = this.pipelines.get(run.pipelineId)!;
    const done = !this.runInProgress(run);
    const facts = run.build;
    const repo = facts ? this.repositories.get(facts.repository.toLowerCase()) : undefined;
    const web = `${this.organizationUrl}/${encodeURIComponent(this.project.name)}/_build/results?buildId=${run.id}`;
    const requestedFor = this.identityJson(facts?.requestedFor ?? this.users.agent);
    return {
      _links: { web: { href: web } },
      id: run.id,
      buildNumber: run.name,
      status: done ? 'completed' : 'inProgress',
      ...(done
        ? { result: run.result, finishTime: new Date(run.createdAt + run.durationMs).toISOString() }
        : {}),
      queueTime: new Date(run.createdAt).toISOString(),
      startTime: new Date(run.createdAt).toISOString(),
      url: `${this.organizationUrl}/${this.project.id}/_apis/build/Builds/${run.id}`,
      definition: {
        id: pipeline.id,
        name: pipeline.name,
        type: 'build',
        queueStatus: 'enabled',
        revision: 1,
      },
      project: { id: this.project.id, name: this.project.name, state: 'wellFormed', visibility: 'private' },
      reason: facts?.reason ?? 'manual',
      sourceBranch: facts?.sourceBranch ?? run.refName ?? 'refs/heads/main',
      sourceVersion: facts?.sourceVersion ?? run.version ?? '',
      repository: facts
        ? { id: repo?.id ?? facts.repository, name: facts.repository, type: 'TfsGit' }
        : { type: 'TfsGit' },
      triggerInfo: facts?.pullRequest
        ? {
            'pr.number': String(facts.pullRequest.id),
            'pr.sourceSha': facts.pullRequest.sourceCommit,
            'pr.sourceBranch': facts.pullRequest.sourceBranch,
            'pr.isFork': 'False',
            'pr.triggerRepository': repo?.id ?? facts.repository,
            'pr.triggerRepository.Type': 'TfsGit',
          }
        : {},
      requestedFor,
      requestedBy: requestedFor,
      priority: 'normal',
      templateParameters: run.templateParameters,
    };
  }

  /**
   * An approval as the service shows it. `permissionsFor`: `$expand=permissions`, the caller's rights
   * (a flags enum, serialized like the service: "view, update"); `update` only where they may answer now.
   */
  approvalJson(
    approval: ApprovalState,
    options: { steps: boolean; permissionsFor?: SimIdentity },
  ): Record<string, unknown> {
    const caller = options.permissionsFor;
    const mayAnswer = caller ? this.actionableStep(approval, caller) : undefined;
    const steps = approval.steps.map((step, index) => ({
      assignedApprover: this.identityJson(step.assigned),
      status: step.status,
      ...(step.actual
        ? {
            actualApprover: this.identityJson(step.actual),
            comment: step.comment ?? '',
            lastModifiedOn: step.at,
            lastModifiedBy: this.identityJson(step.actual),
          }
        : {}),
      initiatedOn: approval.createdOn,
      order: index + 1,
      history: [],
      ...(caller ? { permissions: mayAnswer === step ? 'view, update' : 'view' } : {}),
    }));
    return {
      id: approval.id,
      ...(options.steps ? { steps } : {}),
      status: approval.status,
      createdOn: approval.createdOn,
      lastModifiedOn: approval.lastModifiedOn,
      instructions: approval.instructions,
      minRequiredApprovers: approval.minRequiredApprovers,
      blockedApprovers: approval.blockedApprovers.map((identity) => this.identityJson(identity)),
      executionOrder: approval.executionOrder,
      ...(caller ? { permissions: mayAnswer ? 'view, update' : 'view' } : {}),
      _links: {},
      // Not in the 7.1 spec, but the service returns it: the run that waits on this approval.
      ...(approval.pipeline
        ? {
            pipeline: {
              owner: approval.run ? { id: approval.run.id, name: approval.run.name } : null,
              id: String(approval.pipeline.id),
              name: approval.pipeline.name,
            },
          }
        : {}),
    };
  }

  environmentJson(env: EnvironmentState): Record<string, unknown> {
    return {
      id: env.id,
      name: env.name,
      description: env.description,
      createdBy: this.identityJson(env.createdBy),
      createdOn: env.createdOn,
      lastModifiedBy: this.identityJson(env.createdBy),
      lastModifiedOn: env.createdOn,
      project: { id: this.project.id, name: this.project.name },
    };
  }

  checkJson(check: CheckState): Record<string, unknown> {
    return {
      settings: check.settings,
      timeout: check.timeout,
      id: check.id,
      type: check.type,
      resource: check.resource,
      createdBy: this.identityJson(check.createdBy),
      createdOn: check.createdOn,
      modifiedBy: this.identityJson(check.modifiedBy ?? check.createdBy),
      modifiedOn: check.createdOn,
      url: `${this.organizationUrl}/${this.project.id}/_apis/pipelines/checks/configurations/${check.id}`,
      _links: {},
    };
  }

  subscriptionJson(subscription: SubscriptionState): Record<string, unknown> {
    // Secrets are masked on read, as the service does.
    const consumerInputs = { ...subscription.consumerInputs };
    if (consumerInputs.basicAuthPassword !== undefined) consumerInputs.basicAuthPassword = '********';
    if (consumerInputs.httpHeaders !== undefined) {
      consumerInputs.httpHeaders = consumerInputs.httpHeaders
        .split(/\r?\n/)
        .map((line) => (line.includes(':') ? `${line.slice(0, line.indexOf(':'))}:********` : line))
        .join('\n');
    }
    return {
      id: subscription.id,
      url: `${this.organizationUrl}/_apis/hooks/subscriptions/${subscription.id}`,
      status: subscription.status,
      publisherId: subscription.publisherId,
      eventType: subscription.eventType,
      resourceVersion: subscription.resourceVersion,
      consumerId: subscription.consumerId,
      consumerActionId: subscription.consumerActionId,
      publisherInputs: subscription.publisherInputs,
      consumerInputs,
      createdBy: subscription.createdBy,
      createdDate: subscription.createdDate,
      modifiedBy: subscription.modifiedBy ?? subscription.createdBy,
      modifiedDate: subscription.modifiedDate,
    };
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

  #envelope(eventType: HookEventType, resource: unknown, text: string, resourceVersion: string): HookEvent {
    const message = { text, html: text, markdown: text };
    return {
      id: randomUUID(),
      eventType,
      publisherId: eventType.startsWith('git.') ? 'tfs' : 'pipelines',
      ...(eventType.startsWith('git.') ? { scope: 'all' as const } : {}),
      message,
      detailedMessage: message,
      resource,
      resourceVersion,
      resourceContainers: {
        collection: { id: this.collectionId },
        account: { id: this.accountId },
        project: { id: this.project.id },
      },
      createdDate: this.isoNow(),
    };
  }

  #publishPullRequest(eventType: HookEventType, pr: PullRequestState, text: string): void {
    const event = this.#envelope(eventType, this.pullRequestJson(pr), text, '1.0');
    this.hooks.publish(event, {
      projectId: this.project.id,
      repositoryId: pr.repositoryId,
      targetRefName: pr.targetRefName,
    });
  }

  #publishApproval(eventType: HookEventType, approval: ApprovalState): void {
    const target = `pipeline ${approval.run?.name ?? approval.pipeline?.name ?? ''} to environment ${approval.environment?.name ?? ''}`;
    const text =
      eventType === 'ms.vss-pipelinechecks-events.approval-pending'
        ? `Approval pending for deployment of ${target}.`
        : `Approval ${approval.status} for deployment of ${target}.`;
    const resource = {
      approval: this.approvalJson(approval, { steps: true }),
      projectId: this.project.id,
      pipeline: approval.pipeline ? { id: approval.pipeline.id, name: approval.pipeline.name } : null,
      stage: approval.stageName ? { name: approval.stageName, displayName: approval.stageName } : null,
      run: approval.run ? { id: approval.run.id, name: approval.run.name } : null,
      resource: approval.environment
        ? { type: 'environment', id: String(approval.environment.id), name: approval.environment.name }
        : null,
      id: 0,
      url: null,
      stageName: approval.stageName ?? null,
      attemptId: 1,
    };
    this.hooks.publish(this.#envelope(eventType, resource, text, '5.1-preview.1'), {
      projectId: this.project.id,
    });
  }
}

export function fullRef(branch: string): string {
  return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
}

/** Starts a simulator on a free loopback port (or `port`). */
export async function startAzureDevOpsSimulator(
  options: AzureDevOpsSimulatorOptions & { port?: number; host?: string } = {},
): Promise<AzureDevOpsSimulator> {
  const sim = new AzureDevOpsSimulator(options);
  await sim.start(options.port ?? 0, options.host ?? '127.0.0.1');
  return sim;
}
