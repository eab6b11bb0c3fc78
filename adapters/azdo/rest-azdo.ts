// The Azure DevOps adapter: the `AzureDevOps` port composed from one area per file over one connection
// (connection.ts: the shared HTTP client's timeouts, retries and redaction under every call):
// - git.ts: pull requests, threads, statuses, iterations, refs, tags (azure-devops-node-api GitApi);
// - pipelines.ts: runs and builds (PipelinesApi, BuildApi);
// - approvals.ts: pipeline approvals (typed calls of the 7.1 spec: the library has no client);
// - setup.ts: environments, checks, service hooks, the Status policy (scripts/setup.ts only).
// Every call is an operation of Microsoft's 7.1 OpenAPI specs (test/contract/azdo-spec.test.ts).
import { AzureDevOpsApprovals } from './approvals.ts';
import type { AzureDevOps } from './azdo.ts';
import { AzureDevOpsConnection, type ConnectionOptions } from './connection.ts';
import { AzureDevOpsGit } from './git.ts';
import { AzureDevOpsPipelines } from './pipelines.ts';
import { AzureDevOpsSetup } from './setup.ts';

export type { AzureDevOpsAuth } from './connection.ts';

export interface RestAzureDevOpsOptions extends ConnectionOptions {
  /**
   * The authenticated identity's id, used as `autoCompleteSetBy.id` (Azure DevOps accepts only the
   * caller's own id there). When absent it is learned from the author of the first thread we post (the
   * note that explains the auto-complete).
   */
  identityId?: string;
}

export class RestAzureDevOps implements AzureDevOps {
  readonly #git: AzureDevOpsGit;
  readonly #pipelines: AzureDevOpsPipelines;
  readonly #approvals: AzureDevOpsApprovals;
  readonly #setup: AzureDevOpsSetup;

  constructor(options: RestAzureDevOpsOptions) {
    const connection = new AzureDevOpsConnection(options);
    this.#git = new AzureDevOpsGit(connection, options.identityId);
    this.#pipelines = new AzureDevOpsPipelines(connection);
    this.#approvals = new AzureDevOpsApprovals(connection);
    this.#setup = new AzureDevOpsSetup(connection);
  }

  listActivePullRequests: AzureDevOps['listActivePullRequests'] = (filter) =>
    this.#git.listActivePullRequests(filter);
  getPullRequest: AzureDevOps['getPullRequest'] = (repo, id) => this.#git.getPullRequest(repo, id);
  listIterations: AzureDevOps['listIterations'] = (repo, id) => this.#git.listIterations(repo, id);
  getIterationChanges: AzureDevOps['getIterationChanges'] = (repo, id, iteration) =>
    this.#git.getIterationChanges(repo, id, iteration);
  postReview: AzureDevOps['postReview'] = (repo, id, review) => this.#git.postReview(repo, id, review);
  listReviewThreads: AzureDevOps['listReviewThreads'] = (repo, id) => this.#git.listReviewThreads(repo, id);
  replyToThread: AzureDevOps['replyToThread'] = (repo, id, thread, content) =>
    this.#git.replyToThread(repo, id, thread, content);
  setThreadStatus: AzureDevOps['setThreadStatus'] = (repo, id, thread, status) =>
    this.#git.setThreadStatus(repo, id, thread, status);
  setPullRequestStatus: AzureDevOps['setPullRequestStatus'] = (repo, id, status) =>
    this.#git.setPullRequestStatus(repo, id, status);
  completePullRequest: AzureDevOps['completePullRequest'] = (repo, id, input) =>
    this.#git.completePullRequest(repo, id, input);
  cancelAutoComplete: AzureDevOps['cancelAutoComplete'] = (repo, id) =>
    this.#git.cancelAutoComplete(repo, id);
  createPullRequest: AzureDevOps['createPullRequest'] = (repo, input) =>
    this.#git.createPullRequest(repo, input);
  findPullRequestByMergeCommit: AzureDevOps['findPullRequestByMergeCommit'] = (repo, commit) =>
    this.#git.findPullRequestByMergeCommit(repo, commit);
  createAnnotatedTag: AzureDevOps['createAnnotatedTag'] = (repo, tag) =>
    this.#git.createAnnotatedTag(repo, tag);

  runPipeline: AzureDevOps['runPipeline'] = (pipelineId, input) =>
    this.#pipelines.runPipeline(pipelineId, input);
  getPipelineRun: AzureDevOps['getPipelineRun'] = (pipelineId, runId) =>
    this.#pipelines.getPipelineRun(pipelineId, runId);
  getBuild: AzureDevOps['getBuild'] = (buildId) => this.#pipelines.getBuild(buildId);

  listPendingApprovals: AzureDevOps['listPendingApprovals'] = () => this.#approvals.listPendingApprovals();
  listApprovals: AzureDevOps['listApprovals'] = (state) => this.#approvals.listApprovals(state);
  getApproval: AzureDevOps['getApproval'] = (id, options) => this.#approvals.getApproval(id, options);
  decideApproval: AzureDevOps['decideApproval'] = (id, decision) =>
    this.#approvals.decideApproval(id, decision);

  ensureEnvironment: AzureDevOps['ensureEnvironment'] = (name, description) =>
    this.#setup.ensureEnvironment(name, description);
  ensureApprovalCheck: AzureDevOps['ensureApprovalCheck'] = (environment, check) =>
    this.#setup.ensureApprovalCheck(environment, check);
  ensureServiceHook: AzureDevOps['ensureServiceHook'] = (hook) => this.#setup.ensureServiceHook(hook);
  ensureStatusPolicy: AzureDevOps['ensureStatusPolicy'] = (policy) => this.#setup.ensureStatusPolicy(policy);
}
