// The repos the hub shows: those with a staging release plus those the function app knows (see
// HubApi.knownRepos), each with its staging release and its archived releases (newest first).
import type { HubApi, ReleaseView, StagingView } from '../api.ts';

export interface RepoReleases {
  repo: string;
  staging: StagingView | undefined;
  releases: ReleaseView[];
}

export async function loadRepoReleases(api: HubApi): Promise<RepoReleases[]> {
  const known = await api.knownRepos();
  const staging = await api.stagingReleases();
  const repos = [...new Set([...staging.map((release) => release.repo), ...known])].sort((a, b) =>
    a.localeCompare(b),
  );
  const releases = await Promise.all(repos.map((repo) => api.releases(repo)));
  return repos.map((repo, index) => ({
    repo,
    staging: staging.find((release) => release.repo === repo),
    releases: releases[index] ?? [],
  }));
}
