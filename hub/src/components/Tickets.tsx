// The tickets of a release: key (Jira link), summary, Jira status when known, and the PRs that carried it.
import { Pill, PillSize } from 'azure-devops-ui/Pill.js';
import * as React from 'react';
import type { TicketView } from '../api.ts';
import { MISSING } from '../format.ts';
import { PullRequestLink, TicketLink } from './Links.tsx';

export function TicketList(props: { repo: string; tickets: TicketView[] }): React.ReactElement {
  if (props.tickets.length === 0) return <div className="secondary-text">No tickets</div>;
  return (
    <ul className="ra-tickets">
      {props.tickets.map((ticket) => (
        <li key={ticket.key} className="ra-ticket flex-row flex-center rhythm-horizontal-8">
          <span className="ra-ticket-key font-weight-semibold">
            <TicketLink ticketKey={ticket.key} />
          </span>
          <span className="ra-ticket-summary text-ellipsis">{ticket.summary ?? MISSING}</span>
          {ticket.status ? <Pill size={PillSize.compact}>{ticket.status}</Pill> : null}
          <span className="ra-ticket-prs secondary-text rhythm-horizontal-4">
            {ticket.prIds.map((prId) => (
              <PullRequestLink key={prId} repo={props.repo} prId={prId} />
            ))}
          </span>
        </li>
      ))}
    </ul>
  );
}
