// Staging releases (one open release per repo) and archived releases (immutable history), as pure
// transitions. Each transition says whether anything changed so callers can skip a store write.
import { ReleaseAgentError } from './errors.ts';
import type { ArchivedRelease, Bump, GateRecord, StagedTicket, StagingRelease } from './model.ts';
import { canonicalJson, deepFreeze, isoTime } from './values.ts';
import { BUMPS, compareVersions, nextVersion, normalizeVersion } from './versions.ts';

export interface StagingChange {
  staging: StagingRelease;
  /** False when the result equals the input: `staging` is then the very object passed in. */
  changed: boolean;
}

export interface AddTicketInput {
  repo: string;
  ticket: { key: string; summary: string; status?: string };
  prId: number;
  bump: Bump;
  /** `Release-As` from this PR's description. */
  releaseAs?: string;
  lastReleased?: string;
  firstRelease: string;
  now: Date;
}

export interface RemoveTicketInput {
  key: string;
  lastReleased?: string;
  firstRelease: string;
  now: Date;
}

function higherBump(a: Bump, b: Bump): Bump {
  return BUMPS.indexOf(a) >= BUMPS.indexOf(b) ? a : b;
}

function sameContent(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function withVersion(
  draft: Omit<StagingRelease, 'version'>,
  versionInput: { lastReleased?: string; firstRelease: string },
): StagingRelease {
  const version = nextVersion({
    lastReleased: versionInput.lastReleased,
    firstRelease: versionInput.firstRelease,
    bumps: draft.tickets.map((ticket) => ticket.bump),
    releaseAs: draft.releaseAs,
  });
  const staging: StagingRelease = {
    repo: draft.repo,
    version,
    startedAt: draft.startedAt,
    updatedAt: draft.updatedAt,
    tickets: draft.tickets,
  };
  if (draft.releaseAs !== undefined) staging.releaseAs = draft.releaseAs;
  return staging;
}

/** Keeps `current` (same object) when only `updatedAt` would differ. */
function settle(current: StagingRelease | undefined, next: StagingRelease): StagingChange {
  if (current && sameContent({ ...current, updatedAt: '' }, { ...next, updatedAt: '' })) {
    return { staging: current, changed: false };
  }
  return { staging: next, changed: true };
}

function checkTicketInput(input: AddTicketInput): void {
  if (!input.repo.trim()) throw new ReleaseAgentError('INPUT_INVALID', 'repo is empty', { field: 'repo' });
  if (!input.ticket.key.trim()) {
    throw new ReleaseAgentError('INPUT_INVALID', 'ticket key is empty', {
      repo: input.repo,
      field: 'ticket.key',
    });
  }
  if (!Number.isSafeInteger(input.prId) || input.prId < 1) {
    throw new ReleaseAgentError('INPUT_INVALID', `not a pull request id: ${input.prId}`, {
      repo: input.repo,
      field: 'prId',
    });
  }
  if (!BUMPS.includes(input.bump)) {
    throw new ReleaseAgentError('INPUT_INVALID', `not a bump: ${String(input.bump)}`, {
      repo: input.repo,
      field: 'bump',
    });
  }
}

/**
 * Adds a ticket (delivered by one PR) to the repo's staging release, creating the release if absent.
 * Re-adding a ticket merges its PR ids and keeps the highest bump; the newest non-empty summary
 * wins (it comes from Jira). An explicit Release-As keeps the highest one seen, so the staging
 * version never goes backwards while tickets are added.
 */
export function addTicketToStaging(
  current: StagingRelease | undefined,
  input: AddTicketInput,
): StagingChange {
  checkTicketInput(input);
  if (current && current.repo !== input.repo) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `staging release of ${current.repo} given for ${input.repo}`,
      {
        repo: input.repo,
        stagingRepo: current.repo,
      },
    );
  }
  const at = isoTime(input.now);
  const tickets: StagedTicket[] = (current?.tickets ?? []).map((ticket) => ({
    ...ticket,
    prIds: [...ticket.prIds],
  }));
  const existing = tickets.find((ticket) => ticket.key === input.ticket.key);
  if (existing) {
    existing.prIds = [...new Set([...existing.prIds, input.prId])].sort((a, b) => a - b);
    existing.bump = higherBump(existing.bump, input.bump);
    if (input.ticket.summary.trim()) existing.summary = input.ticket.summary;
    if (input.ticket.status?.trim()) existing.status = input.ticket.status;
  } else {
    tickets.push({
      key: input.ticket.key,
      summary: input.ticket.summary,
      prIds: [input.prId],
      bump: input.bump,
      addedAt: at,
      ...(input.ticket.status?.trim() ? { status: input.ticket.status } : {}),
    });
  }

  let releaseAs = current?.releaseAs;
  if (input.releaseAs !== undefined) {
    const requested = normalizeVersion(input.releaseAs);
    if (releaseAs === undefined || compareVersions(requested, releaseAs) > 0) releaseAs = requested;
  }

  const next = withVersion(
    { repo: input.repo, startedAt: current?.startedAt ?? at, updatedAt: at, tickets, releaseAs },
    input,
  );
  return settle(current, next);
}

/**
 * The release with its tickets' Jira statuses as given (by key; other tickets unchanged). The same
 * object when nothing changes, so a caller can skip the write.
 */
export function withTicketStatuses<T extends { tickets: readonly StagedTicket[] }>(
  release: T,
  statuses: ReadonlyMap<string, string>,
): T {
  const changes = (ticket: StagedTicket) => {
    const status = statuses.get(ticket.key)?.trim();
    return status !== undefined && status !== '' && status !== ticket.status;
  };
  if (!release.tickets.some(changes)) return release;
  return {
    ...release,
    tickets: release.tickets.map((ticket) =>
      changes(ticket)
        ? { ...ticket, prIds: [...ticket.prIds], status: statuses.get(ticket.key)!.trim() }
        : ticket,
    ),
  };
}

/** Takes a ticket off the staging release (e.g. its PR was reverted) and recomputes the version. */
export function removeTicketFromStaging(current: StagingRelease, input: RemoveTicketInput): StagingChange {
  const at = isoTime(input.now);
  if (!current.tickets.some((ticket) => ticket.key === input.key))
    return { staging: current, changed: false };
  const tickets = current.tickets
    .filter((ticket) => ticket.key !== input.key)
    .map((ticket) => ({ ...ticket, prIds: [...ticket.prIds] }));
  const next = withVersion(
    {
      repo: current.repo,
      startedAt: current.startedAt,
      updatedAt: at,
      tickets,
      releaseAs: current.releaseAs,
    },
    input,
  );
  return settle(current, next);
}

/**
 * The version of a staging release computed again over `lastReleased` (a release archived meanwhile):
 * a staging release started from an older base would otherwise repeat the version just released.
 */
export function rebaseStaging(
  current: StagingRelease,
  input: { lastReleased?: string; firstRelease: string; now: Date },
): StagingChange {
  const next = withVersion(
    {
      repo: current.repo,
      startedAt: current.startedAt,
      updatedAt: isoTime(input.now),
      tickets: current.tickets.map((ticket) => ({ ...ticket, prIds: [...ticket.prIds] })),
      releaseAs: current.releaseAs,
    },
    input,
  );
  return settle(current, next);
}

export interface ArchiveInput {
  releasedAt: Date;
  notes: string;
  gates: readonly GateRecord[];
  releasePrId?: number;
  tag?: string;
}

/** The git tag of a release version: `v1.2.3`. */
export function releaseTag(version: string): string {
  return `v${normalizeVersion(version)}`;
}

/** The archived record of a finished release: a deep-frozen copy, independent of `staging`. */
export function archiveRelease(staging: StagingRelease, input: ArchiveInput): ArchivedRelease {
  const archived: ArchivedRelease = {
    repo: staging.repo,
    version: normalizeVersion(staging.version),
    startedAt: staging.startedAt,
    releasedAt: isoTime(input.releasedAt, 'releasedAt'),
    tickets: staging.tickets.map((ticket) => ({ ...ticket, prIds: [...ticket.prIds] })),
    notes: input.notes,
    gates: input.gates.map((gate) => ({ ...gate })),
  };
  if (input.releasePrId !== undefined) archived.releasePrId = input.releasePrId;
  if (input.tag !== undefined) archived.tag = input.tag;
  return deepFreeze(archived);
}

/**
 * Archived releases are immutable: writing the same repo+version again is allowed only with
 * identical content (an idempotent retry). Throws RELEASE_ARCHIVED otherwise.
 */
export function assertArchivedUnchanged(existing: ArchivedRelease, incoming: ArchivedRelease): void {
  if (
    existing.repo !== incoming.repo ||
    normalizeVersion(existing.version) !== normalizeVersion(incoming.version)
  ) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `different releases compared: ${existing.repo} ${existing.version} and ${incoming.repo} ${incoming.version}`,
      { repo: incoming.repo, version: incoming.version },
    );
  }
  if (!sameContent(existing, incoming)) {
    throw new ReleaseAgentError(
      'RELEASE_ARCHIVED',
      `release ${existing.version} of ${existing.repo} is archived and cannot change`,
      {
        repo: existing.repo,
        version: existing.version,
      },
    );
  }
}

/**
 * Every (ticket, PR) on `staging` is in `archived`: retiring that staging release in favour of the
 * archive loses nothing (an earlier run archived the version and stopped before retiring staging).
 */
export function archiveCovers(archived: ArchivedRelease, staging: StagingRelease): boolean {
  const archivedPrs = new Map(archived.tickets.map((ticket) => [ticket.key, new Set(ticket.prIds)]));
  return staging.tickets.every((ticket) => {
    const prs = archivedPrs.get(ticket.key);
    return prs !== undefined && ticket.prIds.every((prId) => prs.has(prId));
  });
}

/**
 * Staging may be retired in favour of the archive of its version only when the archive covers it;
 * RELEASE_ARCHIVED otherwise (staging has gained tickets since, and retiring it would lose them).
 */
export function assertArchiveCovers(archived: ArchivedRelease, staging: StagingRelease): void {
  if (archiveCovers(archived, staging)) return;
  throw new ReleaseAgentError(
    'RELEASE_ARCHIVED',
    `release ${archived.version} of ${archived.repo} is archived without tickets its staging release holds`,
    { repo: archived.repo, version: archived.version },
  );
}

/**
 * Makes untrusted text (a Jira summary) inert inside one Markdown list item: one line, no links,
 * images or raw HTML. Minimal on purpose: emphasis characters stay as typed.
 */
export function escapeMarkdownInline(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\[\]]/g, (character) => `\\${character}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export interface ReleaseNotesOptions {
  /** Config JIRA_BASE_URL; empty: ticket keys are written without links. */
  jiraBaseUrl: string;
}

/** Release notes in Markdown: heading with repo and version, then one line per ticket. */
export function renderReleaseNotes(
  release: StagingRelease | ArchivedRelease,
  options: ReleaseNotesOptions,
): string {
  const jira = options.jiraBaseUrl.replace(/\/+$/, '');
  const lines = [`## ${escapeMarkdownInline(release.repo)} ${release.version}`, ''];
  if ('releasedAt' in release) lines.push(`Released ${release.releasedAt.slice(0, 10)}.`, '');
  if (release.tickets.length === 0) lines.push('_No tickets._');
  for (const ticket of release.tickets) {
    const key = escapeMarkdownInline(ticket.key);
    const summary = escapeMarkdownInline(ticket.summary);
    const prs = ticket.prIds.map((id) => `!${id}`).join(', ');
    const prText = ticket.prIds.length === 0 ? '' : ` (${ticket.prIds.length === 1 ? 'PR' : 'PRs'} ${prs})`;
    const shown = jira ? `[${key}](${jira}/browse/${encodeURIComponent(ticket.key)})` : key;
    lines.push(`- ${shown}${summary ? `: ${summary}` : ''}${prText}`);
  }
  return `${lines.join('\n')}\n`;
}
