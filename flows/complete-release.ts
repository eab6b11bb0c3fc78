// The last step of a release (the Python agent's release graph after production): tickets → Done, the
// Jira version released, the Slack release notification, staging → archived (immutable, with who
// answered each gate), the release thread done. A re-run after the archive changes nothing.
import type { Jira } from '../adapters/jira/jira.ts';
import { errorMessage, ReleaseAgentError } from '../core/errors.ts';
import type { ArchivedRelease, StagingRelease } from '../core/model.ts';
import { archiveRelease, renderReleaseNotes, withTicketStatuses } from '../core/releases.ts';
import { releaseCompletedCard } from '../core/release-cards.ts';
import { moveTicket } from './jira-workflow.ts';
import {
  gateRecords,
  postCard,
  type ReleaseFlowDeps,
  releaseState,
  resolveRelease,
  upsertReleaseThread,
} from './release-common.ts';
import { releaseThreadId } from './threads.ts';

export interface CompleteReleaseInput {
  repo: string;
  /** The planned version; default the staging release's. */
  version: string | undefined;
  doneStatus: string;
  /** Status names in workflow order, for walking forward when Done is not directly reachable. */
  workflow: readonly string[];
  /** Release the Jira version `<repo>-<version>` (created when missing) in each ticket's project. */
  jiraVersion: boolean;
}

export type CompleteReleaseDeps = ReleaseFlowDeps & { jira: Jira };

/** What completing a release did: the task maps it onto the run (outputs, summary, result). */
export type CompleteReleaseOutcome =
  | { kind: 'already-released'; repo: string; version: string; releasedAt: string; notes: string }
  | {
      kind: 'released';
      repo: string;
      version: string;
      /** The archived release notes (Markdown). */
      notes: string;
      tickets: number;
      doneStatus: string;
      /** What went wrong without undoing the release (a ticket not moved, Slack down…), for a person. */
      issues: string[];
    };

export async function completeRelease(
  deps: CompleteReleaseDeps,
  input: CompleteReleaseInput,
): Promise<CompleteReleaseOutcome> {
  const release = await resolveRelease(deps.store, input.repo, input.version);
  const version = release.version;
  if (!version) {
    throw new ReleaseAgentError(
      'RELEASE_NOT_FOUND',
      `${input.repo} has no staging release and no version was given: nothing to complete`,
      { repo: input.repo },
    );
  }
  const existing = await deps.store.releases.get(input.repo, version);
  if (existing) {
    deps.log.info(`${input.repo} ${version} was archived at ${existing.releasedAt}: nothing to do.`);
    // An earlier run that stopped right after archiving left its thread open: finish that, nothing else.
    if (release.thread && release.thread.status !== 'done') {
      await upsertReleaseThread(deps.store, {
        repo: input.repo,
        version,
        status: 'done',
        patch: {},
        now: deps.now(),
      });
    }
    return {
      kind: 'already-released',
      repo: input.repo,
      version,
      releasedAt: existing.releasedAt,
      notes: existing.notes,
    };
  }
  const staging = release.staging;
  if (!staging) {
    throw new ReleaseAgentError(
      'RELEASE_NOT_FOUND',
      `${input.repo} has no staging release to complete as ${version}`,
      {
        repo: input.repo,
        version,
      },
    );
  }
  const issues: string[] = [];
  if (staging.version !== version) {
    issues.push(
      `staging of ${input.repo} had moved to ${staging.version}; it is archived as the released ${version}`,
    );
  }

  // Where each ticket ended up, for the archive (the History tab shows it).
  const statuses = new Map<string, string>();
  for (const ticket of staging.tickets) {
    try {
      const move = await moveTicket(deps.jira, ticket.key, input.doneStatus, { workflow: input.workflow });
      statuses.set(ticket.key, move.to);
      deps.log.info(
        move.changed
          ? `${ticket.key}: ${move.from} → ${move.path.join(' → ')}`
          : `${ticket.key}: already ${move.to}`,
      );
    } catch (error) {
      issues.push(`${ticket.key} not moved to ${input.doneStatus}: ${errorMessage(error)}`);
    }
  }
  if (input.jiraVersion) issues.push(...(await releaseJiraVersions(deps, staging, version)));

  const thread = release.thread;
  const state = releaseState(thread);
  const threadId = releaseThreadId(input.repo, version);
  const decisions = await deps.store.decisions.findByThread(threadId);
  const gates = gateRecords(thread, decisions);
  const releasedAt = deps.now();
  // Pure: the store may call it again on a concurrent change, with the staging release it re-read.
  const build = (current: StagingRelease): ArchivedRelease => {
    const fields = {
      releasedAt,
      gates,
      ...(state.releasePrId !== undefined ? { releasePrId: state.releasePrId } : {}),
      ...(state.tag !== undefined ? { tag: state.tag } : {}),
    };
    const released = withTicketStatuses({ ...current, version }, statuses);
    const draft = archiveRelease(released, { ...fields, notes: '' });
    return archiveRelease(released, {
      ...fields,
      notes: renderReleaseNotes(draft, { jiraBaseUrl: deps.jiraBaseUrl }),
    });
  };
  const preview = build(staging);

  // Announced once: a re-run after a later failure finds it recorded.
  if (!state.notifiedAt && deps.slack) {
    const card = releaseCompletedCard({
      repo: input.repo,
      version,
      notes: preview.notes,
      tickets: staging.tickets.map((ticket) => ({ key: ticket.key, summary: ticket.summary })),
      jiraBaseUrl: deps.jiraBaseUrl,
      ...(state.releasePrId !== undefined
        ? { releasePr: { id: state.releasePrId, ...(state.releasePrUrl ? { url: state.releasePrUrl } : {}) } }
        : {}),
      ...(state.tag ? { tag: state.tag } : {}),
    });
    if (await postCard(deps, card)) {
      await upsertReleaseThread(deps.store, {
        repo: input.repo,
        version,
        patch: { notifiedAt: releasedAt.toISOString() },
        now: releasedAt,
      });
    } else {
      issues.push('the Slack release notification could not be posted');
    }
  }

  const archived = await deps.store.releases.archiveFromStaging(input.repo, build);
  await upsertReleaseThread(deps.store, {
    repo: input.repo,
    version,
    status: 'done',
    patch: { notes: archived.notes },
    now: releasedAt,
  });
  await deps.store.audit.append({
    at: releasedAt.toISOString(),
    actor: 'release-agent',
    action: 'release.completed',
    subject: threadId,
    detail: {
      version,
      tickets: archived.tickets.length,
      gates: archived.gates.length,
      issues: issues.length,
    },
  });
  deps.log.info(
    `Archived ${input.repo} ${version} with ${archived.tickets.length} ticket(s) and ${archived.gates.length} gate record(s).`,
  );
  for (const issue of issues) deps.log.warn(issue);
  return {
    kind: 'released',
    repo: input.repo,
    version,
    notes: archived.notes,
    tickets: archived.tickets.length,
    doneStatus: input.doneStatus,
    issues,
  };
}

/** Ensures `<repo>-<version>` in each ticket's project, puts the tickets on it and marks it released. */
async function releaseJiraVersions(
  deps: CompleteReleaseDeps,
  staging: StagingRelease,
  version: string,
): Promise<string[]> {
  const issues: string[] = [];
  const name = `${staging.repo}-${version}`;
  const projects = [...new Set(staging.tickets.map((ticket) => ticket.key.replace(/-\d+$/, '')))];
  for (const project of projects) {
    try {
      const jiraVersion = await deps.jira.ensureVersion(project, name);
      for (const ticket of staging.tickets.filter((item) => item.key.startsWith(`${project}-`))) {
        try {
          await deps.jira.addFixVersion(ticket.key, name);
        } catch (error) {
          issues.push(`${ticket.key} not given fix version ${name}: ${errorMessage(error)}`);
        }
      }
      if (!jiraVersion.released) await deps.jira.releaseVersion(jiraVersion.id);
      deps.log.info(`Jira version ${name} of ${project} is released.`);
    } catch (error) {
      issues.push(`Jira version ${name} of ${project} not released: ${errorMessage(error)}`);
    }
  }
  return issues;
}
