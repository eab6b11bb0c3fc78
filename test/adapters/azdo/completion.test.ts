import assert from 'node:assert/strict';
import { Secret } from '../../../core/secret.ts';
import type { AzureDevOpsSimulator } from '../../../sandbox/sim/azdo/simulator.ts';
import { coded } from '../../core/expect-error.ts';
import { adapterFor, seedFeaturePullRequest, startSim } from './support.ts';

describe('Azure DevOps adapter: completing a PR', () => {
  let sim: AzureDevOpsSimulator;
  before(async () => {
    sim = await startSim();
  });
  after(() => sim.stop());

  it('completes the PR at the reviewed commit with the completion options', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    const targetBefore = sim.repository(repo).refs.get('refs/heads/develop')!;
    const outcome = await adapterFor(sim).completePullRequest(repo, pr.id, {
      sourceCommitId: sourceCommit,
      mergeStrategy: 'noFastForward',
      deleteSourceBranch: true,
      mergeCommitMessage: 'Merged PR: ALLPOST-4028 login',
    });
    assert.equal(outcome.kind, 'completed');
    assert.equal(outcome.pullRequest.status, 'completed');
    assert.equal(pr.status, 'completed');
    assert.equal(pr.closedBy?.id, sim.users.agent.id);
    const merge = sim.repository(repo).commits.get(sim.repository(repo).refs.get('refs/heads/develop')!)!;
    assert.deepEqual(merge.parents, [targetBefore, sourceCommit]);
    assert.equal(merge.message, 'Merged PR: ALLPOST-4028 login');
    assert.equal(outcome.pullRequest.mergeCommitId, merge.commitId);
    assert.equal(
      sim.repository(repo).refs.has('refs/heads/feature/ALLPOST-4028_login'),
      false,
      'source branch deleted',
    );
    assert.equal(pr.completionOptions?.bypassPolicy, undefined, 'never asks to bypass policies');
  });

  it('reports completion-pending when Azure DevOps accepts the completion but cannot merge (conflicts)', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setMergeConflict(repo, pr.id, true);
    const outcome = await adapterFor(sim).completePullRequest(repo, pr.id, { sourceCommitId: sourceCommit });
    assert.equal(outcome.kind, 'completion-pending');
    assert.equal(outcome.pullRequest.status, 'active');
    assert.equal(outcome.pullRequest.mergeStatus, 'conflicts');
    assert.equal(pr.status, 'active');
  });

  it('refuses a commit pushed after the review with PR_STALE_COMMIT', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    const newer = sim.pushCommit(repo, 'feature/ALLPOST-4028_login', { changes: ['src/login.ts'] });
    await assert.rejects(
      adapterFor(sim).completePullRequest(repo, pr.id, { sourceCommitId: sourceCommit }),
      coded('PR_STALE_COMMIT', {
        repo,
        prId: pr.id,
        expectedCommit: sourceCommit,
        actualCommit: newer.commitId,
      }),
    );
    assert.equal(pr.status, 'active');
  });

  it('answers policies-pending while a blocking policy is pending, and changes nothing on the PR', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setBlockingPolicy(repo, true);
    const threadsBefore = pr.threads.length;
    const outcome = await adapterFor(sim).completePullRequest(repo, pr.id, { sourceCommitId: sourceCommit });
    assert.equal(outcome.kind, 'policies-pending');
    assert.equal(outcome.pullRequest.sourceCommitId, sourceCommit);
    assert.equal(pr.status, 'active');
    assert.equal(pr.autoCompleteSetBy, undefined, 'auto-complete is not set unless asked for');
    assert.equal(pr.threads.length, threadsBefore, 'no note posted');
    // Passing later completes nothing by itself: only another pinned PATCH does.
    sim.setPolicyStatus(repo, pr.id, 'approved');
    assert.equal(pr.status, 'active');
    const again = await adapterFor(sim).completePullRequest(repo, pr.id, { sourceCommitId: sourceCommit });
    assert.equal(again.kind, 'completed');
    assert.equal(pr.completionOptions?.triggeredByAutoComplete, undefined);
  });

  it('refuses to send a completion that is not pinned to a commit (the service would merge any head)', async () => {
    const { repo, pr } = seedFeaturePullRequest(sim);
    const before = sim.requestLog.length;
    for (const commit of ['0'.repeat(40), '', 'main']) {
      await assert.rejects(
        adapterFor(sim).completePullRequest(repo, pr.id, { sourceCommitId: commit }),
        coded('INPUT_INVALID', { field: 'sourceCommitId' }),
      );
    }
    assert.equal(sim.requestLog.length, before, 'nothing sent');
    assert.equal(pr.status, 'active');
  });

  it('sets auto-complete when asked to while a blocking policy is pending, and the PR completes once it passes', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setBlockingPolicy(repo, true);
    const outcome = await adapterFor(sim).completePullRequest(repo, pr.id, {
      sourceCommitId: sourceCommit,
      approvedBy: 'Norma',
      whenPoliciesPending: 'auto-complete',
    });
    assert.equal(outcome.kind, 'auto-complete-set');
    assert.equal(pr.status, 'active');
    assert.equal(
      pr.autoCompleteSetBy?.id,
      sim.users.agent.id,
      "auto-complete is set by the caller's own identity",
    );
    assert.equal(outcome.pullRequest.autoCompleteSetById, sim.users.agent.id);
    const note = pr.threads.at(-1)!;
    assert.equal(note.status, 'closed');
    assert.ok(note.comments[0]!.content.includes(sourceCommit.slice(0, 8)));
    assert.ok(note.comments[0]!.content.includes('by Norma'));

    sim.setPolicyStatus(repo, pr.id, 'approved');
    assert.equal(pr.status, 'completed');
    assert.equal(pr.closedBy?.id, sim.users.agent.id);
    assert.equal(pr.completionOptions?.triggeredByAutoComplete, true);
  });

  it('learns the identity of a pipeline token the same way', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setBlockingPolicy(repo, true);
    const adapter = adapterFor(sim, { auth: { kind: 'bearer', token: new Secret('sim-access-token') } });
    const outcome = await adapter.completePullRequest(repo, pr.id, {
      sourceCommitId: sourceCommit,
      whenPoliciesPending: 'auto-complete',
    });
    assert.equal(outcome.kind, 'auto-complete-set');
    assert.equal(pr.autoCompleteSetBy?.id, sim.users.buildService.id);
  });

  it('fails clearly when configured with an identity that is not the caller (the service answers 400)', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setBlockingPolicy(repo, true);
    const adapter = adapterFor(sim, { identityId: sim.users.author.id });
    await assert.rejects(
      adapter.completePullRequest(repo, pr.id, {
        sourceCommitId: sourceCommit,
        whenPoliciesPending: 'auto-complete',
      }),
      coded('SERVICE_HTTP', { status: 400 }),
    );
    assert.equal(pr.autoCompleteSetBy, undefined);
  });

  it('completes at once when auto-complete is set and the policy already passed in between', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setBlockingPolicy(repo, true);
    // The policy passes while we are switching to auto-complete (after the refusal, before the PATCH).
    const original = sim.addThread.bind(sim);
    sim.addThread = (target, thread) => {
      if (target === pr) target.policyStatus = 'approved';
      return original(target, thread);
    };
    try {
      const outcome = await adapterFor(sim).completePullRequest(repo, pr.id, {
        sourceCommitId: sourceCommit,
        whenPoliciesPending: 'auto-complete',
      });
      assert.equal(outcome.kind, 'completed');
      assert.equal(pr.status, 'completed');
    } finally {
      sim.addThread = original;
    }
  });

  it('takes auto-complete back when a push lands while it is being set', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setBlockingPolicy(repo, true);
    const original = sim.autoCompleteIfReady.bind(sim);
    sim.autoCompleteIfReady = (target) => {
      sim.pushCommit(repo, 'feature/ALLPOST-4028_login', { changes: ['src/login.ts'] });
      original(target);
    };
    try {
      await assert.rejects(
        adapterFor(sim).completePullRequest(repo, pr.id, {
          sourceCommitId: sourceCommit,
          whenPoliciesPending: 'auto-complete',
        }),
        coded('PR_STALE_COMMIT', { expectedCommit: sourceCommit }),
      );
    } finally {
      sim.autoCompleteIfReady = original;
    }
    assert.equal(
      pr.autoCompleteSetBy,
      undefined,
      'auto-complete for a newer, unreviewed commit is cancelled',
    );
    sim.setPolicyStatus(repo, pr.id, 'approved');
    assert.equal(pr.status, 'active');
  });

  it('refuses to set auto-complete for a commit that is no longer the source', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setBlockingPolicy(repo, true);
    sim.pushCommit(repo, 'feature/ALLPOST-4028_login', { changes: ['src/login.ts'] });
    await assert.rejects(
      adapterFor(sim).completePullRequest(repo, pr.id, { sourceCommitId: sourceCommit }),
      coded('PR_STALE_COMMIT'),
    );
    assert.equal(pr.autoCompleteSetBy, undefined);
  });

  it('cancels auto-complete', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    sim.setBlockingPolicy(repo, true);
    const adapter = adapterFor(sim);
    await adapter.completePullRequest(repo, pr.id, {
      sourceCommitId: sourceCommit,
      whenPoliciesPending: 'auto-complete',
    });
    assert.ok(pr.autoCompleteSetBy);
    await adapter.cancelAutoComplete(repo, pr.id);
    assert.equal(pr.autoCompleteSetBy, undefined);
    sim.setPolicyStatus(repo, pr.id, 'approved');
    assert.equal(pr.status, 'active', 'nothing completes it any more');
  });

  it('answers already-completed for a PR completed before (the service answers TF401181)', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    const adapter = adapterFor(sim);
    await adapter.completePullRequest(repo, pr.id, { sourceCommitId: sourceCommit });
    const mergeCommit = pr.mergeCommit;
    const again = await adapter.completePullRequest(repo, pr.id, { sourceCommitId: sourceCommit });
    assert.equal(again.kind, 'already-completed');
    assert.equal(again.pullRequest.mergeCommitId, mergeCommit);
    assert.equal(sim.repository(repo).refs.get('refs/heads/develop'), mergeCommit, 'nothing merged twice');
  });

  it('refuses an abandoned PR with CONFLICT', async () => {
    const { repo, pr, sourceCommit } = seedFeaturePullRequest(sim);
    pr.status = 'abandoned';
    await assert.rejects(
      adapterFor(sim).completePullRequest(repo, pr.id, { sourceCommitId: sourceCommit }),
      coded('CONFLICT', { status: 'abandoned', prId: pr.id }),
    );
  });
});
