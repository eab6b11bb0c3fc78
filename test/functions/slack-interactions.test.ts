// POST /api/slack/interactions over real HTTP on the local host: signed clicks sent by the Slack
// simulator exactly as Slack sends them end in the right effect in the Azure DevOps, Jira and Slack
// simulators; forged, stale and duplicate deliveries change nothing.
import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import { encodeKeyPart } from '../../adapters/store/keys.ts';
import { GATE_ACTIONS } from '../../core/gates.ts';
import { signSlackRequest } from '../../core/slack-signature.ts';
import type { Decision, GateKind } from '../../core/model.ts';
import { APPROVAL_EVENTS } from '../../sandbox/sim/azdo/hooks.ts';
import { cardPress } from '../support/slack-press.ts';
import {
  askMerge,
  cardText,
  decidedWithLostEffect,
  openPullRequest,
  REPO,
  RELEASE_PIPELINE,
  signedSlackRequest,
  startRelease,
  startTestbed,
  type Testbed,
  waitFor,
} from './testbed.ts';

const MERGER = 'U0RELMGR';

describe('functions: Slack interactions', () => {
  let bed: Testbed;
  const clock = { offsetMs: 0 };
  before(async () => {
    bed = await startTestbed({
      // Gate 1: the merger and QA; the release gates: the sandbox user and the release manager.
      env: { GATE_ALLOWED_USERS: `merge_pr=${MERGER}|U0QA;*=U0SANDBOX|U0RELMGR` },
      webhookEvents: [...APPROVAL_EVENTS],
      // The app's clock: a test moves it past an expiry instead of sleeping.
      now: () => new Date(Date.now() + clock.offsetMs),
    });
  });
  after(() => bed?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  const decisionOf = (id: string) => bed.stack.store.decisions.get(id) as Promise<Decision>;
  const effectDone = (id: string) =>
    waitFor(async () => {
      const decision = await decisionOf(id);
      return decision.effect && !['queued', 'running'].includes(decision.effect.status)
        ? decision
        : undefined;
    }, `the effect of ${id}`);
  const card = (decision: { slack?: { channel: string; ts: string } }) =>
    cardText(bed.stack.slack.message(decision.slack!.channel, decision.slack!.ts));
  const ticketFor = (summary: string, status = 'Code Review') =>
    bed.stack.jira.state.createIssue({ project: 'ALLPOST', summary, status });
  const prUpdates = () =>
    bed.stack.azdo.requestLog.filter((entry) => entry.operation === 'Pull Requests_Update').length;

  it('gate 1 [Merge]: answers 200 well inside 3 s, completes the PR at the reviewed commit, moves the ticket and updates the card', async () => {
    // In Progress: no direct transition to Staging, the workflow is walked (via Code Review).
    const ticket = ticketFor('Login page', 'In Progress');
    const pr = openPullRequest(bed, `feature/${ticket.key}_login`);
    // The ticket the ticket step linked to the PR: the one a merge moves.
    const decision = await askMerge(bed, pr, undefined, ticket.key);
    const delivery = await bed.stack.slack.click({
      ...decision.slack,
      actionId: GATE_ACTIONS.merge_pr.approve.actionId,
      userId: MERGER,
    });
    assert.equal(delivery.status, 200, delivery.error);
    assert.ok(delivery.durationMs < 3000, `answered in ${delivery.durationMs} ms`);
    const done = await effectDone(decision.id);
    assert.equal(done.status, 'approved');
    assert.equal(done.decidedBy, MERGER);
    assert.equal(done.effect?.status, 'done', done.effect?.detail);
    assert.equal(pr.status, 'completed');
    assert.equal(
      pr.iterations.at(-1)?.sourceCommit,
      decision.target.gate === 'merge_pr' ? decision.target.sourceCommit : '',
    );
    assert.equal(bed.stack.jira.state.issue(ticket.key)?.status, 'Staging');
    await waitFor(() => card(decision).includes('Merged by'), 'the card to show the merge');
    const text = card(decision);
    assert.match(text, new RegExp(`${ticket.key} → Staging`));
    assert.doesNotMatch(text, /"type":"actions"/, 'the buttons are gone');
    assert.equal((await bed.stack.store.threads.get(done.threadId))?.status, 'done');
  });

  it('gate 1 [Cancel]: leaves the PR open, comments on the ticket and says so on the card', async () => {
    const ticket = ticketFor('Search');
    const pr = openPullRequest(bed, `feature/${ticket.key}_search`);
    const decision = await askMerge(bed, pr, undefined, ticket.key);
    const delivery = await bed.stack.slack.click({
      ...decision.slack,
      actionId: GATE_ACTIONS.merge_pr.reject.actionId,
      userId: 'U0QA',
    });
    assert.equal(delivery.status, 200);
    const done = await effectDone(decision.id);
    assert.equal(done.status, 'rejected');
    assert.equal(done.effect?.status, 'done');
    assert.equal(pr.status, 'active');
    assert.equal(bed.stack.jira.state.issue(ticket.key)?.comments.length, 1);
    await waitFor(() => card(decision).includes('Cancelled by'), 'the card to show the cancel');
  });

  const approvalGates: [GateKind, string, 'approve' | 'reject', 'approved' | 'rejected'][] = [
    ['create_release_pr', 'release-create-pr', 'approve', 'approved'],
    ['merge_release_pr', 'release-merge-pr', 'approve', 'approved'],
    ['run_pipelines', 'release-run-pipelines', 'approve', 'approved'],
    ['approve_stage', 'sandbox', 'approve', 'approved'],
    ['approve_stage', 'production', 'reject', 'rejected'],
  ];
  approvalGates.forEach(([gate, environment, button, expected], index) => {
    it(`gate ${GATE_ACTIONS[gate].number} (${environment}) [${GATE_ACTIONS[gate][button].label}]: the approval-pending hook posts the card, the click answers the approval`, async () => {
      const version = `2.${index}.0`;
      const { run, threadId } = await startRelease(bed, version, [
        { key: 'ALLPOST-900', summary: 'Payments export' },
      ]);
      const approval = bed.stack.azdo.createPendingApproval({
        environment,
        runId: run.id,
        pipelineId: RELEASE_PIPELINE.id,
      });
      const decision = await waitFor(async () => {
        const found = (await bed.stack.store.decisions.findByThread(threadId)).find(
          (candidate) => candidate.gate === gate && candidate.slack,
        );
        return found;
      }, `the ${gate} card`);
      assert.equal('approvalId' in decision.target && decision.target.approvalId, approval.id);
      assert.match(card(decision), new RegExp(version.replace(/\./g, '\\.')));
      if (gate === 'create_release_pr') assert.match(card(decision), /ALLPOST-900/);
      const delivery = await bed.stack.slack.click({
        ...decision.slack!,
        actionId: GATE_ACTIONS[gate][button].actionId,
        userId: 'U0SANDBOX',
      });
      assert.equal(delivery.status, 200, delivery.error);
      const done = await effectDone(decision.id);
      assert.equal(done.effect?.status, 'done', done.effect?.detail);
      assert.equal(bed.stack.azdo.approval(approval.id).status, expected);
      assert.match(bed.stack.azdo.approval(approval.id).comment ?? '', /Release Agent/);
      await waitFor(() => card(decision).includes('Result:'), 'the card to show the result');
      const thread = await bed.stack.store.threads.getOf('release', threadId);
      assert.deepEqual(
        (thread?.state.gates ?? []).map((record) => [record.gate, record.outcome]),
        [[gate, expected]],
      );
    });
  });

  it('20 duplicate deliveries of one click complete the PR once', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-77_dupes');
    const decision = await askMerge(bed, pr);
    const button = (bed.stack.slack.message(decision.slack.channel, decision.slack.ts)?.blocks ?? [])
      .flatMap((block) => (block as { elements?: { action_id?: string; value?: string }[] }).elements ?? [])
      .find((element) => element.action_id === GATE_ACTIONS.merge_pr.approve.actionId)!;
    const before = prUpdates();
    const request = signedSlackRequest(
      bed.stack.secrets.slackSigningSecret,
      cardPress(decision.slack, button.action_id!, button.value!, MERGER, bed.stack.slack.url),
    );
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        bed.api('/slack/interactions', { method: 'POST', headers: request.headers, body: request.body }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(20).fill(200),
    );
    const done = await effectDone(decision.id);
    assert.equal(done.effect?.status, 'done');
    await bed.host.idle();
    assert.equal(prUpdates() - before, 1, 'one completion request');
    const audit = await bed.stack.store.audit.list({ subject: decision.id });
    assert.equal(audit.filter((entry) => entry.action === 'decision.approved').length, 1);
    assert.equal(audit.filter((entry) => entry.action === 'effect.done').length, 1);
  });

  it('a second click on a decided card changes nothing and the card says so', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-78_twice');
    const decision = await askMerge(bed, pr);
    await bed.stack.slack.click({
      ...decision.slack,
      actionId: GATE_ACTIONS.merge_pr.approve.actionId,
      userId: MERGER,
    });
    await effectDone(decision.id);
    await waitFor(() => card(decision).includes('Result:'), 'the result on the card');
    // The buttons are gone from the card; the old message (as another client still shows it) is clicked.
    const stale = signedSlackRequest(
      bed.stack.secrets.slackSigningSecret,
      cardPress(
        decision.slack,
        GATE_ACTIONS.merge_pr.reject.actionId,
        `ra1|r|${decision.id}|${decision.nonce}`,
        'U0QA',
        bed.stack.slack.url,
      ),
    );
    const answer = await bed.api('/slack/interactions', {
      method: 'POST',
      headers: stale.headers,
      body: stale.body,
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { ok: true, accepted: true });
    // The worker finds the decision decided (DECISION_NOT_PENDING) and says so on the card.
    await waitFor(() => card(decision).includes('your click changed nothing'), 'the repeated-click notice');
    assert.equal((await decisionOf(decision.id)).status, 'approved');
  });

  it('a click after a new push is refused, and the card says a new commit was pushed', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-79_push');
    const decision = await askMerge(bed, pr);
    const pushed = bed.stack.azdo.pushCommit(REPO, 'feature/ALLPOST-79_push', { message: 'one more thing' });
    const before = prUpdates();
    const delivery = await bed.stack.slack.click({
      ...decision.slack,
      actionId: GATE_ACTIONS.merge_pr.approve.actionId,
      userId: MERGER,
    });
    // Acknowledged from storage alone; the worker reads the PR, finds the push and refuses.
    assert.equal(delivery.status, 200);
    assert.deepEqual(JSON.parse(delivery.responseBody), { ok: true, accepted: true });
    const superseded = await waitFor(async () => {
      const stored = await decisionOf(decision.id);
      return stored.status === 'superseded' && stored;
    }, 'the worker to supersede the decision');
    assert.match(
      superseded.reason ?? '',
      new RegExp(`a new commit ${pushed.commitId.slice(0, 7)} was pushed`),
    );
    await waitFor(
      () => card(decision).includes(`a new commit ${pushed.commitId.slice(0, 7)} was pushed`),
      'the card to say why',
    );
    await bed.host.idle();
    assert.equal(prUpdates(), before, 'no completion was attempted');
    assert.equal(pr.status, 'active');
  });

  it('a user outside GATE_ALLOWED_USERS changes nothing and is told so', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-80_allowed');
    const decision = await askMerge(bed, pr);
    const delivery = await bed.stack.slack.click({
      ...decision.slack,
      actionId: GATE_ACTIONS.merge_pr.approve.actionId,
      userId: 'U0SANDBOX',
    });
    assert.equal(delivery.status, 200);
    assert.match(delivery.responseBody, /FORBIDDEN/);
    await waitFor(
      () =>
        bed.stack.slack
          .messages(decision.slack.channel)
          .find((message) => message.ephemeral && message.text.includes('may not answer gate 1')),
      'an ephemeral reply to the clicker',
    );
    assert.equal((await decisionOf(decision.id)).status, 'pending');
    assert.equal(pr.status, 'active');
  });

  it('an expired decision is not approved and its card says expired', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-81_late');
    const decision = await askMerge(bed, pr, 1);
    clock.offsetMs = 2_000; // the app's clock passes the 1 s expiry
    const delivery = await bed.stack.slack.click({
      ...decision.slack,
      actionId: GATE_ACTIONS.merge_pr.approve.actionId,
      userId: MERGER,
    });
    assert.equal(delivery.status, 200);
    await waitFor(async () => (await decisionOf(decision.id)).status === 'expired', 'the decision to expire');
    await waitFor(() => card(decision).includes('Expired'), 'the card to say expired');
    assert.equal(pr.status, 'active');
  });

  describe('clicks from elsewhere or on another card: 200 to Slack, a note to the clicker, nothing changes', () => {
    let decision: Awaited<ReturnType<typeof askMerge>>;
    let pr: ReturnType<typeof openPullRequest>;
    before(async () => {
      pr = openPullRequest(bed, 'feature/ALLPOST-83_elsewhere');
      decision = await askMerge(bed, pr);
    });
    afterEach(async () => {
      assert.equal((await decisionOf(decision.id)).status, 'pending', 'the decision stays pending');
      assert.equal(pr.status, 'active', 'the PR is not merged');
    });
    const approve = (change: (p: ReturnType<typeof cardPress>) => void = () => {}) => {
      const body = cardPress(
        decision.slack,
        GATE_ACTIONS.merge_pr.approve.actionId,
        `ra1|a|${decision.id}|${decision.nonce}`,
        MERGER,
        bed.stack.slack.url,
      );
      // A response_url as Slack mints one for the card, so the worker's note reaches the clicker.
      body.response_url = bed.stack.slack.responseUrl(decision.slack.channel, decision.slack.ts);
      change(body);
      return body;
    };
    const send = async (body: unknown) => {
      const signed = signedSlackRequest(bed.stack.secrets.slackSigningSecret, body);
      const response = await bed.api('/slack/interactions', {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      });
      assert.equal(response.status, 200, 'Slack is always answered 200');
      return (await response.json()) as { refused?: string; accepted?: boolean };
    };
    /** The worker's refusal of the click: logged with its code, and a note only the clicker sees. */
    const refusedBy = async (code: string, text: string) => {
      await waitFor(
        () =>
          bed.logs.some(
            (entry) =>
              entry.message.includes('Slack click refused') &&
              entry.message.includes(`"decisionId":"${decision.id}"`) &&
              entry.message.includes(`"code":"${code}"`),
          ),
        `the worker to refuse the click (${code})`,
      );
      await waitFor(
        () =>
          bed.stack.slack
            .messages(decision.slack.channel)
            .find((message) => message.ephemeral && message.text.includes(text)),
        `a note to the clicker saying "${text}"`,
      );
    };

    it('another workspace (team.id) is refused', async () => {
      const answer = await send(
        approve((body) => {
          body.team = { id: 'T0OTHER', domain: 'other' };
        }),
      );
      assert.equal(answer.refused, 'FORBIDDEN');
    });
    it('another Slack app (api_app_id) is refused', async () => {
      const answer = await send(
        approve((body) => {
          body.api_app_id = 'A0SOMEONEELSE';
        }),
      );
      assert.equal(answer.refused, 'FORBIDDEN');
    });
    it('another channel is refused', async () => {
      const answer = await send(
        approve((body) => {
          body.channel = { id: 'C0ELSEWHERE', name: 'random' };
          body.container.channel_id = 'C0ELSEWHERE';
        }),
      );
      assert.equal(answer.refused, 'FORBIDDEN');
    });
    it("another message (not the decision's own card) is refused", async () => {
      const other = await askMerge(bed, openPullRequest(bed, 'feature/ALLPOST-84_other_card'));
      const answer = await send(
        approve((body) => {
          body.container.message_ts = other.slack.ts;
          body.message.ts = other.slack.ts;
        }),
      );
      // Accepted from the signature alone; the worker finds it is not the decision's card.
      assert.equal(answer.accepted, true);
      await refusedBy(
        'DECISION_TARGET_MISMATCH',
        `this button is not on the card of decision ${decision.id}`,
      );
      await bed.host.idle();
      assert.equal((await decisionOf(other.id)).status, 'pending');
    });
    it("a button of another gate cannot answer this decision's gate", async () => {
      const answer = await send(
        approve((body) => {
          body.actions[0]!.action_id = GATE_ACTIONS.approve_stage.approve.actionId;
        }),
      );
      assert.equal(answer.accepted, true);
      await refusedBy('DECISION_TARGET_MISMATCH', 'a gate 5 button cannot answer gate 1 (merge_pr)');
      await bed.host.idle();
    });
  });

  it('the acknowledgement waits on storage alone: with Azure DevOps and Slack’s API down the click is taken, and decided once they are back', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-86_outage');
    const decision = await askMerge(bed, pr);
    const before = bed.stack.azdo.requestLog.length;
    bed.stack.azdo.addFault({ kind: 'status', status: 503, times: 1_000_000 });
    bed.stack.slack.server.addFault({ route: 'users.info', kind: 'status', status: 503, times: 1_000_000 });
    let delivery: Awaited<ReturnType<typeof bed.stack.slack.click>>;
    try {
      delivery = await bed.stack.slack.click({
        ...decision.slack,
        actionId: GATE_ACTIONS.merge_pr.approve.actionId,
        userId: MERGER,
      });
    } finally {
      bed.stack.azdo.clearFaults();
      bed.stack.slack.server.clearFaults();
    }
    // Checked in the ack, an unreadable PR would have refused the click (the author check is closed).
    assert.equal(delivery.status, 200);
    assert.deepEqual(JSON.parse(delivery.responseBody), { ok: true, accepted: true });
    await waitFor(() => pr.status === 'completed', 'the merge once Azure DevOps answers again');
    const decided = await decisionOf(decision.id);
    assert.equal(decided.status, 'approved');
    assert.equal(decided.decidedBy, MERGER);
    assert.equal(decided.answer?.by, MERGER, 'the answer stays as the record of the click');
    assert.ok(
      bed.stack.azdo.requestLog
        .slice(before)
        .some(
          (entry) =>
            /^Pull Requests_Get Pull Request( By Id)?$/.test(entry.operation ?? '') && entry.status === 200,
        ),
      'the worker read the PR before merging',
    );
  });

  describe('separation of duties', () => {
    it('the Slack user whose e-mail is the PR author’s cannot merge it; someone else can', async () => {
      const { azdo } = bed.stack;
      azdo.pushCommit(REPO, 'feature/ALLPOST-85_own', { message: 'mine' });
      // U0QA's Slack profile e-mail is qa.tester@acme.example (users.info); the PR's creator has it too.
      const pr = azdo.createPullRequestAsUser({
        repository: REPO,
        sourceRefName: 'refs/heads/feature/ALLPOST-85_own',
        targetRefName: 'refs/heads/develop',
        title: 'My own change',
        createdBy: {
          id: 'c0ffee00-0000-4000-8000-0000000000qa',
          displayName: 'QA',
          uniqueName: 'QA.Tester@acme.example',
        },
      });
      const decision = await askMerge(bed, pr);
      const own = await bed.stack.slack.click({
        ...decision.slack,
        actionId: GATE_ACTIONS.merge_pr.approve.actionId,
        userId: 'U0QA',
      });
      assert.equal(own.status, 200);
      // Taken at the door; the worker's check (Slack e-mail vs the PR author's) refuses it.
      assert.deepEqual(JSON.parse(own.responseBody), { ok: true, accepted: true });
      await waitFor(
        () =>
          bed.stack.slack
            .messages(decision.slack.channel)
            .find(
              (message) =>
                message.ephemeral && message.text.includes('you opened this PR: someone else must merge it'),
            ),
        'the reason, to the clicker',
      );
      const refusedAnswer = await decisionOf(decision.id);
      assert.equal(refusedAnswer.status, 'pending');
      assert.equal(refusedAnswer.answer, undefined, 'the refused answer is withdrawn');
      assert.equal(pr.status, 'active');
      const audited = await bed.stack.store.audit.list({ subject: decision.id, action: 'answer-refused' });
      assert.deepEqual(
        audited.map((entry) => [entry.actor, entry.detail?.code]),
        [['slack:U0QA', 'FORBIDDEN']],
      );
      const other = await bed.stack.slack.click({
        ...decision.slack,
        actionId: GATE_ACTIONS.merge_pr.approve.actionId,
        userId: MERGER,
      });
      assert.equal(other.status, 200);
      await waitFor(() => pr.status === 'completed', 'the merge by someone else');
      assert.equal((await decisionOf(decision.id)).decidedByEmail, 'release.manager@acme.example');
    });

    it('whoever created the release (gate 2) cannot approve its production stage; the sandbox stage they can', async () => {
      const version = '3.9.0';
      const { run, threadId } = await startRelease(bed, version);
      const cardOf = async (gate: GateKind, environment: string) => {
        const approval = bed.stack.azdo.createPendingApproval({
          environment,
          runId: run.id,
          pipelineId: RELEASE_PIPELINE.id,
        });
        const decision = await waitFor(
          async () =>
            (await bed.stack.store.decisions.findByThread(threadId)).find(
              (candidate) =>
                candidate.gate === gate &&
                candidate.slack &&
                'approvalId' in candidate.target &&
                candidate.target.approvalId === approval.id,
            ),
          `the ${environment} card`,
        );
        return { approval, decision };
      };
      const created = await cardOf('create_release_pr', 'release-create-pr');
      await bed.stack.slack.click({
        ...created.decision.slack!,
        actionId: GATE_ACTIONS.create_release_pr.approve.actionId,
        userId: 'U0SANDBOX',
      });
      await effectDone(created.decision.id);
      const production = await cardOf('approve_stage', 'release-agent-production');
      const own = await bed.stack.slack.click({
        ...production.decision.slack!,
        actionId: GATE_ACTIONS.approve_stage.approve.actionId,
        userId: 'U0SANDBOX',
      });
      assert.deepEqual(JSON.parse(own.responseBody), { ok: true, accepted: true });
      await waitFor(
        () =>
          bed.stack.slack
            .messages(production.decision.slack!.channel)
            .find(
              (message) =>
                message.ephemeral &&
                message.text.includes('you created this release: someone else must approve production'),
            ),
        'the reason, to the clicker',
      );
      assert.equal((await decisionOf(production.decision.id)).status, 'pending');
      assert.equal(bed.stack.azdo.approval(production.approval.id).status, 'pending');
      const other = await bed.stack.slack.click({
        ...production.decision.slack!,
        actionId: GATE_ACTIONS.approve_stage.approve.actionId,
        userId: 'U0RELMGR',
      });
      assert.equal(other.status, 200);
      await effectDone(production.decision.id);
      assert.equal(bed.stack.azdo.approval(production.approval.id).status, 'approved');
    });
  });

  describe('verified interactions it does not act on: 200, a note where Slack allows one, nothing changes', () => {
    let decision: Awaited<ReturnType<typeof askMerge>>;
    let pr: ReturnType<typeof openPullRequest>;
    before(async () => {
      pr = openPullRequest(bed, 'feature/ALLPOST-86_ignored');
      decision = await askMerge(bed, pr);
    });
    afterEach(async () => {
      await bed.host.idle();
      assert.equal((await decisionOf(decision.id)).status, 'pending', 'the decision stays pending');
      assert.equal(pr.status, 'active', 'the PR is not merged');
    });
    const notes = () =>
      bed.stack.slack
        .messages(decision.slack.channel)
        .filter((message) => message.source === 'response_url' && message.text.includes('did nothing'));
    const send = async (body: unknown) => {
      const signed = signedSlackRequest(bed.stack.secrets.slackSigningSecret, body);
      const response = await bed.api('/slack/interactions', {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      });
      assert.equal(response.status, 200, 'Slack is always answered 200 for a verified request');
      return await response.text();
    };
    const onCard = () => ({
      ...cardPress(
        decision.slack,
        GATE_ACTIONS.merge_pr.approve.actionId,
        `ra1|a|${decision.id}|${decision.nonce}`,
        MERGER,
        bed.stack.slack.url,
      ),
      response_url: bed.stack.slack.responseUrl(decision.slack.channel, decision.slack.ts),
    });
    const noteArrives = async (before: number) => {
      await waitFor(() => notes().length > before, 'the note to the clicker');
      assert.ok(notes().at(-1)?.ephemeral, 'only the clicker sees it');
    };

    it('an unknown action on the card: ignored, the clicker is told', async () => {
      const before = notes().length;
      const body = onCard();
      body.actions[0]!.action_id = 'someone_elses_button';
      assert.equal(JSON.parse(await send(body)).ignored, 'block_actions');
      await noteArrives(before);
    });
    it('a button value it did not make: ignored, the clicker is told', async () => {
      const before = notes().length;
      const body = onCard();
      body.actions[0]!.value = `ra1|r|${decision.id}|${decision.nonce}`;
      assert.equal(JSON.parse(await send(body)).ignored, 'block_actions');
      await noteArrives(before);
    });
    it('a block action without a message (in a modal): ignored, no response_url to tell anyone', async () => {
      const before = notes().length;
      const { message: _message, channel: _channel, response_url: _url, ...body } = onCard();
      body.container = { type: 'view', view_id: 'V0001' } as unknown as typeof body.container;
      assert.equal(JSON.parse(await send(body)).ignored, 'block_actions');
      await bed.host.idle();
      assert.equal(notes().length, before);
    });
    it('a view submission: an empty 200 (closes the modal)', async () => {
      const text = await send({
        type: 'view_submission',
        team: { id: 'T0SANDBOX' },
        user: { id: MERGER },
        api_app_id: 'A0RELEASEAGENT',
        view: { id: 'V0002', type: 'modal', state: { values: {} } },
      });
      assert.equal(text, '');
    });
    it('a global shortcut: ignored', async () => {
      const answer = JSON.parse(
        await send({
          type: 'shortcut',
          callback_id: 'release',
          trigger_id: 't',
          team: { id: 'T0SANDBOX' },
          user: { id: MERGER },
        }),
      );
      assert.equal(answer.ignored, 'shortcut');
    });
    it('a message shortcut on the card: ignored, the clicker is told', async () => {
      const before = notes().length;
      const answer = JSON.parse(
        await send({
          type: 'message_action',
          callback_id: 'release',
          trigger_id: 't',
          team: { id: 'T0SANDBOX' },
          user: { id: MERGER },
          channel: { id: decision.slack.channel },
          message: { ts: decision.slack.ts, text: 'card' },
          response_url: bed.stack.slack.responseUrl(decision.slack.channel, decision.slack.ts),
        }),
      );
      assert.equal(answer.ignored, 'message_action');
      await noteArrives(before);
    });
    it('a payload it cannot read (malformed block_actions, or not JSON): ignored', async () => {
      assert.equal(JSON.parse(await send({ type: 'block_actions', user: {} })).ignored, 'block_actions');
      const body = 'payload=not-json';
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await bed.api('/slack/interactions', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signSlackRequest(bed.stack.secrets.slackSigningSecret, timestamp, body),
        },
        body,
      });
      assert.equal(response.status, 200);
    });
  });

  describe('deciding that fails, and effects that never ran', () => {
    const table = () =>
      TableClient.fromConnectionString(
        bed.stack.storageConnectionString,
        `${bed.stack.tablePrefix}Decisions`,
        {
          allowInsecureConnection: true,
        },
      );

    it('a click whose answer cannot be taken (storage failing) is not taken as done: its retry counts', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-87_retry');
      const decision = await askMerge(bed, pr);
      const request = signedSlackRequest(
        bed.stack.secrets.slackSigningSecret,
        cardPress(
          decision.slack,
          GATE_ACTIONS.merge_pr.approve.actionId,
          `ra1|a|${decision.id}|${decision.nonce}`,
          MERGER,
          bed.stack.slack.url,
        ),
      );
      const send = () =>
        bed.api('/slack/interactions', { method: 'POST', headers: request.headers, body: request.body });
      // The decision's row cannot be read for a while (as with storage failing mid-click).
      const key = { partitionKey: encodeKeyPart(decision.id), rowKey: 'decision' };
      const row = await table().getEntity<{ data0: string }>(key.partitionKey, key.rowKey);
      await table().updateEntity({ ...key, data0: '{"unreadable' }, 'Merge');
      const poisonedBefore = bed.host.poisoned;
      const failed = await send();
      assert.equal(failed.status, 200, 'Slack still gets its 200');
      // The worker cannot take the answer: its message is retried, then set aside; nothing is recorded.
      await waitFor(
        () => bed.host.poisoned > poisonedBefore,
        'the click message to be set aside after its retries',
      );
      await table().updateEntity({ ...key, data0: row.data0 }, 'Merge');
      const stored = await decisionOf(decision.id);
      assert.equal(stored.status, 'pending');
      assert.equal(stored.answer, undefined, 'no answer was recorded');
      // The same delivery again (Slack's retry, or the clicker's): not a duplicate, it decides.
      const retried = await send();
      assert.deepEqual(await retried.json(), { ok: true, accepted: true });
      const done = await effectDone(decision.id);
      assert.equal(done.status, 'approved');
      assert.equal(pr.status, 'completed');
    });

    it('a click on a decided decision whose effect never ran queues it again', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-88_never_ran');
      const decision = await decidedWithLostEffect(bed, await askMerge(bed, pr), {
        by: MERGER,
        ageMs: 60_000,
      });
      const before = prUpdates();
      const delivery = await bed.stack.slack.click({
        ...decision.slack!,
        actionId: GATE_ACTIONS.merge_pr.approve.actionId,
        userId: 'U0QA',
      });
      assert.equal(delivery.status, 200);
      const done = await effectDone(decision.id);
      assert.equal(done.effect?.status, 'done', done.effect?.detail);
      assert.equal(done.decidedBy, MERGER, 'still decided by whoever decided it');
      assert.equal(done.proof, decision.proof);
      assert.equal(pr.status, 'completed');
      await bed.host.idle();
      assert.equal(prUpdates() - before, 1);
    });
  });

  describe('refused requests', () => {
    let decision: Awaited<ReturnType<typeof askMerge>>;
    let body: ReturnType<typeof signedSlackRequest>;
    before(async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-82_forged');
      decision = await askMerge(bed, pr);
      body = signedSlackRequest(
        bed.stack.secrets.slackSigningSecret,
        cardPress(
          decision.slack,
          GATE_ACTIONS.merge_pr.approve.actionId,
          `ra1|a|${decision.id}|${decision.nonce}`,
          MERGER,
          bed.stack.slack.url,
        ),
      );
    });
    afterEach(async () => {
      assert.equal((await decisionOf(decision.id)).status, 'pending', 'a refused request changed nothing');
    });
    const post = (headers: Record<string, string>, text: string) =>
      bed.api('/slack/interactions', { method: 'POST', headers, body: text });
    const expectError = async (response: Response, status: number, code: string) => {
      assert.equal(response.status, status);
      const json = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(json.error.code, code);
      assert.doesNotMatch(JSON.stringify(json), /stack|at .*\.ts:/);
    };

    it('unsigned → 401', async () => {
      await expectError(
        await post({ 'content-type': body.headers['content-type'] }, body.body),
        401,
        'SIGNATURE_INVALID',
      );
    });
    it('tampered body (another user) → 401', async () => {
      await expectError(
        await post(body.headers, body.body.replace(MERGER, 'U0QA')),
        401,
        'SIGNATURE_INVALID',
      );
    });
    it('signed with another secret → 401', async () => {
      const forged = signedSlackRequest(
        'not-the-secret',
        JSON.parse(decodeURIComponent(body.body.slice('payload='.length))),
      );
      await expectError(await post(forged.headers, forged.body), 401, 'SIGNATURE_INVALID');
    });
    it('stale (6 minutes old) → 401', async () => {
      const old = signedSlackRequest(
        bed.stack.secrets.slackSigningSecret,
        payloadOf(body),
        Math.floor(Date.now() / 1000) - 360,
      );
      const response = await post(old.headers, old.body);
      assert.equal(response.status, 401);
      assert.match(((await response.json()) as { error: { message: string } }).error.message, /stale/);
    });
    it('future-dated (6 minutes ahead) → 401', async () => {
      const ahead = signedSlackRequest(
        bed.stack.secrets.slackSigningSecret,
        payloadOf(body),
        Math.floor(Date.now() / 1000) + 360,
      );
      const response = await post(ahead.headers, ahead.body);
      assert.equal(response.status, 401);
      assert.match(((await response.json()) as { error: { message: string } }).error.message, /future/);
    });
    it('JSON instead of a form → 415', async () => {
      await expectError(
        await post({ ...body.headers, 'content-type': 'application/json' }, body.body),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    });
    it('a body over 256 KiB → 413', async () => {
      const big = `${body.body}&pad=${'x'.repeat(300 * 1024)}`;
      const signed = {
        ...body.headers,
        'x-slack-signature': signedSlackRequest(bed.stack.secrets.slackSigningSecret, {}).headers[
          'x-slack-signature'
        ],
      };
      await expectError(await post(signed, big), 413, 'BODY_TOO_LARGE');
    });
    it('a wrong nonce is refused and the clicker is told', async () => {
      const press = cardPress(
        decision.slack,
        GATE_ACTIONS.merge_pr.approve.actionId,
        `ra1|a|${decision.id}|${'x'.repeat(24)}`,
        MERGER,
        bed.stack.slack.url,
      );
      press.response_url = bed.stack.slack.responseUrl(decision.slack.channel, decision.slack.ts);
      const bad = signedSlackRequest(bed.stack.secrets.slackSigningSecret, press);
      const response = await post(bad.headers, bad.body);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true, accepted: true });
      await waitFor(
        () =>
          bed.stack.slack
            .messages(decision.slack.channel)
            .find((message) => message.ephemeral && message.text.includes('the nonce does not match')),
        'the note to the clicker',
      );
      await bed.host.idle();
    });
  });
});

function payloadOf(request: { body: string }): unknown {
  return JSON.parse(decodeURIComponent(request.body.slice('payload='.length)));
}
