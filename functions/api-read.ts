// Request parameters shared by the API routes.
import type { HttpRequest } from '@azure/functions';
import { ReleaseAgentError } from '../core/errors.ts';

/** A repository name from a path or query parameter: 1–256 characters, none of / \ # ? or controls. */
export function repoParam(value: string | null | undefined, name = 'repo'): string {
  const repo = value?.trim() ?? '';
  if (!repo) throw new ReleaseAgentError('INPUT_INVALID', `${name} is required`, { field: name });
  if (repo.length > 256 || /[/\\#?\u0000-\u001f]/.test(repo)) {
    throw new ReleaseAgentError('INPUT_INVALID', `${name} is not a repository name`, { field: name });
  }
  return repo;
}

/** `?limit=` as a whole number within bounds, or the fallback. */
export function limitParam(request: HttpRequest, fallback: number, max: number): number {
  const text = request.query.get('limit');
  if (text === null || text === '') return fallback;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new ReleaseAgentError('INPUT_INVALID', `limit must be a whole number from 1 to ${max}`, {
      field: 'limit',
    });
  }
  return Number(text);
}
