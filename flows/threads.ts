// Threads are the Python agent's agent_threads: one per PR flow and one per release flow. Their ids
// are derived from what they track, so every part (tasks, webhooks, poller, API) finds the same one.
import type { GateKind } from '../core/model.ts';
import { DEFAULT_RELEASE_ENVIRONMENTS, type ReleaseEnvironments } from '../core/release-environments.ts';

/** `pr.<repo>.<id>`; the repo is percent-encoded so the id is safe in a URL path segment. */
export function prThreadId(repo: string, prId: number): string {
  return `pr.${encodeURIComponent(repo)}.${prId}`;
}

/** `release.<repo>.<version>` */
export function releaseThreadId(repo: string, version: string): string {
  return `release.${encodeURIComponent(repo)}.${version}`;
}

export type { PrThreadState, ReleaseThreadState } from '../core/model.ts';

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
