// The timer (run on demand on the local host): PR discovery through one project-wide call, the same
// path as the webhook (so the two dedupe each other), and the approvals reconcile.
import assert from 'node:assert/strict';
import { GATE_ACTIONS } from '../../core/gates.ts';
import type { Decision } from '../../core/model.ts';
import { approvalInstructions } from '../../flows/approval-gates.ts';
import { pollOnce } from '../../flows/poller.ts';
import { ANSWER_LOST_AFTER_SECONDS, answerGate } from '../../flows/decide.ts';
import { services } from '../../functions/services.ts';
import { decisionIdFor, refreshCard } from '../../flows/gate-requests.ts';
import { GIT_EVENTS } from '../../sandbox/sim/azdo/hooks.ts';
import {
  askMerge,
  cardText,
  decidedWithLostEffect,
  openPullRequest,
  PR_PIPELINE,
  REPO,
  RELEASE_PIPELINE,
  startRelease,
  startTestbed,
  type Testbed,
} from './testbed.ts';

describe('functions: poller', () => {
  let bed: Testbed;
  before(async () => {
    bed = await startTestbed({ env: { PR_POLL_ENABLED: 'true' }, webhookEvents: [] });
  });
  after(() => bed?.stop());

  const runsFor = (prId: number) =>
    [...bed.stack.azdo.runs.values()].filter((run) => run.refName === `refs/pull/${prId}/merge`);
  const poll = async () => {
    await bed.host.runTimer('pr-poller');
    await bed.host.idle();
  };
  const listCalls = () =>
    bed.stack.azdo.requestLog.filter(
      (entry) => entry.operation === 'Pull Requests_Get Pull Requests By Project',
    );

  it('discovers a new PR with one project-wide call, queues its run once, and again for a new commit', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-400_poll');
    const calls = listCalls().length;
    await poll();
    assert.equal(listCalls().length - calls, 1, 'one list call per cycle');
    assert.equal(runsFor(pr.id).length, 1);
    assert.equal(runsFor(pr.id)[0]?.pipelineId, PR_PIPELINE.id);
    await poll();
    assert.equal(runsFor(pr.id).length, 1, 'nothing new, nothing queued');
    bed.stack.azdo.pushCommit(REPO, 'feature/ALLPOST-400_poll');
    await poll();
    assert.equal(runsFor(pr.id).length, 2);
  });

  it('webhook and poller for one PR queue one run', async () => {
    const subscriptions = bed.stack.azdo.addWebhook({
      url: `${bed.host.apiUrl}/azdo/events`,
      headers: { 'X-Webhook-Secret': bed.stack.secrets.webhookSecret },
      eventTypes: [...GIT_EVENTS],
    });
    try {
      const pr = openPullRequest(bed, 'feature/ALLPOST-401_both');
      // Both at once: the hook's delivery and a poll cycle race for the same commit.
      await Promise.all([bed.stack.azdo.flushDeliveries(), bed.host.runTimer('pr-poller')]);
      await bed.host.idle();
      await bed.host.runTimer('pr-poller');
      await bed.host.idle();
      assert.equal(runsFor(pr.id).length, 1);
      const thread = await bed.stack.store.threads.getOf('pr', `pr.${encodeURIComponent(REPO)}.${pr.id}`);
      assert.equal(thread?.state.queuedRuns?.length, 1);
    } finally {
      for (const subscription of subscriptions) bed.stack.azdo.hooks.subscriptions.delete(subscription.id);
    }
  });

  it('records a tracked PR completed while no hook told us', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-402_merged');
    await poll();
    bed.stack.azdo.completePullRequest(pr, bed.stack.azdo.users.approver);
    await poll();
    const thread = await bed.stack.store.threads.getOf('pr', `pr.${encodeURIComponent(REPO)}.${pr.id}`);
    assert.equal(thread?.status, 'done');
    assert.equal(thread?.state.mergeCommit, pr.mergeCommit);
  });

  it('reconciles approvals: a card for one the webhook missed, the card updated for one answered in the UI', async () => {
    const { run, threadId } = await startRelease(bed, '6.0.0');
    const approval = bed.stack.azdo.createPendingApproval({
      environment: 'release-merge-pr',
      runId: run.id,
      pipelineId: RELEASE_PIPELINE.id,
      instructions: approvalInstructions('release-merge-pr'),
    });
    await poll();
    const [decision] = await bed.stack.store.decisions.findByThread(threadId);
    assert.equal(decision?.gate, 'merge_release_pr');
    assert.ok(decision?.slack, 'the card was posted');
    assert.match(
      cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)),
      /Release PR #42/,
    );
    await poll();
    assert.equal((await bed.stack.store.decisions.findByThread(threadId)).length, 1, 'asked once');

    bed.stack.azdo.decideApprovalAsUser(approval.id, 'rejected');
    await poll();
    const settled = await bed.stack.store.decisions.get(decision.id);
    assert.equal(settled?.status, 'rejected');
    assert.equal(settled?.decidedVia, 'azdo');
    assert.match(
      cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)),
      /in Azure DevOps/,
    );
  });

  it('posts the card of a pending decision whose creator died before posting it', async () => {
    const approval = bed.stack.azdo.createPendingApproval({
      environment: 'release-agent-production',
      instructions: approvalInstructions('release-agent-production'),
    });
    const target = {
      gate: 'approve_stage' as const,
      repo: REPO,
      version: '6.1.0',
      approvalId: approval.id,
      stage: 'release-agent-production',
    };
    await bed.stack.store.decisions.createIfAbsent({
      id: decisionIdFor(target),
      threadId: 'release.x.6.1.0',
      gate: 'approve_stage',
      target,
      nonce: 'n'.repeat(24),
      status: 'pending',
      createdAt: new Date(Date.now() - 5 * 60_000).toISOString(),
      details: { gate: 'approve_stage', repo: REPO, version: '6.1.0', stage: 'release-agent-production' },
    });
    await poll();
    const posted = await bed.stack.store.decisions.get(decisionIdFor(target));
    assert.ok(posted?.slack, 'the card was posted');
    const blocks = JSON.stringify(bed.stack.slack.message(posted.slack.channel, posted.slack.ts)?.blocks);
    assert.match(blocks, new RegExp(GATE_ACTIONS.approve_stage.approve.actionId));
    assert.equal(
      (await bed.stack.store.decisions.listPending({ gate: 'approve_stage' })).filter(
        (d) => 'approvalId' in d.target && d.target.approvalId === approval.id,
      ).length,
      1,
      'not asked twice',
    );
  });

  describe('effects whose queue message was lost', () => {
    const prUpdates = () =>
      bed.stack.azdo.requestLog.filter(
        (entry) => entry.operation === 'Pull Requests_Update' && entry.method === 'PATCH',
      ).length;
    const auditOf = async (subject: string, action: string) =>
      (await bed.stack.store.audit.list({ subject })).filter((entry) => entry.action === action).length;

    it('a decided merge whose message was lost: the poller re-queues it, the PR completes once, the proof untouched', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-410_lost');
      const decision = await decidedWithLostEffect(bed, await askMerge(bed, pr));
      const before = prUpdates();
      await poll();
      const done = (await bed.stack.store.decisions.get(decision.id)) as Decision;
      assert.equal(done.effect?.status, 'done', done.effect?.detail);
      assert.equal(done.effect?.redriven, 1);
      assert.equal(pr.status, 'completed');
      assert.equal(done.proof, decision.proof, 'the proof is as the app recorded it');
      assert.equal(done.status, 'approved');
      // Nothing more to do: later cycles leave it alone.
      await poll();
      assert.equal(prUpdates() - before, 1, 'completed once');
      assert.equal(await auditOf(decision.id, 'effect.done'), 1);
      assert.match(
        cardText(bed.stack.slack.message(decision.slack!.channel, decision.slack!.ts)),
        /Result:/,
        'the card no longer says in progress',
      );
    });

    it('a young queued effect (its message may still be on its way) is left alone', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-411_young');
      const decision = await decidedWithLostEffect(bed, await askMerge(bed, pr), { ageMs: 30_000 });
      await poll();
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.effect?.status, 'queued');
      assert.equal(pr.status, 'active');
    });

    it('an effect whose run died (its lease ran out) is run again; one still held is not', async () => {
      const held = openPullRequest(bed, 'feature/ALLPOST-412_held');
      const dead = openPullRequest(bed, 'feature/ALLPOST-413_dead');
      const at = new Date(Date.now() - 20 * 60_000).toISOString();
      const heldDecision = await decidedWithLostEffect(bed, await askMerge(bed, held), {
        effect: {
          status: 'running',
          at,
          runner: 'another-run',
          leaseUntil: new Date(Date.now() + 5 * 60_000).toISOString(),
        },
      });
      const deadDecision = await decidedWithLostEffect(bed, await askMerge(bed, dead), {
        effect: {
          status: 'running',
          at,
          runner: 'a-dead-run',
          leaseUntil: new Date(Date.now() - 1000).toISOString(),
        },
      });
      await poll();
      assert.equal((await bed.stack.store.decisions.get(deadDecision.id))?.effect?.status, 'done');
      assert.equal(dead.status, 'completed');
      assert.equal((await bed.stack.store.decisions.get(heldDecision.id))?.effect?.status, 'running');
      assert.equal(held.status, 'active');
    });

    it('two pollers at once re-queue a lost effect once', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-414_pollers');
      const decision = await decidedWithLostEffect(bed, await askMerge(bed, pr));
      const before = prUpdates();
      // Two cycles at once, as two instances would run them (the host's timer lock is per process), on
      // one frozen clock: both stamp the same instant, so only the stored write may tell who won.
      const instant = new Date();
      const deps = { ...services().deps, now: () => new Date(instant) };
      const reports = await Promise.all([pollOnce(deps, 'one'), pollOnce(deps, 'two')]);
      assert.equal(reports[0]!.effectsRedriven + reports[1]!.effectsRedriven, 1);
      await bed.host.idle();
      const done = (await bed.stack.store.decisions.get(decision.id)) as Decision;
      assert.equal(done.effect?.status, 'done', done.effect?.detail);
      assert.equal(done.effect?.redriven, 1);
      assert.equal(prUpdates() - before, 1);
    });
  });

  describe('Slack answers whose checks were lost', () => {
    it('the poller queues the checks again once (two pollers at once), and the PR completes', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-415_answer_lost');
      const decision = await askMerge(bed, pr);
      // Taken as the Slack ack takes it, but its `confirm` message never reaches the worker.
      const taken = await answerGate(services().deps, {
        decisionId: decision.id,
        outcome: 'approved',
        nonce: decision.nonce,
        by: 'U0RELMGR',
        via: 'slack',
        card: { ...decision.slack!, gate: 'merge_pr' },
      });
      assert.equal(taken.kind, 'answered');
      // Young: its message may still be on its way.
      assert.equal((await pollOnce(services().deps, 'young')).answersRedriven, 0);
      const later = new Date(Date.now() + (ANSWER_LOST_AFTER_SECONDS + 1) * 1000);
      const deps = { ...services().deps, now: () => new Date(later) };
      const reports = await Promise.all([pollOnce(deps, 'one'), pollOnce(deps, 'two')]);
      assert.equal(reports[0]!.answersRedriven + reports[1]!.answersRedriven, 1);
      await bed.host.idle();
      assert.equal(pr.status, 'completed');
      const decided = (await bed.stack.store.decisions.get(decision.id)) as Decision;
      assert.equal(decided.status, 'approved');
      assert.equal(decided.decidedBy, 'U0RELMGR');
      // Decided: nothing more to queue.
      assert.equal((await pollOnce(deps, 'after')).answersRedriven, 0);
    });
  });

  describe('several instances on one storage account', () => {
    it('two pollers at once post one card for a card-less decision', async () => {
      const approval = bed.stack.azdo.createPendingApproval({
        environment: 'production',
        instructions: approvalInstructions('production'),
      });
      const target = {
        gate: 'approve_stage' as const,
        repo: REPO,
        version: '6.3.0',
        approvalId: approval.id,
        stage: 'production',
      };
      const id = decisionIdFor(target);
      await bed.stack.store.decisions.createIfAbsent({
        id,
        threadId: 'release.x.6.3.0',
        gate: 'approve_stage',
        target,
        nonce: 'n'.repeat(24),
        status: 'pending',
        createdAt: new Date(Date.now() - 5 * 60_000).toISOString(),
        details: { gate: 'approve_stage', repo: REPO, version: '6.3.0', stage: 'production' },
      });
      const cards = () =>
        bed.stack.slack.messages().filter((message) => JSON.stringify(message.blocks).includes(id)).length;
      const reports = await Promise.all(
        ['a', 'b', 'c'].map((name) => pollOnce(services().deps, `cards-${name}`)),
      );
      assert.equal(
        reports.reduce((sum, report) => sum + report.cardsPosted, 0),
        1,
        JSON.stringify(reports.map((report) => report.errors)),
      );
      assert.equal(cards(), 1, 'one card');
      assert.ok((await bed.stack.store.decisions.get(id))?.slack);
    });

    it('an update of an older state that lands last is redrawn: the card ends showing the stored state', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-415_late_update');
      const asked = await askMerge(bed, pr);
      const queued = await decidedWithLostEffect(bed, asked, { ageMs: 0 });
      const done = await bed.stack.store.decisions.update(queued.id, (current) => ({
        ...current,
        effect: { status: 'done', detail: 'PR completed', at: new Date().toISOString() },
      }));
      const text = () => cardText(bed.stack.slack.message(asked.slack.channel, asked.slack.ts));
      await refreshCard(services().deps, done);
      assert.match(text(), /Result: PR completed/);
      // The "in progress" update of the click, slowed by a retry, lands after the result's.
      await refreshCard(services().deps, queued);
      assert.match(text(), /Result: PR completed/);
      assert.doesNotMatch(text(), /In progress/);
    });
  });

  it('ends a pending decision whose approval is gone from Azure DevOps', async () => {
    const target = {
      gate: 'approve_stage' as const,
      repo: REPO,
      version: '6.2.0',
      approvalId: 'f0000000-0000-4000-8000-000000000001',
      stage: 'release-agent-production',
    };
    await bed.stack.store.decisions.createIfAbsent({
      id: decisionIdFor(target),
      threadId: 'release.x.6.2.0',
      gate: 'approve_stage',
      target,
      nonce: 'n'.repeat(24),
      status: 'pending',
      createdAt: new Date().toISOString(),
      details: { gate: 'approve_stage', repo: REPO, version: '6.2.0', stage: 'release-agent-production' },
    });
    await poll();
    const ended = await bed.stack.store.decisions.get(decisionIdFor(target));
    assert.equal(ended?.status, 'expired');
    assert.match(ended?.reason ?? '', /removed in Azure DevOps/);
  });
});
