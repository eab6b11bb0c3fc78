// Releases: one card per repo with what is on staging and the last version that reached production.
import { Card } from 'azure-devops-ui/Card.js';
import * as React from 'react';
import type { ReleaseView, StagingView } from '../api.ts';
import { formatTime, MISSING, orMissing } from '../format.ts';
import { useHub } from './hub-context.ts';
import { EmptyState, LoadView } from './LoadState.tsx';
import { loadRepoReleases, type RepoReleases } from './repos.ts';
import { TicketList } from './Tickets.tsx';
import { useLoad } from './use-load.ts';

export function ReleasesTab(): React.ReactElement {
  const { api } = useHub();
  const [load, reload] = useLoad(() => loadRepoReleases(api), [api]);
  return (
    <LoadView load={load} label="Loading releases…" onRetry={reload}>
      {(repos) =>
        repos.length === 0 ? (
          <EmptyState
            icon="Rocket"
            title="No releases yet"
            detail="A repo appears here once a merged pull request starts its staging release."
          />
        ) : (
          <div className="ra-cards rhythm-vertical-16">
            {repos.map((repo) => (
              <RepoReleaseCard key={repo.repo} repo={repo} />
            ))}
          </div>
        )
      }
    </LoadView>
  );
}

function RepoReleaseCard(props: { repo: RepoReleases }): React.ReactElement {
  const { repo, staging, releases } = props.repo;
  return (
    <Card className="ra-repo-card" titleProps={{ text: repo, ariaLevel: 2 }}>
      <div className="flex-column rhythm-vertical-16 full-width">
        <StagingSummary repo={repo} staging={staging} />
        <LastRelease release={releases[0]} />
      </div>
    </Card>
  );
}

function StagingSummary(props: { repo: string; staging: StagingView | undefined }): React.ReactElement {
  const { staging } = props;
  if (!staging) return <div className="secondary-text">Nothing on staging</div>;
  const prCount = new Set(staging.tickets.flatMap((ticket) => ticket.prIds)).size;
  return (
    <div className="flex-column rhythm-vertical-8">
      <div className="ra-facts flex-row flex-wrap">
        <Fact label="Staging" value={orMissing(staging.version)} strong />
        <Fact label="Started" value={formatTime(staging.startedAt)} />
        <Fact label="Tickets" value={String(staging.tickets.length)} />
        <Fact label="Pull requests" value={String(prCount)} />
        {staging.releaseAs ? <Fact label="Release as" value={staging.releaseAs} /> : null}
      </div>
      <TicketList repo={props.repo} tickets={staging.tickets} />
    </div>
  );
}

function LastRelease(props: { release: ReleaseView | undefined }): React.ReactElement {
  const { release } = props;
  return (
    <div className="ra-facts flex-row flex-wrap">
      <Fact label="Last released" value={release ? orMissing(release.version) : MISSING} strong />
      <Fact label="Released" value={formatTime(release?.releasedAt)} />
    </div>
  );
}

export function Fact(props: { label: string; value: string; strong?: boolean }): React.ReactElement {
  return (
    <div className="ra-fact flex-column">
      <span className="ra-fact-label secondary-text body-s">{props.label}</span>
      <span className={props.strong ? 'ra-fact-value font-weight-semibold' : 'ra-fact-value'}>
        {props.value}
      </span>
    </div>
  );
}
