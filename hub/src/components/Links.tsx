// Links out of the hub: Jira tickets, pull requests. Shown as text when there is nowhere to link to.
import { Link } from 'azure-devops-ui/Link.js';
import * as React from 'react';
import { jiraUrl, pullRequestUrl, safeUrl } from '../format.ts';
import { useHub } from './hub-context.ts';

function ExternalLink(props: { href: string | undefined; children: React.ReactNode }): React.ReactElement {
  if (!props.href) return <span>{props.children}</span>;
  return (
    <Link href={props.href} target="_blank" rel="noopener noreferrer" subtle={false}>
      {props.children}
    </Link>
  );
}

/** A Jira ticket; `jiraBaseUrl` (e.g. from a gate card's details) wins over the hub's. */
export function TicketLink(props: {
  ticketKey: string;
  jiraBaseUrl?: string | undefined;
}): React.ReactElement {
  const hub = useHub();
  return (
    <ExternalLink href={jiraUrl(props.jiraBaseUrl ?? hub.jiraBaseUrl, props.ticketKey)}>
      {props.ticketKey}
    </ExternalLink>
  );
}

export function PullRequestLink(props: {
  repo: string;
  prId: number;
  url?: string;
  title?: string;
}): React.ReactElement {
  const { host } = useHub();
  const href = safeUrl(props.url) ?? pullRequestUrl(host.projectUrl, props.repo, props.prId);
  return (
    <ExternalLink href={href}>{`PR #${props.prId}${props.title ? `: ${props.title}` : ''}`}</ExternalLink>
  );
}

export function UrlLink(props: { url: string | undefined; children: React.ReactNode }): React.ReactElement {
  return <ExternalLink href={safeUrl(props.url)}>{props.children}</ExternalLink>;
}
