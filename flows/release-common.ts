// What the release pipeline's flows share: their deps, the release thread (found by repo + version),
// bounded polling, the pipeline reference and small text rules.
import type { Slack } from '../adapters/slack/slack.ts';
import type { Store } from '../adapters/store/store.ts';
import { type FlowContext, sleepOf } from './context.ts';
import { errorMessage } from '../core/errors.ts';
import type { Decision, GateRecord, ReleaseThread, StagingRelease, Thread } from '../core/model.ts';
import type { SlackCard } from '../core/card-blocks.ts';
import { type ReleaseThreadState, releaseThreadId } from './threads.ts';

export interface SlackTarget {
  slack: Slack;
  channel: string | undefined;
}

/** The context and settings every release flow gets. */
export interface ReleaseFlowDeps extends FlowContext {
  /** Absent when the task has no Slack connection: nothing is posted. */
  slack?: SlackTarget;
  /** For ticket links in notes and cards. */
  jiraBaseUrl: string;
}

/**
 * Posts a notification card. A Slack outage must not undo a release step that already happened, so a
 * failure is a warning and the caller reports SucceededWithIssues.
 */
export async function postCard(
  deps: Pick<ReleaseFlowDeps, 'slack' | 'log'>,
  card: SlackCard,
): Promise<boolean> {
  if (!deps.slack) return false;
  try {
    await deps.slack.slack.postMessage({
      ...(deps.slack.channel ? { channel: deps.slack.channel } : {}),
      text: card.text,
      blocks: card.blocks,
    });
    return true;
  } catch (error) {
    deps.log.warn(`the Slack notification could not be posted: ${errorMessage(error)}`);
    return false;
  }
}

export interface PipelineRef {
  id: number;
  name: string;
}

export interface PipelineRef {
  id: number;
  name: string;
}

/**
 * Text for a field with a character limit (a PR description: 4,000): whole lines are kept and the
 * rest is replaced by a note saying how many ticket lines were left out and where the full list is.
 */
export function fitDescription(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const lines = text.split('\n');
  const note = (dropped: number) =>
    `\n_…and ${dropped} more ${dropped === 1 ? 'ticket' : 'tickets'}: the description is cut to Azure DevOps' ${limit}-character limit; the full release notes are in the release run's summary._\n`;
  const ticketLines = (from: number) => lines.slice(from).filter((line) => line.startsWith('- ')).length;
  let kept = lines.length;
  while (kept > 0 && lines.slice(0, kept).join('\n').length + note(ticketLines(kept)).length > limit) kept--;
  return `${lines.slice(0, kept).join('\n')}${note(ticketLines(kept))}`.slice(0, limit);
}

export function releaseState(thread: ReleaseThread | undefined): ReleaseThreadState {
  return thread?.state ?? {};
}

function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * The release thread of repo + version, created when absent, with `patch` merged into its state
 * (undefined fields leave the stored ones as they are).
 */
export async function upsertReleaseThread(
  store: Store,
  input: {
    repo: string;
    version: string;
    patch: Partial<ReleaseThreadState>;
    status?: Thread['status'];
    now: Date;
  },
): Promise<ReleaseThread> {
  const id = releaseThreadId(input.repo, input.version);
  const at = input.now.toISOString();
  const patch = defined(input.patch);
  const { created, stored } = await store.threads.createIfAbsent({
    id,
    kind: 'release',
    repo: input.repo,
    status: input.status ?? 'running',
    state: { ...patch, version: input.version },
    createdAt: at,
    updatedAt: at,
  });
  if (created) return stored;
  return await store.threads.updateOf('release', id, (current) => ({
    ...current,
    ...(input.status ? { status: input.status } : {}),
    state: { ...current.state, ...patch, version: input.version },
    updatedAt: at,
  }));
}

export interface ResolvedRelease {
  repo: string;
  /** From the `version` input, else the staging release's; undefined when neither exists. */
  version: string | undefined;
  staging: StagingRelease | undefined;
  thread: ReleaseThread | undefined;
}

/** The release a task acts on: the version the pipeline planned (or staging's), its staging release and thread. */
export async function resolveRelease(
  store: Store,
  repo: string,
  version: string | undefined,
): Promise<ResolvedRelease> {
  const staging = await store.staging.get(repo);
  const chosen = version ?? staging?.version;
  const thread = chosen ? await store.threads.getOf('release', releaseThreadId(repo, chosen)) : undefined;
  return { repo, version: chosen, staging, thread };
}

/**
 * Who answered each gate of a release: the thread's recorded gates plus the thread's decided
 * decisions, without repeats, oldest first.
 */
export function gateRecords(thread: ReleaseThread | undefined, decisions: readonly Decision[]): GateRecord[] {
  const records: GateRecord[] = [...(releaseState(thread).gates ?? [])];
  for (const decision of decisions) {
    if (decision.status !== 'approved' && decision.status !== 'rejected') continue;
    records.push({
      gate: decision.gate,
      outcome: decision.status,
      by: decision.decidedBy ?? 'unknown',
      via: decision.decidedVia ?? 'api',
      at: decision.decidedAt ?? decision.createdAt,
    });
  }
  const seen = new Set<string>();
  return records
    .filter((record) => {
      const key = `${record.gate}|${record.outcome}|${record.by}|${record.at}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

export type PollOutcome<T> = { done: true; value: T; elapsedMs: number } | { done: false; elapsedMs: number };

/**
 * Calls `check` now and then every `intervalMs` until it gives a value or `maxWaitMs` has passed
 * (the last wait is shortened to end on the deadline, and one last check runs there).
 */
export async function pollUntil<T>(options: {
  clock: Pick<FlowContext, 'now' | 'sleep'>;
  intervalMs: number;
  maxWaitMs: number;
  check(round: number, elapsedMs: number): Promise<T | undefined>;
}): Promise<PollOutcome<T>> {
  const started = options.clock.now().getTime();
  const sleep = sleepOf(options.clock);
  for (let round = 1; ; round++) {
    const elapsedMs = options.clock.now().getTime() - started;
    const value = await options.check(round, elapsedMs);
    if (value !== undefined) return { done: true, value, elapsedMs };
    if (elapsedMs >= options.maxWaitMs) return { done: false, elapsedMs };
    await sleep(Math.max(0, Math.min(options.intervalMs, options.maxWaitMs - elapsedMs)));
  }
}

export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
