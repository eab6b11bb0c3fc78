// A function app missing settings answers 503 on the parts that need them (and says which), never a
// 500 and never "open"; an invalid setting names the variable; /api/status always answers (health
// for anyone, the problems for the operator or the hub).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { signAppToken } from '../../core/app-token.ts';
import { GATE_ACTIONS } from '../../core/gates.ts';
import { type FunctionsHost, startAgentHost } from '../../sandbox/functions-host.ts';
import { cardPress } from '../support/slack-press.ts';
import { signedSlackRequest } from './testbed.ts';

describe('functions: not configured', () => {
  let host: FunctionsHost | undefined;
  const start = async (extra: Record<string, string>, queuePollMs?: number) => {
    host = await startAgentHost({
      ...(queuePollMs ? { queue: { pollIntervalMs: queuePollMs } } : {}),
      env: {
        STORAGE_CONNECTION_STRING: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
        STORAGE_TABLE_PREFIX: `Nc${randomBytes(3).toString('hex')}`,
        WORK_QUEUE_NAME: `nc-${randomBytes(3).toString('hex')}`,
        ...extra,
      },
      timers: 'manual',
      log: () => undefined,
    });
    return host;
  };
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; message: string } }).error;

  it('without secrets: Slack, service hooks and the hub get 503 naming what is missing; status says degraded', async () => {
    const { apiUrl } = await start({});
    const slack = await fetch(`${apiUrl}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payload=%7B%7D',
    });
    assert.equal(slack.status, 503);
    assert.match((await errorOf(slack)).message, /SLACK_SIGNING_SECRET/);
    const hook = await fetch(`${apiUrl}/azdo/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-secret': 'anything' },
      body: '{}',
    });
    assert.equal(hook.status, 503);
    assert.match((await errorOf(hook)).message, /WEBHOOK_SECRET/);
    const token = signAppToken({ nameid: 'u', exp: Math.floor(Date.now() / 1000) + 60 }, 'some-cert');
    const hub = await fetch(`${apiUrl}/approvals/pending`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(hub.status, 503);
    assert.match((await errorOf(hub)).message, /EXTENSION_CERTIFICATE and AZDO_ORGANIZATION_ID/);
    // OPERATOR_TOKEN empty: closed, never open. Reads, decisions and manual triggers all answer 503.
    const refusals = [
      await fetch(`${apiUrl}/approvals/pending`),
      await fetch(`${apiUrl}/staging`),
      await fetch(`${apiUrl}/releases/Billo.Platform.Payment`),
      await fetch(`${apiUrl}/reviews`),
      await fetch(`${apiUrl}/approvals/pr.Billo.Platform.Payment.1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-operator-token': 'guess' },
        body: '{"action":"merge"}',
      }),
      await fetch(`${apiUrl}/manual/release`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"repo":"Billo.Platform.Payment"}',
      }),
      await fetch(`${apiUrl}/manual/pr/1`, { method: 'POST' }),
    ];
    for (const response of refusals) {
      assert.equal(response.status, 503, response.url);
      const error = await errorOf(response);
      assert.equal(error.code, 'NOT_CONFIGURED');
      assert.match(error.message, /OPERATOR_TOKEN/);
    }
    // Anyone sees health, nothing of the configuration.
    const status = (await (await fetch(`${apiUrl}/status`)).json()) as Record<string, unknown>;
    assert.deepEqual(status, { status: 'degraded' });
  });

  it('a Slack click without DECISION_SIGNING_KEY is refused at the ack (200, NOT_CONFIGURED), nothing queued to decide', async () => {
    const signingSecret = 'slack-signing-secret-for-not-configured';
    const queueName = `nc-${randomBytes(3).toString('hex')}`;
    const { apiUrl } = await start(
      {
        WORK_QUEUE_NAME: queueName,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_TEAM_ID: 'T0SANDBOX',
        SLACK_APP_ID: 'A0RELEASEAGENT',
        SLACK_CHANNEL_ID: 'C0RELEASES',
        GATE_ALLOWED_USERS: '*=U0RELMGR',
        DECISION_SIGNING_KEY: '',
      },
      // The worker leaves the queue alone, so the test sees what the ack queued.
      600_000,
    );
    const press = cardPress(
      { channel: 'C0RELEASES', ts: '1700000000.000100' },
      GATE_ACTIONS.merge_pr.approve.actionId,
      'ra1|a|merge_pr.pr1.abc|0123456789abcdef01234567',
      'U0RELMGR',
      'http://127.0.0.1:9',
    );
    const signed = signedSlackRequest(signingSecret, press);
    const response = await fetch(`${apiUrl}/slack/interactions`, {
      method: 'POST',
      headers: signed.headers,
      body: signed.body,
    });
    assert.equal(response.status, 200, 'Slack is answered 200');
    assert.deepEqual(await response.json(), { ok: true, refused: 'NOT_CONFIGURED' });
    // Only the note to the clicker is queued, never the click.
    const queue = new QueueClient(process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!, queueName);
    const peeked = await queue.peekMessages({ numberOfMessages: 32 });
    const kinds = peeked.peekedMessageItems.map(
      (item) =>
        (JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as { kind: string }).kind,
    );
    assert.deepEqual(kinds, ['reply']);
  });

  it('with the operator token: /api/status says what is missing; deciding needs DECISION_SIGNING_KEY', async () => {
    const operatorToken = `op-${randomBytes(12).toString('hex')}`;
    const { apiUrl } = await start({ OPERATOR_TOKEN: operatorToken });
    const operator = { 'x-operator-token': operatorToken };
    const status = (await (await fetch(`${apiUrl}/status`, { headers: operator })).json()) as {
      status: string;
      problems: string[];
    };
    assert.equal(status.status, 'degraded');
    for (const variable of [
      'SLACK_SIGNING_SECRET',
      'WEBHOOK_SECRET',
      'DECISION_SIGNING_KEY',
      'GATE_ALLOWED_USERS',
    ])
      assert.ok(
        status.problems.some((problem) => problem.includes(variable)),
        `${variable} in ${status.problems}`,
      );
    assert.ok(!status.problems.some((problem) => problem.includes('OPERATOR_TOKEN')));
    // A wrong token sees health only.
    const guessed = (await (
      await fetch(`${apiUrl}/status`, { headers: { 'x-operator-token': 'guess' } })
    ).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(guessed), ['status']);
    const decide = await fetch(`${apiUrl}/approvals/pr.Billo.Platform.Payment.1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...operator },
      body: '{"action":"merge"}',
    });
    assert.equal(decide.status, 503);
    const error = await errorOf(decide);
    assert.equal(error.code, 'NOT_CONFIGURED');
    assert.match(error.message, /DECISION_SIGNING_KEY/);
  });

  it('an invalid setting: every route but status answers 503 CONFIG_INVALID naming it', async () => {
    const { apiUrl } = await start({
      PR_POLL_INTERVAL_SECONDS: 'often',
      WEBHOOK_SECRET: 'hook-secret-value-x',
    });
    const hook = await fetch(`${apiUrl}/azdo/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-secret': 'hook-secret-value-x' },
      body: '{}',
    });
    assert.equal(hook.status, 503);
    const error = await errorOf(hook);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.match(error.message, /PR_POLL_INTERVAL_SECONDS/);
    assert.doesNotMatch(error.message, /hook-secret-value-x/);
    // No one can be authenticated without a configuration: the variable's name, never its value.
    const status = (await (await fetch(`${apiUrl}/status`)).json()) as {
      status: string;
      variables: string[];
    };
    assert.equal(status.status, 'misconfigured');
    assert.deepEqual(status.variables, ['PR_POLL_INTERVAL_SECONDS']);
  });
});
