// `npm start` end to end. In-process: the scripted cycle on a sandbox over the suite's Azurite, then
// the final state of every simulator and of the store. As a child process: `node --import tsx
// sandbox/main.ts` exits 0 with its step lines and summary and leaves no process behind, also when it
// is interrupted half-way.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATE_ACTIONS } from '../../core/gates.ts';
import type { Decision } from '../../core/model.ts';
import { prThreadId } from '../../flows/threads.ts';
import { DOCUMENT, PAYMENT, PIPELINE_IDS, type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
import { type CycleResult, runCycle } from '../../sandbox/scenario.ts';
import { buttonsOf } from '../../sandbox/sim/slack/blocks.ts';
import { taskBundlesDir } from '../support/task-bundles.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Processes whose process group is `pgid` or whose working directory is under `folder`. */
function survivors(pgid: number, folder: string | undefined): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces): state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (Number(fields[2]) === pgid || (folder && cwd.startsWith(folder))) {
        found.push(
          `${entry}: ${readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 160)}`,
        );
      }
    } catch {
      // Gone while we looked: not a survivor.
    }
  }
  return found;
}

function startMain(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  // Its own process group, so the test can see (and, on a failure, stop) everything it started.
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts', ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SANDBOX_LOG: '' },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return { child, output: () => output, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string, child: ChildProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Our own child's group only (gone already when the child exited).
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          } catch {}
          reject(new Error(`${what} did not happen within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `pattern` in the child's output; fails with the output when the child exits first. */
async function untilPrinted(
  main: ReturnType<typeof startMain>,
  pattern: RegExp,
  ms: number,
  what: string,
): Promise<void> {
  let exitedWith: number | null | undefined;
  void main.exited.then((code) => {
    exitedWith = code;
  });
  await within(
    (async () => {
      while (!pattern.test(main.output())) {
        if (exitedWith !== undefined)
          throw new Error(`npm start exited (${exitedWith}) before ${what}:\n${main.output().slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })(),
    ms,
    what,
    main.child,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${main.output().slice(-3000)}`);
  });
}

describe('npm start: one release cycle end to end', function () {
  this.timeout(120_000);

  describe('the scripted cycle (in-process) and the state it leaves', () => {
    let sandbox: Sandbox;
    let result: CycleResult;
    const lines: string[] = [];
    before(async function () {
      this.timeout(120_000);
      sandbox = await startSandbox({
        mode: 'scripted',
        storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
        tasksDir: await taskBundlesDir(),
      });
      result = await runCycle(sandbox, { print: (line) => lines.push(line) });
    });
    after(() => sandbox?.stop());

    const decisionsOf = async (threadId: string): Promise<Decision[]> =>
      await sandbox.stack.store.decisions.findByThread(threadId);

    it('completes every step of the script', () => {
      assert.equal(
        result.ok,
        true,
        `failed at "${result.failedStep}": ${result.error?.message}\n${lines.join('\n')}`,
      );
      assert.deepEqual(result.facts.prs, { chore: 1, login: 2, pdf: 3, release: 4 });
      assert.equal(result.facts.releaseVersion, '1.0.0');
    });

    it('Azure DevOps: PRs completed at the reviewed commits, the release PR merged and tagged, pipelines run, approvals answered by whom', async () => {
      const { azdo } = sandbox.stack;
      const payment = azdo.repository(PAYMENT);
      for (const [repo, prId] of [
        [PAYMENT, 1],
        [PAYMENT, 2],
        [DOCUMENT, 3],
      ] as const) {
        const pr = azdo.pullRequests.get(prId)!;
        const approved = (await decisionsOf(prThreadId(repo, prId))).filter(
          (decision) => decision.status === 'approved',
        );
        assert.equal(approved.length, 1, `one approved merge of PR #${prId}`);
        const target = approved[0]!.target as { gate: string; sourceCommit: string };
        assert.equal(pr.status, 'completed');
        assert.equal(target.sourceCommit, pr.sourceCommit, `PR #${prId} merged at the reviewed commit`);
        assert.deepEqual(azdo.repository(repo).commits.get(pr.mergeCommit)?.parents[1], target.sourceCommit);
      }
      const login = azdo.pullRequests.get(2)!;
      assert.equal(login.iterations.length, 2, 'the fix was a second iteration');
      const reviewStatuses = login.statuses
        .filter((status) => status.context.name === 'ai-review')
        .map((status) => [status.iterationId, status.state]);
      assert.deepEqual(reviewStatuses, [
        [1, 'failed'],
        [2, 'succeeded'],
      ]);
      assert.ok(
        login.threads.some((thread) => thread.threadContext?.filePath.startsWith('/src/login/')),
        'findings anchored in the changed files',
      );

      const release = azdo.pullRequests.get(4)!;
      assert.deepEqual(
        [release.sourceRefName, release.targetRefName, release.status],
        ['refs/heads/develop', 'refs/heads/main', 'completed'],
      );
      assert.equal(payment.refs.get('refs/heads/main'), release.mergeCommit);
      assert.equal(payment.tags.get('v1.0.0')?.commitId, release.mergeCommit);
      assert.equal(azdo.repository(DOCUMENT).tags.size, 0);

      const runs = [...azdo.runs.values()].map((run) => [run.pipelineId, run.result, run.refName ?? '']);
      const ids = PIPELINE_IDS[PAYMENT];
      assert.deepEqual(runs, [
        [ids.pr, 'succeeded', 'refs/pull/1/merge'],
        [ids.ci, 'succeeded', 'refs/heads/develop'],
        [ids.pr, 'failed', 'refs/pull/2/merge'],
        [ids.pr, 'succeeded', 'refs/pull/2/merge'],
        [ids.ci, 'succeeded', 'refs/heads/develop'],
        [PIPELINE_IDS[DOCUMENT].pr, 'succeeded', 'refs/pull/3/merge'],
        [PIPELINE_IDS[DOCUMENT].ci, 'succeeded', 'refs/heads/develop'],
        [ids.release, 'succeeded', ''],
        [ids.build, 'succeeded', 'refs/heads/main'],
        [ids.deploy, 'succeeded', 'refs/heads/main'],
      ]);
      for (const run of azdo.runs.values())
        assert.ok(Number.isFinite(run.durationMs), `run ${run.id} completed`);
      const gate4 = [...azdo.runs.values()].filter(
        (run) => run.pipelineId === ids.build || run.pipelineId === ids.deploy,
      );
      assert.ok(
        gate4.every((run) => run.version === release.mergeCommit),
        'gate 4 ran the pipelines for the release merge commit',
      );

      const approvals = [...azdo.approvals.values()].map((approval) => [
        approval.environment?.name,
        approval.status,
        approval.actualApprover?.displayName,
        approval.run?.id,
      ]);
      const releaseRun = result.facts.releaseRunId;
      assert.deepEqual(approvals, [
        ['release-create-pr', 'approved', 'Release Agent', releaseRun],
        ['release-merge-pr', 'approved', 'Release Agent', releaseRun],
        ['release-run-pipelines', 'approved', 'Release Agent', releaseRun],
        ['release-agent-sandbox', 'approved', 'Release Agent', releaseRun],
        ['release-agent-production', 'approved', 'Norma Chen', releaseRun],
      ]);
    });

    it('Jira: the AI-written Story and ALLPOST-4028 are Done, ALLPOST-4030 waits on staging', () => {
      const { jira } = sandbox.stack;
      const story = jira.state.issue(result.facts.storyKey!)!;
      assert.equal(story.issueType, 'Story');
      assert.equal(story.status, 'Done');
      assert.match(story.summary, /package\.json/, 'written from the diff');
      assert.notEqual(story.description, null);
      const login = jira.state.issue('ALLPOST-4028')!;
      assert.equal(login.status, 'Done');
      assert.ok(login.comments.length >= 1, 'the requested changes were commented on the ticket');
      assert.equal(jira.state.issue('ALLPOST-4030')?.status, 'Staging');
      assert.deepEqual(
        jira.state.issues.map((issue) => issue.key).sort(),
        ['ALLPOST-4028', 'ALLPOST-4030', result.facts.storyKey].sort(),
        'no other ticket was created',
      );
    });

    it('Slack: every card updated in place without buttons, the production card says it was answered in Azure DevOps, the release announced', () => {
      const { slack } = sandbox.stack;
      const messages = slack.messages(sandbox.channel);
      const cards = messages.filter((message) => /^Gate \d/.test(message.text));
      assert.deepEqual(
        cards.map((card) => Number(/^Gate (\d)/.exec(card.text)?.[1])),
        [1, 1, 1, 2, 3, 4, 5, 5],
      );
      for (const card of cards) {
        assert.equal(buttonsOf(card.blocks).length, 0, `no buttons left on "${card.text}"`);
        assert.ok(card.edited, `"${card.text}" was updated in place`);
      }
      const production = cards.find((card) => card.text.includes('to Production'))!;
      assert.match(production.text, /Approved by Norma Chen in Azure DevOps/);
      assert.ok(messages.some((message) => /PR #2 .*changes requested/.test(message.text)));
      // The PR build holds no Slack credential: the app's changes-requested notice is what Slack hears.
      assert.ok(!messages.some((message) => message.text.startsWith('Failed: PR validation')));
      assert.ok(messages.some((message) => message.text.startsWith(`Released ${PAYMENT} 1.0.0`)));
      const presses = slack.deliveries();
      assert.equal(presses.length, 6);
      assert.ok(presses.every((press) => press.status === 200));
    });

    it('pages: every link on the Slack cards and in the run summaries resolves, to the page of what it names', async () => {
      const { slack, azdo, jira } = sandbox.stack;
      const slackUnescape = (url: string) => url.replace(/&amp;/g, '&');
      const cardLinks = slack
        .messages(sandbox.channel)
        .flatMap((message) =>
          [...JSON.stringify([message.text, message.blocks]).matchAll(/<(https?:\/\/[^|>"]+)[|>]/g)].map(
            (match) => slackUnescape(match[1]!),
          ),
        );
      const summaryLinks = [...azdo.runRecords.values()]
        .flatMap((record) => record.steps.flatMap((step) => step.summaries ?? []))
        .flatMap((summary) => [...summary.matchAll(/\]\((https?:\/\/[^)\s]+)\)/g)].map((match) => match[1]!));
      const links = [...new Set([...cardLinks, ...summaryLinks])];
      const on = (base: string) => links.filter((link) => link.startsWith(`${base}/`));
      assert.ok(
        on(jira.url).some((link) => link.includes('/browse/')),
        'the cards link tickets',
      );
      assert.ok(
        on(azdo.url).some((link) => link.includes('/pullrequest/')),
        'the cards link pull requests',
      );
      assert.ok(summaryLinks.length > 0, 'the run summaries hold links');
      const answers = await Promise.all(
        links.map(async (link) => {
          const response = await fetch(link);
          return { link, status: response.status, html: await response.text() };
        }),
      );
      assert.deepEqual(
        answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.link}`),
        [],
      );

      // The login PR's page, from its link on a card: its title, and the review's finding at its file:line.
      const login = azdo.pullRequests.get(2)!;
      const loginPage = answers.find((answer) => /\/pullrequest\/2$/.test(answer.link));
      assert.ok(loginPage, 'a card links PR #2');
      assert.ok(loginPage.html.includes(login.title.replace(/&/g, '&amp;')), 'the PR page shows its title');
      const finding = login.threads.find((thread) =>
        thread.threadContext?.filePath.startsWith('/src/login/'),
      )!;
      const at = `${finding.threadContext!.filePath}:${finding.threadContext!.rightFileStart!.line}`;
      assert.ok(loginPage.html.includes(`<span class="at">${at}</span>`), `the thread shown at ${at}`);
      const words = finding.comments[0]!.content.split('\n')[0]!
        .replace(/[*_`[\]]/g, '')
        .slice(0, 30);
      assert.ok(
        loginPage.html.replace(/<[^>]+>/g, '').includes(words.replace(/&/g, '&amp;').replace(/</g, '&lt;')),
        `the review's words "${words}"`,
      );

      // A ticket page from its link: summary and status.
      const ticket = jira.state.issue('ALLPOST-4028')!;
      const ticketPage = answers.find((answer) => answer.link.endsWith('/browse/ALLPOST-4028'));
      assert.ok(ticketPage, 'a card links ALLPOST-4028');
      assert.ok(ticketPage.html.includes(`data-status="${ticket.status}"`));

      // A run page: the stages the runner recorded.
      const runLink = links.find((link) => link.includes('/_build/results?buildId='));
      assert.ok(runLink, 'a card or summary links a run');
      const run = azdo.runs.get(Number(new URL(runLink).searchParams.get('buildId')))!;
      const runPage = answers.find((answer) => answer.link === runLink)!;
      for (const stage of azdo.runRecords.get(run.id)?.stages ?? [])
        assert.ok(
          runPage.html.includes(`data-stage="${stage.name}"`),
          `run ${run.id} shows stage ${stage.name}`,
        );
    });

    it('store: the archived release with its tickets and who answered each gate; staging empty for one repo, holding the other', async () => {
      const { store } = sandbox.stack;
      const archived = (await store.releases.get(PAYMENT, '1.0.0'))!;
      assert.deepEqual(
        archived.tickets.map((ticket) => ticket.key),
        [result.facts.storyKey, 'ALLPOST-4028'],
      );
      assert.deepEqual([archived.tag, archived.releasePrId], ['v1.0.0', 4]);
      assert.deepEqual(
        archived.gates.map((gate) => [gate.gate, gate.outcome, gate.by, gate.via]),
        [
          ['create_release_pr', 'approved', 'U0RELMGR', 'slack'],
          ['merge_release_pr', 'approved', 'U0RELMGR', 'slack'],
          ['run_pipelines', 'approved', 'operator', 'api'],
          ['approve_stage', 'approved', 'U0QA', 'slack'],
          ['approve_stage', 'approved', 'Norma Chen', 'azdo'],
        ],
      );
      assert.equal(await store.staging.get(PAYMENT), undefined);
      const document = (await store.staging.get(DOCUMENT))!;
      assert.deepEqual(
        [document.version, document.tickets.map((ticket) => ticket.key)],
        ['1.0.0', ['ALLPOST-4030']],
      );

      const reviews = await store.reviews.list({ repo: PAYMENT });
      const verdicts = reviews
        .map((review) => [review.prId, review.verdict])
        .sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])));
      assert.deepEqual(verdicts, [
        [1, 'approve'],
        [2, 'approve'],
        [2, 'request_changes'],
      ]);
      const login = sandbox.stack.azdo.pullRequests.get(2)!;
      assert.equal(
        reviews.find((review) => review.verdict === 'request_changes')?.sourceCommit,
        login.iterations[0]!.sourceCommit,
      );
    });

    it('decisions are single-shot: each was decided once, its effect done, and answering it again is refused', async () => {
      const threadId = result.facts.releaseThreadId!;
      const decisions = await decisionsOf(threadId);
      assert.deepEqual(decisions.map((decision) => decision.gate).sort(), [
        'approve_stage',
        'approve_stage',
        'create_release_pr',
        'merge_release_pr',
        'run_pipelines',
      ]);
      for (const decision of decisions) {
        assert.equal(decision.status, 'approved');
        assert.equal(decision.effect?.status, 'done', decision.id);
      }
      const gate2 = decisions.find((decision) => decision.gate === 'create_release_pr')!;
      const again = await fetch(`${sandbox.host.apiUrl}/approvals/${encodeURIComponent(threadId)}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-operator-token': sandbox.stack.secrets.operatorToken,
        },
        body: JSON.stringify({
          action: GATE_ACTIONS.create_release_pr.approve.label.toLowerCase(),
          decisionId: gate2.id,
        }),
      });
      assert.equal(again.status, 409);
      assert.equal((await sandbox.stack.store.decisions.get(gate2.id))?.decidedBy, 'U0RELMGR');
    });
  });

  describe('node --import tsx sandbox/main.ts (what npm start runs)', () => {
    it('plays the cycle, prints a line per step and the summary, exits 0 and leaves no process behind', async () => {
      const resultFile = join(mkdtempSync(join(tmpdir(), 'npm-start-')), 'result.json');
      const main = startMain(['--result-json', resultFile]);
      const code = await within(main.exited, 100_000, 'npm start to exit', main.child);
      const output = main.output();
      assert.equal(code, 0, output);
      for (const expected of [
        /\[sandbox\] built 7 task bundles/,
        /\[sandbox\] Azurite started/,
        /\[azure-devops\] PR #1 opened in Billo\.Platform\.Payment from chore\/update-dependencies/,
        /\[function-app\] PR #1 discovered by the webhook, PR pipeline queued \(run 1\)/,
        /\[agent\] run 1 JiraTicket ensure → ALLPOST-\d+ created/,
        /\[slack\] gate 1 card posted: "Gate 1: Merge PR #1/,
        /\[person\] pressed Merge in Slack as U0SANDBOX/,
        /\[agent\] run \d+ ReviewPullRequest → request_changes/,
        /\[function-app\] PR #3 discovered by the poller/,
        /\[operator\] POST \/api\/approvals\/.* → 200/,
        /\[person\] Norma Chen approved environment release-agent-production in the Azure DevOps UI/,
        /\[agent\] run \d+ CompleteRelease → released Billo\.Platform\.Payment 1\.0\.0/,
        /^Summary$/m,
        /Billo\.Platform\.Payment 1\.0\.0 released \(tag v1\.0\.0\)/,
        /Billo\.Platform\.Document 1\.0\.0 staging: ALLPOST-4030/,
        /gate 5 release 1\.0\.0 release-agent-production: approved by Norma Chen via azdo/,
        /Slack messages: 15/,
        /elapsed: .*Azurite start [\d.]+ s \(not counted\)/,
        /The release cycle completed in/,
      ]) {
        assert.match(output, expected);
      }
      const result = JSON.parse(readFileSync(resultFile, 'utf8')) as CycleResult & { workRoot: string };
      assert.equal(result.ok, true);
      assert.equal(result.summary?.decisions.length, 8);
      assert.equal(existsSync(result.workRoot), false, 'the agent work folder was removed');
      assert.deepEqual(survivors(main.child.pid!, result.workRoot), []);
    });

    it('--interactive prints the URLs of the stack, every one answers, and Ctrl-C stops it all', async () => {
      const main = startMain(['--interactive']);
      await untilPrinted(main, /Ctrl-C stops everything/, 90_000, 'the interactive banner');
      const printed = (label: string) => {
        const url = new RegExp(`^\\s+${label}\\s+(http\\S+)`, 'm').exec(main.output())?.[1];
        assert.ok(url, `the banner names the ${label} URL:\n${main.output()}`);
        return url;
      };
      for (const label of ['Slack channel', 'Hub page', 'Function API', 'Azure DevOps', 'Jira']) {
        const url = printed(label);
        const response = await fetch(
          url,
          label === 'Azure DevOps' ? { headers: { authorization: 'Basic Og==' } } : {},
        );
        // Azure DevOps without a valid PAT answers 401 (as the service does); nothing answers 5xx.
        assert.ok(response.status < 500, `${label} ${url} answered ${response.status}`);
        await response.arrayBuffer();
      }
      const status = (await (await fetch(printed('Function API'))).json()) as { status: string };
      assert.equal(status.status, 'ok');
      main.child.kill('SIGINT');
      const code = await within(
        main.exited,
        20_000,
        'the interactive sandbox to stop after SIGINT',
        main.child,
      );
      assert.ok(code === 0 || code === 130, `exit ${code}\n${main.output()}`);
      assert.deepEqual(survivors(main.child.pid!, undefined), []);
    });

    it('Ctrl-C half-way through stops the running pipeline and everything else, and exits', async () => {
      const main = startMain([]);
      await untilPrinted(
        main,
        /\[function-app\] PR #1 discovered/,
        90_000,
        'the first PR pipeline to be queued',
      );
      main.child.kill('SIGINT');
      const code = await within(main.exited, 20_000, 'npm start to stop after SIGINT', main.child);
      assert.equal(code, 130, main.output());
      assert.match(main.output(), /SIGINT: stopping everything/);
      const workRoots = [...main.output().matchAll(/release-agent-sandbox-\w+/g)].map((match) => match[0]);
      assert.ok(workRoots[0], 'the agent work folder is named in the output');
      // Azurite, the tasks and the claude stand-in were in the group or worked under that folder.
      assert.deepEqual(survivors(main.child.pid!, join(tmpdir(), workRoots[0])), []);
    });
  });
});
