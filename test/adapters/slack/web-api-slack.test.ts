import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Slack } from '../../../adapters/slack/slack.ts';
import { createWebApiSlack } from '../../../adapters/slack/web-api-slack.ts';
import { Secret } from '../../../core/secret.ts';
import type { RunningSlackSimulator } from '../../../sandbox/sim/slack/slack-simulator.ts';
import {
  assertNoSecret,
  BOT_TOKEN,
  CHANNEL,
  calls,
  coded,
  eventually,
  FAST,
  gateCard,
  SHORT_TIMEOUT_MS,
  startSim,
} from './slack-test-kit.ts';

describe('adapters/slack web API (bot token) against the simulator', function () {
  this.timeout(8_000);
  let sim: RunningSlackSimulator;
  let slack: Slack;

  beforeEach(async () => {
    sim = await startSim();
    slack = createWebApiSlack({
      ...FAST,
      token: new Secret(BOT_TOKEN),
      apiUrl: sim.apiUrl,
      defaultChannel: CHANNEL,
    });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('posts a card and returns the handle Slack gave it', async () => {
    const card = gateCard();
    const posted = await slack.postMessage({ channel: CHANNEL, ...card });
    assert.equal(posted.channel, CHANNEL);
    assert.match(posted.ts ?? '', /^\d{10}\.\d{6}$/);
    const stored = sim.message(CHANNEL, posted.ts!);
    assert.ok(stored, 'the simulator holds the message');
    assert.equal(stored.text, 'Merge PR 42?');
    assert.equal(stored.blocks.length, card.blocks.length);
    assert.deepEqual(
      stored.blocks[4],
      card.blocks[4],
      'blocks arrive intact (the actions block keeps its ids)',
    );
    assert.equal(slack.mode, 'bot');
    assert.equal(slack.interactive, true);
  });

  it('posts to SLACK_CHANNEL_ID when the message names no channel', async () => {
    const posted = await slack.postMessage({ text: 'hello' });
    assert.equal(posted.channel, CHANNEL);
    assert.equal(sim.messages(CHANNEL).length, 1);
  });

  it('refuses a message with no channel at all, before calling Slack', async () => {
    const noDefault = createWebApiSlack({ ...FAST, token: new Secret(BOT_TOKEN), apiUrl: sim.apiUrl });
    await assert.rejects(noDefault.postMessage({ text: 'hello' }), coded('INPUT_INVALID'));
    assert.equal(calls(sim, 'chat.postMessage').length, 0);
  });

  it('updates the card in place: same ts, new text and blocks, marked edited', async () => {
    const posted = await slack.postMessage(gateCard());
    const outcome = [
      { type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: Merged by <@U0SANDBOX>' } },
    ];
    const result = await slack.updateMessage({
      channel: CHANNEL,
      ts: posted.ts!,
      text: 'Merged',
      blocks: outcome,
    });
    assert.deepEqual(result, { updated: true });
    const messages = sim.messages(CHANNEL);
    assert.equal(messages.length, 1, 'no second message');
    assert.equal(messages[0]?.ts, posted.ts);
    assert.equal(messages[0]?.text, 'Merged');
    assert.deepEqual(
      messages[0]?.blocks.map((block) => block.type),
      ['section'],
    );
    assert.ok(messages[0]?.edited, 'marked edited');
  });

  it('keeps the blocks when an update leaves them out (Slack’s rule)', async () => {
    const posted = await slack.postMessage(gateCard());
    await slack.updateMessage({ channel: CHANNEL, ts: posted.ts!, text: 'new fallback' });
    const stored = sim.message(CHANNEL, posted.ts!);
    assert.equal(stored?.text, 'new fallback');
    assert.equal(stored?.blocks.length, 5);
  });

  describe('Slack errors become coded errors with the Slack code in fields', () => {
    it('channel_not_found → NOT_FOUND', async () => {
      await assert.rejects(
        slack.postMessage({ channel: 'C0NOPE', text: 'hello' }),
        coded('NOT_FOUND', (error) => {
          assert.equal(error.fields.slackError, 'channel_not_found');
          assert.equal(error.fields.channel, 'C0NOPE');
          assert.equal(error.fields.operation, 'chat.postMessage');
        }),
      );
      assert.equal(calls(sim, 'chat.postMessage').length, 1, 'not retried');
    });

    it('message_not_found on update → NOT_FOUND', async () => {
      await assert.rejects(
        slack.updateMessage({ channel: CHANNEL, ts: '1700000000.000100', text: 'x' }),
        coded('NOT_FOUND', (error) => assert.equal(error.fields.slackError, 'message_not_found')),
      );
    });

    it('invalid_auth → AUTH_INVALID, and the token is nowhere in the error', async () => {
      const wrongToken = 'xoxb-wrong-token-9876543210-zzzz';
      const wrong = createWebApiSlack({ ...FAST, token: new Secret(wrongToken), apiUrl: sim.apiUrl });
      const error = await wrong.postMessage({ channel: CHANNEL, text: 'hello' }).then(
        () => assert.fail('expected invalid_auth'),
        (caught: unknown) => caught,
      );
      coded('AUTH_INVALID', (e) => assert.equal(e.fields.slackError, 'invalid_auth'))(error);
      assertNoSecret(error, wrongToken);
      assert.equal(sim.messages().length, 0);
    });

    it('invalid_blocks → INPUT_INVALID', async () => {
      const tooLong = [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }];
      await assert.rejects(
        slack.postMessage({ channel: CHANNEL, text: 'x', blocks: tooLong }),
        coded('INPUT_INVALID', (error) => assert.equal(error.fields.slackError, 'invalid_blocks')),
      );
    });

    it('an unknown Slack code → SLACK_API_ERROR', async () => {
      const posted = await slack.postMessage({ text: 'via api' });
      assert.ok(posted.ts);
      // A status fault of 200 answers `{ ok: false, error: 'invalid_request' }`: a code with no special mapping.
      sim.server.addFault({ route: 'chat.update', kind: 'status', status: 200 });
      await assert.rejects(
        slack.updateMessage({ channel: CHANNEL, ts: posted.ts, text: 'x' }),
        coded('SLACK_API_ERROR', (error) => assert.equal(error.fields.slackError, 'invalid_request')),
      );
    });
  });

  describe('transport faults: recovered within bounds or a clear coded error, never a hang', () => {
    const impatient = () =>
      createWebApiSlack({
        ...FAST,
        timeoutMs: SHORT_TIMEOUT_MS,
        token: new Secret(BOT_TOKEN),
        apiUrl: sim.apiUrl,
        defaultChannel: CHANNEL,
      });

    it('429 with Retry-After: waits as long as Slack asks, then posts once', async () => {
      sim.server.addFault({ route: 'chat.postMessage', kind: 'status', status: 429, retryAfterSeconds: 1 });
      const started = Date.now();
      const posted = await slack.postMessage(gateCard());
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 950, `waited ${elapsed} ms, Slack asked for 1 s`);
      assert.ok(posted.ts);
      assert.deepEqual(
        calls(sim, 'chat.postMessage').map((entry) => entry.status),
        [429, 200],
      );
      assert.equal(sim.messages(CHANNEL).length, 1);
    });

    it('429 asking for longer than the retry budget: gives up at once with SERVICE_RETRIES_EXHAUSTED', async () => {
      sim.server.addFault({ route: 'chat.postMessage', kind: 'status', status: 429, retryAfterSeconds: 60 });
      const started = Date.now();
      await assert.rejects(
        slack.postMessage({ text: 'x' }),
        coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.status, 429)),
      );
      assert.ok(Date.now() - started < 1_000, 'did not sleep 60 s');
      // The next call inside Slack's window does not knock on a rate-limited Slack, nor sleep 60 s.
      await assert.rejects(
        slack.updateMessage({ channel: CHANNEL, ts: '1700000000.000100', text: 'x' }),
        coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.status, 429)),
      );
      assert.ok(Date.now() - started < 1_000, 'did not sleep 60 s');
      assert.equal(calls(sim, 'chat.update').length, 0);
    });

    it('503 on chat.postMessage: retried (Slack did not process it) and posted once', async () => {
      sim.server.addFault({ route: 'chat.postMessage', kind: 'status', status: 503 });
      const posted = await slack.postMessage({ text: 'x' });
      assert.ok(posted.ts);
      assert.equal(sim.messages(CHANNEL).length, 1);
    });

    it('500 on chat.postMessage: not repeated (it may have been posted), SERVICE_HTTP with the status', async () => {
      sim.server.addFault({ route: 'chat.postMessage', kind: 'status', status: 500 });
      await assert.rejects(
        slack.postMessage({ text: 'x' }),
        coded('SERVICE_HTTP', (error) => assert.equal(error.fields.status, 500)),
      );
      assert.equal(calls(sim, 'chat.postMessage').length, 1);
    });

    it('502 on chat.update: retried (an update is safe to repeat)', async () => {
      const posted = await slack.postMessage({ text: 'before' });
      sim.server.addFault({ route: 'chat.update', kind: 'status', status: 502 });
      await slack.updateMessage({ channel: CHANNEL, ts: posted.ts!, text: 'after' });
      assert.equal(sim.message(CHANNEL, posted.ts!)?.text, 'after');
    });

    it('503 that never ends: SERVICE_RETRIES_EXHAUSTED after the bounded attempts', async () => {
      sim.server.addFault({ route: 'chat.update', kind: 'status', status: 503, times: 100 });
      const posted = await slack.postMessage({ text: 'before' });
      await assert.rejects(
        slack.updateMessage({ channel: CHANNEL, ts: posted.ts!, text: 'after' }),
        coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.attempts, 3)),
      );
      assert.equal(calls(sim, 'chat.update').length, 3);
    });

    it('a delay past the timeout on chat.update: times out, retries, succeeds', async () => {
      const posted = await slack.postMessage({ text: 'before' });
      sim.server.addFault({ route: 'chat.update', kind: 'delay', delayMs: 600 });
      await impatient().updateMessage({ channel: CHANNEL, ts: posted.ts!, text: 'after' });
      assert.equal(sim.message(CHANNEL, posted.ts!)?.text, 'after');
      // The slow first attempt is logged when the simulator finally answers it.
      await eventually(
        () => calls(sim, 'chat.update').some((entry) => entry.fault === 'delay'),
        'the slow attempt is answered',
      );
      assert.equal(calls(sim, 'chat.update').length, 2);
    });

    it('a delay past the timeout on chat.postMessage: SERVICE_TIMEOUT, not re-sent (no duplicate card)', async () => {
      sim.server.addFault({ route: 'chat.postMessage', kind: 'delay', delayMs: 600 });
      await assert.rejects(
        impatient().postMessage({ text: 'x' }),
        coded('SERVICE_TIMEOUT', (error) => assert.equal(error.fields.timeoutMs, 300)),
      );
      await eventually(() => sim.messages(CHANNEL).length > 0, 'the slow post lands');
      assert.equal(calls(sim, 'chat.postMessage').length, 1, 'sent once');
      assert.equal(sim.messages(CHANNEL).length, 1, 'Slack posted it once, late');
    });

    it('a connection reset on chat.update: retried and applied', async () => {
      const posted = await slack.postMessage({ text: 'before' });
      sim.server.addFault({ route: 'chat.update', kind: 'reset' });
      await slack.updateMessage({ channel: CHANNEL, ts: posted.ts!, text: 'after' });
      assert.equal(sim.message(CHANNEL, posted.ts!)?.text, 'after');
    });

    it('a connection reset on chat.postMessage: SERVICE_NETWORK', async () => {
      sim.server.addFault({ route: 'chat.postMessage', kind: 'reset' });
      await assert.rejects(
        slack.postMessage({ text: 'x' }),
        coded('SERVICE_NETWORK', (error) => assert.ok(error.fields.networkCode)),
      );
    });

    it('a malformed body on chat.postMessage: SERVICE_MALFORMED', async () => {
      sim.server.addFault({ route: 'chat.postMessage', kind: 'malformed' });
      await assert.rejects(slack.postMessage({ text: 'x' }), coded('SERVICE_MALFORMED'));
    });

    it('a malformed body on chat.update: retried and applied', async () => {
      const posted = await slack.postMessage({ text: 'before' });
      sim.server.addFault({ route: 'chat.update', kind: 'malformed' });
      await slack.updateMessage({ channel: CHANNEL, ts: posted.ts!, text: 'after' });
      assert.equal(sim.message(CHANNEL, posted.ts!)?.text, 'after');
    });

    it('nothing listening: SERVICE_NETWORK within the bounds, token not in the message', async () => {
      await sim.stop();
      const error = await slack.postMessage({ text: 'x' }).then(
        () => assert.fail('expected a network error'),
        (caught: unknown) => caught,
      );
      coded('SERVICE_RETRIES_EXHAUSTED', (e) => assert.equal(e.fields.lastCode, 'SERVICE_NETWORK'))(error);
      assertNoSecret(error, BOT_TOKEN);
      sim = await startSim();
    });
  });
});

describe('adapters/slack web API: answers of the wrong shape (the answer schemas)', () => {
  let server: Server;
  let slack: Slack;
  /** What the stand-in Slack answers, by method. */
  let answers: Record<string, unknown>;

  beforeEach(async () => {
    answers = {};
    server = createServer((request, response) => {
      const method = (request.url ?? '').replace(/^\/api\//, '');
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answers[method] ?? { ok: false, error: 'unknown_method' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    slack = createWebApiSlack({
      ...FAST,
      token: new Secret(BOT_TOKEN),
      apiUrl: `http://127.0.0.1:${port}/api/`,
      defaultChannel: CHANNEL,
    });
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('chat.postMessage ok without a string ts: SERVICE_MALFORMED naming ts', async () => {
    answers['chat.postMessage'] = { ok: true, channel: CHANNEL, ts: 1712345678.000001 };
    await assert.rejects(
      slack.postMessage({ text: 'x' }),
      coded('SERVICE_MALFORMED', (error) => {
        assert.equal(error.fields.field, 'ts');
        assert.equal(error.fields.operation, 'chat.postMessage');
        assert.match(error.message, /ts: expected a string, got number/);
      }),
    );
    answers['chat.postMessage'] = { ok: true, ts: '1712345678.000001' };
    await assert.rejects(
      slack.postMessage({ text: 'x' }),
      coded('SERVICE_MALFORMED', (error) => assert.equal(error.fields.field, 'channel')),
    );
    answers['chat.postMessage'] = { ok: true, channel: CHANNEL, ts: '1712345678.000001', extra: 1 };
    assert.deepEqual(await slack.postMessage({ text: 'x' }), { channel: CHANNEL, ts: '1712345678.000001' });
  });

  it('users.info: the e-mail when given, none without the scope, SERVICE_MALFORMED for a wrong shape', async () => {
    answers['users.info'] = { ok: true, user: { id: 'U1', profile: { email: 'a@b.example' } } };
    assert.equal(await slack.userEmail!('U1'), 'a@b.example');
    answers['users.info'] = { ok: true, user: { id: 'U1', profile: {} } };
    assert.equal(await slack.userEmail!('U1'), undefined);
    answers['users.info'] = { ok: true, user: { id: 'U1', profile: { email: 'not-an-address' } } };
    assert.equal(await slack.userEmail!('U1'), undefined);
    answers['users.info'] = { ok: true, user: { id: 'U1', profile: { email: 42 } } };
    await assert.rejects(
      slack.userEmail!('U1'),
      coded('SERVICE_MALFORMED', (error) => assert.equal(error.fields.field, 'user.profile.email')),
    );
    answers['users.info'] = { ok: true };
    await assert.rejects(
      slack.userEmail!('U1'),
      coded('SERVICE_MALFORMED', (error) => assert.equal(error.fields.field, 'user')),
    );
  });
});
