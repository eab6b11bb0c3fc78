// A function app missing settings answers 503 on the parts that need them (and says which), never a
// 500; an invalid setting names the variable; /api/status always answers.
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
    assert.match((await errorOf(hub)).message, /EXTENSION_CERTIFICATE/);
    // OPERATOR_TOKEN empty: the operator endpoints are open, as in the Python agent.
    assert.equal((await fetch(`${apiUrl}/approvals/pending`)).status, 200);
    const status = (await (await fetch(`${apiUrl}/status`)).json()) as { status: string; problems: string[] };
    assert.equal(status.status, 'degraded');
    assert.ok(status.problems.some((problem) => problem.includes('SLACK_SIGNING_SECRET')));
    assert.ok(status.problems.some((problem) => problem.includes('WEBHOOK_SECRET')));
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
    const status = (await (await fetch(`${apiUrl}/status`)).json()) as { status: string; problems: string[] };
    assert.equal(status.status, 'misconfigured');
    assert.match(status.problems.join(' '), /PR_POLL_INTERVAL_SECONDS/);
  });
});
