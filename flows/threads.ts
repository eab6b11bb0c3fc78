// Threads are the Python agent's agent_threads: one per PR flow and one per release flow. Their ids
// are derived from what they track, so every part (tasks, webhooks, poller, API) finds the same one.
import type { GateKind, GateRecord } from '../core/model.ts';
import { DEFAULT_RELEASE_ENVIRONMENTS, type ReleaseEnvironments } from '../core/release-environments.ts';

/** `pr.<repo>.<id>`; the repo is percent-encoded so the id is safe in a URL path segment. */
export function prThreadId(repo: string, prId: number): string {
  return `pr.${encodeURIComponent(repo)}.${prId}`;
}

/** `release.<repo>.<version>` */
export function releaseThreadId(repo: string, version: string): string {
  return `release.${encodeURIComponent(repo)}.${version}`;
}

/** State of a PR thread (graph 'pr'). */
export interface PrThreadState {
  title?: string;
  sourceRefName?: string;
  targetRefName?: string;
  ticketKey?: string;
  ticketCreated?: boolean;
  /** The ticket whose link was posted on the PR as a comment thread (posted once per ticket). */
  ticketLinkedKey?: string;
  ticketLinkThreadId?: number;
  /**
   * A ticket the branch or title names that another open PR holds: flagged on the PR once, never
   * recorded as this PR's `ticketKey`.
   */
  ticketConflictKey?: string;
  /** The source commit the last review looked at. */
  reviewedCommit?: string;
  verdict?: string;
  /** Set once the merge commit is known (StageRelease, the completed event). */
  mergeCommit?: string;
  /** The PR-validation run queued for a source commit by the webhook or the poller. */
  queuedRuns?: { sourceCommit: string; runId: number }[];
  /** The latest source commit the function app has handled (discovery), so the poller skips it. */
  discoveredCommit?: string;
}

/** State of a release thread (graph 'release'), written by the release pipeline's tasks. */
export interface ReleaseThreadState {
  version: string;
  /** The release pipeline run that carries this release: approvals of that run belong to it. */
  runId?: number;
  pipelineId?: number;
  runUrl?: string;
  /** Pipelines gate 4 triggers. */
  pipelines?: { id: number; name: string }[];
  releasePrId?: number;
  releasePrUrl?: string;
  mergeCommit?: string;
  tag?: string;
  notes?: string;
  /** Who answered each gate, for the archived release. */
  gates?: GateRecord[];
  /** Runs RunPipelines queued for this release: a retried task awaits them instead of queueing again. */
  pipelineRuns?: { pipelineId: number; runId: number; commit: string; webUrl?: string; queuedAt: string }[];
  /** When CompleteRelease posted the release notification (posted once). */
  notifiedAt?: string;
}

export type GateEnvironments = Readonly<Record<Exclude<GateKind, 'merge_pr'>, readonly string[]>>;

/** Which gate each configured environment's approval is (RELEASE_ENVIRONMENTS, core/release-environments.ts). */
export function gateEnvironments(environments: Readonly<ReleaseEnvironments>): GateEnvironments {
  return {
    create_release_pr: [environments.create],
    merge_release_pr: [environments.merge],
    run_pipelines: [environments.run],
    approve_stage: [environments.sandbox, environments.production],
  };
}

/** The gates of the default environment names (the release template's parameter defaults). */
export const DEFAULT_GATE_ENVIRONMENTS: GateEnvironments = gateEnvironments(DEFAULT_RELEASE_ENVIRONMENTS);

export function gateForEnvironment(
  environment: string,
  environments: GateEnvironments,
): Exclude<GateKind, 'merge_pr'> | undefined {
  const name = environment.trim().toLowerCase();
  for (const [gate, names] of Object.entries(environments) as [
    Exclude<GateKind, 'merge_pr'>,
    readonly string[],
  ][]) {
    if (names.some((candidate) => candidate.toLowerCase() === name)) return gate;
  }
  return undefined;
}
