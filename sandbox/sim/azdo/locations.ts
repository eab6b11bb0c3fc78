// Location discovery as Azure DevOps answers it: `OPTIONS {organization}/_apis/{area}` lists the area's
// resource locations (id, route template, versions). azure-devops-node-api asks this once per area and
// client before its first call, builds each URL from the route template and lowers the api-version it
// asks for to the location's maxVersion. We advertise 7.1 (released), so every call negotiates to the
// version the 7.1 specs demand; test/contract/azdo-spec.test.ts checks that every template, filled in,
// is a path of a spec operation.

import type { ApiResourceLocation as LibraryLocation } from 'azure-devops-node-api/interfaces/common/VSSInterfaces.js';

/** The library's ApiResourceLocation (what the service answers and the library reads), every field set. */
export type ApiResourceLocation = Required<LibraryLocation>;

const location = (
  id: string,
  area: string,
  resourceName: string,
  routeTemplate: string,
  resourceVersion = 1,
): ApiResourceLocation => ({
  id,
  area,
  resourceName,
  routeTemplate,
  resourceVersion,
  minVersion: '1.0',
  maxVersion: '7.1',
  releasedVersion: '7.1',
});

const PR = '{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}';

/** The locations of the clients the adapter uses (ids as in the library's GitApi, PipelinesApi, BuildApi, TaskAgentApi, PolicyApi, CoreApi). */
export const API_RESOURCE_LOCATIONS: readonly ApiResourceLocation[] = [
  location(
    'a5d28130-9cd2-40fa-9f08-902e7daa9efb',
    'git',
    'pullRequests',
    '{project}/_apis/{area}/{resource}',
    2,
  ),
  location(
    '9946fd70-0d40-406e-b686-b4744cbbcc37',
    'git',
    'pullRequests',
    '{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{pullRequestId}',
    2,
  ),
  location(
    'd43911ee-6958-46b0-a42b-8445b8a0d004',
    'git',
    'pullRequestIterations',
    `${PR}/iterations/{iterationId}`,
    2,
  ),
  location(
    '4216bdcf-b6b1-4d59-8b82-c34cc183fc8b',
    'git',
    'pullRequestIterationChanges',
    `${PR}/iterations/{iterationId}/changes`,
  ),
  location('ab6e2e5d-a0b7-4153-b64a-a4efe0d49449', 'git', 'pullRequestThreads', `${PR}/threads/{threadId}`),
  location(
    '965a3ec7-5ed8-455a-bdcb-835a5ea7fe7b',
    'git',
    'pullRequestThreadComments',
    `${PR}/threads/{threadId}/comments/{commentId}`,
  ),
  location(
    'b5f6bb4f-8d1e-4d79-8d11-4c9172c99c35',
    'git',
    'pullRequestStatuses',
    `${PR}/statuses/{statusId}`,
    2,
  ),
  location(
    'b3a6eebe-9cf0-49ea-b6cb-1a4c5f5007b0',
    'git',
    'pullRequestQuery',
    '{project}/_apis/{area}/repositories/{repositoryId}/{resource}',
  ),
  location(
    '5e8a8081-3851-4626-b677-9891cc04102e',
    'git',
    'annotatedTags',
    '{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{objectId}',
  ),
  location(
    '2d874a60-a811-4f62-9c9f-963a6ea0a55b',
    'git',
    'refs',
    '{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{*filter}',
    2,
  ),
  location(
    '7859261e-d2e9-4a68-b820-a5d84cc5bb3d',
    'pipelines',
    'runs',
    '{project}/_apis/{area}/{pipelineId}/{resource}/{runId}',
  ),
  location(
    '8572b1fc-2482-47fa-8f74-7e3ed53ee54b',
    'distributedtask',
    'environments',
    '{project}/_apis/{area}/{resource}/{environmentId}',
  ),
  location(
    '0cd358e1-9217-4d94-8269-1c1ee6f93dcf',
    'build',
    'builds',
    '{project}/_apis/{area}/{resource}/{buildId}',
    7,
  ),
  location('603fe2ac-9723-48b9-88ad-09305aa6c6e1', 'core', 'projects', '_apis/{resource}/{*projectId}', 4),
  location(
    'dad91cbe-d183-45f8-9c6e-9c1164472121',
    'policy',
    'configurations',
    '{project}/_apis/{area}/{resource}/{configurationId}',
  ),
];

/** The areas the simulator answers discovery for; any other area is unknown to it (404). */
export function locationsOfArea(area: string): ApiResourceLocation[] | undefined {
  const found = API_RESOURCE_LOCATIONS.filter((entry) => entry.area.toLowerCase() === area.toLowerCase());
  return found.length > 0 ? found : undefined;
}
