// POST /api/azdo/events over real HTTP on the local host, with the recorded service-hook payloads as
// fixtures (test/fixtures/azure-devops/), pointed at objects of the Azure DevOps simulator.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_ACTIONS } from '../../core/gates.ts';
import { approvalInstructions } from '../../flows/approval-gates.ts';
import { APPROVAL_EVENTS } from '../../sandbox/sim/azdo/hooks.ts';
import type { PullRequestState } from '../../sandbox/sim/azdo/simulator.ts';
import {
  askMerge,
  cardText,
  openPullRequest,
  PR_PIPELINE,
  REPO,
  RELEASE_PIPELINE,
  startRelease,
  startTestbed,
  type Testbed,
  waitFor,
} from './testbed.ts';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'azure-devops');
// biome-ignore lint/suspicious/noExplicitAny: recorded JSON, edited field by field
type RecordedJson = Record<string, any>;
const recorded = (name: string) => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as RecordedJson;
const PREVIOUS_SECRET = 'hook-previous-secret-for-rotation';

describe('functions: Azure DevOps service hooks', () => {
  let bed: Testbed;
  before(async () => {
    bed = await startTestbed({ env: { WEBHOOK_SECRET_PREVIOUS: PREVIOUS_SECRET }, webhookEvents: [] });
  });
  after(() => bed?.stop());

  const post = (
    body: unknown,
    headers: Record<string, string> = { 'x-webhook-secret': bed.stack.secrets.webhookSecret },
  ) =>
    bed.api('/azdo/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** The recorded PR event, pointed at a simulator PR. */
  const prEvent = (pr: PullRequestState, eventType = 'git.pullrequest.created', status = pr.status) => {
    const event = recorded('azdo-servicehook-git.pullrequest.created.json');
    event.id = randomUUID();
    event.eventType = eventType;
    event.resource.repository.name = REPO;
    event.resource.pullRequestId = pr.id;
    event.resource.status = status;
    event.resource.targetRefName = pr.targetRefName;
    event.resource.lastMergeSourceCommit.commitId = pr.sourceCommit;
    return event;
  };
  const runsFor = (prId: number) =>
    [...bed.stack.azdo.runs.values()].filter((run) => run.refName === `refs/pull/${prId}/merge`);
  const threadState = async (prId: number) =>
    (await bed.stack.store.threads.getOf('pr', `pr.${encodeURIComponent(REPO)}.${prId}`))?.state;

  it('the recorded git.pullrequest.created event queues the PR pipeline on the PR merge ref', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-5_created');
    const answer = await post(prEvent(pr));
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { status: string }).status, 'queued');
    const [run] = await waitFor(() => runsFor(pr.id).length === 1 && runsFor(pr.id), 'the PR run');
    assert.equal(run?.pipelineId, PR_PIPELINE.id);
    await waitFor(async () => (await threadState(pr.id))?.queuedRuns?.length === 1, 'the run on the thread');
    assert.deepEqual((await threadState(pr.id))?.queuedRuns, [
      { sourceCommit: pr.sourceCommit, runId: run?.id },
    ]);
  });

  it('the recorded event as is (a repository outside WATCHED_REPOS) is acknowledged and ignored', async () => {
    const before = bed.stack.azdo.runs.size;
    const answer = await post(recorded('azdo-servicehook-git.pullrequest.created.json'));
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { status: string }).status, 'ignored');
    await bed.host.idle();
    assert.equal(bed.stack.azdo.runs.size, before);
  });

  it('20 duplicate deliveries of one event, and other events for the same commit, queue one run', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-6_dupes');
    const event = prEvent(pr);
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(event)));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(20).fill(200),
    );
    const statuses = await Promise.all(
      answers.map(async (answer) => ((await answer.json()) as { status: string }).status),
    );
    assert.equal(statuses.filter((status) => status === 'queued').length, 1);
    // git.pullrequest.updated for the same commit (a vote, a title edit): same meaning, nothing new.
    for (let index = 0; index < 3; index++)
      assert.equal((await post(prEvent(pr, 'git.pullrequest.updated'))).status, 200);
    await waitFor(() => runsFor(pr.id).length > 0, 'the run');
    await bed.host.idle();
    assert.equal(runsFor(pr.id).length, 1);
  });

  it('a push queues a run for the new commit and voids the merge question for the old one', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-7_push');
    await post(prEvent(pr));
    await waitFor(() => runsFor(pr.id).length === 1, 'the first run');
    const decision = await askMerge(bed, pr);
    bed.stack.azdo.pushCommit(REPO, 'feature/ALLPOST-7_push');
    assert.equal((await post(prEvent(pr, 'git.pullrequest.updated'))).status, 200);
    await waitFor(() => runsFor(pr.id).length === 2, 'the run for the new commit');
    const superseded = await waitFor(async () => {
      const current = await bed.stack.store.decisions.get(decision.id);
      return current?.status === 'superseded' && current;
    }, 'the old merge question to end');
    assert.match(superseded.reason ?? '', /a new commit .* was pushed/);
    await waitFor(
      () =>
        cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)).includes('Superseded'),
      'the card to say why',
    );
  });

  it('a completed PR is recorded only once REST confirms it, and git.pullrequest.merged is not acted on', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-8_done');
    await post(prEvent(pr));
    await waitFor(() => runsFor(pr.id).length === 1, 'the run');
    const decision = await askMerge(bed, pr);
    // An event claiming completion while the PR is still active: REST says otherwise.
    assert.equal((await post(prEvent(pr, 'git.pullrequest.updated', 'completed'))).status, 200);
    const merged = prEvent(pr, 'git.pullrequest.merged');
    const mergedAnswer = await post(merged);
    assert.equal(mergedAnswer.status, 200);
    assert.equal(((await mergedAnswer.json()) as { status: string }).status, 'ignored');
    await bed.host.idle();
    assert.equal((await bed.stack.store.threads.get(decision.threadId))?.status, 'running');
    assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
    assert.ok(
      bed.logs.some(
        (entry) => entry.message.includes('not handled') && entry.message.includes('git.pullrequest.merged'),
      ),
    );

    bed.stack.azdo.completePullRequest(pr, bed.stack.azdo.users.approver);
    assert.equal((await post(prEvent(pr, 'git.pullrequest.updated', 'completed'))).status, 200);
    await waitFor(
      async () => (await bed.stack.store.threads.get(decision.threadId))?.status === 'done',
      'the thread to be done',
    );
    const ended = await bed.stack.store.decisions.get(decision.id);
    assert.equal(ended?.status, 'superseded');
    assert.match(ended?.reason ?? '', /completed in Azure DevOps/);
    assert.equal((await threadState(pr.id))?.mergeCommit, pr.mergeCommit);
  });

  it('an event that says no meaning (an abandonment) is deduped by its id: a redelivery is a duplicate, another event is not', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-9_abandoned');
    const abandoned = prEvent(pr, 'git.pullrequest.updated', 'abandoned');
    const statusOf = async (body: unknown) =>
      ((await (await post(body)).json()) as { status: string }).status;
    assert.equal(await statusOf(abandoned), 'queued');
    assert.equal(await statusOf(abandoned), 'duplicate');
    assert.equal(await statusOf({ ...abandoned, id: randomUUID() }), 'queued');
    await bed.host.idle();
  });

  it('two deliveries (distinct event ids) of one completion act once', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-9_twice');
    bed.stack.azdo.completePullRequest(pr, bed.stack.azdo.users.approver);
    const completion = () => {
      const event = prEvent(pr, 'git.pullrequest.updated', 'completed');
      event.resource.closedDate = pr.closedDate;
      event.resource.lastMergeCommit.commitId = pr.mergeCommit;
      return event;
    };
    const first = completion();
    const second = completion();
    assert.notEqual(first.id, second.id);
    const observed = () =>
      bed.logs.filter(
        (entry) => entry.message.includes('PR observed') && entry.message.includes(`"prId":${pr.id},`),
      ).length;
    const answers = [await post(first), await post(second)];
    assert.deepEqual(
      await Promise.all(answers.map(async (answer) => ((await answer.json()) as { status: string }).status)),
      ['queued', 'duplicate'],
    );
    await bed.host.idle();
    assert.equal(observed(), 1, 'one worker run for the completion');
    assert.equal(
      (await bed.stack.store.threads.get(`pr.${encodeURIComponent(REPO)}.${pr.id}`))?.status,
      'done',
    );
  });

  it('the recorded approval-pending event (run and stage null) posts the gate card, falling back to GET approvals and the message text', async () => {
    const { run, threadId } = await startRelease(bed, '3.1.0');
    const approval = bed.stack.azdo.createPendingApproval({ runId: run.id, pipelineId: RELEASE_PIPELINE.id });
    const event = recorded('azdo-servicehook-approval-pending.json');
    assert.equal(event.resource.run, null);
    assert.equal(event.resource.stage, null);
    event.resource.approval.id = approval.id;
    event.message.text = event.message.text.replace('environment env1', 'environment release-agent-sandbox');
    assert.equal((await post(event)).status, 200);
    const decision = await waitFor(
      async () =>
        (await bed.stack.store.decisions.findByThread(threadId)).find((candidate) => candidate.slack),
      'the approve_stage card',
    );
    assert.equal(decision.gate, 'approve_stage');
    assert.deepEqual(decision.target, {
      gate: 'approve_stage',
      repo: REPO,
      version: '3.1.0',
      approvalId: approval.id,
      stage: 'release-agent-sandbox',
    });
    // The same approval pending again (the event redelivered with a new id) asks nothing new.
    event.id = randomUUID();
    assert.equal((await post(event)).status, 200);
    await bed.host.idle();
    assert.equal((await bed.stack.store.decisions.findByThread(threadId)).length, 1);
  });

  it('an approval whose release cannot be identified still gets an answerable card', async () => {
    const approval = bed.stack.azdo.createPendingApproval({ environment: 'release-agent-production' });
    const event = recorded('azdo-servicehook-approval-pending.json');
    event.id = randomUUID();
    event.resource.approval.id = approval.id;
    event.message.text =
      'Approval pending for deployment of pipeline run9 to environment release-agent-production.';
    assert.equal((await post(event)).status, 200);
    const decision = await waitFor(
      async () =>
        (await bed.stack.store.decisions.findByThread(`approval.${approval.id}`)).find(
          (candidate) => candidate.slack,
        ),
      'the card',
    );
    assert.ok(bed.logs.some((entry) => entry.message.includes('cannot be identified')));
    await bed.stack.slack.click({
      ...decision.slack!,
      actionId: GATE_ACTIONS.approve_stage.approve.actionId,
    });
    await waitFor(
      () => bed.stack.azdo.approval(approval.id).status === 'approved',
      'the approval to be given',
    );
  });

  /** The recorded approval-pending event pointed at `approvalId`, naming `environment` and a pipeline. */
  const approvalEvent = (
    approvalId: string,
    environment: string,
    pipeline?: { id: number; name: string },
  ) => {
    const event = recorded('azdo-servicehook-approval-pending.json');
    event.id = randomUUID();
    event.resource.approval.id = approvalId;
    event.resource.resource = { type: 'environment', id: '1', name: environment };
    event.resource.pipeline = pipeline ?? null;
    event.message.text = `Approval pending for deployment of pipeline run9 to environment ${environment}.`;
    return event;
  };
  const cardOf = (approvalId: string, threadId = `approval.${approvalId}`) =>
    waitFor(
      async () =>
        (await bed.stack.store.decisions.findByThread(threadId)).find(
          (candidate) =>
            'approvalId' in candidate.target && candidate.target.approvalId === approvalId && candidate.slack,
        ),
      'the card',
    );

  it('a pipeline or run name is never shown as the repo: only the release thread or the configured release pipeline names it', async () => {
    // A pipeline whose name (its author's choice) looks like a watched repo, waiting on production.
    const named = bed.stack.azdo.addPipeline({ name: REPO });
    const approval = bed.stack.azdo.createPendingApproval({
      environment: 'release-agent-production',
      pipelineId: named.id,
    });
    assert.equal(
      (await post(approvalEvent(approval.id, 'release-agent-production', { id: named.id, name: REPO })))
        .status,
      200,
    );
    const decision = await cardOf(approval.id);
    assert.equal(decision.target.repo, 'unknown release');
    assert.equal(decision.details?.repo, 'unknown release');
    const text = cardText(bed.stack.slack.message(decision.slack!.channel, decision.slack!.ts));
    assert.ok(!text.includes(REPO), 'the pipeline name is not on the card');

    // The configured release pipeline (RELEASE_PIPELINE_BY_REPO) names its repo, whatever it is called.
    const ours = bed.stack.azdo.createPendingApproval({
      environment: 'release-agent-production',
      pipelineId: RELEASE_PIPELINE.id,
    });
    assert.equal(
      (
        await post(
          approvalEvent(ours.id, 'release-agent-production', { id: RELEASE_PIPELINE.id, name: 'anything' }),
        )
      ).status,
      200,
    );
    const known = await cardOf(ours.id);
    assert.equal(known.target.repo, REPO);
  });

  it("another pipeline's approval on a shared environment name gets no card; a known release run's approval without our marker still does", async () => {
    // `production` is not a gate of ours by default (RELEASE_ENVIRONMENTS): another team's deploy is left alone.
    const other = bed.stack.azdo.addPipeline({ name: 'Payments CD' });
    const theirs = bed.stack.azdo.createPendingApproval({ environment: 'production', pipelineId: other.id });
    assert.equal(
      (await post(approvalEvent(theirs.id, 'production', { id: other.id, name: 'Payments CD' }))).status,
      200,
    );
    await bed.host.idle();
    assert.deepEqual(await bed.stack.store.decisions.findByThread(`approval.${theirs.id}`), []);
    assert.ok(bed.logs.some((entry) => entry.message.includes('not for a Release Agent gate environment')));

    // Our release run waits on a check setup could not mark, on an environment the setting does not name.
    const { run, threadId } = await startRelease(bed, '3.4.0');
    const unmarked = bed.stack.azdo.createPendingApproval({
      environment: 'team-gate',
      runId: run.id,
      pipelineId: RELEASE_PIPELINE.id,
      instructions: 'Ask the release manager.',
    });
    assert.equal((await post(approvalEvent(unmarked.id, 'team-gate'))).status, 200);
    const decision = await cardOf(unmarked.id, threadId);
    assert.deepEqual(decision.target, {
      gate: 'approve_stage',
      repo: REPO,
      version: '3.4.0',
      approvalId: unmarked.id,
      stage: 'team-gate',
    });
    // Nothing names the environment at all (the poller's view): still asked, for the configured pipeline.
    const unnamed = bed.stack.azdo.createPendingApproval({ pipelineId: RELEASE_PIPELINE.id });
    const event = approvalEvent(unnamed.id, 'x');
    event.resource.resource = null;
    event.message.text = 'Approval pending.';
    assert.equal((await post(event)).status, 200);
    const asked = await cardOf(unnamed.id);
    assert.equal(asked.target.repo, REPO);
    assert.equal('stage' in asked.target && asked.target.stage, 'unknown environment');
    assert.ok(bed.logs.some((entry) => entry.message.includes('names no gate environment')));
  });

  it("the approval's own instructions name its gate: an event naming another environment does not change it", async () => {
    const { run, threadId } = await startRelease(bed, '3.3.0');
    const approval = bed.stack.azdo.createPendingApproval({
      environment: 'release-agent-sandbox',
      runId: run.id,
      pipelineId: RELEASE_PIPELINE.id,
      instructions: approvalInstructions('release-agent-sandbox'),
    });
    // The event says production: the approval read back through REST says sandbox, and wins.
    assert.equal((await post(approvalEvent(approval.id, 'release-agent-production'))).status, 200);
    const decision = await cardOf(approval.id, threadId);
    assert.deepEqual(decision.target, {
      gate: 'approve_stage',
      repo: REPO,
      version: '3.3.0',
      approvalId: approval.id,
      stage: 'release-agent-sandbox',
    });
    assert.ok(bed.logs.some((entry) => entry.message.includes('the approval wins')));
  });

  it('an approval answered in the Azure DevOps UI updates the card (approval-completed, delivered by the simulator)', async () => {
    bed.stack.azdo.addWebhook({
      url: `${bed.host.apiUrl}/azdo/events`,
      headers: { 'X-Webhook-Secret': bed.stack.secrets.webhookSecret },
      eventTypes: [...APPROVAL_EVENTS],
    });
    const { run, threadId } = await startRelease(bed, '3.2.0');
    const approval = bed.stack.azdo.createPendingApproval({
      environment: 'release-run-pipelines',
      runId: run.id,
      pipelineId: RELEASE_PIPELINE.id,
    });
    const decision = await waitFor(
      async () =>
        (await bed.stack.store.decisions.findByThread(threadId)).find((candidate) => candidate.slack),
      'the run_pipelines card',
    );
    bed.stack.azdo.decideApprovalAsUser(approval.id, 'approved', { comment: 'done in the UI' });
    const settled = await waitFor(async () => {
      const current = await bed.stack.store.decisions.get(decision.id);
      return current?.status === 'approved' && current;
    }, 'the decision to take the UI answer');
    assert.equal(settled.decidedVia, 'azdo');
    assert.equal(settled.decidedBy, bed.stack.azdo.users.approver.displayName);
    await waitFor(
      () =>
        cardText(bed.stack.slack.message(decision.slack!.channel, decision.slack!.ts)).includes(
          'in Azure DevOps',
        ),
      'the card to say it was answered in Azure DevOps',
    );
    assert.ok(bed.stack.azdo.deliveries.every((delivery) => delivery.outcome === 'delivered'));
  });

  describe('authentication and validation', () => {
    const event = () => ({ id: randomUUID(), eventType: 'build.complete', resource: {} });
    const expectError = async (response: Response, status: number, code: string) => {
      assert.equal(response.status, status);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, code);
    };
    it('no secret → 401', async () => expectError(await post(event(), {}), 401, 'AUTH_INVALID'));
    it('a wrong secret → 401', async () =>
      expectError(await post(event(), { 'x-webhook-secret': 'guess' }), 401, 'AUTH_INVALID'));
    it('the previous secret (rotation) → 200', async () =>
      assert.equal((await post(event(), { 'x-webhook-secret': PREVIOUS_SECRET })).status, 200));
    it('basic auth with the secret as password → 200; with another → 401', async () => {
      const basic = (password: string) => ({
        authorization: `Basic ${Buffer.from(`azdo:${password}`).toString('base64')}`,
      });
      assert.equal((await post(event(), basic(bed.stack.secrets.webhookSecret))).status, 200);
      await expectError(await post(event(), basic('nope')), 401, 'AUTH_INVALID');
    });
    it('an unknown event type → 200 and a log line', async () => {
      const unknown = event();
      const answer = await post(unknown);
      assert.equal(answer.status, 200);
      assert.equal(((await answer.json()) as { status: string }).status, 'ignored');
      assert.ok(
        bed.logs.some(
          (entry) => entry.message.includes('build.complete') && entry.message.includes(unknown.id),
        ),
      );
    });
    it('malformed JSON → 400', async () => expectError(await post('{"id": '), 400, 'INPUT_INVALID'));
    it('an envelope without an id → 400', async () =>
      expectError(await post({ eventType: 'git.pullrequest.created', resource: {} }), 400, 'INPUT_INVALID'));
    it('a PR event without its PR id → 400', async () => {
      const bad = recorded('azdo-servicehook-git.pullrequest.created.json');
      delete bad.resource.pullRequestId;
      await expectError(await post(bad), 400, 'INPUT_INVALID');
    });
    it('text/plain → 415', async () => {
      const answer = await bed.api('/azdo/events', {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-webhook-secret': bed.stack.secrets.webhookSecret },
        body: JSON.stringify(event()),
      });
      await expectError(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
    it('a body over 256 KiB → 413', async () =>
      expectError(await post({ ...event(), padding: 'x'.repeat(300 * 1024) }), 413, 'BODY_TOO_LARGE'));
  });
});
