// Gate 4's effect: queue the release's CI/CD pipelines for the merge commit and wait for all of them
// (the Python agent's ci_nodes: trigger, poll until complete, notify). Runs are recorded in the release
// thread as soon as they are queued, so a retried task awaits them instead of queueing them again.
import type { AzureDevOps, PipelineRun } from '../adapters/azdo/azdo.ts';
import type { Store } from '../adapters/store/store.ts';
import { type ErrorCode, errorMessage, isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { type PipelineResult, pipelinesFinishedCard } from '../core/release-cards.ts';
import {
  type PipelineRef,
  pollUntil,
  postCard,
  type ReleaseFlowDeps,
  releaseState,
  resolveRelease,
  seconds,
  upsertReleaseThread,
} from './release-common.ts';
import { type ReleaseThreadState, releaseThreadId } from './threads.ts';

export interface RunPipelinesInput {
  repo: string;
  version: string | undefined;
  /** Empty: the pipelines the release thread holds (from the plan). */
  pipelines: readonly PipelineRef[];
  /** Empty: the release thread's merge commit. */
  commit: string | undefined;
  branch: string;
  templateParameters: Record<string, string>;
  pollIntervalMs: number;
  maxWaitMs: number;
}

/** The release's records of its runs: in the app's store, reached by the task through the app. */
export interface ReleaseRuns {
  /** The release's version, merge commit, planned pipelines and recorded runs (its thread created if missing). */
  resolve(
    repo: string,
    version: string | undefined,
  ): Promise<{
    version: string | undefined;
    mergeCommit: string | undefined;
    pipelines: PipelineRef[];
    runs: RecordedRun[];
  }>;
  /** Replaces this pipeline's record for the commit, keeping every other one. */
  record(repo: string, version: string, run: Omit<RecordedRun, 'queuedAt'>): Promise<void>;
}

export type RunPipelinesDeps = Omit<ReleaseFlowDeps, 'store'> & {
  azdo: Pick<AzureDevOps, 'runPipeline' | 'getPipelineRun'>;
  runs: ReleaseRuns;
};

/** ReleaseRuns over the store: the function app's side of the job steps (and in-process tests). */
export function storeReleaseRuns(store: Store, now: () => Date): ReleaseRuns {
  return {
    resolve: async (repo, version) => {
      const release = await resolveRelease(store, repo, version);
      const state = releaseState(release.thread);
      if (release.version && !release.thread) {
        await upsertReleaseThread(store, { repo, version: release.version, patch: {}, now: now() });
      }
      return {
        version: release.version,
        mergeCommit: state.mergeCommit,
        pipelines: state.pipelines ?? [],
        runs: state.pipelineRuns ?? [],
      };
    },
    record: async (repo, version, run) => {
      const when = now();
      const at = when.toISOString();
      await store.threads.setState(
        'release',
        releaseThreadId(repo, version),
        (state) => {
          const others = (state.pipelineRuns ?? []).filter(
            (recorded) => !(recorded.pipelineId === run.pipelineId && recorded.commit === run.commit),
          );
          return { ...state, pipelineRuns: [...others, { ...run, queuedAt: at }] };
        },
        when,
      );
    },
  };
}

interface Tracked {
  pipeline: PipelineRef;
  run: PipelineRun;
}

type RecordedRun = NonNullable<ReleaseThreadState['pipelineRuns']>[number];

const describe = (tracked: Tracked) => `${tracked.pipeline.name} #${tracked.run.id}`;
const finished = (run: PipelineRun) => run.state === 'completed';

function stateText(run: PipelineRun): string {
  return finished(run) ? `completed/${run.result ?? 'unknown'}` : run.state;
}

function cardResult(run: PipelineRun, timedOut: boolean): PipelineResult {
  if (!finished(run)) return timedOut ? 'timedOut' : 'none';
  if (run.result === 'succeeded' || run.result === 'failed' || run.result === 'canceled') return run.result;
  return 'none';
}

/** One run of the release: its pipeline, id, link and how it ended (undefined: still running). */
export interface RunFact {
  pipeline: PipelineRef;
  runId: number;
  url?: string;
  result?: string;
}

/** What running the release's pipelines came to; every kind but `skipped` lists the runs it queued or awaited. */
export type RunPipelinesOutcome =
  | { kind: 'skipped' }
  | { kind: 'not-queued'; runs: RunFact[]; pipeline: PipelineRef; code: ErrorCode; reason: string }
  | { kind: 'timed-out'; runs: RunFact[]; running: RunFact[]; maxWaitMs: number }
  | { kind: 'failed'; runs: RunFact[]; failed: RunFact[] }
  | { kind: 'succeeded'; runs: RunFact[]; commit: string; notified: boolean };

function factOf(item: Tracked): RunFact {
  return {
    pipeline: item.pipeline,
    runId: item.run.id,
    ...(item.run.webUrl ? { url: item.run.webUrl } : {}),
    ...(finished(item.run) && item.run.result ? { result: item.run.result } : {}),
  };
}

export async function runPipelines(
  deps: RunPipelinesDeps,
  input: RunPipelinesInput,
): Promise<RunPipelinesOutcome> {
  const release = await deps.runs.resolve(input.repo, input.version);
  const version = release.version;
  const pipelines = input.pipelines.length > 0 ? input.pipelines : release.pipelines;
  if (pipelines.length === 0) {
    deps.log.warn(
      "no pipelines to run: set the pipelines input or the release pipeline template's pipelines parameter",
    );
    return { kind: 'skipped' };
  }
  const commit = input.commit ?? release.mergeCommit;
  if (!commit) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "commit" is required: the release thread of ${input.repo} ${version ?? '(no version)'} has no merge commit (run ReleasePullRequest complete first)`,
      { input: 'commit' },
    );
  }

  const tracked: Tracked[] = [];
  const runs = () => tracked.map(factOf);
  for (const pipeline of pipelines) {
    const recorded = release.runs
      .filter((run) => run.pipelineId === pipeline.id && run.commit === commit)
      .at(-1);
    if (recorded) {
      const run = await deps.azdo.getPipelineRun(pipeline.id, recorded.runId);
      // A failed or canceled run is what a retry wants to replace; anything else is awaited.
      if (!finished(run) || run.result === 'succeeded') {
        deps.log.info(
          `${pipeline.name}: run #${run.id} was already queued for ${commit.slice(0, 8)} by this release: awaiting it.`,
        );
        tracked.push({ pipeline, run });
        continue;
      }
      deps.log.info(
        `${pipeline.name}: run #${run.id} for ${commit.slice(0, 8)} ended ${run.result ?? 'without a result'}: queueing a new run.`,
      );
    }
    let run: PipelineRun;
    try {
      run = await deps.azdo.runPipeline(pipeline.id, {
        refName: input.branch,
        version: commit,
        ...(Object.keys(input.templateParameters).length > 0
          ? { templateParameters: input.templateParameters }
          : {}),
      });
    } catch (error) {
      const code = isReleaseAgentError(error) ? error.code : 'PIPELINE_FAILED';
      return { kind: 'not-queued', runs: runs(), pipeline, code, reason: errorMessage(error) };
    }
    tracked.push({ pipeline, run });
    deps.log.info(
      `${pipeline.name}: queued run #${run.id} on ${input.branch} at ${commit.slice(0, 8)}${run.webUrl ? `: ${run.webUrl}` : ''}`,
    );
    if (version)
      await deps.runs.record(input.repo, version, {
        pipelineId: pipeline.id,
        runId: run.id,
        commit,
        ...(run.webUrl ? { webUrl: run.webUrl } : {}),
      });
  }
  if (!version)
    deps.log.warn(
      `${input.repo} has no release version to record the runs under: a retry would queue them again`,
    );

  const outcome = await pollUntil<true>({
    clock: deps,
    intervalMs: input.pollIntervalMs,
    maxWaitMs: input.maxWaitMs,
    check: async (round, elapsedMs) => {
      for (const item of tracked) {
        if (round > 1 && !finished(item.run))
          item.run = await deps.azdo.getPipelineRun(item.pipeline.id, item.run.id);
      }
      deps.log.info(
        `[${seconds(elapsedMs)}] ${tracked.map((item) => `${describe(item)} ${stateText(item.run)}`).join('; ')}`,
      );
      return tracked.every((item) => finished(item.run)) ? true : undefined;
    },
  });

  const timedOut = !outcome.done;
  const card = pipelinesFinishedCard({
    repo: input.repo,
    ...(version ? { version } : {}),
    pipelines: tracked.map((item) => ({
      name: item.pipeline.name,
      result: cardResult(item.run, timedOut),
      ...(item.run.webUrl ? { url: item.run.webUrl } : {}),
    })),
  });
  const posted = await postCard(deps, card);
  if (timedOut) {
    const running = tracked.filter((item) => !finished(item.run)).map(factOf);
    return { kind: 'timed-out', runs: runs(), running, maxWaitMs: input.maxWaitMs };
  }
  const failed = tracked.filter((item) => item.run.result !== 'succeeded').map(factOf);
  if (failed.length > 0) return { kind: 'failed', runs: runs(), failed };
  return { kind: 'succeeded', runs: runs(), commit, notified: !deps.slack || posted };
}
