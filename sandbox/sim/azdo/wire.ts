// The Azure DevOps simulator's wire format: its state rendered as the REST bodies of the 7.1 API (ids,
// urls, `_links`, enums by name as the service serializes them, dates as ISO strings) and as the
// service-hook events a subscription receives. Reads the state, never changes it.
import { randomUUID } from 'node:crypto';
import type { IdentityRef } from 'azure-devops-node-api/interfaces/common/VSSInterfaces.js';
import type { GitCommitRef, GitRef } from 'azure-devops-node-api/interfaces/GitInterfaces.js';
import { type FileChange, objectId, type RepositoryState, type TagState } from './git.ts';
import type { HookEvent, HookEventType, SubscriptionState } from './hooks.ts';
import {
  type ApprovalState,
  type AzureDevOpsState,
  type CheckState,
  type EnvironmentState,
  type IterationState,
  type PolicyConfigurationState,
  type PullRequestState,
  type RunState,
  type SimIdentity,
  type StateEvent,
  STATUS_POLICY_TYPE_ID,
  type StatusState,
  type ThreadState,
} from './state.ts';

/** A list answer's pull-request descriptions are cut to this many characters, as the service cuts them. */
const LIST_DESCRIPTION_LIMIT = 400;

export class AzureDevOpsWire {
  readonly state: AzureDevOpsState;
  readonly #organizationUrl: () => string;

  /** `organizationUrl`: where the server listens, known once it has started. */
  constructor(state: AzureDevOpsState, organizationUrl: () => string) {
    this.state = state;
    this.#organizationUrl = organizationUrl;
  }

  get organizationUrl(): string {
    return this.#organizationUrl();
  }

  identityJson(identity: SimIdentity): IdentityRef {
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
      id: this.state.project.id,
      name: this.state.project.name,
      url: `${this.organizationUrl}/_apis/projects/${this.state.project.id}`,
      state: 'wellFormed',
      revision: 1,
      visibility: 'private',
      lastUpdateTime: this.state.isoNow(),
    };
  }

  repositoryJson(repo: RepositoryState): Record<string, unknown> {
    const web = `${this.organizationUrl}/${encodeURIComponent(this.state.project.name)}/_git/${encodeURIComponent(repo.name)}`;
    return {
      id: repo.id,
      name: repo.name,
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/git/repositories/${repo.id}`,
      project: this.projectJson(),
      defaultBranch: repo.defaultBranch,
      size: 0,
      remoteUrl: web,
      webUrl: web,
      isDisabled: false,
    };
  }

  commitRef(repo: RepositoryState, commitId: string): GitCommitRef {
    return {
      commitId,
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/git/repositories/${repo.id}/commits/${commitId}`,
    };
  }

  pullRequestJson(pr: PullRequestState, options: { cutDescription?: boolean } = {}): Record<string, unknown> {
    const repo = this.state.repositories.get(pr.repositoryId)!;
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
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/git/repositories/${repo.id}/pullRequests/${pr.id}`,
      supportsIterations: true,
      artifactId: `vstfs:///Git/PullRequestId/${this.state.project.id}%2f${repo.id}%2f${pr.id}`,
    };
  }

  iterationJson(pr: PullRequestState, iteration: IterationState): Record<string, unknown> {
    const repo = this.state.repositories.get(pr.repositoryId)!;
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
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/git/repositories/${repo.id}/pullRequests/${pr.id}/iterations/${iteration.id}`,
    };
  }

  threadJson(thread: ThreadState): Record<string, unknown> {
    return {
      id: thread.id,
      publishedDate: thread.publishedDate,
      lastUpdatedDate: thread.lastUpdatedDate,
      comments: thread.comments.map((comment) => ({
        ...this.commentJson(comment),
        lastContentUpdatedDate: comment.publishedDate,
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
    const pipeline = this.state.pipelines.get(run.pipelineId)!;
    const finishedAt = run.createdAt + run.durationMs;
    const done = this.state.now().getTime() >= finishedAt;
    const base = `${this.organizationUrl}/${this.state.project.id}/_apis/pipelines/${pipeline.id}`;
    const web = `${this.organizationUrl}/${encodeURIComponent(this.state.project.name)}/_build/results?buildId=${run.id}`;
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
    const pipeline = this.state.pipelines.get(run.pipelineId)!;
    const done = !this.state.runInProgress(run);
    const facts = run.build;
    const repo = facts ? this.state.repositories.get(facts.repository.toLowerCase()) : undefined;
    const web = `${this.organizationUrl}/${encodeURIComponent(this.state.project.name)}/_build/results?buildId=${run.id}`;
    const requestedFor = this.identityJson(facts?.requestedFor ?? this.state.users.agent);
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
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/build/Builds/${run.id}`,
      definition: {
        id: pipeline.id,
        name: pipeline.name,
        type: 'build',
        queueStatus: 'enabled',
        revision: 1,
      },
      project: {
        id: this.state.project.id,
        name: this.state.project.name,
        state: 'wellFormed',
        visibility: 'private',
      },
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
    const mayAnswer = caller ? this.state.actionableStep(approval, caller) : undefined;
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
      project: { id: this.state.project.id, name: this.state.project.name },
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
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/pipelines/checks/configurations/${check.id}`,
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

  /** A comment as the comment routes answer it (a thread's list of comments adds two members). */
  commentJson(comment: ThreadState['comments'][number]): Record<string, unknown> {
    return {
      id: comment.id,
      parentCommentId: comment.parentCommentId,
      author: this.identityJson(comment.author),
      content: comment.content,
      publishedDate: comment.publishedDate,
      lastUpdatedDate: comment.publishedDate,
      commentType: comment.commentType,
    };
  }

  policyJson(policy: PolicyConfigurationState): Record<string, unknown> {
    return {
      id: policy.id,
      revision: 1,
      isEnabled: policy.isEnabled,
      isBlocking: policy.isBlocking,
      isDeleted: false,
      type: {
        id: policy.type.id,
        displayName: policy.type.id === STATUS_POLICY_TYPE_ID ? 'Status' : 'Policy',
      },
      settings: policy.settings,
      createdBy: this.identityJson(policy.createdBy),
      createdDate: policy.createdDate,
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/policy/configurations/${policy.id}`,
    };
  }

  /** One changed file of an iteration; `changeId` counts from 1 across the pages. */
  changeEntryJson(
    iteration: IterationState,
    change: FileChange & { changeTrackingId: number },
    changeId: number,
  ): Record<string, unknown> {
    return {
      changeTrackingId: change.changeTrackingId,
      changeId,
      item: {
        objectId:
          change.changeType === 'delete' ? undefined : objectId('blob', change.path, iteration.sourceCommit),
        path: change.path,
        gitObjectType: 'blob',
        commitId: iteration.sourceCommit,
      },
      changeType: change.changeType,
      ...(change.originalPath ? { originalPath: change.originalPath } : {}),
    };
  }

  annotatedTagJson(repo: RepositoryState, tag: TagState): Record<string, unknown> {
    return {
      name: tag.name,
      objectId: tag.objectId,
      taggedObject: { objectId: tag.commitId, objectType: 'commit' },
      taggedBy: tag.taggedBy,
      message: tag.message,
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/git/repositories/${repo.id}/annotatedTags/${tag.objectId}`,
    };
  }

  /** A ref; `peeledTo`: the annotated tag it names, when the caller asked for peeled tags. */
  refJson(repo: RepositoryState, name: string, target: string, peeledTo?: TagState): GitRef {
    return {
      name,
      objectId: target,
      ...(peeledTo ? { peeledObjectId: peeledTo.commitId } : {}),
      url: `${this.organizationUrl}/${this.state.project.id}/_apis/git/repositories/${repo.id}/refs?filter=${encodeURIComponent(name.slice(5))}`,
    };
  }

  /** A state change as the service-hook event a subscription receives. */
  hookEvent(event: StateEvent): HookEvent {
    if (event.kind === 'pullRequest')
      return this.#envelope(event.eventType, this.pullRequestJson(event.pullRequest), event.text, '1.0');
    const { approval, eventType } = event;
    const target = `pipeline ${approval.run?.name ?? approval.pipeline?.name ?? ''} to environment ${approval.environment?.name ?? ''}`;
    const text =
      eventType === 'ms.vss-pipelinechecks-events.approval-pending'
        ? `Approval pending for deployment of ${target}.`
        : `Approval ${approval.status} for deployment of ${target}.`;
    const resource = {
      approval: this.approvalJson(approval, { steps: true }),
      projectId: this.state.project.id,
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
    return this.#envelope(eventType, resource, text, '5.1-preview.1');
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
        collection: { id: this.state.collectionId },
        account: { id: this.state.accountId },
        project: { id: this.state.project.id },
      },
      createdDate: this.state.isoNow(),
    };
  }
}
