// GET /api/releases/{repo}: a repo's archived releases, newest first (the Python agent's endpoint; open).
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { limitParam, repoParam } from './api-read.ts';
import { jsonResponse } from './http.ts';
import { services } from './services.ts';

export async function releasesHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const repo = repoParam(request.params.repo);
  const limit = limitParam(request, 50, 500);
  const releases = await services().deps.store.releases.list(repo, limit);
  return jsonResponse(200, { repo, releases });
}
