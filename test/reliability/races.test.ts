// Races on one repo's staging release, through flows/stage-release.ts and flows/complete-release.ts on
// Table Storage (Azurite) with the real Azure DevOps and Jira adapters: 50 merges staged at once lose no
// ticket and the version only goes up; release cycles racing new merges archive every ticket exactly
// once with versions that are unique and increasing.
import assert from 'node:assert/strict';
import { RestAzureDevOps } from '../../adapters/azdo/rest-azdo.ts';
import { createJiraClient } from '../../adapters/jira/jira-client.ts';
import type { Store } from '../../adapters/store/store.ts';
import type { ArchivedRelease, StagingRelease } from '../../core/model.ts';
import { Secret } from '../../core/secret.ts';
import { compareVersions } from '../../core/versions.ts';
import { completeRelease } from '../../flows/complete-release.ts';
import { DEFAULT_WORKFLOW } from '../../flows/jira-workflow.ts';
import { silentLogger } from '../../flows/context.ts';
import { type StageReleaseDeps, stageRelease } from '../../flows/stage-release.ts';
import type { Stack } from '../../sandbox/stack.ts';
import { startReliabilityStack, uniqueRepo } from './kit.ts';

const MERGES = 50;
const CYCLES = 5;
const PER_CYCLE = 8;

describe('reliability: races on one repo’s staging release', () => {
  let stack: Stack;
  let azdo: RestAzureDevOps;
  const figures: string[] = [];
  before(async () => {
    stack = await startReliabilityStack();
    azdo = new RestAzureDevOps({
      organizationUrl: stack.azdo.organizationUrl,
      project: stack.azdo.project.name,
      auth: { kind: 'pat', token: new Secret(stack.secrets.azdoPat) },
    });
  });
  after(async () => {
    await stack?.stop();
    if (figures.length > 0) console.log(`  races: ${figures.join('; ')}`);
  });

  const jira = () =>
    createJiraClient({
      baseUrl: stack.jira.url,
      email: stack.jira.email,
      apiToken: new Secret(stack.secrets.jiraApiToken),
    });

  /** A merged PR per ticket (squash into develop), its merge commit and the commit message CI sees. */
  function merge(repo: string, key: string, message: string) {
    stack.azdo.pushCommit(repo, `feature/${key}_race`, { message });
    const pr = stack.azdo.createPullRequestAsUser({
      repository: repo,
      sourceRefName: `refs/heads/feature/${key}_race`,
      targetRefName: 'refs/heads/develop',
      title: message,
    });
    stack.azdo.completePullRequest(pr, stack.azdo.users.approver, {
      mergeStrategy: 'squash',
      mergeCommitMessage: `Merged PR ${pr.id}: ${message}`,
    });
    return { key, commit: pr.mergeCommit, message: `Merged PR ${pr.id}: ${message}` };
  }

  const stage = (deps: StageReleaseDeps, repo: string, merged: { commit: string; message: string }) =>
    stageRelease(deps, {
      repo,
      commit: merged.commit,
      commitMessage: merged.message,
      firstRelease: '1.0.0',
      conventionalBumps: true,
      stagingStatus: '',
      workflow: DEFAULT_WORKFLOW,
      fixVersion: false,
      jiraBaseUrl: stack.jira.url,
    });

  const complete = (store: Store, repo: string) =>
    completeRelease(
      {
        store,
        jira: jira(),
        jiraBaseUrl: stack.jira.url,
        now: () => new Date(),
        log: silentLogger,
      },
      { repo, version: undefined, doneStatus: 'Done', workflow: DEFAULT_WORKFLOW, jiraVersion: false },
    );

  it(`${MERGES} merges staged at once: every ticket on staging, the version never goes backwards`, async function () {
    this.timeout(90_000);
    const repo = uniqueRepo('Billo.Races');
    stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
    await stack.store.releases.archive({
      repo,
      version: '2.3.4',
      startedAt: '2026-01-01T00:00:00.000Z',
      releasedAt: '2026-01-02T00:00:00.000Z',
      tickets: [],
      notes: '',
      gates: [],
    });
    // Mostly fixes, some features, two breaking changes: the version climbs as they land.
    const merged = Array.from({ length: MERGES }, (_, index) => {
      const kind = index % 25 === 7 ? 'feat!' : index % 5 === 3 ? 'feat' : 'fix';
      return merge(repo, `ALLPOST-${5000 + index}`, `${kind}: change ${index}`);
    });
    const deps: StageReleaseDeps = { azdo, store: stack.store, now: () => new Date(), log: silentLogger };
    const outcomes = await Promise.all(merged.map((item) => stage(deps, repo, item)));

    const staged = outcomes.map((outcome) => {
      assert.equal(outcome.kind, 'staged');
      return (outcome as { staging: StagingRelease }).staging;
    });
    const final = await stack.store.staging.get(repo);
    assert.deepEqual(
      final?.tickets.map((ticket) => ticket.key).sort(),
      merged.map((item) => item.key).sort(),
      'no ticket lost',
    );
    assert.equal(final?.version, '3.0.0');
    // Each write added one ticket to what the previous one left: ordered by size, the versions climb.
    const bySize = [...staged].sort((a, b) => a.tickets.length - b.tickets.length);
    assert.deepEqual(
      bySize.map((staging) => staging.tickets.length),
      Array.from({ length: MERGES }, (_, index) => index + 1),
      'every write saw the one before it',
    );
    for (let index = 1; index < bySize.length; index++)
      assert.ok(
        compareVersions(bySize[index]!.version, bySize[index - 1]!.version) >= 0,
        `${bySize[index - 1]!.version} → ${bySize[index]!.version}`,
      );
    const versions = [...new Set(bySize.map((staging) => staging.version))];
    figures.push(
      `${MERGES} concurrent merges → ${final?.tickets.length} tickets on staging, version ${versions.join(' → ')} (never backwards)`,
    );
  });

  it('an archive landing between reading the last release and writing staging: the new staging gets a new version', async () => {
    const repo = uniqueRepo('Billo.Races');
    stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
    const store = stack.store;
    const deps: StageReleaseDeps = { azdo, store, now: () => new Date(), log: silentLogger };
    const first = merge(repo, 'ALLPOST-6001', 'fix: first');
    assert.equal((await stage(deps, repo, first)).kind, 'staged');
    assert.equal((await store.staging.get(repo))?.version, '1.0.0');
    // The release completes exactly while the next merge is being staged.
    let armed = true;
    const racing: StageReleaseDeps = {
      ...deps,
      store: {
        ...store,
        releases: {
          ...store.releases,
          latest: async (name) => {
            const latest = await store.releases.latest(name);
            if (armed && name === repo) {
              armed = false;
              stack.jira.state.createIssue({ project: 'ALLPOST', summary: 'first' });
              await store.releases.archiveFromStaging(repo, (staging) => ({
                ...staging,
                releasedAt: new Date().toISOString(),
                notes: '',
                gates: [],
              }));
            }
            return latest;
          },
        },
      },
    };
    const second = merge(repo, 'ALLPOST-6002', 'fix: second');
    const outcome = await stage(racing, repo, second);
    assert.equal(armed, false, 'the archive ran in between');
    assert.equal(outcome.kind, 'staged');
    const archived = await store.releases.get(repo, '1.0.0');
    assert.deepEqual(
      archived?.tickets.map((ticket) => ticket.key),
      ['ALLPOST-6001'],
    );
    const staging = await store.staging.get(repo);
    assert.deepEqual(
      staging?.tickets.map((ticket) => ticket.key),
      ['ALLPOST-6002'],
    );
    assert.equal(staging?.version, '1.0.1', 'never the version just released');
  });

  it(`${CYCLES} release cycles racing new merges: every ticket archived once, versions unique and increasing`, async function () {
    this.timeout(90_000);
    const repo = uniqueRepo('Billo.Races');
    stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
    const deps: StageReleaseDeps = { azdo, store: stack.store, now: () => new Date(), log: silentLogger };
    const keys: string[] = [];
    let serial = 7000;
    const mergeSome = (count: number) =>
      Array.from({ length: count }, () => {
        const issue = stack.jira.state.createIssue({
          project: 'ALLPOST',
          summary: `ticket ${serial}`,
          status: 'Staging',
        });
        keys.push(issue.key);
        return merge(repo, issue.key, `${serial++ % 3 === 0 ? 'feat' : 'fix'}: ${issue.key}`);
      });
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Some merges are on staging; the release completes while more merges are staged.
      await Promise.all(mergeSome(PER_CYCLE / 2).map((item) => stage(deps, repo, item)));
      const [released] = await Promise.all([
        complete(stack.store, repo),
        ...mergeSome(PER_CYCLE).map((item) => stage(deps, repo, item)),
      ]);
      assert.equal(released.kind, 'released');
    }
    // What was left on staging (if the last merges landed after the last archive) is released last.
    if (await stack.store.staging.get(repo))
      assert.equal((await complete(stack.store, repo)).kind, 'released');

    const archives = (await stack.store.releases.list(repo)).reverse() as ArchivedRelease[];
    const versions = archives.map((release) => release.version);
    assert.equal(new Set(versions).size, versions.length, `unique versions: ${versions.join(', ')}`);
    for (let index = 1; index < archives.length; index++)
      assert.equal(
        compareVersions(archives[index]!.version, archives[index - 1]!.version),
        1,
        `increasing in release order: ${versions.join(', ')}`,
      );
    const archived = archives.flatMap((release) => release.tickets.map((ticket) => ticket.key));
    const leftOnStaging = (await stack.store.staging.get(repo))?.tickets.map((ticket) => ticket.key) ?? [];
    assert.deepEqual([...archived, ...leftOnStaging].sort(), [...keys].sort(), 'every ticket exactly once');
    figures.push(
      `${CYCLES} release cycles racing ${keys.length} merges → ${archives.length} releases ${versions.join(' < ')}, ${archived.length} tickets archived once each`,
    );
  });
});
