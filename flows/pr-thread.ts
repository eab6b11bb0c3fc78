// The PR thread (agent_threads row of a PR flow) as the pipeline tasks use it: read its state, and
// create-or-merge a patch into it with the store's conditional writes (the transition is pure).
import type { PrThread, Thread } from '../core/model.ts';
import { canonicalJson } from '../core/values.ts';
import type { AzureDevOps } from '../adapters/azdo/azdo.ts';
import type { Store } from '../adapters/store/store.ts';
import { type PrThreadState, prThreadId } from './threads.ts';

export async function readPrThreadState(
  store: Pick<Store, 'threads'>,
  repo: string,
  prId: number,
): Promise<PrThreadState> {
  const thread = await store.threads.getOf('pr', prThreadId(repo, prId));
  return thread?.state ?? {};
}

export interface PrThreadPatch {
  repo: string;
  prId: number;
  now: Date;
  /** Undefined keeps the thread's status (or `running` for a new thread). */
  status?: Thread['status'];
  /** Merged into the state; undefined values are left out. */
  state: PrThreadState;
}

function defined(state: PrThreadState): PrThreadState {
  return Object.fromEntries(
    Object.entries(state).filter(([, value]) => value !== undefined),
  ) as PrThreadState;
}

/** Creates the PR thread or merges the patch into it; returns the stored thread. */
export async function upsertPrThread(store: Pick<Store, 'threads'>, patch: PrThreadPatch): Promise<PrThread> {
  const id = prThreadId(patch.repo, patch.prId);
  const at = patch.now.toISOString();
  const state = defined(patch.state);
  const { created, stored } = await store.threads.createIfAbsent({
    id,
    kind: 'pr',
    repo: patch.repo,
    prId: patch.prId,
    status: patch.status ?? 'running',
    state: { ...state },
    createdAt: at,
    updatedAt: at,
  });
  if (created) return stored;
  return await store.threads.updateOf('pr', id, (current) => {
    const next: PrThread = {
      ...current,
      status: patch.status ?? current.status,
      state: { ...current.state, ...state },
    };
    // Nothing new: leave the row (and its updatedAt) alone.
    if (canonicalJson(next) === canonicalJson(current)) return undefined;
    return { ...next, updatedAt: at };
  });
}

/** Another open PR that holds a ticket in its thread. */
export interface TicketClaim {
  repo: string;
  prId: number;
  /** False when its status could not be read: counted as open, never taken over silently. */
  confirmed: boolean;
}

/**
 * The other open PRs whose thread links `ticketKey`: a PR naming a ticket must not take it over from
 * them (move it, or put it in its release). Threads already done (merged), failed or cancelled are
 * past; the rest are checked against Azure DevOps, and one that cannot be read counts as open.
 */
export async function openPrClaims(
  deps: { store: Pick<Store, 'threads'>; azdo: Pick<AzureDevOps, 'getPullRequest'> },
  ticketKey: string,
  self: { repo: string; prId: number },
): Promise<TicketClaim[]> {
  const threads = await deps.store.threads.listByTicket(ticketKey);
  const claims: TicketClaim[] = [];
  for (const thread of threads) {
    if (thread.kind !== 'pr') continue;
    if (thread.repo === self.repo && thread.prId === self.prId) continue;
    if (thread.status === 'done' || thread.status === 'failed' || thread.status === 'cancelled') continue;
    try {
      const pr = await deps.azdo.getPullRequest(thread.repo, thread.prId);
      if (pr.status === 'active') claims.push({ repo: thread.repo, prId: thread.prId, confirmed: true });
    } catch {
      claims.push({ repo: thread.repo, prId: thread.prId, confirmed: false });
    }
  }
  return claims;
}

/** How a claim reads in warnings and PR notes. */
export function describeClaims(ticketKey: string, claims: readonly TicketClaim[]): string {
  const prs = claims
    .map(
      (claim) =>
        `PR !${claim.prId} in ${claim.repo}${claim.confirmed ? '' : ' (its status could not be read)'}`,
    )
    .join(', ');
  return `${ticketKey} is already linked to another open pull request (${prs})`;
}
