// GET /api/staging?repo=: the repo's current staging release, 404 when it has none (hub or operator).
// Without `repo`: every repo's open staging release (the hub's overview).
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { ReleaseAgentError } from '../core/errors.ts';
import { type StagingListResponse, type StagingResponse, stagingView } from '../core/views.ts';
import { repoParam } from './api-read.ts';
import { jsonResponse } from './http.ts';
import { authenticate } from './auth.ts';
import { services } from './services.ts';

export async function stagingHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const { config, deps } = services();
  authenticate(request, config, Math.floor(deps.now().getTime() / 1000));
  const { store } = deps;
  if (!request.query.get('repo')?.trim()) {
    const list = await store.staging.list();
    return jsonResponse(200, { staging: list.map(stagingView) } satisfies StagingListResponse);
  }
  const repo = repoParam(request.query.get('repo'));
  const staging = await store.staging.get(repo);
  if (!staging) throw new ReleaseAgentError('RELEASE_NOT_FOUND', `${repo} has no staging release`, { repo });
  return jsonResponse(200, { repo, staging: stagingView(staging) } satisfies StagingResponse);
}
