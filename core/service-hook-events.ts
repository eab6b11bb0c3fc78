// Azure DevOps service-hook events: the envelope is validated and the few fields we route on are read.
// Nothing in an event is trusted beyond routing: a PR is re-read through REST before anything is done,
// and an approval is read back with GET approvals. Pure: parsed JSON in, a typed event or INPUT_INVALID.
import { ReleaseAgentError } from './errors.ts';

export const PULL_REQUEST_EVENTS = ['git.pullrequest.created', 'git.pullrequest.updated'] as const;
export const APPROVAL_PENDING_EVENT = 'ms.vss-pipelinechecks-events.approval-pending';
export const APPROVAL_COMPLETED_EVENT = 'ms.vss-pipelinechecks-events.approval-completed';

export interface PullRequestEvent {
  kind: 'pull-request';
  id: string;
  eventType: (typeof PULL_REQUEST_EVENTS)[number];
  repo: string;
  repositoryId: string | undefined;
  prId: number;
  /** As the event says; confirmed through REST before acting. */
  status: string;
  targetRefName: string | undefined;
  sourceCommit: string | undefined;
  /** `lastMergeCommit`: the test merge while active, the commit that landed once completed. */
  mergeCommit: string | undefined;
  /** Set once the PR is completed or abandoned. */
  closedDate: string | undefined;
}

export interface ApprovalEvent {
  kind: 'approval';
  id: string;
  eventType: typeof APPROVAL_PENDING_EVENT | typeof APPROVAL_COMPLETED_EVENT;
  approvalId: string;
  status: string;
  /** The environment's name; from `resource.resource`, else the message text ("… to environment X."). */
  environment: string | undefined;
  stage: string | undefined;
  runId: number | undefined;
  pipelineId: number | undefined;
  pipelineName: string | undefined;
}

export interface OtherEvent {
  kind: 'other';
  id: string;
  eventType: string;
}

export type ServiceHookEvent = PullRequestEvent | ApprovalEvent | OtherEvent;

type Json = Record<string, unknown>;

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const COMMIT = /^[0-9a-f]{40}$/i;
/** An ISO-8601 date and time as Azure DevOps writes them (e.g. 2026-05-04T12:00:00.123Z). */
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/;

/** Reads a delivery's parsed JSON body. */
export function parseServiceHookEvent(body: unknown): ServiceHookEvent {
  const root = object(body, 'body');
  const id = text(root.id, 'id');
  if (!ID.test(id)) invalid('id', 'not an event id');
  const eventType = text(root.eventType, 'eventType');
  if (eventType.length > 200) invalid('eventType', 'too long');
  if ((PULL_REQUEST_EVENTS as readonly string[]).includes(eventType)) {
    return pullRequestEvent(
      id,
      eventType as PullRequestEvent['eventType'],
      object(root.resource, 'resource'),
    );
  }
  if (eventType === APPROVAL_PENDING_EVENT || eventType === APPROVAL_COMPLETED_EVENT) {
    return approvalEvent(id, eventType, object(root.resource, 'resource'), root.message);
  }
  return { kind: 'other', id, eventType };
}

function pullRequestEvent(
  id: string,
  eventType: PullRequestEvent['eventType'],
  resource: Json,
): PullRequestEvent {
  const repository = object(resource.repository, 'resource.repository');
  const repo = text(repository.name, 'resource.repository.name');
  const prId = resource.pullRequestId;
  if (typeof prId !== 'number' || !Number.isSafeInteger(prId) || prId <= 0)
    invalid('resource.pullRequestId', 'expected a positive whole number');
  const commit = optionalObject(resource.lastMergeSourceCommit)?.commitId;
  const merge = optionalObject(resource.lastMergeCommit)?.commitId;
  const closed = optionalText(resource.closedDate);
  return {
    kind: 'pull-request',
    id,
    eventType,
    repo,
    repositoryId: optionalText(repository.id),
    prId,
    status: text(resource.status, 'resource.status'),
    targetRefName: optionalText(resource.targetRefName),
    sourceCommit: typeof commit === 'string' && COMMIT.test(commit) ? commit.toLowerCase() : undefined,
    mergeCommit: typeof merge === 'string' && COMMIT.test(merge) ? merge.toLowerCase() : undefined,
    closedDate: closed && DATE.test(closed) ? closed : undefined,
  };
}

/**
 * What a PR event means, for deduping distinct deliveries of the same thing (Azure DevOps sends several
 * events, with their own ids, for one push or one completion): an active PR by its source commit, a
 * completed one by its merge commit and closed date. Undefined when the event does not say enough to
 * know (then only its id dedupes it): an event claiming completion without them must not hide the real
 * completion that follows.
 */
export function pullRequestEventMeaning(event: PullRequestEvent): string | undefined {
  const pr = `azdo-pr|${event.repo.toLowerCase()}|${event.prId}`;
  if (event.status === 'active') return `${pr}|active|${event.sourceCommit ?? ''}`;
  if (event.status === 'completed' && event.closedDate)
    return `${pr}|completed|${event.mergeCommit ?? ''}|${event.closedDate}`;
  return undefined;
}

function approvalEvent(
  id: string,
  eventType: ApprovalEvent['eventType'],
  resource: Json,
  message: unknown,
): ApprovalEvent {
  const approval = object(resource.approval, 'resource.approval');
  const approvalId = text(approval.id, 'resource.approval.id');
  if (!ID.test(approvalId)) invalid('resource.approval.id', 'not an approval id');
  const run = optionalObject(resource.run);
  const pipeline = optionalObject(resource.pipeline);
  const stage = optionalObject(resource.stage);
  const target = optionalObject(resource.resource);
  const messageText = optionalText(optionalObject(message)?.text);
  return {
    kind: 'approval',
    id,
    eventType,
    approvalId: approvalId.toLowerCase(),
    status: optionalText(approval.status) ?? (eventType === APPROVAL_PENDING_EVENT ? 'pending' : 'completed'),
    environment:
      (target?.type === undefined || target.type === 'environment'
        ? optionalText(target?.name)
        : undefined) ?? environmentFromText(messageText),
    stage: optionalText(stage?.name) ?? optionalText(resource.stageName),
    runId: positiveInteger(run?.id),
    pipelineId: positiveInteger(pipeline?.id),
    pipelineName: optionalText(pipeline?.name),
  };
}

/** "Approval pending for deployment of pipeline run1 to environment env1." → env1 */
export function environmentFromText(text: string | undefined): string | undefined {
  const match = text ? /\bto environment\s+(.+?)\.?\s*$/i.exec(text.trim()) : null;
  const name = match?.[1]?.trim();
  return name ? name : undefined;
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(path, 'expected an object');
  return value as Json;
}

function optionalObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) invalid(path, 'expected a non-empty string');
  return value.trim();
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number > 0 ? number : undefined;
}

function invalid(field: string, problem: string): never {
  throw new ReleaseAgentError('INPUT_INVALID', `invalid service-hook event: ${field}: ${problem}`, {
    source: 'azure-devops',
    field,
  });
}
