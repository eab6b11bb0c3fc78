// Service-hook subscriptions and delivery, like Azure DevOps' web-hooks consumer: each event is POSTed as
// JSON to the subscription's URL with its custom headers or basic auth; 408/502/503/504 and network
// errors are retried (a few quick retries here, ~8 over minutes in the service); any other failure, or
// retries running out, puts the subscription on probation (events in that window are dropped); 410
// disables it. Deliveries of one subscription keep their order.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.ts';

export const GIT_EVENTS = ['git.pullrequest.created', 'git.pullrequest.updated'] as const;
export const APPROVAL_EVENTS = [
  'ms.vss-pipelinechecks-events.approval-pending',
  'ms.vss-pipelinechecks-events.approval-completed',
] as const;
export type HookEventType = (typeof GIT_EVENTS)[number] | (typeof APPROVAL_EVENTS)[number];
export const HOOK_EVENT_TYPES: readonly HookEventType[] = [...GIT_EVENTS, ...APPROVAL_EVENTS];

const RETRYABLE = new Set([408, 502, 503, 504]);

export type SubscriptionStatus = 'enabled' | 'onProbation' | 'disabledByUser' | 'disabledBySystem';

export interface SubscriptionState {
  id: string;
  publisherId: 'tfs' | 'pipelines';
  eventType: HookEventType;
  resourceVersion: string;
  consumerId: string;
  consumerActionId: string;
  publisherInputs: Record<string, string>;
  consumerInputs: Record<string, string>;
  status: SubscriptionStatus;
  probationUntil: number;
  createdBy: { id: string; displayName: string };
  /** Who last created or replaced it (the caller of Subscriptions_Replace Subscription). */
  modifiedBy?: { id: string; displayName: string };
  createdDate: string;
  modifiedDate: string;
}

/** The envelope every event shares, as in the service's samples. */
export interface HookEvent {
  id: string;
  eventType: HookEventType;
  publisherId: 'tfs' | 'pipelines';
  scope?: 'all';
  message: { text: string; html: string; markdown: string };
  detailedMessage: { text: string; html: string; markdown: string };
  resource: unknown;
  resourceVersion: string;
  resourceContainers: Record<string, { id: string }>;
  createdDate: string;
}

/** What decides whether a subscription gets an event (its publisher inputs are filters). */
export interface EventScope {
  projectId: string;
  repositoryId?: string;
  targetRefName?: string;
}

export interface DeliveryRecord {
  subscriptionId: string;
  eventId: string;
  eventType: HookEventType;
  url: string;
  /** HTTP statuses, or network error codes, one per attempt. */
  attempts: (number | string)[];
  outcome: 'delivered' | 'failed' | 'dropped';
  at: string;
}

export interface DeliveryOptions {
  /** Waits between attempts after a retryable failure; its length is the number of retries. */
  retryDelaysMs: number[];
  timeoutMs: number;
  /** How long a subscription on probation drops events. */
  probationMs: number;
  now: Clock['now'];
}

export class HookDispatcher {
  readonly subscriptions = new Map<string, SubscriptionState>();
  readonly deliveries: DeliveryRecord[] = [];
  readonly #chains = new Map<string, Promise<void>>();
  readonly #pending = new Set<Promise<void>>();

  constructor(readonly options: DeliveryOptions) {}

  add(
    subscription: Omit<
      SubscriptionState,
      'id' | 'status' | 'probationUntil' | 'createdDate' | 'modifiedDate'
    >,
  ): SubscriptionState {
    const now = this.options.now().toISOString();
    const state: SubscriptionState = {
      ...subscription,
      id: randomUUID(),
      status: 'enabled',
      probationUntil: 0,
      createdDate: now,
      modifiedDate: now,
    };
    this.subscriptions.set(state.id, state);
    return state;
  }

  /** Queues the event for every matching subscription; returns at once (delivery is in the background). */
  publish(event: HookEvent, scope: EventScope): void {
    for (const subscription of this.subscriptions.values()) {
      if (!matches(subscription, event, scope)) continue;
      const previous = this.#chains.get(subscription.id) ?? Promise.resolve();
      // A delivery never rejects: a broken one must not stop the next, nor surface as an unhandled rejection.
      const next: Promise<void> = previous
        .then(() => this.#deliver(subscription, event))
        .catch(() => undefined)
        .finally(() => this.#pending.delete(next));
      this.#chains.set(subscription.id, next);
      this.#pending.add(next);
    }
  }

  /** Resolves once every queued delivery has ended (delivered, failed or dropped). */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #deliver(subscription: SubscriptionState, event: HookEvent): Promise<void> {
    const record: DeliveryRecord = {
      subscriptionId: subscription.id,
      eventId: event.id,
      eventType: event.eventType,
      url: subscription.consumerInputs.url ?? '',
      attempts: [],
      outcome: 'failed',
      at: this.options.now().toISOString(),
    };
    this.deliveries.push(record);
    if (subscription.status === 'disabledBySystem' || subscription.status === 'disabledByUser') {
      record.outcome = 'dropped';
      return;
    }
    if (subscription.status === 'onProbation' && this.options.now().getTime() < subscription.probationUntil) {
      record.outcome = 'dropped';
      return;
    }
    const body = JSON.stringify(event);
    const headers = requestHeaders(subscription.consumerInputs);
    for (let attempt = 0; ; attempt++) {
      const status = await post(record.url, headers, body, this.options.timeoutMs);
      record.attempts.push(status);
      if (typeof status === 'number' && status >= 200 && status < 300) {
        record.outcome = 'delivered';
        subscription.status = 'enabled';
        return;
      }
      if (status === 410) {
        subscription.status = 'disabledBySystem';
        return;
      }
      const retryable = typeof status === 'string' || RETRYABLE.has(status);
      const delay = this.options.retryDelaysMs[attempt];
      if (!retryable || delay === undefined) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    subscription.status = 'onProbation';
    subscription.probationUntil = this.options.now().getTime() + this.options.probationMs;
  }
}

function matches(subscription: SubscriptionState, event: HookEvent, scope: EventScope): boolean {
  if (subscription.eventType !== event.eventType) return false;
  const inputs = subscription.publisherInputs;
  if (inputs.projectId && inputs.projectId.toLowerCase() !== scope.projectId.toLowerCase()) return false;
  if (inputs.repository && inputs.repository.toLowerCase() !== scope.repositoryId?.toLowerCase())
    return false;
  if (inputs.branch && scope.targetRefName) {
    const branch = inputs.branch.replace(/^refs\/heads\//, '');
    if (branch !== scope.targetRefName.replace(/^refs\/heads\//, '')) return false;
  }
  return true;
}

/** The web-hooks consumer's inputs: `httpHeaders` is one `Name:value` per line; basic auth is optional. */
function requestHeaders(inputs: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  for (const line of (inputs.httpHeaders ?? '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  if (inputs.basicAuthUsername !== undefined || inputs.basicAuthPassword !== undefined) {
    const pair = `${inputs.basicAuthUsername ?? ''}:${inputs.basicAuthPassword ?? ''}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  return headers;
}

/** The status, or a network error code when there was no answer. */
async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number | string> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return 'TIMEOUT';
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? 'NETWORK';
  }
}
