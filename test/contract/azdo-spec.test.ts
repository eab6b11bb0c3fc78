// The Azure DevOps contract: Microsoft's 7.1 OpenAPI specs are the only source of truth for a call.
// (a) every route the simulator serves is a spec operation (same method, same template ignoring
//     parameter names and case, same operationId and api-version);
// (b) every request any Azure DevOps simulator recorded during the whole test run (the adapter's calls
//     included) maps to a spec operation, with its api-version and only the query parameters it declares.
// (b) is a root-level `after` hook: mocha runs it once, after every suite of every file has finished,
// whatever the order the files were loaded in, and reports a failure there like a failed test.
import assert from 'node:assert/strict';
import { RestAzureDevOps } from '../../adapters/azdo/rest-azdo.ts';
import { Secret } from '../../core/secret.ts';
import { API_RESOURCE_LOCATIONS } from '../../sandbox/sim/azdo/locations.ts';
import { AZDO_ROUTES, LOCATION_DISCOVERY_ROUTE } from '../../sandbox/sim/azdo/routes.ts';
import { recordedAzureDevOpsRequests, startAzureDevOpsSimulator } from '../../sandbox/sim/azdo/simulator.ts';
import type { RequestLogEntry } from '../../sandbox/sim/server.ts';
import {
  bodyProblems,
  loadSpecSchemas,
  locationProblems,
  loadSpecOperations,
  operationForPath,
  requestProblems,
  routeProblems,
  type SpecOperation,
} from './azdo-spec.ts';

const operations: SpecOperation[] = loadSpecOperations();

function entry(method: string, path: string, query: string, template?: string): RequestLogEntry {
  return { at: new Date().toISOString(), method, path, query, status: 200, operation: undefined, template };
}

after('every request recorded by an Azure DevOps simulator in this run is a 7.1 spec operation', () => {
  const recorded = recordedAzureDevOpsRequests();
  assert.ok(recorded.length > 0, 'no request was recorded: the check would prove nothing');
  assert.deepEqual(requestProblems(operations, recorded), []);
  // And its bodies are the spec's: what was sent, and what the simulator answered.
  const { problems, bodyChecks } = bodyProblems(operations, loadSpecSchemas(), recorded);
  assert.ok(bodyChecks > 0, 'no body was checked: the check would prove nothing');
  assert.deepEqual([...new Set(problems)], []);
});

describe('Azure DevOps contract: the 7.1 specs', () => {
  it('loads every spec file (each starts with a byte order mark)', () => {
    const files = new Set(operations.map((operation) => operation.file));
    assert.equal(files.size, 9);
    assert.ok(operations.length > 300);
    assert.ok(
      operations.every((operation) => operation.apiVersion?.startsWith('7.1')),
      'each operation says its api-version',
    );
    const checks = operations.find((operation) => operation.operationId === 'Check Configurations_Add');
    assert.equal(checks?.apiVersion, '7.1-preview.1');
  });

  it('(a) every route the simulator serves is an operation of the specs', async () => {
    assert.deepEqual(routeProblems(operations, AZDO_ROUTES), []);
    // The table is what the server really serves: nothing registered beside it.
    const sim = await startAzureDevOpsSimulator();
    try {
      assert.deepEqual(
        sim.server.routes.map((route) => `${route.method} ${route.template} ${route.operation}`),
        [...AZDO_ROUTES, LOCATION_DISCOVERY_ROUTE].map(
          (route) => `${route.method} ${route.template} ${route.operation}`,
        ),
      );
    } finally {
      await sim.stop();
    }
  });

  it('(a) every resource location the simulator advertises routes to a spec operation at 7.1', () => {
    assert.ok(API_RESOURCE_LOCATIONS.length >= 12);
    assert.deepEqual(locationProblems(operations, API_RESOURCE_LOCATIONS), []);
    assert.deepEqual(
      locationProblems(operations, [
        { ...API_RESOURCE_LOCATIONS[0]!, routeTemplate: '{project}/_apis/{area}/pullrequestz' },
        { ...API_RESOURCE_LOCATIONS[1]!, maxVersion: '7.2', releasedVersion: '7.1' },
      ]),
      [
        'git pullRequests a5d28130-9cd2-40fa-9f08-902e7daa9efb: /{organization}/{project}/_apis/git/pullrequestz is no path of the specs',
        'git pullRequests 9946fd70-0d40-406e-b686-b4744cbbcc37: advertises 7.2 (released 7.1): calls would negotiate past 7.1',
      ],
    );
  });

  it('(a) finds a route that is not in the specs', () => {
    const problems = routeProblems(operations, [
      ...AZDO_ROUTES,
      {
        method: 'GET',
        template: '/{organization}/_apis/connectionData',
        operation: 'connectionData',
        apiVersion: '7.1',
      },
      {
        method: 'POST',
        template: '/{organization}/{project}/_apis/git/pullrequests',
        operation: 'x',
        apiVersion: '7.1',
      },
      {
        method: 'GET',
        template: '/{org}/{proj}/_apis/pipelines/checks/configurations',
        operation: 'Check Configurations_List',
        apiVersion: '7.1',
      },
    ]);
    assert.deepEqual(problems, [
      'GET /{organization}/_apis/connectionData: no operation in the specs',
      'POST /{organization}/{project}/_apis/git/pullrequests: no operation in the specs',
      'GET /{org}/{proj}/_apis/pipelines/checks/configurations: serves api-version 7.1, the spec says 7.1-preview.1',
    ]);
  });

  it('(b) matches requests case-insensitively, parameter names ignored', () => {
    const good = [
      entry(
        'GET',
        '/acme/Payments/_apis/git/pullrequests',
        '?searchCriteria.status=active&%24top=100&api-version=7.1',
      ),
      entry('PATCH', '/acme/Payments/_apis/git/repositories/api/pullRequests/7', '?api-version=7.1'),
      entry(
        'POST',
        '/acme/_apis/hooks/subscriptions',
        '?api-version=7.1',
        '/{organization}/_apis/hooks/subscriptions',
      ),
      entry(
        'GET',
        '/acme/p/_apis/pipelines/checks/configurations',
        '?resourceType=environment&resourceId=1&api-version=7.1-preview.1',
      ),
    ];
    assert.deepEqual(requestProblems(operations, good), []);
    assert.equal(
      operationForPath(operations, 'GET', '/acme/p/_apis/pipelines/approvals')?.operationId,
      'Approvals_Query',
      'the literal path wins',
    );
  });

  it('(b) fails for a request that is not in the specs', () => {
    const problems = requestProblems(operations, [
      entry('GET', '/acme/_apis/connectionData', '?api-version=7.1'),
      entry('OPTIONS', '/acme/_apis/git', ''),
      entry('GET', '/acme/_apis/ResourceAreas', ''),
      entry('GET', '/acme/Payments/_apis/git/pullrequests', '?api-version=7.2-preview.2'),
      entry('GET', '/acme/Payments/_apis/pipelines/checks/configurations', '?api-version=7.1'),
      entry('GET', '/acme/Payments/_apis/git/pullrequests', '?api-version=7.1&searchCriteria.colour=red'),
    ]);
    assert.deepEqual(problems, [
      'GET /acme/_apis/connectionData?api-version=7.1: no operation in the specs',
      'OPTIONS /acme/_apis/git: no operation in the specs',
      'GET /acme/_apis/ResourceAreas: no operation in the specs',
      'GET /acme/Payments/_apis/git/pullrequests?api-version=7.2-preview.2: api-version 7.2-preview.2, Pull Requests_Get Pull Requests By Project needs 7.1',
      'GET /acme/Payments/_apis/pipelines/checks/configurations?api-version=7.1: api-version 7.1, Check Configurations_List needs 7.1-preview.1',
      'GET /acme/Payments/_apis/git/pullrequests?api-version=7.1&searchCriteria.colour=red: Pull Requests_Get Pull Requests By Project declares no query parameter searchCriteria.colour',
    ]);
  });

  it('(b) sees the requests of every simulator of the run, the adapter calls included', async () => {
    const sim = await startAzureDevOpsSimulator();
    try {
      sim.seedRepository({ name: 'contract-repo', branches: ['develop'] });
      const before = recordedAzureDevOpsRequests().length;
      const adapter = new RestAzureDevOps({
        organizationUrl: sim.organizationUrl,
        project: sim.project.name,
        auth: { kind: 'pat', token: new Secret('sim-pat') },
      });
      await adapter.listActivePullRequests({ targetRefName: 'refs/heads/develop' });
      await adapter.ensureEnvironment('contract-env');
      const recorded = recordedAzureDevOpsRequests().slice(before);
      // Location discovery comes first unless this process already asked it of this organisation URL.
      assert.deepEqual(
        recorded
          .filter((request) => request.operation !== 'Location discovery')
          .map((request) => request.operation),
        ['Pull Requests_Get Pull Requests By Project', 'Environments_List', 'Environments_Add'],
      );
      for (const discovery of recorded.filter((request) => request.operation === 'Location discovery'))
        assert.ok(
          [`/${sim.organization}/_apis/git`, `/${sim.organization}/_apis/distributedtask`].includes(
            discovery.path,
          ),
          discovery.path,
        );
      assert.deepEqual(requestProblems(operations, recorded), []);
    } finally {
      await sim.stop();
    }
  });
});
