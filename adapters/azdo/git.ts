// Azure DevOps Git through azure-devops-node-api's GitApi: pull requests, threads and comments,
// statuses, iterations and their changes, refs and annotated tags. The wire types are the library's
// GitInterfaces; the port's plain types (azdo.ts) are what callers see.
import { GitApi } from 'azure-devops-node-api/GitApi.js';
import {
  CommentThreadStatus,
  type Comment,
  type CommentThreadContext,
  type CommentType,
  type GitAnnotatedTag,
  type GitPullRequest,
  type GitPullRequestCommentThread,
  type GitPullRequestCompletionOptions,
  type GitPullRequestMergeStrategy,
  type GitPullRequestQueryType,
  type GitPullRequestSearchCriteria,
  type GitPullRequestStatus,
  type GitStatusState,
  PullRequestAsyncStatus,
  PullRequestStatus,
  VersionControlChangeType,
} from 'azure-devops-node-api/interfaces/GitInterfaces.js';
import * as z from 'zod/mini';
import { type ErrorFields, isReleaseAgentError, ReleaseAgentError } from '../../core/errors.ts';
import { FINDING_PROPERTY, SUMMARY_PROPERTY } from '../../core/review-threads.ts';
import type {
  AnnotatedTag,
  CompletePullRequestInput,
  CompletionOutcome,
  CreatePullRequestInput,
  FileChangeType,
  IterationChange,
  PostedReview,
  PostReviewInput,
  PullRequest,
  PullRequestIteration,
  PullRequestStatusInput,
  ReviewThread,
  ThreadStatus,
} from './azdo.ts';
import { REVIEW_STATUS_CONTEXT } from './azdo.ts';
import {
  type AzureDevOpsConnection,
  enumName,
  expectArray,
  expectObject,
  identity,
  isoDate,
  LibraryRefusal,
  nameOf,
  refusalError,
  wireAnswer,
} from './connection.ts';

const PAGE_SIZE = 100;
const CHANGES_PAGE_SIZE = 2000;
const MAX_PAGES = 100;
const DESCRIPTION_LIMIT = 4000;
const EMPTY_IDENTITY = '00000000-0000-0000-0000-000000000000';

/** A thread property as the service stores it. */
function stringProperty(value: string): { $type: string; $value: string } {
  return { $type: 'System.String', $value: value };
}

const TEXT = enumName<CommentType>('text');

export class AzureDevOpsGit {
  readonly #connection: AzureDevOpsConnection;
  readonly #api: GitApi;
  #identityId: string | undefined;

  constructor(connection: AzureDevOpsConnection, identityId?: string) {
    this.#connection = connection;
    this.#api = connection.client(GitApi);
    this.#identityId = identityId;
  }

  get #project(): string {
    return this.#connection.project;
  }

  // ---- pull requests ----

  async listActivePullRequests(
    filter: { repository?: string; targetRefName?: string } = {},
  ): Promise<PullRequest[]> {
    const criteria: GitPullRequestSearchCriteria = {
      status: enumName<PullRequestStatus>('active'),
      ...(filter.targetRefName ? { targetRefName: filter.targetRefName } : {}),
    };
    const repository = filter.repository;
    const operation = repository ? 'listRepositoryPullRequests' : 'listProjectPullRequests';
    return (
      await this.#pages(operation, { repo: repository }, (skip, top) =>
        repository
          ? this.#api.getPullRequests(repository, criteria, this.#project, undefined, skip, top)
          : this.#api.getPullRequestsByProject(this.#project, criteria, undefined, skip, top),
      )
    ).map((wire) => this.#pullRequest(wire, operation));
  }

  async getPullRequest(repository: string, pullRequestId: number): Promise<PullRequest> {
    const wire = await this.#connection.library(
      'getPullRequest',
      () => this.#api.getPullRequest(repository, pullRequestId, this.#project),
      { fields: { repo: repository, prId: pullRequestId } },
    );
    return this.#pullRequest(wire, 'getPullRequest', { repo: repository, prId: pullRequestId });
  }

  async listIterations(repository: string, pullRequestId: number): Promise<PullRequestIteration[]> {
    const iterations = await this.#connection.library(
      'listIterations',
      () => this.#api.getPullRequestIterations(repository, pullRequestId, this.#project),
      { fields: { repo: repository, prId: pullRequestId } },
    );
    return expectArray(iterations, 'listIterations').map((wire) => ({
      id: wire.id ?? 0,
      sourceCommitId: wire.sourceRefCommit?.commitId,
      targetCommitId: wire.targetRefCommit?.commitId,
      createdDate: isoDate(wire.createdDate) ?? '',
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
      const body = expectObject(
        await this.#connection.library(
          'getIterationChanges',
          () =>
            this.#api.getPullRequestIterationChanges(
              repository,
              pullRequestId,
              iterationId,
              this.#project,
              CHANGES_PAGE_SIZE,
              skip,
            ),
          { fields: { repo: repository, prId: pullRequestId, iterationId } },
        ),
        'getIterationChanges',
      );
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

  /**
   * Posts the summary and one thread per inline comment, as given: which findings can be anchored on
   * the PR is the review flow's decision (flows/review-anchors.ts), not the adapter's.
   */
  async postReview(
    repository: string,
    pullRequestId: number,
    review: PostReviewInput,
  ): Promise<PostedReview> {
    const fields = { repo: repository, prId: pullRequestId, iterationId: review.iterationId };
    const postSummary = () =>
      this.#postThread(
        repository,
        pullRequestId,
        {
          comments: [{ parentCommentId: 0, content: review.summary, commentType: TEXT }],
          status: threadStatus(review.summaryStatus ?? 'closed'),
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
            review.summary,
            fields,
          ).catch((error: unknown) => {
            if (isReleaseAgentError(error, 'FORBIDDEN') || isReleaseAgentError(error, 'NOT_FOUND'))
              return postSummary();
            throw error;
          })
        : await postSummary();
    const inlineThreadIds: number[] = [];
    for (const comment of review.comments) {
      const path = normalizePath(comment.path);
      const endLine = comment.endLine ?? comment.line;
      const threadContext: CommentThreadContext = {
        filePath: path,
        rightFileStart: { line: comment.line, offset: 1 },
        rightFileEnd: { line: endLine, offset: 1 },
      };
      const thread = await this.#postThread(
        repository,
        pullRequestId,
        {
          comments: [{ parentCommentId: 0, content: comment.body, commentType: TEXT }],
          status: threadStatus(review.inlineStatus ?? 'active'),
          ...(comment.fingerprint
            ? { properties: { [FINDING_PROPERTY]: stringProperty(comment.fingerprint) } }
            : {}),
          threadContext,
          pullRequestThreadContext: {
            ...(comment.changeTrackingId !== undefined ? { changeTrackingId: comment.changeTrackingId } : {}),
            iterationContext: { firstComparingIteration: 1, secondComparingIteration: review.iterationId },
          },
        },
        { ...fields, path },
      );
      inlineThreadIds.push(thread.id ?? 0);
    }
    return { summaryThreadId: summary.id ?? 0, inlineThreadIds };
  }

  async listReviewThreads(repository: string, pullRequestId: number): Promise<ReviewThread[]> {
    const threads = await this.#connection.library(
      'listThreads',
      () => this.#api.getThreads(repository, pullRequestId, this.#project),
      { fields: { repo: repository, prId: pullRequestId } },
    );
    const fields = { repo: repository, prId: pullRequestId };
    return expectArray(threads, 'listThreads').map((item) => {
      const thread = wireAnswer(wireThread, item, 'listThreads', fields);
      const property = (key: typeof FINDING_PROPERTY | typeof SUMMARY_PROPERTY) =>
        thread.properties?.[key]?.$value ?? undefined;
      return {
        id: thread.id,
        status: nameOf(CommentThreadStatus, thread.status) ?? 'unknown',
        finding: property(FINDING_PROPERTY),
        summary: property(SUMMARY_PROPERTY) !== undefined,
        comments: (thread.comments ?? []).map((comment) => ({
          id: comment.id,
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
    const comment: Comment = { content, parentCommentId: 1, commentType: TEXT };
    await this.#connection.library(
      'replyToThread',
      () => this.#api.createComment(comment, repository, pullRequestId, threadId, this.#project),
      { fields: { repo: repository, prId: pullRequestId, threadId } },
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
    await this.#connection.library(
      'updateComment',
      () => this.#api.updateComment({ content }, repository, pullRequestId, threadId, 1, this.#project),
      { fields: { ...fields, threadId } },
    );
    return { id: threadId };
  }

  async setThreadStatus(
    repository: string,
    pullRequestId: number,
    threadId: number,
    status: ThreadStatus,
  ): Promise<void> {
    await this.#connection.library(
      'setThreadStatus',
      () =>
        this.#api.updateThread(
          { status: threadStatus(status) },
          repository,
          pullRequestId,
          threadId,
          this.#project,
        ),
      { fields: { repo: repository, prId: pullRequestId, threadId } },
    );
  }

  async setPullRequestStatus(
    repository: string,
    pullRequestId: number,
    status: PullRequestStatusInput,
  ): Promise<number> {
    const body: GitPullRequestStatus = {
      state: enumName<GitStatusState>(status.state),
      description: status.description,
      context: status.context ?? REVIEW_STATUS_CONTEXT,
      iterationId: status.iterationId,
      ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
    };
    const created = await this.#connection.library(
      'setPullRequestStatus',
      () => this.#api.createPullRequestStatus(body, repository, pullRequestId, this.#project),
      { fields: { repo: repository, prId: pullRequestId, iterationId: status.iterationId } },
    );
    return expectObject(created, 'setPullRequestStatus').id ?? 0;
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
    let refusal: LibraryRefusal;
    try {
      const completed = await this.#connection.library(
        'completePullRequest',
        () =>
          this.#api.updatePullRequest(
            {
              status: enumName<PullRequestStatus>('completed'),
              lastMergeSourceCommit: { commitId: input.sourceCommitId },
              completionOptions: completionOptions(input),
            },
            repository,
            pullRequestId,
            this.#project,
          ),
        { fields, acceptStatuses: [400, 403, 409] },
      );
      const pullRequest = this.#pullRequest(completed, 'completePullRequest', fields);
      return { kind: pullRequest.status === 'completed' ? 'completed' : 'completion-pending', pullRequest };
    } catch (error) {
      if (!(error instanceof LibraryRefusal)) throw error;
      refusal = error;
    }

    const { status } = refusal;
    const message = refusal.body.message ?? `answered ${status}`;
    const typeKey = refusal.body.typeKey;
    if (status === 409 && (typeKey === 'GitPullRequestStaleException' || message.includes('TF401192'))) {
      const current = await this.getPullRequest(repository, pullRequestId);
      throw staleCommit(repository, pullRequestId, input.sourceCommitId, current.sourceCommitId, message);
    }
    if (status === 403 && typeKey === 'GitPullRequestUpdateRejectedByPolicyException') {
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
      status === 400 &&
      (typeKey === 'GitPullRequestNotEditableException' || message.includes('TF401181'))
    ) {
      const current = await this.getPullRequest(repository, pullRequestId);
      if (current.status === 'completed') return { kind: 'already-completed', pullRequest: current };
      throw new ReleaseAgentError(
        'CONFLICT',
        `PR ${pullRequestId} in ${repository} is ${current.status}: it cannot be completed`,
        { ...fields, status: current.status },
      );
    }
    throw refusalError(status, `azure-devops completePullRequest answered ${status}: ${message}`, {
      ...fields,
      typeKey,
    });
  }

  async cancelAutoComplete(repository: string, pullRequestId: number): Promise<void> {
    // The empty identity is how Azure DevOps turns auto-complete off.
    await this.#connection.library(
      'cancelAutoComplete',
      () =>
        this.#api.updatePullRequest(
          { autoCompleteSetBy: { id: EMPTY_IDENTITY } },
          repository,
          pullRequestId,
          this.#project,
        ),
      { fields: { repo: repository, prId: pullRequestId } },
    );
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
    let refusal: LibraryRefusal;
    try {
      const created = await this.#connection.library(
        'createPullRequest',
        () =>
          this.#api.createPullRequest(
            {
              sourceRefName: input.sourceRefName,
              targetRefName: input.targetRefName,
              title: input.title,
              description: input.description.slice(0, DESCRIPTION_LIMIT),
              isDraft: input.isDraft ?? false,
            },
            repository,
            this.#project,
          ),
        // 409 GitPullRequestExistsException (TF401179): an active PR for these branches exists; reuse it.
        { fields, acceptStatuses: [409] },
      );
      return { pullRequest: this.#pullRequest(created, 'createPullRequest', fields), created: true };
    } catch (error) {
      if (!(error instanceof LibraryRefusal)) throw error;
      refusal = error;
    }
    const criteria: GitPullRequestSearchCriteria = {
      status: enumName<PullRequestStatus>('active'),
      sourceRefName: input.sourceRefName,
      targetRefName: input.targetRefName,
    };
    const existing = await this.#pages('listRepositoryPullRequests', fields, (skip, top) =>
      this.#api.getPullRequests(repository, criteria, this.#project, undefined, skip, top),
    );
    const match = existing[0];
    if (!match?.pullRequestId) {
      throw new ReleaseAgentError(
        'CONFLICT',
        `azure-devops createPullRequest answered 409: ${refusal.body.message ?? ''}`,
        fields,
      );
    }
    return { pullRequest: await this.getPullRequest(repository, match.pullRequestId), created: false };
  }

  async findPullRequestByMergeCommit(repository: string, commitId: string): Promise<PullRequest | undefined> {
    const answer = await this.#connection.library(
      'queryPullRequestsByCommit',
      () =>
        this.#api.getPullRequestQuery(
          { queries: [{ type: enumName<GitPullRequestQueryType>('lastMergeCommit'), items: [commitId] }] },
          repository,
          this.#project,
        ),
      // A query changes nothing: safe to send again.
      { fields: { repo: repository, commitId }, idempotent: true },
    );
    const found = expectObject(answer, 'queryPullRequestsByCommit').results?.[0]?.[commitId] ?? [];
    const completed = found.find((wire) => nameOf(PullRequestStatus, wire.status) === 'completed');
    return completed
      ? this.#pullRequest(completed, 'queryPullRequestsByCommit', { repo: repository, commitId })
      : undefined;
  }

  async createAnnotatedTag(
    repository: string,
    tag: { name: string; commitId: string; message: string },
  ): Promise<AnnotatedTag> {
    const fields = { repo: repository, tag: tag.name, commitId: tag.commitId };
    const body: GitAnnotatedTag = {
      name: tag.name,
      taggedObject: { objectId: tag.commitId },
      message: tag.message,
    };
    try {
      const created = await this.#connection.library(
        'createAnnotatedTag',
        () => this.#api.createAnnotatedTag(body, this.#project, repository),
        // A repeat finds the tag already there (409) and is answered below: safe to retry.
        { fields, acceptStatuses: [409], idempotent: true },
      );
      return {
        name: tag.name,
        objectId: created?.objectId ?? '',
        commitId: tag.commitId,
        created: true,
      };
    } catch (error) {
      if (!(error instanceof LibraryRefusal)) throw error;
    }
    const refs = await this.#connection.library(
      'listRefs',
      () =>
        this.#api.getRefs(
          repository,
          this.#project,
          `tags/${tag.name}`,
          undefined,
          undefined,
          undefined,
          undefined,
          true,
        ),
      { fields },
    );
    const existing = expectArray(refs, 'listRefs').find((ref) => ref.name === `refs/tags/${tag.name}`);
    const taggedCommit = existing?.peeledObjectId ?? existing?.objectId;
    if (existing && taggedCommit === tag.commitId) {
      return { name: tag.name, objectId: existing.objectId ?? '', commitId: tag.commitId, created: false };
    }
    throw new ReleaseAgentError(
      'CONFLICT',
      `tag ${tag.name} already exists in ${repository} on another commit (${taggedCommit ?? 'unknown'})`,
      { ...fields, existingCommitId: taggedCommit },
    );
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
        comments: [{ parentCommentId: 0, content: autoCompleteNote(input), commentType: TEXT }],
        status: threadStatus('closed'),
      },
      { repo: repository, prId: pullRequestId },
    );
    const identityId = this.#identityId ?? note.comments?.[0]?.author?.id;
    if (!identityId) {
      throw new ReleaseAgentError(
        'SERVICE_MALFORMED',
        'azure-devops did not say who posted a thread: cannot set auto-complete',
        { repo: repository, prId: pullRequestId },
      );
    }
    await this.#connection.library(
      'setAutoComplete',
      () =>
        this.#api.updatePullRequest(
          { autoCompleteSetBy: { id: identityId }, completionOptions: completionOptions(input) },
          repository,
          pullRequestId,
          this.#project,
        ),
      { fields: { repo: repository, prId: pullRequestId } },
    );
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
    thread: GitPullRequestCommentThread,
    fields: ErrorFields,
  ): Promise<GitPullRequestCommentThread> {
    const created = expectObject(
      await this.#connection.library(
        'createThread',
        () => this.#api.createThread(thread, repository, pullRequestId, this.#project),
        { fields },
      ),
      'createThread',
    );
    this.#identityId ??= created.comments?.[0]?.author?.id;
    return created;
  }

  /** Every page of a PR list; a page with nothing new means the service ignored $skip. */
  async #pages(
    operation: string,
    fields: ErrorFields,
    page: (skip: number, top: number) => Promise<GitPullRequest[]>,
  ): Promise<GitPullRequest[]> {
    const items = new Map<number, GitPullRequest>();
    for (let index = 0; index < MAX_PAGES; index++) {
      const value = expectArray(
        await this.#connection.library(operation, () => page(index * PAGE_SIZE, PAGE_SIZE), { fields }),
        operation,
      );
      const before = items.size;
      for (const item of value) if (item.pullRequestId !== undefined) items.set(item.pullRequestId, item);
      if (value.length < PAGE_SIZE || items.size === before) break;
    }
    return [...items.values()];
  }

  /** The library's PR, once its fields we decide on have the shape they must (SERVICE_MALFORMED if not). */
  #pullRequest(
    answer: GitPullRequest | null | undefined,
    operation: string,
    fields: ErrorFields = {},
  ): PullRequest {
    const wire = answer as GitPullRequest;
    wireAnswer(wirePullRequest, wire, operation, fields);
    const repoName = wire.repository?.name ?? '';
    const status = nameOf(PullRequestStatus, wire.status);
    return {
      id: wire.pullRequestId ?? 0,
      repository: { id: wire.repository?.id ?? '', name: repoName },
      title: wire.title ?? '',
      description: wire.description ?? '',
      status: status === 'completed' || status === 'abandoned' ? status : 'active',
      sourceRefName: wire.sourceRefName ?? '',
      targetRefName: wire.targetRefName ?? '',
      sourceCommitId: wire.lastMergeSourceCommit?.commitId,
      mergeCommitId: wire.lastMergeCommit?.commitId,
      mergeStatus: nameOf(PullRequestAsyncStatus, wire.mergeStatus),
      createdBy: identity(wire.createdBy),
      creationDate: isoDate(wire.creationDate) ?? '',
      closedDate: isoDate(wire.closedDate),
      isDraft: wire.isDraft ?? false,
      autoCompleteSetById:
        wire.autoCompleteSetBy?.id && wire.autoCompleteSetBy.id !== EMPTY_IDENTITY
          ? wire.autoCompleteSetBy.id
          : undefined,
      webUrl: `${this.#connection.organizationUrl}/${encodeURIComponent(this.#project)}/_git/${encodeURIComponent(repoName)}/pullrequest/${wire.pullRequestId}`,
    };
  }
}

/**
 * The fields of a pull request we decide on: its id and status, its branches, and the source commit a
 * merge must name (the service merges whatever is there when lastMergeSourceCommit is missing). Others
 * (dates the library turned into Date objects among them) pass through unread.
 */
const wirePullRequest = z.looseObject({
  pullRequestId: z.number(),
  status: z.optional(z.union([z.number(), z.string()])),
  repository: z.optional(z.object({ id: z.optional(z.string()), name: z.optional(z.string()) })),
  sourceRefName: z.optional(z.string()),
  targetRefName: z.optional(z.string()),
  lastMergeSourceCommit: z.optional(z.nullable(z.object({ commitId: z.optional(z.string()) }))),
  lastMergeCommit: z.optional(z.nullable(z.object({ commitId: z.optional(z.string()) }))),
  isDraft: z.optional(z.boolean()),
});

/** One of our thread properties: the service stores it as `{ $type, $value }`, a string here. */
const wireThreadProperty = z.optional(
  z.nullable(z.looseObject({ $value: z.optional(z.nullable(z.string())) })),
);

/**
 * The fields of a PR thread the review flow decides on: it finds its own threads by their properties
 * (a finding's fingerprint, the summary mark) and its comments by author, then replies to them or
 * resolves them by id. Others pass through unread.
 */
const wireThread = z.looseObject({
  id: z.number(),
  status: z.optional(z.union([z.number(), z.string()])),
  properties: z.optional(
    z.nullable(
      z.looseObject({
        [FINDING_PROPERTY]: wireThreadProperty,
        [SUMMARY_PROPERTY]: wireThreadProperty,
      }),
    ),
  ),
  comments: z.optional(
    z.nullable(
      z.array(
        z.looseObject({
          id: z.number(),
          author: z.optional(z.nullable(z.looseObject({ id: z.optional(z.string()) }))),
          content: z.optional(z.nullable(z.string())),
        }),
      ),
    ),
  ),
});

function threadStatus(status: ThreadStatus): CommentThreadStatus {
  return enumName<CommentThreadStatus>(status);
}

function changeType(wire: unknown): FileChangeType {
  // A flags value ("edit, rename" on the wire, a number once deserialised): the strongest flag decides.
  const flags =
    typeof wire === 'number'
      ? wire
      : String(wire ?? '')
          .split(',')
          .map((flag) => flag.trim())
          .reduce((sum, name) => {
            const key = name.charAt(0).toUpperCase() + name.slice(1);
            return sum | ((VersionControlChangeType as unknown as Record<string, number>)[key] ?? 0);
          }, 0);
  if (flags & VersionControlChangeType.Delete) return 'delete';
  if (flags & VersionControlChangeType.Add) return 'add';
  if (flags & VersionControlChangeType.Rename) return 'rename';
  if (flags & VersionControlChangeType.Edit) return 'edit';
  return 'other';
}

function normalizePath(path: string): string {
  const forward = path.replace(/\\/g, '/').replace(/^\.\//, '');
  return forward.startsWith('/') ? forward : `/${forward}`;
}

function completionOptions(input: CompletePullRequestInput): GitPullRequestCompletionOptions {
  return {
    mergeStrategy: enumName<GitPullRequestMergeStrategy>(input.mergeStrategy ?? 'noFastForward'),
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
