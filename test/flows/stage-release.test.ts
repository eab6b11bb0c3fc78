import assert from 'node:assert/strict';
import type { AzureDevOps, PullRequest } from '../../adapters/azdo/azdo.ts';
import { createMemoryStore } from '../../adapters/store/memory-store.ts';
import type { Slack } from '../../adapters/slack/slack.ts';
import { DEFAULT_WORKFLOW } from '../../flows/jira-workflow.ts';
import { buildNumberFor } from '../../core/build-number.ts';
import { stageRelease, type StageReleaseInput } from '../../flows/stage-release.ts';

function pullRequest(id: number, branch: string, extra: Partial<PullRequest> = {}): PullRequest {
  return {
    id,
    repository: { id: 'r', name: 'Payments' },
    title: `PR ${id}`,
    description: '',
    status: 'completed',
    sourceRefName: `refs/heads/${branch}`,
    targetRefName: 'refs/heads/develop',
    sourceCommitId: `s${id}`,
    mergeCommitId: `m${id}`,
    mergeStatus: 'succeeded',
    createdBy: { id: 'u', displayName: 'Dev' },
    creationDate: '2026-01-01T00:00:00Z',
    closedDate: '2026-01-02T00:00:00Z',
    isDraft: false,
    autoCompleteSetById: undefined,
    webUrl: `https://dev.azure.com/acme/p/_git/Payments/pullrequest/${id}`,
    ...extra,
  };
}

/** Just the two reads StageRelease makes, answering from a list of merged PRs. */
function fakeAzureDevOps(prs: PullRequest[]): AzureDevOps {
  const byMerge = (commit: string) => prs.find((pr) => pr.mergeCommitId === commit);
  return {
    findPullRequestByMergeCommit: async (_repo: string, commit: string) => byMerge(commit),
    getPullRequest: async (_repo: string, id: number) => prs.find((pr) => pr.id === id)!,
  } as unknown as AzureDevOps;
}

const input = (commit: string, extra: Partial<StageReleaseInput> = {}): StageReleaseInput => ({
  repo: 'Payments',
  commit,
  firstRelease: '1.0.0',
  conventionalBumps: false,
  stagingStatus: 'Staging',
  workflow: DEFAULT_WORKFLOW,
  fixVersion: false,
  jiraBaseUrl: 'https://jira.example',
  ...extra,
});

describe('staging a merged PR (flow, in-memory store)', () => {
  it('keeps both tickets when two merges stage the same repo at the same time', async () => {
    const store = createMemoryStore();
    const prs = [pullRequest(1, 'feature/ALLPOST-1_a'), pullRequest(2, 'feature/ALLPOST-2_b')];
    const deps = { azdo: fakeAzureDevOps(prs), store, now: () => new Date('2026-03-01T00:00:00Z') };
    const [first, second] = await Promise.all([
      stageRelease(deps, input('m1')),
      stageRelease(deps, input('m2')),
    ]);
    assert.equal(first.kind, 'staged');
    assert.equal(second.kind, 'staged');
    const staging = await store.staging.get('Payments');
    assert.deepEqual(staging?.tickets.map((ticket) => ticket.key).sort(), ['ALLPOST-1', 'ALLPOST-2']);
  });

  it('collects every key of title, branch, description and the PR thread, the branch first', async () => {
    const store = createMemoryStore();
    await store.threads.createIfAbsent({
      id: 'pr.Payments.3',
      kind: 'pr',
      repo: 'Payments',
      prId: 3,
      status: 'waiting',
      state: { ticketKey: 'ALLPOST-30' },
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    const pr = pullRequest(3, 'feature/ALLPOST-31_x', {
      title: 'ALLPOST-32 and more',
      description: 'Also fixes ALLPOST-33; UTF-8 safe.',
    });
    const outcome = await stageRelease(
      { azdo: fakeAzureDevOps([pr]), store, now: () => new Date() },
      input('m3'),
    );
    assert.equal(outcome.kind, 'staged');
    assert.deepEqual(outcome.kind === 'staged' && outcome.tickets.map((ticket) => ticket.key), [
      'ALLPOST-31',
      'ALLPOST-30',
      'ALLPOST-32',
      'ALLPOST-33',
    ]);
  });

  it('bumps by the merge commit message when conventional bumps are on', async () => {
    const store = createMemoryStore();
    await store.releases.archive({
      repo: 'Payments',
      version: '2.4.1',
      startedAt: '2026-01-01T00:00:00Z',
      releasedAt: '2026-01-02T00:00:00Z',
      tickets: [],
      notes: '',
      gates: [],
    });
    const pr = pullRequest(4, 'feature/ALLPOST-4', { title: 'Rework' });
    const deps = { azdo: fakeAzureDevOps([pr]), store, now: () => new Date() };
    const outcome = await stageRelease(
      deps,
      input('m4', { conventionalBumps: true, commitMessage: 'Merged PR 4: feat!: new API' }),
    );
    assert.equal(outcome.kind === 'staged' && outcome.staging.version, '3.0.0');
    const off = await stageRelease(
      { ...deps, store: createMemoryStore() },
      input('m4', { commitMessage: 'Merged PR 4: feat!: new API' }),
    );
    assert.equal(off.kind === 'staged' && off.staging.version, '1.0.0');
  });

  it('a Slack failure is a warning: the staging release is written all the same', async () => {
    const store = createMemoryStore();
    const slack = {
      mode: 'bot',
      interactive: true,
      postMessage: async () => {
        throw new Error('slack down');
      },
    } as unknown as Slack;
    const outcome = await stageRelease(
      {
        azdo: fakeAzureDevOps([pullRequest(5, 'feature/ALLPOST-5')]),
        store,
        slack,
        channel: 'C1',
        now: () => new Date(),
      },
      input('m5'),
    );
    assert.equal(outcome.kind, 'staged');
    assert.deepEqual(outcome.kind === 'staged' && outcome.warnings, [
      'the Slack notification failed: slack down',
    ]);
    assert.equal((await store.staging.get('Payments'))?.tickets.length, 1);
  });

  it('names builds within Azure DevOps rules', () => {
    assert.equal(buildNumberFor('Billo.Platform.Payment', '1.2.3', '42'), 'Billo.Platform.Payment 1.2.3+42');
    assert.equal(buildNumberFor('team/repo:"x"', '1.0.0'), 'team-repo--x- 1.0.0');
    assert.equal(buildNumberFor('r'.repeat(300), '1.0.0').length, 255);
    assert.equal(buildNumberFor('repo.', '', undefined), 'repo');
  });
});
