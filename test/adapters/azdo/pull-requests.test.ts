import { anchorComments, summaryWithFolded } from '../../../flows/review-anchors.ts';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REVIEW_STATUS_CONTEXT } from '../../../adapters/azdo/azdo.ts';
import type { ClaudeRunner } from '../../../adapters/claude/claude.ts';
import { createMemoryStore } from '../../../adapters/store/memory-store.ts';
import { silentLogger } from '../../../flows/context.ts';
import { reviewPullRequestFlow } from '../../../flows/review-pull-request.ts';
import { localReviewReporting } from '../../../flows/review-record.ts';
import type { AzureDevOpsSimulator } from '../../../sandbox/sim/azdo/simulator.ts';
import { coded } from '../../core/expect-error.ts';
import { adapterFor, seedFeaturePullRequest, startSim } from './support.ts';

describe('Azure DevOps adapter: pull requests', () => {
  let sim: AzureDevOpsSimulator;
  before(async () => {
    sim = await startSim();
  });
  after(() => sim.stop());

  describe('listing', () => {
    it('lists the active PRs of the whole project into one branch, descriptions cut to 400 chars', async () => {
      const long = 'x'.repeat(1_000);
      const a = seedFeaturePullRequest(sim, { description: long });
      const b = seedFeaturePullRequest(sim);
      const intoMain = sim.createPullRequestAsUser({
        repository: b.repo,
        sourceRefName: 'refs/heads/develop',
        targetRefName: 'refs/heads/main',
        title: 'release',
      });
      const done = seedFeaturePullRequest(sim);
      sim.completePullRequest(done.pr, sim.users.agent);

      const prs = await adapterFor(sim).listActivePullRequests({ targetRefName: 'refs/heads/develop' });
      const ids = prs.map((pr) => pr.id);
      assert.ok(ids.includes(a.pr.id) && ids.includes(b.pr.id), 'both repositories in one list');
      assert.ok(!ids.includes(intoMain.id), 'another target branch is filtered out');
      assert.ok(!ids.includes(done.pr.id), 'completed PRs are not active');
      const listed = prs.find((pr) => pr.id === a.pr.id)!;
      assert.equal(listed.description, long.slice(0, 400));
      assert.equal(listed.repository.name, a.repo);
      assert.equal(listed.sourceCommitId, a.sourceCommit);
      const projectWide = sim.requestLog.filter(
        (entry) => entry.operation === 'Pull Requests_Get Pull Requests By Project',
      );
      assert.equal(projectWide.length, 1, 'one call for the whole project');

      const whole = await adapterFor(sim).getPullRequest(a.repo, a.pr.id);
      assert.equal(whole.description, long, 'GET of one PR has the whole description');
    });

    it('lists one repository and pages past 100 PRs', async () => {
      const repo = 'many-prs';
      sim.seedRepository({ name: repo, branches: ['develop'] });
      for (let index = 0; index < 105; index++) {
        sim.pushCommit(repo, `feature/f${index}`, { changes: [`src/f${index}.ts`] });
        sim.createPullRequestAsUser({
          repository: repo,
          sourceRefName: `refs/heads/feature/f${index}`,
          targetRefName: 'refs/heads/develop',
          title: `f${index}`,
        });
      }
      const before = sim.requestLog.length;
      const prs = await adapterFor(sim).listActivePullRequests({ repository: repo });
      assert.equal(prs.length, 105);
      assert.equal(new Set(prs.map((pr) => pr.id)).size, 105);
      const pages = sim.requestLog
        .slice(before)
        .filter((entry) => entry.operation === 'Pull Requests_Get Pull Requests');
      assert.deepEqual(
        pages.map((entry) => new URLSearchParams(entry.query).get('$skip')),
        ['0', '100'],
      );
    });
  });

  describe('one PR', () => {
    it('a PR whose source commit is not text: SERVICE_MALFORMED naming it (the merge names that commit)', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const adapter = adapterFor(sim);
      const commit = pr.sourceCommit;
      await sim.offContract(async () => {
        pr.sourceCommit = 42 as never;
        await assert.rejects(
          adapter.getPullRequest(repo, pr.id),
          coded('SERVICE_MALFORMED', {
            field: 'lastMergeSourceCommit.commitId',
            operation: 'getPullRequest',
            prId: pr.id,
          }),
        );
        await assert.rejects(
          adapter.listActivePullRequests({ repository: repo }),
          coded('SERVICE_MALFORMED', { field: 'lastMergeSourceCommit.commitId' }),
        );
        pr.sourceCommit = commit;
      });
    });

    it('reads a PR with its source commit, author and web URL', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const read = await adapterFor(sim).getPullRequest(repo, pr.id);
      assert.equal(read.id, pr.id);
      assert.equal(read.status, 'active');
      assert.equal(read.sourceRefName, 'refs/heads/feature/ALLPOST-4028_login');
      assert.equal(read.targetRefName, 'refs/heads/develop');
      assert.equal(read.sourceCommitId, pr.sourceCommit);
      assert.equal(read.createdBy.id, sim.users.author.id);
      assert.equal(read.webUrl, `${sim.organizationUrl}/Payments/_git/${repo}/pullrequest/${pr.id}`);
    });

    it('answers NOT_FOUND for an unknown PR or repository', async () => {
      const { repo } = seedFeaturePullRequest(sim);
      await assert.rejects(
        adapterFor(sim).getPullRequest(repo, 99_999),
        coded('NOT_FOUND', { status: 404, repo, prId: 99_999 }),
      );
      await assert.rejects(
        adapterFor(sim).getPullRequest('no-such-repo', 1),
        coded('NOT_FOUND', { status: 404 }),
      );
    });

    it("asks an area's resource locations once per organisation, whatever adapter asks", async () => {
      // An organisation of its own: no earlier test of this process has asked its locations.
      const own = await startSim({ organization: `org-${Date.now().toString(36)}` });
      try {
        const { repo, pr } = seedFeaturePullRequest(own);
        await adapterFor(own).getPullRequest(repo, pr.id);
        await adapterFor(own).listIterations(repo, pr.id);
        await adapterFor(own)
          .getBuild(1)
          .catch(() => undefined);
        assert.deepEqual(
          own.server.requestLog
            .filter((entry) => entry.method === 'OPTIONS')
            .map((entry) => [entry.path, entry.status]),
          [
            [`/${own.organization}/_apis/git`, 200],
            [`/${own.organization}/_apis/build`, 200],
          ],
        );
        // The calls went to the routes the locations gave, at the version they advertise.
        const calls = own.server.requestLog.filter((entry) => entry.method === 'GET');
        assert.deepEqual(
          calls.map((entry) => [entry.operation, new URLSearchParams(entry.query).get('api-version')]),
          [
            ['Pull Requests_Get Pull Request', '7.1'],
            ['Pull Request Iterations_List', '7.1'],
            ['Builds_Get', '7.1'],
          ],
        );
      } finally {
        await own.stop();
      }
    });

    it('lists iterations, one per push', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const pushed = sim.pushCommit(repo, 'feature/ALLPOST-4028_login', { changes: ['src/login.ts'] });
      const iterations = await adapterFor(sim).listIterations(repo, pr.id);
      assert.deepEqual(
        iterations.map((iteration) => [iteration.id, iteration.sourceCommitId]),
        [
          [1, pr.iterations[0]!.sourceCommit],
          [2, pushed.commitId],
        ],
      );
    });

    it("lists an iteration's changed files from the merge base, every path starting with /", async () => {
      const repo = 'changes-repo';
      sim.seedRepository({ name: repo, branches: ['develop'], files: ['/old.ts', '/gone.ts', '/README.md'] });
      sim.pushCommit(repo, 'feature/c', {
        changes: [
          { path: 'src/new.ts', changeType: 'add' },
          { path: '/README.md', changeType: 'edit' },
          { path: '/gone.ts', changeType: 'delete' },
          { path: '/renamed.ts', changeType: 'rename', originalPath: '/old.ts' },
        ],
      });
      const pr = sim.createPullRequestAsUser({
        repository: repo,
        sourceRefName: 'refs/heads/feature/c',
        targetRefName: 'refs/heads/develop',
        title: 'c',
      });
      const changes = await adapterFor(sim).getIterationChanges(repo, pr.id, 1);
      const byPath = Object.fromEntries(changes.map((change) => [change.path, change.changeType]));
      assert.deepEqual(byPath, {
        '/src/new.ts': 'add',
        '/README.md': 'edit',
        '/gone.ts': 'delete',
        '/renamed.ts': 'rename',
      });
      assert.ok(changes.every((change) => typeof change.changeTrackingId === 'number'));
    });

    it('follows nextSkip past the 2000 changes of one page', async () => {
      const repo = 'big-change';
      sim.seedRepository({ name: repo, branches: ['develop'] });
      const files = Array.from({ length: 2_005 }, (_, index) => ({
        path: `/gen/file-${index}.ts`,
        changeType: 'add' as const,
      }));
      sim.pushCommit(repo, 'feature/big', { changes: files });
      const pr = sim.createPullRequestAsUser({
        repository: repo,
        sourceRefName: 'refs/heads/feature/big',
        targetRefName: 'refs/heads/develop',
        title: 'big',
      });
      const changes = await adapterFor(sim).getIterationChanges(repo, pr.id, 1);
      assert.equal(changes.length, 2_005);
      assert.equal(new Set(changes.map((change) => change.path)).size, 2_005);
    });
  });

  describe('review threads and status', () => {
    it('posts the summary and one thread per valid anchor, folding the rest into the summary', async () => {
      const repo = 'review-repo';
      sim.seedRepository({ name: repo, branches: ['develop'], files: ['/src/old.ts', '/untouched.ts'] });
      sim.pushCommit(repo, 'feature/r', {
        changes: [
          { path: '/src/login.ts', changeType: 'add' },
          { path: '/src/old.ts', changeType: 'delete' },
        ],
      });
      const pr = sim.createPullRequestAsUser({
        repository: repo,
        sourceRefName: 'refs/heads/feature/r',
        targetRefName: 'refs/heads/develop',
        title: 'r',
      });
      // The review flow decides what can be anchored (flows/review-anchors.ts); the adapter posts it.
      const adapter = adapterFor(sim);
      const { anchored, folded } = anchorComments(
        [
          { path: 'src/login.ts', line: 3, body: 'Validate the input.' },
          { path: '/src/login.ts', line: 10, endLine: 12, body: 'Extract a function.' },
          { path: 'untouched.ts', line: 1, body: 'Not in this PR.' },
          { path: 'src/old.ts', line: 2, body: 'On a deleted file.' },
          { path: 'src/login.ts', line: 0, body: 'Line zero.' },
          { path: 'src/login.ts', line: 40, body: 'Past the end.' },
        ],
        await adapter.getIterationChanges(repo, pr.id, 1),
        { 'src/login.ts': 20 },
      );
      const posted = await adapter.postReview(repo, pr.id, {
        iterationId: 1,
        summary: summaryWithFolded('Looks good overall.', folded),
        comments: anchored,
      });

      assert.deepEqual(
        folded.map((comment) => [comment.path, comment.reason]),
        [
          ['untouched.ts', 'file-not-in-iteration'],
          ['src/old.ts', 'file-deleted'],
          ['src/login.ts', 'line-out-of-range'],
          ['src/login.ts', 'line-out-of-range'],
        ],
      );
      assert.equal(posted.inlineThreadIds.length, 2);
      const summary = pr.threads.find((thread) => thread.id === posted.summaryThreadId)!;
      assert.equal(summary.status, 'closed', 'an informational summary does not block comment resolution');
      assert.equal(summary.threadContext, undefined);
      const content = summary.comments[0]!.content;
      assert.ok(content.startsWith('Looks good overall.'));
      for (const note of ['Not in this PR.', 'On a deleted file.', 'Line zero.', 'Past the end.'])
        assert.ok(content.includes(note), note);
      assert.ok(content.includes('`/untouched.ts` line 1'));

      const inline = pr.threads.filter((thread) => posted.inlineThreadIds.includes(thread.id));
      assert.deepEqual(
        inline.map((thread) => [
          thread.status,
          thread.threadContext?.filePath,
          thread.threadContext?.rightFileStart?.line,
          thread.threadContext?.rightFileEnd?.line,
        ]),
        [
          ['active', '/src/login.ts', 3, 3],
          ['active', '/src/login.ts', 10, 12],
        ],
      );
      const tracking = pr.trackingIds.get('/src/login.ts');
      assert.deepEqual(inline[0]!.pullRequestThreadContext, {
        changeTrackingId: tracking,
        iterationContext: { firstComparingIteration: 1, secondComparingIteration: 1 },
      });
      assert.ok(inline.every((thread) => thread.comments[0]!.author.id === sim.users.agent.id));
    });

    it('checks anchors against the reviewed iteration, not a later one', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim, { files: ['src/a.ts'] });
      sim.pushCommit(repo, 'feature/ALLPOST-4028_login', {
        changes: [{ path: 'src/b.ts', changeType: 'add' }],
      });
      const adapter = adapterFor(sim);
      const { anchored, folded } = anchorComments(
        [
          { path: 'src/a.ts', line: 1, body: 'in iteration 1' },
          { path: 'src/b.ts', line: 1, body: 'only in iteration 2' },
        ],
        await adapter.getIterationChanges(repo, pr.id, 1),
      );
      const posted = await adapter.postReview(repo, pr.id, {
        iterationId: 1,
        summary: summaryWithFolded('s', folded),
        comments: anchored,
      });
      assert.equal(posted.inlineThreadIds.length, 1);
      assert.deepEqual(
        folded.map((comment) => comment.body),
        ['only in iteration 2'],
      );
    });

    it("updates a thread's status", async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const adapter = adapterFor(sim);
      const posted = await adapter.postReview(repo, pr.id, {
        iterationId: 1,
        summary: 's',
        comments: [{ path: 'src/login.ts', line: 1, body: 'b' }],
      });
      await adapter.setThreadStatus(repo, pr.id, posted.inlineThreadIds[0]!, 'fixed');
      assert.equal(pr.threads.find((thread) => thread.id === posted.inlineThreadIds[0])!.status, 'fixed');
      await assert.rejects(
        adapter.setThreadStatus(repo, pr.id, 424_242, 'fixed'),
        coded('NOT_FOUND', { threadId: 424_242 }),
      );
    });

    it('posts the ai-review status bound to the iteration', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const id = await adapterFor(sim).setPullRequestStatus(repo, pr.id, {
        iterationId: 1,
        state: 'succeeded',
        description: 'AI review: approve',
        targetUrl: 'https://hub.example/reviews/1',
      });
      const status = pr.statuses.find((candidate) => candidate.id === id)!;
      assert.deepEqual(status.context, REVIEW_STATUS_CONTEXT);
      assert.equal(status.iterationId, 1);
      assert.equal(status.state, 'succeeded');
      assert.equal(status.targetUrl, 'https://hub.example/reviews/1');
      assert.equal(status.createdBy.id, sim.users.agent.id);
      await assert.rejects(
        adapterFor(sim).setPullRequestStatus(repo, pr.id, {
          iterationId: 9,
          state: 'failed',
          description: 'x',
        }),
        coded('NOT_FOUND', { status: 404 }),
      );
    });
  });

  describe('creating and finding', () => {
    it('creates a PR (description cut to 4000 chars) and reuses the active one for the same branches', async () => {
      const repo = 'release-repo';
      sim.seedRepository({ name: repo, branches: ['develop'] });
      sim.pushCommit(repo, 'develop', { changes: ['src/x.ts'] });
      const adapter = adapterFor(sim);
      const input = {
        sourceRefName: 'refs/heads/develop',
        targetRefName: 'refs/heads/main',
        title: 'Release 1.4.0',
        description: 'd'.repeat(5_000),
      };
      const first = await adapter.createPullRequest(repo, input);
      assert.equal(first.created, true);
      assert.equal(first.pullRequest.createdBy.id, sim.users.agent.id);
      assert.equal(sim.pullRequests.get(first.pullRequest.id)!.description.length, 4_000);
      const again = await adapter.createPullRequest(repo, input);
      assert.deepEqual([again.created, again.pullRequest.id], [false, first.pullRequest.id]);
      assert.equal(again.pullRequest.description.length, 4_000, 'the reused PR is read whole');
    });

    it('refuses a PR from a branch that does not exist', async () => {
      sim.seedRepository({ name: 'no-branch-repo' });
      await assert.rejects(
        adapterFor(sim).createPullRequest('no-branch-repo', {
          sourceRefName: 'refs/heads/nope',
          targetRefName: 'refs/heads/main',
          title: 't',
          description: '',
        }),
        coded('SERVICE_HTTP', { status: 400 }),
      );
    });

    it('finds the PR a merge commit completed', async () => {
      const { repo, pr } = seedFeaturePullRequest(sim);
      const active = seedFeaturePullRequest(sim, { repo: `${repo}-other` });
      sim.completePullRequest(pr, sim.users.agent);
      const mergeCommit = sim.repository(repo).refs.get('refs/heads/develop')!;
      assert.equal(mergeCommit, pr.mergeCommit);
      const adapter = adapterFor(sim);
      const found = await adapter.findPullRequestByMergeCommit(repo, mergeCommit);
      assert.equal(found?.id, pr.id);
      assert.equal(found?.status, 'completed');
      assert.equal(await adapter.findPullRequestByMergeCommit(repo, 'f'.repeat(40)), undefined);
      assert.equal(
        await adapter.findPullRequestByMergeCommit(active.repo, active.pr.mergeCommit),
        undefined,
        'the test merge of an active PR is not a completion',
      );
    });

    it('creates an annotated tag once, and refuses the name on another commit', async () => {
      const { repo } = seedFeaturePullRequest(sim);
      const main = sim.repository(repo).refs.get('refs/heads/main')!;
      const other = sim.repository(repo).refs.get('refs/heads/feature/ALLPOST-4028_login')!;
      const adapter = adapterFor(sim);
      const tag = await adapter.createAnnotatedTag(repo, {
        name: 'v1.4.0',
        commitId: main,
        message: 'Release 1.4.0',
      });
      assert.deepEqual([tag.created, tag.commitId], [true, main]);
      const stored = sim.repository(repo).tags.get('v1.4.0')!;
      assert.deepEqual(
        [stored.commitId, stored.message, stored.objectId],
        [main, 'Release 1.4.0', tag.objectId],
      );
      assert.equal(sim.repository(repo).refs.get('refs/tags/v1.4.0'), tag.objectId);

      const again = await adapter.createAnnotatedTag(repo, {
        name: 'v1.4.0',
        commitId: main,
        message: 'Release 1.4.0',
      });
      assert.deepEqual([again.created, again.objectId], [false, tag.objectId]);
      await assert.rejects(
        adapter.createAnnotatedTag(repo, { name: 'v1.4.0', commitId: other, message: 'x' }),
        coded('CONFLICT', { tag: 'v1.4.0', existingCommitId: main }),
      );
      await assert.rejects(
        adapter.createAnnotatedTag(repo, { name: 'v1.5.0', commitId: 'a'.repeat(40), message: 'x' }),
        coded('NOT_FOUND'),
      );
    });
  });
});

describe('Azure DevOps adapter: review threads across reviews', () => {
  let sim: AzureDevOpsSimulator;
  before(async () => {
    sim = await startSim();
  });
  after(() => sim.stop());

  it('keeps the fingerprint and the summary mark, updates our summary in place, and posts a new one when another identity wrote it', async () => {
    const { repo, pr } = seedFeaturePullRequest(sim);
    const azdo = adapterFor(sim);
    const first = await azdo.postReview(repo, pr.id, {
      iterationId: 1,
      summary: 'first',
      comments: [{ path: 'src/login.ts', line: 1, body: 'a finding', fingerprint: '0123456789abcdef' }],
      reviewSummary: true,
    });
    const threads = await azdo.listReviewThreads(repo, pr.id);
    assert.deepEqual(
      threads.map(({ id, finding, summary }) => ({ id, finding, summary })),
      [
        { id: first.summaryThreadId, finding: undefined, summary: true },
        { id: first.inlineThreadIds[0], finding: '0123456789abcdef', summary: false },
      ],
    );
    const second = await azdo.postReview(repo, pr.id, {
      iterationId: 1,
      summary: 'second',
      comments: [],
      reviewSummary: true,
      summaryThreadId: first.summaryThreadId,
    });
    assert.equal(second.summaryThreadId, first.summaryThreadId);
    assert.equal(
      pr.threads.find((thread) => thread.id === first.summaryThreadId)?.comments[0]?.content,
      'second',
    );
    // A summary someone else wrote (the comment is not ours to edit): a new summary thread instead.
    const foreign = sim.addThread(pr, {
      status: 'closed',
      comments: [
        {
          id: 1,
          parentCommentId: 0,
          author: sim.users.approver,
          content: 'by a person',
          publishedDate: '',
          commentType: 'text',
        },
      ],
      properties: { 'ReleaseAgent.Summary': { $type: 'System.String', $value: '1' } },
    });
    const third = await azdo.postReview(repo, pr.id, {
      iterationId: 1,
      summary: 'third',
      comments: [],
      reviewSummary: true,
      summaryThreadId: foreign.id,
    });
    assert.notEqual(third.summaryThreadId, foreign.id);
    assert.equal(foreign.comments[0]?.content, 'by a person');
    await azdo.replyToThread(repo, pr.id, first.inlineThreadIds[0]!, 'Fixed in abc1234');
    assert.equal(
      pr.threads.find((thread) => thread.id === first.inlineThreadIds[0])?.comments.at(-1)?.content,
      'Fixed in abc1234',
    );
  });

  it('a thread list of the wrong shape: SERVICE_MALFORMED naming the field, and the review stops before it posts anything', async () => {
    const { repo, pr } = seedFeaturePullRequest(sim);
    const azdo = adapterFor(sim);
    const posted = await azdo.postReview(repo, pr.id, {
      iterationId: 1,
      summary: 'first',
      comments: [{ path: 'src/login.ts', line: 1, body: 'a finding', fingerprint: 'fedcba9876543210' }],
      reviewSummary: true,
    });
    const inline = pr.threads.find((thread) => thread.id === posted.inlineThreadIds[0])!;
    const properties = inline.properties;
    const fields = { operation: 'listThreads', repo, prId: pr.id };
    let claudeRuns = 0;
    const claude: ClaudeRunner = {
      run: async () => {
        claudeRuns++;
        throw new Error('the reviewer must not run');
      },
    };
    const review = () =>
      reviewPullRequestFlow(
        {
          azdo,
          claude,
          reporting: localReviewReporting(
            {
              azdo,
              store: createMemoryStore(),
              now: () => new Date(),
              log: silentLogger,
              jiraBaseUrl: 'https://jira.example',
            },
            { repo, prId: pr.id, sourceCommit: undefined },
          ),
          now: () => new Date(),
          log: silentLogger,
        },
        {
          repo,
          prId: pr.id,
          cwd: mkdtempSync(join(tmpdir(), 'threads-')),
          maxBudgetUsd: 1,
          timeoutMs: 5_000,
        },
      );
    const threads = pr.threads.length;
    const statuses = pr.statuses.length;
    await sim.offContract(async () => {
      // A fingerprint that is not text would be read as no finding of ours: posted again, never resolved.
      inline.properties = { 'ReleaseAgent.Finding': { $type: 'System.String', $value: 42 as never } };
      await assert.rejects(
        azdo.listReviewThreads(repo, pr.id),
        coded('SERVICE_MALFORMED', { ...fields, field: 'properties.ReleaseAgent.Finding.$value' }),
      );
      await assert.rejects(
        review(),
        coded('SERVICE_MALFORMED', { ...fields, field: 'properties.ReleaseAgent.Finding.$value' }),
      );
      inline.properties = properties;
      // A comment's author that is not text: the flow could not tell its own comments from people's.
      const author = inline.comments[0]!.author;
      inline.comments[0]!.author = { ...author, id: ['x'] as never };
      await assert.rejects(
        review(),
        coded('SERVICE_MALFORMED', { ...fields, field: 'comments.0.author.id' }),
      );
      inline.comments[0]!.author = author;
    });
    assert.equal(claudeRuns, 0, 'no review ran');
    assert.equal(pr.threads.length, threads, 'no thread posted');
    assert.equal(pr.statuses.length, statuses, 'no status set');
    assert.equal((await azdo.listReviewThreads(repo, pr.id))[1]?.finding, 'fedcba9876543210');
  });
});
