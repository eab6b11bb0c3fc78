// Configuration problems only the stored state shows (GET /api/status names them): a PR the app
// discovered for a repo with no PR pipeline configured, and still unreviewed well after, means nothing
// runs the review: neither PR_PIPELINE_ID / PR_PIPELINE_BY_REPO nor a Build Validation policy.
import type { AgentDeps } from './agent-deps.ts';
import { pipelineFor } from './agent-deps.ts';

/** How long a Build Validation policy may take to start and report before the PR counts as unreviewed. */
export const UNREVIEWED_GRACE_SECONDS = 1_800;

export async function unpipelinedPrProblems(
  deps: Pick<AgentDeps, 'store' | 'settings' | 'now'>,
  graceSeconds = UNREVIEWED_GRACE_SECONDS,
): Promise<string[]> {
  const cutoff = deps.now().getTime() - graceSeconds * 1000;
  const threads = await deps.store.threads.listByStatus('running');
  const byRepo = new Map<string, number[]>();
  for (const thread of threads) {
    if (thread.kind !== 'pr') continue;
    const { settings } = deps;
    if (pipelineFor(settings.prPipelineByRepo, thread.repo, settings.prPipelineId) !== undefined) continue;
    const { state } = thread;
    const commit = state.discoveredCommit;
    if (!commit || state.reviewedCommit === commit) continue;
    if (state.queuedRuns?.some((run) => run.sourceCommit === commit)) continue;
    if (Date.parse(thread.updatedAt) > cutoff) continue;
    byRepo.set(thread.repo, [...(byRepo.get(thread.repo) ?? []), thread.prId]);
  }
  return [...byRepo].map(
    ([repo, prs]) =>
      `${repo}: PR ${prs.map((id) => `!${id}`).join(', ')} discovered but not reviewed after ${Math.round(graceSeconds / 60)} min, and no PR pipeline is configured for it: set PR_PIPELINE_BY_REPO (or PR_PIPELINE_ID), or a Build Validation policy running pipelines/pr.yml`,
  );
}
