// POST /api/manual/pr/{prId} and POST /api/manual/release: an operator's nudge (the Python agent's
// manual triggers), for X-Operator-Token only (never the hub). Both only queue work: the worker
// re-reads the PR, or queues the release pipeline configured for the repo (RELEASE_PIPELINE_BY_REPO).
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as z from 'zod/mini';
import { ReleaseAgentError } from '../core/errors.ts';
import { parseOrFail } from '../core/input.ts';
import { pipelineFor } from '../flows/agent-deps.ts';
import { releaseThreadId } from '../flows/threads.ts';
import { workMessage } from '../flows/work-messages.ts';
import { repoParam } from './api-read.ts';
import { enqueue, invalidInput, jsonResponse, readJsonBody } from './http.ts';
import { authenticate } from './auth.ts';
import { services } from './services.ts';

/** A PR number in the path: 1 to 9 digits, not 0. */
const prNumber = z.pipe(
  z.string().check(z.regex(/^\d{1,9}$/, 'must be a PR number')),
  z.pipe(
    z.transform((digits: string) => Number(digits)),
    z.int().check(z.minimum(1, 'must be a PR number')),
  ),
);

export async function manualPrHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { config, deps } = services();
  authenticate(request, config, Math.floor(deps.now().getTime() / 1000), ['operator']);
  const prId = parseOrFail(prNumber, request.params.prId ?? '', (_field, problem) =>
    invalidInput('prId', problem),
  );
  const body = await readJsonBody(request, z.object({ repo: z.optional(z.string()) }));
  const repoText = body.repo ?? request.query.get('repo');
  let repo = repoText ? repoParam(repoText) : undefined;
  if (!repo) {
    // The Python agent took only the id: find the PR among the project's active ones.
    if (!deps.azdo)
      throw new ReleaseAgentError('NOT_CONFIGURED', 'Azure DevOps is not configured', {
        variables: ['AZDO_PAT'],
      });
    repo = (await deps.azdo.listActivePullRequests()).find((pr) => pr.id === prId)?.repository.name;
    if (!repo)
      throw new ReleaseAgentError(
        'NOT_FOUND',
        `no active PR ${prId} in the project (give "repo" for a closed one)`,
        { prId },
      );
  }
  const message = workMessage('pr', { source: 'manual', repo, prId, force: true });
  enqueue(context, [message]);
  return jsonResponse(202, { status: 'queued', repo, prId, requestId: message.id });
}

export async function manualReleaseHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { config, deps } = services();
  const caller = authenticate(request, config, Math.floor(deps.now().getTime() / 1000), ['operator']);
  const body = await readJsonBody(
    request,
    z.object({ repo: z.optional(z.string()), pipelineId: z.optional(z.unknown()) }),
  );
  // The pipeline that runs is configuration, never the caller's choice: say so rather than ignore it.
  if (body.pipelineId !== undefined) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'pipelineId is not accepted: the release pipeline comes from RELEASE_PIPELINE_BY_REPO',
      { field: 'pipelineId' },
    );
  }
  const repo = repoParam(body.repo);
  const pipelineId = pipelineFor(deps.settings.releasePipelineByRepo, repo);
  if (pipelineId === undefined) {
    throw new ReleaseAgentError(
      'NOT_FOUND',
      `no release pipeline for ${repo}: set RELEASE_PIPELINE_BY_REPO`,
      {
        repo,
      },
    );
  }
  const staging = await deps.store.staging.get(repo);
  if (!staging || staging.tickets.length === 0) {
    throw new ReleaseAgentError('RELEASE_NOT_FOUND', `${repo} has nothing on staging to release`, { repo });
  }
  const thread = await deps.store.threads.get(releaseThreadId(repo, staging.version));
  if (thread && (thread.status === 'running' || thread.status === 'waiting')) {
    throw new ReleaseAgentError(
      'CONFLICT',
      `the release of ${repo} ${staging.version} is already ${thread.status}`,
      { repo, version: staging.version },
    );
  }
  const message = workMessage('release', { repo, pipelineId, requestedBy: `${caller.kind}:${caller.name}` });
  enqueue(context, [message]);
  return jsonResponse(202, {
    status: 'queued',
    repo,
    version: staging.version,
    pipelineId,
    requestId: message.id,
  });
}
