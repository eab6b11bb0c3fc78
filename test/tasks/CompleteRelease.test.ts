import assert from 'node:assert/strict';
import type { Decision, GateRecord, StagedTicket } from '../../core/model.ts';
import { releaseThreadId, type ReleaseThreadState } from '../../flows/threads.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { coded } from '../core/expect-error.ts';
import {
  failure,
  releaseThread,
  runReleaseTask,
  seedStaging,
  succeeded,
  ticket,
  uniqueRepo,
} from './release-support.ts';

describe('task CompleteRelease (run as the agent runs it)', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  const issue = (summary: string, status: string) =>
    stack.jira.state.createIssue({ project: 'ALLPOST', summary, status }).key;
  const statusOf = (key: string) => stack.jira.state.issue(key)?.status;
  const slackCount = () => stack.slack.messages(stack.slackChannel).length;

  const recordedGate: GateRecord = {
    gate: 'create_release_pr',
    outcome: 'approved',
    by: 'Norma (hub)',
    via: 'hub',
    at: '2026-11-22T09:00:00.000Z',
  };

  /** A release that went through its gates: staging, a thread with PR and tag, decisions by people. */
  async function finishedRelease(
    tickets: StagedTicket[],
    state: Partial<ReleaseThreadState> = {},
    stagingVersion = '1.4.0',
  ) {
    const repo = uniqueRepo();
    await seedStaging(stack, repo, tickets, stagingVersion);
    const threadId = releaseThreadId(repo, '1.4.0');
    await stack.store.threads.createIfAbsent({
      id: threadId,
      kind: 'release',
      repo,
      status: 'running',
      state: {
        version: '1.4.0',
        releasePrId: 42,
        releasePrUrl: 'https://dev.azure.com/acme/Payments/_git/repo/pullrequest/42',
        mergeCommit: 'c'.repeat(40),
        tag: 'v1.4.0',
        gates: [recordedGate],
        ...state,
      },
      createdAt: '2026-11-22T08:00:00.000Z',
      updatedAt: '2026-11-22T08:00:00.000Z',
    });
    const decided = (
      gate: Decision['gate'],
      by: string,
      at: string,
      status: Decision['status'] = 'approved',
    ): Decision => ({
      id: `${gate}.${repo.replace(/[^A-Za-z0-9]/g, '')}.${at.slice(11, 13)}`,
      threadId,
      gate,
      target: { gate: 'merge_release_pr', repo, version: '1.4.0', approvalId: `approval-${at}` },
      nonce: 'n'.repeat(20),
      status,
      createdAt: '2026-11-22T08:30:00.000Z',
      decidedAt: at,
      decidedBy: by,
      decidedVia: 'slack',
    });
    await stack.store.decisions.createIfAbsent(
      decided('merge_release_pr', 'U0ALICE', '2026-11-22T10:00:00.000Z'),
    );
    await stack.store.decisions.createIfAbsent(decided('approve_stage', 'U0BOB', '2026-11-22T12:00:00.000Z'));
    await stack.store.decisions.createIfAbsent({
      ...decided('approve_stage', 'U0EVE', '2026-11-22T13:00:00.000Z'),
      status: 'pending',
    });
    return repo;
  }

  it('moves the tickets to Done (walking the workflow), notifies Slack, archives the release with its gates, and closes the thread', async () => {
    const staged = issue('Login page', 'Staging');
    const behind = issue('Export', 'In Progress');
    const done = issue('Docs', 'Done');
    const repo = await finishedRelease([
      ticket(staged, 'Login page', [11]),
      ticket(behind, 'Export', [12]),
      ticket(done, 'Docs', [13]),
    ]);
    const slackBefore = slackCount();
    const run = succeeded(await runReleaseTask(stack, 'CompleteRelease', repo, { version: '1.4.0' }));
    assert.deepEqual(run.outputs, { version: '1.4.0' });
    assert.deepEqual([statusOf(staged), statusOf(behind), statusOf(done)], ['Done', 'Done', 'Done']);
    assert.ok(
      run.logLines.includes(`${behind}: In Progress → Code Review → Staging → Done`),
      run.logLines.join('\n'),
    );
    assert.ok(run.logLines.includes(`${done}: already Done`));

    const archived = await stack.store.releases.get(repo, '1.4.0');
    assert.ok(archived);
    assert.deepEqual(
      archived.tickets.map((item) => item.key),
      [staged, behind, done],
    );
    assert.deepEqual(
      archived.tickets.map((item) => item.status),
      ['Done', 'Done', 'Done'],
      'the archive keeps where the tickets ended up',
    );
    assert.equal(archived.releasePrId, 42);
    assert.equal(archived.tag, 'v1.4.0');
    assert.deepEqual(archived.gates, [
      recordedGate,
      {
        gate: 'merge_release_pr',
        outcome: 'approved',
        by: 'U0ALICE',
        via: 'slack',
        at: '2026-11-22T10:00:00.000Z',
      },
      {
        gate: 'approve_stage',
        outcome: 'approved',
        by: 'U0BOB',
        via: 'slack',
        at: '2026-11-22T12:00:00.000Z',
      },
    ]);
    assert.match(
      archived.notes,
      new RegExp(`^## ${repo.replace(/\./g, '\\.')} 1\\.4\\.0\n\nReleased \\d{4}-\\d{2}-\\d{2}\\.`),
    );
    assert.equal(run.summaries.length, 1);
    assert.ok(run.summaries[0]!.includes(archived.notes), 'the notes are the run summary');
    assert.equal(await stack.store.staging.get(repo), undefined, 'staging retired');
    await assert.rejects(
      stack.store.releases.archive({ ...archived, notes: 'rewritten' }),
      coded('RELEASE_ARCHIVED'),
    );

    const { thread, state } = await releaseThread(stack, repo);
    assert.equal(thread.status, 'done');
    assert.equal(state.notes, archived.notes);
    assert.ok(state.notifiedAt);
    const posted = stack.slack.messages(stack.slackChannel).slice(slackBefore);
    assert.equal(posted.length, 1);
    assert.equal(posted[0]!.text, `Released ${repo} 1.4.0 (3 tickets)`);
    assert.ok(JSON.stringify(posted[0]!.blocks).includes('v1.4.0'));

    // Re-run: reports it and changes nothing (no Jira call, no second card, the same records).
    const jiraCalls = stack.jira.requestLog.length;
    const again = succeeded(await runReleaseTask(stack, 'CompleteRelease', repo, { version: '1.4.0' }));
    assert.match(again.resultMessage ?? '', /^already completed: /);
    assert.deepEqual(again.outputs, { version: '1.4.0' });
    assert.equal(stack.jira.requestLog.length, jiraCalls);
    assert.equal(slackCount(), slackBefore + 1);
    assert.deepEqual(await stack.store.releases.get(repo, '1.4.0'), archived);
    assert.equal((await releaseThread(stack, repo)).thread.updatedAt, thread.updatedAt);
  });

  it('releases the Jira version <repo>-<version> with the tickets on it when asked', async () => {
    const one = issue('One', 'Staging');
    const two = issue('Two', 'Staging');
    const repo = await finishedRelease([ticket(one, 'One'), ticket(two, 'Two')]);
    succeeded(await runReleaseTask(stack, 'CompleteRelease', repo, { version: '1.4.0', jiraVersion: true }));
    const version = stack.jira.state
      .versions('ALLPOST')
      .find((candidate) => candidate.name === `${repo}-1.4.0`);
    assert.ok(version);
    assert.equal(version.released, true);
    for (const key of [one, two]) assert.deepEqual(stack.jira.state.issue(key)?.fixVersionIds, [version.id]);
  });

  it('reports the tickets Jira refused and finishes the rest: SucceededWithIssues, archived anyway', async () => {
    const fine = issue('Fine', 'Staging');
    const stuck = issue('Stuck', 'In Progress');
    const repo = await finishedRelease(
      [ticket(fine, 'Fine'), ticket(stuck, 'Stuck'), ticket('ALLPOST-99999', 'Gone')],
      {},
      '1.5.0',
    );
    // The team's order skips In Progress, so the stuck ticket has no route forward.
    const run = await runReleaseTask(stack, 'CompleteRelease', repo, {
      version: '1.4.0',
      workflow: 'Staging, Done',
    });
    assert.equal(run.result, 'SucceededWithIssues', run.resultMessage);
    const message = run.resultMessage ?? '';
    assert.match(
      message,
      new RegExp(`${stuck} not moved to Done: cannot move ${stuck} from "In Progress" to "Done"`),
    );
    assert.match(message, /ALLPOST-99999 not moved to Done/);
    assert.match(message, /staging of .* had moved to 1\.5\.0; it is archived as the released 1\.4\.0/);
    assert.equal(statusOf(fine), 'Done');
    assert.equal(statusOf(stuck), 'In Progress');
    const archived = await stack.store.releases.get(repo, '1.4.0');
    assert.equal(archived?.tickets.length, 3);
    assert.ok(
      run.commands.some(
        (command) =>
          command.command === 'task.issue' &&
          command.properties.type === 'warning' &&
          command.message.includes(stuck),
      ),
    );
    assert.match(run.summaries[0] ?? '', /\*\*Needs a look:\*\*/);
  });

  it('fails with RELEASE_NOT_FOUND when nothing is staged for the version, and names each invalid input', async () => {
    const repo = uniqueRepo();
    const missing = await runReleaseTask(stack, 'CompleteRelease', repo, { version: '2.0.0' });
    assert.match(failure(missing), /^\[RELEASE_NOT_FOUND\] /);
    const cases: [
      Record<string, string | boolean>,
      string,
      string | undefined,
      ('stateConnection' | 'jiraConnection')[],
    ][] = [
      [{ jiraVersion: 'maybe' }, 'jiraVersion', repo, []],
      [{ version: 'v1' }, 'version', repo, []],
      [{}, 'repository', undefined, []],
      [{}, 'stateConnection', repo, ['stateConnection']],
    ];
    const runs = await Promise.all(
      cases.map(([inputs, , caseRepo, without]) =>
        runReleaseTask(stack, 'CompleteRelease', caseRepo, inputs, { without }),
      ),
    );
    for (const [index, run] of runs.entries()) {
      assert.match(
        failure(run),
        new RegExp(`^\\[INPUT_INVALID\\] .*input "${cases[index]![1]}"`),
        `case ${index}`,
      );
    }
  });
});
