// `npm run screenshots`: the simulators' pages as a team would see them, after one scripted release
// cycle, written as PNGs into docs/images/ for docs/sandbox.md. Starts the sandbox (its own Azurite,
// the task bundles built into dist/tasks), runs the cycle, then opens each page in the headless Chromium
// the browser tests drive (test/support/chromium.ts) at a 1200 px wide viewport.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { answerHelp, runCommand } from '../scripts/cli.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { type Sandbox, startSandbox } from './sandbox.ts';
import { runCycle } from './scenario.ts';

const USAGE = `Usage: npm run screenshots

Starts the sandbox (its own Azurite, task bundles built into dist/tasks), runs one scripted release
cycle and writes a PNG of each simulator page into docs/images/: the Slack channel, the Azure DevOps
pull request, run and environments pages, a Jira ticket and the Jira board. Takes about half a minute.
RELEASE_AGENT_CHROMIUM=/path/to/chromium uses that browser instead of the packaged one.`;

const OUT = join(import.meta.dirname, '..', 'docs', 'images');
const VIEWPORT = { width: 1200, height: 800 };
/** Long pages are cut at this height. */
const MAX_HEIGHT = 1400;

async function shoot(page: Page, url: string, file: string, focus?: string): Promise<void> {
  await page.goto(url);
  await page.waitForLoadState('networkidle');
  // The content's height, not the viewport's: a short page gives a short image.
  const height = await page.evaluate(() =>
    Math.ceil(document.body.getBoundingClientRect().bottom + window.scrollY + 16),
  );
  let y = 0;
  if (focus) {
    const box = await page.locator(focus).first().boundingBox();
    if (!box) throw new Error(`${url}: nothing matches ${focus}`);
    y = Math.max(0, Math.round(box.y - 120));
  }
  const path = join(OUT, file);
  await page.screenshot({
    path,
    fullPage: true,
    clip: { x: 0, y, width: VIEWPORT.width, height: Math.min(height - y, MAX_HEIGHT) },
  });
  process.stdout.write(`[screenshots] ${file} ← ${url}\n`);
}

async function main(): Promise<number> {
  mkdirSync(OUT, { recursive: true });
  let sandbox: Sandbox | undefined;
  const browser = await launchChromium();
  const abort = new AbortController();
  // Ctrl-C or SIGTERM: the cycle stops; the sandbox (once started, so nothing it starts is left) and
  // the browser are stopped on the way out.
  const stop = () => {
    if (abort.signal.aborted) return;
    abort.abort();
    process.stdout.write('\nstopping everything…\n');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    sandbox = await startSandbox({ mode: 'scripted', log: (line) => process.stdout.write(`${line}\n`) });
    if (abort.signal.aborted) return 130;
    const result = await runCycle(sandbox, {
      print: (line) => process.stdout.write(`${line}\n`),
      signal: abort.signal,
    });
    if (abort.signal.aborted) return 130;
    if (!result.ok) {
      process.stderr.write(`the cycle failed at "${result.failedStep}": ${result.error?.message}\n`);
      return 1;
    }
    const { azdo, jira } = sandbox.stack;
    // The cycle answers every approval; one more waits, so the page shows its Approve/Reject.
    azdo.createPendingApproval({
      environment: 'release-agent-production',
      stageName: 'Production',
      instructions: 'Deploy Billo.Platform.Payment 1.0.1 to Production',
    });
    // The run with the most stages the agent played (the release pipeline's).
    const [runId] = [...azdo.runRecords.entries()]
      .sort(([, a], [, b]) => b.stages.length - a.stages.length)
      .map(([id]) => id);
    const page = await browser.newPage({ viewport: VIEWPORT });
    const project = `${azdo.organizationUrl}/${encodeURIComponent(azdo.project.name)}`;
    await shoot(
      page,
      sandbox.urls.slackChannelPage,
      'slack-channel.png',
      `article.message:has-text("PR #${result.facts.prs.login}")`,
    );
    // The login PR: the one the review asked changes on.
    const login = azdo.pullRequests.get(result.facts.prs.login)!;
    const repo = azdo.repositories.get(login.repositoryId)!.name;
    await shoot(
      page,
      `${project}/_git/${encodeURIComponent(repo)}/pullrequest/${login.id}`,
      'azdo-pull-request.png',
    );
    await shoot(page, `${project}/_build/results?buildId=${runId}`, 'azdo-run.png');
    await shoot(page, `${project}/_environments`, 'azdo-environments.png');
    await shoot(page, `${jira.url}/browse/ALLPOST-4028`, 'jira-ticket.png');
    await shoot(page, `${jira.url}/jira/boards`, 'jira-board.png');
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await browser.close();
    await sandbox?.stop();
  }
}

answerHelp(process.argv.slice(2), USAGE);
await runCommand(main);
