// Duplicates: every inbound kind the function app takes (a Slack click, an Azure DevOps service hook,
// the poller's discovery, a queue message) delivered 20 times at once, over real HTTP on the local
// host and Azurite's queue: each has exactly one effect.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueueServiceClient } from '@azure/storage-queue';
import { GATE_ACTIONS } from '../../core/gates.ts';
import type { Decision } from '../../core/model.ts';
import { approvalInstructions } from '../../flows/approval-gates.ts';
import { decideGate } from '../../flows/decide.ts';
import { pollOnce } from '../../flows/poller.ts';
import { prThreadId } from '../../flows/threads.ts';
import { type WorkMessage, workMessage } from '../../flows/work-messages.ts';
import { services } from '../../functions/services.ts';
import { blockActionsPayload } from '../../sandbox/sim/slack/interactions.ts';
import { buttonsOf } from '../../sandbox/sim/slack/blocks.ts';
import {
  askMerge,
  openPullRequest,
  REPO,
  RELEASE_PIPELINE,
  signedSlackRequest,
  startRelease,
  startTestbed,
  type Testbed,
  waitFor,
} from '../functions/testbed.ts';

const TIMES = 20;
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'azure-devops');

describe('reliability: every inbound kind delivered 20 times at once has one effect', () => {
  let bed: Testbed;
  const figures: string[] = [];
  before(async () => {
    bed = await startTestbed({ env: { PR_POLL_ENABLED: 'true' }, webhookEvents: [] });
  });
  after(async () => {
    await bed?.stop();
    if (figures.length > 0)
      console.log(
        `  duplicates: ${figures.length} inbound kinds × ${TIMES} concurrent deliveries: ${figures.join('; ')}`,
      );
  });

  const completions = (prId: number) =>
    bed.stack.azdo.requestLog.filter(
      (entry) =>
        entry.operation === 'Pull Requests_Update' &&
        entry.method === 'PATCH' &&
        entry.path.toLowerCase().endsWith(`/pullrequests/${prId}`),
    );
  const runsFor = (prId: number) =>
    [...bed.stack.azdo.runs.values()].filter((run) => run.refName === `refs/pull/${prId}/merge`);
  const audits = async (subject: string, action: string) =>
    (await bed.stack.store.audit.list({ subject })).filter((entry) => entry.action === action).length;
  const settled = (id: string) =>
    waitFor(async () => {
      const decision = (await bed.stack.store.decisions.get(id)) as Decision;
      return decision.effect && !['queued', 'running'].includes(decision.effect.status)
        ? decision
        : undefined;
    }, `the effect of ${id}`);
  const queue = () =>
    QueueServiceClient.fromConnectionString(bed.env.STORAGE_CONNECTION_STRING!).getQueueClient(
      bed.env.WORK_QUEUE_NAME!,
    );
  const send = (message: WorkMessage) =>
    queue().sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));

  it('a Slack click: the same signed delivery 20 times, and 20 separate clicks, merge the PR once', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-801_click', 'Twenty clicks');
    const decision = await askMerge(bed, pr);
    const card = bed.stack.slack.message(decision.slack.channel, decision.slack.ts)!;
    const button = buttonsOf(card.blocks).find(
      (candidate) => candidate.action_id === GATE_ACTIONS.merge_pr.approve.actionId,
    )!;
    const users = bed.stack.slack.users;
    const payload = blockActionsPayload(
      {
        id: 1,
        interactionsUrl: undefined,
        signingSecret: undefined,
        timeoutMs: 3000,
        team: { id: 'T0SANDBOX', domain: 'release-agent-sandbox' },
        appId: 'A0RELEASEAGENT',
        user: users[0]!,
        channel: { id: decision.slack.channel, name: 'releases' },
        message: { type: 'message', ts: card.ts, text: card.text, blocks: card.blocks },
        messageTs: card.ts,
        isEphemeral: false,
        button,
        responseUrl: `${bed.stack.slack.url}/actions/T0SANDBOX/1/abc`,
      },
      Date.now(),
    );
    const request = signedSlackRequest(bed.stack.secrets.slackSigningSecret, payload);
    const answers = await Promise.all(
      Array.from({ length: TIMES }, () =>
        bed.api('/slack/interactions', { method: 'POST', headers: request.headers, body: request.body }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(TIMES).fill(200),
    );
    // Each delivery is acknowledged and queued; the worker takes the answer once, and the other 19
    // find it taken by this very click (a duplicate), so nothing is refused or decided twice.
    const bodies = await Promise.all(answers.map((answer) => answer.json()));
    assert.deepEqual(bodies, Array(TIMES).fill({ ok: true, accepted: true }));
    const done = await settled(decision.id);
    await bed.host.idle();
    assert.equal(done.answer?.by, users[0]!.id);
    assert.equal(await audits(decision.id, 'answer-refused'), 0, 'no delivery of the click was refused');
    assert.equal(done.effect?.status, 'done', done.effect?.detail);
    assert.equal(pr.status, 'completed');
    assert.equal(completions(pr.id).length, 1, 'one PATCH completed the PR');
    assert.equal(await audits(decision.id, 'decision.approved'), 1, 'one decision transition');
    assert.equal(await audits(decision.id, 'effect.done'), 1);

    // 20 separate clicks (each its own delivery) race for the same single-shot decision.
    const other = openPullRequest(bed, 'feature/ALLPOST-802_clicks', 'Twenty separate clicks');
    const second = await askMerge(bed, other);
    const deliveries = await Promise.all(
      Array.from({ length: TIMES }, (_, index) =>
        bed.stack.slack.click({
          ...second.slack,
          actionId: GATE_ACTIONS.merge_pr.approve.actionId,
          userId: users[index % users.length]!.id,
        }),
      ),
    );
    assert.deepEqual(
      deliveries.map((delivery) => delivery.status),
      Array(TIMES).fill(200),
    );
    await settled(second.id);
    await bed.host.idle();
    assert.equal(other.status, 'completed');
    assert.equal(completions(other.id).length, 1, 'one PATCH for 20 clicks');
    assert.equal(await audits(second.id, 'decision.approved'), 1);
    figures.push(
      `Slack click → 1 merge (of ${TIMES} identical deliveries) and 1 merge (of ${TIMES} separate clicks)`,
    );
  });

  it('a service hook: one git.pullrequest.created event 20 times queues one PR run', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-803_hook', 'Twenty hooks');
    const event = JSON.parse(
      readFileSync(join(fixtures, 'azdo-servicehook-git.pullrequest.created.json'), 'utf8'),
    ) as {
      id: string;
      resource: {
        repository: { name: string };
        pullRequestId: number;
        status: string;
        targetRefName: string;
        lastMergeSourceCommit: { commitId: string };
      };
    };
    event.id = randomUUID();
    event.resource.repository.name = REPO;
    event.resource.pullRequestId = pr.id;
    event.resource.status = 'active';
    event.resource.targetRefName = pr.targetRefName;
    event.resource.lastMergeSourceCommit.commitId = pr.sourceCommit;
    const body = JSON.stringify(event);
    const answers = await Promise.all(
      Array.from({ length: TIMES }, () =>
        bed.api('/azdo/events', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-webhook-secret': bed.stack.secrets.webhookSecret,
          },
          body,
        }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(TIMES).fill(200),
    );
    const statuses = await Promise.all(
      answers.map(async (answer) => ((await answer.json()) as { status: string }).status),
    );
    assert.equal(statuses.filter((status) => status === 'queued').length, 1);
    await waitFor(() => runsFor(pr.id).length > 0, 'the PR run');
    await bed.host.idle();
    assert.equal(runsFor(pr.id).length, 1);
    const thread = await bed.stack.store.threads.getOf('pr', prThreadId(REPO, pr.id));
    assert.equal(thread?.state.queuedRuns?.length, 1);
    figures.push('service hook → 1 PR run');
  });

  it('poller discovery: 20 cycles at once (and 20 timer runs) queue one PR run', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-804_poll', 'Twenty polls');
    // Cycles on several instances at once (the host's timer lock is per instance), then the timer.
    const reports = await Promise.all(
      Array.from({ length: TIMES }, (_, index) => pollOnce(services().deps, `dupe-cycle-${index}`)),
    );
    assert.deepEqual(
      reports.flatMap((report) => report.errors),
      [],
    );
    assert.equal(
      reports.reduce((sum, report) => sum + report.runsQueued, 0),
      1,
      'one cycle queued it',
    );
    await Promise.all(Array.from({ length: TIMES }, () => bed.host.runTimer('pr-poller')));
    await bed.host.idle();
    assert.equal(runsFor(pr.id).length, 1);
    figures.push('poller discovery → 1 PR run');
  });

  it('queue redelivery: the same work message 20 times has one effect, for every kind of message', async () => {
    const messages: string[] = [];
    // effect: the merge of a decided gate 1.
    const pr = openPullRequest(bed, 'feature/ALLPOST-805_redelivery', 'Twenty deliveries');
    const decision = await askMerge(bed, pr);
    const decided = await decideGate(services().deps, {
      decisionId: decision.id,
      threadId: decision.threadId,
      action: 'merge',
      by: 'operator',
      via: 'api',
    });
    assert.equal(decided.kind, 'decided');
    const effect = decided.messages.find((message) => message.kind === 'effect')!;
    // pr: a discovery of a PR that has no run yet.
    const discovered = openPullRequest(bed, 'feature/ALLPOST-806_discovered', 'Discovered once');
    const prMessage = workMessage('pr', { source: 'webhook', repo: REPO, prId: discovered.id });
    // approval: a pending approval of a release in flight.
    const { run, threadId } = await startRelease(bed, '7.0.0', [{ key: 'ALLPOST-807', summary: 'Once' }]);
    const approval = bed.stack.azdo.createPendingApproval({
      environment: 'release-agent-sandbox',
      runId: run.id,
      pipelineId: RELEASE_PIPELINE.id,
      instructions: approvalInstructions('release-agent-sandbox'),
    });
    const approvalMessage = workMessage('approval', { source: 'webhook', approvalId: approval.id });
    // release: an operator's request to queue the release pipeline.
    const releaseMessage = workMessage('release', {
      repo: REPO,
      pipelineId: RELEASE_PIPELINE.id,
      requestedBy: 'operator:op',
    });
    const releaseRuns = () =>
      [...bed.stack.azdo.runs.values()].filter((candidate) => candidate.pipelineId === RELEASE_PIPELINE.id)
        .length;
    const releaseRunsBefore = releaseRuns();
    const cardsBefore = bed.stack.slack.messages(bed.stack.slackChannel).length;

    for (const message of [effect, prMessage, approvalMessage, releaseMessage]) {
      await Promise.all(Array.from({ length: TIMES }, () => send(message)));
      messages.push(message.kind);
    }
    await bed.host.idle(30_000);

    assert.equal(pr.status, 'completed');
    assert.equal(completions(pr.id).filter((entry) => entry.status === 200).length, 1, 'merged once');
    assert.equal(await audits(decision.id, 'effect.done'), 1);
    assert.equal(runsFor(discovered.id).length, 1, 'one PR run');
    const asked = await bed.stack.store.decisions.findByThread(threadId);
    assert.equal(asked.length, 1, 'one gate question');
    const cards = bed.stack.slack
      .messages(bed.stack.slackChannel)
      .slice(cardsBefore)
      .filter((message) => message.text.includes('7.0.0'));
    assert.equal(cards.length, 1, 'one gate card');
    assert.equal(releaseRuns() - releaseRunsBefore, 1, 'one release run');
    assert.equal(bed.host.poisoned, 0);
    figures.push(
      `queue redelivery → 1 effect for each of ${messages.length} message kinds (${messages.join(', ')})`,
    );
  });
});
