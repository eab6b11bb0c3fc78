// The simulator's page in headless Chromium (the packaged browser, test/support/chromium.ts):
// pressing a button makes the simulator send a request that our verifier and parser accept.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
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
  type ReceivedRequest,
  SIGNING_SECRET,
  startInteractionsReceiver,
  startSim,
} from './slack-test-kit.ts';
import { launchChromium } from '../../support/chromium.ts';

describe('sandbox/sim/slack page in headless Chromium', function () {
  this.timeout(30_000);
  let browser: Browser;
  let page: Page;
  let sim: RunningSlackSimulator;
  let receiver: Awaited<ReturnType<typeof startInteractionsReceiver>>;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    receiver = await startInteractionsReceiver(200);
    sim = await startSim({ interactionsUrl: receiver.url });
    page = await browser.newPage();
  });
  afterEach(async () => {
    await page?.close();
    await sim.stop();
    await receiver.stop();
  });

  it('a button pressed on the page reaches the app as a verifiable block_actions request', async () => {
    const slack = createWebApiSlack({
      ...FAST,
      token: new Secret(BOT_TOKEN),
      apiUrl: sim.apiUrl,
      defaultChannel: CHANNEL,
    });
    const posted = await slack.postMessage(
      gateCard('Review passed for <img src=x onerror="window.pwned=1"> *payments*'),
    );
    await page.goto(`${sim.url}/channels/${CHANNEL}`);

    // Untrusted text is shown, not run.
    assert.equal(await page.locator('#messages img').count(), 0);
    assert.equal(await page.evaluate(() => (window as { pwned?: number }).pwned), undefined);
    await page.getByText('<img src=x onerror="window.pwned=1">', { exact: false }).waitFor();

    await page.selectOption('#user', 'U0RELMGR');
    const arrived = receiver.next();
    await page.getByRole('button', { name: 'Merge' }).click();
    const request: ReceivedRequest = await arrived;
    const nowSeconds = Math.floor(Date.now() / 1000);

    // Exactly what Slack sends: a signed form body holding the payload.
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    const timestamp = request.headers['x-slack-request-timestamp'];
    const signature = request.headers['x-slack-signature'];
    assert.ok(
      typeof timestamp === 'string' && Math.abs(Number(timestamp) - nowSeconds) <= 5,
      'a current timestamp',
    );
    const verify = (rawBody: Buffer | string, at: number) =>
      verifySlackSignature({
        signingSecret: new Secret(SIGNING_SECRET),
        timestamp,
        signature,
        rawBody,
        nowSeconds: at,
      });
    assert.deepEqual(verify(request.rawBody, nowSeconds), { ok: true });

    const payload = parseBlockActions(request.rawBody);
    assert.equal(payload.action.actionId, 'gate.merge.approve');
    assert.equal(payload.action.value, 'decision-1:nonce-a');
    assert.equal(payload.action.type, 'button');
    assert.deepEqual([payload.user.id, payload.user.username], ['U0RELMGR', 'release.manager']);
    assert.deepEqual([payload.channel.id, payload.message.ts], [CHANNEL, posted.ts]);
    assert.match(payload.responseUrl, new RegExp(`^${sim.url}/actions/`));

    // Replays of that request with a changed body or a shifted clock are refused.
    const tampered = request.rawBody.toString().replace('decision-1', 'decision-2');
    assert.notEqual(tampered, request.rawBody.toString());
    assert.deepEqual(verify(tampered, nowSeconds), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verify(request.rawBody, Number(timestamp) + 301), { ok: false, reason: 'stale' });
    assert.deepEqual(verify(request.rawBody, Number(timestamp) - 301), { ok: false, reason: 'future' });

    // The page shows the delivery and the app's answer.
    await page
      .locator('#deliveries tr[data-delivery="1"] .status', { hasText: '200' })
      .waitFor({ timeout: 5_000 });
    assert.match((await page.locator('#status').textContent()) ?? '', /app answered 200/);
    assert.equal(sim.deliveries()[0]?.userId, 'U0RELMGR');
  });

  it('shows a chat.update in place, without a reload', async () => {
    const slack = createWebApiSlack({
      ...FAST,
      token: new Secret(BOT_TOKEN),
      apiUrl: sim.apiUrl,
      defaultChannel: CHANNEL,
    });
    const posted = await slack.postMessage(gateCard());
    await page.goto(`${sim.url}/channels/${CHANNEL}`);
    await page.getByRole('button', { name: 'Merge' }).waitFor();
    await page.evaluate(() => {
      (window as { marker?: string }).marker = 'same page';
    });

    await slack.updateMessage({
      channel: CHANNEL,
      ts: posted.ts!,
      text: 'Merged',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: Merged by release.manager' } },
      ],
    });
    const message = page.locator(`[id="m-${posted.ts}"]`);
    await message.getByText('Merged by release.manager').waitFor({ timeout: 5_000 });
    assert.match((await message.textContent()) ?? '', /\(edited\)/);
    assert.equal(await page.getByRole('button', { name: 'Merge' }).count(), 0, 'the buttons are gone');
    assert.equal(await page.locator('#messages article').count(), 1);
    assert.equal(await page.evaluate(() => (window as { marker?: string }).marker), 'same page', 'no reload');

    // A new message appears too.
    await slack.postMessage({ text: 'Release 1.4.0 is on staging' });
    await page.getByText('Release 1.4.0 is on staging').waitFor({ timeout: 5_000 });
  });
});
