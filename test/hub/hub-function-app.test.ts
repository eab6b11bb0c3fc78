// The hub page against the real function app (sandbox/functions-host.ts over the sandbox stack), served
// standalone by sandbox/hub-server.ts with an app token signed by the extension certificate, as Azure
// DevOps signs it. Deciding gate 1 from the hub is the same single-shot decision as a Slack click: the
// store records it (via the hub, by the token's user) and the Slack card is updated in place.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type HubServer, startHubServer } from '../../sandbox/hub-server.ts';
import { buildHub } from '../../scripts/build.ts';
import {
  askMerge,
  cardText,
  openPullRequest,
  REPO,
  startRelease,
  startTestbed,
  type Testbed,
  waitFor,
} from '../functions/testbed.ts';
import { launchChromium } from '../support/chromium.ts';

const HUB_USER = 'a1b2c3d4-0000-4000-8000-00000000hub7';

describe('hub page on the sandbox function app', function () {
  this.timeout(40_000);
  let bed: Testbed;
  let outDir: string;
  let hub: HubServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    bed = await startTestbed({ env: { GATE_ALLOWED_USERS: `merge_pr=${HUB_USER}` }, webhookEvents: [] });
    outDir = mkdtempSync(join(tmpdir(), 'hub-sandbox-'));
    await buildHub({ sdk: 'standalone', outDir });
    hub = await startHubServer({
      apiUrl: bed.host.url,
      // A fresh token per page load, like SDK.getAppToken(): for this extension and organisation.
      appToken: () => bed.stack.hubToken(HUB_USER),
      root: outDir,
      hostName: bed.stack.azdo.organization,
      projectName: bed.stack.azdo.project.name,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
    page.setDefaultTimeout(8_000);
    page.on('pageerror', (error) => assert.fail(`the page threw: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    await hub?.stop();
    await bed?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('shows the staging release and decides gate 1 from the hub; the Slack card says so', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-900_hub', 'Statement export from the hub');
    const decision = await askMerge(bed, pr, undefined, 'ALLPOST-900');
    await startRelease(bed, '2.3.0', [
      { key: 'ALLPOST-880', summary: 'Faster statement export', status: 'Ready for Release' },
    ]);

    await page.goto(`${hub.url}#releases`);
    const repoCard = page.locator('.ra-repo-card', { hasText: REPO });
    await repoCard.getByText('ALLPOST-880').waitFor();
    assert.ok(await repoCard.getByText('2.3.0', { exact: true }).isVisible());
    // The ticket's Jira status, as the agent recorded it, comes through the API to the page.
    const ticket = repoCard.locator('.ra-ticket', { hasText: 'ALLPOST-880' });
    assert.ok(await ticket.getByText('Ready for Release', { exact: true }).isVisible());

    await page.getByRole('tab', { name: 'Decisions' }).click();
    const gate1 = page.locator('.ra-decision-card', { hasText: 'Statement export from the hub' });
    await gate1.waitFor();
    await gate1.getByRole('button', { name: 'Merge' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm Merge' }).click();
    await page.getByText(`Merged: gate 1 for ${REPO} is decided`, { exact: false }).waitFor();
    await gate1.waitFor({ state: 'detached' });

    const stored = await bed.stack.store.decisions.get(decision.id);
    assert.equal(stored?.status, 'approved');
    assert.equal(stored?.decidedVia, 'hub');
    assert.equal(stored?.decidedBy, HUB_USER);
    await waitFor(
      () =>
        cardText(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)).includes('via the hub'),
      'the Slack card to be updated with the hub’s answer',
    );
  });
});
