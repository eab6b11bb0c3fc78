import assert from 'node:assert/strict';
import { APPROVAL_CHECK_TYPE_ID } from '../../../adapters/azdo/azdo.ts';
import { Secret } from '../../../core/secret.ts';
import type { AzureDevOpsSimulator } from '../../../sandbox/sim/azdo/simulator.ts';
import { coded } from '../../core/expect-error.ts';
import { adapterFor, startReceiver, startSim } from './support.ts';
import { testSecret } from '../../support/test-secrets.ts';

describe('Azure DevOps adapter: pipelines, approvals and setup', () => {
  let sim: AzureDevOpsSimulator;
  let now = Date.UTC(2026, 4, 1, 9);
  before(async () => {
    sim = await startSim({
      now: () => new Date(now),
      pipelineRunDurationMs: 60_000,
      pipelines: [
        { id: 7, name: 'payments-api-ci', parameters: ['version', 'deploy'] },
        { id: 8, name: 'payments-api-cd' },
      ],
    });
  });
  after(() => sim.stop());

  describe('runs', () => {
    it('runs a pipeline with parameters on a branch, and reads it until it completes', async () => {
      const adapter = adapterFor(sim);
      const run = await adapter.runPipeline(7, {
        refName: 'refs/heads/main',
        version: 'abc123',
        templateParameters: { version: '1.4.0', deploy: true },
      });
      assert.equal(run.pipelineId, 7);
      assert.equal(run.state, 'inProgress');
      assert.equal(run.result, undefined);
      assert.ok(run.webUrl?.includes(`buildId=${run.id}`));
      const stored = sim.runs.get(run.id)!;
      // Sent as the spec types them (a map of strings): the pipeline's parameter types parse them.
      assert.deepEqual(stored.templateParameters, { version: '1.4.0', deploy: 'true' });
      assert.deepEqual([stored.refName, stored.version], ['refs/heads/main', 'abc123']);

      now += 30_000;
      assert.equal((await adapter.getPipelineRun(7, run.id)).state, 'inProgress');
      now += 30_000;
      const done = await adapter.getPipelineRun(7, run.id);
      assert.deepEqual([done.state, done.result], ['completed', 'succeeded']);
      assert.ok(done.finishedDate);
    });

    it('reports the scripted result of a run', async () => {
      sim.scriptNextRun(8, { result: 'failed', durationMs: 5_000 });
      const adapter = adapterFor(sim);
      const run = await adapter.runPipeline(8);
      now += 5_000;
      const done = await adapter.getPipelineRun(8, run.id);
      assert.deepEqual([done.state, done.result], ['completed', 'failed']);
      assert.equal(sim.runs.get(run.id)!.refName, undefined, 'no resources sent when no branch was asked');
    });

    it('answers NOT_FOUND for an unknown pipeline or run, and refuses an undeclared parameter', async () => {
      const adapter = adapterFor(sim);
      await assert.rejects(adapter.runPipeline(404), coded('NOT_FOUND', { pipelineId: 404 }));
      await assert.rejects(adapter.getPipelineRun(7, 99_999), coded('NOT_FOUND', { runId: 99_999 }));
      await assert.rejects(
        adapter.runPipeline(7, { templateParameters: { colour: 'blue' } }),
        coded('SERVICE_HTTP', { status: 400 }),
      );
    });
  });

  describe('approvals', () => {
    it('lists the pending approvals with their steps and run', async () => {
      const run = sim.startRun(sim.pipelines.get(8)!, { templateParameters: {} });
      const sandbox = sim.createPendingApproval({
        environment: 'sandbox',
        stageName: 'Deploy_sandbox',
        pipelineId: 8,
        runId: run.id,
        instructions: 'Deploy 1.4.0',
      });
      const production = sim.createPendingApproval({
        environment: 'production',
        stageName: 'Deploy_production',
      });
      const decided = sim.createPendingApproval({ environment: 'sandbox' });
      sim.decideApprovalAsUser(decided.id, 'approved');

      const pending = await adapterFor(sim).listPendingApprovals();
      const ids = pending.map((approval) => approval.id);
      assert.ok(ids.includes(sandbox.id) && ids.includes(production.id));
      assert.ok(!ids.includes(decided.id));
      const listed = pending.find((approval) => approval.id === sandbox.id)!;
      assert.equal(listed.status, 'pending');
      assert.equal(listed.instructions, 'Deploy 1.4.0');
      assert.deepEqual(
        listed.steps.map((step) => [step.approver?.id, step.status]),
        // With no check on the environment the simulator assigns the person and the app (as setup does).
        [
          [sim.users.approver.id, 'pending'],
          [sim.users.agent.id, 'pending'],
        ],
      );
      assert.deepEqual(listed.pipeline, {
        id: '8',
        name: 'payments-api-cd',
        runId: run.id,
        runName: run.name,
      });
    });

    it('approves once; a second decision is a CONFLICT carrying the current status', async () => {
      const approval = sim.createPendingApproval({ environment: 'production' });
      const adapter = adapterFor(sim);
      const approved = await adapter.decideApproval(approval.id, {
        status: 'approved',
        comment: 'Approved in Slack by Norma',
      });
      assert.equal(approved.status, 'approved');
      assert.equal(approval.status, 'approved');
      assert.equal(approval.actualApprover?.id, sim.users.agent.id);
      assert.equal(approval.comment, 'Approved in Slack by Norma');
      const read = await adapter.getApproval(approval.id);
      assert.equal(
        read.steps.find((step) => step.approver?.id === sim.users.agent.id)?.comment,
        'Approved in Slack by Norma',
      );

      await assert.rejects(
        adapter.decideApproval(approval.id, { status: 'approved', comment: 'again' }),
        coded('CONFLICT', { approvalId: approval.id, currentStatus: 'approved' }),
      );
      await assert.rejects(
        adapter.decideApproval(approval.id, { status: 'rejected', comment: 'too late' }),
        coded('CONFLICT', { currentStatus: 'approved' }),
      );
      assert.equal(approval.comment, 'Approved in Slack by Norma', 'the first decision stands');
    });

    it('rejects, and sees a decision made in the UI as a CONFLICT', async () => {
      const adapter = adapterFor(sim);
      const mine = sim.createPendingApproval({ environment: 'sandbox' });
      assert.equal(
        (await adapter.decideApproval(mine.id, { status: 'rejected', comment: 'Skip' })).status,
        'rejected',
      );
      const theirs = sim.createPendingApproval({ environment: 'sandbox' });
      sim.decideApprovalAsUser(theirs.id, 'rejected');
      await assert.rejects(
        adapter.decideApproval(theirs.id, { status: 'approved', comment: 'x' }),
        coded('CONFLICT', { currentStatus: 'rejected' }),
      );
      await assert.rejects(adapter.getApproval('7d1e2b0c-0000-4000-8000-000000000000'), coded('NOT_FOUND'));
    });
  });

  describe('answers of the wrong shape (the answer schemas): SERVICE_MALFORMED naming the field', () => {
    it('an approval whose status or step status is not text', async () => {
      const adapter = adapterFor(sim);
      // A pipeline without its run: the service sends `owner: null`, which is well-formed.
      const unowned = sim.createPendingApproval({ environment: 'sandbox', pipelineId: 8 });
      assert.deepEqual((await adapter.getApproval(unowned.id)).pipeline?.runId, undefined);
      const approval = sim.createPendingApproval({ environment: 'sandbox' });
      assert.equal((await adapter.getApproval(approval.id)).status, 'pending', 'read as sent first');
      await sim.offContract(async () => {
        approval.status = 1 as never;
        await assert.rejects(
          adapter.getApproval(approval.id),
          coded('SERVICE_MALFORMED', { field: 'status', operation: 'getApproval', approvalId: approval.id }),
        );
        approval.status = 'pending';
        approval.steps[0]!.status = ['approved'] as never;
        await assert.rejects(
          adapter.getApproval(approval.id),
          coded('SERVICE_MALFORMED', { field: 'steps.0.status' }),
        );
        await assert.rejects(
          adapter.listPendingApprovals(),
          coded('SERVICE_MALFORMED', { field: 'steps.0.status', operation: 'listApprovals' }),
        );
        approval.steps[0]!.status = 'pending';
      });
    });

    it("a build without its definition's id or with a branch that is not text", async () => {
      const adapter = adapterFor(sim);
      const { run } = sim.startAgentBuild({
        pipelineId: 71,
        reason: 'manual',
        repository: 'shop',
        sourceBranch: 'refs/heads/main',
        sourceVersion: 'a'.repeat(40),
      });
      const read = await adapter.getBuild(run.id);
      assert.deepEqual([read.definition.id, read.sourceBranch], [71, 'refs/heads/main']);
      await sim.offContract(async () => {
        run.build!.sourceBranch = 7 as never;
        await assert.rejects(
          adapter.getBuild(run.id),
          coded('SERVICE_MALFORMED', { field: 'sourceBranch', operation: 'getBuild', buildId: run.id }),
        );
        run.build!.sourceBranch = 'refs/heads/main';
        sim.pipelines.get(71)!.id = 'seventy-one' as never;
        await assert.rejects(
          adapter.getBuild(run.id),
          coded('SERVICE_MALFORMED', { field: 'definition.id' }),
        );
        sim.pipelines.get(71)!.id = 71;
      });
    });
  });

  describe("who may approve (the service's rules)", () => {
    it('lets only an assigned approver or a member of an approver group answer, and says so in $expand=permissions', async () => {
      const adapter = adapterFor(sim);
      const releasers = sim.addGroup('Releasers', [sim.users.approver]);
      const approval = sim.createPendingApproval({ environment: 'production', approvers: [releasers] });
      const read = await adapter.getApproval(approval.id, { permissions: true });
      assert.equal(read.callerMayUpdate, false, 'the app is not in the group');
      assert.equal((await adapter.getApproval(approval.id)).callerMayUpdate, undefined, 'not asked for');
      await assert.rejects(
        adapter.decideApproval(approval.id, { status: 'approved', comment: 'x' }),
        coded('FORBIDDEN', { approvalId: approval.id, status: 403 }),
      );
      const refusal = sim.requestLog.filter((entry) => entry.operation === 'Approvals_Update').at(-1);
      assert.equal(refusal?.status, 403);
      assert.equal(approval.status, 'pending', 'nothing moved');
      // A member of the group answers for it: its step shows who did.
      sim.decideApprovalAsUser(approval.id, 'approved', { by: sim.users.approver });
      assert.equal(approval.status, 'approved');
      const after = await adapter.getApproval(approval.id);
      assert.equal(after.steps[0]?.approver?.id, sim.users.approver.id);
    });

    it('refuses a blocked approver even when assigned', async () => {
      const approval = sim.createPendingApproval({
        approvers: [sim.users.agent, sim.users.approver],
        blockedApprovers: [sim.users.agent],
      });
      assert.equal(
        (await adapterFor(sim).getApproval(approval.id, { permissions: true })).callerMayUpdate,
        false,
      );
      await assert.rejects(
        adapterFor(sim).decideApproval(approval.id, { status: 'rejected', comment: 'x' }),
        coded('FORBIDDEN'),
      );
    });

    it('stays pending until minRequiredApprovers approve; one approver answers once', async () => {
      const adapter = adapterFor(sim);
      const approval = sim.createPendingApproval({
        approvers: [sim.users.agent, sim.users.approver],
        minRequiredApprovers: 2,
      });
      const first = await adapter.decideApproval(approval.id, { status: 'approved', comment: 'one' });
      assert.equal(first.status, 'pending');
      assert.deepEqual(
        first.steps.map((step) => step.status),
        ['approved', 'pending'],
      );
      assert.equal((await adapter.getApproval(approval.id, { permissions: true })).callerMayUpdate, false);
      await assert.rejects(
        adapter.decideApproval(approval.id, { status: 'approved', comment: 'twice' }),
        coded('FORBIDDEN'),
      );
      sim.decideApprovalAsUser(approval.id, 'approved');
      assert.equal(approval.status, 'approved');
    });

    it('in sequence, only the current approver may answer', async () => {
      const adapter = adapterFor(sim);
      const approval = sim.createPendingApproval({
        approvers: [sim.users.approver, sim.users.agent],
        minRequiredApprovers: 0,
        executionOrder: 'inSequence',
      });
      const before = await adapter.getApproval(approval.id, { permissions: true });
      assert.deepEqual([before.callerMayUpdate, before.executionOrder], [false, 'inSequence']);
      assert.deepEqual(
        before.steps.map((step) => step.status),
        ['pending', 'uninitiated'],
      );
      await assert.rejects(
        adapter.decideApproval(approval.id, { status: 'approved', comment: 'early' }),
        coded('FORBIDDEN'),
      );
      sim.decideApprovalAsUser(approval.id, 'approved');
      assert.equal(approval.status, 'pending', 'every approver must approve (minRequiredApprovers 0)');
      assert.equal((await adapter.getApproval(approval.id, { permissions: true })).callerMayUpdate, true);
      const done = await adapter.decideApproval(approval.id, { status: 'approved', comment: 'now' });
      assert.equal(done.status, 'approved');
    });

    it('adds the approvers an existing check lacks (the app), keeping those people configured', async () => {
      const adapter = adapterFor(sim);
      const env = await adapter.ensureEnvironment('people-only');
      await adapter.ensureApprovalCheck(env, { approverIds: [sim.users.approver.id] });
      const again = await adapter.ensureApprovalCheck(env, {
        approverIds: [sim.users.approver.id, sim.users.agent.id],
      });
      assert.deepEqual(again.approversAdded, [sim.users.agent.id]);
      const stored = sim.checks.get(again.id)!;
      assert.deepEqual(
        (stored.settings as { approvers: { id: string }[] }).approvers.map((approver) => approver.id),
        [sim.users.approver.id, sim.users.agent.id],
      );
      // A stage reaching it gets an approval the app may answer.
      const approval = sim.createPendingApproval({ environment: 'people-only' });
      assert.equal((await adapter.getApproval(approval.id, { permissions: true })).callerMayUpdate, true);
    });
  });

  describe('setup', () => {
    it('finds or creates an environment', async () => {
      const adapter = adapterFor(sim);
      const created = await adapter.ensureEnvironment('staging-eu', 'EU staging');
      assert.equal(created.created, true);
      assert.equal(sim.environments.get(created.id)?.description, 'EU staging');
      const found = await adapter.ensureEnvironment('Staging-EU');
      assert.deepEqual([found.created, found.id], [false, created.id]);
      assert.equal([...sim.environments.values()].filter((env) => env.name === 'staging-eu').length, 1);
    });

    it('adds an Approval check to an environment once (7.1-preview.1)', async () => {
      const adapter = adapterFor(sim);
      const env = await adapter.ensureEnvironment('checked-env');
      const check = await adapter.ensureApprovalCheck(env, {
        approverIds: [sim.users.approver.id],
        instructions: 'Approve the deploy',
      });
      assert.equal(check.created, true);
      const stored = sim.checks.get(check.id)!;
      assert.equal(stored.type.id, APPROVAL_CHECK_TYPE_ID);
      assert.deepEqual(stored.resource, { type: 'environment', id: String(env.id), name: 'checked-env' });
      assert.deepEqual((stored.settings as { approvers: { id: string }[] }).approvers, [
        { id: sim.users.approver.id },
      ]);
      const again = await adapter.ensureApprovalCheck(env, { approverIds: [sim.users.approver.id] });
      assert.deepEqual([again.created, again.id], [false, check.id]);
      const versions = sim.requestLog
        .filter((entry) => entry.template?.endsWith('/checks/configurations'))
        .map((entry) => new URLSearchParams(entry.query).get('api-version'));
      assert.ok(versions.length >= 3 && versions.every((version) => version === '7.1-preview.1'));
      await assert.rejects(
        adapter.ensureApprovalCheck({ id: 9_999, name: 'ghost' }, { approverIds: [] }),
        coded('NOT_FOUND'),
      );
    });

    it("adds a marker to an existing check's instructions once (PATCH, the rest as read); FORBIDDEN when the check is not ours to change", async () => {
      const adapter = adapterFor(sim);
      const env = await adapter.ensureEnvironment('marked-env');
      const theirs = sim.addCheck({
        type: { id: APPROVAL_CHECK_TYPE_ID, name: 'Approval' },
        settings: { instructions: 'Ask Ana.', approvers: [{ id: 'group-1' }] },
        resource: { type: 'environment', id: String(env.id), name: env.name },
        timeout: 90,
        createdBy: sim.users.approver,
      });
      const input = { approverIds: ['someone-else'], marker: '(release-agent environment: marked-env)' };
      const first = await adapter.ensureApprovalCheck(env, input);
      // One update: the marker, and the approver the check lacked; what people set stays.
      assert.deepEqual(first, {
        id: theirs.id,
        created: false,
        approversAdded: ['someone-else'],
        markerAdded: true,
      });
      assert.deepEqual(sim.checks.get(theirs.id)!.settings, {
        instructions: 'Ask Ana. (release-agent environment: marked-env)',
        approvers: [{ id: 'group-1' }, { id: 'someone-else' }],
      });
      assert.equal(sim.checks.get(theirs.id)!.timeout, 90);
      const patches = () =>
        sim.requestLog.filter(
          (entry) => entry.method === 'PATCH' && entry.template?.includes('/checks/configurations/'),
        ).length;
      const before = patches();
      assert.deepEqual(await adapter.ensureApprovalCheck(env, input), {
        id: theirs.id,
        created: false,
        approversAdded: [],
        markerAdded: false,
      });
      assert.equal(patches(), before, 'an already marked check is left alone');

      const lockedEnv = await adapter.ensureEnvironment('locked-env');
      const locked = sim.addCheck({
        type: { id: APPROVAL_CHECK_TYPE_ID, name: 'Approval' },
        settings: { instructions: '' },
        resource: { type: 'environment', id: String(lockedEnv.id), name: lockedEnv.name },
        timeout: 90,
        createdBy: sim.users.approver,
      });
      sim.lockedChecks.add(locked.id);
      await assert.rejects(adapter.ensureApprovalCheck(lockedEnv, input), coded('FORBIDDEN'));
      assert.deepEqual(sim.checks.get(locked.id)!.settings, { instructions: '' });
    });

    it('subscribes a web hook to an event of the project, and updates it in place to rotate the secret', async () => {
      const receiver = await startReceiver();
      try {
        const adapter = adapterFor(sim);
        const first = await adapter.ensureServiceHook({
          eventType: 'git.pullrequest.created',
          url: receiver.url,
          headers: { 'X-Webhook-Secret': new Secret(testSecret('first-secret')) },
        });
        assert.equal(first.created, true);
        const stored = sim.hooks.subscriptions.get(first.id)!;
        assert.equal(stored.publisherId, 'tfs');
        assert.equal(stored.publisherInputs.projectId, sim.project.id);
        assert.equal(stored.consumerInputs.httpHeaders, 'X-Webhook-Secret:first-secret');

        const rotated = await adapter.ensureServiceHook({
          eventType: 'git.pullrequest.created',
          url: receiver.url,
          headers: { 'X-Webhook-Secret': new Secret('second-secret') },
        });
        assert.deepEqual([rotated.created, rotated.id], [false, first.id]);
        assert.equal(
          sim.hooks.subscriptions.get(first.id)!.consumerInputs.httpHeaders,
          'X-Webhook-Secret:second-secret',
        );

        sim.seedRepository({ name: 'hooked', branches: ['develop'] });
        sim.pushCommit('hooked', 'feature/h', { changes: ['a.ts'] });
        sim.createPullRequestAsUser({
          repository: 'hooked',
          sourceRefName: 'refs/heads/feature/h',
          targetRefName: 'refs/heads/develop',
          title: 'h',
        });
        await sim.flushDeliveries();
        const mine = receiver.events.filter((event) => event.body.eventType === 'git.pullrequest.created');
        assert.equal(mine.length, 1, 'one subscription, one delivery');
        assert.equal(mine[0]!.headers['x-webhook-secret'], 'second-secret');
      } finally {
        await receiver.stop();
      }
    });

    it('subscribes approval events under the pipelines publisher, with basic auth', async () => {
      const subscription = await adapterFor(sim).ensureServiceHook({
        eventType: 'ms.vss-pipelinechecks-events.approval-pending',
        url: 'http://127.0.0.1:9/hooks',
        basicAuth: { username: 'azdo', password: new Secret(testSecret('hook-password')) },
      });
      const stored = sim.hooks.subscriptions.get(subscription.id)!;
      assert.deepEqual([stored.publisherId, stored.resourceVersion], ['pipelines', '5.1-preview.1']);
      assert.deepEqual(
        [stored.consumerInputs.basicAuthUsername, stored.consumerInputs.basicAuthPassword],
        ['azdo', 'hook-password'],
      );
      stored.status = 'disabledByUser';
    });
  });

  describe("setup's answers of the wrong shape (the answer schemas): SERVICE_MALFORMED naming the field, nothing created or changed", () => {
    it('an environment listed without a numeric id: not created a second time', async () => {
      const adapter = adapterFor(sim);
      const env = await adapter.ensureEnvironment('shape-env');
      const stored = sim.environments.get(env.id)!;
      const count = sim.environments.size;
      await sim.offContract(async () => {
        stored.id = 'seven' as never;
        await assert.rejects(
          adapter.ensureEnvironment('shape-env'),
          coded('SERVICE_MALFORMED', {
            field: 'id',
            operation: 'listEnvironments',
            environment: 'shape-env',
          }),
        );
        stored.id = env.id;
      });
      assert.equal(sim.environments.size, count, 'no second environment');
    });

    it('a check configuration whose type id is not text: no second check, the existing one unchanged', async () => {
      const adapter = adapterFor(sim);
      const env = await adapter.ensureEnvironment('shape-checked');
      const check = await adapter.ensureApprovalCheck(env, { approverIds: [sim.users.approver.id] });
      const stored = sim.checks.get(check.id)!;
      const settings = structuredClone(stored.settings);
      const count = sim.checks.size;
      const input = { approverIds: [sim.users.approver.id, 'someone-new'], marker: '(marker)' };
      await sim.offContract(async () => {
        // Read as text it would not be an Approval check: a second one would be added beside it.
        stored.type = { id: 42 as never, name: 'Approval' };
        await assert.rejects(
          adapter.ensureApprovalCheck(env, input),
          coded('SERVICE_MALFORMED', {
            field: 'type.id',
            operation: 'listCheckConfigurations',
            environmentId: env.id,
          }),
        );
        stored.type = { id: APPROVAL_CHECK_TYPE_ID, name: 'Approval' };
        stored.settings = { ...(settings as object), approvers: 'everyone' };
        await assert.rejects(
          adapter.ensureApprovalCheck(env, input),
          coded('SERVICE_MALFORMED', { field: 'settings.approvers', operation: 'listCheckConfigurations' }),
        );
        stored.settings = settings;
      });
      assert.equal(sim.checks.size, count, 'no second check');
      assert.deepEqual(sim.checks.get(check.id)!.settings, settings, 'the check is as it was');
    });

    it('a subscription whose URL is not text: no duplicate subscription, the existing one not replaced', async () => {
      const adapter = adapterFor(sim);
      const hook = {
        eventType: 'git.pullrequest.updated' as const,
        url: 'http://127.0.0.1:9/shape-hooks',
        headers: { 'X-Webhook-Secret': new Secret(testSecret('shape-secret')) },
      };
      const first = await adapter.ensureServiceHook(hook);
      const stored = sim.hooks.subscriptions.get(first.id)!;
      const count = sim.hooks.subscriptions.size;
      const replaces = () =>
        sim.requestLog.filter((entry) => entry.operation === 'Subscriptions_Replace Subscription').length;
      const before = replaces();
      await sim.offContract(async () => {
        stored.consumerInputs.url = 7 as never;
        await assert.rejects(
          adapter.ensureServiceHook({ ...hook, headers: { 'X-Webhook-Secret': new Secret('rotated') } }),
          coded('SERVICE_MALFORMED', {
            field: 'consumerInputs.url',
            operation: 'listSubscriptions',
            eventType: hook.eventType,
          }),
        );
        stored.consumerInputs.url = hook.url;
        stored.id = '' as never;
        await assert.rejects(
          adapter.ensureServiceHook(hook),
          coded('SERVICE_MALFORMED', { field: 'id', operation: 'listSubscriptions' }),
        );
        stored.id = first.id;
      });
      assert.equal(sim.hooks.subscriptions.size, count, 'no second subscription');
      assert.equal(replaces(), before, 'nothing replaced');
      assert.equal(stored.consumerInputs.httpHeaders, 'X-Webhook-Secret:shape-secret');
    });

    it('a project answer without its id (CoreApi): no subscription scoped by nothing', async () => {
      const hook = {
        eventType: 'git.pullrequest.created' as const,
        url: 'http://127.0.0.1:9/project-shape-hooks',
        headers: { 'X-Webhook-Secret': new Secret(testSecret('project-shape')) },
      };
      const count = sim.hooks.subscriptions.size;
      const projectId = sim.project.id;
      await sim.offContract(async () => {
        sim.project.id = '';
        try {
          await assert.rejects(
            adapterFor(sim).ensureServiceHook(hook),
            coded('SERVICE_MALFORMED', { field: 'id', operation: 'getProject' }),
          );
        } finally {
          sim.project.id = projectId;
        }
      });
      assert.equal(sim.hooks.subscriptions.size, count, 'no subscription created');
      const created = await adapterFor(sim).ensureServiceHook(hook);
      assert.equal(sim.hooks.subscriptions.get(created.id)?.publisherInputs.projectId, projectId);
      assert.ok(
        sim.requestLog.some((entry) => entry.method === 'OPTIONS' && entry.path.endsWith('/_apis/core')),
        'the project is read through the library (location discovery of the core area)',
      );
    });

    it('a Status policy whose scope is not a list: no second policy', async () => {
      const adapter = adapterFor(sim);
      const wanted = { refName: 'refs/heads/shape', genre: 'release-agent', name: 'ai-review' };
      const first = await adapter.ensureStatusPolicy(wanted);
      assert.equal(first.created, true);
      assert.deepEqual(await adapter.ensureStatusPolicy(wanted), { id: first.id, created: false });
      const stored = sim.policyConfigurations.get(first.id)!;
      const count = sim.policyConfigurations.size;
      await sim.offContract(async () => {
        const scope = stored.settings.scope;
        stored.settings.scope = 'refs/heads/shape' as never;
        await assert.rejects(
          adapter.ensureStatusPolicy(wanted),
          coded('SERVICE_MALFORMED', {
            field: 'settings.scope',
            operation: 'listPolicies',
            refName: 'refs/heads/shape',
          }),
        );
        stored.settings.scope = scope;
        stored.settings.statusName = 5 as never;
        await assert.rejects(
          adapter.ensureStatusPolicy(wanted),
          coded('SERVICE_MALFORMED', { field: 'settings.statusName' }),
        );
        stored.settings.statusName = wanted.name;
      });
      assert.equal(sim.policyConfigurations.size, count, 'no second policy');
    });

    it("the policy calls go through azure-devops-node-api's PolicyApi, negotiated to the 7.1 the specs hold them to", async () => {
      const before = sim.requestLog.length;
      // A new adapter of a simulator the process has already asked: its policy area locations are known.
      await adapterFor(sim).ensureStatusPolicy({ refName: 'refs/heads/shape-2', genre: 'g', name: 'n' });
      const calls = sim.requestLog
        .slice(before)
        .filter((entry) => entry.operation?.startsWith('Configurations_'))
        .map((entry) => `${entry.operation} ${new URLSearchParams(entry.query).get('api-version')}`);
      assert.deepEqual(calls, ['Configurations_List 7.1', 'Configurations_Create 7.1']);
      const discoveries = sim.requestLog.filter(
        (entry) => entry.operation === 'Location discovery' && entry.path.endsWith('/_apis/policy'),
      );
      assert.equal(discoveries.length, 1, 'the policy area was asked once, by the first policy call');
    });
  });
});
