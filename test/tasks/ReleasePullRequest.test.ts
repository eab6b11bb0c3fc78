import assert from 'node:assert/strict';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { lastJobBuild } from './job-kit.ts';
import {
  failure,
  releaseThread,
  runReleaseTask,
  seedStaging,
  succeeded,
  ticket,
  uniqueRepo,
  when,
} from './release-support.ts';

const TICKETS = [
  ticket('ALLPOST-4028', 'Login page', [11]),
  ticket('ALLPOST-4031', 'Invoice <export>', [12, 13]),
];

describe('task ReleasePullRequest (run as the agent runs it)', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  /** A repo whose develop is one commit ahead of main, and its staging release. */
  async function stagedRepo(tickets = TICKETS): Promise<string> {
    const repo = uniqueRepo();
    stack.azdo.seedRepository({ name: repo, branches: ['develop'] });
    stack.azdo.pushCommit(repo, 'develop', { message: 'Merged PR 11: ALLPOST-4028 login' });
    await seedStaging(stack, repo, tickets);
    return repo;
  }

  const pullRequestsOf = (repo: string) => {
    const id = stack.azdo.repository(repo).id;
    return [...stack.azdo.pullRequests.values()].filter((pr) => pr.repositoryId === id);
  };
  const slackTexts = () => stack.slack.messages(stack.slackChannel).map((message) => message.text);

  describe('plan', () => {
    it('says there is nothing to release when the repo has no staging release or no tickets, with hasRelease=false', async () => {
      const none = uniqueRepo();
      const empty = uniqueRepo();
      await seedStaging(stack, empty, []);
      for (const repo of [none, empty]) {
        const run = succeeded(await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'plan' }));
        assert.deepEqual(run.outputs, { hasRelease: 'false' });
        assert.match(run.resultMessage ?? '', /nothing to release/);
        assert.equal(run.buildNumber, undefined);
        const setvariable = run.commands.find((command) => command.command === 'task.setvariable');
        assert.equal(setvariable?.properties.isOutput, 'true', 'hasRelease is an output variable');
      }
    });

    it('renders the notes as the run summary, opens the release thread for this run and sets version, hasRelease and the build number', async () => {
      const repo = await stagedRepo();
      const run = succeeded(
        await runReleaseTask(
          stack,
          'ReleasePullRequest',
          undefined,
          {
            action: 'plan',
            repository: repo,
            pipelines: '12:Payments CI\n14',
          },
          { variables: { 'Build.BuildId': '77' } },
        ),
      );
      assert.deepEqual(run.outputs, { hasRelease: 'true', version: '1.4.0' });
      assert.equal(run.buildNumber, `${repo} 1.4.0`);
      assert.equal(run.summaries.length, 1);
      assert.match(run.summaries[0]!, /## Billo\.Platform\.Payment\d+x\d+ 1\.4\.0/);
      assert.match(
        run.summaries[0]!,
        /\[ALLPOST-4028\]\(https?:\/\/[^)]+\/browse\/ALLPOST-4028\): Login page \(PR !11\)/,
      );
      assert.match(run.summaries[0]!, /Invoice &lt;export&gt; \(PRs !12, !13\)/);
      const { thread, state } = await releaseThread(stack, repo);
      assert.equal(thread.kind, 'release');
      assert.equal(thread.status, 'running');
      assert.equal(state.version, '1.4.0');
      // The run is the one Azure DevOps says the job belongs to, not what its variables claim (77).
      const build = lastJobBuild(stack)!;
      assert.notEqual(build.buildId, 77);
      assert.equal(state.runId, build.buildId);
      assert.equal(state.pipelineId, build.pipelineId);
      assert.match(state.runUrl ?? '', new RegExp(`_build/results\\?buildId=${build.buildId}$`));
      assert.deepEqual(state.pipelines, [
        { id: 12, name: 'Payments CI' },
        { id: 14, name: 'pipeline 14' },
      ]);
      assert.equal(state.notes, run.summaries[0]!.replace(/^# .*\n\n/, '').replace(/\n$/, ''));

      // A second run of the release pipeline takes the thread over and keeps the pipelines it has.
      succeeded(
        await runReleaseTask(
          stack,
          'ReleasePullRequest',
          repo,
          { action: 'plan' },
          { variables: { 'Build.BuildId': '78' } },
        ),
      );
      const again = await releaseThread(stack, repo);
      assert.equal(again.state.runId, lastJobBuild(stack)!.buildId);
      assert.notEqual(again.state.runId, state.runId);
      assert.deepEqual(again.state.pipelines, state.pipelines);
      assert.equal(again.thread.createdAt, thread.createdAt);
    });
  });

  describe('create', () => {
    it('opens the develop → main PR with the notes, records it, announces it once, and reuses it on a re-run', async () => {
      const repo = await stagedRepo();
      const before = slackTexts().length;
      const first = succeeded(
        await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'create', version: '1.4.0' }),
      );
      const prs = pullRequestsOf(repo);
      assert.equal(prs.length, 1);
      const pr = prs[0]!;
      assert.equal(first.outputs.pullRequestId, String(pr.id));
      assert.equal(pr.title, `Release ${repo} 1.4.0`);
      assert.equal(pr.sourceRefName, 'refs/heads/develop');
      assert.equal(pr.targetRefName, 'refs/heads/main');
      assert.match(pr.description, /ALLPOST-4028.*Login page/);
      assert.match(pr.description, /ALLPOST-4031/);
      const { state } = await releaseThread(stack, repo);
      assert.equal(state.releasePrId, pr.id);
      assert.match(state.releasePrUrl ?? '', new RegExp(`/pullrequest/${pr.id}$`));
      const posted = slackTexts().slice(before);
      assert.equal(posted.length, 1);
      assert.match(
        posted[0]!,
        new RegExp(`Release PR #${pr.id} created for ${repo.replace(/\./g, '\\.')} 1\\.4\\.0`),
      );

      const second = succeeded(
        await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'create', version: '1.4.0' }),
      );
      assert.equal(second.outputs.pullRequestId, String(pr.id));
      assert.equal(pullRequestsOf(repo).length, 1, 'no second PR');
      assert.ok(second.logLines.some((line) => line.includes(`Reused the open PR #${pr.id}`)));
      assert.equal(slackTexts().length, before + 1, 'announced once');
    });

    it("reuses a release PR someone opened by hand, and cuts a long ticket list to Azure DevOps' 4000 characters with a note", async () => {
      const tickets = Array.from({ length: 80 }, (_, index) =>
        ticket(`ALLPOST-${5000 + index}`, `A rather long summary of change number ${index} `.repeat(2)),
      );
      const repo = await stagedRepo(tickets);
      const manual = stack.azdo.createPullRequestAsUser({
        repository: repo,
        sourceRefName: 'refs/heads/develop',
        targetRefName: 'refs/heads/main',
        title: 'Release by hand',
      });
      const run = succeeded(await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'create' }));
      assert.equal(run.outputs.pullRequestId, String(manual.id));
      assert.equal(pullRequestsOf(repo).length, 1);
      assert.equal((await releaseThread(stack, repo)).state.releasePrId, manual.id);

      const other = await stagedRepo(tickets);
      succeeded(await runReleaseTask(stack, 'ReleasePullRequest', other, { action: 'create' }));
      const description = pullRequestsOf(other)[0]!.description;
      assert.ok(description.length <= 4000, `description is ${description.length} characters`);
      const listed = description.split('\n').filter((line) => line.startsWith('- [ALLPOST-')).length;
      assert.ok(listed > 10 && listed < 80, `${listed} tickets listed`);
      assert.match(
        description,
        new RegExp(
          `…and ${80 - listed} more tickets: the description is cut to Azure DevOps' 4000-character limit`,
        ),
      );
    });
    it('refuses to open a release PR when nothing is staged', async () => {
      const repo = uniqueRepo();
      stack.azdo.seedRepository({ name: repo, branches: ['develop'] });
      await seedStaging(stack, repo, []);
      const run = await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'create' });
      assert.match(failure(run), /^\[RELEASE_NOT_FOUND\] .* nothing to release/);
      assert.equal(pullRequestsOf(repo).length, 0);
    });
  });

  describe('complete', () => {
    async function createdPr(repo: string) {
      succeeded(
        await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'create', version: '1.4.0' }),
      );
      return pullRequestsOf(repo)[0]!;
    }

    it('merges at the source commit read just before completing, tags the merge commit, records both, and is idempotent', async () => {
      const repo = await stagedRepo();
      const pr = await createdPr(repo);
      // Pushed after the PR was created (before gate 3 was approved): the merge takes it.
      const latest = stack.azdo.pushCommit(repo, 'develop', { message: 'Merged PR 14: ALLPOST-4031 export' });
      const mainBefore = stack.azdo.repository(repo).refs.get('refs/heads/main')!;
      const run = succeeded(
        await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'complete', version: '1.4.0' }),
      );
      assert.equal(pr.status, 'completed');
      const git = stack.azdo.repository(repo);
      const mergeCommit = git.refs.get('refs/heads/main')!;
      assert.deepEqual(git.commits.get(mergeCommit)!.parents, [mainBefore, latest.commitId]);
      assert.equal(pr.completionOptions?.deleteSourceBranch, false);
      assert.ok(git.refs.has('refs/heads/develop'), 'develop is kept');
      assert.deepEqual(run.outputs, { mergeCommit, tag: 'v1.4.0' });
      assert.equal(git.tags.get('v1.4.0')?.commitId, mergeCommit);
      const { state } = await releaseThread(stack, repo);
      assert.equal(state.mergeCommit, mergeCommit);
      assert.equal(state.tag, 'v1.4.0');

      const again = succeeded(
        await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'complete', version: '1.4.0' }),
      );
      assert.deepEqual(again.outputs, { mergeCommit, tag: 'v1.4.0' });
      assert.ok(again.logLines.some((line) => line.includes('Tag v1.4.0 already points at')));
      assert.equal(git.refs.get('refs/heads/main'), mergeCommit, 'nothing merged twice');
    });

    it('sets auto-complete while required policies are pending and completes when they pass during the poll', async () => {
      const repo = await stagedRepo();
      const pr = await createdPr(repo);
      stack.azdo.setBlockingPolicy(repo, true);
      const running = runReleaseTask(stack, 'ReleasePullRequest', repo, {
        action: 'complete',
        version: '1.4.0',
        pollIntervalSeconds: 0.2,
        maxWaitSeconds: 30,
      });
      await when(() => pr.autoCompleteSetBy !== undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(pr.status, 'active', 'not merged before the policy passes');
      stack.azdo.setPolicyStatus(repo, pr.id, 'approved');
      const run = succeeded(await running);
      assert.equal(pr.status, 'completed');
      assert.ok(run.logLines.some((line) => /auto-complete is set/.test(line)));
      assert.ok(
        run.logLines.some((line) => /PR #\d+: active, .*auto-complete on: waiting/.test(line)),
        run.logLines.join('\n'),
      );
      assert.equal(stack.azdo.repository(repo).tags.get('v1.4.0')?.commitId, pr.mergeCommit);
      assert.equal(run.outputs.mergeCommit, pr.mergeCommit);
    });

    it('fails with PR_STALE_COMMIT and turns auto-complete off when the source branch moves while it waits', async () => {
      const repo = await stagedRepo();
      const pr = await createdPr(repo);
      stack.azdo.setBlockingPolicy(repo, true);
      const running = runReleaseTask(stack, 'ReleasePullRequest', repo, {
        action: 'complete',
        pollIntervalSeconds: 0.2,
        maxWaitSeconds: 30,
      });
      await when(() => pr.autoCompleteSetBy !== undefined);
      stack.azdo.pushCommit(repo, 'develop', { message: 'sneaked in' });
      const message = failure(await running);
      assert.match(message, /^\[PR_STALE_COMMIT\] /);
      assert.equal(pr.status, 'active');
      assert.equal(pr.autoCompleteSetBy, undefined, 'auto-complete turned off');
      assert.equal(stack.azdo.repository(repo).tags.size, 0);
    });

    it('fails with PR_COMPLETION_TIMEOUT after maxWaitSeconds and leaves nothing to merge behind the failed stage', async () => {
      const repo = await stagedRepo();
      const pr = await createdPr(repo);
      stack.azdo.setBlockingPolicy(repo, true);
      const run = await runReleaseTask(stack, 'ReleasePullRequest', repo, {
        action: 'complete',
        pollIntervalSeconds: 0.2,
        maxWaitSeconds: 1,
      });
      assert.match(failure(run), /^\[PR_COMPLETION_TIMEOUT\] PR \d+ .* did not complete within 1s/);
      assert.equal(pr.status, 'active');
      assert.equal(pr.autoCompleteSetBy, undefined);
      stack.azdo.setPolicyStatus(repo, pr.id, 'approved');
      assert.equal(pr.status, 'active', 'a later policy pass merges nothing');
    });

    it('fails with CONFLICT naming the merge conflicts, and with CONFLICT for an abandoned PR', async () => {
      const repo = await stagedRepo();
      const pr = await createdPr(repo);
      stack.azdo.setMergeConflict(repo, pr.id, true);
      const conflicted = await runReleaseTask(stack, 'ReleasePullRequest', repo, {
        action: 'complete',
        pollIntervalSeconds: 0.2,
      });
      assert.match(
        failure(conflicted),
        /^\[CONFLICT\] .*merge conflicts between refs\/heads\/develop and refs\/heads\/main/,
      );
      assert.equal(pr.status, 'active');
      pr.status = 'abandoned';
      const abandoned = await runReleaseTask(stack, 'ReleasePullRequest', repo, { action: 'complete' });
      assert.match(failure(abandoned), /^\[CONFLICT\] release PR #\d+ .* was abandoned/);
    });
  });

  it('fails naming each missing or invalid input, before touching anything', async () => {
    const repo = await stagedRepo();
    const cases: [
      Record<string, string | number>,
      string,
      string | undefined,
      ('stateConnection' | 'slackConnection')[],
    ][] = [
      [{ action: 'deploy' }, 'action', repo, []],
      [{ action: 'plan' }, 'repository', undefined, []],
      [{ action: 'plan', pipelines: '12,abc' }, 'pipelines', repo, []],
      [{ action: 'plan' }, 'stateConnection', repo, ['stateConnection']],
      [{ action: 'create', version: '1.4' }, 'version', repo, []],
      [{ action: 'create', sourceBranch: 'bad branch' }, 'sourceBranch', repo, []],
      [{ action: 'complete', pollIntervalSeconds: 'often' }, 'pollIntervalSeconds', repo, []],
      [{ action: 'complete', maxWaitSeconds: 0 }, 'maxWaitSeconds', repo, []],
      [{ action: 'complete', pullRequestId: 'x' }, 'pullRequestId', repo, []],
      [{ action: 'complete', mergeStrategy: 'octopus' }, 'mergeStrategy', repo, []],
    ];
    const runs = await Promise.all(
      cases.map(([inputs, , caseRepo, without]) =>
        runReleaseTask(stack, 'ReleasePullRequest', caseRepo, inputs, { without }),
      ),
    );
    for (const [index, run] of runs.entries()) {
      const [, input] = cases[index]!;
      assert.match(failure(run), new RegExp(`^\\[INPUT_INVALID\\] .*input "${input}"`), `case ${index}`);
    }
    assert.equal(pullRequestsOf(repo).length, 0);
    assert.equal(await stack.store.threads.get(`release.${encodeURIComponent(repo)}.1.4.0`), undefined);
  });
});
