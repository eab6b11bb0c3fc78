// What every Azure DevOps simulator route handler shares: the route's shape, the answer helpers and the
// readers of path, query and body that refuse bad input the way the service does.
import type { SimRequest, SimResponse } from '../server.ts';
import { refusals } from './errors.ts';
import type { RepositoryState } from './git.ts';
import type { AzureDevOpsSimulator, PullRequestState, SimIdentity } from './simulator.ts';

export interface AzureDevOpsRoute {
  method: string;
  template: string;
  /** The spec's operationId. */
  operation: string;
  /** The api-version the spec demands for this operation. */
  apiVersion: string;
}

export type Handler = (sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity) => SimResponse;

export type RouteEntry = AzureDevOpsRoute & { handle: Handler };

export const ok = (body: unknown): SimResponse => ({ status: 200, body });
export const list = (items: unknown[]): SimResponse => ok({ count: items.length, value: items });

/** The project-scoped API root of the 7.1 path templates. */
export const P = '/{organization}/{project}/_apis';

export function repoOf(sim: AzureDevOpsSimulator, request: SimRequest): RepositoryState {
  return sim.repository(request.params.repositoryId ?? '');
}

export function intParam(value: string | undefined, name: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw refusals.badRequest(`The value of ${name} is not a valid integer: ${value}`);
  return parsed;
}

export function prOf(sim: AzureDevOpsSimulator, request: SimRequest): PullRequestState {
  return sim.pullRequest(repoOf(sim, request), intParam(request.params.pullRequestId, 'pullRequestId'));
}

export function jsonBody<T>(request: SimRequest): T {
  const body = request.json<T>();
  if (body === null || typeof body !== 'object') throw refusals.badRequest('The request body is required.');
  return body;
}

export function optionalInt(request: SimRequest, name: string): number | undefined {
  const value = request.query.get(name);
  return value === null || value === '' ? undefined : intParam(value, name);
}

/** The project by id or name, case-insensitive, as the service accepts it in a path. */
export function sameProject(sim: AzureDevOpsSimulator, value: string): boolean {
  const key = value.toLowerCase();
  return key === sim.project.id.toLowerCase() || key === sim.project.name.toLowerCase();
}
