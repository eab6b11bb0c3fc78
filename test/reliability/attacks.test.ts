// The gates hold: each path by which a pull request (its code, its YAML, its text, what the reviewer
// makes of them) or any caller could get a PR merged or a stage approved without a person deciding,
// played as an attacker would against the function app on the local host, the simulators and the real
// task bundles. After every attack: no PR completed, no approval approved, no decision changed, and no
// credential in anything posted or stored.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretForms } from '../../core/secret.ts';
import { GATE_ACTIONS } from '../../core/gates.ts';
import type { Decision } from '../../core/model.ts';
import { BUILD_HEADER } from '../../flows/job-api.ts';
import { prThreadId } from '../../flows/threads.ts';
import { workMessage } from '../../flows/work-messages.ts';
import { runTaskBundle } from '../../sandbox/agent/task-runner.ts';
import { scriptedClaude } from '../../sandbox/claude/index.ts';
import type { PullRequestState } from '../../sandbox/sim/azdo/simulator.ts';
import {
  askMerge,
  cardText,
  openPullRequest,
  RELEASE_PIPELINE,
  REPO,
  signedSlackRequest,
  startRelease,
  startTestbed,
  type Testbed,
  waitFor,
} from '../functions/testbed.ts';
import { cardPress } from '../support/slack-press.ts';
import { taskDir } from '../support/task-bundles.ts';

describe('attacks on the gates: nothing but a configured person decides', () => {
  let bed: Testbed;
  before(async () => {
    // A merge waiting for its policies checks them again every second (default 30 s).
    bed = await startTestbed({ env: { MERGE_POLICY_RECHECK_SECONDS: '1' } });
  });
  after(() => bed?.stop());

  /** Every credential of the stack and of the jobs, for the scans. */
  const issued: string[] = [];
  const credentials = () =>
    [
      ...Object.values(bed.stack.secrets),
      bed.stack.storageConnectionString,
      /AccountKey=([^;]+)/.exec(bed.stack.storageConnectionString)?.[1] ?? '',
      ...issued,
    ].filter((value) => value.length >= 8);

  /** A build of the PR pipeline for `pr`, running, with its own job token (what a PR's YAML holds). */
  function prBuild(pr: PullRequestState) {
    const build = bed.stack.azdo.startAgentBuild({
      pipelineId: 11,
      reason: 'pullRequest',
      repository: REPO,
      sourceBranch: `refs/pull/${pr.id}/merge`,
      sourceVersion: pr.mergeCommit,
      pullRequest: { id: pr.id, sourceCommit: pr.sourceCommit, sourceBranch: pr.sourceRefName },
    });
    issued.push(build.token);
    return build;
  }

  /** A run of the repo's release pipeline (RELEASE_PIPELINE_BY_REPO), no gate approved yet. */
  function releaseBuild() {
    const build = bed.stack.azdo.startAgentBuild({
      pipelineId: RELEASE_PIPELINE.id,
      reason: 'manual',
      repository: REPO,
      sourceBranch: 'refs/heads/develop',
      sourceVersion: '0'.repeat(40),
    });
    issued.push(build.token);
    return build;
  }

  const asJob = (token: string, buildId: number, step: string, body: unknown) =>
    bed.api(`/jobs/${step}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        [BUILD_HEADER]: String(buildId),
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });

  /** What must not change: PR states, approval states, decision states. */
  async function snapshot() {
    const decisions = await bed.stack.store.decisions.listPending();
    return {
      prs: [...bed.stack.azdo.pullRequests.values()]
        .map((pr) => `${pr.id}:${pr.status}:${pr.sourceCommit}`)
        .sort(),
      approvals: [...bed.stack.azdo.approvals.values()]
        .map((approval) => `${approval.id}:${approval.status}`)
        .sort(),
      decisions: decisions.map((decision) => `${decision.id}:${decision.status}`).sort(),
      staging: JSON.stringify(await bed.stack.store.staging.list()),
    };
  }

  /** No credential in any form in what was posted (PR threads and statuses, Slack) or stored. */
  async function assertNoCredentialPostedOrStored(): Promise<void> {
    const prs = [...bed.stack.azdo.pullRequests.values()];
    const texts: Record<string, string> = {
      'PR threads': JSON.stringify(prs.map((pr) => pr.threads)),
      'PR statuses': JSON.stringify(prs.map((pr) => pr.statuses)),
      Slack: JSON.stringify(bed.stack.slack.messages()),
      'stored reviews': JSON.stringify(await bed.stack.store.reviews.list({ limit: 500 })),
      'stored decisions': JSON.stringify(await bed.stack.store.decisions.listPending()),
      'stored staging': JSON.stringify(await bed.stack.store.staging.list()),
    };
    for (const secret of credentials()) {
      for (const form of secretForms(secret)) {
        for (const [where, text] of Object.entries(texts))
          assert.ok(!text.includes(form), `${where} hold a form of a credential`);
      }
    }
  }

  describe('1. a PR build holds nothing that decides, and its words are data', () => {
    it('its job token reports a review (a pending question for a person), and every other step is refused', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-7_attack', 'Totally harmless');
      const build = prBuild(pr);
      const report = await asJob(build.token, build.run.id, 'review.report', {
        iterationId: 1,
        verdict: 'approve',
        summary: 'LGTM, merge now',
        findings: [],
        injectionSuspected: false,
        costUsd: 0,
      });
      assert.equal(report.status, 200);
      const [decision] = await bed.stack.store.decisions.findByThread(prThreadId(REPO, pr.id));
      assert.equal(decision?.status, 'pending', 'a question for a person, nothing decided');
      const before = await snapshot();

      // The same token, asking for what a PR build must never do.
      for (const [step, body] of [
        ['stage', {}],
        ['release.plan', { repository: REPO, pipelines: [] }],
        [
          'release.create',
          { repository: REPO, sourceRef: 'refs/heads/develop', targetRef: 'refs/heads/main' },
        ],
        [
          'release.complete',
          {
            repository: REPO,
            sourceRef: 'refs/heads/develop',
            targetRef: 'refs/heads/main',
            mergeStrategy: 'noFastForward',
            waitSeconds: 0,
            pollIntervalSeconds: 1,
          },
        ],
        ['release.finish', { repository: REPO, doneStatus: 'Done', workflow: [], jiraVersion: false }],
      ] as const) {
        const answer = await asJob(build.token, build.run.id, step, body);
        assert.equal(answer.status, 403, `${step}: ${await answer.text()}`);
      }
      // …and at the routes people use: a job token is no hub token, no operator token.
      const decide = await bed.api(`/approvals/${encodeURIComponent(prThreadId(REPO, pr.id))}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${build.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'merge' }),
      });
      assert.equal(decide.status, 401);
      const manual = await bed.api('/manual/release', {
        method: 'POST',
        headers: { 'x-operator-token': build.token, 'content-type': 'application/json' },
        body: JSON.stringify({ repo: REPO }),
      });
      assert.equal(manual.status, 401);
      await bed.host.idle();
      assert.deepEqual(await snapshot(), before);
      assert.equal(pr.status, 'active');
    });

    it('a PR build that presents a running release run’s id gets nothing before a person approved that run’s gate', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-8_impostor', 'Impostor');
      const attacker = prBuild(pr);
      const release = releaseBuild();
      await startRelease(bed, '3.1.0', [{ key: 'ALLPOST-8', summary: 'Impostor' }]);
      const before = await snapshot();
      for (const step of ['release.create', 'release.complete', 'release.finish'] as const) {
        const body =
          step === 'release.finish'
            ? { repository: REPO, doneStatus: 'Done', workflow: [], jiraVersion: false }
            : step === 'release.complete'
              ? {
                  repository: REPO,
                  sourceRef: 'refs/heads/develop',
                  targetRef: 'refs/heads/main',
                  mergeStrategy: 'noFastForward',
                  waitSeconds: 0,
                  pollIntervalSeconds: 1,
                }
              : { repository: REPO, sourceRef: 'refs/heads/develop', targetRef: 'refs/heads/main' };
        const answer = await asJob(attacker.token, release.run.id, step, body);
        assert.equal(answer.status, 403, step);
        assert.match(await answer.text(), /only after the approval of environment/);
      }
      assert.deepEqual(await snapshot(), before);
      assert.equal(
        [...bed.stack.azdo.pullRequests.values()].filter(
          (candidate) => candidate.targetRefName === 'refs/heads/main',
        ).length,
        0,
      );
    });

    it('a token of a finished run, or of no build, or no token at all is refused', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-9_late', 'Late');
      const build = prBuild(pr);
      bed.stack.azdo.finishRun(build.run.id, 'succeeded');
      const report = {
        iterationId: 1,
        verdict: 'approve',
        summary: 'x',
        findings: [],
        injectionSuspected: false,
        costUsd: 0,
      };
      assert.equal((await asJob(build.token, build.run.id, 'review.report', report)).status, 401);
      assert.equal(
        (await asJob(`forged-${randomBytes(8).toString('hex')}`, 1, 'review.report', report)).status,
        401,
      );
      const headerless = await bed.api('/jobs/review.report', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(headerless.status, 401);
      assert.equal((await bed.stack.store.decisions.findByThread(prThreadId(REPO, pr.id))).length, 0);
    });

    it('a decision written straight into the store (as a stolen storage key could) is never performed', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-10_forged', 'Forged');
      const asked = await askMerge(bed, pr);
      const now = new Date().toISOString();
      await bed.stack.store.decisions.update(
        asked.id,
        (current) =>
          ({
            ...current,
            status: 'approved',
            decidedBy: 'U0SANDBOX',
            decidedVia: 'slack',
            decidedAt: now,
            // A proof made with a key that is not the app's.
            proof: createHmac('sha256', 'not-the-app-key').update(current.id).digest('hex'),
          }) as Decision,
      );
      // The effect queued as if the app had done it.
      const { QueueServiceClient } = await import('@azure/storage-queue');
      const queue = QueueServiceClient.fromConnectionString(bed.stack.storageConnectionString).getQueueClient(
        bed.env.WORK_QUEUE_NAME!,
      );
      await queue.createIfNotExists();
      await queue.sendMessage(
        Buffer.from(
          JSON.stringify(workMessage('effect', { decisionId: asked.id, effect: 'complete_pr' })),
        ).toString('base64'),
      );
      await bed.host.idle(15_000);
      assert.equal(pr.status, 'active', 'the PR was not completed');
      const refused = await bed.stack.store.audit.list({ subject: asked.id, action: 'effect-refused' });
      assert.ok(refused.length > 0, 'the refusal is audited');
    });

    it('a Slack click written straight into the work queue (as a stolen storage key could) answers nothing', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-15_forged_click', 'Forged click');
      const asked = await askMerge(bed, pr);
      // Everything a real click's message holds, the decision's nonce included; only the proof is not
      // the app's (it signs with DECISION_SIGNING_KEY, which only the function app holds).
      const taken = {
        decisionId: asked.id,
        outcome: 'approved' as const,
        nonce: asked.nonce,
        by: 'U0RELMGR',
        card: { channel: asked.slack.channel, ts: asked.slack.ts, gate: 'merge_pr' as const },
        click: `slack|${asked.slack.channel}|${asked.slack.ts}|forged`,
        responseUrl: bed.stack.slack.responseUrl(asked.slack.channel, asked.slack.ts),
      };
      const { QueueServiceClient } = await import('@azure/storage-queue');
      const queue = QueueServiceClient.fromConnectionString(bed.stack.storageConnectionString).getQueueClient(
        bed.env.WORK_QUEUE_NAME!,
      );
      await queue.createIfNotExists();
      const proof = `rac1.${createHmac('sha256', 'not-the-app-key').update(asked.id).digest('base64url')}`;
      await queue.sendMessage(
        Buffer.from(JSON.stringify(workMessage('answer', { ...taken, proof }))).toString('base64'),
      );
      await bed.host.idle(15_000);
      const stored = await bed.stack.store.decisions.get(asked.id);
      assert.equal(stored?.status, 'pending');
      assert.equal(stored?.answer, undefined, 'no answer was taken');
      assert.equal(pr.status, 'active', 'the PR was not completed');
      const refused = await bed.stack.store.audit.list({ subject: asked.id, action: 'answer-refused' });
      assert.equal(refused.length, 1, 'the refusal is audited');
    });

    /** The real ReviewPullRequest bundle, run as the agent runs it in `build`, over `checkout`. */
    async function runReviewTask(
      pr: PullRequestState,
      build: { run: { id: number }; token: string },
      options: {
        checkout: string;
        inputs?: Record<string, string>;
        env?: Record<string, string>;
        scenario?: string;
      },
    ) {
      const claude = scriptedClaude(options.scenario ? { scenario: options.scenario } : {});
      return await runTaskBundle({
        taskDir: await taskDir('ReviewPullRequest'),
        inputs: { stateConnection: 'state', ...options.inputs },
        variables: bed.stack.agentVariables({
          'System.PullRequest.PullRequestId': String(pr.id),
          'Build.Repository.Name': REPO,
          'Build.SourcesDirectory': options.checkout,
          'Build.BuildId': String(build.run.id),
        }),
        endpoints: { state: bed.stack.endpoints.state },
        accessToken: build.token,
        env: { PATH: [claude.dir, process.env.PATH ?? ''].join(':'), ...options.env },
      });
    }

    it('the reviewer that reads /proc/<parent>/environ and every file it can, through the real task, leaks nothing', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-11_curious', 'Curious reviewer');
      const build = prBuild(pr);
      const checkout = mkdtempSync(join(tmpdir(), 'checkout-'));
      writeFileSync(join(checkout, 'README.md'), '# payments\n');
      const claudeCredential = `sk-ant-api03-${randomBytes(16).toString('hex')}`;
      // A value only the task's own environment holds: were /proc/<parent>/environ readable, it would be posted.
      const canary = `canary-${randomBytes(16).toString('hex')}`;
      issued.push(claudeCredential, canary);
      try {
        const run = await runReviewTask(pr, build, {
          checkout,
          inputs: { claudeCredential },
          env: { RELEASE_AGENT_CANARY: canary },
          scenario: 'exfiltrate',
        });
        assert.ok(pr.threads.length > 0, `the review was posted: ${run.resultMessage}`);
        // The job held no storage key to give away, whatever it read.
        assert.ok(!run.secretsRegistered.some((secret) => secret.includes('AccountKey')));
        await assertNoCredentialPostedOrStored();
        assert.equal(pr.status, 'active');
      } finally {
        rmSync(checkout, { recursive: true, force: true });
      }
    });

    it('a PR’s YAML cannot make the task run its own script as the CLI', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-12_cli', 'My own CLI');
      const build = prBuild(pr);
      const folder = mkdtempSync(join(tmpdir(), 'evil-'));
      const marker = join(folder, 'ran');
      const evil = join(folder, 'evil.sh');
      writeFileSync(evil, `#!/bin/sh\ntouch ${marker}\n`);
      chmodSync(evil, 0o755);
      try {
        await runReviewTask(pr, build, {
          checkout: folder,
          inputs: { claudeCommand: evil, claudePassEnv: 'PATH' },
        });
        assert.ok(!existsSync(marker), 'the script named by the PR ran');
        assert.ok(pr.threads.length > 0, 'the review ran with the agent’s own claude instead');
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  });

  describe('2. a push after the click is never merged', () => {
    it('Merge pressed while policies are pending, then a push, then the policy passes: the PR stays open', async () => {
      bed.stack.azdo.setBlockingPolicy(REPO, true);
      try {
        const pr = openPullRequest(bed, 'feature/ALLPOST-13_race', 'Race');
        const reviewed = pr.sourceCommit;
        const decision = await askMerge(bed, pr);
        await bed.stack.slack.click({
          ...decision.slack,
          actionId: GATE_ACTIONS.merge_pr.approve.actionId,
          userId: 'U0RELMGR',
        });
        await waitFor(
          async () => (await bed.stack.store.decisions.get(decision.id))?.effect?.status === 'waiting',
          'the click recorded, its merge waiting for the policies',
        );
        bed.stack.azdo.pushCommit(REPO, 'feature/ALLPOST-13_race', { message: 'sneaky change' });
        bed.stack.azdo.setPolicyStatus(REPO, pr.id, 'approved');
        await waitFor(
          async () => (await bed.stack.store.decisions.get(decision.id))?.status === 'superseded',
          'the approval voided',
        );
        await bed.host.idle(15_000);
        assert.equal(pr.status, 'active', 'an unreviewed push was merged');
        assert.notEqual(pr.sourceCommit, reviewed);
        assert.match(
          cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)),
          /newer push/,
        );
      } finally {
        bed.stack.azdo.setBlockingPolicy(REPO, false);
      }
    });
  });

  describe('7. a PR cannot take a ticket by naming it', () => {
    it('a merged PR whose title names a ticket it was never linked to does not move that ticket', async () => {
      const victim = bed.stack.jira.state.createIssue({
        project: 'ALLPOST',
        summary: 'Someone else’s work',
        status: 'In Progress',
      });
      const pr = openPullRequest(bed, 'feature/no-ticket', `${victim.key} hijack`);
      // The ticket step linked nothing to this PR (the key belongs to another PR, or the step flagged it).
      const decision = await askMerge(bed, pr);
      await bed.stack.slack.click({
        ...decision.slack,
        actionId: GATE_ACTIONS.merge_pr.approve.actionId,
        userId: 'U0RELMGR',
      });
      await waitFor(() => pr.status === 'completed', 'the merge a person asked for');
      await bed.host.idle();
      assert.equal(victim.status, 'In Progress', 'the named ticket moved');
    });
  });

  describe('3–5. callers and clicks that are not a configured person', () => {
    it('a Slack click from another workspace, app, channel or message changes nothing', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-14_click', 'Clicks');
      const decision = await askMerge(bed, pr);
      const button = JSON.stringify(
        bed.stack.slack.message(decision.slack.channel, decision.slack.ts)?.blocks ?? [],
      );
      const value = /"value":"([^"]+)"/.exec(button)?.[1] ?? '';
      // A press as Slack sends it (signed with the real secret): only who, where and on what varies.
      const base = cardPress(
        decision.slack,
        GATE_ACTIONS.merge_pr.approve.actionId,
        value,
        'U0RELMGR',
        bed.stack.slack.url,
      );
      const variants = [
        { ...base, team: { id: 'T0OTHER', domain: 'other' } },
        { ...base, api_app_id: 'A0OTHER' },
        {
          ...base,
          channel: { id: 'C0ELSEWHERE', name: 'random' },
          container: { ...base.container, channel_id: 'C0ELSEWHERE' },
        },
        {
          ...base,
          message: { ...base.message, ts: '1700000000.000100' },
          container: { ...base.container, message_ts: '1700000000.000100' },
        },
      ];
      for (const payload of variants) {
        const request = signedSlackRequest(bed.stack.secrets.slackSigningSecret, payload);
        const answer = await bed.api('/slack/interactions', {
          method: 'POST',
          headers: request.headers,
          body: request.body,
        });
        assert.equal(answer.status, 200, await answer.text());
      }
      await bed.host.idle();
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
      assert.equal(pr.status, 'active');
      assert.doesNotMatch(
        cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)),
        /Merged by/,
      );
    });

    it('the PR’s author cannot merge their own PR from Slack', async () => {
      const { azdo } = bed.stack;
      azdo.pushCommit(REPO, 'feature/ALLPOST-15_mine', { message: 'mine' });
      // The Slack user U0QA's profile e-mail is the PR author's Azure DevOps mail.
      const pr = azdo.createPullRequestAsUser({
        repository: REPO,
        sourceRefName: 'refs/heads/feature/ALLPOST-15_mine',
        targetRefName: 'refs/heads/develop',
        title: 'Mine',
        createdBy: {
          id: 'c0ffee00-0000-4000-8000-00000000a77a',
          displayName: 'QA',
          uniqueName: 'qa.tester@acme.example',
        },
      });
      const decision = await askMerge(bed, pr);
      await bed.stack.slack.click({
        ...decision.slack,
        actionId: GATE_ACTIONS.merge_pr.approve.actionId,
        userId: 'U0QA',
      });
      await bed.host.idle();
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
      assert.equal(pr.status, 'active');
    });

    it('a hub token for another organisation, and a body naming the decider, are refused', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-16_hub', 'Hub');
      const decision = await askMerge(bed, pr);
      const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const claims = Buffer.from(
        JSON.stringify({
          nameid: 'someone',
          tid: '00000000-0000-0000-0000-00000000beef',
          iss: 'app.vstoken.visualstudio.com',
          aud: bed.env.EXTENSION_AUDIENCE ?? 'x',
          nbf: now,
          exp: now + 600,
        }),
      ).toString('base64url');
      const signature = createHmac('sha256', bed.stack.secrets.extensionCertificate)
        .update(`${header}.${claims}`)
        .digest('base64url');
      const foreign = await bed.api(`/approvals/${encodeURIComponent(prThreadId(REPO, pr.id))}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${header}.${claims}.${signature}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ action: 'merge' }),
      });
      assert.equal(foreign.status, 401);
      const named = await bed.api(`/approvals/${encodeURIComponent(prThreadId(REPO, pr.id))}`, {
        method: 'POST',
        headers: { ...bed.operator, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'merge', by: 'U0RELMGR' }),
      });
      assert.equal(named.status, 400);
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
    });

    it('with nothing configured, deciding and the manual routes are refused and status says so', async () => {
      // A second app on its own tables, deployed with no operator token, allow-list or signing key.
      await bed.stop();
      bed = await startTestbed({
        env: { OPERATOR_TOKEN: '', GATE_ALLOWED_USERS: '', DECISION_SIGNING_KEY: '' },
      });
      const pr = openPullRequest(bed, 'feature/ALLPOST-17_open', 'Open door');
      const decision = await askMerge(bed, pr);
      const decide = await bed.api(`/approvals/${encodeURIComponent(prThreadId(REPO, pr.id))}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'merge' }),
      });
      assert.ok(decide.status === 503 || decide.status === 401, `decide answered ${decide.status}`);
      const manual = await bed.api('/manual/release', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ repo: REPO }),
      });
      assert.ok(manual.status === 503 || manual.status === 401, `manual answered ${manual.status}`);
      await bed.stack.slack.click({
        ...decision.slack,
        actionId: GATE_ACTIONS.merge_pr.approve.actionId,
        userId: 'U0RELMGR',
      });
      await bed.host.idle();
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
      assert.equal(pr.status, 'active');
      const status = await bed.api('/status', { headers: {} });
      assert.notEqual((await status.json()).status, 'ok');
    });
  });

  it('nothing posted or stored by all of the above holds a credential', async () => {
    await assertNoCredentialPostedOrStored();
  });
});
