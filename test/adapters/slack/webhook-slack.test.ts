import assert from 'node:assert/strict';
import { slackReplyError } from '../../../adapters/slack/slack-errors.ts';
import { createSlack } from '../../../adapters/slack/create-slack.ts';
import type { Slack } from '../../../adapters/slack/slack.ts';
import { createWebhookSlack, withoutButtons } from '../../../adapters/slack/webhook-slack.ts';
import { loadConfig } from '../../../core/config.ts';
import { Secret } from '../../../core/secret.ts';
import type { RunningSlackSimulator } from '../../../sandbox/sim/slack/slack-simulator.ts';
import {
  assertNoSecret,
  BOT_TOKEN,
  CHANNEL,
  calls,
  coded,
  FAST,
  gateCard,
  SHORT_TIMEOUT_MS,
  startSim,
} from './slack-test-kit.ts';

describe('adapters/slack incoming webhook against the simulator', function () {
  this.timeout(8_000);
  let sim: RunningSlackSimulator;
  let slack: Slack;

  beforeEach(async () => {
    sim = await startSim();
    slack = createWebhookSlack({ ...FAST, webhookUrl: new Secret(sim.webhookUrl) });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('posts a notification to the webhook’s channel, without buttons, and returns no handle', async () => {
    const posted = await slack.postMessage({ channel: 'C0IGNORED', ...gateCard() });
    assert.deepEqual(posted, { channel: undefined, ts: undefined });
    const [stored, ...others] = sim.messages(CHANNEL);
    assert.equal(others.length, 0);
    assert.equal(stored?.source, 'webhook');
    assert.equal(stored?.text, 'Merge PR 42?');
    assert.deepEqual(
      stored?.blocks.map((block) => block.type),
      ['header', 'section', 'context', 'divider'],
      'the actions block is left out',
    );
    assert.equal(slack.mode, 'webhook');
    assert.equal(slack.interactive, false);
  });

  it('updateMessage posts nothing and says so', async () => {
    const result = await slack.updateMessage({ channel: CHANNEL, ts: '1700000000.000100', text: 'x' });
    assert.deepEqual(result, { updated: false, reason: 'webhook_mode' });
    assert.equal(sim.server.requestLog.length, 0);
  });

  it('a wrong webhook secret → AUTH_INVALID (invalid_token), and the URL is nowhere in the error', async () => {
    const wrongUrl = sim.webhookUrl.replace(/XXXX$/, 'WRONGSECRET123');
    const wrong = createWebhookSlack({ ...FAST, webhookUrl: new Secret(wrongUrl) });
    const error = await wrong.postMessage({ text: 'hello' }).then(
      () => assert.fail('expected invalid_token'),
      (caught: unknown) => caught,
    );
    coded('AUTH_INVALID', (e) => {
      assert.equal(e.fields.slackError, 'invalid_token');
      assert.equal(e.fields.status, 403);
    })(error);
    assertNoSecret(error, 'WRONGSECRET123');
  });

  it('no text and no blocks → INPUT_INVALID (no_text)', async () => {
    await assert.rejects(
      slack.postMessage({ text: '' }),
      coded('INPUT_INVALID', (error) => {
        assert.equal(error.fields.slackError, 'no_text');
        assert.equal(error.fields.status, 400);
      }),
    );
  });

  it('invalid blocks → INPUT_INVALID (invalid_blocks)', async () => {
    await assert.rejects(
      slack.postMessage({ text: 'x', blocks: [{ type: 'no-such-block' }] }),
      coded('INPUT_INVALID', (error) => assert.equal(error.fields.slackError, 'invalid_blocks')),
    );
  });

  it('429 with Retry-After: waits, then posts once', async () => {
    sim.server.addFault({ route: 'webhook', kind: 'status', status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    await slack.postMessage({ text: 'x' });
    assert.ok(Date.now() - started >= 950);
    assert.equal(sim.messages(CHANNEL).length, 1);
  });

  it('a Retry-After beyond the retry budget fails fast, and so does the next call inside that window', async () => {
    sim.server.addFault({ route: 'webhook', kind: 'status', status: 429, retryAfterSeconds: 60 });
    const started = Date.now();
    await assert.rejects(
      slack.postMessage({ text: 'x' }),
      coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.status, 429)),
    );
    await assert.rejects(
      slack.postMessage({ text: 'y' }),
      coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.status, 429)),
    );
    assert.ok(Date.now() - started < 1_000, 'no 60 s sleep');
    assert.equal(calls(sim, 'webhook').length, 1, 'the second call did not hit a rate-limited Slack');
  });

  it('503: retried; 500: SERVICE_HTTP, not repeated', async () => {
    sim.server.addFault({ route: 'webhook', kind: 'status', status: 503 });
    await slack.postMessage({ text: 'first' });
    sim.server.addFault({ route: 'webhook', kind: 'status', status: 500 });
    await assert.rejects(
      slack.postMessage({ text: 'second' }),
      coded('SERVICE_HTTP', (error) => assert.equal(error.fields.status, 500)),
    );
    assert.deepEqual(
      calls(sim, 'webhook').map((entry) => entry.status),
      [503, 200, 500],
    );
  });

  it('a delay past the timeout: SERVICE_TIMEOUT, not re-sent', async () => {
    sim.server.addFault({ route: 'webhook', kind: 'delay', delayMs: 600 });
    const impatient = createWebhookSlack({
      ...FAST,
      timeoutMs: SHORT_TIMEOUT_MS,
      webhookUrl: new Secret(sim.webhookUrl),
    });
    await assert.rejects(impatient.postMessage({ text: 'x' }), coded('SERVICE_TIMEOUT'));
  });

  it('a malformed answer: SERVICE_MALFORMED', async () => {
    sim.server.addFault({ route: 'webhook', kind: 'malformed' });
    await assert.rejects(slack.postMessage({ text: 'x' }), coded('SERVICE_MALFORMED'));
  });

  it('a connection reset: SERVICE_NETWORK', async () => {
    sim.server.addFault({ route: 'webhook', kind: 'reset' });
    await assert.rejects(slack.postMessage({ text: 'x' }), coded('SERVICE_NETWORK'));
  });
});

describe('adapters/slack withoutButtons', () => {
  it('drops actions blocks and button accessories, keeps everything else', () => {
    const blocks = [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'a' },
        accessory: { type: 'button', action_id: 'x', text: { type: 'plain_text', text: 'Go' } },
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'b' },
        accessory: { type: 'image', image_url: 'https://x/y.png', alt_text: 'y' },
      },
      { type: 'actions', elements: [] },
      { type: 'divider' },
    ];
    assert.deepEqual(withoutButtons(blocks), [
      { type: 'section', text: { type: 'mrkdwn', text: 'a' } },
      blocks[1],
      { type: 'divider' },
    ]);
  });
});

describe('adapters/slack createSlack', () => {
  it('picks the bot adapter when SLACK_BOT_TOKEN is set, even with a webhook', () => {
    const slack = createSlack(
      loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X' }),
    );
    assert.equal(slack.mode, 'bot');
  });

  it('picks the incoming webhook when only SLACK_WEBHOOK_URL is set', () => {
    const slack = createSlack(loadConfig({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X' }));
    assert.equal(slack.mode, 'webhook');
  });

  it('refuses to start without either, naming both variables', () => {
    assert.throws(
      () => createSlack(loadConfig({})),
      coded('CONFIG_INVALID', (error) =>
        assert.deepEqual(error.fields.variables, ['SLACK_BOT_TOKEN', 'SLACK_WEBHOOK_URL']),
      ),
    );
  });

  it('refuses a webhook URL that is not a URL without echoing it', () => {
    const error = (() => {
      try {
        createSlack(loadConfig({ SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T/B/NOTAURLSECRET' }));
      } catch (caught) {
        return caught;
      }
      return assert.fail('expected CONFIG_INVALID');
    })();
    coded('CONFIG_INVALID')(error);
    assertNoSecret(error, 'NOTAURLSECRET');
  });

  it('in bot mode against the simulator: posts to SLACK_CHANNEL_ID, refuses a response_url off Slack and the simulator', async () => {
    const sim = await startSim();
    try {
      const slack = createSlack(
        loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: sim.apiUrl, SLACK_CHANNEL_ID: CHANNEL }),
        FAST,
      );
      const posted = await slack.postMessage(gateCard());
      assert.equal(posted.channel, CHANNEL);
      assert.equal(sim.messages(CHANNEL).length, 1);
      await assert.rejects(
        slack.respond('https://evil.example/actions/T/1/x', { text: 'x' }),
        coded('INPUT_INVALID', (error) => assert.equal(error.fields.field, 'responseUrl')),
      );
    } finally {
      await sim.stop();
    }
  });
});

describe('adapters/slack: reading a webhook or response_url reply (the reply schemas)', () => {
  it('ok as text or {"ok":true}; a failure names its Slack code, anything else the HTTP status', () => {
    const cases: Array<[number, unknown, string | undefined]> = [
      [200, 'ok', undefined],
      [200, '', undefined],
      [200, { ok: true }, undefined],
      [200, 'something else', 'unexpected_reply'],
      [200, { ok: 'true' }, 'http_200'],
      [200, [{ ok: true }], 'http_200'],
      [200, { ok: false, error: 'channel_not_found' }, 'channel_not_found'],
      [400, { ok: true }, 'http_400'],
      [400, { ok: false, error: 'Not A Code' }, 'http_400'],
      [404, { ok: false, error: 42 }, 'http_404'],
      [403, 'invalid_token', 'invalid_token'],
      [500, '<html>oops</html>', 'http_500'],
    ];
    for (const [status, body, expected] of cases)
      assert.equal(slackReplyError(status, body), expected, `${status} ${JSON.stringify(body)}`);
  });
});
