// The queue worker over Azurite's Queue service: side effects happen once whatever the deliveries
// (a crash mid-effect, redelivery), a push racing a completion voids it, and messages that keep
// failing end in the poison queue, visible in GET /api/status.
import assert from 'node:assert/strict';
import { QueueServiceClient } from '@azure/storage-queue';
import { createDecision } from '../../core/gates.ts';
import type { Decision } from '../../core/model.ts';
import { approvalInstructions } from '../../flows/approval-gates.ts';
import { GIT_EVENTS } from '../../sandbox/sim/azdo/hooks.ts';
import { prThreadId } from '../../flows/threads.ts';
import {
  askMerge,
  cardText,
  decidedWithLostEffect,
  openPullRequest,
  REPO,
  RELEASE_PIPELINE,
  startRelease,
  startTestbed,
  type Testbed,
  waitFor,
} from './testbed.ts';

describe('functions: queue worker', () => {
  let bed: Testbed;
  // Moves the app's clock (not the simulators'): a merge waiting for policies runs out of time.
  let clockOffsetMs = 0;
  before(async () => {
    bed = await startTestbed({
      webhookEvents: [...GIT_EVENTS],
      env: { MERGE_POLICY_RECHECK_SECONDS: '1' },
      now: () => new Date(Date.now() + clockOffsetMs),
    });
  });
  after(() => bed?.stop());

  const decide = (threadId: string, action: string) =>
    bed.api(`/approvals/${encodeURIComponent(threadId)}`, {
      method: 'POST',
      headers: { ...bed.operator, 'content-type': 'application/json' },
      body: JSON.stringify({ action }),
    });
  const settled = (id: string) =>
    waitFor(
      async () => {
        const decision = (await bed.stack.store.decisions.get(id)) as Decision;
        return decision.effect?.status === 'done' || decision.effect?.status === 'failed'
          ? decision
          : undefined;
      },
      `the effect of ${id}`,
      10_000,
    );
  const completions = () =>
    bed.stack.azdo.requestLog.filter(
      (entry) => entry.operation === 'Pull Requests_Update' && entry.method === 'PATCH',
    );
  const audit = async (subject: string, action: string) =>
    (await bed.stack.store.audit.list({ subject })).filter((entry) => entry.action === action).length;

  it('a Jira outage after the PR was completed: redelivered until the ticket moves, the PR completed once', async () => {
    const ticket = bed.stack.jira.state.createIssue({
      project: 'ALLPOST',
      summary: 'Export',
      status: 'Code Review',
    });
    const pr = openPullRequest(bed, `feature/${ticket.key}_export`);
    const decision = await askMerge(bed, pr, undefined, ticket.key);
    bed.stack.jira.addFault({ route: 'doTransition', kind: 'status', status: 500, times: 2 });
    const before = completions().length;
    assert.equal((await decide(decision.threadId, 'merge')).status, 200);
    const done = await settled(decision.id);
    assert.equal(done.effect?.status, 'done', done.effect?.detail);
    assert.match(done.effect?.detail ?? '', new RegExp(`${ticket.key} → Staging`));
    assert.equal(bed.stack.jira.state.issue(ticket.key)?.status, 'Staging');
    assert.equal(pr.status, 'completed');
    const attempts = completions().slice(before);
    assert.equal(attempts.length, 3, 'one completion per delivery');
    assert.deepEqual(
      attempts.map((entry) => entry.status < 300),
      [true, false, false],
      'only the first one merged',
    );
    // The audit lines are written after the effect is recorded: wait for the delivery to finish.
    await bed.host.idle();
    assert.equal(await audit(decision.id, 'effect.done'), 1);
  });

  it('a worker crash after the approval was answered: the redelivery finds it answered and records it once', async () => {
    const { run, threadId } = await startRelease(bed, '5.0.0');
    // No approval hooks in this bed: the poller's reconcile asks (the gate from the instructions marker).
    const approval = bed.stack.azdo.createPendingApproval({
      environment: 'release-agent-sandbox',
      runId: run.id,
      pipelineId: RELEASE_PIPELINE.id,
      instructions: approvalInstructions('release-agent-sandbox'),
    });
    await bed.host.runTimer('pr-poller');
    const decision = await waitFor(
      async () => (await bed.stack.store.decisions.findByThread(threadId))[0],
      'the decision',
    );
    let crashes = 0;
    bed.hooks.afterExternalEffect = () => {
      bed.hooks.afterExternalEffect = undefined;
      crashes++;
      throw new Error('worker crashed');
    };
    assert.equal((await decide(threadId, 'approve')).status, 200);
    const done = await settled(decision.id);
    assert.equal(crashes, 1);
    assert.equal(done.effect?.status, 'done', done.effect?.detail);
    assert.equal(bed.stack.azdo.approval(approval.id).status, 'approved');
    const updates = bed.stack.azdo.requestLog.filter((entry) => entry.operation === 'Approvals_Update');
    assert.equal(updates.filter((entry) => entry.status < 300).length, 1, 'answered once');
    await bed.host.idle();
    assert.equal(await audit(decision.id, 'effect.done'), 1);
    const thread = await bed.stack.store.threads.getOf('release', threadId);
    assert.equal(thread?.state.gates?.length, 1, 'the gate recorded once');
  });

  it('an approval whose decision names a thread of the other kind: answered, and that thread left as it is', async () => {
    const { run, threadId } = await startRelease(bed, '5.0.1');
    bed.stack.azdo.createPendingApproval({
      environment: 'release-agent-sandbox',
      runId: run.id,
      pipelineId: RELEASE_PIPELINE.id,
      instructions: approvalInstructions('release-agent-sandbox'),
    });
    await bed.host.runTimer('pr-poller');
    const decision = await waitFor(
      async () => (await bed.stack.store.decisions.findByThread(threadId))[0],
      'the decision',
    );
    // The id now holds a PR thread: a gate record is release state, and must not be written into it.
    const foreign = await bed.stack.store.threads.update(threadId, (current) => ({
      id: current.id,
      kind: 'pr',
      repo: current.repo,
      prId: 77,
      status: 'running',
      state: { title: 'not a release' },
      createdAt: current.createdAt,
      updatedAt: current.updatedAt,
    }));
    assert.equal((await decide(threadId, 'approve')).status, 200);
    const done = await settled(decision.id);
    assert.equal(done.effect?.status, 'done', done.effect?.detail);
    await bed.host.idle();
    assert.deepEqual(await bed.stack.store.threads.get(threadId), foreign);
  });

  const askApproval = async (
    version: string,
    options: Parameters<Testbed['stack']['azdo']['createPendingApproval']>[0],
  ) => {
    const { run, threadId } = await startRelease(bed, version);
    const approval = bed.stack.azdo.createPendingApproval({
      environment: 'sandbox',
      runId: run.id,
      pipelineId: RELEASE_PIPELINE.id,
      instructions: approvalInstructions('sandbox'),
      ...options,
    });
    await bed.host.runTimer('pr-poller');
    const decision = await waitFor(
      async () => (await bed.stack.store.decisions.findByThread(threadId))[0],
      'the decision',
    );
    return { run, threadId, approval, decision };
  };
  const card = (decision: Decision) =>
    cardText(bed.stack.slack.message(decision.slack!.channel, decision.slack!.ts));

  it('an approval only a group the app is not in may answer: the card says so and links to the run, /api/status reports it, an answer claims nothing', async () => {
    const releasers = bed.stack.azdo.addGroup('Releasers', [bed.stack.azdo.users.approver]);
    const { run, threadId, approval, decision } = await askApproval('5.1.0', { approvers: [releasers] });
    const text = card(decision);
    assert.match(text, /may not answer this approval in Azure DevOps/);
    assert.ok(
      text.includes(`buildId=${run.id}`),
      'the card links to the run, where the approval is answered',
    );
    const status = (await (await bed.api('/status', { headers: bed.operator })).json()) as {
      problems: string[];
    };
    assert.ok(
      status.problems.some((problem) => problem.includes('may not answer') && problem.includes(approval.id)),
      status.problems.join('\n'),
    );
    assert.equal((await decide(threadId, 'approve')).status, 200);
    const done = await settled(decision.id);
    assert.equal(done.effect?.status, 'failed', done.effect?.detail);
    assert.match(done.effect?.detail ?? '', /does not let the Release Agent's identity answer/);
    assert.equal(bed.stack.azdo.approval(approval.id).status, 'pending', 'the stage still waits');
    assert.ok(!card(done).includes('the stage runs'));
  });

  it('minRequiredApprovers 2: after our answer the card says "1 of 2 approvals", not that the stage runs', async () => {
    const { threadId, approval, decision } = await askApproval('5.2.0', {
      approvers: [bed.stack.azdo.users.agent, bed.stack.azdo.users.approver],
      minRequiredApprovers: 2,
    });
    assert.doesNotMatch(card(decision), /may not answer/);
    assert.equal((await decide(threadId, 'approve')).status, 200);
    const done = await settled(decision.id);
    assert.equal(done.effect?.status, 'done', done.effect?.detail);
    assert.equal(bed.stack.azdo.approval(approval.id).status, 'pending');
    await waitFor(() => card(done).includes('1 of 2 approvals'), 'the card to count the approvals');
    assert.ok(!card(done).includes('the stage runs:'));
  });

  it('the decision is audited when it is decided, before its effect ran', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-310_audit');
    const decision = await askMerge(bed, pr);
    // The effect stops after its outside call until the audit line was looked at.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    bed.hooks.afterExternalEffect = async () => {
      bed.hooks.afterExternalEffect = undefined;
      await held;
    };
    try {
      assert.equal((await decide(prThreadId(REPO, pr.id), 'merge')).status, 200);
      assert.equal(await audit(decision.id, 'decision.approved'), 1, 'audited at once');
      assert.equal(await audit(decision.id, 'effect.done'), 0, 'the effect has not been recorded yet');
    } finally {
      release();
    }
    await settled(decision.id);
    await bed.host.idle();
    assert.equal(await audit(decision.id, 'decision.approved'), 1, 'audited once, not again by the worker');
    assert.equal(await audit(decision.id, 'effect.done'), 1);
  });

  it('two deliveries of one effect at once: one runs it, the other finds it running; performed once', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-311_twice');
    const decision = await decidedWithLostEffect(bed, await askMerge(bed, pr), { ageMs: 0 });
    let performed = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    bed.hooks.afterExternalEffect = async () => {
      performed++;
      await held;
    };
    const queue = QueueServiceClient.fromConnectionString(bed.env.STORAGE_CONNECTION_STRING!).getQueueClient(
      bed.env.WORK_QUEUE_NAME!,
    );
    const effect = (id: string) =>
      Buffer.from(
        JSON.stringify({ v: 1, kind: 'effect', id, decisionId: decision.id, effect: 'complete_pr' }),
      ).toString('base64');
    try {
      await queue.sendMessage(effect(`${decision.id}-one`));
      await waitFor(() => performed === 1, 'the first delivery to run the effect');
      await queue.sendMessage(effect(`${decision.id}-two`));
      await waitFor(
        () => bed.logs.some((entry) => entry.message.includes('effect already running')),
        'the second delivery to find the effect running',
      );
    } finally {
      release();
      bed.hooks.afterExternalEffect = undefined;
    }
    const done = await settled(decision.id);
    await bed.host.idle();
    assert.equal(done.effect?.status, 'done', done.effect?.detail);
    assert.equal(performed, 1, 'performed once');
    assert.equal(pr.status, 'completed');
    assert.equal(await audit(decision.id, 'effect.done'), 1);
    assert.equal(done.proof, decision.proof, 'the proof is untouched');
  });

  const voidedBy = (commit: string) =>
    `a newer push (${commit.slice(0, 7)}) voided this approval: the new commit needs its own review`;
  const waiting = (id: string) =>
    waitFor(async () => {
      const decision = (await bed.stack.store.decisions.get(id)) as Decision;
      return decision.effect?.status === 'waiting' ? decision : undefined;
    }, `${id} to wait for its policies`);
  const rejectedByPolicy = () => completions().filter((entry) => entry.status === 403).length;

  it('a push that lands while the completion is in flight voids it: superseded, nothing merged, the card says why', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-300_race');
    const decision = await askMerge(bed, pr);
    bed.stack.azdo.addFault({ route: 'Pull Requests_Update', kind: 'delay', delayMs: 1200 });
    assert.equal((await decide(decision.threadId, 'merge')).status, 200);
    await waitFor(
      () => (bed.stack.azdo.server.delayed.get('Pull Requests_Update') ?? 0) > 0,
      'the completion in flight',
    );
    const pushed = bed.stack.azdo.pushCommit(REPO, 'feature/ALLPOST-300_race', { message: 'late fix' });
    const failed = await settled(decision.id);
    assert.equal(failed.status, 'superseded');
    assert.equal(failed.reason, voidedBy(pushed.commitId));
    assert.equal(failed.effect?.status, 'failed');
    assert.match(failed.effect?.detail ?? '', /nothing was merged/);
    assert.equal(pr.status, 'active');
    await waitFor(
      () =>
        cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)).includes(
          voidedBy(pushed.commitId),
        ),
      'the card to say why',
    );
    await bed.host.idle();
    assert.equal(await audit(decision.id, 'decision.voided'), 1);
  });

  it('Merge while required policies are pending: no auto-complete; the worker waits and completes at the reviewed commit once they pass', async () => {
    bed.stack.azdo.setBlockingPolicy(REPO, true);
    try {
      const pr = openPullRequest(bed, 'feature/ALLPOST-301_policy');
      const reviewed = pr.sourceCommit;
      const decision = await askMerge(bed, pr);
      const refusedBefore = rejectedByPolicy();
      assert.equal((await decide(decision.threadId, 'merge')).status, 200);
      const held = await waiting(decision.id);
      assert.equal(held.status, 'approved');
      assert.match(held.effect?.detail ?? '', new RegExp(`merged at ${reviewed.slice(0, 7)} once they pass`));
      await waitFor(
        () =>
          cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)).includes('Waiting'),
        'the card to say it waits',
      );
      // Checked again (a pinned PATCH, refused while the policy is pending), never auto-complete.
      await waitFor(() => rejectedByPolicy() >= refusedBefore + 2, 'a second check');
      assert.equal(pr.status, 'active', 'no completion while the policy is pending');
      assert.equal(pr.autoCompleteSetBy, undefined, 'auto-complete is never set');

      bed.stack.azdo.setPolicyStatus(REPO, pr.id, 'approved');
      const done = await settled(decision.id);
      assert.equal(done.effect?.status, 'done', done.effect?.detail);
      assert.match(done.effect?.detail ?? '', /PR completed/);
      assert.equal(pr.status, 'completed');
      assert.equal(pr.sourceCommit, reviewed, 'merged at the reviewed commit');
      assert.equal(pr.completionOptions?.triggeredByAutoComplete, undefined, 'completed by our PATCH');
      assert.equal(pr.autoCompleteSetBy, undefined);
    } finally {
      bed.stack.azdo.setBlockingPolicy(REPO, false);
    }
  });

  it('a push while the merge waits for policies voids it: the policy passing later merges nothing, the card says why', async () => {
    bed.stack.azdo.setBlockingPolicy(REPO, true);
    try {
      const pr = openPullRequest(bed, 'feature/ALLPOST-303_sneaky');
      const decision = await askMerge(bed, pr);
      assert.equal((await decide(decision.threadId, 'merge')).status, 200);
      await waiting(decision.id);
      const pushed = bed.stack.azdo.pushCommit(REPO, 'feature/ALLPOST-303_sneaky', { message: 'unreviewed' });
      // The policy passes for the new commit: exactly what auto-complete would have merged.
      bed.stack.azdo.setPolicyStatus(REPO, pr.id, 'approved');
      const voided = await settled(decision.id);
      assert.equal(voided.status, 'superseded');
      assert.equal(voided.reason, voidedBy(pushed.commitId));
      await waitFor(
        () =>
          cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)).includes(
            voidedBy(pushed.commitId),
          ),
        'the card to say why',
      );
      await bed.host.idle();
      assert.equal(pr.status, 'active', 'the unreviewed commit was not merged');
      assert.equal(pr.autoCompleteSetBy, undefined);
    } finally {
      bed.stack.azdo.setBlockingPolicy(REPO, false);
    }
  });

  it('a merge that waits longer than MERGE_POLICY_MAX_WAIT_SECONDS gives up: nothing merged, the card says so', async () => {
    bed.stack.azdo.setBlockingPolicy(REPO, true);
    try {
      const pr = openPullRequest(bed, 'feature/ALLPOST-304_slow');
      const decision = await askMerge(bed, pr);
      assert.equal((await decide(decision.threadId, 'merge')).status, 200);
      await waiting(decision.id);
      clockOffsetMs = (bed.config.MERGE_POLICY_MAX_WAIT_SECONDS + 1) * 1000;
      const failed = await settled(decision.id);
      assert.equal(failed.effect?.status, 'failed');
      assert.match(failed.effect?.detail ?? '', /did not pass within 4 h: nothing was merged/);
      await waitFor(
        () =>
          cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)).includes(
            'did not pass within 4 h',
          ),
        'the card to say so',
      );
      await bed.host.idle();
      assert.equal(pr.status, 'active');
      assert.equal(pr.autoCompleteSetBy, undefined);
    } finally {
      clockOffsetMs = 0;
      bed.stack.azdo.setBlockingPolicy(REPO, false);
    }
  });

  it('an effect that keeps failing is recorded as failed on its last attempt and shown on the card', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-302_down');
    const decision = await askMerge(bed, pr);
    bed.stack.azdo.addFault({ route: 'Pull Requests_Update', kind: 'status', status: 500, times: 5 });
    assert.equal((await decide(decision.threadId, 'merge')).status, 200);
    const failed = await settled(decision.id);
    assert.equal(failed.effect?.status, 'failed');
    assert.match(failed.effect?.detail ?? '', /gave up after 5 attempts/);
    await waitFor(
      () => cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)).includes('failed'),
      'the card to show the failure',
    );
    assert.equal(pr.status, 'active');
  });

  it('a message that cannot be handled goes to the poison queue after 5 attempts and shows in /api/status', async () => {
    const queue = QueueServiceClient.fromConnectionString(bed.env.STORAGE_CONNECTION_STRING!).getQueueClient(
      bed.env.WORK_QUEUE_NAME!,
    );
    const poisonedBefore = bed.host.poisoned;
    await queue.sendMessage(
      Buffer.from(JSON.stringify({ v: 1, kind: 'mystery', id: 'poison-1' })).toString('base64'),
    );
    await waitFor(() => bed.host.poisoned > poisonedBefore, 'the message to be poisoned');
    const failures = bed.logs.filter(
      (entry) => entry.functionName === 'work-queue' && entry.message.includes('poison-1'),
    );
    assert.equal(failures.length, 5, 'five attempts were logged');
    assert.ok(failures.some((entry) => entry.level === 'error' && entry.message.includes('poison queue')));
    const status = (await (await bed.api('/status', { headers: bed.operator })).json()) as {
      status: string;
      problems: string[];
      queue: { poisonDepth: number; poison: { kind?: string; id?: string }[] };
    };
    assert.equal(status.status, 'degraded');
    assert.equal(status.queue.poisonDepth, 1);
    assert.deepEqual(status.queue.poison, [{ kind: 'mystery', id: 'poison-1' }]);
    assert.ok(status.problems.some((problem) => problem.includes('poison')));
  });

  describe('decisions the function app did not record are never performed', () => {
    const queue = () =>
      QueueServiceClient.fromConnectionString(bed.env.STORAGE_CONNECTION_STRING!).getQueueClient(
        bed.env.WORK_QUEUE_NAME!,
      );
    const send = async (message: unknown) =>
      queue().sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
    /** Writes the decision as decided straight into the store, as a task or a hand edit could. */
    const forge = (id: string, proof?: string) =>
      bed.stack.store.decisions.update(id, (current) => {
        const { proof: _proof, ...rest } = current;
        return {
          ...rest,
          status: 'approved',
          decidedAt: new Date().toISOString(),
          decidedBy: 'U0RELMGR',
          decidedVia: 'slack',
          ...(proof ? { proof } : {}),
          effect: { status: 'queued', at: new Date().toISOString() },
        };
      });

    it('gate 1 "approved" in the store without a proof: the PR is not completed, the refusal is audited', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-310_forged');
      const decision = await askMerge(bed, pr);
      await forge(decision.id);
      const before = completions().length;
      await send({ v: 1, id: 'forged-1', kind: 'effect', decisionId: decision.id, effect: 'complete_pr' });
      await waitFor(
        async () => (await audit(decision.id, 'effect-refused')) === 1,
        'the refusal in the audit log',
      );
      const entry = (await bed.stack.store.audit.list({ subject: decision.id })).find(
        (line) => line.action === 'effect-refused',
      );
      assert.equal(entry?.detail?.reason, 'proof missing');
      assert.equal(pr.status, 'active');
      assert.equal(completions().length, before, 'no completion was attempted');
      const stored = (await bed.stack.store.decisions.get(decision.id)) as Decision;
      assert.equal(stored.effect?.status, 'queued', 'left as it is');
      assert.ok(bed.logs.some((line) => line.level === 'error' && line.message.includes('effect refused')));
    });

    it('gate 5 "approved" with a wrong proof: the approval stays pending in Azure DevOps', async () => {
      const { run, threadId } = await startRelease(bed, '8.1.0');
      const approval = bed.stack.azdo.createPendingApproval({
        environment: 'release-agent-production',
        runId: run.id,
        pipelineId: RELEASE_PIPELINE.id,
      });
      // The production question as the approval-pending hook asks it.
      const { stored: decision } = await bed.stack.store.decisions.createIfAbsent(
        createDecision({
          id: 'worker-forged-production',
          threadId,
          target: {
            gate: 'approve_stage',
            repo: REPO,
            version: '8.1.0',
            approvalId: approval.id,
            stage: 'release-agent-production',
          },
          nonce: 'nonce-worker-forged-production',
          now: new Date(),
        }),
      );
      await forge(decision.id, 'rad1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      await send({
        v: 1,
        id: 'forged-2',
        kind: 'effect',
        decisionId: decision.id,
        effect: 'decide_approval',
      });
      await waitFor(
        async () => (await audit(decision.id, 'effect-refused')) === 1,
        'the refusal in the audit log',
      );
      assert.equal(bed.stack.azdo.approval(approval.id).status, 'pending');
    });

    it('a decision recorded through the API carries a proof, and changing what it decides voids it', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-311_tampered');
      const decision = await askMerge(bed, pr);
      // Hold the worker's effect back: decide, then tamper before the message is handled.
      const answered = await decide(decision.threadId, 'merge');
      assert.equal(answered.status, 200);
      const done = await settled(decision.id);
      assert.match(done.proof ?? '', /^rad1\./);
      assert.equal(done.effect?.status, 'done');
      const other = openPullRequest(bed, 'feature/ALLPOST-312_victim');
      const victim = await askMerge(bed, other);
      // The proof of the first decision, copied onto another PR's decision: refused.
      await bed.stack.store.decisions.update(victim.id, (current) => ({
        ...current,
        status: 'approved',
        decidedAt: done.decidedAt!,
        decidedBy: done.decidedBy!,
        decidedVia: done.decidedVia!,
        proof: done.proof!,
        effect: { status: 'queued', at: new Date().toISOString() },
      }));
      await send({ v: 1, id: 'forged-3', kind: 'effect', decisionId: victim.id, effect: 'complete_pr' });
      await waitFor(
        async () => (await audit(victim.id, 'effect-refused')) === 1,
        'the refusal in the audit log',
      );
      assert.equal(other.status, 'active');
    });
  });
});
