import assert from 'node:assert/strict';
import { prThreadId } from '../../flows/threads.ts';
import type { PullRequestState } from '../../sandbox/sim/azdo/simulator.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { lastJobBuild } from './job-kit.ts';
import {
  assertCredentialsRegistered,
  assertResult,
  runAgentTask,
  seedPullRequest,
  slackMessagesSince,
  uniqueName,
  variablesSet,
} from './pr-tasks-kit.ts';

describe('StageRelease task (run as the agent runs it)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  /** A PR on `repo` merged (squash) into develop; returns the PR and the CI run's variables. */
  function mergedPr(repo: string, input: { branch: string; title: string; description?: string }) {
    const seeded = seedPullRequest(stack, { repo, ...input });
    stack.azdo.completePullRequest(seeded.pr, stack.azdo.users.approver, { mergeStrategy: 'squash' });
    return { pr: seeded.pr, variables: ciVariables(repo, seeded.pr) };
  }

  function ciVariables(repo: string, pr: PullRequestState): Record<string, string> {
    return {
      'Build.Repository.Name': repo,
      'Build.SourceVersion': pr.mergeCommit,
      'Build.SourceVersionMessage': `Merged PR ${pr.id}: ${pr.title}`,
      'Build.BuildId': '77',
    };
  }

  const stage = (variables: Record<string, string>, inputs: Record<string, string> = {}) =>
    runAgentTask(stack, 'StageRelease', { inputs, variables });

  it('stages the ticket of the merged PR: version, Jira status, variables, build number, Slack; a re-run changes nothing', async () => {
    const repo = uniqueName('Billo.Platform.Payment');
    const issue = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Card payments' });
    const { pr, variables } = mergedPr(repo, {
      branch: `feature/${issue.key}_cards`,
      title: 'Card payments',
    });
    const slackBefore = stack.slack.messages(stack.slackChannel).length;
    const run = await stage(variables);

    assertResult(
      run,
      'Succeeded',
      new RegExp(`${issue.key} staged on ${repo.replace(/\./g, '\\.')} 1\\.0\\.0`),
    );
    assertCredentialsRegistered(run, stack, ['token']);
    const set = variablesSet(run);
    assert.deepEqual(set.version, { value: '1.0.0', isOutput: true });
    assert.deepEqual(set['ReleaseAgent.Version'], { value: '1.0.0', isOutput: false });
    assert.deepEqual(set.ticketKeys, { value: issue.key, isOutput: true });
    assert.deepEqual(set.pullRequestId, { value: String(pr.id), isOutput: true });
    assert.equal(run.buildNumber, `${repo} 1.0.0+${lastJobBuild(stack)!.buildId}`);
    assert.equal(run.summaries.length, 1);

    const staging = await stack.store.staging.get(repo);
    assert.equal(staging?.version, '1.0.0');
    assert.deepEqual(
      staging?.tickets.map((ticket) => ({
        key: ticket.key,
        summary: ticket.summary,
        prIds: ticket.prIds,
        bump: ticket.bump,
        status: ticket.status,
      })),
      [{ key: issue.key, summary: 'Card payments', prIds: [pr.id], bump: 'patch', status: 'Staging' }],
    );
    assert.equal(issue.status, 'Staging', 'walked To Do → In Progress → Code Review → Staging');
    const thread = await stack.store.threads.get(prThreadId(repo, pr.id));
    assert.equal(thread?.state.mergeCommit, pr.mergeCommit);
    assert.equal(thread?.status, 'done');
    const [card] = slackMessagesSince(stack, slackBefore);
    assert.match(card?.text ?? '', new RegExp(`${issue.key} added to .* staging version 1\\.0\\.0`));

    const again = await stage(variables);
    assertResult(again, 'Succeeded', /already on/);
    assert.equal(slackMessagesSince(stack, slackBefore).length, 1, 'no second notice');
    assert.deepEqual(
      (await stack.store.staging.get(repo))?.tickets.map((ticket) => ticket.prIds),
      [[pr.id]],
    );
  });

  it('stages only tickets of the configured projects, and none another open PR holds (flagged, not moved)', async () => {
    const repo = uniqueName('Billo.Platform.Hijack');
    if (!stack.jira.state.project('PAYROLL')) stack.jira.state.addProject('PAYROLL');
    const own = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Own work' });
    const held = stack.jira.state.createIssue({
      project: 'ALLPOST',
      summary: "Someone else's",
      status: 'In Progress',
    });
    const foreign = stack.jira.state.createIssue({ project: 'PAYROLL', summary: 'Salaries' });
    // The PR that holds `held`: open, linked through its thread (as JiraTicket ensure records it).
    const holder = seedPullRequest(stack, { repo, branch: `feature/${held.key}_work`, title: 'Their work' });
    await stack.store.threads.createIfAbsent({
      id: prThreadId(repo, holder.pr.id),
      kind: 'pr',
      repo,
      prId: holder.pr.id,
      status: 'running',
      state: { ticketKey: held.key },
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
    const { variables } = mergedPr(repo, {
      branch: `feature/${own.key}_own`,
      title: `${held.key} ${foreign.key} typo`,
    });
    const run = await stage(variables);

    assertResult(run, 'SucceededWithIssues', new RegExp(`${own.key} staged`));
    assert.match(
      run.stdout,
      new RegExp(`${foreign.key} was ignored: it is not a key of the configured Jira projects \\(ALLPOST\\)`),
    );
    assert.match(
      run.stdout,
      new RegExp(
        `${held.key} is already linked to another open pull request \\(PR !${holder.pr.id} in [^)]+\\): left off this release and not moved`,
      ),
    );
    const staging = await stack.store.staging.get(repo);
    assert.deepEqual(
      staging?.tickets.map((ticket) => ticket.key),
      [own.key],
    );
    assert.equal(held.status, 'In Progress', 'the held ticket did not move');
    assert.equal(foreign.status, 'To Do', 'the foreign ticket did not move');
    assert.equal(own.status, 'Staging');
  });

  it('a direct push (no PR) stages nothing and succeeds with issues', async () => {
    const repo = uniqueName('Billo.Platform.Direct');
    stack.azdo.seedRepository({ name: repo, branches: ['develop'] });
    const commit = stack.azdo.pushCommit(repo, 'develop', { message: 'hotfix straight to develop' });
    const run = await stage({ 'Build.Repository.Name': repo, 'Build.SourceVersion': commit.commitId });
    assertResult(run, 'SucceededWithIssues', /no PR completed by this commit/);
    assert.equal(await stack.store.staging.get(repo), undefined);
    assert.equal(variablesSet(run).version, undefined);
  });

  it('two PRs for the same ticket: one staged ticket carrying both PRs', async () => {
    const repo = uniqueName('Billo.Platform.Twice');
    const issue = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Two parts' });
    const first = mergedPr(repo, { branch: `feature/${issue.key}_one`, title: 'Part one' });
    assertResult(await stage(first.variables), 'Succeeded');
    const second = mergedPr(repo, { branch: `feature/${issue.key}_two`, title: 'Part two' });
    assertResult(await stage(second.variables), 'Succeeded');
    const staging = await stack.store.staging.get(repo);
    assert.deepEqual(
      staging?.tickets.map((ticket) => [ticket.key, ticket.prIds]),
      [[issue.key, [first.pr.id, second.pr.id]]],
    );
    assert.equal(staging?.version, '1.0.0');
  });

  it('Release-As in the PR description wins; a conventional feat bumps the minor after the last release', async () => {
    const repo = uniqueName('Billo.Platform.Versions');
    await stack.store.releases.archive({
      repo,
      version: '1.2.0',
      startedAt: '2026-01-01T00:00:00.000Z',
      releasedAt: '2026-01-02T00:00:00.000Z',
      tickets: [],
      notes: '',
      gates: [],
    });
    const feat = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Feature' });
    const featPr = mergedPr(repo, { branch: `feature/${feat.key}`, title: 'feat: exports' });
    const conventional = await stage(featPr.variables, { conventionalBumps: 'true' });
    assertResult(conventional, 'Succeeded');
    assert.equal(variablesSet(conventional).version?.value, '1.3.0');

    const pinned = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Pinned' });
    const pinnedPr = mergedPr(repo, {
      branch: `feature/${pinned.key}`,
      title: 'Big one',
      description: 'Details.\n\nRelease-As: 2.0.0\n',
    });
    const run = await stage(pinnedPr.variables, { conventionalBumps: 'true' });
    assertResult(run, 'Succeeded');
    assert.equal(variablesSet(run).version?.value, '2.0.0');
    assert.equal((await stack.store.staging.get(repo))?.releaseAs, '2.0.0');

    const backwards = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Backwards' });
    const backwardsPr = mergedPr(repo, {
      branch: `feature/${backwards.key}`,
      title: 'Old',
      description: 'Release-As: 1.1.0',
    });
    assertResult(await stage(backwardsPr.variables), 'Failed', /\[VERSION_NOT_INCREASING\]/);
    assert.equal(
      (await stack.store.staging.get(repo))?.tickets.length,
      2,
      'nothing staged by the refused run',
    );
  });

  it('with fixVersion, every staged ticket gets the fix version <repo>-<version>', async () => {
    const repo = uniqueName('Billo.Platform.Fix');
    const issue = stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'Fixed' });
    const { variables } = mergedPr(repo, { branch: `feature/${issue.key}`, title: 'Fixed' });
    assertResult(await stage(variables, { fixVersion: 'true', updateBuildNumber: 'false' }), 'Succeeded');
    const version = stack.jira.state
      .versions('ALLPOST')
      .find((candidate) => candidate.name === `${repo}-1.0.0`);
    assert.ok(version, 'the fix version exists');
    assert.deepEqual(issue.fixVersionIds, [version.id]);
  });

  it('a PR without a ticket stages nothing; a key that is no Jira issue is left off with a warning', async () => {
    const repo = uniqueName('Billo.Platform.None');
    const { variables } = mergedPr(repo, {
      branch: 'chore/tidy',
      title: 'Tidy up',
      description: 'Mentions ALLPOST-99999 in passing.',
    });
    const run = await stage(variables);
    assertResult(run, 'SucceededWithIssues', /carries no Jira ticket/);
    assert.match(run.stdout, /ALLPOST-99999 is not a Jira issue/);
    assert.equal(await stack.store.staging.get(repo), undefined);
  });

  describe('bad inputs fail naming the input', () => {
    const commit = 'a'.repeat(40);
    const cases: {
      name: string;
      inputs: Record<string, string>;
      variables: Record<string, string>;
      connections?: ('jira' | 'slack' | 'state')[];
      message: RegExp;
    }[] = [
      {
        name: 'no repository',
        inputs: {},
        variables: { 'Build.SourceVersion': commit },
        message: /"repository" is required/,
      },
      {
        name: 'a first release that is not a version',
        inputs: { firstRelease: 'one' },
        variables: { 'Build.Repository.Name': 'r', 'Build.SourceVersion': commit },
        message: /"firstRelease"/,
      },
      {
        name: 'a non-boolean switch',
        inputs: { fixVersion: 'yes' },
        variables: { 'Build.Repository.Name': 'r', 'Build.SourceVersion': commit },
        message: /"fixVersion" must be true or false/,
      },
      {
        name: 'no state connection',
        inputs: { stateConnection: '' },
        variables: { 'Build.Repository.Name': 'r', 'Build.SourceVersion': commit },
        connections: ['jira'],
        message: /"stateConnection" is required/,
      },
      {
        name: 'a state connection that still holds a storage connection string',
        inputs: { stateConnection: 'legacy' },
        variables: { 'Build.Repository.Name': 'r', 'Build.SourceVersion': commit },
        message: /holds a storage connection string/,
      },
    ];
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const run = await runAgentTask(stack, 'StageRelease', {
          inputs: testCase.inputs,
          variables: testCase.variables,
          connections: testCase.connections ?? ['jira', 'slack', 'state'],
          extraEndpoints: {
            // What the connection held before the tasks went through the function app.
            legacy: {
              url: 'https://app.example',
              scheme: 'Token',
              parameters: { apitoken: stack.storageConnectionString },
            },
          },
        });
        assertResult(run, 'Failed', testCase.message);
        assert.equal(variablesSet(run).version, undefined);
      });
    }
  });
});
