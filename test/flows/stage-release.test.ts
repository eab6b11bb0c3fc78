import assert from 'node:assert/strict';
import type { AzureDevOps, PullRequest } from '../../adapters/azdo/azdo.ts';
import { createMemoryStore } from '../../adapters/store/memory-store.ts';
import type { Slack } from '../../adapters/slack/slack.ts';
import { silentLogger } from '../../flows/context.ts';
import { DEFAULT_WORKFLOW } from '../../flows/jira-workflow.ts';
import { buildNumberFor } from '../../core/build-number.ts';
import type { Jira } from '../../adapters/jira/jira.ts';
import {
  addToStaging,
  bumpOf,
  moveTicketsToStaging,
  planVersion,
  setFixVersions,
  stageRelease,
  type StageReleaseInput,
  type StagedTicketInfo,
} from '../../flows/stage-release.ts';

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
    const deps = {
      azdo: fakeAzureDevOps(prs),
      store,
      now: () => new Date('2026-03-01T00:00:00Z'),
      log: silentLogger,
    };
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
      { azdo: fakeAzureDevOps([pr]), store, now: () => new Date(), log: silentLogger },
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
    const deps = { azdo: fakeAzureDevOps([pr]), store, now: () => new Date(), log: silentLogger };
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
        slack: { slack, channel: 'C1' },
        now: () => new Date(),
        log: silentLogger,
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

describe('the steps of staging, one by one', () => {
  const now = () => new Date('2026-03-01T00:00:00Z');
  const archived = (version: string) => ({
    repo: 'Payments',
    version,
    startedAt: '2026-01-01T00:00:00Z',
    releasedAt: '2026-01-02T00:00:00Z',
    tickets: [],
    notes: '',
    gates: [],
  });

  it('bumpOf: the highest of commit message and PR text, conventional only when asked, else patch', () => {
    const pr = pullRequest(1, 'feature/ALLPOST-1', { title: 'feat: a thing', description: '' });
    assert.equal(bumpOf(pr, 'Merged PR 1: fix!: break', true), 'major');
    assert.equal(bumpOf(pr, 'Merged PR 1: fix: small', true), 'minor');
    assert.equal(bumpOf(pr, 'Merged PR 1: fix!: break', false), 'patch');
  });

  it('planVersion refuses a Release-As at or below the last release, and reads the last release', async () => {
    const store = createMemoryStore();
    await store.releases.archive(archived('2.0.0'));
    const low = pullRequest(2, 'feature/ALLPOST-2', { description: 'Release-As: 2.0.0' });
    await assert.rejects(
      planVersion({ store }, 'Payments', low, { conventionalBumps: false, firstRelease: '1.0.0' }),
      (error: { code?: string }) => error.code === 'VERSION_NOT_INCREASING',
    );
    const high = pullRequest(3, 'feature/ALLPOST-3', { description: 'Release-As: 3.1.0' });
    assert.deepEqual(
      await planVersion({ store }, 'Payments', high, { conventionalBumps: false, firstRelease: '1.0.0' }),
      { bump: 'patch', releaseAs: '3.1.0', lastReleased: '2.0.0' },
    );
  });

  it('addToStaging: a first write changes staging, the same PR again changes nothing', async () => {
    const store = createMemoryStore();
    const pr = pullRequest(4, 'feature/ALLPOST-4');
    const tickets = [{ key: 'ALLPOST-4', summary: 'four' }];
    const plan = { bump: 'minor' as const, releaseAs: undefined, lastReleased: undefined };
    const first = await addToStaging({ store, now }, 'Payments', pr, tickets, plan, '1.0.0');
    assert.equal(first.changed, true);
    assert.equal(first.previousVersion, undefined);
    assert.equal(first.staging.version, '1.0.0');
    const again = await addToStaging({ store, now }, 'Payments', pr, tickets, plan, '1.0.0');
    assert.equal(again.changed, false);
    assert.equal(again.previousVersion, '1.0.0');
    assert.deepEqual(
      again.staging.tickets.map((ticket) => ticket.key),
      ['ALLPOST-4'],
    );
  });

  it('moveTicketsToStaging records where each ticket ended, and a ticket Jira refuses is a warning', async () => {
    const store = createMemoryStore();
    const pr = pullRequest(5, 'feature/ALLPOST-5');
    const tickets: StagedTicketInfo[] = [
      { key: 'ALLPOST-5', summary: 'moves', status: 'Code Review' },
      { key: 'ALLPOST-6', summary: 'stuck', status: 'Code Review' },
    ];
    const plan = { bump: 'patch' as const, releaseAs: undefined, lastReleased: undefined };
    const { staging } = await addToStaging({ store, now }, 'Payments', pr, tickets, plan, '1.0.0');
    const statuses = new Map([
      ['ALLPOST-5', 'Code Review'],
      ['ALLPOST-6', 'Code Review'],
    ]);
    const jira = {
      getIssue: async (key: string) => ({ key, summary: key, status: statuses.get(key) }),
      transition: async (key: string, to: string) => {
        if (key === 'ALLPOST-6') throw new Error('Jira said no');
        statuses.set(key, to);
        return { from: 'Code Review', to };
      },
    } as unknown as Jira;
    const moved = await moveTicketsToStaging({ store, now, jira }, 'Payments', tickets, staging, {
      stagingStatus: 'Staging',
      workflow: DEFAULT_WORKFLOW,
    });
    assert.equal(tickets[0]?.move?.to, 'Staging');
    assert.equal(tickets[1]?.move, undefined);
    assert.deepEqual(moved.warnings, ['ALLPOST-6 was not moved to "Staging": Jira said no']);
    assert.deepEqual(
      moved.staging.tickets.map((ticket) => [ticket.key, ticket.status]),
      [
        ['ALLPOST-5', 'Staging'],
        ['ALLPOST-6', 'Code Review'],
      ],
    );
  });

  it('setFixVersions names <repo>-<version> on every ticket on staging; a failure is a warning', async () => {
    const calls: string[] = [];
    const jira = {
      ensureVersion: async (project: string, name: string) => void calls.push(`ensure ${project} ${name}`),
      addFixVersion: async (key: string, name: string) => {
        if (key === 'OPS-2') throw new Error('no permission');
        calls.push(`fix ${key} ${name}`);
        return { changed: true };
      },
    } as unknown as Jira;
    const staging = {
      repo: 'Payments',
      version: '1.4.0',
      tickets: [
        { key: 'ALLPOST-7', summary: '', prIds: [7] },
        { key: 'OPS-2', summary: '', prIds: [8] },
      ],
    } as unknown as Parameters<typeof setFixVersions>[2];
    const set = await setFixVersions(jira, 'Payments', staging);
    assert.equal(set.name, 'Payments-1.4.0');
    assert.deepEqual(calls, [
      'ensure ALLPOST Payments-1.4.0',
      'fix ALLPOST-7 Payments-1.4.0',
      'ensure OPS Payments-1.4.0',
    ]);
    assert.deepEqual(set.warnings, ['fix version Payments-1.4.0 was not set on OPS-2: no permission']);
  });
});
