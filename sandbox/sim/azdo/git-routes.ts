// Azure DevOps simulator routes of the core and Git areas: the project, repositories, pull requests
// with their iterations, threads, comments and statuses, branch policies, the pull-request query, refs and
// annotated tags.
import type { SimRequest, SimResponse } from '../server.ts';
import { refusals } from './errors.ts';
import { validRefName } from './git.ts';
import {
  type AzureDevOpsSimulator,
  type PolicyConfigurationState,
  type PullRequestState,
  type SimIdentity,
  STATUS_POLICY_TYPE_ID,
} from './simulator.ts';
import {
  intParam,
  jsonBody,
  list,
  ok,
  optionalInt,
  P,
  prOf,
  repoOf,
  type RouteEntry,
  sameProject,
} from './route-kit.ts';

const DESCRIPTION_LIMIT = 4000;
const THREAD_STATUSES = new Set(['active', 'fixed', 'wontFix', 'closed', 'byDesign', 'pending', 'unknown']);
const STATUS_STATES = new Set(['notSet', 'pending', 'succeeded', 'failed', 'error', 'notApplicable']);

const REPO = `${P}/git/repositories/{repositoryId}`;
const PR = `${REPO}/pullRequests/{pullRequestId}`;

export const GIT_ROUTES: readonly RouteEntry[] = [
  {
    method: 'GET',
    template: '/{organization}/_apis/projects/{projectId}',
    operation: 'Projects_Get',
    apiVersion: '7.1',
    handle: getProject,
  },
  {
    method: 'GET',
    template: `${P}/git/repositories`,
    operation: 'Repositories_List',
    apiVersion: '7.1',
    handle: listRepositories,
  },
  {
    method: 'GET',
    template: REPO,
    operation: 'Repositories_Get Repository',
    apiVersion: '7.1',
    handle: getRepository,
  },
  {
    method: 'GET',
    template: `${P}/git/pullrequests`,
    operation: 'Pull Requests_Get Pull Requests By Project',
    apiVersion: '7.1',
    handle: listPullRequests,
  },
  {
    method: 'GET',
    template: `${REPO}/pullrequests`,
    operation: 'Pull Requests_Get Pull Requests',
    apiVersion: '7.1',
    handle: listPullRequests,
  },
  {
    method: 'POST',
    template: `${REPO}/pullrequests`,
    operation: 'Pull Requests_Create',
    apiVersion: '7.1',
    handle: createPullRequest,
  },
  {
    method: 'GET',
    template: `${REPO}/pullrequests/{pullRequestId}`,
    operation: 'Pull Requests_Get Pull Request',
    apiVersion: '7.1',
    handle: getPullRequest,
  },
  {
    method: 'PATCH',
    template: `${REPO}/pullrequests/{pullRequestId}`,
    operation: 'Pull Requests_Update',
    apiVersion: '7.1',
    handle: updatePullRequest,
  },
  {
    method: 'GET',
    template: `${PR}/iterations`,
    operation: 'Pull Request Iterations_List',
    apiVersion: '7.1',
    handle: listIterations,
  },
  {
    method: 'GET',
    template: `${PR}/iterations/{iterationId}/changes`,
    operation: 'Pull Request Iteration Changes_Get',
    apiVersion: '7.1',
    handle: getIterationChanges,
  },
  {
    method: 'POST',
    template: `${PR}/threads`,
    operation: 'Pull Request Threads_Create',
    apiVersion: '7.1',
    handle: createThread,
  },
  {
    method: 'GET',
    template: `${PR}/threads`,
    operation: 'Pull Request Threads_List',
    apiVersion: '7.1',
    handle: listThreads,
  },
  {
    method: 'PATCH',
    template: `${PR}/threads/{threadId}`,
    operation: 'Pull Request Threads_Update',
    apiVersion: '7.1',
    handle: updateThread,
  },
  {
    method: 'POST',
    template: `${PR}/threads/{threadId}/comments`,
    operation: 'Pull Request Thread Comments_Create',
    apiVersion: '7.1',
    handle: createComment,
  },
  {
    method: 'PATCH',
    template: `${PR}/threads/{threadId}/comments/{commentId}`,
    operation: 'Pull Request Thread Comments_Update',
    apiVersion: '7.1',
    handle: updateComment,
  },
  {
    method: 'POST',
    template: `${P}/policy/configurations`,
    operation: 'Configurations_Create',
    apiVersion: '7.1',
    handle: createPolicyConfiguration,
  },
  {
    method: 'GET',
    template: `${P}/policy/configurations`,
    operation: 'Configurations_List',
    apiVersion: '7.1',
    handle: listPolicyConfigurations,
  },
  {
    method: 'POST',
    template: `${PR}/statuses`,
    operation: 'Pull Request Statuses_Create',
    apiVersion: '7.1',
    handle: createStatus,
  },
  {
    method: 'GET',
    template: `${PR}/statuses`,
    operation: 'Pull Request Statuses_List',
    apiVersion: '7.1',
    handle: listStatuses,
  },
  {
    method: 'POST',
    template: `${REPO}/pullrequestquery`,
    operation: 'Pull Request Query_Get',
    apiVersion: '7.1',
    handle: queryPullRequests,
  },
  {
    method: 'POST',
    template: `${REPO}/annotatedtags`,
    operation: 'Annotated Tags_Create',
    apiVersion: '7.1',
    handle: createAnnotatedTag,
  },
  { method: 'GET', template: `${REPO}/refs`, operation: 'Refs_List', apiVersion: '7.1', handle: listRefs },
];

// ---- projects and repositories ----

function getProject(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const id = request.params.projectId ?? '';
  if (!sameProject(sim, id)) throw refusals.projectNotFound(id);
  return ok(sim.wire.projectJson());
}

function listRepositories(sim: AzureDevOpsSimulator): SimResponse {
  return list([...sim.repositories.values()].map((repo) => sim.wire.repositoryJson(repo)));
}

function getRepository(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  return ok(sim.wire.repositoryJson(repoOf(sim, request)));
}

// ---- pull requests ----

function listPullRequests(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const query = request.query;
  const repo = request.params.repositoryId !== undefined ? repoOf(sim, request) : undefined;
  const criteriaRepo = query.get('searchCriteria.repositoryId');
  const status = query.get('searchCriteria.status') ?? 'active';
  const target = query.get('searchCriteria.targetRefName');
  const source = query.get('searchCriteria.sourceRefName');
  const creator = query.get('searchCriteria.creatorId');
  const skip = optionalInt(request, '$skip') ?? 0;
  const top = optionalInt(request, '$top') ?? 101;
  const found = [...sim.pullRequests.values()]
    .filter((pr) => !repo || pr.repositoryId === repo.id)
    .filter((pr) => !criteriaRepo || pr.repositoryId === sim.repository(criteriaRepo).id)
    .filter((pr) => status === 'all' || pr.status === status)
    .filter((pr) => !target || pr.targetRefName === target)
    .filter((pr) => !source || pr.sourceRefName === source)
    .filter((pr) => !creator || pr.createdBy.id === creator)
    .sort((a, b) => b.id - a.id)
    .slice(skip, skip + top);
  // Lists cut descriptions to 400 characters, as the service does; GET one PR for the whole text.
  return list(found.map((pr) => sim.wire.pullRequestJson(pr, { cutDescription: true })));
}

function createPullRequest(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const body = jsonBody<{
    sourceRefName?: string;
    targetRefName?: string;
    title?: string;
    description?: string;
    isDraft?: boolean;
  }>(request);
  if (!body.sourceRefName || !body.targetRefName)
    throw refusals.badRequest('sourceRefName and targetRefName are required.', 'git');
  if (!body.title) throw refusals.invalidArgument('The title of a pull request is required.');
  const description = body.description ?? '';
  if (description.length > DESCRIPTION_LIMIT) {
    throw refusals.invalidArgument(
      `The description of a pull request cannot be longer than ${DESCRIPTION_LIMIT} characters.`,
    );
  }
  const pr = sim.createPullRequest(
    repoOf(sim, request),
    {
      sourceRefName: body.sourceRefName,
      targetRefName: body.targetRefName,
      title: body.title,
      description,
      isDraft: body.isDraft ?? false,
    },
    caller,
  );
  return ok(sim.wire.pullRequestJson(pr));
}

function getPullRequest(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  return ok(sim.wire.pullRequestJson(prOf(sim, request)));
}

interface PullRequestPatch {
  status?: string;
  title?: string;
  description?: string;
  lastMergeSourceCommit?: { commitId?: string };
  completionOptions?: Record<string, unknown>;
  autoCompleteSetBy?: { id?: string };
}

function updatePullRequest(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const pr = prOf(sim, request);
  const body = jsonBody<PullRequestPatch>(request);
  if (pr.status !== 'active') throw refusals.notEditable();
  if (body.description !== undefined && body.description.length > DESCRIPTION_LIMIT) {
    throw refusals.invalidArgument(
      `The description of a pull request cannot be longer than ${DESCRIPTION_LIMIT} characters.`,
    );
  }
  if (body.status === 'completed') {
    sim.requestCompletion(pr, caller, body.lastMergeSourceCommit?.commitId, body.completionOptions ?? {});
    return ok(sim.wire.pullRequestJson(pr));
  }
  if (body.title !== undefined) pr.title = body.title;
  if (body.description !== undefined) pr.description = body.description;
  if (body.status === 'abandoned') sim.abandonPullRequest(pr, caller);
  if (body.autoCompleteSetBy) {
    sim.setAutoComplete(pr, caller, body.autoCompleteSetBy.id ?? '', body.completionOptions);
  } else if (body.completionOptions) {
    pr.completionOptions = body.completionOptions;
  }
  const answer = sim.wire.pullRequestJson(pr);
  // The service completes an auto-complete PR in the background once its policies pass.
  sim.autoCompleteIfReady(pr);
  return ok(answer);
}

function listIterations(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const pr = prOf(sim, request);
  return list(pr.iterations.map((iteration) => sim.wire.iterationJson(pr, iteration)));
}

function getIterationChanges(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const pr = prOf(sim, request);
  const iterationId = intParam(request.params.iterationId, 'iterationId');
  const iteration = pr.iterations.find((candidate) => candidate.id === iterationId);
  if (!iteration) throw refusals.iterationNotFound(iterationId);
  const top = Math.min(optionalInt(request, '$top') ?? 100, 2000);
  const skip = optionalInt(request, '$skip') ?? 0;
  const all = sim.iterationChanges(pr, iteration);
  const page = all.slice(skip, skip + top);
  const more = skip + top < all.length;
  return ok({
    changeEntries: page.map((change, index) => sim.wire.changeEntryJson(iteration, change, skip + index + 1)),
    nextSkip: more ? skip + top : 0,
    nextTop: more ? top : 0,
  });
}

interface ThreadBody {
  comments?: { content?: unknown; parentCommentId?: number; commentType?: unknown }[];
  status?: string;
  threadContext?: {
    filePath?: unknown;
    rightFileStart?: { line?: number; offset?: number };
    rightFileEnd?: { line?: number; offset?: number };
  };
  pullRequestThreadContext?: unknown;
  properties?: unknown;
}

function createThread(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const pr = prOf(sim, request);
  const body = jsonBody<ThreadBody>(request);
  const comments = body.comments;
  if (
    !Array.isArray(comments) ||
    comments.length === 0 ||
    !comments.every((c) => typeof c.content === 'string' && c.content.length > 0)
  ) {
    throw refusals.invalidArgument('A thread needs at least one comment with content.');
  }
  const status = body.status ?? 'active';
  if (!THREAD_STATUSES.has(status))
    throw refusals.invalidArgument(`The thread status ${status} is not valid.`);
  let threadContext: ThreadStateContext | undefined;
  if (body.threadContext) threadContext = checkedThreadContext(sim, pr, body.threadContext);
  const thread = sim.addThread(pr, {
    status,
    comments: comments.map((comment, index) => ({
      id: index + 1,
      parentCommentId: comment.parentCommentId ?? 0,
      author: caller,
      content: comment.content as string,
      publishedDate: sim.isoNow(),
      commentType: 'text',
    })),
    ...(threadContext ? { threadContext } : {}),
    ...(body.pullRequestThreadContext ? { pullRequestThreadContext: body.pullRequestThreadContext } : {}),
    ...(body.properties ? { properties: checkedProperties(body.properties) } : {}),
  });
  return ok(sim.wire.threadJson(thread));
}

type ThreadStateContext = NonNullable<PullRequestState['threads'][number]['threadContext']>;

/** Thread properties as the service takes them: each a `{ $type, $value }` pair. */
function checkedProperties(
  properties: unknown,
): NonNullable<PullRequestState['threads'][number]['properties']> {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties))
    throw refusals.invalidArgument('The thread properties must be an object.');
  const checked: NonNullable<PullRequestState['threads'][number]['properties']> = {};
  for (const [key, value] of Object.entries(properties)) {
    const pair = value as { $type?: unknown; $value?: unknown };
    if (typeof pair?.$type !== 'string' || !['string', 'number', 'boolean'].includes(typeof pair.$value))
      throw refusals.invalidArgument(`The thread property ${key} must be {"$type", "$value"}.`);
    checked[key] = { $type: pair.$type, $value: pair.$value as string | number | boolean };
  }
  return checked;
}

/**
 * Stricter than the service, to catch what it accepts but shows broken ("file no longer exists"): a
 * path without its leading `/`, a line below 1, a file the PR does not change.
 */
function checkedThreadContext(
  sim: AzureDevOpsSimulator,
  pr: PullRequestState,
  context: NonNullable<ThreadBody['threadContext']>,
): ThreadStateContext {
  const path = context.filePath;
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw refusals.invalidArgument(`The file path of a thread must start with '/': ${String(path)}`);
  }
  const start = context.rightFileStart?.line;
  const end = context.rightFileEnd?.line ?? start;
  if (
    start !== undefined &&
    (!Number.isInteger(start) || start < 1 || !Number.isInteger(end) || (end as number) < start)
  ) {
    throw refusals.invalidArgument(`The thread position ${start}-${end} is not valid: lines start at 1.`);
  }
  const changed = pr.iterations.some((iteration) =>
    sim
      .iterationChanges(pr, iteration)
      .some((change) => change.path === path && change.changeType !== 'delete'),
  );
  if (!changed) throw refusals.invalidArgument(`The file ${path} is not changed by this pull request.`);
  return {
    filePath: path,
    ...(context.rightFileStart
      ? { rightFileStart: { line: start ?? 1, offset: context.rightFileStart.offset ?? 1 } }
      : {}),
    ...(context.rightFileEnd
      ? { rightFileEnd: { line: end ?? 1, offset: context.rightFileEnd.offset ?? 1 } }
      : {}),
  };
}

function threadOf(sim: AzureDevOpsSimulator, request: SimRequest) {
  const pr = prOf(sim, request);
  const threadId = intParam(request.params.threadId, 'threadId');
  const thread = pr.threads.find((candidate) => candidate.id === threadId);
  if (!thread) throw refusals.threadNotFound(threadId);
  return thread;
}

function createComment(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const thread = threadOf(sim, request);
  const body = jsonBody<{ content?: unknown; parentCommentId?: unknown }>(request);
  if (typeof body.content !== 'string' || body.content.length === 0)
    throw refusals.invalidArgument('A comment needs content.');
  const parent = typeof body.parentCommentId === 'number' ? body.parentCommentId : 0;
  return ok(sim.wire.commentJson(sim.addComment(thread, caller, body.content, parent)));
}

function updateComment(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const thread = threadOf(sim, request);
  const comment = sim.editableComment(thread, intParam(request.params.commentId, 'commentId'), caller);
  const body = jsonBody<{ content?: unknown }>(request);
  if (typeof body.content !== 'string' || body.content.length === 0)
    throw refusals.invalidArgument('A comment needs content.');
  comment.content = body.content;
  thread.lastUpdatedDate = sim.isoNow();
  return ok(sim.wire.commentJson(comment));
}

function listThreads(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  return list(prOf(sim, request).threads.map((thread) => sim.wire.threadJson(thread)));
}

function updateThread(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const pr = prOf(sim, request);
  const threadId = intParam(request.params.threadId, 'threadId');
  const thread = pr.threads.find((candidate) => candidate.id === threadId);
  if (!thread) throw refusals.threadNotFound(threadId);
  const body = jsonBody<{ status?: string }>(request);
  if (body.status !== undefined) {
    if (!THREAD_STATUSES.has(body.status))
      throw refusals.invalidArgument(`The thread status ${body.status} is not valid.`);
    thread.status = body.status;
    thread.lastUpdatedDate = sim.isoNow();
  }
  return ok(sim.wire.threadJson(thread));
}

function createPolicyConfiguration(
  sim: AzureDevOpsSimulator,
  request: SimRequest,
  caller: SimIdentity,
): SimResponse {
  const body = jsonBody<{
    isEnabled?: unknown;
    isBlocking?: unknown;
    type?: { id?: unknown };
    settings?: PolicyConfigurationState['settings'];
  }>(request);
  if (typeof body.type?.id !== 'string') throw refusals.invalidArgument('The policy type is required.');
  if (typeof body.isEnabled !== 'boolean' || typeof body.isBlocking !== 'boolean')
    throw refusals.invalidArgument('isEnabled and isBlocking are required.');
  const scope = body.settings?.scope;
  if (
    !Array.isArray(scope) ||
    scope.length === 0 ||
    !scope.every((entry) => typeof entry.refName === 'string' && validRefName(entry.refName))
  )
    throw refusals.invalidArgument('The policy settings need a scope of refs (refs/heads/…).');
  if (body.type.id === STATUS_POLICY_TYPE_ID && typeof body.settings?.statusName !== 'string')
    throw refusals.invalidArgument('A Status policy needs settings.statusName.');
  return ok(
    sim.wire.policyJson(
      sim.addPolicyConfiguration({
        isEnabled: body.isEnabled,
        isBlocking: body.isBlocking,
        type: { id: body.type.id },
        settings: body.settings ?? {},
        createdBy: caller,
      }),
    ),
  );
}

function listPolicyConfigurations(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const type = request.query.get('policyType')?.toLowerCase();
  return list(
    [...sim.policyConfigurations.values()]
      .filter((policy) => !type || policy.type.id.toLowerCase() === type)
      .map((policy) => sim.wire.policyJson(policy)),
  );
}

function createStatus(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const pr = prOf(sim, request);
  const body = jsonBody<{
    state?: string;
    description?: string;
    context?: { genre?: string; name?: string };
    targetUrl?: string;
    iterationId?: number;
  }>(request);
  if (!body.context?.name) throw refusals.invalidArgument('The status context name is required.');
  const state = body.state ?? 'notSet';
  if (!STATUS_STATES.has(state)) throw refusals.invalidArgument(`The status state ${state} is not valid.`);
  if (
    body.iterationId !== undefined &&
    !pr.iterations.some((iteration) => iteration.id === body.iterationId)
  ) {
    throw refusals.iterationNotFound(body.iterationId);
  }
  const status = sim.addStatus(pr, {
    state,
    description: body.description ?? '',
    context: { name: body.context.name, ...(body.context.genre ? { genre: body.context.genre } : {}) },
    ...(body.targetUrl ? { targetUrl: body.targetUrl } : {}),
    ...(body.iterationId !== undefined ? { iterationId: body.iterationId } : {}),
    createdBy: caller,
  });
  return ok(sim.wire.statusJson(status));
}

function listStatuses(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  return list(prOf(sim, request).statuses.map((status) => sim.wire.statusJson(status)));
}

function queryPullRequests(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const repo = repoOf(sim, request);
  const body = jsonBody<{ queries?: { type?: string; items?: string[] }[] }>(request);
  if (!Array.isArray(body.queries)) throw refusals.invalidArgument('queries is required.');
  const prs = [...sim.pullRequests.values()].filter((pr) => pr.repositoryId === repo.id);
  const results = body.queries.map((query) => {
    if (query.type !== 'lastMergeCommit' && query.type !== 'commit')
      throw refusals.invalidArgument(`The query type ${query.type} is not supported.`);
    return Object.fromEntries(
      (query.items ?? []).map((commit) => [
        commit,
        prs
          .filter((pr) =>
            query.type === 'lastMergeCommit'
              ? pr.mergeCommit === commit
              : sim.pullRequestCommits(pr).includes(commit),
          )
          .map((pr) => sim.wire.pullRequestJson(pr)),
      ]),
    );
  });
  return ok({ queries: body.queries, results });
}

function createAnnotatedTag(
  sim: AzureDevOpsSimulator,
  request: SimRequest,
  caller: SimIdentity,
): SimResponse {
  const repo = repoOf(sim, request);
  const body = jsonBody<{ name?: string; taggedObject?: { objectId?: string }; message?: string }>(request);
  const tag = sim.createAnnotatedTag(
    repo,
    { name: body.name ?? '', commitId: body.taggedObject?.objectId ?? '', message: body.message ?? '' },
    caller,
  );
  return ok(sim.wire.annotatedTagJson(repo, tag));
}

function listRefs(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const repo = repoOf(sim, request);
  const prefix = `refs/${request.query.get('filter') ?? ''}`;
  const peel = request.query.get('peelTags') === 'true';
  const refs = [...repo.refs.entries()]
    .filter(([name]) => name.startsWith(prefix))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, target]) => {
      const tag = name.startsWith('refs/tags/') ? repo.tags.get(name.slice('refs/tags/'.length)) : undefined;
      return sim.wire.refJson(repo, name, target, peel ? tag : undefined);
    });
  return list(refs);
}
