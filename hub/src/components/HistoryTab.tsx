// History: every archived release per repo, with its tickets, notes, and who answered each gate and when.
import { Card } from 'azure-devops-ui/Card.js';
import * as React from 'react';
import { GATE_ACTIONS, isGateKind } from '../../../core/gate-registry.ts';
import type { GateRecordView, ReleaseView } from '../api.ts';
import { formatTime, MISSING, orMissing } from '../format.ts';
import { useHub } from './hub-context.ts';
import { PullRequestLink } from './Links.tsx';
import { EmptyState, LoadView } from './LoadState.tsx';
import { Fact } from './ReleasesTab.tsx';
import { loadRepoReleases, type RepoReleases } from './repos.ts';
import { TicketList } from './Tickets.tsx';
import { useLoad } from './use-load.ts';

export function HistoryTab(): React.ReactElement {
  const { api } = useHub();
  const [load, reload] = useLoad(() => loadRepoReleases(api), [api]);
  return (
    <LoadView load={load} label="Loading release history…" onRetry={reload}>
      {(repos) => {
        const withHistory = repos.filter((repo) => repo.releases.length > 0);
        if (withHistory.length === 0) {
          return (
            <EmptyState
              icon="History"
              title="No releases archived yet"
              detail="A release is archived when it reaches production."
            />
          );
        }
        return (
          <div className="ra-cards rhythm-vertical-16">
            {withHistory.map((repo) => (
              <RepoHistoryCard key={repo.repo} repo={repo} />
            ))}
          </div>
        );
      }}
    </LoadView>
  );
}

function RepoHistoryCard(props: { repo: RepoReleases }): React.ReactElement {
  return (
    <Card className="ra-history-card" titleProps={{ text: props.repo.repo, ariaLevel: 2 }}>
      <div className="flex-column full-width">
        {props.repo.releases.map((release) => (
          <ArchivedRelease key={`${release.version ?? ''} ${release.releasedAt ?? ''}`} release={release} />
        ))}
      </div>
    </Card>
  );
}

function ArchivedRelease(props: { release: ReleaseView }): React.ReactElement {
  const { release } = props;
  return (
    <section className="ra-archived flex-column rhythm-vertical-8">
      <div className="ra-facts flex-row flex-wrap">
        <Fact label="Version" value={orMissing(release.version)} strong />
        <Fact label="Released" value={formatTime(release.releasedAt)} />
        <Fact label="Started" value={formatTime(release.startedAt)} />
        <Fact label="Tag" value={orMissing(release.tag)} />
        {release.releasePrId !== undefined ? (
          <div className="ra-fact flex-column">
            <span className="ra-fact-label secondary-text body-s">Release PR</span>
            <PullRequestLink repo={release.repo} prId={release.releasePrId} />
          </div>
        ) : null}
      </div>
      <TicketList repo={release.repo} tickets={release.tickets} />
      {release.notes ? <pre className="ra-notes">{release.notes}</pre> : null}
      <GateApprovals gates={release.gates} />
    </section>
  );
}

/** Who answered each gate of a release, how and when. */
function GateApprovals(props: { gates: GateRecordView[] }): React.ReactElement {
  if (props.gates.length === 0) return <div className="secondary-text">No gate answers recorded</div>;
  return (
    <ul className="ra-gates">
      {props.gates.map((gate) => (
        <li
          key={`${gate.gate ?? ''} ${gate.at ?? ''} ${gate.by ?? ''}`}
          className="ra-gate flex-row rhythm-horizontal-8"
        >
          <span className="ra-gate-name">{gateName(gate.gate)}</span>
          <span className="font-weight-semibold">{orMissing(gate.outcome)}</span>
          <span>by {gate.by ?? MISSING}</span>
          {gate.via ? <span className="secondary-text">via {gate.via}</span> : null}
          <span className="secondary-text">{formatTime(gate.at)}</span>
        </li>
      ))}
    </ul>
  );
}

function gateName(gate: string | undefined): string {
  if (!isGateKind(gate)) return gate ?? MISSING;
  const spec = GATE_ACTIONS[gate];
  return `Gate ${spec.number} · ${spec.title}`;
}
