// The simulator's REST surface: every route is an operation of the Azure DevOps 7.1 specs (template,
// operationId and api-version as the spec has them; test/contract/azdo-spec.test.ts checks this table).
// Each route authenticates the caller, checks organisation, project and api-version, then answers with
// the service's shapes: collections as `{ count, value }`, errors as its error envelope.
// The handlers live by area (git-routes.ts, pipeline-routes.ts, approval-routes.ts, hook-routes.ts); this
// file composes their table and puts every route behind the same guard.
import { basicCredentials, bearerToken, type SimRequest, type SimResponse } from '../server.ts';
import { APPROVAL_ROUTES } from './approval-routes.ts';
import { azdoError, refusals } from './errors.ts';
import { GIT_ROUTES } from './git-routes.ts';
import { HOOK_ROUTES } from './hook-routes.ts';
import { locationsOfArea } from './locations.ts';
import { PIPELINE_ROUTES } from './pipeline-routes.ts';
import { type AzureDevOpsRoute, list, type RouteEntry, sameProject } from './route-kit.ts';
import type { AzureDevOpsSimulator, SimIdentity } from './simulator.ts';

export type { AzureDevOpsRoute } from './route-kit.ts';

const ROUTES: readonly RouteEntry[] = [...GIT_ROUTES, ...PIPELINE_ROUTES, ...APPROVAL_ROUTES, ...HOOK_ROUTES];

/** The routes the simulator serves, for the spec contract test. */
export const AZDO_ROUTES: readonly AzureDevOpsRoute[] = ROUTES.map(
  ({ method, template, operation, apiVersion }) => ({
    method,
    template,
    operation,
    apiVersion,
  }),
);

/** Location discovery (locations.ts): not an operation of the specs, the way clients find the routes. */
export const LOCATION_DISCOVERY_ROUTE = {
  method: 'OPTIONS',
  template: '/{organization}/_apis/{area}',
  operation: 'Location discovery',
} as const;

export function registerAzureDevOpsRoutes(sim: AzureDevOpsSimulator): void {
  for (const route of ROUTES)
    sim.server.route(route.method, route.template, route.operation, (request) => guard(sim, route, request));
  const { method, template, operation } = LOCATION_DISCOVERY_ROUTE;
  sim.server.route(method, template, operation, (request) => discoverLocations(sim, request));
}

/** What the service answers the library's `OPTIONS _apis/{area}`: the caller is authenticated first. */
function discoverLocations(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  if (!authenticate(sim, request)) {
    return {
      status: 401,
      headers: {
        'www-authenticate':
          'Bearer authorization_uri=https://login.microsoftonline.com/common, Basic realm="https://dev.azure.com/", TFS-Federated',
      },
      body: refusals.unauthorized(),
    };
  }
  if ((request.params.organization ?? '').toLowerCase() !== sim.organization.toLowerCase()) {
    throw azdoError(
      404,
      `The organization ${request.params.organization} does not exist.`,
      'HostNotFoundException',
      'framework',
    );
  }
  const locations = locationsOfArea(request.params.area ?? '');
  if (!locations) {
    throw azdoError(
      404,
      `No resource area ${request.params.area} is registered.`,
      'ResourceAreaNotFoundException',
    );
  }
  return list(locations);
}

/** What every route checks first, in the service's order: caller, organisation, project, api-version. */
function guard(sim: AzureDevOpsSimulator, route: RouteEntry, request: SimRequest): SimResponse {
  const caller = authenticate(sim, request);
  if (!caller) {
    // The service answers 401 with a challenge for API clients (and, for some routes, a 203 sign-in
    // page for a bad PAT: a browser redirect the adapter treats as AUTH_INVALID; we answer 401 always).
    return {
      status: 401,
      headers: {
        'www-authenticate':
          'Bearer authorization_uri=https://login.microsoftonline.com/common, Basic realm="https://dev.azure.com/", TFS-Federated',
        'x-tfs-fedauthrealm': 'https://dev.azure.com/',
      },
      body: refusals.unauthorized(),
    };
  }
  if ((request.params.organization ?? '').toLowerCase() !== sim.organization.toLowerCase()) {
    throw azdoError(
      404,
      `The organization ${request.params.organization} does not exist.`,
      'HostNotFoundException',
      'framework',
    );
  }
  const project = request.params.project;
  if (project !== undefined && !sameProject(sim, project)) throw refusals.projectNotFound(project);
  checkApiVersion(route, request);
  return route.handle(sim, request, caller);
}

function authenticate(sim: AzureDevOpsSimulator, request: SimRequest): SimIdentity | undefined {
  const basic = basicCredentials(request.headers);
  if (basic)
    return sim.credentials.find((cred) => cred.kind === 'pat' && cred.token === basic.password)?.identity;
  const bearer = bearerToken(request.headers);
  if (bearer)
    return sim.credentials.find(
      (cred) => cred.kind === 'bearer' && cred.token === bearer && jobTokenLive(sim, cred.runId),
    )?.identity;
  return undefined;
}

/** A job's token dies with its run; other bearer tokens (set up by a test) always live. */
function jobTokenLive(sim: AzureDevOpsSimulator, runId: number | undefined): boolean {
  if (runId === undefined) return true;
  const run = sim.runs.get(runId);
  return run !== undefined && sim.runInProgress(run);
}

/** Stricter than the service on one point: a GET without api-version is refused too (the service serves its latest). */
function checkApiVersion(route: AzureDevOpsRoute, request: SimRequest): void {
  const asked = request.query.get('api-version');
  if (!asked) throw refusals.apiVersionMissing(request.method);
  if (asked.toLowerCase() === route.apiVersion.toLowerCase()) return;
  const released = route.apiVersion.replace(/-preview.*$/, '');
  if (route.apiVersion.includes('preview') && asked === released) throw refusals.previewFlagMissing(released);
  throw refusals.versionOutOfRange(asked);
}
