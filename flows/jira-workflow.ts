// Moving a Jira ticket to a status, the one way every flow does it (the JiraTicket task, StageRelease,
// CompleteRelease, a gate's effect): directly when Jira offers the transition, otherwise stepping
// forward along the team's status order until the target is reachable.
import type { Jira } from '../adapters/jira/jira.ts';
import { isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';

/** The Python agent's ticket path, in order; a move that Jira cannot make directly walks it forward. */
export const DEFAULT_WORKFLOW: readonly string[] = ['To Do', 'In Progress', 'Code Review', 'Staging', 'Done'];

export interface MoveResult {
  key: string;
  from: string;
  to: string;
  /** False when the ticket already was in the status (or was left where it is, see `skipped`). */
  changed: boolean;
  /** Every status the ticket passed through, the target last; empty when nothing changed. */
  path: string[];
  /** Why nothing was done although the ticket is not in the asked status. */
  skipped?: string;
}

export interface MoveOptions {
  /** The team's status order; default DEFAULT_WORKFLOW. */
  workflow?: readonly string[];
  /** Leave a ticket that is already further along the workflow where it is (no moving backwards). */
  keepIfPast?: boolean;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function indexIn(order: readonly string[], status: string): number {
  return order.findIndex((candidate) => same(candidate, status));
}

/**
 * Moves `key` to `status`: directly when Jira offers that transition, otherwise through the statuses
 * between the current one and the target in the workflow, trying the direct move again after each
 * step. With `keepIfPast`, a ticket already past the target stays where it is (`skipped` says why).
 * JIRA_TRANSITION_UNAVAILABLE names the transitions Jira offered where it got stuck, and says why the
 * workflow order could not help.
 */
export async function moveTicket(
  jira: Pick<Jira, 'getIssue' | 'transition'>,
  key: string,
  status: string,
  options: MoveOptions = {},
): Promise<MoveResult> {
  const order = options.workflow ?? DEFAULT_WORKFLOW;
  try {
    return await walkTo(jira, key, status, order);
  } catch (error) {
    if (!isReleaseAgentError(error, 'JIRA_TRANSITION_UNAVAILABLE')) throw error;
    const from = typeof error.fields.from === 'string' ? error.fields.from : undefined;
    const at = from === undefined ? -1 : indexIn(order, from);
    const target = indexIn(order, status);
    const path = order.join(' → ');
    if (at >= 0 && target >= 0 && at > target && options.keepIfPast && from !== undefined) {
      return {
        key,
        from,
        to: from,
        changed: false,
        path: [],
        skipped: `"${from}" is past "${status}" in the workflow (${path})`,
      };
    }
    const hint =
      at < 0 || target < 0
        ? `the workflow (${path}) does not hold both "${from ?? '?'}" and "${status}", so it cannot help`
        : at > target
          ? `"${status}" comes before "${from}" in the workflow (${path}) and moves only walk forward`
          : `no step of the workflow (${path}) leads on from "${from}"`;
    throw new ReleaseAgentError(
      'JIRA_TRANSITION_UNAVAILABLE',
      `${error.message}; ${hint}`,
      { ...error.fields, workflow: [...order] },
      { cause: error },
    );
  }
}

/** The walk itself; JIRA_TRANSITION_UNAVAILABLE from Jira when no route forward exists. */
async function walkTo(
  jira: Pick<Jira, 'getIssue' | 'transition'>,
  key: string,
  status: string,
  workflowOrder: readonly string[],
): Promise<MoveResult> {
  const from = (await jira.getIssue(key)).status;
  if (same(from, status)) return { key, from, to: from, changed: false, path: [] };
  const path: string[] = [];
  let current = from;
  // Each round moves at least one status forward, so the walk ends within the order's length.
  for (let round = 0; round <= workflowOrder.length; round++) {
    try {
      const moved = await jira.transition(key, status);
      path.push(moved.to);
      return { key, from, to: moved.to, changed: true, path };
    } catch (error) {
      if (!isReleaseAgentError(error, 'JIRA_TRANSITION_UNAVAILABLE')) throw error;
      const here = indexIn(workflowOrder, current);
      const target = indexIn(workflowOrder, status);
      if (here < 0 || target < 0 || here >= target) throw error;
      const next = await stepForward(jira, key, workflowOrder.slice(here + 1, target));
      if (!next) throw error;
      current = next;
      path.push(next);
    }
  }
  // Unreachable: each round moves strictly forward in a finite order or throws.
  throw new ReleaseAgentError(
    'JIRA_TRANSITION_UNAVAILABLE',
    `cannot move ${key} from "${current}" to "${status}"`,
    { key, from: current, status },
  );
}

/** The first of `candidates` the ticket can move to now (nearest first), or undefined. */
async function stepForward(
  jira: Pick<Jira, 'transition'>,
  key: string,
  candidates: readonly string[],
): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      return (await jira.transition(key, candidate)).to;
    } catch (error) {
      if (!isReleaseAgentError(error, 'JIRA_TRANSITION_UNAVAILABLE')) throw error;
    }
  }
  return undefined;
}

/** Jira answers 404 for an issue that does not exist (or that the account cannot see). */
export function isMissingIssue(error: unknown): boolean {
  return (
    isReleaseAgentError(error, 'NOT_FOUND') ||
    (isReleaseAgentError(error, 'SERVICE_HTTP') && error.fields.status === 404)
  );
}
