// The poll cycle's cost on real Table Storage (Azurite) and the Azure DevOps simulator: what a steady
// cycle reads must not grow with the number of active PRs.
import assert from 'node:assert/strict';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { countedPoller } from '../../sandbox/counted-poller.ts';

describe('poll cycle cost', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  /** A store counting its Table calls by kind, and deps as the function app builds them. */
  function pollerOver(repos: string[]) {
    const { counter, cycle } = countedPoller(stack, {
      connectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
      tablePrefix: `poll${repos.length}${stack.tablePrefix}`.slice(0, 40),
      env: {
        PR_POLL_ENABLED: 'true',
        PR_POLL_TARGET_BRANCH: 'refs/heads/develop',
        WATCHED_REPOS: repos.join(','),
      },
    });
    return { calls: counter.calls, cycle };
  }

  function openPullRequests(repo: string, count: number): void {
    stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
    for (let index = 1; index <= count; index++) {
      stack.azdo.pushCommit(repo, `feature/poll-${index}`, {
        message: `change ${index}`,
        changes: [`/src/${index}.ts`],
      });
      stack.azdo.createPullRequestAsUser({
        repository: repo,
        sourceRefName: `refs/heads/feature/poll-${index}`,
        targetRefName: 'refs/heads/develop',
        title: `Change ${index} of ${repo}`,
      });
    }
  }

  it('a steady cycle reads the running threads in one query, never one PR at a time', async () => {
    const small = ['Poll.Small1'];
    const large = ['Poll.Large1', 'Poll.Large2', 'Poll.Large3'];
    openPullRequests('Poll.Small1', 2);
    for (const repo of large) openPullRequests(repo, 6);

    const figures: Record<string, string> = {};
    for (const [label, repos, prs] of [
      ['small', small, 2],
      ['large', large, 18],
    ] as const) {
      const poller = pollerOver([...repos]);
      const first = await poller.cycle(`${label}-1`);
      assert.equal(first.prsSeen, prs);
      assert.equal(first.prsHandled, prs, 'the first cycle discovers every PR');
      assert.ok((poller.calls.get('get') ?? 0) >= prs, 'the first cycle reads each new PR');
      const steady = await poller.cycle(`${label}-2`);
      assert.equal(steady.prsSeen, prs);
      assert.equal(steady.prsHandled, 0, 'nothing new: nothing handled');
      assert.deepEqual(steady.errors, []);
      assert.equal(poller.calls.get('get') ?? 0, 0, `a steady cycle read single rows: ${[...poller.calls]}`);
      figures[label] = JSON.stringify([...poller.calls].sort());
    }
    assert.equal(figures.large, figures.small, 'the steady cycle costs the same for 2 and 18 PRs');
  });
});
