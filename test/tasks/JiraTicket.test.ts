import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prThreadId } from '../../flows/threads.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { configureServices } from '../../functions/services.ts';
import { functionAppOf, jobFor } from './job-kit.ts';
import {
  assertCredentialsRegistered,
  assertResult,
  runAgentTask,
  type SeededPr,
  seedPullRequest,
  variablesSet,
} from './pr-tasks-kit.ts';

describe('JiraTicket task (run as the agent runs it)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  const ensure = (seeded: SeededPr, inputs: Record<string, string> = {}) =>
    runAgentTask(stack, 'JiraTicket', {
      inputs: { action: 'ensure', ...inputs },
      variables: seeded.variables,
      connections: ['jira', 'state'],
    });
  const stories = () => stack.jira.state.issues.filter((issue) => issue.issueType === 'Story').length;
  const linkThreads = (seeded: SeededPr) =>
    seeded.pr.threads.filter((thread) => /Jira ticket/.test(thread.comments[0]?.content ?? ''));

  it('ensure: the key from the branch, linked on the PR once, walked To Do → In Progress → Code Review', async () => {
    const issue = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Login page' });
    const seeded = seedPullRequest(stack, { branch: `feature/${issue.key}_login`, title: 'Login page' });
    const run = await ensure(seeded);

    assertResult(run, 'Succeeded', /found in the branch, moved To Do → Code Review \(via In Progress\)/);
    assert.deepEqual(variablesSet(run).ticketKey, { value: issue.key, isOutput: true });
    assert.equal(variablesSet(run).ticketCreated?.value, 'false');
    assertCredentialsRegistered(run, stack, ['token']);
    assert.equal(issue.status, 'Code Review');
    assert.equal(linkThreads(seeded).length, 1);
    assert.match(
      linkThreads(seeded)[0]!.comments[0]!.content,
      new RegExp(`\\[${issue.key}\\]\\(${stack.jira.url}/browse/${issue.key}\\)`),
    );
    const thread = await stack.store.threads.getOf('pr', prThreadId(seeded.repo, seeded.pr.id));
    assert.equal(thread?.state.ticketKey, issue.key);
    assert.equal(run.summaries.length, 1);

    const again = await ensure(seeded);
    assertResult(again, 'Succeeded', /stays in Code Review/);
    assert.equal(linkThreads(seeded).length, 1, 'the link is posted once');
  });

  it('ensure: the key from the title when the branch has none; a ticket already past Code Review stays', async () => {
    const issue = stack.jira.state.createIssue({
      project: 'ALLPOST',
      summary: 'Invoices',
      status: 'Staging',
    });
    const seeded = seedPullRequest(stack, {
      branch: 'bugfix/invoices',
      title: `${issue.key}: invoice rounding`,
    });
    const run = await ensure(seeded);
    assertResult(run, 'SucceededWithIssues', /found in the title/);
    assert.equal(variablesSet(run).ticketKey?.value, issue.key);
    assert.equal(issue.status, 'Staging', 'never moved backwards');
    assert.match(run.stdout, /past "Code Review"/);
  });

  it('ensure: no key → Claude writes a Story in the default project; a retry reuses it', async () => {
    const seeded = seedPullRequest(stack, {
      branch: 'chore/update-dependencies',
      title: 'Update dependencies',
      files: { '/src/deps.ts': 'export const version = 2;\n' },
    });
    const before = stories();
    const run = await ensure(seeded);
    assertResult(run, 'Succeeded', /created, moved To Do → Code Review/);
    const key = variablesSet(run).ticketKey?.value ?? '';
    assert.match(key, /^ALLPOST-\d+$/);
    assert.equal(variablesSet(run).ticketCreated?.value, 'true');
    assert.equal(stories(), before + 1);
    const story = stack.jira.state.issue(key)!;
    assert.equal(story.summary, 'Update deps.ts', 'written by Claude from the diff');
    assert.match(JSON.stringify(story.description), new RegExp(`pull request !${seeded.pr.id}`));
    assert.equal(story.status, 'Code Review');

    const retry = await ensure(seeded);
    assertResult(retry, 'Succeeded', /created earlier for this PR/);
    assert.equal(variablesSet(retry).ticketKey?.value, key);
    assert.equal(variablesSet(retry).ticketCreated?.value, 'true');
    assert.equal(stories(), before + 1, 'never a second Story');
    assert.equal(linkThreads(seeded).length, 1);
  });

  it('ensure: a PR build chooses neither the project, the status nor the workflow (the app settings do)', async () => {
    // The PR's own YAML sets these: a PR must not move a ticket to Done or file Stories elsewhere.
    const seeded = seedPullRequest(stack, { branch: 'chore/hostile', title: 'Harmless change' });
    const before = stories();
    const run = await ensure(seeded, { status: 'Done', workflow: 'To Do,Done', defaultProject: 'EVIL' });
    assertResult(run, 'Succeeded', /created, moved To Do → Code Review/);
    const story = stack.jira.state.issue(variablesSet(run).ticketKey?.value ?? '')!;
    assert.match(story.key, /^ALLPOST-/);
    assert.equal(story.status, 'Code Review');
    assert.equal(stories(), before + 1);
  });

  it('ensure: when Claude fails the Story is written from the PR title, with a warning', async () => {
    const seeded = seedPullRequest(stack, {
      branch: 'chore/bump',
      title: 'Bump the SDK [sim:crash]',
      description: 'Newer SDK.',
    });
    const run = await ensure(seeded);
    assertResult(run, 'SucceededWithIssues', /created, moved To Do → Code Review/);
    const story = stack.jira.state.issue(variablesSet(run).ticketKey?.value ?? '')!;
    assert.equal(story.summary, 'Bump the SDK [sim:crash]');
    assert.match(JSON.stringify(story.description), /Newer SDK/);
    assert.equal(story.status, 'Code Review');
    assert.match(run.stdout, /Claude could not write the ticket/);
  });

  it('ensure with auto-create off: succeeds with issues and creates nothing, or fails when a ticket is required', async () => {
    const seeded = seedPullRequest(stack, { branch: 'chore/no-ticket', title: 'No ticket here' });
    const before = stories();
    const soft = await ensure(seeded, { autoCreate: 'false' });
    assertResult(soft, 'SucceededWithIssues', /auto-create is off/);
    assert.equal(variablesSet(soft).ticketKey?.value, '');
    const hard = await ensure(seeded, { autoCreate: 'false', requireTicket: 'true' });
    assertResult(hard, 'Failed', /\[TICKET_MISSING\]/);
    assert.equal(stories(), before);
  });

  it('ensure with auto-create on but no DEFAULT_JIRA_PROJECT: as auto-create off, with a warning naming the setting', async () => {
    const seeded = seedPullRequest(stack, { branch: 'chore/no-project', title: 'No project configured' });
    const app = await functionAppOf(stack);
    const before = stories();
    app.env.DEFAULT_JIRA_PROJECT = '';
    configureServices({ env: app.env });
    try {
      const run = await ensure(seeded);
      assertResult(run, 'SucceededWithIssues', /no Story can be created: DEFAULT_JIRA_PROJECT is not set/);
      assert.equal(variablesSet(run).ticketKey?.value, '');
      assert.equal(stories(), before, 'no Story in any project');
      const required = await ensure(seeded, { requireTicket: 'true' });
      assertResult(required, 'Failed', /\[TICKET_MISSING\].*DEFAULT_JIRA_PROJECT is not set/);
    } finally {
      app.env.DEFAULT_JIRA_PROJECT = 'ALLPOST';
      configureServices({ env: app.env });
    }
  });

  it('ensure: a key in the branch that names no Jira issue fails clearly, creating nothing', async () => {
    const seeded = seedPullRequest(stack, { branch: 'feature/ALLPOST-98765_ghost', title: 'Ghost' });
    const before = stories();
    const run = await ensure(seeded);
    assertResult(run, 'Failed', /\[TICKET_MISSING\] ALLPOST-98765 \(from the branch\) is not a Jira issue/);
    assert.equal(stories(), before);
    assert.equal(linkThreads(seeded).length, 0);
  });

  it('ensure: a ticket Claude writes is redacted of every credential it echoes, with a warning', async () => {
    const seeded = seedPullRequest(stack, { branch: 'chore/rotate', title: 'Rotate keys' });
    const folder = mkdtempSync(join(tmpdir(), 'echo-ticket-'));
    const scenario = join(folder, 'echo.json');
    // The job's token, known before the run so the reviewer can echo it.
    const job = await jobFor(stack, 'pr', stack.agentVariables(seeded.variables));
    const token = job.token;
    writeFileSync(scenario, JSON.stringify({ scenario: 'echo_secrets', echo: [token] }));
    const run = await runAgentTask(stack, 'JiraTicket', {
      inputs: { action: 'ensure' },
      variables: seeded.variables,
      connections: ['jira', 'state'],
      claudeScenario: scenario,
      job,
    });
    assertResult(run, 'SucceededWithIssues', /created/);
    assert.match(run.stdout, /ticket draft contained a credential; it was removed/);
    const issue = stack.jira.state.issue(variablesSet(run).ticketKey?.value ?? '');
    assert.ok(issue, 'the Story was created');
    const text = JSON.stringify({ summary: issue.summary, description: issue.description });
    for (const form of [token, Buffer.from(token).toString('base64'), Buffer.from(token).toString('hex')])
      assert.ok(!text.includes(form), 'a form of the job token reached Jira');
    assert.match(text, /\[redacted\]/);
    rmSync(folder, { recursive: true, force: true });
  });

  it('ensure: a key of a project not configured is ignored with a warning; that ticket is not touched', async () => {
    if (!stack.jira.state.project('PAYROLL')) stack.jira.state.addProject('PAYROLL');
    const foreign = stack.jira.state.createIssue({ project: 'PAYROLL', summary: 'Salaries' });
    const seeded = seedPullRequest(stack, { branch: 'chore/tidy', title: `${foreign.key} tidy up` });
    const run = await ensure(seeded);
    assertResult(run, 'SucceededWithIssues', /created/);
    assert.match(
      run.stdout,
      new RegExp(`${foreign.key} was ignored: it is not a key of the configured Jira projects \\(ALLPOST\\)`),
    );
    const key = variablesSet(run).ticketKey?.value ?? '';
    assert.match(key, /^ALLPOST-\d+$/, 'a Story of the configured project instead');
    assert.equal(foreign.status, 'To Do', 'the foreign ticket did not move');
    assert.ok(linkThreads(seeded).every((thread) => !thread.comments[0]!.content.includes(foreign.key)));

    // The PR's own YAML cannot widen the list: the function app's JIRA_PROJECTS decides.
    const listed = seedPullRequest(stack, { branch: 'chore/tidy-2', title: `${foreign.key} tidy up` });
    const second = await ensure(listed, { jiraProjects: 'ALLPOST, PAYROLL' });
    assertResult(second, 'SucceededWithIssues', /created/);
    assert.match(second.stdout, new RegExp(`${foreign.key} was ignored`));
    assert.equal(foreign.status, 'To Do');
  });

  it('ensure: a ticket another open PR holds is flagged on the task and the PR, not moved or taken over', async () => {
    const issue = stack.jira.state.createIssue({
      project: 'ALLPOST',
      summary: 'Checkout',
      status: 'In Progress',
    });
    const owner = seedPullRequest(stack, { branch: `feature/${issue.key}_checkout`, title: 'Checkout' });
    assertResult(await ensure(owner), 'Succeeded', /found in the branch/);
    assert.equal(issue.status, 'Code Review');
    stack.jira.state.issue(issue.key)!.status = 'In Progress';

    // Another PR names the same ticket in its title.
    const hijack = seedPullRequest(stack, { branch: 'chore/readme', title: `${issue.key} readme typo` });
    const run = await ensure(hijack);
    assertResult(run, 'SucceededWithIssues', /already linked to another open pull request/);
    assert.match(
      run.stdout,
      new RegExp(
        `${issue.key} is already linked to another open pull request \\(PR !${owner.pr.id} in ${owner.repo.replace(/\./g, '\\.')}\\)`,
      ),
    );
    assert.equal(variablesSet(run).ticketKey?.value, '');
    assert.equal(issue.status, 'In Progress', 'the ticket did not move');
    const note = hijack.pr.threads.find((thread) =>
      /Jira ticket:\*\* ⚠/.test(thread.comments[0]?.content ?? ''),
    );
    assert.ok(note, 'a note on the PR');
    const thread = await stack.store.threads.getOf('pr', prThreadId(hijack.repo, hijack.pr.id));
    assert.equal(thread?.state.ticketKey, undefined, "not recorded as this PR's ticket");
    assert.equal(thread?.state.ticketConflictKey, issue.key);
    const ownerThread = await stack.store.threads.getOf('pr', prThreadId(owner.repo, owner.pr.id));
    assert.equal(ownerThread?.state.ticketKey, issue.key, 'the owner keeps it');

    // A re-run does not post the note again; once the owner PR is closed the ticket is free.
    await ensure(hijack);
    assert.equal(
      hijack.pr.threads.filter((t) => /Jira ticket:\*\* ⚠/.test(t.comments[0]?.content ?? '')).length,
      1,
    );
    owner.pr.status = 'abandoned';
    const after = await ensure(hijack);
    assertResult(after, 'Succeeded', /found in the title/);
    assert.equal(issue.status, 'Code Review');
  });

  it('transition: walks forward to the status; an impossible move fails naming the available transitions', async () => {
    const issue = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Reports' });
    const run = await runAgentTask(stack, 'JiraTicket', {
      inputs: { action: 'transition', ticketKey: issue.key, status: 'Staging' },
      connections: ['jira'],
    });
    assertResult(run, 'Succeeded', /To Do → Staging \(via In Progress, Code Review\)/);
    assert.equal(issue.status, 'Staging');

    stack.jira.state.setStatus(issue.key, 'Done');
    const back = await runAgentTask(stack, 'JiraTicket', {
      inputs: { action: 'transition', ticketKey: issue.key, status: 'Code Review' },
      connections: ['jira'],
    });
    assertResult(
      back,
      'Failed',
      /\[JIRA_TRANSITION_UNAVAILABLE\].*available transitions are "Reopen" \(→ To Do\).*comes before "Done"/,
    );
    assert.equal(issue.status, 'Done');
  });

  it('transition of the PR ticket (no ticketKey): from the branch', async () => {
    const issue = stack.jira.state.createIssue({
      project: 'ALLPOST',
      summary: 'Export',
      status: 'In Progress',
    });
    const seeded = seedPullRequest(stack, { branch: `feature/${issue.key}`, title: 'Export' });
    const run = await runAgentTask(stack, 'JiraTicket', {
      inputs: { action: 'transition', status: 'Code Review' },
      variables: seeded.variables,
      connections: ['jira'],
    });
    assertResult(run, 'Succeeded');
    assert.equal(issue.status, 'Code Review');
  });

  it('comment: on the given ticket', async () => {
    const issue = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Audit' });
    const run = await runAgentTask(stack, 'JiraTicket', {
      inputs: { action: 'comment', ticketKey: issue.key.toLowerCase(), comment: 'Deployed to **sandbox**.' },
      connections: ['jira'],
    });
    assertResult(run, 'Succeeded', new RegExp(`commented on ${issue.key}`));
    assert.equal(issue.comments.length, 1);
    assert.match(JSON.stringify(issue.comments[0]!.body), /sandbox/);
  });

  describe('bad inputs fail naming the input', () => {
    const cases: {
      name: string;
      inputs: Record<string, string>;
      pr?: boolean;
      connections?: ('jira' | 'slack' | 'state')[];
      message: RegExp;
    }[] = [
      {
        name: 'an unknown action',
        inputs: { action: 'close' },
        message: /"action" must be one of ensure, transition, comment/,
      },
      {
        name: 'comment without a comment',
        inputs: { action: 'comment', ticketKey: 'ALLPOST-1' },
        message: /"comment" is required/,
      },
      {
        name: 'transition without a ticket or a PR',
        inputs: { action: 'transition', status: 'Done' },
        message: /"ticketKey" is required/,
      },
      {
        name: 'a ticket key that is not one',
        inputs: { action: 'comment', ticketKey: 'not a key', comment: 'x' },
        message: /"ticketKey" is not a Jira issue key/,
      },
      {
        name: 'no Jira connection',
        inputs: { action: 'comment', ticketKey: 'ALLPOST-1', comment: 'x', jiraConnection: '' },
        connections: [],
        message: /"jiraConnection" is required/,
      },
      {
        name: 'a Jira project list with something that is not a key',
        inputs: {
          action: 'transition',
          ticketKey: 'ALLPOST-1',
          status: 'Done',
          jiraProjects: 'ALLPOST, pay-roll',
        },
        message: /input "jiraProjects" must list Jira project keys .*"PAY-ROLL"/,
      },
      {
        name: 'ensure without a state connection',
        inputs: { action: 'ensure' },
        pr: true,
        connections: ['jira'],
        message: /"stateConnection" is required/,
      },
      {
        name: 'a bad ticket pattern',
        inputs: { action: 'ensure', ticketPattern: '(' },
        pr: true,
        message: /"ticketPattern"/,
      },
      {
        name: 'a one-status workflow',
        inputs: { action: 'transition', ticketKey: 'ALLPOST-1', status: 'Done', workflow: 'Done' },
        message: /"workflow"/,
      },
      {
        name: 'a budget out of range',
        inputs: { action: 'ensure', maxBudgetUsd: '-1' },
        pr: true,
        message: /"maxBudgetUsd"/,
      },
    ];
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const seeded = testCase.pr
          ? seedPullRequest(stack, { branch: 'chore/bad', title: 'Bad input' })
          : undefined;
        const before = stories();
        const run = await runAgentTask(stack, 'JiraTicket', {
          inputs: testCase.inputs,
          ...(seeded ? { variables: seeded.variables } : {}),
          connections: testCase.connections ?? ['jira', 'state'],
        });
        assertResult(run, 'Failed', testCase.message);
        assert.equal(stories(), before);
      });
    }
  });
});
