// Moving a Jira ticket to a status when the workflow has no direct transition: step forward along the
// team's status order until the target is reachable. Shared by every flow that moves tickets.
import type { Jira } from '../adapters/jira/jira.ts';
import { isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';

/** The Python agent's workflow, in order. */
export const DEFAULT_WORKFLOW_ORDER: readonly string[] = [
  'To Do',
  'In Progress',
  'Code Review',
  'Staging',
  'Done',
];

export interface TicketMove {
  key: string;
  from: string;
  to: string;
  /** False when the ticket already was in the status. */
  changed: boolean;
  /** Every status the ticket passed through, the target last; empty when nothing changed. */
  path: string[];
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function indexIn(order: readonly string[], status: string): number {
  return order.findIndex((candidate) => same(candidate, status));
}

/**
 * Moves `key` to `status`: directly when Jira offers that transition, otherwise through the statuses
 * between the current one and the target in `workflowOrder`, trying the direct move again after each
 * step. Throws JIRA_TRANSITION_UNAVAILABLE when no route forward exists (e.g. the ticket is past the target).
 */
export async function moveTicketTo(
  jira: Pick<Jira, 'getIssue' | 'transition'>,
  key: string,
  status: string,
  workflowOrder: readonly string[] = DEFAULT_WORKFLOW_ORDER,
): Promise<TicketMove> {
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
    {
      key,
      status,
    },
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
