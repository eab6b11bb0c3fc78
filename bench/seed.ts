// Seeding the Azure DevOps simulator for the benchmarks: repositories with a develop branch and
// active PRs into it, each from its own branch and commit.
import type { AzureDevOpsSimulator, PullRequestState } from '../sandbox/sim/azdo/simulator.ts';

/** `count` active PRs into develop on `repo` (created with develop when it does not exist). */
export function seedPullRequests(
  azdo: AzureDevOpsSimulator,
  repo: string,
  count: number,
  prefix = 'bench',
): PullRequestState[] {
  try {
    azdo.repository(repo);
  } catch {
    azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
  }
  const created: PullRequestState[] = [];
  for (let index = 0; index < count; index++) {
    const branch = `feature/${prefix}-${index + 1}`;
    azdo.pushCommit(repo, branch, {
      message: `work on ${branch}`,
      changes: [`/src/${prefix}-${index + 1}.ts`],
    });
    created.push(
      azdo.createPullRequestAsUser({
        repository: repo,
        sourceRefName: `refs/heads/${branch}`,
        targetRefName: 'refs/heads/develop',
        title: `Change ${index + 1} of ${repo}`,
      }),
    );
  }
  return created;
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function inBatches<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < items.length; start += limit) {
    await Promise.all(items.slice(start, start + limit).map(work));
  }
}
