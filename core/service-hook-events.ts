// Azure DevOps service-hook events: the envelope is validated and the few fields we route on are read.
// Nothing in an event is trusted beyond routing: a PR is re-read through REST before anything is done,
// and an approval is read back with GET approvals. Pure: parsed JSON in, a typed event or INPUT_INVALID.
import * as z from 'zod/mini';
import { ReleaseAgentError } from './errors.ts';
import { parseOrFail } from './input.ts';

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

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const COMMIT = /^[0-9a-f]{40}$/i;
/** An ISO-8601 date and time as Azure DevOps writes them (e.g. 2026-05-04T12:00:00.123Z). */
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/;

// The fields routed on are required; the others are read when they are what they should be and
// absent otherwise (an event is a hint: what it says is read back through REST before acting).
const text = z.string().check(z.trim(), z.minLength(1));
const lenient = <T extends z.core.$ZodType>(schema: T) => z.catch(z.optional(schema), undefined);
const optionalText = lenient(text);
const commit = lenient(z.object({ commitId: z.string().check(z.regex(COMMIT), z.toLowerCase()) }));
/** A positive id, as a number or as digits. */
const positiveInteger = lenient(
  z.pipe(
    z.union([z.number(), z.string().check(z.regex(/^\d+$/))]),
    z.pipe(
      z.transform((value: number | string) => Number(value)),
      z.int().check(z.positive()),
    ),
  ),
);

const envelopeSchema = z.object({
  id: text.check(z.regex(ID, 'not an event id')),
  eventType: text.check(z.maxLength(200, 'too long')),
});

const pullRequestSchema = z.object({
  resource: z.object({
    repository: z.object({ name: text, id: optionalText }),
    pullRequestId: z
      .int('expected a positive whole number')
      .check(z.positive('expected a positive whole number')),
    status: text,
    targetRefName: optionalText,
    lastMergeSourceCommit: commit,
    lastMergeCommit: commit,
    closedDate: lenient(text.check(z.regex(DATE))),
  }),
});

const approvalSchema = z.object({
  resource: z.object({
    approval: z.object({
      id: text.check(z.regex(ID, 'not an approval id'), z.toLowerCase()),
      status: optionalText,
    }),
    run: lenient(z.object({ id: positiveInteger })),
    pipeline: lenient(z.object({ id: positiveInteger, name: optionalText })),
    stage: lenient(z.object({ name: optionalText })),
    stageName: optionalText,
    resource: lenient(z.object({ type: z.optional(z.unknown()), name: optionalText })),
  }),
  message: lenient(z.object({ text: optionalText })),
});

/** Reads a delivery's parsed JSON body. */
export function parseServiceHookEvent(body: unknown): ServiceHookEvent {
  const { id, eventType } = parseOrFail(envelopeSchema, body, invalid, { root: 'body' });
  if ((PULL_REQUEST_EVENTS as readonly string[]).includes(eventType)) {
    const { resource } = parseOrFail(pullRequestSchema, body, invalid, { root: 'body' });
    return {
      kind: 'pull-request',
      id,
      eventType: eventType as PullRequestEvent['eventType'],
      repo: resource.repository.name,
      repositoryId: resource.repository.id,
      prId: resource.pullRequestId,
      status: resource.status,
      targetRefName: resource.targetRefName,
      sourceCommit: resource.lastMergeSourceCommit?.commitId,
      mergeCommit: resource.lastMergeCommit?.commitId,
      closedDate: resource.closedDate,
    };
  }
  if (eventType === APPROVAL_PENDING_EVENT || eventType === APPROVAL_COMPLETED_EVENT) {
    const { resource, message } = parseOrFail(approvalSchema, body, invalid, { root: 'body' });
    const target = resource.resource;
    return {
      kind: 'approval',
      id,
      eventType,
      approvalId: resource.approval.id,
      status: resource.approval.status ?? (eventType === APPROVAL_PENDING_EVENT ? 'pending' : 'completed'),
      environment:
        (target?.type === undefined || target.type === 'environment' ? target?.name : undefined) ??
        environmentFromText(message?.text),
      stage: resource.stage?.name ?? resource.stageName,
      runId: resource.run?.id,
      pipelineId: resource.pipeline?.id,
      pipelineName: resource.pipeline?.name,
    };
  }
  return { kind: 'other', id, eventType };
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

/** "Approval pending for deployment of pipeline run1 to environment env1." → env1 */
export function environmentFromText(text: string | undefined): string | undefined {
  const match = text ? /\bto environment\s+(.+?)\.?\s*$/i.exec(text.trim()) : null;
  const name = match?.[1]?.trim();
  return name ? name : undefined;
}

function invalid(field: string, problem: string): never {
  throw new ReleaseAgentError('INPUT_INVALID', `invalid service-hook event: ${field}: ${problem}`, {
    source: 'azure-devops',
    field,
  });
}
