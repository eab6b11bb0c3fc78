// The Azure DevOps adapter: typed REST calls through the shared HTTP client, each one an operation of
// Microsoft's 7.1 OpenAPI specs (test/contract/azdo-spec.test.ts holds us to that).
//
// Why not azure-devops-node-api: it starts with location discovery (`OPTIONS _apis/{area}`,
// `GET _apis/ResourceAreas`) and negotiates 7.2-preview versions. Neither is in the 7.1 specs, it has no
// client for approvals, checks or environments, and it would bypass our timeouts, retries and redaction.
import * as z from 'zod/mini';
import { type ErrorFields, isReleaseAgentError, ReleaseAgentError } from '../../core/errors.ts';
import { parseOrFail } from '../../core/input.ts';
import { redact, type Secret } from '../../core/secret.ts';
import { createHttpClient, type HttpClient, type RequestOptions } from '../http/http-client.ts';
import type { Clock, RetryPolicy } from '../http/retry.ts';
import {
  type AnnotatedTag,
  APPROVAL_CHECK_TYPE_ID,
  type Approval,
  type ApprovalCheckInput,
  type ApprovalDecision,
  type ApprovalStatus,
  type AzureDevOps,
  type Build,
  type CompletePullRequestInput,
  type CompletionOutcome,
  type CreatePullRequestInput,
  type Environment,
  type FileChangeType,
  type FoldReason,
  type Identity,
  type InlineComment,
  type IterationChange,
  type PipelineRun,
  type PostedReview,
  type PostReviewInput,
  type PullRequest,
  type PullRequestIteration,
  type PullRequestStatusInput,
  REVIEW_STATUS_CONTEXT,
  type RunPipelineInput,
  type ServiceHookInput,
  type ServiceHookSubscription,
  type ReviewThread,
  type ThreadStatus,
} from './azdo.ts';
import { FINDING_PROPERTY, SUMMARY_PROPERTY } from '../../core/review-threads.ts';

/** A thread property as the service stores it. */
function stringProperty(value: string): { $type: string; $value: string } {
  return { $type: 'System.String', $value: value };
}

export type AzureDevOpsAuth =
  /** A personal access token: Basic auth with an empty user name. */
  | { kind: 'pat'; token: Secret }
  /** The pipeline's System.AccessToken (or an Entra token). */
  | { kind: 'bearer'; token: Secret };

export interface RestAzureDevOpsOptions {
  /** e.g. https://dev.azure.com/acme */
  organizationUrl: string;
  project: string;
  auth: AzureDevOpsAuth;
  /**
   * The authenticated identity's id, used as `autoCompleteSetBy.id` (Azure DevOps accepts only the
   * caller's own id there). `connectionData` is not in the 7.1 specs, so when this is absent the id is
   * learned from the author of the first thread we post (the note that explains the auto-complete).
   */
  identityId?: string;
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  onRetry?(info: { operation: string; attempt: number; delayMs: number; error: unknown }): void;
}

const API = '7.1';
/** Check configurations exist only as a preview in 7.1; plain 7.1 is refused with a 400. */
const CHECKS_API = '7.1-preview.1';

/** A check configuration as listed with `$expand=settings` (the Approval type's settings). */
const PAGE_SIZE = 100;
const CHANGES_PAGE_SIZE = 2000;
const MAX_PAGES = 100;
const DESCRIPTION_LIMIT = 4000;
const EMPTY_IDENTITY = '00000000-0000-0000-0000-000000000000';
const GIT_EVENT_VERSION = '1.0';
const APPROVAL_EVENT_VERSION = '5.1-preview.1';

interface WireIdentity {
  id?: string;
  displayName?: string;
  uniqueName?: string;
}

interface WirePullRequest {
  pullRequestId: number;
  repository?: { id?: string; name?: string };
  title?: string;
  description?: string;
  status?: string;
  sourceRefName?: string;
  targetRefName?: string;
  lastMergeSourceCommit?: { commitId?: string };
  lastMergeCommit?: { commitId?: string };
  mergeStatus?: string;
  createdBy?: WireIdentity;
  creationDate?: string;
  closedDate?: string;
  isDraft?: boolean;
  autoCompleteSetBy?: WireIdentity;
}

interface WireList<T> {
  count?: number;
  value?: T[];
}

interface WireServiceError {
  message?: string;
  typeKey?: string;
}

/** The Status policy's type id (Azure DevOps' _apis/policy/types). */
const STATUS_POLICY_TYPE_ID = 'cbdc66da-9728-4af8-aada-9a5a32e4a226';

interface WirePolicy {
  id: number;
  settings?: {
    statusName?: string;
    statusGenre?: string;
    scope?: { repositoryId?: string | null; refName?: string }[];
  };
}

interface WireThread {
  id: number;
  status?: string;
  properties?: Record<string, { $type?: string; $value?: unknown }> | null;
  comments?: { id?: number; author?: WireIdentity; content?: string }[];
}

interface WireIteration {
  id: number;
  sourceRefCommit?: { commitId?: string };
  targetRefCommit?: { commitId?: string };
  createdDate?: string;
}

interface WireChange {
  changeTrackingId?: number;
  changeType?: string;
  item?: { path?: string };
  originalPath?: string;
}

interface WireRun {
  id: number;
  name?: string;
  pipeline?: { id?: number };
  state?: string;
  result?: string;
  createdDate?: string;
  finishedDate?: string;
  _links?: { web?: { href?: string } };
}

interface WireApproval {
  id: string;
  status?: string;
  createdOn?: string;
  instructions?: string;
  minRequiredApprovers?: number;
  executionOrder?: string;
  permissions?: string;
  steps?: {
    assignedApprover?: WireIdentity;
    actualApprover?: WireIdentity;
    status?: string;
    comment?: string;
  }[];
  pipeline?: { id?: string; name?: string; owner?: { id?: number; name?: string } };
}

interface WireCheckConfiguration {
  id: number;
  type?: { id?: string; name?: string };
  resource?: { type?: string; id?: string; name?: string };
  timeout?: number;
  settings?: { approvers?: { id?: string }[]; instructions?: string; [key: string]: unknown };
  [key: string]: unknown;
}

interface WireSubscription {
  id: string;
  modifiedBy?: WireIdentity;
  publisherInputs?: Record<string, string>;
  consumerInputs?: Record<string, string>;
}

type CallOptions = Omit<RequestOptions, 'query'> & {
  query?: RequestOptions['query'];
  apiVersion?: string;
  /** Identifiers added to any error (repo, prId, …). */
  fields?: ErrorFields;
  /** Extra values to redact from error text (secrets in this request's body). */
  secrets?: (Secret | string)[];
};

export class RestAzureDevOps implements AzureDevOps {
  readonly #http: HttpClient;
  readonly #organizationUrl: string;
  readonly #project: string;
  #identityId: string | undefined;
  #projectId: string | undefined;

  constructor(options: RestAzureDevOpsOptions) {
    this.#organizationUrl = options.organizationUrl.replace(/\/+$/, '');
    this.#project = options.project;
    this.#identityId = options.identityId;
    const token = options.auth.token.reveal();
    const authorization =
      options.auth.kind === 'pat'
        ? `Basic ${Buffer.from(`:${token}`).toString('base64')}`
        : `Bearer ${token}`;
    this.#http = createHttpClient({
      service: 'azure-devops',
      baseUrl: this.#organizationUrl,
      headers: { authorization },
      secrets: [options.auth.token, authorization],
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
  }

  // ---- pull requests ----

  async listActivePullRequests(
    filter: { repository?: string; targetRefName?: string } = {},
  ): Promise<PullRequest[]> {
    const path = filter.repository
      ? `${this.#repoPath(filter.repository)}/pullrequests`
      : `${this.#projectPath()}/_apis/git/pullrequests`;
    const operation = filter.repository ? 'listRepositoryPullRequests' : 'listProjectPullRequests';
    return (
      await this.#pages<WirePullRequest>(
        operation,
        path,
        {
          'searchCriteria.status': 'active',
          'searchCriteria.targetRefName': filter.targetRefName,
        },
        { repo: filter.repository },
      )
    ).map((wire) => this.#pullRequest(wire));
  }

  async getPullRequest(repository: string, pullRequestId: number): Promise<PullRequest> {
    const wire = await this.#call<WirePullRequest>(
      'getPullRequest',
      'GET',
      this.#prPath(repository, pullRequestId),
      {
        fields: { repo: repository, prId: pullRequestId },
      },
    );
    return this.#pullRequest(expectObject(wire.body, 'getPullRequest'));
  }

  async listIterations(repository: string, pullRequestId: number): Promise<PullRequestIteration[]> {
    const response = await this.#call<WireList<WireIteration>>(
      'listIterations',
      'GET',
      `${this.#prSubPath(repository, pullRequestId)}/iterations`,
      { fields: { repo: repository, prId: pullRequestId } },
    );
    return listValue(response.body, 'listIterations').map((wire) => ({
      id: wire.id,
      sourceCommitId: wire.sourceRefCommit?.commitId,
      targetCommitId: wire.targetRefCommit?.commitId,
      createdDate: wire.createdDate ?? '',
    }));
  }

  async getIterationChanges(
    repository: string,
    pullRequestId: number,
    iterationId: number,
  ): Promise<IterationChange[]> {
    const changes: IterationChange[] = [];
    let skip = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.#call<{
        changeEntries?: WireChange[];
        nextSkip?: number;
        nextTop?: number;
      }>(
        'getIterationChanges',
        'GET',
        `${this.#prSubPath(repository, pullRequestId)}/iterations/${iterationId}/changes`,
        {
          query: { $top: CHANGES_PAGE_SIZE, $skip: skip },
          fields: { repo: repository, prId: pullRequestId, iterationId },
        },
      );
      const body = expectObject(response.body, 'getIterationChanges');
      for (const entry of body.changeEntries ?? []) {
        if (!entry.item?.path) continue;
        changes.push({
          path: entry.item.path,
          changeType: changeType(entry.changeType),
          changeTrackingId: entry.changeTrackingId,
          ...(entry.originalPath ? { originalPath: entry.originalPath } : {}),
        });
      }
      // The service says where the next page starts; no nextTop means this was the last one.
      if (!body.nextTop || body.nextSkip === undefined || body.nextSkip <= skip) break;
      skip = body.nextSkip;
    }
    return changes;
  }

  async postReview(
    repository: string,
    pullRequestId: number,
    review: PostReviewInput,
  ): Promise<PostedReview> {
    const changes = await this.getIterationChanges(repository, pullRequestId, review.iterationId);
    const byPath = new Map(changes.map((change) => [change.path, change]));
    const anchored: { comment: InlineComment; path: string; endLine: number; change: IterationChange }[] = [];
    const folded: PostedReview['folded'] = [];
    for (const comment of review.comments) {
      const path = normalizePath(comment.path);
      const endLine = comment.endLine ?? comment.line;
      const change = byPath.get(path);
      const lineCount =
        review.lineCounts?.[comment.path] ?? review.lineCounts?.[path] ?? review.lineCounts?.[path.slice(1)];
      let reason: FoldReason | undefined;
      if (!change) reason = 'file-not-in-iteration';
      else if (change.changeType === 'delete') reason = 'file-deleted';
      else if (!validLines(comment.line, endLine) || (lineCount !== undefined && endLine > lineCount))
        reason = 'line-out-of-range';
      if (reason || !change) folded.push({ ...comment, reason: reason ?? 'file-not-in-iteration' });
      else anchored.push({ comment, path, endLine, change });
    }

    const fields = { repo: repository, prId: pullRequestId, iterationId: review.iterationId };
    const summaryText = summaryWithFolded(review.summary, folded);
    const postSummary = () =>
      this.#postThread(
        repository,
        pullRequestId,
        {
          comments: [{ parentCommentId: 0, content: summaryText, commentType: 'text' }],
          status: review.summaryStatus ?? 'closed',
          ...(review.reviewSummary ? { properties: { [SUMMARY_PROPERTY]: stringProperty('1') } } : {}),
        },
        fields,
      );
    // In place when an earlier review's summary is there and ours to edit; a new one otherwise (another
    // identity wrote it, or it is gone).
    const summary =
      review.summaryThreadId !== undefined
        ? await this.#replaceSummary(
            repository,
            pullRequestId,
            review.summaryThreadId,
            summaryText,
            fields,
          ).catch((error: unknown) => {
            if (isReleaseAgentError(error, 'FORBIDDEN') || isReleaseAgentError(error, 'NOT_FOUND'))
              return postSummary();
            throw error;
          })
        : await postSummary();
    const inlineThreadIds: number[] = [];
    for (const { comment, path, endLine, change } of anchored) {
      const thread = await this.#postThread(
        repository,
        pullRequestId,
        {
          comments: [{ parentCommentId: 0, content: comment.body, commentType: 'text' }],
          status: review.inlineStatus ?? 'active',
          ...(comment.fingerprint
            ? { properties: { [FINDING_PROPERTY]: stringProperty(comment.fingerprint) } }
            : {}),
          threadContext: {
            filePath: path,
            rightFileStart: { line: comment.line, offset: 1 },
            rightFileEnd: { line: endLine, offset: 1 },
          },
          pullRequestThreadContext: {
            ...(change.changeTrackingId !== undefined ? { changeTrackingId: change.changeTrackingId } : {}),
            iterationContext: { firstComparingIteration: 1, secondComparingIteration: review.iterationId },
          },
        },
        { ...fields, path },
      );
      inlineThreadIds.push(thread.id);
    }
    return { summaryThreadId: summary.id, inlineThreadIds, folded };
  }

  async ensureStatusPolicy(policy: {
    refName: string;
    genre: string;
    name: string;
  }): Promise<{ id: number; created: boolean }> {
    const list = await this.#call<WireList<WirePolicy>>(
      'listPolicies',
      'GET',
      `${this.#projectPath()}/_apis/policy/configurations`,
      {
        query: { policyType: STATUS_POLICY_TYPE_ID },
      },
    );
    const existing = listValue(list.body, 'listPolicies').find(
      (candidate) =>
        candidate.settings?.statusName === policy.name &&
        (candidate.settings?.statusGenre ?? '') === policy.genre &&
        (candidate.settings?.scope ?? []).some(
          (scope) => !scope.repositoryId && scope.refName === policy.refName,
        ),
    );
    if (existing) return { id: existing.id, created: false };
    const response = await this.#call<WirePolicy>(
      'createPolicy',
      'POST',
      `${this.#projectPath()}/_apis/policy/configurations`,
      {
        body: {
          isEnabled: true,
          isBlocking: true,
          type: { id: STATUS_POLICY_TYPE_ID },
          settings: {
            statusGenre: policy.genre,
            statusName: policy.name,
            // A new push needs its own review: the status of an older iteration does not count.
            invalidateOnSourceUpdate: true,
            policyApplicability: null,
            scope: [{ repositoryId: null, refName: policy.refName, matchKind: 'exact' }],
          },
        },
        fields: { refName: policy.refName },
      },
    );
    return { id: expectObject(response.body, 'createPolicy').id, created: true };
  }

  async listReviewThreads(repository: string, pullRequestId: number): Promise<ReviewThread[]> {
    const response = await this.#call<WireList<WireThread>>(
      'listThreads',
      'GET',
      `${this.#prSubPath(repository, pullRequestId)}/threads`,
      { fields: { repo: repository, prId: pullRequestId } },
    );
    return listValue(response.body, 'listThreads').map((thread) => {
      const property = (key: string) => {
        const value = thread.properties?.[key]?.$value;
        return value === undefined || value === null ? undefined : String(value);
      };
      return {
        id: thread.id,
        status: thread.status ?? 'unknown',
        finding: property(FINDING_PROPERTY),
        summary: property(SUMMARY_PROPERTY) !== undefined,
        comments: (thread.comments ?? []).map((comment) => ({
          id: comment.id ?? 0,
          authorId: comment.author?.id ?? '',
          content: comment.content ?? '',
        })),
      };
    });
  }

  async replyToThread(
    repository: string,
    pullRequestId: number,
    threadId: number,
    content: string,
  ): Promise<void> {
    await this.#call(
      'replyToThread',
      'POST',
      `${this.#prSubPath(repository, pullRequestId)}/threads/${threadId}/comments`,
      {
        body: { content, parentCommentId: 1, commentType: 'text' },
        fields: { repo: repository, prId: pullRequestId, threadId },
      },
    );
  }

  /** The summary of an earlier review, its first comment's text replaced: one summary thread per PR. */
  async #replaceSummary(
    repository: string,
    pullRequestId: number,
    threadId: number,
    content: string,
    fields: ErrorFields,
  ): Promise<{ id: number }> {
    await this.#call(
      'updateComment',
      'PATCH',
      `${this.#prSubPath(repository, pullRequestId)}/threads/${threadId}/comments/1`,
      {
        body: { content },
        fields: { ...fields, threadId },
      },
    );
    return { id: threadId };
  }

  async setThreadStatus(
    repository: string,
    pullRequestId: number,
    threadId: number,
    status: ThreadStatus,
  ): Promise<void> {
    await this.#call(
      'setThreadStatus',
      'PATCH',
      `${this.#prSubPath(repository, pullRequestId)}/threads/${threadId}`,
      {
        body: { status },
        fields: { repo: repository, prId: pullRequestId, threadId },
      },
    );
  }

  async setPullRequestStatus(
    repository: string,
    pullRequestId: number,
    status: PullRequestStatusInput,
  ): Promise<number> {
    const response = await this.#call<{ id: number }>(
      'setPullRequestStatus',
      'POST',
      `${this.#prSubPath(repository, pullRequestId)}/statuses`,
      {
        body: {
          state: status.state,
          description: status.description,
          context: status.context ?? REVIEW_STATUS_CONTEXT,
          iterationId: status.iterationId,
          ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
        },
        fields: { repo: repository, prId: pullRequestId, iterationId: status.iterationId },
      },
    );
    return expectObject(response.body, 'setPullRequestStatus').id;
  }

  /**
   * PATCH status=completed pinned to the reviewed commit. What the service answers (and we do):
   * - 200 → completed, or accepted but still active (the merge is asynchronous; conflicts keep it active);
   * - 409 GitPullRequestStaleException (TF401192, the source moved) → PR_STALE_COMMIT;
   * - 403 GitPullRequestUpdateRejectedByPolicyException (required policies not met) → policies-pending
   *   (re-read: PR_STALE_COMMIT when the source moved meanwhile), or auto-complete when asked for;
   * - 400 GitPullRequestNotEditableException (TF401181, not active any more) → already completed, or
   *   CONFLICT when abandoned.
   * We never ask to bypass policies.
   */
  async completePullRequest(
    repository: string,
    pullRequestId: number,
    input: CompletePullRequestInput,
  ): Promise<CompletionOutcome> {
    const fields = { repo: repository, prId: pullRequestId, sourceCommit: input.sourceCommitId };
    // The service treats a missing or all-zero lastMergeSourceCommit as "none" and merges whatever the
    // branch holds: refuse to send one.
    if (!/^[0-9a-f]{40}$/i.test(input.sourceCommitId) || /^0+$/.test(input.sourceCommitId)) {
      throw new ReleaseAgentError(
        'INPUT_INVALID',
        `cannot complete PR ${pullRequestId} in ${repository}: "${input.sourceCommitId.slice(0, 64)}" is not a commit id`,
        { ...fields, field: 'sourceCommitId' },
      );
    }
    const response = await this.#call<WirePullRequest | WireServiceError>(
      'completePullRequest',
      'PATCH',
      this.#prPath(repository, pullRequestId),
      {
        body: {
          status: 'completed',
          lastMergeSourceCommit: { commitId: input.sourceCommitId },
          completionOptions: completionOptions(input),
        },
        acceptStatuses: [400, 403, 409],
        fields,
      },
    );
    if (response.status < 300) {
      const pullRequest = this.#pullRequest(response.body as WirePullRequest);
      return { kind: pullRequest.status === 'completed' ? 'completed' : 'completion-pending', pullRequest };
    }

    const refusal = response.body as WireServiceError;
    const message = refusal.message ?? `answered ${response.status}`;
    if (
      response.status === 409 &&
      (refusal.typeKey === 'GitPullRequestStaleException' || message.includes('TF401192'))
    ) {
      const current = await this.getPullRequest(repository, pullRequestId);
      throw staleCommit(repository, pullRequestId, input.sourceCommitId, current.sourceCommitId, message);
    }
    if (response.status === 403 && refusal.typeKey === 'GitPullRequestUpdateRejectedByPolicyException') {
      if (input.whenPoliciesPending === 'auto-complete')
        return await this.#setAutoComplete(repository, pullRequestId, input, message);
      const current = await this.getPullRequest(repository, pullRequestId);
      if (current.status === 'completed') return { kind: 'already-completed', pullRequest: current };
      if (current.sourceCommitId !== input.sourceCommitId) {
        throw staleCommit(
          repository,
          pullRequestId,
          input.sourceCommitId,
          current.sourceCommitId,
          'the source branch moved',
        );
      }
      return { kind: 'policies-pending', pullRequest: current, reason: message };
    }
    if (
      response.status === 400 &&
      (refusal.typeKey === 'GitPullRequestNotEditableException' || message.includes('TF401181'))
    ) {
      const current = await this.getPullRequest(repository, pullRequestId);
      if (current.status === 'completed') return { kind: 'already-completed', pullRequest: current };
      throw new ReleaseAgentError(
        'CONFLICT',
        `PR ${pullRequestId} in ${repository} is ${current.status}: it cannot be completed`,
        {
          ...fields,
          status: current.status,
        },
      );
    }
    throw refusalError(
      response.status,
      `azure-devops completePullRequest answered ${response.status}: ${message}`,
      {
        ...fields,
        typeKey: refusal.typeKey,
      },
    );
  }

  async cancelAutoComplete(repository: string, pullRequestId: number): Promise<void> {
    // The empty identity is how Azure DevOps turns auto-complete off.
    await this.#call('cancelAutoComplete', 'PATCH', this.#prPath(repository, pullRequestId), {
      body: { autoCompleteSetBy: { id: EMPTY_IDENTITY } },
      fields: { repo: repository, prId: pullRequestId },
    });
  }

  async createPullRequest(
    repository: string,
    input: CreatePullRequestInput,
  ): Promise<{ pullRequest: PullRequest; created: boolean }> {
    const fields = {
      repo: repository,
      sourceRefName: input.sourceRefName,
      targetRefName: input.targetRefName,
    };
    const response = await this.#call<WirePullRequest | WireServiceError>(
      'createPullRequest',
      'POST',
      `${this.#repoPath(repository)}/pullrequests`,
      {
        body: {
          sourceRefName: input.sourceRefName,
          targetRefName: input.targetRefName,
          title: input.title,
          description: input.description.slice(0, DESCRIPTION_LIMIT),
          isDraft: input.isDraft ?? false,
        },
        // 409 GitPullRequestExistsException (TF401179): an active PR for these branches exists; reuse it.
        acceptStatuses: [409],
        fields,
      },
    );
    if (response.status < 300)
      return { pullRequest: this.#pullRequest(response.body as WirePullRequest), created: true };
    const existing = await this.#pages<WirePullRequest>(
      'listRepositoryPullRequests',
      `${this.#repoPath(repository)}/pullrequests`,
      {
        'searchCriteria.status': 'active',
        'searchCriteria.sourceRefName': input.sourceRefName,
        'searchCriteria.targetRefName': input.targetRefName,
      },
      fields,
    );
    const match = existing[0];
    if (!match) {
      throw new ReleaseAgentError(
        'CONFLICT',
        `azure-devops createPullRequest answered 409: ${(response.body as WireServiceError).message ?? ''}`,
        fields,
      );
    }
    return { pullRequest: await this.getPullRequest(repository, match.pullRequestId), created: false };
  }

  async findPullRequestByMergeCommit(repository: string, commitId: string): Promise<PullRequest | undefined> {
    const response = await this.#call<{ results?: Record<string, WirePullRequest[]>[] }>(
      'queryPullRequestsByCommit',
      'POST',
      `${this.#repoPath(repository)}/pullrequestquery`,
      {
        body: { queries: [{ type: 'lastMergeCommit', items: [commitId] }] },
        // A query changes nothing: safe to send again.
        idempotent: true,
        fields: { repo: repository, commitId },
      },
    );
    const found = expectObject(response.body, 'queryPullRequestsByCommit').results?.[0]?.[commitId] ?? [];
    const completed = found.find((wire) => wire.status === 'completed');
    return completed ? this.#pullRequest(completed) : undefined;
  }

  async createAnnotatedTag(
    repository: string,
    tag: { name: string; commitId: string; message: string },
  ): Promise<AnnotatedTag> {
    const fields = { repo: repository, tag: tag.name, commitId: tag.commitId };
    const response = await this.#call<
      { objectId?: string; taggedObject?: { objectId?: string } } | WireServiceError
    >('createAnnotatedTag', 'POST', `${this.#repoPath(repository)}/annotatedtags`, {
      body: { name: tag.name, taggedObject: { objectId: tag.commitId }, message: tag.message },
      // A repeat finds the tag already there (409) and is answered below: safe to retry.
      idempotent: true,
      acceptStatuses: [409],
      fields,
    });
    if (response.status < 300) {
      const created = response.body as { objectId?: string };
      return { name: tag.name, objectId: created.objectId ?? '', commitId: tag.commitId, created: true };
    }
    const refs = await this.#call<WireList<{ name: string; objectId: string; peeledObjectId?: string }>>(
      'listRefs',
      'GET',
      `${this.#repoPath(repository)}/refs`,
      { query: { filter: `tags/${tag.name}`, peelTags: true }, fields },
    );
    const existing = listValue(refs.body, 'listRefs').find((ref) => ref.name === `refs/tags/${tag.name}`);
    const taggedCommit = existing?.peeledObjectId ?? existing?.objectId;
    if (existing && taggedCommit === tag.commitId) {
      return { name: tag.name, objectId: existing.objectId, commitId: tag.commitId, created: false };
    }
    throw new ReleaseAgentError(
      'CONFLICT',
      `tag ${tag.name} already exists in ${repository} on another commit (${taggedCommit ?? 'unknown'})`,
      {
        ...fields,
        existingCommitId: taggedCommit,
      },
    );
  }

  // ---- pipelines ----

  async runPipeline(pipelineId: number, input: RunPipelineInput = {}): Promise<PipelineRun> {
    const self = {
      ...(input.refName ? { refName: input.refName } : {}),
      ...(input.version ? { version: input.version } : {}),
    };
    const response = await this.#call<WireRun>(
      'runPipeline',
      'POST',
      `${this.#projectPath()}/_apis/pipelines/${pipelineId}/runs`,
      {
        body: {
          ...(input.templateParameters ? { templateParameters: input.templateParameters } : {}),
          ...(Object.keys(self).length > 0 ? { resources: { repositories: { self } } } : {}),
        },
        fields: { pipelineId },
      },
    );
    return pipelineRun(expectObject(response.body, 'runPipeline'), pipelineId);
  }

  async getPipelineRun(pipelineId: number, runId: number): Promise<PipelineRun> {
    const response = await this.#call<WireRun>(
      'getPipelineRun',
      'GET',
      `${this.#projectPath()}/_apis/pipelines/${pipelineId}/runs/${runId}`,
      {
        fields: { pipelineId, runId },
      },
    );
    return pipelineRun(expectObject(response.body, 'getPipelineRun'), pipelineId);
  }

  async getBuild(buildId: number): Promise<Build> {
    const response = await this.#call<WireBuild>(
      'getBuild',
      'GET',
      `${this.#projectPath()}/_apis/build/builds/${buildId}`,
      { fields: { buildId } },
    );
    return build(expectObject(response.body, 'getBuild'));
  }

  // ---- approvals ----

  async listPendingApprovals(): Promise<Approval[]> {
    return await this.listApprovals('pending');
  }

  async listApprovals(state: 'pending' | 'approved' | 'rejected' | 'completed'): Promise<Approval[]> {
    const response = await this.#call<WireList<WireApproval>>(
      'listApprovals',
      'GET',
      `${this.#projectPath()}/_apis/pipelines/approvals`,
      {
        query: { state, $expand: 'steps' },
      },
    );
    return listValue(response.body, 'listApprovals').map(approval);
  }

  async getApproval(approvalId: string, options: { permissions?: boolean } = {}): Promise<Approval> {
    const response = await this.#call<WireApproval>(
      'getApproval',
      'GET',
      `${this.#projectPath()}/_apis/pipelines/approvals/${encodeURIComponent(approvalId)}`,
      // `$expand` is a flags enum: both values, comma-separated.
      { query: { $expand: options.permissions ? 'steps,permissions' : 'steps' }, fields: { approvalId } },
    );
    return approval(expectObject(response.body, 'getApproval'));
  }

  async decideApproval(approvalId: string, decision: ApprovalDecision): Promise<Approval> {
    const fields = { approvalId, decision: decision.status };
    const response = await this.#call<WireList<WireApproval> | WireServiceError>(
      'updateApproval',
      'PATCH',
      `${this.#projectPath()}/_apis/pipelines/approvals`,
      {
        body: [{ approvalId, status: decision.status, comment: decision.comment }],
        acceptStatuses: [400, 403, 409],
        fields,
      },
    );
    if (response.status < 300) {
      const updated = listValue(response.body as WireList<WireApproval>, 'updateApproval').find(
        (item) => item.id === approvalId,
      );
      if (updated) return approval(updated);
      return await this.getApproval(approvalId);
    }
    // The refusal text is not part of the contract; the approval's own status and our permissions are.
    const current = await this.getApproval(approvalId, { permissions: true });
    if (current.status !== 'pending') {
      throw new ReleaseAgentError('CONFLICT', `approval ${approvalId} is already ${current.status}`, {
        ...fields,
        currentStatus: current.status,
      });
    }
    if (response.status === 403 || current.callerMayUpdate === false) {
      throw new ReleaseAgentError(
        'FORBIDDEN',
        `azure-devops does not let the app's identity answer approval ${approvalId}: it is not one of its approvers (or not in an approver group), is blocked, has answered already, or it is not its turn`,
        { ...fields, status: response.status },
      );
    }
    throw refusalError(
      response.status,
      `azure-devops updateApproval answered ${response.status}: ${(response.body as WireServiceError).message ?? ''}`,
      fields,
    );
  }

  // ---- setup ----

  async ensureEnvironment(name: string, description = ''): Promise<Environment> {
    const path = `${this.#projectPath()}/_apis/distributedtask/environments`;
    const found = await this.#call<WireList<{ id: number; name: string }>>('listEnvironments', 'GET', path, {
      query: { name },
      fields: { environment: name },
    });
    const existing = listValue(found.body, 'listEnvironments').find(
      (env) => env.name.toLowerCase() === name.toLowerCase(),
    );
    if (existing) return { id: existing.id, name: existing.name, created: false };
    const created = await this.#call<{ id: number; name: string }>('createEnvironment', 'POST', path, {
      body: { name, description },
      fields: { environment: name },
    });
    const env = expectObject(created.body, 'createEnvironment');
    return { id: env.id, name: env.name, created: true };
  }

  async ensureApprovalCheck(
    environment: { id: number; name: string },
    check: ApprovalCheckInput,
  ): Promise<{ id: number; created: boolean; approversAdded: string[]; markerAdded: boolean }> {
    const path = `${this.#projectPath()}/_apis/pipelines/checks/configurations`;
    const fields = { environment: environment.name, environmentId: environment.id };
    const found = await this.#call<WireList<WireCheckConfiguration>>('listCheckConfigurations', 'GET', path, {
      apiVersion: CHECKS_API,
      query: { resourceType: 'environment', resourceId: String(environment.id), $expand: 'settings' },
      fields,
    });
    const existing = listValue(found.body, 'listCheckConfigurations').find(
      (config) => config.type?.id === APPROVAL_CHECK_TYPE_ID,
    );
    if (existing) {
      // The check is someone's: keep what people configured; add only the approvers it lacks (the app's own
      // identity first of all) and our gate marker to its instructions, in one update.
      const settings = existing.settings ?? {};
      const approvers = settings.approvers ?? [];
      const have = new Set(approvers.map((approver) => approver.id?.toLowerCase()));
      const missing = check.approverIds.filter((id) => !have.has(id.toLowerCase()));
      const instructions = settings.instructions ?? '';
      const markerAdded =
        Boolean(check.marker) && !instructions.toLowerCase().includes(check.marker!.toLowerCase());
      if (missing.length === 0 && !markerAdded)
        return { id: existing.id, created: false, approversAdded: [], markerAdded: false };
      await this.#call('updateCheckConfiguration', 'PATCH', `${path}/${existing.id}`, {
        apiVersion: CHECKS_API,
        body: {
          ...existing,
          resource: existing.resource ?? {
            type: 'environment',
            id: String(environment.id),
            name: environment.name,
          },
          settings: {
            ...settings,
            approvers: [...approvers, ...missing.map((id) => ({ id }))],
            ...(markerAdded ? { instructions: `${instructions} ${check.marker}`.trim() } : {}),
          },
        },
        fields: { ...fields, checkId: existing.id },
      });
      return { id: existing.id, created: false, approversAdded: missing, markerAdded };
    }
    const created = await this.#call<{ id: number }>('addCheckConfiguration', 'POST', path, {
      apiVersion: CHECKS_API,
      body: {
        type: { id: APPROVAL_CHECK_TYPE_ID, name: 'Approval' },
        // `settings` belongs to the Approval check type (ApprovalConfigSettings in the approvals spec);
        // the generic CheckConfiguration schema does not list it, the service requires it.
        settings: {
          approvers: check.approverIds.map((id) => ({ id })),
          executionOrder: 'anyOrder',
          minRequiredApprovers: check.minRequiredApprovers ?? 1,
          instructions: check.instructions ?? '',
          blockedApprovers: [],
          requesterCannotBeApprover: false,
        },
        resource: { type: 'environment', id: String(environment.id), name: environment.name },
        timeout: check.timeoutMinutes ?? 43_200,
      },
      fields,
    });
    return {
      id: expectObject(created.body, 'addCheckConfiguration').id,
      created: true,
      approversAdded: [...check.approverIds],
      markerAdded: false,
    };
  }

  async ensureServiceHook(hook: ServiceHookInput): Promise<ServiceHookSubscription> {
    const projectId = await this.#resolveProjectId();
    const publisherId = hook.eventType.startsWith('git.') ? 'tfs' : 'pipelines';
    const headerSecrets = Object.values(hook.headers ?? {});
    const secrets = [...headerSecrets, ...(hook.basicAuth ? [hook.basicAuth.password] : [])];
    const consumerInputs: Record<string, string> = {
      url: hook.url,
      resourceDetailsToSend: 'all',
      messagesToSend: 'none',
      detailedMessagesToSend: 'none',
    };
    const headerLines = Object.entries(hook.headers ?? {}).map(
      ([name, value]) => `${name}:${value.reveal()}`,
    );
    if (headerLines.length > 0) consumerInputs.httpHeaders = headerLines.join('\n');
    if (hook.basicAuth) {
      consumerInputs.basicAuthUsername = hook.basicAuth.username;
      consumerInputs.basicAuthPassword = hook.basicAuth.password.reveal();
    }
    const publisherInputs: Record<string, string> = {
      projectId,
      ...(hook.repositoryId ? { repository: hook.repositoryId } : {}),
    };
    const body = {
      publisherId,
      eventType: hook.eventType,
      resourceVersion: publisherId === 'tfs' ? GIT_EVENT_VERSION : APPROVAL_EVENT_VERSION,
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      publisherInputs,
      consumerInputs,
    };
    const fields = { eventType: hook.eventType };
    const found = await this.#call<WireList<WireSubscription>>(
      'listSubscriptions',
      'GET',
      '_apis/hooks/subscriptions',
      {
        query: {
          publisherId,
          eventType: hook.eventType,
          consumerId: 'webHooks',
          consumerActionId: 'httpRequest',
        },
        fields,
      },
    );
    const existing = listValue(found.body, 'listSubscriptions').find(
      (sub) =>
        sub.consumerInputs?.url === hook.url &&
        sub.publisherInputs?.projectId === projectId &&
        (sub.publisherInputs?.repository ?? '') === (hook.repositoryId ?? ''),
    );
    if (existing) {
      // Replaced in place so a rotated secret reaches the subscription (the service masks it on read).
      const replaced = await this.#call<WireSubscription>(
        'replaceSubscription',
        'PUT',
        `_apis/hooks/subscriptions/${encodeURIComponent(existing.id)}`,
        {
          body: { ...body, id: existing.id },
          fields: { ...fields, subscriptionId: existing.id },
          secrets,
        },
      );
      const modifiedBy = (replaced.body as WireSubscription | undefined)?.modifiedBy;
      return {
        id: existing.id,
        created: false,
        modifiedBy: modifiedBy?.id ? identity(modifiedBy) : undefined,
      };
    }
    const created = await this.#call<WireSubscription>(
      'createSubscription',
      'POST',
      '_apis/hooks/subscriptions',
      { body, fields, secrets },
    );
    const subscription = expectObject(created.body, 'createSubscription');
    return {
      id: subscription.id,
      created: true,
      modifiedBy: subscription.modifiedBy?.id ? identity(subscription.modifiedBy) : undefined,
    };
  }

  // ---- internals ----

  async #setAutoComplete(
    repository: string,
    pullRequestId: number,
    input: CompletePullRequestInput,
    reason: string,
  ): Promise<CompletionOutcome> {
    const before = await this.getPullRequest(repository, pullRequestId);
    if (before.sourceCommitId !== input.sourceCommitId) {
      throw staleCommit(
        repository,
        pullRequestId,
        input.sourceCommitId,
        before.sourceCommitId,
        'the source branch moved',
      );
    }
    // A visible note for people, and (when not configured) the source of our own identity id.
    const note = await this.#postThread(
      repository,
      pullRequestId,
      {
        comments: [{ parentCommentId: 0, content: autoCompleteNote(input), commentType: 'text' }],
        status: 'closed',
      },
      { repo: repository, prId: pullRequestId },
    );
    const identityId = this.#identityId ?? note.comments?.[0]?.author?.id;
    if (!identityId) {
      throw new ReleaseAgentError(
        'SERVICE_MALFORMED',
        'azure-devops did not say who posted a thread: cannot set auto-complete',
        {
          repo: repository,
          prId: pullRequestId,
        },
      );
    }
    await this.#call('setAutoComplete', 'PATCH', this.#prPath(repository, pullRequestId), {
      body: { autoCompleteSetBy: { id: identityId }, completionOptions: completionOptions(input) },
      fields: { repo: repository, prId: pullRequestId },
    });
    // Auto-complete cannot be pinned to a commit: if a push slipped in, take it back.
    const after = await this.getPullRequest(repository, pullRequestId);
    if (after.status === 'completed') return { kind: 'completed', pullRequest: after };
    if (after.sourceCommitId !== input.sourceCommitId) {
      await this.cancelAutoComplete(repository, pullRequestId);
      throw staleCommit(
        repository,
        pullRequestId,
        input.sourceCommitId,
        after.sourceCommitId,
        'the source branch moved',
      );
    }
    return { kind: 'auto-complete-set', pullRequest: after, reason };
  }

  async #postThread(
    repository: string,
    pullRequestId: number,
    body: unknown,
    fields: ErrorFields,
  ): Promise<WireThread> {
    const response = await this.#call<WireThread>(
      'createThread',
      'POST',
      `${this.#prSubPath(repository, pullRequestId)}/threads`,
      {
        body,
        fields,
      },
    );
    const thread = expectObject(response.body, 'createThread');
    this.#identityId ??= thread.comments?.[0]?.author?.id;
    return thread;
  }

  async #resolveProjectId(): Promise<string> {
    if (this.#projectId) return this.#projectId;
    const response = await this.#call<{ id: string }>(
      'getProject',
      'GET',
      `_apis/projects/${encodeURIComponent(this.#project)}`,
      {
        fields: { project: this.#project },
      },
    );
    this.#projectId = expectObject(response.body, 'getProject').id;
    return this.#projectId;
  }

  async #pages<T extends { pullRequestId: number }>(
    operation: string,
    path: string,
    query: Record<string, string | undefined>,
    fields: ErrorFields,
  ): Promise<T[]> {
    const items = new Map<number, T>();
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.#call<WireList<T>>(operation, 'GET', path, {
        query: { ...query, $top: PAGE_SIZE, $skip: page * PAGE_SIZE },
        fields,
      });
      const value = listValue(response.body, operation);
      const before = items.size;
      for (const item of value) items.set(item.pullRequestId, item);
      // A short page is the last; a page with nothing new means the service ignored $skip.
      if (value.length < PAGE_SIZE || items.size === before) break;
    }
    return [...items.values()];
  }

  async #call<T>(
    operation: string,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<{ status: number; body: T }> {
    const { apiVersion = API, query, fields = {}, secrets = [], ...rest } = options;
    let response: { status: number; body: unknown };
    try {
      response = await this.#http.request(operation, method, path, {
        ...rest,
        query: { ...query, 'api-version': apiVersion },
      });
    } catch (error) {
      throw translate(error, fields, secrets);
    }
    if (response.status === 203) {
      // Azure DevOps' answer to a bad or expired PAT on some routes: a sign-in page, not a 401.
      throw new ReleaseAgentError(
        'AUTH_INVALID',
        `azure-devops ${operation} answered 203 with a sign-in page: the token is invalid or expired`,
        {
          ...fields,
          service: 'azure-devops',
          operation,
          status: 203,
        },
      );
    }
    if (typeof response.body === 'string') {
      throw new ReleaseAgentError(
        'SERVICE_MALFORMED',
        `azure-devops ${operation} answered ${response.status} with a body that is not JSON`,
        {
          ...fields,
          service: 'azure-devops',
          operation,
          status: response.status,
        },
      );
    }
    return response as { status: number; body: T };
  }

  #pullRequest(wire: WirePullRequest): PullRequest {
    const repoName = wire.repository?.name ?? '';
    return {
      id: wire.pullRequestId,
      repository: { id: wire.repository?.id ?? '', name: repoName },
      title: wire.title ?? '',
      description: wire.description ?? '',
      status: wire.status === 'completed' || wire.status === 'abandoned' ? wire.status : 'active',
      sourceRefName: wire.sourceRefName ?? '',
      targetRefName: wire.targetRefName ?? '',
      sourceCommitId: wire.lastMergeSourceCommit?.commitId,
      mergeCommitId: wire.lastMergeCommit?.commitId,
      mergeStatus: wire.mergeStatus,
      createdBy: identity(wire.createdBy),
      creationDate: wire.creationDate ?? '',
      closedDate: wire.closedDate,
      isDraft: wire.isDraft ?? false,
      autoCompleteSetById:
        wire.autoCompleteSetBy?.id && wire.autoCompleteSetBy.id !== EMPTY_IDENTITY
          ? wire.autoCompleteSetBy.id
          : undefined,
      webUrl: `${this.#organizationUrl}/${encodeURIComponent(this.#project)}/_git/${encodeURIComponent(repoName)}/pullrequest/${wire.pullRequestId}`,
    };
  }

  #projectPath(): string {
    return encodeURIComponent(this.#project);
  }

  #repoPath(repository: string): string {
    return `${this.#projectPath()}/_apis/git/repositories/${encodeURIComponent(repository)}`;
  }

  #prPath(repository: string, pullRequestId: number): string {
    return `${this.#repoPath(repository)}/pullrequests/${pullRequestId}`;
  }

  #prSubPath(repository: string, pullRequestId: number): string {
    return `${this.#repoPath(repository)}/pullRequests/${pullRequestId}`;
  }
}

/** HTTP failures become the codes callers branch on; identifiers are added, secrets removed. */
function translate(error: unknown, fields: ErrorFields, secrets: (Secret | string)[]): unknown {
  if (!isReleaseAgentError(error)) return error;
  const status = typeof error.fields.status === 'number' ? error.fields.status : undefined;
  const message = redact(error.message, secrets);
  const merged = { ...error.fields, ...fields };
  if (error.code === 'SERVICE_HTTP' && status !== undefined)
    return refusalError(status, message, merged, error);
  return new ReleaseAgentError(error.code, message, merged, { cause: error });
}

function refusalError(
  status: number,
  message: string,
  fields: ErrorFields,
  cause?: unknown,
): ReleaseAgentError {
  const code =
    status === 401
      ? 'AUTH_INVALID'
      : status === 403
        ? 'FORBIDDEN'
        : status === 404
          ? 'NOT_FOUND'
          : status === 409
            ? 'CONFLICT'
            : 'SERVICE_HTTP';
  return new ReleaseAgentError(
    code,
    message,
    { ...fields, status },
    cause === undefined ? undefined : { cause },
  );
}

function staleCommit(
  repo: string,
  prId: number,
  expected: string,
  actual: string | undefined,
  detail: string,
): ReleaseAgentError {
  return new ReleaseAgentError(
    'PR_STALE_COMMIT',
    `PR ${prId} in ${repo} moved past the approved commit ${expected.slice(0, 8)} (now ${actual?.slice(0, 8) ?? 'unknown'}): ${detail}`,
    { repo, prId, expectedCommit: expected, actualCommit: actual },
  );
}

// The answers' fields are read as their wire types say; the envelope is checked, so a proxy's HTML
// page or an empty 200 becomes SERVICE_MALFORMED rather than a TypeError further on.
const wireObject = z.looseObject({});
const wireList = z.looseObject({ value: z.array(z.unknown()) });

function malformed(operation: string, what: string): never {
  throw new ReleaseAgentError('SERVICE_MALFORMED', `azure-devops ${operation} answered without ${what}`, {
    service: 'azure-devops',
    operation,
  });
}

function expectObject<T>(body: T | undefined, operation: string): T {
  return parseOrFail(wireObject, body, () => malformed(operation, 'a JSON object')) as T;
}

/** Azure DevOps wraps every collection as `{ count, value: [...] }`. */
function listValue<T>(body: WireList<T> | undefined, operation: string): T[] {
  return parseOrFail(wireList, body, (field) =>
    malformed(operation, field === 'value' ? 'a value list' : 'a JSON object'),
  ).value as T[];
}

function identity(wire: WireIdentity | undefined): Identity {
  return {
    id: wire?.id ?? '',
    displayName: wire?.displayName ?? '',
    ...(wire?.uniqueName ? { uniqueName: wire.uniqueName } : {}),
  };
}

function changeType(wire: string | undefined): FileChangeType {
  // The service may combine flags ("edit, rename"); the strongest one decides.
  const flags = (wire ?? '').split(',').map((flag) => flag.trim());
  for (const kind of ['delete', 'add', 'rename', 'edit'] as const) if (flags.includes(kind)) return kind;
  return 'other';
}

export function normalizePath(path: string): string {
  const forward = path.replace(/\\/g, '/').replace(/^\.\//, '');
  return forward.startsWith('/') ? forward : `/${forward}`;
}

function validLines(line: number, endLine: number): boolean {
  return Number.isInteger(line) && Number.isInteger(endLine) && line >= 1 && endLine >= line;
}

function summaryWithFolded(summary: string, folded: PostedReview['folded']): string {
  if (folded.length === 0) return summary;
  const notes = folded.map(
    (comment) => `- \`${normalizePath(comment.path)}\` line ${comment.line}: ${comment.body}`,
  );
  return `${summary}\n\n---\n**Notes outside the changed files of this iteration**\n\n${notes.join('\n')}`;
}

function completionOptions(input: CompletePullRequestInput): Record<string, unknown> {
  return {
    mergeStrategy: input.mergeStrategy ?? 'noFastForward',
    deleteSourceBranch: input.deleteSourceBranch ?? false,
    transitionWorkItems: input.transitionWorkItems ?? false,
    ...(input.mergeCommitMessage ? { mergeCommitMessage: input.mergeCommitMessage } : {}),
  };
}

function autoCompleteNote(input: CompletePullRequestInput): string {
  const by = input.approvedBy ? ` by ${input.approvedBy}` : '';
  return (
    `Release Agent: the merge was approved${by} for commit ${input.sourceCommitId.slice(0, 8)}. ` +
    'Required policies are still pending, so auto-complete is set: Azure DevOps completes this pull request ' +
    'when they pass. A later push voids this approval.'
  );
}

interface WireBuild {
  id: number;
  status?: string;
  reason?: string;
  definition?: { id?: number; name?: string };
  repository?: { id?: string; name?: string };
  sourceBranch?: string;
  sourceVersion?: string;
  triggerInfo?: Record<string, string>;
  requestedFor?: WireIdentity;
  _links?: { web?: { href?: string } };
}

const BUILD_STATUSES = new Set<Build['status']>([
  'inProgress',
  'completed',
  'cancelling',
  'postponed',
  'notStarted',
  'none',
]);

function build(wire: WireBuild): Build {
  const prNumber = Number(wire.triggerInfo?.['pr.number']);
  const status = BUILD_STATUSES.has(wire.status as Build['status'])
    ? (wire.status as Build['status'])
    : 'none';
  return {
    id: wire.id,
    status,
    reason: wire.reason ?? 'none',
    definition: { id: wire.definition?.id ?? 0, name: wire.definition?.name ?? '' },
    repository: { id: wire.repository?.id ?? '', name: wire.repository?.name ?? '' },
    sourceBranch: wire.sourceBranch ?? '',
    sourceVersion: wire.sourceVersion ?? '',
    pullRequest:
      Number.isSafeInteger(prNumber) && prNumber > 0
        ? { id: prNumber, sourceCommit: wire.triggerInfo?.['pr.sourceSha'] }
        : undefined,
    requestedFor: wire.requestedFor ? identity(wire.requestedFor) : undefined,
    webUrl: wire._links?.web?.href,
  };
}

function pipelineRun(wire: WireRun, pipelineId: number): PipelineRun {
  const state =
    wire.state === 'inProgress' || wire.state === 'canceling' || wire.state === 'completed'
      ? wire.state
      : 'unknown';
  const result =
    wire.result === 'succeeded' ||
    wire.result === 'failed' ||
    wire.result === 'canceled' ||
    wire.result === 'unknown'
      ? wire.result
      : undefined;
  return {
    id: wire.id,
    name: wire.name ?? String(wire.id),
    pipelineId: wire.pipeline?.id ?? pipelineId,
    state,
    result,
    createdDate: wire.createdDate ?? '',
    finishedDate: wire.finishedDate,
    webUrl: wire._links?.web?.href,
  };
}

const APPROVAL_STATUSES = new Set<ApprovalStatus>([
  'undefined',
  'uninitiated',
  'pending',
  'approved',
  'rejected',
  'skipped',
  'canceled',
  'timedOut',
  'failed',
  'completed',
]);

function approvalStatus(value: string | undefined): ApprovalStatus {
  return APPROVAL_STATUSES.has(value as ApprovalStatus) ? (value as ApprovalStatus) : 'undefined';
}

function approval(wire: WireApproval): Approval {
  return {
    id: wire.id,
    status: approvalStatus(wire.status),
    createdOn: wire.createdOn ?? '',
    instructions: wire.instructions,
    minRequiredApprovers: wire.minRequiredApprovers,
    executionOrder:
      wire.executionOrder === 'anyOrder' || wire.executionOrder === 'inSequence'
        ? wire.executionOrder
        : undefined,
    // A flags enum, serialized as "view, update".
    callerMayUpdate:
      wire.permissions === undefined
        ? undefined
        : wire.permissions
            .split(',')
            .map((flag) => flag.trim().toLowerCase())
            .includes('update'),
    steps: (wire.steps ?? []).map((step) => ({
      approver:
        step.actualApprover || step.assignedApprover
          ? identity(step.actualApprover ?? step.assignedApprover)
          : undefined,
      status: approvalStatus(step.status),
      comment: step.comment,
    })),
    pipeline: wire.pipeline
      ? {
          id: wire.pipeline.id,
          name: wire.pipeline.name,
          runId: wire.pipeline.owner?.id,
          runName: wire.pipeline.owner?.name,
        }
      : undefined,
  };
}
