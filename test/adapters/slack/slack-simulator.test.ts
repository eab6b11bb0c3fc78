import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWebApiSlack } from '../../../adapters/slack/web-api-slack.ts';
import { Secret } from '../../../core/secret.ts';
import { parseBlockActions } from '../../../core/slack-interaction.ts';
import { verifySlackSignature } from '../../../core/slack-signature.ts';
import type { RunningSlackSimulator } from '../../../sandbox/sim/slack/slack-simulator.ts';
import {
  BOT_TOKEN,
  CHANNEL,
  FAST,
  gateCard,
  SIGNING_SECRET,
  startInteractionsReceiver,
  startSim,
} from './slack-test-kit.ts';

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

const json = (body: unknown, token?: string) => ({
  method: 'POST',
  headers: {
    'content-type': 'application/json; charset=utf-8',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  },
  body: JSON.stringify(body),
});

/** The parts of Slack's answers these tests read. */
interface ApiBody {
  ok: boolean;
  error?: string;
  errors?: string[];
  channel?: string;
  ts?: string;
  text?: string;
  user_id?: string;
  message?: { ts: string; blocks: { type: string; block_id?: string }[]; edited?: { user: string } };
}

async function api(
  sim: RunningSlackSimulator,
  method: string,
  init: RequestInit,
): Promise<{ status: number; body: ApiBody; headers: Headers }> {
  const response = await fetch(`${sim.apiUrl}${method}`, init);
  return { status: response.status, body: (await response.json()) as ApiBody, headers: response.headers };
}

describe('sandbox/sim/slack protocol', function () {
  this.timeout(8_000);
  let sim: RunningSlackSimulator;

  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(async () => {
    await sim.stop();
  });

  describe('Web API', () => {
    it('accepts a form body with the token as a field and blocks as a JSON string', async () => {
      const { body } = await api(
        sim,
        'chat.postMessage',
        form({
          token: BOT_TOKEN,
          channel: CHANNEL,
          text: 'hi',
          blocks: JSON.stringify([{ type: 'divider' }]),
        }),
      );
      assert.equal(body.ok, true);
      assert.equal(body.channel, CHANNEL);
      assert.match(body.ts ?? '', /^\d{10}\.\d{6}$/);
      assert.equal(body.message?.ts, body.ts);
      assert.equal(body.message?.blocks[0]?.type, 'divider');
      assert.ok(body.message?.blocks[0]?.block_id, 'Slack gives a block without block_id a generated one');
    });

    it('accepts a JSON body with a bearer token, and a channel given by #name', async () => {
      const { body } = await api(
        sim,
        'chat.postMessage',
        json({ channel: '#releases', text: 'hi', blocks: [{ type: 'divider' }] }, BOT_TOKEN),
      );
      assert.equal(body.ok, true);
      assert.equal(body.channel, CHANNEL);
    });

    it('answers not_authed without a token (a token inside a JSON body does not count) and invalid_auth for a wrong one', async () => {
      assert.deepEqual((await api(sim, 'chat.postMessage', json({ channel: CHANNEL, text: 'x' }))).body, {
        ok: false,
        error: 'not_authed',
      });
      assert.deepEqual(
        (await api(sim, 'chat.postMessage', json({ token: BOT_TOKEN, channel: CHANNEL, text: 'x' }))).body,
        {
          ok: false,
          error: 'not_authed',
        },
      );
      assert.deepEqual(
        (await api(sim, 'chat.postMessage', json({ channel: CHANNEL, text: 'x' }, 'xoxb-wrong'))).body,
        {
          ok: false,
          error: 'invalid_auth',
        },
      );
      assert.equal(sim.messages().length, 0);
    });

    it('answers Slack’s codes for bad arguments', async () => {
      const post = async (fields: Record<string, string>) =>
        (await api(sim, 'chat.postMessage', form({ token: BOT_TOKEN, ...fields }))).body.error;
      assert.equal(await post({ channel: 'C0NOPE', text: 'x' }), 'channel_not_found');
      assert.equal(await post({ channel: CHANNEL }), 'no_text');
      assert.equal(await post({ channel: CHANNEL, text: 'x', blocks: '[{"type":' }), 'invalid_blocks_format');
      assert.equal(await post({ channel: CHANNEL, text: 'x'.repeat(40_001) }), 'msg_too_long');
      const invalid = await api(
        sim,
        'chat.postMessage',
        form({
          token: BOT_TOKEN,
          channel: CHANNEL,
          text: 'x',
          blocks: '[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]',
        }),
      );
      assert.equal(invalid.body.error, 'invalid_blocks');
      assert.match(invalid.body.errors?.[0] ?? '', /json-pointer:\/blocks\/0\/text/);
      const update = await api(
        sim,
        'chat.update',
        form({ token: BOT_TOKEN, channel: CHANNEL, ts: '1700000000.000100', text: 'x' }),
      );
      assert.equal(update.body.error, 'message_not_found');
    });

    it('chat.update answers like Slack and keeps the ts', async () => {
      const posted = (
        await api(sim, 'chat.postMessage', form({ token: BOT_TOKEN, channel: CHANNEL, text: 'before' }))
      ).body;
      const updated = (
        await api(
          sim,
          'chat.update',
          form({ token: BOT_TOKEN, channel: CHANNEL, ts: posted.ts ?? '', text: 'after' }),
        )
      ).body;
      assert.deepEqual(
        { ok: updated.ok, channel: updated.channel, ts: updated.ts, text: updated.text },
        { ok: true, channel: CHANNEL, ts: posted.ts, text: 'after' },
      );
      assert.equal(updated.message?.edited?.user, 'U0RELEASEBOT');
    });

    it('auth.test answers for the bot', async () => {
      const { body } = await api(sim, 'auth.test', form({ token: BOT_TOKEN }));
      assert.equal(body.ok, true);
      assert.equal(body.user_id, 'U0RELEASEBOT');
    });

    it('a configured rate limit answers 429 with Retry-After, per channel', async () => {
      sim.setRateLimit({ limit: 2, windowMs: 60_000 });
      const post = () =>
        api(sim, 'chat.postMessage', form({ token: BOT_TOKEN, channel: CHANNEL, text: 'x' }));
      assert.equal((await post()).status, 200);
      assert.equal((await post()).status, 200);
      const limited = await post();
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.body, { ok: false, error: 'ratelimited' });
      assert.ok(Number(limited.headers.get('retry-after')) >= 59);
      assert.equal(sim.messages(CHANNEL).length, 2);
    });

    it('a 429 injected over HTTP at /_sim/faults carries Retry-After and Slack’s error body', async () => {
      const added = await fetch(
        `${sim.url}/_sim/faults`,
        json({ route: 'chat.postMessage', kind: 'status', status: 429, retryAfterSeconds: 7 }),
      );
      assert.equal(added.status, 201);
      const limited = await api(
        sim,
        'chat.postMessage',
        form({ token: BOT_TOKEN, channel: CHANNEL, text: 'x' }),
      );
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '7');
      assert.deepEqual(limited.body, { ok: false, error: 'ratelimited' });
    });
  });

  describe('incoming webhook', () => {
    const hook = (init: RequestInit) =>
      fetch(sim.webhookUrl, init).then(async (response) => ({
        status: response.status,
        text: await response.text(),
      }));

    it('answers ok as text and posts to its channel', async () => {
      assert.deepEqual(await hook(json({ text: 'deployed' })), { status: 200, text: 'ok' });
      assert.equal(sim.messages(CHANNEL)[0]?.text, 'deployed');
    });

    it('accepts the legacy form body payload=<json>', async () => {
      assert.deepEqual(await hook(form({ payload: JSON.stringify({ text: 'legacy' }) })), {
        status: 200,
        text: 'ok',
      });
    });

    it('answers 400 invalid_payload, 400 no_text, 403 invalid_token, 404 no_service', async () => {
      assert.deepEqual(
        await hook({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' }),
        { status: 400, text: 'invalid_payload' },
      );
      assert.deepEqual(await hook(json({ text: '' })), { status: 400, text: 'no_text' });
      const wrongSecret = await fetch(sim.webhookUrl.replace(/XXXX$/, 'YYYY'), json({ text: 'x' }));
      assert.deepEqual([wrongSecret.status, await wrongSecret.text()], [403, 'invalid_token']);
      const wrongTeam = await fetch(sim.webhookUrl.replace('T000', 'T999'), json({ text: 'x' }));
      assert.deepEqual([wrongTeam.status, await wrongTeam.text()], [404, 'no_service']);
      assert.equal(sim.messages().length, 0);
    });
  });

  describe('button presses', () => {
    it('click() sends a signed block_actions request our verifier accepts, and records the app’s answer', async () => {
      const receiver = await startInteractionsReceiver(200);
      try {
        sim.setInteractionsUrl(receiver.url);
        const slack = createWebApiSlack({
          ...FAST,
          token: new Secret(BOT_TOKEN),
          apiUrl: sim.apiUrl,
          defaultChannel: CHANNEL,
        });
        const posted = await slack.postMessage(gateCard());
        const arrived = receiver.next();
        const delivery = await sim.click({
          channel: CHANNEL,
          ts: posted.ts!,
          actionId: 'gate.merge.cancel',
          userId: 'U0QA',
        });
        const request = await arrived;

        assert.equal(request.method, 'POST');
        assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
        assert.match(request.rawBody.toString(), /^payload=/);
        const verdict = verifySlackSignature({
          signingSecret: SIGNING_SECRET,
          timestamp: request.headers['x-slack-request-timestamp'],
          signature: request.headers['x-slack-signature'],
          rawBody: request.rawBody,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
        assert.deepEqual(verdict, { ok: true });
        const payload = parseBlockActions(request.rawBody);
        assert.equal(payload.action.actionId, 'gate.merge.cancel');
        assert.equal(payload.action.value, 'decision-1:nonce-a');
        assert.equal(payload.action.blockId, 'gate');
        assert.deepEqual([payload.user.id, payload.user.username], ['U0QA', 'qa.tester']);
        assert.deepEqual(
          [payload.channel.id, payload.message.ts, payload.container.messageTs],
          [CHANNEL, posted.ts, posted.ts],
        );
        assert.equal(payload.message.blocks.length, 5);

        assert.equal(delivery.status, 200);
        assert.equal(delivery.error, undefined);
        assert.equal(sim.deliveries().length, 1);

        // The response_url in the payload replaces the original message, through our adapter.
        await slack.respond(payload.responseUrl, {
          text: 'Cancelled by qa.tester',
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Cancelled' } }],
        });
        const replaced = sim.message(CHANNEL, posted.ts!);
        assert.equal(replaced?.text, 'Cancelled by qa.tester');
        assert.ok(replaced?.edited);
        assert.equal(sim.messages(CHANNEL).length, 1);
        // A non-replacing reply is a new, ephemeral message.
        await slack.respond(payload.responseUrl, { text: 'Only you see this', replaceOriginal: false });
        assert.equal(sim.messages(CHANNEL)[1]?.ephemeral, true);
      } finally {
        await receiver.stop();
      }
    });

    it('records what the app answered when it refuses (401) and when nothing is configured', async () => {
      const receiver = await startInteractionsReceiver(401);
      try {
        const slack = createWebApiSlack({
          ...FAST,
          token: new Secret(BOT_TOKEN),
          apiUrl: sim.apiUrl,
          defaultChannel: CHANNEL,
        });
        const posted = await slack.postMessage(gateCard());
        const unsent = await sim.click({ channel: CHANNEL, ts: posted.ts!, actionId: 'gate.merge.approve' });
        assert.equal(unsent.status, undefined);
        assert.match(unsent.error ?? '', /no interactions URL/);
        sim.setInteractionsUrl(receiver.url);
        const refused = await sim.click({ channel: CHANNEL, ts: posted.ts!, actionId: 'gate.merge.approve' });
        assert.equal(refused.status, 401);
        assert.match(refused.error ?? '', /401/);
        assert.equal(refused.userId, 'U0SANDBOX', 'the default user clicks');
        assert.deepEqual(
          sim.deliveries().map((d) => d.status),
          [undefined, 401],
        );
      } finally {
        await receiver.stop();
      }
    });

    it('refuses a click on a button that is not there', async () => {
      const slack = createWebApiSlack({
        ...FAST,
        token: new Secret(BOT_TOKEN),
        apiUrl: sim.apiUrl,
        defaultChannel: CHANNEL,
      });
      const posted = await slack.postMessage(gateCard());
      await assert.rejects(
        sim.click({ channel: CHANNEL, ts: posted.ts!, actionId: 'nope' }),
        /no button with action_id nope/,
      );
      await assert.rejects(
        sim.click({ channel: CHANNEL, ts: '1.000100', actionId: 'gate.merge.approve' }),
        /no message/,
      );
    });
  });

  describe('page', () => {
    it('renders blocks as escaped text with real buttons', async () => {
      const slack = createWebApiSlack({
        ...FAST,
        token: new Secret(BOT_TOKEN),
        apiUrl: sim.apiUrl,
        defaultChannel: CHANNEL,
      });
      await slack.postMessage(
        gateCard('<script>alert(1)</script> &lt;b&gt; *bold* <https://dev.azure.com/x|PR 42>'),
      );
      const html = await (await fetch(`${sim.url}/channels/${CHANNEL}`)).text();
      assert.ok(!html.includes('<script>alert(1)</script>'), 'no markup from message text');
      assert.ok(html.includes('&lt;b&gt;'), 'Slack-escaped text shown as the characters it stands for');
      assert.ok(html.includes('<b>bold</b>'));
      assert.ok(html.includes('<a href="https://dev.azure.com/x"'));
      assert.match(
        html,
        /<button type="button" class="btn primary" data-ts="[\d.]+" data-action-id="gate.merge.approve"/,
      );
      const state = await (await fetch(`${sim.url}/ui/channels/${CHANNEL}/state?since=-1`)).json();
      assert.equal(state.messages.length, 1);
      const again = await (
        await fetch(`${sim.url}/ui/channels/${CHANNEL}/state?since=${state.version}`)
      ).json();
      assert.equal(again.unchanged, true);
    });
  });

  describe('page: mrkdwn as Slack shows it', () => {
    it('renders bold, italics, strike, code, links, mentions by name and emoji shortcodes; no markup from text', async () => {
      const slack = createWebApiSlack({
        ...FAST,
        token: new Secret(BOT_TOKEN),
        apiUrl: sim.apiUrl,
        defaultChannel: CHANNEL,
      });
      await slack.postMessage(
        gateCard(
          ':white_check_mark: _staged_ ~old~ `v1.4.0` by <@U0RELMGR> for <https://jira.example/browse/A-1|A-1> :not_an_emoji: <img src=x onerror=alert(1)>',
        ),
      );
      // A message without blocks: its text is mrkdwn too.
      await slack.postMessage({ text: '*Released* payments :rocket: (1 ticket)' });
      const html = await (await fetch(`${sim.url}/channels/${CHANNEL}`)).text();
      assert.ok(html.includes('✅ <i>staged</i> <s>old</s> <code>v1.4.0</code>'), html);
      assert.ok(html.includes('<span class="mention">@Release Manager</span>'), 'a mention shows the name');
      assert.ok(html.includes('<a href="https://jira.example/browse/A-1"'));
      assert.ok(html.includes(':not_an_emoji:'), 'an unknown shortcode stays as typed');
      assert.ok(!html.includes('<img'), 'no markup from message text');
      assert.ok(html.includes('<b>Released</b> payments 🚀 (1 ticket)'));
      assert.ok(!html.includes('*Released*'), 'no asterisks shown');
    });
  });

  describe('command line', () => {
    it('starts on the given port with the signing secret read from the named environment variable', async function () {
      this.timeout(15_000);
      const receiver = await startInteractionsReceiver(200);
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'sandbox/sim/slack/main.ts',
          '--port',
          '0',
          '--interactions-url',
          receiver.url,
          '--signing-secret-env',
          'TEST_SIM_SIGNING',
        ],
        {
          env: { ...process.env, TEST_SIM_SIGNING: SIGNING_SECRET, SLACK_BOT_TOKEN: BOT_TOKEN },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let output = '';
          child.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            const match = /slack simulator: (http:\/\/[\d.:]+)\//.exec(output);
            if (match) resolve(match[1]!);
          });
          child.once('exit', (code) => reject(new Error(`the simulator exited with ${code}: ${output}`)));
        });
        const posted = await (
          await fetch(
            `${url}/api/chat.postMessage`,
            form({
              token: BOT_TOKEN,
              channel: CHANNEL,
              text: 'x',
              blocks: JSON.stringify(gateCard().blocks),
            }),
          )
        ).json();
        const arrived = receiver.next();
        const click = await fetch(
          `${url}/ui/click`,
          json({ channel: CHANNEL, ts: posted.ts, actionId: 'gate.merge.approve' }),
        );
        assert.equal((await click.json()).status, 200);
        const request = await arrived;
        const verdict = verifySlackSignature({
          signingSecret: SIGNING_SECRET,
          timestamp: request.headers['x-slack-request-timestamp'],
          signature: request.headers['x-slack-signature'],
          rawBody: request.rawBody,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
        assert.deepEqual(verdict, { ok: true });
      } finally {
        child.kill('SIGTERM');
        await receiver.stop();
      }
    });
  });
});
