// `npm start -- --interactive`, driven only through the Slack simulator's page in headless Chromium:
// a developer opens a PR, the service hook reaches the function app, the agent runs pipelines/pr.yml,
// the gate-1 card shows up on the page, a person clicks Merge (accepting the page's confirm dialog)
// and the PR is completed and the card redrawn, with nobody calling the app or the store directly.
import assert from 'node:assert/strict';
import { waitUntil } from '../../sandbox/errors.ts';
import { writeSecretFile } from '../../sandbox/secret-file.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { GATE_ACTIONS } from '../../core/gates.ts';
import {
  interactiveBanner,
  secretsFromEnvironment,
  startInteractive,
  writeEnvFile,
} from '../../sandbox/main.ts';
import { PAYMENT, type Sandbox } from '../../sandbox/sandbox.ts';
import { taskBundlesDir } from '../support/task-bundles.ts';
import { launchChromium } from '../support/chromium.ts';

describe('npm start -- --interactive, driven through the Slack page (headless Chromium)', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  before(async () => {
    sandbox = await startInteractive({
      storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
      tasksDir: await taskBundlesDir(),
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => assert.fail(`the Slack page threw: ${error.message}`));
    // The page asks before a destructive press (confirm()); a person says yes.
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
  });

  after(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  it('serves every URL it prints: the Slack channel, the hub page and the function API', async () => {
    const { urls } = sandbox;
    assert.ok(urls.hub, 'the hub page is served');
    for (const url of [urls.slackChannelPage, urls.hub, `${urls.functionApi}/status`, urls.jira]) {
      const response = await fetch(url);
      assert.ok(response.status < 500, `${url} answered ${response.status}`);
    }
    const status = (await (await fetch(`${urls.functionApi}/status`)).json()) as { status: string };
    assert.equal(status.status, 'ok');
  });

  it('a PR opened in Azure DevOps gets its gate-1 card on the page; Merge pressed there completes the PR and redraws the card', async () => {
    const { azdo } = sandbox.stack;
    await page.goto(sandbox.urls.slackChannelPage);
    // A developer's push and PR, as on the Azure DevOps side (the simulator's own controls).
    sandbox.push(PAYMENT, 'feature/ALLPOST-4028_login-page', 'Login page', {
      '/src/login/login-page.ts': 'export const title = "Sign in";\n',
    });
    const pr = azdo.createPullRequestAsUser({
      repository: PAYMENT,
      sourceRefName: 'refs/heads/feature/ALLPOST-4028_login-page',
      targetRefName: 'refs/heads/develop',
      title: 'Login page of the payment portal',
    });

    // The page polls: the card arrives without a reload.
    const mergeButton = `button[data-action-id="${GATE_ACTIONS.merge_pr.approve.actionId}"]`;
    const asking = page.locator('article.message', {
      hasText: `PR #${pr.id}`,
      has: page.locator(mergeButton),
    });
    await asking.waitFor({ state: 'visible' });
    const ts = await asking.getAttribute('data-ts');
    const confirms = await asking.locator(mergeButton).getAttribute('data-confirm');
    const card = page.locator(`article.message[data-ts="${ts}"]`);
    assert.equal(await card.getByRole('button', { name: 'Cancel' }).count(), 1);
    await card.getByRole('button', { name: 'Merge' }).click();

    await card.getByText(/Merged by/).waitFor({ state: 'visible' });
    // A button that asks first was answered "yes" (the dialog handler), one that does not asked nothing.
    assert.equal(dialogs.length, confirms ? 1 : 0);
    assert.equal(await card.getByRole('button').count(), 0, 'no buttons left on the decided card');
    const completed = azdo.pullRequests.get(pr.id);
    assert.equal(completed?.status, 'completed');
    assert.equal(completed?.closedBy?.displayName, 'Release Agent', 'the function app completed it');
    // The press went to the app as Slack sends it: signed, answered 200.
    const [press] = sandbox.stack.slack.deliveries();
    assert.deepEqual([press?.actionId, press?.status], [GATE_ACTIONS.merge_pr.approve.actionId, 200]);
  });

  it('--write-env: every URL and the generated secrets in a file only its owner can read; given secrets are left out', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sandbox-env-')), 'sandbox.env.json');
    writeFileSync(file, '{}', { mode: 0o644 });
    const given = secretsFromEnvironment({
      SANDBOX_OPERATOR_TOKEN: ' op-held-outside ',
      SANDBOX_SLACK_BOT_TOKEN: '',
    });
    assert.deepEqual(given, { operatorToken: 'op-held-outside' });
    writeEnvFile(file, sandbox, given);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const written = JSON.parse(readFileSync(file, 'utf8')) as {
      urls: Record<string, string>;
      secrets: Record<string, string>;
      secretsFromEnvironment: string[];
    };
    assert.deepEqual(written.urls.functionApi, sandbox.urls.functionApi);
    assert.deepEqual(written.urls.slackChannelPage, sandbox.urls.slackChannelPage);
    assert.ok(written.urls.hub && written.urls.azureDevOpsProject && written.urls.jira);
    assert.ok(
      written.secrets.slackSigningSecret === sandbox.stack.secrets.slackSigningSecret,
      'the signing secret in use',
    );
    assert.equal('operatorToken' in written.secrets, false);
    assert.deepEqual(written.secretsFromEnvironment, ['SANDBOX_OPERATOR_TOKEN']);
  });

  it('every command the banner prints works as printed (its URLs: the test above)', async () => {
    const banner = interactiveBanner(sandbox.urls, {
      operatorTokenFile: writeSecretFile('operator-token', sandbox.stack.secrets.operatorToken),
    });
    const commands = banner
      .split('\n')
      .map((line) => /(curl .*)$/.exec(line)?.[1])
      .filter((command): command is string => command !== undefined);
    assert.equal(commands.length, 3, banner);
    // The release command releases what is on staging: the PR merged above lands there through the
    // develop pipeline's StageRelease, which may still be running.
    await waitUntil(
      async () => ((await sandbox.stack.store.staging.get(PAYMENT))?.tickets.length ?? 0) > 0,
      'the merged PR on staging',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const statuses: string[] = [];
    for (const command of commands) {
      // The command exactly as printed, run by a shell; -w only reports the status it got.
      const { stdout } = await promisify(execFile)('sh', [
        '-c',
        `${command} -sS -o /dev/null -w '%{http_code}'`,
      ]);
      statuses.push(stdout);
    }
    assert.deepEqual(
      statuses.map((status) => /^2\d\d$/.test(status)),
      [true, true, true],
      `statuses ${statuses.join(', ')} for:\n${commands.join('\n')}`,
    );
    // What they did: the branch pushed, the PR opened from it.
    const pr = [...sandbox.stack.azdo.pullRequests.values()].find(
      (candidate) => candidate.sourceRefName === 'refs/heads/feature/ALLPOST-4028_login',
    );
    assert.equal(pr?.title, 'Login page');
  });
});
