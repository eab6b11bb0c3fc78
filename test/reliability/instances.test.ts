// Several instances of the function app on one storage account and one queue, as Azure runs it when it
// scales out: two local hosts in processes of their own, each with its HTTP routes, queue trigger and
// timer. Duplicate clicks sent to both, service hooks delivered to both and pollers running at once
// on both end in one decision, one run, one card per decision and one completion. And the local host's
// storage timer lock lets one of several hosts run a timer, as the Functions host's singleton lock does.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { QueueServiceClient } from '@azure/storage-queue';
import { loadConfig } from '../../core/config.ts';
import { GATE_ACTIONS } from '../../core/gates.ts';
import type { Decision } from '../../core/model.ts';
import { approvalInstructions } from '../../flows/approval-gates.ts';
import { decisionIdFor } from '../../flows/gate-requests.ts';
import { startFunctionsHost } from '../../sandbox/functions-host.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import {
  askMerge,
  openPullRequest,
  PR_PIPELINE,
  REPO,
  RELEASE_PIPELINE,
  signedSlackRequest,
  type Testbed,
  waitFor,
} from '../functions/testbed.ts';
import { cardPress } from '../support/slack-press.ts';

interface Instance {
  apiUrl: string;
  stop(): Promise<void>;
}

/** One app instance in its own process; its settings go over stdin (they hold secrets). */
async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'sandbox/functions-instance.ts'], {
    env: { ...process.env, RA_TIMER_INTERVAL_MS: '250', RA_TIMER_LOCK: 'off' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin!.end(JSON.stringify(env));
  const lines = createInterface({ input: child.stdout! });
  const url = await Promise.race([
    (async () => {
      for await (const line of lines) if (line.startsWith('ready ')) return line.slice('ready '.length);
      throw new Error('the instance ended before it was ready');
    })(),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the instance exited with ${code}`);
    }),
  ]);
  return {
    apiUrl: `${url}/api`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

describe('reliability: two app instances on one storage account', function () {
  this.timeout(60_000);
  let stack: Stack;
  let instances: Instance[] = [];
  let bed: Testbed;

  before(async () => {
    stack = await startStack({
      storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
      pipelines: [PR_PIPELINE, RELEASE_PIPELINE],
      pipelineRunDurationMs: 60_000,
    });
    const env = stack.functionEnv({
      WORK_QUEUE_NAME: `work-${randomBytes(4).toString('hex')}`,
      WATCHED_REPOS: REPO,
      PR_POLL_ENABLED: 'true',
      PR_PIPELINE_ID: String(PR_PIPELINE.id),
      RELEASE_PIPELINE_BY_REPO: `${REPO}=${RELEASE_PIPELINE.id}`,
    });
    // The helpers of the function tests read only the stack and the configuration.
    bed = { stack, config: loadConfig(env) } as Testbed;
    instances = await Promise.all([startInstance(env), startInstance(env)]);
    for (const instance of instances) {
      stack.azdo.addWebhook({
        url: `${instance.apiUrl}/azdo/events`,
        headers: { 'X-Webhook-Secret': stack.secrets.webhookSecret },
      });
    }
  });
  after(async () => {
    await stack?.azdo.flushDeliveries();
    await Promise.all(instances.map((instance) => instance.stop()));
    await stack?.stop();
  });

  const decisionOf = (id: string) => stack.store.decisions.get(id) as Promise<Decision>;
  const auditOf = async (subject: string, action: string) =>
    (await stack.store.audit.list({ subject })).filter((entry) => entry.action === action).length;
  const completions = () =>
    stack.azdo.requestLog.filter(
      (entry) => entry.operation === 'Pull Requests_Update' && entry.method === 'PATCH' && entry.status < 300,
    ).length;

  it('service hooks delivered to both instances (and both pollers) queue one PR run', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-500_hooks');
    const runs = () =>
      [...stack.azdo.runs.values()].filter((run) => run.refName === `refs/pull/${pr.id}/merge`).length;
    await waitFor(() => runs() > 0, 'the PR run', 15_000);
    await stack.azdo.flushDeliveries();
    // A few more poll cycles on both instances.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(runs(), 1);
  });

  it('the same click sent ten times to both instances decides once and completes the PR once', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-501_clicks');
    const decision = await askMerge(bed, pr);
    const before = completions();
    const request = signedSlackRequest(stack.secrets.slackSigningSecret, {
      ...cardPress(
        decision.slack,
        GATE_ACTIONS.merge_pr.approve.actionId,
        `ra1|a|${decision.id}|${decision.nonce}`,
        'U0RELMGR',
        stack.slack.url,
      ),
      response_url: stack.slack.responseUrl(decision.slack.channel, decision.slack.ts),
    });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        fetch(`${instances[index % 2]!.apiUrl}/slack/interactions`, {
          method: 'POST',
          headers: request.headers,
          body: request.body,
        }),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(10).fill(200),
    );
    const done = await waitFor(
      async () => {
        const current = await decisionOf(decision.id);
        return current.effect?.status === 'done' || current.effect?.status === 'failed' ? current : undefined;
      },
      'the effect',
      15_000,
    );
    assert.equal(done.effect?.status, 'done', done.effect?.detail);
    assert.equal(pr.status, 'completed');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(completions() - before, 1, 'completed once');
    assert.equal(await auditOf(decision.id, 'decision.approved'), 1);
    assert.equal(await auditOf(decision.id, 'effect.done'), 1);
  });

  it('pollers running at once on both instances post one card per card-less decision', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) {
      const approval = stack.azdo.createPendingApproval({
        environment: 'production',
        instructions: approvalInstructions('production'),
      });
      const target = {
        gate: 'approve_stage' as const,
        repo: REPO,
        version: `7.${index}.0`,
        approvalId: approval.id,
        stage: 'production',
      };
      const id = decisionIdFor(target);
      ids.push(id);
      await stack.store.decisions.createIfAbsent({
        id,
        threadId: `release.x.7.${index}.0`,
        gate: 'approve_stage',
        target,
        nonce: 'n'.repeat(24),
        status: 'pending',
        // Its creator died before posting: old enough for the pollers.
        createdAt: new Date(Date.now() - 5 * 60_000).toISOString(),
        details: { gate: 'approve_stage', repo: REPO, version: `7.${index}.0`, stage: 'production' },
      });
    }
    await waitFor(
      async () => (await Promise.all(ids.map((id) => decisionOf(id)))).every((decision) => decision.slack),
      'every card',
      15_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const id of ids) {
      const cards = stack.slack.messages().filter((message) => JSON.stringify(message.blocks).includes(id));
      assert.equal(cards.length, 1, `one card for ${id}`);
    }
  });
});

describe('local host: as the Functions host', () => {
  it('a message whose function runs longer than its lease is renewed, not delivered again meanwhile', async () => {
    const env = { STORAGE_CONNECTION_STRING: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! };
    const queueName = `slow-${randomBytes(4).toString('hex')}`;
    let runs = 0;
    const host = await startFunctionsHost({
      env,
      timers: 'manual',
      queue: { pollIntervalMs: 40, leaseSeconds: 1, retryDelaySeconds: 0 },
      log: () => undefined,
      registrations: [
        {
          kind: 'queue',
          name: 'slow',
          queueName,
          connection: 'STORAGE_CONNECTION_STRING',
          handler: async () => {
            runs++;
            await new Promise((resolve) => setTimeout(resolve, 2_500));
          },
        },
      ],
    });
    try {
      const queue = QueueServiceClient.fromConnectionString(env.STORAGE_CONNECTION_STRING).getQueueClient(
        queueName,
      );
      await queue.sendMessage(Buffer.from('{}').toString('base64'));
      await waitFor(() => runs > 0, 'the run');
      await host.idle(10_000);
      assert.equal(runs, 1, 'run once');
    } finally {
      await host.stop();
    }
  });

  it('with the storage timer lock, of two hosts on one storage account only the holder runs a timer', async () => {
    const env = {
      STORAGE_CONNECTION_STRING: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
      STORAGE_TABLE_PREFIX: `Lock${randomBytes(4).toString('hex')}`,
    };
    const ran: string[] = [];
    const host = (name: string) =>
      startFunctionsHost({
        env,
        timers: 'manual',
        timerLock: 'storage',
        log: () => undefined,
        registrations: [
          {
            kind: 'timer',
            name: 'tick',
            schedule: '*/10 * * * * *',
            intervalSeconds: 10,
            handler: async () => {
              ran.push(name);
            },
          },
        ],
      });
    const [a, b] = await Promise.all([host('a'), host('b')]);
    try {
      await Promise.all([a.runTimer('tick'), b.runTimer('tick')]);
      await a.runTimer('tick');
      await b.runTimer('tick');
      assert.equal(ran.length, 2, `ran ${ran.join(', ')}`);
      assert.equal(new Set(ran).size, 1, 'always on the same host, the holder');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
