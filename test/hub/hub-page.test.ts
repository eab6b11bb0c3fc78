// The hub page in headless Chromium: the standalone build (HUB_SDK=standalone) served by
// sandbox/hub-server.ts, which forwards /api to the function app's real routes over the memory store
// seeded with fixtures.ts (test/hub/hub-app.ts). Each tab shows the seeded records as the app sends
// them; a gate answered from the hub sends the right request, the app records it, and the list refreshes; an already-decided answer, an unreachable
// function app and Settings behave as people expect; the dark theme renders. Screenshots of each tab
// go to test-output/hub-screenshots/ (git-ignored); the README's docs/images/hub-releases.png is
// written when missing or with UPDATE_GOLDEN=1.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type HubServer, startHubServer } from '../../sandbox/hub-server.ts';
import { freePort } from '../../sandbox/ports.ts';
import type { CallerStatus } from '../../core/views.ts';
import { buildHub } from '../../scripts/build.ts';
import { HUB_USER, type HubApp, SLACK_USER, startHubApp } from './hub-app.ts';
import { launchChromium } from '../support/chromium.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const SCREENSHOTS = join(repoRoot, 'test-output', 'hub-screenshots');
const README_IMAGE = join(repoRoot, 'docs', 'images', 'hub-releases.png');
const VIEWPORT = { width: 1180, height: 760 };

describe('hub page (headless Chromium)', function () {
  this.timeout(30_000);
  let outDir: string;
  let api: HubApp;
  let hub: HubServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'hub-standalone-'));
    await buildHub({ sdk: 'standalone', outDir });
    api = await startHubApp();
    hub = await startHubServer({
      apiUrl: api.url,
      appToken: api.token,
      root: outDir,
      hostName: 'acme',
      projectName: 'Payments',
      projectUrl: 'https://dev.azure.com/acme/Payments',
    });
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await hub?.stop();
    await api?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  // A fresh browser context per test: its own localStorage (the stand-in's settings).
  beforeEach(async () => {
    // A fixed locale and time zone: the same text and pictures on every machine.
    context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US', timezoneId: 'UTC' });
    context.setDefaultTimeout(5_000);
    page = await context.newPage();
    page.on('pageerror', (error) => assert.fail(`the page threw: ${error.message}`));
  });

  afterEach(async () => {
    await context?.close();
  });

  async function screenshot(name: string): Promise<string> {
    const file = join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    console.log(`    screenshot: ${file.slice(repoRoot.length + 1)}`);
    return file;
  }

  async function openTab(tab: string): Promise<void> {
    await page.goto(`${hub.url}#${tab}`);
    await page.getByRole('tab', { name: tab[0]!.toUpperCase() + tab.slice(1) }).waitFor();
  }

  const card = (className: string, text: string) => page.locator(`.${className}`, { hasText: text });

  it('Releases: one card per repo with its staging release and its last release', async () => {
    await openTab('releases');
    const payments = card('ra-repo-card', 'payments-api');
    await payments.getByText('ALLPOST-4028').waitFor();
    for (const text of [
      '1.4.0',
      'ALLPOST-4031',
      'Login page remembers the last organisation',
      'PR #101',
      'PR #105',
      '1.3.0',
    ]) {
      assert.ok(
        await payments.getByText(text, { exact: true }).first().isVisible(),
        `payments-api shows ${text}`,
      );
    }
    const billing = card('ra-repo-card', 'billing-worker');
    assert.ok(await billing.getByText('0.9.3', { exact: true }).isVisible());
    assert.ok(await billing.getByText('ALLPOST-4040').isVisible());
    // No staging release, but an archived one: known from its review and decision.
    const analyser = card('ra-repo-card', 'document-analyser');
    assert.ok(await analyser.getByText('Nothing on staging').isVisible());
    assert.ok(await analyser.getByText('2.0.1', { exact: true }).isVisible());
    // Links: tickets to Jira (the site from the gate cards' details is not used here), PRs to Azure DevOps.
    assert.equal(
      await payments.getByRole('link', { name: 'PR #101' }).getAttribute('href'),
      'https://dev.azure.com/acme/Payments/_git/payments-api/pullrequest/101',
    );
    assert.ok(await page.getByText('acme / Payments').isVisible(), 'the header names the host context');
    const file = await screenshot('releases-light');
    // The README's picture is checked in: written when missing, rewritten with UPDATE_GOLDEN=1 (its
    // header names a random port, so rewriting it on every run would only churn).
    if (!existsSync(README_IMAGE) || process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(join(repoRoot, 'docs', 'images'), { recursive: true });
      copyFileSync(file, README_IMAGE);
      console.log(`    README image: ${README_IMAGE.slice(repoRoot.length + 1)}`);
    }
  });

  it('History: archived releases with tickets, notes and who answered each gate', async () => {
    await openTab('history');
    const payments = card('ra-history-card', 'payments-api');
    await payments.getByText('Dana Reyes').first().waitFor();
    for (const text of [
      '1.3.0',
      '1.2.0',
      'ALLPOST-3990',
      'by Omar Haddad',
      'v1.3.0',
      'Gate 2 · Create the release pull request',
    ]) {
      assert.ok(await payments.getByText(text, { exact: true }).first().isVisible(), `history shows ${text}`);
    }
    assert.ok(
      await payments.getByText('- ALLPOST-3990 Card tokens rotate monthly', { exact: false }).isVisible(),
      'notes',
    );
    const analyser = card('ra-history-card', 'document-analyser');
    assert.ok(await analyser.getByText('Lena Park').isVisible());
    assert.ok(await analyser.getByText('rejected', { exact: true }).isVisible());
    assert.equal(await card('ra-history-card', 'billing-worker').count(), 0, 'no history, no card');
    await screenshot('history-light');
  });

  it('Reviews: PR, verdict, findings, cost and a link to the PR', async () => {
    await openTab('reviews');
    await page.getByText('Show the refund reason on receipts', { exact: false }).first().waitFor();
    for (const text of ['Approve', 'Needs human review', '$0.420', '$0.130', '$1.05']) {
      assert.ok(await page.getByText(text, { exact: true }).first().isVisible(), `reviews show ${text}`);
    }
    // Each PR's total over its reviews (two pushes of PR 107: $0.42 + $0.13).
    assert.equal(await page.getByText('$0.550', { exact: true }).count(), 2);
    assert.equal(await page.getByText('$0.610', { exact: true }).count(), 2, 'one review: cost and total');
    assert.equal(
      await page
        .getByRole('link', { name: 'PR #107: Show the refund reason on receipts' })
        .first()
        .getAttribute('href'),
      'https://dev.azure.com/acme/Payments/_git/payments-api/pullrequest/107',
    );
    await screenshot('reviews-light');
  });

  it('Decisions: all five gates with the Slack buttons; a confirmed click sends the decision and refreshes', async () => {
    await openTab('decisions');
    await page.getByText('Gate 1 · Merge the pull request').waitFor();
    const titles = [
      'Gate 1 · Merge the pull request',
      'Gate 2 · Create the release pull request',
      'Gate 3 · Merge the release pull request',
      'Gate 4 · Run the CI/CD pipelines',
      'Gate 5 · Approve the deployment stage',
    ];
    for (const title of titles) assert.ok(await page.getByText(title).isVisible(), title);
    const buttons = async (title: string) =>
      (await card('ra-decision-card', title).locator('.ra-decision-buttons button').allTextContents()).map(
        (text) => text.trim(),
      );
    assert.deepEqual(await buttons('Gate 1'), ['Merge', 'Cancel']);
    assert.deepEqual(await buttons('Gate 2'), ['Create', 'Cancel']);
    assert.deepEqual(await buttons('Gate 3'), ['Merge', 'Cancel']);
    assert.deepEqual(await buttons('Gate 4'), ['Trigger', 'Skip']);
    assert.deepEqual(await buttons('Gate 5'), ['Approve', 'Skip']);
    const gate1 = card('ra-decision-card', 'Gate 1');
    for (const text of [
      'Priya Nair',
      'ALLPOST-4033',
      'a1b2c3d',
      'feature/ALLPOST-4033_refund-reason → develop',
      '$0.420',
    ]) {
      assert.ok(await gate1.getByText(text, { exact: true }).isVisible(), `gate 1 shows ${text}`);
    }
    assert.equal(
      await gate1.getByRole('link', { name: 'ALLPOST-4033' }).getAttribute('href'),
      'https://billolife.atlassian.net/browse/ALLPOST-4033',
    );
    // Gates 3–5: each card's own facts, as the app sent them.
    assert.equal(
      await card('ra-decision-card', 'Gate 3')
        .getByRole('link', { name: 'PR #110: Release payments-api 1.4.0' })
        .getAttribute('href'),
      'https://dev.azure.com/acme/Payments/_git/payments-api/pullrequest/110',
    );
    const gate4 = card('ra-decision-card', 'Gate 4');
    for (const text of ['1.4.0', 'payments-api-ci', 'payments-api-cd']) {
      assert.ok(await gate4.getByText(text, { exact: true }).isVisible(), `gate 4 shows ${text}`);
    }
    const gate5 = card('ra-decision-card', 'Gate 5');
    for (const text of ['2.1.0', 'production', 'May 8, 2026, 9:20 AM']) {
      assert.ok(await gate5.getByText(text, { exact: true }).isVisible(), `gate 5 shows ${text}`);
    }
    // A link fact: the run, worded as on the Slack card.
    assert.equal(
      await gate5.getByRole('link', { name: 'Pipeline run' }).getAttribute('href'),
      'https://dev.azure.com/acme/Payments/_build/results?buildId=204',
    );
    await screenshot('decisions-light');

    // Back out of the confirmation first: nothing is sent.
    const before = api.requests.length;
    await gate1.getByRole('button', { name: 'Merge' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('PR #107 in payments-api', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Back' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(api.requests.filter((request) => request.method === 'POST').length, 0, 'Back sends nothing');

    await gate1.getByRole('button', { name: 'Merge' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm Merge' }).click();
    await page.getByText('Merged: gate 1 for payments-api is decided', { exact: false }).waitFor();
    const posts = api.requests.slice(before).filter((request) => request.method === 'POST');
    assert.deepEqual(posts, [
      {
        method: 'POST',
        path: '/api/approvals/pr-payments-api-107',
        authorization: `Bearer ${api.token}`,
        body: { action: 'merge', decisionId: 'dec-merge-107' },
      },
    ]);
    // The function app recorded the answer as the hub user's, from the hub.
    const stored = await api.store.decisions.get('dec-merge-107');
    assert.equal(stored?.status, 'approved');
    assert.equal(stored?.decidedBy, HUB_USER);
    assert.equal(stored?.decidedVia, 'hub');
    // The list was read again and the answered gate is gone.
    await gate1.waitFor({ state: 'detached' });
    assert.ok(
      api.requests.slice(before).filter((request) => request.path === '/api/approvals/pending').length >= 1,
    );
    assert.equal(await page.locator('.ra-decision-card').count(), 4);
  });

  it('Decisions: a gate answered meanwhile in Slack says who decided it', async () => {
    await openTab('decisions');
    const gate2 = card('ra-decision-card', 'Gate 2');
    await gate2.waitFor();
    await api.decideElsewhere('dec-create-billing-093', SLACK_USER);
    await gate2.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm Create' }).click();
    await page
      .getByText(`gate 2 for billing-worker: already decided by ${SLACK_USER} (approved via slack)`)
      .waitFor();
    await gate2.waitFor({ state: 'detached' });
    const post = api.requests.filter((request) => request.method === 'POST').at(-1);
    assert.deepEqual(post?.body, { action: 'create', decisionId: 'dec-create-billing-093' });
  });

  it('Settings: the connection test reports success and failure; a saved URL is used by every tab', async () => {
    await openTab('settings');
    const url = page.getByRole('textbox', { name: 'Function app URL' });
    assert.equal(await url.inputValue(), hub.apiUrl, 'defaults to the page server');
    await page.getByRole('button', { name: 'Test connection' }).click();
    // What the function app itself reports to this token (no Azure DevOps, Slack or Jira behind it).
    const status = (await (
      await fetch(`${api.url}/api/status`, { headers: { authorization: `Bearer ${api.token}` } })
    ).json()) as CallerStatus;
    assert.equal(status.status, 'degraded');
    assert.ok(status.problems.length > 0);
    await page
      .getByText(`Connected to ${hub.apiUrl}: status degraded; problems: ${status.problems.join('; ')}`)
      .waitFor();
    await screenshot('settings-light');

    const closed = `http://127.0.0.1:${await freePort()}`;
    await url.fill(closed);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page
      .locator('.ra-settings-outcome', { hasText: 'function app not reachable: check Settings' })
      .waitFor();

    await url.fill('ftp://example.net');
    assert.ok(await page.getByText('an http(s) URL', { exact: false }).isVisible(), 'a bad URL is named');
    assert.ok(await page.getByRole('button', { name: 'Save' }).isDisabled());

    await url.fill(closed);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`Saved: the hub now uses ${closed}.`).waitFor();
    // Kept across a reload (the stand-in keeps settings in localStorage), and used by the tabs.
    await page.goto(`${hub.url}#releases`);
    await page.reload();
    await page.getByText('function app not reachable: check Settings').waitFor();
    assert.ok(await page.getByText(`function app: ${closed}`).isVisible());
    await screenshot('releases-unreachable');
    await page.getByRole('button', { name: 'Open Settings' }).click();
    assert.equal(await url.inputValue(), closed);
  });

  it('Settings: a Jira site makes the ticket keys of every tab links', async () => {
    await openTab('settings');
    await page.getByRole('textbox', { name: 'Jira site URL' }).fill('https://billolife.atlassian.net/');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved:', { exact: false }).waitFor();
    await page.getByRole('tab', { name: 'Releases' }).click();
    const link = card('ra-repo-card', 'payments-api').getByRole('link', { name: 'ALLPOST-4028' });
    assert.equal(await link.getAttribute('href'), 'https://billolife.atlassian.net/browse/ALLPOST-4028');
    assert.equal(await link.getAttribute('target'), '_blank');
  });

  it('shows a refused app token as such, not as an empty list', async () => {
    await page.goto(`${hub.url}?token=not-the-token#decisions`);
    await page.getByText('the function app refused the request (401)', { exact: false }).waitFor();
    assert.equal(await page.locator('.ra-decision-card').count(), 0);
    await page.getByRole('tab', { name: 'Releases' }).click();
    await page.locator('.ra-notice', { hasText: 'the function app refused the request (401)' }).waitFor();
    assert.equal(await page.getByText('No releases yet').count(), 0);
  });

  it('renders the dark theme, and switches back to light', async () => {
    await page.goto(`${hub.url}?theme=dark#releases`);
    await card('ra-repo-card', 'payments-api').getByText('ALLPOST-4028').waitFor();
    const background = () =>
      page.evaluate(() => getComputedStyle(document.querySelector('.bolt-page') as Element).backgroundColor);
    const brightness = (color: string) => {
      const [r = 0, g = 0, b = 0] = (color.match(/\d+/g) ?? []).map(Number);
      return (r + g + b) / 3;
    };
    assert.ok(brightness(await background()) < 60, `dark page background, got ${await background()}`);
    const text = await page.evaluate(
      () => getComputedStyle(document.querySelector('.ra-repo-card') as Element).color,
    );
    assert.ok(brightness(text) > 180, `light text on dark, got ${text}`);
    await screenshot('releases-dark');
    await page.getByRole('menuitem', { name: 'Light theme' }).click();
    assert.ok(brightness(await background()) > 200, `light again, got ${await background()}`);
    assert.ok(await page.getByRole('menuitem', { name: 'Dark theme' }).isVisible());
  });
});
