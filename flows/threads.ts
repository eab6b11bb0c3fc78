// Threads are the Python agent's agent_threads: one per PR flow and one per release flow. Their ids
// are derived from what they track, so every part (tasks, webhooks, poller, API) finds the same one.

/** `pr.<repo>.<id>`; the repo is percent-encoded so the id is safe in a URL path segment. */
export function prThreadId(repo: string, prId: number): string {
  return `pr.${encodeURIComponent(repo)}.${prId}`;
}

/** `release.<repo>.<version>` */
export function releaseThreadId(repo: string, version: string): string {
  return `release.${encodeURIComponent(repo)}.${version}`;
}

export type { PrThreadState, ReleaseThreadState } from '../core/model.ts';
