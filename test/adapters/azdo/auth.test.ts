import { locationsOfArea } from '../../../sandbox/sim/azdo/locations.ts';
import assert from 'node:assert/strict';
import { RestAzureDevOps } from '../../../adapters/azdo/rest-azdo.ts';
import { isReleaseAgentError } from '../../../core/errors.ts';
import { Secret } from '../../../core/secret.ts';
import type { AzureDevOpsSimulator } from '../../../sandbox/sim/azdo/simulator.ts';
import { SimServer } from '../../../sandbox/sim/server.ts';
import { coded } from '../../core/expect-error.ts';
import { adapterFor, fastRetry, seedFeaturePullRequest, startSim } from './support.ts';

describe('Azure DevOps adapter: authentication', () => {
  let sim: AzureDevOpsSimulator;
  before(async () => {
    sim = await startSim();
    seedFeaturePullRequest(sim);
  });
  after(() => sim.stop());

  it('sends a PAT as Basic with an empty user name', async () => {
    const since = sim.requestLog.length;
    const prs = await adapterFor(sim).listActivePullRequests();
    assert.ok(prs.length >= 1);
    assert.equal(sim.requestLog[since]?.status, 200);
  });

  it("sends the pipeline's System.AccessToken as Bearer", async () => {
    const prs = await adapterFor(sim, {
      auth: { kind: 'bearer', token: new Secret('sim-access-token') },
    }).listActivePullRequests();
    assert.ok(prs.length >= 1);
  });

  it('answers AUTH_INVALID for a token the service refuses, without the token in the error', async () => {
    const token = 'wrong-pat-value-123';
    await assert.rejects(
      adapterFor(sim, { auth: { kind: 'pat', token: new Secret(token) } }).listActivePullRequests(),
      (error: unknown) => {
        coded('AUTH_INVALID', { status: 401, service: 'azure-devops' })(error);
        assert.ok(isReleaseAgentError(error));
        const text = `${error.message} ${JSON.stringify(error.fields)}`;
        assert.ok(!text.includes(token) && !text.includes(Buffer.from(`:${token}`).toString('base64')));
        return true;
      },
    );
    await assert.rejects(
      adapterFor(sim, { auth: { kind: 'bearer', token: new Secret('sim-pat') } }).getPullRequest('x', 1),
      coded('AUTH_INVALID', { status: 401 }),
      'a PAT is not a bearer token',
    );
  });

  it("answers AUTH_INVALID for the service's 203 sign-in page", async () => {
    const signIn = new SimServer('sign-in');
    // Discovery answers (the library asks it first); the call itself gets the sign-in page.
    signIn.route('OPTIONS', '/{organization}/_apis/{area}', 'Location discovery', (request) => ({
      status: 200,
      body: { count: 1, value: locationsOfArea(request.params.area ?? '') ?? [] },
    }));
    signIn.route(
      'GET',
      '/{organization}/{project}/_apis/git/pullrequests',
      'Pull Requests_Get Pull Requests By Project',
      () => ({
        status: 203,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: '<html><body>Sign in to your account</body></html>',
      }),
    );
    await signIn.start();
    try {
      const adapter = new RestAzureDevOps({
        organizationUrl: `${signIn.url}/acme`,
        project: 'Payments',
        auth: { kind: 'pat', token: new Secret('expired-pat') },
        retry: fastRetry,
      });
      await assert.rejects(adapter.listActivePullRequests(), coded('AUTH_INVALID', { status: 203 }));
    } finally {
      await signIn.stop();
    }
  });
});
