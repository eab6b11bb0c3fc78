// GET /api/releases/{repo}: a repo's archived releases, newest first (the Python agent's endpoint; hub or operator).
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { type ReleasesResponse, releaseView } from '../core/views.ts';
import { limitParam, repoParam } from './api-read.ts';
import { jsonResponse } from './http.ts';
import { authenticate } from './auth.ts';
import { services } from './services.ts';

export async function releasesHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const { config, deps } = services();
  authenticate(request, config, Math.floor(deps.now().getTime() / 1000));
  const repo = repoParam(request.params.repo);
  const limit = limitParam(request, 50, 500);
  const releases = await deps.store.releases.list(repo, limit);
  return jsonResponse(200, { repo, releases: releases.map(releaseView) } satisfies ReleasesResponse);
}
