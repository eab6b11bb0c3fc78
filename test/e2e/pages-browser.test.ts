// The simulators' pages as a person uses them, in headless Chromium (test/support/chromium.ts), over
// one sandbox that has run the scripted cycle: a PR link on a Slack gate card, clicked, opens the PR
// page with the AI review's finding at its file:line; Approve pressed on the environments page answers
// the approval as the person in the UI (Norma Chen) and the page shows it approved.
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PAYMENT, type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
import { runCycle } from '../../sandbox/scenario.ts';
import { launchChromium } from '../support/chromium.ts';
import { taskBundlesDir } from '../support/task-bundles.ts';

describe('the simulators pages in headless Chromium (after the scripted cycle)', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  before(async function () {
    this.timeout(120_000);
    sandbox = await startSandbox({
      mode: 'scripted',
      storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
      tasksDir: await taskBundlesDir(),
    });
    const lines: string[] = [];
    const result = await runCycle(sandbox, { print: (line) => lines.push(line) });
    assert.equal(result.ok, true, `the cycle failed at "${result.failedStep}":\n${lines.join('\n')}`);
    browser = await launchChromium();
    context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    context.on('page', (opened) => opened.on('pageerror', (error) => errors.push(error.message)));
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  afterEach(() => {
    assert.deepEqual(errors.splice(0), [], 'no page threw');
  });

  it("a gate card's PR link, clicked, opens the PR page with the AI review's thread at its file:line", async () => {
    const { azdo } = sandbox.stack;
    const login = azdo.pullRequests.get(2)!;
    const finding = login.threads.find((thread) => thread.threadContext?.filePath.startsWith('/src/login/'));
    assert.ok(finding, 'the review left a finding on the login PR');
    const at = `${finding.threadContext!.filePath}:${finding.threadContext!.rightFileStart!.line}`;
    const words = finding.comments[0]!.content.split('\n')[0]!
      .replace(/[*_`[\]]/g, '')
      .slice(0, 30);

    await page.goto(sandbox.urls.slackChannelPage);
    const link = page
      .locator('article.message', { hasText: /Gate \d/ })
      .locator(`a[href$="/_git/${encodeURIComponent(PAYMENT)}/pullrequest/${login.id}"]`)
      .first();
    assert.equal(await link.count(), 1, `a gate card links PR #${login.id}`);
    const opened = context.waitForEvent('page');
    await link.click();
    const prPage = await opened;
    await prPage.waitForLoadState();
    assert.match(new URL(prPage.url()).pathname, new RegExp(`/_git/[^/]+/pullrequest/${login.id}$`));
    assert.equal(await prPage.title(), `Pull request ${login.id}: ${login.title}`);

    // The review's thread, under the changed file it is on, headed by its file:line.
    const thread = prPage.locator(`section.file .thread[data-thread="${finding.id}"]`);
    assert.equal(await thread.count(), 1, `the review's thread #${finding.id} is shown`);
    assert.equal(await thread.locator('.at').textContent(), at);
    assert.ok(
      (await thread.locator('.comment').first().innerText()).includes(words),
      `the review's words "${words}"`,
    );
    await prPage.close();
  });

  it('Approve pressed on the environments page answers the approval as Norma Chen; the page shows it approved', async () => {
    const { azdo } = sandbox.stack;
    const approval = azdo.createPendingApproval({
      environment: 'release-agent-production',
      stageName: 'Production',
      instructions: 'Ship payment 1.0.1',
    });
    await page.goto(`${sandbox.urls.azureDevOpsProject}/_environments`);
    const row = page.locator(`tr[data-approval="${approval.id}"]`);
    assert.equal(await row.getAttribute('data-status'), 'pending');
    await row.getByLabel('Comment').fill('looks good');
    await Promise.all([
      page.waitForURL(/\/_environments$/),
      row.getByRole('button', { name: 'Approve' }).click(),
    ]);

    const after = page.locator(`tr[data-approval="${approval.id}"]`);
    assert.equal(await after.getAttribute('data-status'), 'approved');
    assert.match(await after.innerText(), /approved by Norma Chen/i);
    assert.equal(
      await after.getByRole('button', { name: 'Approve' }).count(),
      0,
      'no buttons on a decided approval',
    );

    const state = azdo.approval(approval.id);
    assert.equal(state.status, 'approved');
    assert.equal(state.actualApprover?.displayName, azdo.users.approver.displayName);
    assert.equal(state.comment, 'looks good');
  });
});
