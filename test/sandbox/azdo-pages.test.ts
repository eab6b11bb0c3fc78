// The Azure DevOps simulator's pages for people: a PR page whose hostile text stays text, the
// environments page whose Approve/Reject answer the approval as a person in the UI, and pages kept out
// of the REST contract (no route, nothing in the request log).
import assert from 'node:assert/strict';
import type { AzureDevOpsSimulator } from '../../sandbox/sim/azdo/simulator.ts';
import { adapterFor, seedFeaturePullRequest, startSim } from '../adapters/azdo/support.ts';

const PAT_AUTH = `Basic ${Buffer.from(':sim-pat').toString('base64')}`;

describe('Azure DevOps simulator pages', () => {
  let sim: AzureDevOpsSimulator;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(async () => {
    await sim.stop();
  });

  const environmentsUrl = () =>
    `${sim.organizationUrl}/${encodeURIComponent(sim.project.name)}/_environments`;

  it('the PR page at the webUrl the API gives: title, description, branches, the threads at their file:line, escaped', async () => {
    const hostile = '<script>alert(1)</script>';
    const { pr } = seedFeaturePullRequest(sim, {
      description: `Adds the **login** form ${hostile} [x](javascript:alert(2))`,
    });
    pr.title = `ALLPOST-4028 login ${hostile}`;
    const azdo = adapterFor(sim);
    const repoName = sim.repositories.get(pr.repositoryId)!.name;
    // A review comment as the REST API takes it.
    const threads = await fetch(
      `${sim.organizationUrl}/${sim.project.id}/_apis/git/repositories/${pr.repositoryId}/pullRequests/${pr.id}/threads?api-version=7.1`,
      {
        method: 'POST',
        headers: { authorization: PAT_AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({
          comments: [{ parentCommentId: 0, content: `Missing null check ${hostile}`, commentType: 'text' }],
          status: 'active',
          threadContext: {
            filePath: '/src/login.ts',
            rightFileStart: { line: 7, offset: 1 },
            rightFileEnd: { line: 7, offset: 1 },
          },
        }),
      },
    );
    assert.equal(threads.status, 200);
    const fetched = await azdo.getPullRequest(repoName, pr.id);
    const response = await fetch(fetched.webUrl);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.ok(!html.includes('<script>alert'), 'no markup from PR text');
    assert.ok(html.includes('ALLPOST-4028 login &lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('Adds the <b>login</b> form'));
    assert.ok(!html.includes('href="javascript:'));
    assert.ok(html.includes('<code>feature/ALLPOST-4028_login</code> into <code>develop</code>'));
    assert.ok(html.includes('<span class="at">/src/login.ts:7</span>'));
    assert.ok(html.includes('Missing null check &lt;script&gt;'));

    assert.equal((await fetch(fetched.webUrl.replace(/\/\d+$/, '/999'))).status, 404);
    // Off the contract: no REST route for it, nothing in the request log.
    assert.ok(!sim.server.routes.some((route) => route.template.includes('pullrequest/')));
    assert.ok(!sim.requestLog.some((entry) => entry.path.includes('/pullrequest/')));
  });

  it('the environments page lists a pending approval; its Approve button approves it', async () => {
    const approval = sim.createPendingApproval({
      environment: 'release-agent-production',
      stageName: 'Production',
    });
    const page = await (await fetch(environmentsUrl())).text();
    const row = new RegExp(`<tr data-approval="${approval.id}" data-status="pending">.*?</tr>`, 's').exec(
      page,
    )?.[0];
    assert.ok(row, 'the pending approval is listed');
    assert.ok(row.includes('release-agent-production'));
    const action = /<form method="post" action="([^"]+)"/.exec(row)?.[1];
    assert.ok(action && /<button class="approve" name="status" value="approved">Approve<\/button>/.test(row));

    // What the browser sends when Approve is pressed.
    const pressed = await fetch(new URL(action, sim.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ comment: 'ship it', status: 'approved' }),
      redirect: 'manual',
    });
    assert.equal(pressed.status, 303);
    assert.equal(sim.approval(approval.id).status, 'approved');
    assert.equal(sim.approval(approval.id).actualApprover?.displayName, sim.users.approver.displayName);
    assert.equal(sim.approval(approval.id).comment, 'ship it');
    const after = await (await fetch(environmentsUrl())).text();
    assert.match(after, new RegExp(`<tr data-approval="${approval.id}" data-status="approved">`));

    // Pressed again: refused as the service refuses a second decision; anything but approve/reject is a 400.
    const again = await fetch(new URL(action, sim.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'status=rejected',
      redirect: 'manual',
    });
    assert.equal(again.status, 400);
    assert.equal(sim.approval(approval.id).status, 'approved');
    const other = sim.createPendingApproval({ environment: 'release-agent-production' });
    const bad = await fetch(new URL(action.replace(approval.id, other.id), sim.url), {
      method: 'POST',
      body: 'status=maybe',
    });
    assert.equal(bad.status, 400);
    assert.equal(sim.approval(other.id).status, 'pending');
  });
});
