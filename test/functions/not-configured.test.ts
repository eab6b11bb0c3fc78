// A function app missing settings answers 503 on the parts that need them (and says which), never a
// 500 and never "open"; an invalid setting names the variable; /api/status always answers (health
// for anyone, the problems for the operator or the hub).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { signAppToken } from '../../core/app-token.ts';
import { type FunctionsHost, startAgentHost } from '../../sandbox/functions-host.ts';

describe('functions: not configured', () => {
  let host: FunctionsHost | undefined;
  const start = async (extra: Record<string, string>) => {
    host = await startAgentHost({
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
