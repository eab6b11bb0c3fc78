// The Azure DevOps simulator on its own: service-hook events and their delivery, the service's answers
// and error bodies over plain HTTP, and the controls over HTTP and from the command line.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AzureDevOpsSimulator } from '../../sandbox/sim/azdo/simulator.ts';
import { freePort } from '../../sandbox/ports.ts';
import { seedFeaturePullRequest, startReceiver, startSim } from '../adapters/azdo/support.ts';

// Recorded service-hook payloads, vendored in the repository (test/fixtures/azure-devops/README.md).
const SAMPLES = join(import.meta.dirname, '..', 'fixtures', 'azure-devops');
const sample = (name: string) =>
  JSON.parse(readFileSync(join(SAMPLES, name), 'utf8')) as Record<string, unknown>;
const PAT_AUTH = `Basic ${Buffer.from(':sim-pat').toString('base64')}`;

async function call(
  sim: AzureDevOpsSimulator,
  method: string,
  path: string,
  options: { body?: unknown; auth?: string | null; version?: string | null } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const url = new URL(`${sim.organizationUrl}/${path}`);
  const version = options.version === undefined ? '7.1' : options.version;
  if (version !== null) url.searchParams.set('api-version', version);
  const auth = options.auth === undefined ? PAT_AUTH : options.auth;
  const response = await fetch(url, {
    method,
    headers: {
      ...(auth ? { authorization: auth } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const ERROR_KEYS = ['$id', 'innerException', 'message', 'typeName', 'typeKey', 'errorCode', 'eventId'];

function missingKeys(expected: object, actual: object): string[] {
  return Object.keys(expected).filter((key) => !(key in actual));
}

describe('Azure DevOps simulator', () => {
  describe('service hooks', () => {
    let sim: AzureDevOpsSimulator;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    before(async () => {
      receiver = await startReceiver();
      sim = await startSim({
        webhooks: [{ url: receiver.url, headers: { 'X-Webhook-Secret': 'hook-secret' } }],
        pipelines: [{ id: 3, name: 'deploy' }],
      });
    });
    after(async () => {
      await sim.stop();
      await receiver.stop();
    });
    beforeEach(() => {
      receiver.events.length = 0;
    });

    it('sends git.pullrequest.created shaped like the service sample', async () => {
      const expected = sample('azdo-servicehook-git.pullrequest.created.json');
      const { pr } = seedFeaturePullRequest(sim);
      await sim.flushDeliveries();
      assert.equal(receiver.events.length, 1);
      const { headers, body } = receiver.events[0]!;
      assert.equal(headers['x-webhook-secret'], 'hook-secret');
      assert.match(String(headers['content-type']), /^application\/json/);
      assert.deepEqual(missingKeys(expected, body), []);
      assert.deepEqual(missingKeys(expected.resource as object, body.resource as object), []);
      assert.deepEqual(
        missingKeys(
          (expected.resource as { repository: object }).repository,
          (body.resource as { repository: object }).repository,
        ),
        [],
      );
      assert.deepEqual(
        [body.eventType, body.publisherId, body.resourceVersion],
        ['git.pullrequest.created', 'tfs', '1.0'],
      );
      const resource = body.resource as {
        pullRequestId: number;
        status: string;
        lastMergeSourceCommit: { commitId: string };
      };
      assert.deepEqual(
        [resource.pullRequestId, resource.status, resource.lastMergeSourceCommit.commitId],
        [pr.id, 'active', pr.sourceCommit],
      );
      assert.equal((body.resourceContainers as { project: { id: string } }).project.id, sim.project.id);
    });

    it('sends git.pullrequest.updated for a push and for the completion', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const pushed = sim.pushCommit(repo, 'feature/ALLPOST-4028_login', { changes: ['src/login.ts'] });
      sim.completePullRequest(pr, sim.users.agent);
      await sim.flushDeliveries();
      const updates = receiver.events.filter((event) => event.body.eventType === 'git.pullrequest.updated');
      assert.deepEqual(
        updates.map((event) => {
          const resource = event.body.resource as {
            status: string;
            lastMergeSourceCommit: { commitId: string };
          };
          return [resource.status, resource.lastMergeSourceCommit.commitId];
        }),
        [
          ['active', pushed.commitId],
          ['completed', pushed.commitId],
        ],
      );
    });

    it('sends git.pullrequest.updated when the author edits the description, with the new text', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim, { description: 'first [sim:request_changes]' });
      sim.updatePullRequestAsUser(repo, pr.id, { description: 'addressed the findings' });
      await sim.flushDeliveries();
      const updates = receiver.events.filter((event) => event.body.eventType === 'git.pullrequest.updated');
      assert.equal(updates.length, 1);
      const resource = updates[0]!.body.resource as {
        description: string;
        lastMergeSourceCommit: { commitId: string };
      };
      assert.deepEqual(
        [resource.description, resource.lastMergeSourceCommit.commitId],
        ['addressed the findings', pr.sourceCommit],
      );
      assert.equal(sim.pullRequests.get(pr.id)?.description, 'addressed the findings');
    });

    it('sends approval-pending and approval-completed shaped like the service sample', async () => {
      const expected = sample('azdo-servicehook-approval-pending.json');
      const run = sim.startRun(sim.pipelines.get(3)!, { templateParameters: {} });
      const approval = sim.createPendingApproval({
        environment: 'production',
        stageName: 'Deploy_production',
        pipelineId: 3,
        runId: run.id,
      });
      sim.decideApprovalAsUser(approval.id, 'approved', { comment: 'ok' });
      await sim.flushDeliveries();
      const [pending, completed] = receiver.events.map((event) => event.body);
      assert.equal(pending?.eventType, 'ms.vss-pipelinechecks-events.approval-pending');
      assert.equal(completed?.eventType, 'ms.vss-pipelinechecks-events.approval-completed');
      for (const event of [pending!, completed!]) {
        assert.deepEqual(missingKeys(expected, event), []);
        assert.deepEqual(missingKeys(expected.resource as object, event.resource as object), []);
        assert.equal(event.publisherId, 'pipelines');
        assert.equal(event.resourceVersion, '5.1-preview.1');
      }
      const pendingResource = pending!.resource as {
        approval: { id: string; status: string; steps: unknown[] };
        resource: { name: string };
        run: { id: number };
      };
      assert.deepEqual(
        [pendingResource.approval.id, pendingResource.approval.status],
        [approval.id, 'pending'],
      );
      assert.deepEqual(
        missingKeys((expected.resource as { approval: object }).approval, pendingResource.approval),
        [],
      );
      assert.deepEqual([pendingResource.resource.name, pendingResource.run.id], ['production', run.id]);
      assert.equal((completed!.resource as { approval: { status: string } }).approval.status, 'approved');
    });

    it('sends events of another repository only to subscriptions without a repository filter', async () => {
      const filtered = await startReceiver();
      try {
        const { repo } = seedFeaturePullRequest(sim);
        sim.hooks.add({
          publisherId: 'tfs',
          eventType: 'git.pullrequest.created',
          resourceVersion: '1.0',
          consumerId: 'webHooks',
          consumerActionId: 'httpRequest',
          publisherInputs: { projectId: sim.project.id, repository: sim.repository(repo).id },
          consumerInputs: { url: filtered.url },
          createdBy: { id: sim.users.agent.id, displayName: 'Release Agent' },
        });
        sim.pushCommit(repo, 'feature/second', { changes: ['b.ts'] });
        sim.createPullRequestAsUser({
          repository: repo,
          sourceRefName: 'refs/heads/feature/second',
          targetRefName: 'refs/heads/develop',
          title: 'b',
        });
        seedFeaturePullRequest(sim);
        await sim.flushDeliveries();
        assert.equal(filtered.events.length, 1);
        assert.equal(
          (filtered.events[0]!.body.resource as { repository: { name: string } }).repository.name,
          repo,
        );
      } finally {
        await filtered.stop();
      }
    });
  });

  describe('service-hook delivery failures', () => {
    /** The simulator's clock runs `clock.offsetMs` ahead of real time: a test moves it instead of sleeping. */
    const clock = { offsetMs: 0 };
    const deliver = async (
      respond: (count: number) => number,
      extra: { basicAuth?: { username: string; password: string } } = {},
    ) => {
      clock.offsetMs = 0;
      const receiver = await startReceiver(respond);
      const sim = await startSim({
        webhooks: [{ url: receiver.url, eventTypes: ['git.pullrequest.created'], ...extra }],
        delivery: { retryDelaysMs: [5, 10], probationMs: 150 },
        now: () => new Date(Date.now() + clock.offsetMs),
      });
      return { receiver, sim, subscription: [...sim.hooks.subscriptions.values()][0]! };
    };

    it('retries a 503 and a 408, then delivers', async () => {
      const { receiver, sim } = await deliver((count) => [503, 408][count - 1] ?? 200);
      try {
        seedFeaturePullRequest(sim);
        await sim.flushDeliveries();
        assert.deepEqual(
          sim.deliveries.map((d) => [d.attempts, d.outcome]),
          [[[503, 408, 200], 'delivered']],
        );
        assert.equal(receiver.events.length, 1);
      } finally {
        await sim.stop();
        await receiver.stop();
      }
    });

    it('puts the subscription on probation after a 500 or after the retries, drops events in that window, then recovers', async () => {
      const { receiver, sim, subscription } = await deliver((count) => (count === 1 ? 500 : 200));
      try {
        seedFeaturePullRequest(sim);
        await sim.flushDeliveries();
        assert.equal(subscription.status, 'onProbation');
        seedFeaturePullRequest(sim);
        await sim.flushDeliveries();
        clock.offsetMs += 200; // past the 150 ms probation
        seedFeaturePullRequest(sim);
        await sim.flushDeliveries();
        assert.deepEqual(
          sim.deliveries.map((d) => [d.attempts, d.outcome]),
          [
            [[500], 'failed'],
            [[], 'dropped'],
            [[200], 'delivered'],
          ],
        );
        assert.equal(subscription.status, 'enabled');
      } finally {
        await sim.stop();
        await receiver.stop();
      }
    });

    it('gives up after its retries, and 410 disables the subscription', async () => {
      const retrying = await deliver(() => 503);
      const gone = await deliver(() => 410);
      try {
        seedFeaturePullRequest(retrying.sim);
        await retrying.sim.flushDeliveries();
        assert.deepEqual(retrying.sim.deliveries[0]?.attempts, [503, 503, 503]);
        assert.equal(retrying.subscription.status, 'onProbation');

        seedFeaturePullRequest(gone.sim);
        seedFeaturePullRequest(gone.sim);
        await gone.sim.flushDeliveries();
        assert.deepEqual(
          gone.sim.deliveries.map((d) => [d.attempts, d.outcome]),
          [
            [[410], 'failed'],
            [[], 'dropped'],
          ],
        );
        assert.equal(gone.subscription.status, 'disabledBySystem');
      } finally {
        for (const { sim, receiver } of [retrying, gone]) {
          await sim.stop();
          await receiver.stop();
        }
      }
    });

    it('sends basic auth when the subscription has it', async () => {
      const { receiver, sim } = await deliver(() => 200, {
        basicAuth: { username: 'azdo', password: 'p4ss' },
      });
      try {
        seedFeaturePullRequest(sim);
        await sim.flushDeliveries();
        assert.equal(
          receiver.events[0]?.headers.authorization,
          `Basic ${Buffer.from('azdo:p4ss').toString('base64')}`,
        );
      } finally {
        await sim.stop();
        await receiver.stop();
      }
    });
  });

  describe("the service's answers", () => {
    let sim: AzureDevOpsSimulator;
    before(async () => {
      // Some requests here are off the spec on purpose (no api-version): kept out of the contract check.
      sim = await startSim({ offContract: true });
    });
    after(() => sim.stop());

    it('challenges a request without valid credentials with 401 and WWW-Authenticate', async () => {
      for (const auth of [null, `Basic ${Buffer.from(':nope').toString('base64')}`, 'Bearer nope']) {
        const answer = await call(sim, 'GET', 'Payments/_apis/git/pullrequests', { auth });
        assert.equal(answer.status, 401);
        assert.match(answer.headers.get('www-authenticate') ?? '', /Bearer .*Basic realm=/);
        assert.equal(answer.body.typeKey, 'UnauthorizedRequestException');
      }
      const anyUser = await call(sim, 'GET', 'Payments/_apis/git/pullrequests', {
        auth: `Basic ${Buffer.from('someone:sim-pat').toString('base64')}`,
      });
      assert.equal(anyUser.status, 200, 'any user name with the PAT');
      assert.equal(
        (await call(sim, 'GET', 'Payments/_apis/git/pullrequests', { auth: 'Bearer sim-access-token' }))
          .status,
        200,
      );
    });

    it("answers unknown ids with 404 in the service's error envelope", async () => {
      const { repo } = seedFeaturePullRequest(sim);
      const pr = await call(sim, 'GET', `Payments/_apis/git/repositories/${repo}/pullrequests/9999`);
      assert.equal(pr.status, 404);
      assert.deepEqual(Object.keys(pr.body).sort(), [...ERROR_KEYS].sort());
      assert.deepEqual(
        [pr.body.$id, pr.body.innerException, pr.body.errorCode, pr.body.eventId],
        ['1', null, 0, 3000],
      );
      assert.equal(pr.body.typeKey, 'GitPullRequestNotFoundException');
      assert.match(String(pr.body.message), /^TF401180/);
      assert.match(
        String(pr.body.typeName),
        /^Microsoft\.TeamFoundation\.Git\.Server\.GitPullRequestNotFoundException, /,
      );
      const repoAnswer = await call(sim, 'GET', 'Payments/_apis/git/repositories/nope/pullrequests/1');
      assert.deepEqual([repoAnswer.status, repoAnswer.body.typeKey], [404, 'GitRepositoryNotFoundException']);
      const project = await call(sim, 'GET', 'Elsewhere/_apis/git/pullrequests');
      assert.deepEqual([project.status, project.body.typeKey], [404, 'ProjectDoesNotExistWithNameException']);
    });

    it('demands the api-version of each operation', async () => {
      const none = await call(sim, 'POST', 'Payments/_apis/distributedtask/environments', {
        version: null,
        body: { name: 'x' },
      });
      assert.deepEqual([none.status, none.body.typeKey], [400, 'VssVersionNotSpecifiedException']);
      const notPreview = await call(sim, 'GET', 'Payments/_apis/pipelines/checks/configurations', {
        version: '7.1',
      });
      assert.deepEqual(
        [notPreview.status, notPreview.body.typeKey],
        [400, 'VssInvalidPreviewVersionException'],
      );
      const newer = await call(sim, 'GET', 'Payments/_apis/git/pullrequests', { version: '7.2-preview.2' });
      assert.deepEqual([newer.status, newer.body.typeKey], [400, 'VssVersionOutOfRangeException']);
      assert.equal(
        (
          await call(sim, 'GET', 'Payments/_apis/pipelines/checks/configurations', {
            version: '7.1-preview.1',
          })
        ).status,
        200,
      );
    });

    it('refuses to complete a stale commit (409), against a pending policy (403), or twice (400)', async () => {
      const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
      const path = `Payments/_apis/git/repositories/${repo}/pullrequests/${pr.id}`;
      const stale = await call(sim, 'PATCH', path, {
        body: { status: 'completed', lastMergeSourceCommit: { commitId: 'b'.repeat(40) } },
      });
      assert.deepEqual([stale.status, stale.body.typeKey], [409, 'GitPullRequestStaleException']);
      assert.match(String(stale.body.message), /^TF401192/);

      sim.setBlockingPolicy(repo, true);
      const blocked = await call(sim, 'PATCH', path, {
        body: { status: 'completed', lastMergeSourceCommit: { commitId: sourceCommit } },
      });
      assert.deepEqual(
        [blocked.status, blocked.body.typeKey],
        [403, 'GitPullRequestUpdateRejectedByPolicyException'],
      );
      const bypass = await call(sim, 'PATCH', path, {
        body: {
          status: 'completed',
          lastMergeSourceCommit: { commitId: sourceCommit },
          completionOptions: { bypassPolicy: true },
        },
      });
      assert.deepEqual([bypass.status, bypass.body.typeKey], [403, 'GitNeedsPermissionException']);

      sim.setPolicyStatus(repo, pr.id, 'approved');
      const done = await call(sim, 'PATCH', path, {
        body: { status: 'completed', lastMergeSourceCommit: { commitId: sourceCommit } },
      });
      assert.deepEqual([done.status, done.body.status], [200, 'completed']);
      const twice = await call(sim, 'PATCH', path, {
        body: { status: 'completed', lastMergeSourceCommit: { commitId: sourceCommit } },
      });
      assert.deepEqual([twice.status, twice.body.typeKey], [400, 'GitPullRequestNotEditableException']);
      assert.match(String(twice.body.message), /^TF401181/);
    });

    it("lets only a comment's author edit it (403), and auto-complete be set only as the caller (400)", async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const path = `Payments/_apis/git/repositories/${repo}/pullRequests/${pr.id}`;
      const thread = await call(sim, 'POST', `${path}/threads`, {
        body: { comments: [{ content: 'first' }] },
      });
      assert.equal(thread.status, 200);
      const comment = `${path}/threads/${thread.body.id}/comments/1`;
      const other = await call(sim, 'PATCH', comment, {
        auth: 'Bearer sim-access-token',
        body: { content: 'not mine' },
      });
      assert.deepEqual([other.status, other.body.typeKey], [403, 'CommentPermissionException']);
      const own = await call(sim, 'PATCH', comment, { body: { content: 'edited' } });
      assert.deepEqual([own.status, own.body.content], [200, 'edited']);
      const missing = await call(sim, 'PATCH', `${path}/threads/${thread.body.id}/comments/9`, {
        body: { content: 'x' },
      });
      assert.deepEqual([missing.status, missing.body.typeKey], [404, 'CommentNotFoundException']);

      sim.setBlockingPolicy(repo, true); // so that setting auto-complete does not complete the PR at once
      const forSomeoneElse = await call(sim, 'PATCH', path, {
        body: { autoCompleteSetBy: { id: sim.users.approver.id } },
      });
      assert.deepEqual(
        [forSomeoneElse.status, forSomeoneElse.body.typeKey],
        [400, 'InvalidArgumentValueException'],
      );
      assert.equal(pr.autoCompleteSetBy, undefined);
      const asCaller = await call(sim, 'PATCH', path, {
        body: {
          autoCompleteSetBy: { id: sim.users.agent.id },
          completionOptions: { mergeStrategy: 'squash' },
        },
      });
      assert.equal(asCaller.status, 200);
      assert.equal((asCaller.body.autoCompleteSetBy as { id: string }).id, sim.users.agent.id);
      assert.deepEqual(asCaller.body.completionOptions, { mergeStrategy: 'squash' });
      const cleared = await call(sim, 'PATCH', path, {
        body: { autoCompleteSetBy: { id: '00000000-0000-0000-0000-000000000000' } },
      });
      assert.deepEqual([cleared.status, cleared.body.autoCompleteSetBy], [200, undefined]);
    });

    it('refuses a second decision on an approval', async () => {
      const approval = sim.createPendingApproval({ environment: 'sandbox' });
      const first = await call(sim, 'PATCH', 'Payments/_apis/pipelines/approvals', {
        body: [{ approvalId: approval.id, status: 'approved', comment: 'a' }],
      });
      assert.equal(first.status, 200);
      assert.equal((first.body.value as { status: string }[])[0]?.status, 'approved');
      const second = await call(sim, 'PATCH', 'Payments/_apis/pipelines/approvals', {
        body: [{ approvalId: approval.id, status: 'rejected', comment: 'b' }],
      });
      assert.equal(second.status, 400);
      assert.equal(approval.status, 'approved');
    });

    it('refuses thread anchors that Azure DevOps would show broken', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const path = `Payments/_apis/git/repositories/${repo}/pullRequests/${pr.id}/threads`;
      const thread = (filePath: string, line: number) => ({
        comments: [{ content: 'c' }],
        threadContext: { filePath, rightFileStart: { line, offset: 1 }, rightFileEnd: { line, offset: 1 } },
      });
      assert.equal(
        (await call(sim, 'POST', path, { body: thread('src/login.ts', 1) })).status,
        400,
        'no leading /',
      );
      assert.equal(
        (await call(sim, 'POST', path, { body: thread('/src/login.ts', 0) })).status,
        400,
        'lines start at 1',
      );
      assert.equal(
        (await call(sim, 'POST', path, { body: thread('/elsewhere.ts', 1) })).status,
        400,
        'not in the PR',
      );
      assert.equal((await call(sim, 'POST', path, { body: thread('/src/login.ts', 1) })).status, 200);
    });

    it('keeps descriptions to 4000 characters', async () => {
      const { repo } = seedFeaturePullRequest(sim);
      const created = await call(sim, 'POST', `Payments/_apis/git/repositories/${repo}/pullrequests`, {
        body: {
          sourceRefName: 'refs/heads/develop',
          targetRefName: 'refs/heads/main',
          title: 't',
          description: 'd'.repeat(4_001),
        },
      });
      assert.deepEqual([created.status, created.body.typeKey], [400, 'InvalidArgumentValueException']);
    });
  });

  describe('controls over HTTP and from the command line', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      child = undefined;
    });

    it('starts from the command line on a given port and is driven over /_sim/azdo', async () => {
      const port = await freePort();
      child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(import.meta.dirname, '..', '..', 'sandbox', 'sim', 'azdo', 'main.ts'),
          '--port',
          String(port),
        ],
        {
          env: { ...process.env, AZDO_SIM_PAT: 'cli-pat' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const started = JSON.parse(line.toString('utf8').split('\n')[0]!) as {
        url: string;
        organizationUrl: string;
      };
      assert.equal(started.url, `http://127.0.0.1:${port}`);

      const admin = async (path: string, body: unknown) => {
        const response = await fetch(`${started.url}/_sim/azdo/${path}`, {
          method: 'POST',
          body: JSON.stringify(body),
        });
        assert.ok(response.ok, `${path}: ${response.status}`);
        return response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>);
      };
      await admin('repositories', { name: 'cli-repo', branches: ['develop'] });
      await admin('pushes', { repository: 'cli-repo', branch: 'feature/cli', changes: ['src/cli.ts'] });
      const pr = await admin('pullrequests', {
        repository: 'cli-repo',
        sourceRefName: 'refs/heads/feature/cli',
        targetRefName: 'refs/heads/develop',
        title: 'cli',
      });
      const approval = await admin('approvals', { environment: 'production' });
      await admin('approvals/decisions', { approvalId: approval!.id, status: 'rejected' });

      const listed = await fetch(
        `${started.organizationUrl}/Payments/_apis/git/pullrequests?api-version=7.1`,
        {
          headers: { authorization: `Basic ${Buffer.from(':cli-pat').toString('base64')}` },
        },
      );
      const body = (await listed.json()) as { count: number; value: { pullRequestId: number }[] };
      assert.deepEqual([body.count, body.value[0]?.pullRequestId], [1, pr!.pullRequestId]);
      const approvals = await fetch(
        `${started.organizationUrl}/Payments/_apis/pipelines/approvals?api-version=7.1&state=rejected`,
        {
          headers: { authorization: `Basic ${Buffer.from(':cli-pat').toString('base64')}` },
        },
      );
      assert.equal(((await approvals.json()) as { count: number }).count, 1);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    });
  });

  describe('runs executed by an agent outside the simulator', () => {
    let sim: AzureDevOpsSimulator;
    const clock = { offsetMs: 0 };
    before(async () => {
      sim = await startSim({
        pipelines: [
          { id: 7, name: 'pr', agent: true },
          { id: 8, name: 'ci' },
        ],
        pipelineRunDurationMs: 1,
        now: () => new Date(Date.now() + clock.offsetMs),
      });
    });
    after(() => sim.stop());

    it('keeps the run of an agent pipeline in progress until finishRun, then shows its result and build number', async () => {
      const run = sim.startRun(sim.pipelines.get(7)!, {
        templateParameters: {},
        refName: 'refs/pull/1/merge',
      });
      const plain = sim.startRun(sim.pipelines.get(8)!, { templateParameters: {} });
      clock.offsetMs += 20; // past the plain run's 1 ms

      const get = async (id: number, pipelineId: number) =>
        (await (
          await fetch(
            `${sim.organizationUrl}/Payments/_apis/pipelines/${pipelineId}/runs/${id}?api-version=7.1`,
            { headers: { authorization: PAT_AUTH } },
          )
        ).json()) as {
          state: string;
          result?: string;
          name: string;
        };
      assert.deepEqual(
        [(await get(run.id, 7)).state, (await get(plain.id, 8)).state],
        ['inProgress', 'completed'],
      );
      sim.finishRun(run.id, 'failed', 'Billo.Platform.Payment 1.0.0+1');
      const done = await get(run.id, 7);
      assert.deepEqual(
        [done.state, done.result, done.name],
        ['completed', 'failed', 'Billo.Platform.Payment 1.0.0+1'],
      );
      assert.throws(() => sim.finishRun(run.id, 'succeeded'), /already completed/);
      assert.throws(() => sim.finishRun(999, 'succeeded'));
    });
  });
});
