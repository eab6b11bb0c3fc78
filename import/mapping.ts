// The Python release agent's state mapped to ours: one row of agent_threads, staging_releases or
// archived_releases (or one release JSON file, read into the same row shape) in, one record or a coded
// IMPORT_ROW_INVALID problem out. Pure: no I/O, no clock, no randomness (the flow adds the nonce).
// docs/import.md documents every accepted shape; test/import/ pins them.
import { ReleaseAgentError } from '../core/errors.ts';
import { type ApprovalFacts, GATE_ACTIONS } from '../core/gate-registry.ts';
import type {
  ArchivedRelease,
  Bump,
  DecisionTarget,
  GateDetails,
  GateKind,
  StagedTicket,
  StagingRelease,
  Thread,
  ThreadKind,
  TicketRef,
} from '../core/model.ts';
import { renderReleaseNotes } from '../core/releases.ts';
import { BUMPS, normalizeVersion } from '../core/versions.ts';

export type SourceTable = 'agent_threads' | 'staging_releases' | 'archived_releases';

/**
 * One agent_threads row as read. Values are untyped on purpose: a column may be TEXT, JSON or JSONB,
 * INTEGER or BIGINT, TIMESTAMPTZ or text, and the mapping decides what is acceptable.
 */
export interface ThreadRow {
  thread_id: unknown;
  graph_name: unknown;
  repo_name: unknown;
  pr_id: unknown;
  status: unknown;
  /** JSON text, or an already decoded JSON value. */
  state: unknown;
  slack_message_ts: unknown;
  created_at: unknown;
  updated_at: unknown;
}

/** One staging_releases or archived_releases row, or one release JSON file. */
export interface ReleaseRow {
  repo: unknown;
  version: unknown;
  started_at: unknown;
  /** JSON text, or an already decoded JSON value. */
  tickets: unknown;
  updated_at?: unknown;
  released_at?: unknown;
  /** Release files only: kept when present, rendered when absent. */
  notes?: unknown;
  release_pr_id?: unknown;
  tag?: unknown;
  /** The release file the row came from, named in problems. */
  origin?: string;
}

export type RowResult<T> =
  | { ok: true; key: string; value: T }
  | { ok: false; key: string; problem: ReleaseAgentError };

export interface MappingOptions {
  /** Config JIRA_BASE_URL: ticket links in release notes and gate cards. */
  jiraBaseUrl: string;
}

/** The question an open thread was waiting on, to be asked again as a pending decision. */
export interface PendingGate {
  target: DecisionTarget;
  /** What the card shows; absent when the Python state lacks what the card needs (hub and API still work). */
  details?: GateDetails;
  /** When it was asked: the thread's updated_at. */
  askedAt: string;
}

export interface ImportedThread {
  thread: Thread;
  pendingGate?: PendingGate;
}

/** Where the Python agent kept a thread's interrupt, in the order they are looked at. */
export const PENDING_GATE_KEYS = [
  'pending_approval',
  'pending_gate',
  'pending_interrupt',
  'interrupt',
  '__interrupt__',
  'awaiting',
  'awaiting_approval',
  'waiting_for',
] as const;

/** Keys of an interrupt object that name its gate or node. */
const GATE_NAME_KEYS = ['gate', 'node', 'name', 'type', 'kind', 'step', 'action'];

/** Python node and gate names (lower case, `_` for any other separator) → our gate (core/gate-registry.ts). */
const GATE_ALIASES: Readonly<Record<string, { gate: GateKind; stage?: string }>> = Object.fromEntries(
  Object.values(GATE_ACTIONS).flatMap((spec) => [
    ...spec.pythonNames.map((name) => [name, { gate: spec.gate }]),
    ...Object.entries(spec.pythonStageNames ?? {}).map(([name, stage]) => [name, { gate: spec.gate, stage }]),
  ]),
);

/** Python thread statuses (lower case, `_` for any other separator) → ours. */
const STATUS_ALIASES: Readonly<Record<string, Thread['status']>> = {
  ...statuses('running', ['running', 'in_progress', 'active', 'started', 'processing', 'pending', 'queued']),
  ...statuses('waiting', [
    'waiting',
    'interrupted',
    'paused',
    'suspended',
    'awaiting_approval',
    'pending_approval',
    'waiting_approval',
    'waiting_for_approval',
    'awaiting_input',
  ]),
  ...statuses('done', [
    'done',
    'completed',
    'complete',
    'success',
    'succeeded',
    'finished',
    'merged',
    'released',
    'deployed',
    'archived',
  ]),
  ...statuses('failed', ['failed', 'failure', 'error', 'errored', 'ci_failed', 'timeout', 'timed_out']),
  ...statuses('cancelled', [
    'cancelled',
    'canceled',
    'rejected',
    'skipped',
    'aborted',
    'stopped',
    'declined',
  ]),
};

function statuses(status: Thread['status'], names: string[]): Record<string, Thread['status']> {
  return Object.fromEntries(names.map((name) => [name, status]));
}

/** Python graph names → our flows; `full_cycle` is decided per thread (see mapThreadRow). */
const GRAPHS: Readonly<Record<string, ThreadKind | 'full_cycle'>> = {
  pr_completed: 'pr',
  pr: 'pr',
  release: 'release',
  full_cycle: 'full_cycle',
};

const PR_ID_KEYS = ['pr_id', 'prId', 'pull_request_id', 'pullRequestId', 'pr.pr_id', 'pr.id'];
const COMMIT_KEYS = [
  'last_merge_source_commit',
  'lastMergeSourceCommit',
  'source_commit',
  'sourceCommit',
  'reviewed_commit',
  'commit_id',
  'pr.last_merge_source_commit',
  'pr.source_commit',
];
const VERSION_KEYS = [
  'version',
  'new_version',
  'release_version',
  'next_version',
  'staging.version',
  'release.version',
];
const APPROVAL_KEYS = ['approval_id', 'approvalId', 'pending_approval_id', 'approval.id'];
const RELEASE_PR_KEYS = ['release_pr_id', 'releasePrId', 'release_pr.pr_id', 'release_pr.id'];
const PIPELINE_KEYS = ['pipelines', 'pipeline_names', 'pipeline_ids'];
const STAGE_KEYS = ['stage', 'stage_name', 'environment', 'current_stage', 'pending_stage'];

/** A row that cannot be imported; caught at the top of each mapping and turned into the coded problem. */
class RowInvalid extends Error {}

function fail(reason: string): never {
  throw new RowInvalid(reason);
}

function rowProblem(table: SourceTable, key: string, reason: string): ReleaseAgentError {
  return new ReleaseAgentError('IMPORT_ROW_INVALID', `${table} [${key}]: ${reason}`, { table, key, reason });
}

function mapRow<T>(table: SourceTable, key: string, build: () => T): RowResult<T> {
  try {
    return { ok: true, key, value: build() };
  } catch (error) {
    if (error instanceof RowInvalid)
      return { ok: false, key, problem: rowProblem(table, key, error.message) };
    throw error;
  }
}

/** A value as it appears in keys and messages: strings quoted (control characters escaped), long ones cut. */
export function shownValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid date' : value.toISOString();
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'a list' : 'an object';
}

/** The primary key of a row, for reports: `thread_id="t-1"`, `repo="A", version="1.2.3"` (plus the file). */
export function rowKey(table: SourceTable, row: ThreadRow | ReleaseRow): string {
  if (table === 'agent_threads') return `thread_id=${shownValue((row as ThreadRow).thread_id)}`;
  const release = row as ReleaseRow;
  const parts = [`repo=${shownValue(release.repo)}`];
  if (table === 'archived_releases') parts.push(`version=${shownValue(release.version)}`);
  if (release.origin !== undefined) parts.unshift(`file=${JSON.stringify(release.origin)}`);
  return parts.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Threads.

export function mapThreadRow(row: ThreadRow, options: MappingOptions): RowResult<ImportedThread> {
  return mapRow('agent_threads', rowKey('agent_threads', row), () => {
    const id = requiredText(row.thread_id, 'thread_id');
    const repo = repoName(row.repo_name, 'repo_name');
    const prId =
      row.pr_id === null || row.pr_id === undefined ? undefined : pullRequestId(row.pr_id, 'pr_id');
    const graphName = normalName(requiredText(row.graph_name, 'graph_name'));
    const graph = own(GRAPHS, graphName) ?? fail(`unknown graph_name ${shownValue(row.graph_name)}`);
    const statusName = normalName(requiredText(row.status, 'status'));
    const status = own(STATUS_ALIASES, statusName) ?? fail(`unknown status ${shownValue(row.status)}`);
    const state = stateObject(row.state);
    const createdAt = timestamp(row.created_at, 'created_at');
    const updatedAt =
      row.updated_at === null || row.updated_at === undefined
        ? createdAt
        : timestamp(row.updated_at, 'updated_at');

    // Only an open thread is still waiting; a finished one may keep a stale interrupt key.
    const open = status === 'running' || status === 'waiting';
    const found = open ? findPendingGate(state) : undefined;
    if (status === 'waiting' && !found) {
      fail(
        `status ${shownValue(row.status)} but no pending gate in state (looked at ${PENDING_GATE_KEYS.join(', ')})`,
      );
    }

    // A full-cycle thread is of the flow of the gate it waits at, else a PR thread when it names a PR.
    const gateFlow = found ? GATE_ACTIONS[found.gate].flow : undefined;
    let flow: ThreadKind;
    if (graph === 'full_cycle') flow = gateFlow ?? (prId !== undefined ? 'pr' : 'release');
    else flow = graph;
    if (found && gateFlow !== flow) {
      fail(`a ${shownValue(row.graph_name)} thread cannot wait at gate ${found.gate}`);
    }

    const common = { id, repo, status: found ? ('waiting' as const) : status, createdAt, updatedAt };
    // The original names and state stay readable for operators, apart from the state our flows keep.
    const pythonAgent = { graphName: row.graph_name, status: row.status, state };
    let thread: Thread;
    if (flow === 'pr') {
      // Our PR flows know a PR thread by its PR.
      const rawPrId = prId ?? firstDefined([state], PR_ID_KEYS);
      if (rawPrId === undefined)
        fail(`a PR thread needs a pr_id (or one in its state: ${PR_ID_KEYS.join(', ')})`);
      thread = { ...common, kind: 'pr', prId: pullRequestId(rawPrId, 'pr_id'), state: { pythonAgent } };
    } else {
      thread = { ...common, kind: 'release', state: { pythonAgent } };
      if (prId !== undefined) thread.prId = prId;
    }
    const slackTs = optionalText(row.slack_message_ts, 'slack_message_ts');
    if (slackTs !== undefined) thread.slackMessageTs = slackTs;
    if (!found) return { thread };
    const pendingGate = buildPendingGate(
      found,
      { threadId: id, repo, prId, state, askedAt: updatedAt },
      options,
    );
    return { thread, pendingGate };
  });
}

interface FoundGate {
  gate: GateKind;
  /** Where it was found, for messages (`state.pending_approval`). */
  where: string;
  /** The interrupt object's own fields (approval id, stage…), looked at before the state's. */
  context: Record<string, unknown>;
  impliedStage?: string;
}

function findPendingGate(state: Record<string, unknown>): FoundGate | undefined {
  for (const key of PENDING_GATE_KEYS) {
    const found = resolvePending(state[key], `state.${key}`, state);
    if (found) return found;
  }
  return undefined;
}

function resolvePending(
  value: unknown,
  where: string,
  state: Record<string, unknown>,
): FoundGate | undefined {
  if (value === undefined || value === null || value === false || value === '') return undefined;
  if (Array.isArray(value)) {
    // LangGraph's `__interrupt__` is a list of interrupts: the first open one is the question.
    const first = value.findIndex((item) => item !== null && item !== undefined);
    return first < 0 ? undefined : resolvePending(value[first], `${where}[${first}]`, state);
  }
  if (value === true) {
    // A flag: the gate is named next to it.
    const name = firstDefined([state], ['gate', 'approval_type', 'pending_node', 'current_node']);
    if (name === undefined)
      fail(`${where} is true but the state names no gate (gate, approval_type, pending_node)`);
    return gateNamed(name, where, {});
  }
  if (typeof value === 'string' || typeof value === 'number') return gateNamed(value, where, {});
  if (typeof value === 'object') {
    const context = value as Record<string, unknown>;
    const name = firstDefined([context], GATE_NAME_KEYS);
    if (name !== undefined) return gateNamed(name, where, context);
    // A LangGraph Interrupt: the payload is under `value`.
    if ('value' in context) return resolvePending(context.value, `${where}.value`, state);
    fail(`${where} names no gate (expected one of ${GATE_NAME_KEYS.join(', ')})`);
  }
  return fail(`${where} is not a gate name or an interrupt object`);
}

function gateNamed(name: unknown, where: string, context: Record<string, unknown>): FoundGate {
  const alias =
    typeof name === 'string' || typeof name === 'number'
      ? own(GATE_ALIASES, normalName(String(name)))
      : undefined;
  if (!alias) fail(`${where} names an unknown gate ${shownValue(name)}`);
  return { gate: alias.gate, where, context, ...(alias.stage ? { impliedStage: alias.stage } : {}) };
}

interface GateContext {
  threadId: string;
  repo: string;
  prId: number | undefined;
  state: Record<string, unknown>;
  askedAt: string;
}

function buildPendingGate(found: FoundGate, thread: GateContext, options: MappingOptions): PendingGate {
  const sources = [found.context, thread.state];
  const text = (keys: string[]) => {
    const value = firstDefined(sources, keys);
    return typeof value === 'string' && value.trim() ? value : undefined;
  };
  const { repo, askedAt } = thread;
  if (found.gate === 'merge_pr') {
    const rawPrId = thread.prId ?? firstDefined(sources, PR_ID_KEYS);
    if (rawPrId === undefined) fail(`gate merge_pr (${found.where}) needs the PR id: pr_id is empty`);
    const prId = pullRequestId(rawPrId, 'pr_id');
    const sourceCommit = commitId(firstDefined(sources, COMMIT_KEYS));
    const target: DecisionTarget = { gate: 'merge_pr', repo, prId, sourceCommit };
    const reviewSummary = text(['review_summary', 'review.summary']);
    const ticketKey = text(['ticket_id', 'ticket_key', 'jira_ticket', 'ticket.key']);
    const details: GateDetails = {
      gate: 'merge_pr',
      repo,
      prId,
      prTitle: text(['pr_title', 'title', 'pr.title']) ?? `PR ${prId}`,
      author: text(['author', 'pr_author', 'created_by', 'pr.author']) ?? 'unknown',
      sourceCommit,
      jiraBaseUrl: options.jiraBaseUrl,
      review: {
        summary: reviewSummary ?? 'Imported from the Python release agent: the review summary was not kept.',
        findingsCount: findingsCount(
          firstDefined(sources, ['review.findings', 'findings', 'review.findings_count']),
        ),
        costUsd: nonNegativeNumber(firstDefined(sources, ['review.cost_usd', 'review_cost_usd'])),
      },
    };
    const prUrl = text(['pr_url', 'pr.url']);
    if (prUrl) details.prUrl = prUrl;
    const sourceBranch = text(['source_branch', 'source_ref', 'pr.source_branch']);
    if (sourceBranch) details.sourceBranch = sourceBranch;
    const targetBranch = text(['target_branch', 'target_ref', 'pr.target_branch']);
    if (targetBranch) details.targetBranch = targetBranch;
    if (ticketKey) details.ticket = { key: ticketKey };
    return { target, details, askedAt };
  }

  const rawVersion = firstDefined(sources, VERSION_KEYS);
  if (rawVersion === undefined)
    fail(`gate ${found.gate} (${found.where}) needs the release version: state.version is empty`);
  const version = versionText(rawVersion, 'state.version');
  // Gates 2-4 had no Azure DevOps approval in the Python agent: a synthetic id holds the place until the
  // next approval-pending event or the poller's reconcile supersedes this decision with the real one.
  const rawApproval = firstDefined(sources, APPROVAL_KEYS);
  const approvalId =
    typeof rawApproval === 'string' && rawApproval.trim()
      ? rawApproval.trim()
      : typeof rawApproval === 'number' && Number.isSafeInteger(rawApproval)
        ? String(rawApproval)
        : `imported:${thread.threadId}:${found.gate}`;

  const ask = GATE_ACTIONS[found.gate].approvalQuestion;
  if (!ask) return fail(`gate ${found.gate} is not supported`);
  const facts: ApprovalFacts = {
    repo,
    version,
    approvalId,
    environment: '',
    tickets: [],
    pipelines: [],
    jiraBaseUrl: options.jiraBaseUrl,
  };
  // What each gate's question reads, from the Python agent's keys (core/gate-registry.ts asks it).
  if (found.gate === 'create_release_pr') {
    facts.tickets = ticketRefs(firstDefined(sources, ['tickets', 'staging.tickets']));
  } else if (found.gate === 'merge_release_pr') {
    const rawPrId =
      firstDefined([found.context], ['release_pr_id', 'releasePrId', 'pr_id']) ??
      firstDefined([thread.state], RELEASE_PR_KEYS);
    const prId = rawPrId === undefined ? undefined : pullRequestId(rawPrId, 'release_pr_id');
    // Without its PR there is nothing to show: the decision is kept without a card's details.
    if (prId === undefined) return { target: ask(facts).target, askedAt };
    facts.releasePrId = prId;
    const url = text(['release_pr_url', 'release_pr.url']);
    if (url) facts.releasePrUrl = url;
  } else if (found.gate === 'run_pipelines') {
    facts.pipelines = pipelineNames(firstDefined(sources, PIPELINE_KEYS));
  } else if (found.gate === 'approve_stage') {
    // The interrupt's own stage, then the one its name implies (approve_production), then the state's.
    const fromContext = firstDefined([found.context], STAGE_KEYS);
    const fromState = firstDefined([thread.state], STAGE_KEYS);
    const named = [fromContext, found.impliedStage, fromState].find(
      (value): value is string => typeof value === 'string' && value.trim() !== '',
    );
    if (named === undefined)
      fail(`gate approve_stage (${found.where}) needs the stage: state.stage is empty`);
    // Our environments are `sandbox` and `production`; the Python agent wrote "Sandbox", "Production".
    facts.environment = /^(sandbox|production)$/i.test(named.trim())
      ? named.trim().toLowerCase()
      : named.trim();
    const runUrl = text(['run_url', 'release_url']);
    if (runUrl) facts.runUrl = runUrl;
  }
  return { ...ask(facts), askedAt };
}

// ---------------------------------------------------------------------------------------------
// Releases.

export function mapStagingRow(row: ReleaseRow): RowResult<StagingRelease> {
  return mapRow('staging_releases', rowKey('staging_releases', row), () => {
    const repo = repoName(row.repo, 'repo');
    const version = versionText(row.version, 'version');
    const startedAt = timestamp(row.started_at, 'started_at');
    const updatedAt =
      row.updated_at === null || row.updated_at === undefined
        ? startedAt
        : timestamp(row.updated_at, 'updated_at');
    return { repo, version, startedAt, updatedAt, tickets: stagedTickets(row.tickets, startedAt) };
  });
}

export function mapArchivedRow(row: ReleaseRow, options: MappingOptions): RowResult<ArchivedRelease> {
  return mapRow('archived_releases', rowKey('archived_releases', row), () => {
    const repo = repoName(row.repo, 'repo');
    const version = versionText(row.version, 'version');
    const startedAt = timestamp(row.started_at, 'started_at');
    if (row.released_at === null || row.released_at === undefined) fail('released_at is empty');
    const releasedAt = timestamp(row.released_at, 'released_at');
    const tickets = stagedTickets(row.tickets, startedAt);
    const release: ArchivedRelease = { repo, version, startedAt, releasedAt, tickets, notes: '', gates: [] };
    const notes = optionalText(row.notes, 'notes');
    release.notes = notes ?? renderReleaseNotes(release, options);
    if (row.release_pr_id !== null && row.release_pr_id !== undefined) {
      release.releasePrId = pullRequestId(row.release_pr_id, 'release_pr_id');
    }
    const tag = optionalText(row.tag, 'tag');
    if (tag !== undefined) release.tag = tag;
    return release;
  });
}

/**
 * Tickets as the Python agent and its JSON files kept them: a list of objects
 * (`{ "id"|"key"|"ticket"|"ticket_id"|"ticket_key": "ALLPOST-1", "summary"|"title": "...",
 * "pr_id": 12 | "pr_ids"|"prs": [12, 13] }`), a list of plain keys, or an object keyed by ticket key.
 * The same key twice is one ticket with both PRs. SQL NULL / JSON null is an empty list.
 */
function stagedTickets(raw: unknown, defaultAddedAt: string): StagedTicket[] {
  const value = jsonValue(raw, 'tickets');
  if (value === null || value === undefined) return [];
  let items: { key: unknown; item: unknown; where: string }[];
  if (Array.isArray(value)) {
    items = value.map((item, index) => ({ key: undefined, item, where: `tickets[${index}]` }));
  } else if (typeof value === 'object') {
    items = Object.entries(value).map(([key, item]) => ({ key, item, where: `tickets.${key}` }));
  } else {
    return fail(`tickets must be a JSON list of tickets, got ${describeJson(value)}`);
  }
  const byKey = new Map<string, StagedTicket>();
  for (const { key: mapKey, item, where } of items) {
    const ticket = stagedTicket(mapKey, item, where, defaultAddedAt);
    const existing = byKey.get(ticket.key);
    if (!existing) {
      byKey.set(ticket.key, ticket);
      continue;
    }
    existing.prIds = [...new Set([...existing.prIds, ...ticket.prIds])].sort((a, b) => a - b);
    if (!existing.summary && ticket.summary) existing.summary = ticket.summary;
    if (BUMPS.indexOf(ticket.bump) > BUMPS.indexOf(existing.bump)) existing.bump = ticket.bump;
    if (ticket.addedAt < existing.addedAt) existing.addedAt = ticket.addedAt;
  }
  return [...byKey.values()];
}

function stagedTicket(mapKey: unknown, item: unknown, where: string, defaultAddedAt: string): StagedTicket {
  if (typeof item === 'string') {
    // A list of keys, or (keyed by ticket) the summary.
    return mapKey === undefined
      ? { key: ticketKey(item, where), summary: '', prIds: [], bump: 'patch', addedAt: defaultAddedAt }
      : { key: ticketKey(mapKey, where), summary: item, prIds: [], bump: 'patch', addedAt: defaultAddedAt };
  }
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    fail(`${where} must be a ticket key or a ticket object, got ${describeJson(item)}`);
  }
  const fields = item as Record<string, unknown>;
  const rawKey =
    mapKey ??
    firstDefined([fields], ['key', 'id', 'ticket', 'ticket_id', 'ticket_key', 'jira_key', 'issue_key']);
  if (rawKey === undefined) fail(`${where} has no ticket key (key, id, ticket, ticket_id)`);
  const summary = firstDefined([fields], ['summary', 'title']);
  if (summary !== undefined && typeof summary !== 'string') fail(`${where}.summary must be text`);
  const prIds = new Set<number>();
  const single = firstDefined([fields], ['pr_id', 'prId', 'pr']);
  if (single !== undefined) prIds.add(pullRequestId(single, `${where}.pr_id`));
  const many = firstDefined([fields], ['pr_ids', 'prIds', 'prs', 'pull_requests']);
  if (many !== undefined) {
    if (!Array.isArray(many)) fail(`${where}.pr_ids must be a list of PR ids`);
    for (const entry of many) {
      const id =
        entry && typeof entry === 'object'
          ? firstDefined([entry as Record<string, unknown>], ['pr_id', 'id'])
          : entry;
      prIds.add(pullRequestId(id, `${where}.pr_ids`));
    }
  }
  const bump = fields.bump ?? 'patch';
  if (!BUMPS.includes(bump as Bump))
    fail(`${where}.bump must be patch, minor or major, got ${shownValue(bump)}`);
  const addedRaw = firstDefined([fields], ['added_at', 'addedAt', 'merged_at']);
  return {
    key: ticketKey(rawKey, where),
    summary: summary ?? '',
    prIds: [...prIds].sort((a, b) => a - b),
    bump: bump as Bump,
    addedAt: addedRaw === undefined ? defaultAddedAt : timestamp(addedRaw, `${where}.added_at`),
  };
}

/** Ticket references for a gate card; a state whose tickets do not parse shows none rather than failing. */
function ticketRefs(value: unknown): TicketRef[] {
  if (value === undefined) return [];
  try {
    return stagedTickets(value, '1970-01-01T00:00:00.000Z').map((ticket) => ({
      key: ticket.key,
      summary: ticket.summary,
    }));
  } catch (error) {
    if (error instanceof RowInvalid) return [];
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Values.

// Azure DevOps repo names cannot hold these; Table Storage keys cannot either (encoded anyway).
const REPO_FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

function repoName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.trim()) fail(`${field} is empty`);
  const bad = REPO_FORBIDDEN.exec(value);
  if (bad)
    fail(
      `${field} ${shownValue(value)} contains ${JSON.stringify(bad[0])}, which a repository name cannot have`,
    );
  if (value.length > 256) fail(`${field} is longer than 256 characters`);
  return value;
}

function versionText(value: unknown, field: string): string {
  if (typeof value !== 'string') fail(`${field} must be text x.y.z, got ${shownValue(value)}`);
  try {
    return normalizeVersion(value.trim());
  } catch {
    return fail(`${field} ${shownValue(value)} is not a version x.y.z`);
  }
}

function requiredText(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || !value.trim()) fail(`${field} is empty`);
  return value;
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') fail(`${field} must be text, got ${shownValue(value)}`);
  return value;
}

function pullRequestId(value: unknown, field: string): number {
  const id = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)
    fail(`${field} ${shownValue(value)} is not a pull request id`);
  return id;
}

/** A full Git commit id (Azure Repos: SHA-1, 40 hex digits), as a string or `{ commitId }`. */
function commitId(value: unknown): string {
  const raw = value && typeof value === 'object' ? (value as Record<string, unknown>).commitId : value;
  if (raw === undefined || raw === null) {
    fail(
      'gate merge_pr needs the reviewed commit: state.last_merge_source_commit (or source_commit) is empty',
    );
  }
  if (typeof raw !== 'string' || !/^[0-9a-f]{40}$/i.test(raw.trim()))
    fail(`${shownValue(raw)} is not a full commit id`);
  return raw.trim().toLowerCase();
}

// Python wrote naive datetimes (no zone) as UTC; Date.parse would read them as local time.
const NAIVE_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

function timestamp(value: unknown, field: string): string {
  let ms = Number.NaN;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string' && value.trim()) {
    const text = value.trim();
    ms = Date.parse(NAIVE_DATE_TIME.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  }
  if (Number.isNaN(ms)) fail(`${field} ${shownValue(value)} is not a timestamp`);
  return new Date(ms).toISOString();
}

/**
 * A JSON value from a JSON(B) or TEXT column. JSON text is decoded; a JSON string that itself holds
 * JSON (the Python agent double-encoding with json.dumps) is decoded once more.
 */
function jsonValue(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  let decoded: unknown;
  try {
    decoded = JSON.parse(value);
  } catch {
    return fail(`${field} is not JSON`);
  }
  if (typeof decoded === 'string') {
    try {
      return JSON.parse(decoded);
    } catch {
      return decoded;
    }
  }
  return decoded;
}

function stateObject(value: unknown): Record<string, unknown> {
  const decoded = jsonValue(value, 'state');
  if (decoded === null || decoded === undefined) return {};
  if (typeof decoded !== 'object' || Array.isArray(decoded))
    fail(`state must be a JSON object, got ${describeJson(decoded)}`);
  return decoded as Record<string, unknown>;
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object'
    ? 'an object'
    : `${typeof value === 'string' ? 'a string' : `a ${typeof value}`} (${shownValue(value)})`;
}

function pipelineNames(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail('state.pipelines must be a list');
  return value.map((entry) => {
    const name =
      entry && typeof entry === 'object'
        ? firstDefined([entry as Record<string, unknown>], ['name', 'id'])
        : entry;
    if ((typeof name !== 'string' || !name.trim()) && typeof name !== 'number')
      fail(`pipeline ${shownValue(name)} has no name`);
    return String(name);
  });
}

function findingsCount(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

function nonNegativeNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function ticketKey(value: unknown, where: string): string {
  if (typeof value !== 'string' || !value.trim()) fail(`${where} has an empty ticket key`);
  if (/[\u0000-\u001f\u007f]/.test(value) || value.trim().length > 255)
    fail(`${where} ticket key ${shownValue(value)} is malformed`);
  return value.trim();
}

/** Lower case, any run of other characters as one `_`: "Awaiting Approval" → awaiting_approval. */
function normalName(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** A registry entry by name; never one inherited from Object.prototype (`constructor`, `toString`). */
function own<T>(registry: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(registry, name) ? registry[name] : undefined;
}

/** The first key (dotted paths reach into objects) with a value other than null or undefined. */
function firstDefined(sources: readonly Record<string, unknown>[], keys: readonly string[]): unknown {
  for (const source of sources) {
    for (const key of keys) {
      let value: unknown = source;
      for (const part of key.split('.')) {
        value =
          value && typeof value === 'object' && !Array.isArray(value)
            ? (value as Record<string, unknown>)[part]
            : undefined;
      }
      if (value !== undefined && value !== null) return value;
    }
  }
  return undefined;
}
