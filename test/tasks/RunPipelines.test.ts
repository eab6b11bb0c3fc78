import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { releaseThreadId, type ReleaseThreadState } from '../../flows/threads.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import {
  failure,
  releaseThread,
  runReleaseTask,
  seedStaging,
  succeeded,
  ticket,
  uniqueRepo,
} from './release-support.ts';
import { testSecret } from '../support/test-secrets.ts';

describe('task RunPipelines (run as the agent runs it)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let nextPipelineId = 100;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  /** A merged release: repo, staging, and a release thread with the merge commit and the plan's pipelines. */
  async function mergedRelease(
    state: Partial<ReleaseThreadState> = {},
  ): Promise<{ repo: string; mergeCommit: string }> {
    const repo = uniqueRepo();
    const git = stack.azdo.seedRepository({ name: repo });
    const mergeCommit = git.refs.get('refs/heads/main')!;
    await seedStaging(stack, repo, [ticket('ALLPOST-1', 'One')]);
    const at = new Date().toISOString();
    await stack.store.threads.createIfAbsent({
      id: releaseThreadId(repo, '1.4.0'),
      kind: 'release',
      repo,
      status: 'running',
      state: { version: '1.4.0', mergeCommit, ...state },
      createdAt: at,
      updatedAt: at,
    });
    return { repo, mergeCommit };
  }

  function pipeline(name: string, parameters?: string[]) {
    return stack.azdo.addPipeline({ id: nextPipelineId++, name, ...(parameters ? { parameters } : {}) });
  }

  const runsOf = (pipelineId: number) =>
    [...stack.azdo.runs.values()].filter((run) => run.pipelineId === pipelineId);
  const lastSlack = () => stack.slack.messages(stack.slackChannel).at(-1)!;
  const fast = { pollIntervalSeconds: 0.2, maxWaitSeconds: 20, version: '1.4.0' };

  it("queues the plan's pipelines for the merge commit with the parameters, polls with one line per poll, and reports success", async () => {
    const ci = pipeline('Payments CI', ['environment', 'version']);
    const cd = pipeline('Payments CD', ['environment', 'version']);
    stack.azdo.scriptNextRun(ci.id, { result: 'succeeded', durationMs: 500 });
    stack.azdo.scriptNextRun(cd.id, { result: 'succeeded', durationMs: 1_000 });
    const { repo, mergeCommit } = await mergedRelease({
      pipelines: [
        { id: ci.id, name: ci.name },
        { id: cd.id, name: cd.name },
      ],
    });
    const slackBefore = stack.slack.messages(stack.slackChannel).length;
    const run = succeeded(
      await runReleaseTask(stack, 'RunPipelines', repo, {
        ...fast,
        templateParameters: 'environment=prod\nversion = 1.4.0',
      }),
    );
    const [ciRun] = runsOf(ci.id);
    const [cdRun] = runsOf(cd.id);
    assert.ok(ciRun && cdRun && runsOf(ci.id).length === 1 && runsOf(cd.id).length === 1);
    for (const queued of [ciRun, cdRun]) {
      assert.equal(queued.version, mergeCommit);
      assert.equal(queued.refName, 'refs/heads/main');
      assert.deepEqual(queued.templateParameters, { environment: 'prod', version: '1.4.0' });
    }
    assert.deepEqual(run.outputs, { runIds: `${ciRun.id},${cdRun.id}`, result: 'succeeded' });
    const polls = run.logLines.filter(
      (line) => line.includes(`Payments CI #${ciRun.id}`) && line.includes(`Payments CD #${cdRun.id}`),
    );
    assert.ok(polls.length >= 3, polls.join('\n'));
    assert.match(polls[0]!, /inProgress.*inProgress/);
    assert.match(polls.at(-1)!, /completed\/succeeded.*completed\/succeeded/);
    assert.ok(
      polls.some((line) => /Payments CI #\d+ completed\/succeeded; Payments CD #\d+ inProgress/.test(line)),
      'CI finishes first',
    );
    assert.equal(stack.slack.messages(stack.slackChannel).length, slackBefore + 1);
    assert.match(lastSlack().text, /: all succeeded$/);
    const { state } = await releaseThread(stack, repo);
    assert.deepEqual(
      state.pipelineRuns?.map((recorded) => [recorded.pipelineId, recorded.runId, recorded.commit]),
      [
        [ci.id, ciRun.id, mergeCommit],
        [cd.id, cdRun.id, mergeCommit],
      ],
    );
  });

  it('takes the pipelines, commit and branch from its inputs, with JSON template parameters', async () => {
    const deploy = pipeline('Deploy', ['region', 'dryRun']);
    const { repo } = await mergedRelease();
    const other = stack.azdo.pushCommit(repo, 'main', { message: 'hotfix' }).commitId;
    const run = succeeded(
      await runReleaseTask(stack, 'RunPipelines', repo, {
        ...fast,
        pipelines: `${deploy.id}:Deploy to EU`,
        commit: other,
        branch: 'main',
        templateParameters: '{"region": "eu", "dryRun": false}',
      }),
    );
    const [queued] = runsOf(deploy.id);
    assert.equal(queued?.version, other);
    assert.equal(queued?.refName, 'refs/heads/main');
    assert.deepEqual(queued?.templateParameters, { region: 'eu', dryRun: 'false' });
    assert.ok(run.logLines.some((line) => line.startsWith('Deploy to EU: queued run')));
  });

  it("fails with PIPELINE_FAILED and the failed run's link when one fails, after waiting for the others", async () => {
    const ci = pipeline('CI');
    const cd = pipeline('CD');
    stack.azdo.scriptNextRun(ci.id, { result: 'failed', durationMs: 200 });
    stack.azdo.scriptNextRun(cd.id, { result: 'succeeded', durationMs: 700 });
    const { repo } = await mergedRelease({
      pipelines: [
        { id: ci.id, name: 'CI' },
        { id: cd.id, name: 'CD' },
      ],
    });
    const run = await runReleaseTask(stack, 'RunPipelines', repo, fast);
    const [ciRun] = runsOf(ci.id);
    const message = failure(run);
    assert.match(message, /^\[PIPELINE_FAILED\] /);
    assert.ok(message.includes(`CI #${ciRun!.id} (${stack.azdo.organizationUrl}/`), message);
    assert.match(message, new RegExp(`_build/results\\?buildId=${ciRun!.id}\\) failed$`));
    assert.equal(run.outputs.result, 'failed');
    assert.match(run.logLines.filter((line) => line.includes('#')).at(-1)!, /CD #\d+ completed\/succeeded/);
    assert.match(lastSlack().text, /1 of 2 did not succeed/);
  });

  it('fails with PIPELINE_TIMEOUT naming the runs still going after maxWaitSeconds', async () => {
    const slow = pipeline('Slow');
    const quick = pipeline('Quick');
    stack.azdo.scriptNextRun(slow.id, { result: 'succeeded', durationMs: 60_000 });
    stack.azdo.scriptNextRun(quick.id, { result: 'succeeded', durationMs: 100 });
    const { repo } = await mergedRelease();
    const run = await runReleaseTask(stack, 'RunPipelines', repo, {
      ...fast,
      pipelines: `${slow.id}:Slow,${quick.id}:Quick`,
      maxWaitSeconds: 1,
    });
    const [slowRun] = runsOf(slow.id);
    const message = failure(run);
    assert.match(
      message,
      new RegExp(`^\\[PIPELINE_TIMEOUT\\] still running after 1s: Slow #${slowRun!.id} \\(`),
    );
    assert.doesNotMatch(message, /Quick/);
    assert.equal(run.outputs.result, 'timedOut');
    assert.match(lastSlack().text, /did not succeed/);
  });

  it('awaits the runs it already queued for the commit when retried, and queues a failed one anew', async () => {
    const build = pipeline('Build');
    const flaky = pipeline('Flaky');
    stack.azdo.scriptNextRun(build.id, { result: 'succeeded', durationMs: 2_500 });
    stack.azdo.scriptNextRun(flaky.id, { result: 'failed', durationMs: 100 });
    const { repo } = await mergedRelease({
      pipelines: [
        { id: build.id, name: 'Build' },
        { id: flaky.id, name: 'Flaky' },
      ],
    });
    // The first attempt gives up while Build is still running (an agent lost mid-wait ends the same way).
    const first = await runReleaseTask(stack, 'RunPipelines', repo, { ...fast, maxWaitSeconds: 0.5 });
    assert.match(failure(first), /^\[PIPELINE_TIMEOUT\]/);
    const [buildRun] = runsOf(build.id);
    assert.equal(runsOf(flaky.id).length, 1);

    stack.azdo.scriptNextRun(flaky.id, { result: 'succeeded', durationMs: 100 });
    const retry = succeeded(await runReleaseTask(stack, 'RunPipelines', repo, fast));
    assert.equal(runsOf(build.id).length, 1, 'Build was not queued again');
    assert.equal(runsOf(flaky.id).length, 2, 'the failed Flaky run was replaced');
    const flakyRetry = runsOf(flaky.id)[1]!;
    assert.equal(retry.outputs.runIds, `${buildRun!.id},${flakyRetry.id}`);
    assert.ok(retry.logLines.some((line) => line.includes(`Build: run #${buildRun!.id} was already queued`)));
    const { state } = await releaseThread(stack, repo);
    assert.deepEqual(
      state.pipelineRuns?.map((recorded) => recorded.runId).sort(),
      [buildRun!.id, flakyRetry.id].sort(),
    );
  });

  it('succeeds with result=skipped when no pipelines are configured, and fails naming "commit" when there is no merge commit', async () => {
    const { repo } = await mergedRelease();
    const skipped = succeeded(await runReleaseTask(stack, 'RunPipelines', repo, fast));
    assert.deepEqual(skipped.outputs, { runIds: '', result: 'skipped' });

    const unmerged = uniqueRepo();
    await seedStaging(stack, unmerged, [ticket('ALLPOST-2', 'Two')]);
    const noCommit = await runReleaseTask(stack, 'RunPipelines', unmerged, { ...fast, pipelines: '1' });
    assert.match(failure(noCommit), /^\[INPUT_INVALID\] input "commit" is required/);
  });

  it('fails when a pipeline cannot be queued, naming it', async () => {
    const strict = pipeline('Strict', ['region']);
    const { repo } = await mergedRelease();
    const run = await runReleaseTask(stack, 'RunPipelines', repo, {
      ...fast,
      pipelines: `${strict.id}:Strict`,
      templateParameters: 'colour=red',
    });
    assert.match(failure(run), new RegExp(`could not queue Strict \\(${strict.id}\\)`));
    assert.equal(run.outputs.result, 'failed');
    assert.equal(runsOf(strict.id).length, 0);
  });

  it('fails naming each missing or invalid input, before queueing anything', async () => {
    const { repo } = await mergedRelease();
    // Runs of the pipelines gate 4 triggers (each task run is itself a run of the release pipeline).
    const queued = () =>
      [...stack.azdo.runs.values()].filter((run) => !stack.azdo.pipelines.get(run.pipelineId)?.agent).length;
    const before = queued();
    const cases: [Record<string, string | number>, string, ('stateConnection' | 'slackConnection')[]][] = [
      [{ commit: 'abc123' }, 'commit', []],
      [{ templateParameters: '{"region": ' }, 'templateParameters', []],
      [{ templateParameters: '{"nested": {"a": 1}}' }, 'templateParameters', []],
      [{ templateParameters: 'no value here' }, 'templateParameters', []],
      [{ pipelines: 'ci' }, 'pipelines', []],
      [{ branch: 'two words' }, 'branch', []],
      [{ pollIntervalSeconds: -1 }, 'pollIntervalSeconds', []],
      [{ maxWaitSeconds: 'long' }, 'maxWaitSeconds', []],
      [{ version: 'latest' }, 'version', []],
      [{}, 'stateConnection', ['stateConnection']],
    ];
    const runs = await Promise.all(
      cases.map(([inputs, , without]) =>
        runReleaseTask(stack, 'RunPipelines', repo, { pipelines: '1', ...inputs }, { without }),
      ),
    );
    for (const [index, run] of runs.entries()) {
      assert.match(
        failure(run),
        new RegExp(`^\\[INPUT_INVALID\\] .*input "${cases[index]![1]}"`),
        `case ${index}`,
      );
    }
    assert.equal(queued(), before);
  });

  it('refuses a state connection that still holds a storage connection string, and never prints its key', async () => {
    const { repo } = await mergedRelease();
    const key = testSecret(randomBytes(32).toString('base64'));
    const run = await runReleaseTask(
      stack,
      'RunPipelines',
      repo,
      { pipelines: '1' },
      {
        endpoints: {
          state: { ...stack.endpoints.state, parameters: { apitoken: `AccountName=acct;AccountKey=${key}` } },
        },
      },
    );
    assert.match(
      failure(run),
      /^\[INPUT_INVALID\] service connection "state" of input "stateConnection" holds a storage connection string: the tasks reach the state through the function app/,
    );
    // Registered with the agent to be masked, and in no line the log shows (the run-wide scan looks too).
    assert.ok(run.secretsRegistered.includes(key), 'the account key is registered as a secret');
    assert.ok(!run.logLines.some((line) => line.includes(key)) && !failure(run).includes(key));
  });
});
