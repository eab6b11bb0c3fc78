// What a gate's question shows, as data: each gate lists its facts once (core/gate-registry.ts,
// `facts`), and every surface renders each kind of fact one way (the hub's decision cards, the Slack
// cards' fields and sections in core/card-blocks.ts). No rendering here: no React, no mrkdwn.
import type { TicketRef } from './model.ts';

export type Fact =
  /** A person's name, e.g. the PR's author. */
  | { kind: 'person'; label: string; name: string | undefined }
  | { kind: 'version'; label: string; version: string | undefined }
  /** A release environment (`sandbox`, `production` or the configured name). */
  | { kind: 'stage'; label: string; stage: string | undefined }
  | { kind: 'count'; label: string; count: number | undefined }
  | { kind: 'usd'; label: string; usd: number | undefined }
  | { kind: 'commit'; label: string; commit: string | undefined }
  /** A source branch and the branch it goes into (full refs or names). */
  | { kind: 'branch'; label: string; source: string | undefined; target: string | undefined }
  /** A pull request; its URL and title when known (else a surface links it from repo and id). */
  | {
      kind: 'pullRequest';
      label: string;
      repo: string;
      prId: number | undefined;
      url?: string;
      title?: string;
    }
  /** One ticket, or none. */
  | { kind: 'ticket'; label: string; key: string | undefined; jiraBaseUrl: string | undefined }
  | { kind: 'tickets'; label: string; tickets: readonly TicketRef[]; jiraBaseUrl: string | undefined }
  /** Named links, e.g. pipelines; `none` says what an empty list means. */
  | { kind: 'links'; label: string; links: readonly { text: string; url?: string }[]; none: string }
  | { kind: 'link'; label: string; text: string; url: string | undefined }
  /** A paragraph under the facts (e.g. the AI review's summary). */
  | { kind: 'note'; label: string; text: string }
  /** A caution to the one who decides. */
  | { kind: 'warning'; text: string };

export type FactKind = Fact['kind'];
export type FactOf<K extends FactKind> = Extract<Fact, { kind: K }>;
