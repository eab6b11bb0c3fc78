import assert from 'node:assert/strict';
import { createMemoryStore } from '../../adapters/store/memory-store.ts';
import { loadConfig } from '../../core/config.ts';
import type { Thread } from '../../core/model.ts';
import { settingsFromConfig } from '../../flows/agent-deps.ts';
import { UNREVIEWED_GRACE_SECONDS, unpipelinedPrProblems } from '../../flows/config-health.ts';
import { prThreadId } from '../../flows/threads.ts';

describe('flows/config-health: PRs nothing reviews', () => {
  const discoveredAt = new Date('2026-06-01T10:00:00Z');
  const later = new Date(discoveredAt.getTime() + (UNREVIEWED_GRACE_SECONDS + 60) * 1000);

  async function seeded(env: Record<string, string> = {}) {
    const store = createMemoryStore();
    const pr = async (
      repo: string,
      prId: number,
      state: Record<string, unknown>,
      status: Thread['status'] = 'running',
    ) =>
      await store.threads.createIfAbsent({
        id: prThreadId(repo, prId),
        kind: 'pr',
        repo,
        prId,
        status,
        state,
        createdAt: discoveredAt.toISOString(),
        updatedAt: discoveredAt.toISOString(),
      });
    await pr('payments', 1, { discoveredCommit: 'c1' });
    await pr('payments', 2, { discoveredCommit: 'c2', reviewedCommit: 'c2' });
    await pr('payments', 3, { discoveredCommit: 'c3' });
    await pr('web', 4, { discoveredCommit: 'c4', queuedRuns: [{ sourceCommit: 'c4', runId: 9 }] });
    await pr('web', 5, { discoveredCommit: 'c5' }, 'done');
    const settings = settingsFromConfig(loadConfig(env));
    return (now: Date) => unpipelinedPrProblems({ store, settings, now: () => now });
  }

  it('names, per repo, the PRs discovered with no PR pipeline and no review after the grace period', async () => {
    const problems = await seeded();
    assert.deepEqual(await problems(discoveredAt), [], 'a Build Validation policy may still be running');
    assert.deepEqual(await problems(later), [
      'payments: PR !1, !3 discovered but not reviewed after 30 min, and no PR pipeline is configured for it: set PR_PIPELINE_BY_REPO (or PR_PIPELINE_ID), or a Build Validation policy running pipelines/pr.yml',
    ]);
  });

  it('a repo with a PR pipeline configured is not a problem', async () => {
    assert.deepEqual(await (await seeded({ PR_PIPELINE_BY_REPO: 'payments=12' }))(later), []);
    assert.deepEqual(await (await seeded({ PR_PIPELINE_ID: '12' }))(later), []);
  });
});
