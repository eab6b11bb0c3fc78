// Request parameters shared by the API routes.
import type { HttpRequest } from '@azure/functions';
import * as z from 'zod/mini';
import { parseOrFail } from '../core/input.ts';
import { invalidInput } from './http.ts';

/** A repository name: 1–256 characters, none of / \ # ? or controls. */
const repoName = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'required'),
    z.maxLength(256, 'not a repository name'),
    z.regex(/^[^/\\#?\u0000-\u001f]*$/, 'not a repository name'),
  );

/** A repository name from a path or query parameter. */
export function repoParam(value: string | null | undefined, name = 'repo'): string {
  return parseOrFail(repoName, value ?? '', (_field, problem) => invalidInput(name, problem));
}

/** `?limit=` as a whole number within bounds, or the fallback. */
export function limitParam(request: HttpRequest, fallback: number, max: number): number {
  const text = request.query.get('limit');
  if (text === null || text === '') return fallback;
  const problem = `must be a whole number from 1 to ${max}`;
  const limit = z.pipe(
    z.string().check(z.regex(/^\d{1,4}$/, problem)),
    z.pipe(
      z.transform((digits: string) => Number(digits)),
      z.int().check(z.minimum(1, problem), z.maximum(max, problem)),
    ),
  );
  return parseOrFail(limit, text, (_field, problem) => invalidInput('limit', problem));
}
