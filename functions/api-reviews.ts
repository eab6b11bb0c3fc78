// GET /api/reviews?repo=&limit=: the AI review log for the hub, newest first (hub or operator only).
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { type ReviewsResponse, reviewView } from '../core/views.ts';
import { limitParam, repoParam } from './api-read.ts';
import { jsonResponse } from './http.ts';
import { authenticate } from './auth.ts';
import { services } from './services.ts';

export async function reviewsHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const { config, deps } = services();
  authenticate(request, config, Math.floor(deps.now().getTime() / 1000));
  const repo = request.query.get('repo') ? repoParam(request.query.get('repo')) : undefined;
  const reviews = await deps.store.reviews.list({
    ...(repo ? { repo } : {}),
    limit: limitParam(request, 100, 500),
  });
  return jsonResponse(200, { reviews: reviews.map(reviewView) } satisfies ReviewsResponse);
}
