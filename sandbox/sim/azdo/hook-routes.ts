// Azure DevOps simulator routes of service-hook subscriptions: create, list and replace (secrets masked
// on read, a masked secret sent back keeps the stored one).
import type { SimRequest, SimResponse } from '../server.ts';
import { refusals } from './errors.ts';
import { HOOK_EVENT_TYPES, type HookEventType } from './hooks.ts';
import type { AzureDevOpsSimulator, SimIdentity } from './simulator.ts';
import { jsonBody, list, ok, type RouteEntry } from './route-kit.ts';

export const HOOK_ROUTES: readonly RouteEntry[] = [
  {
    method: 'POST',
    template: '/{organization}/_apis/hooks/subscriptions',
    operation: 'Subscriptions_Create',
    apiVersion: '7.1',
    handle: createSubscription,
  },
  {
    method: 'GET',
    template: '/{organization}/_apis/hooks/subscriptions',
    operation: 'Subscriptions_List',
    apiVersion: '7.1',
    handle: listSubscriptions,
  },
  {
    method: 'PUT',
    template: '/{organization}/_apis/hooks/subscriptions/{subscriptionId}',
    operation: 'Subscriptions_Replace Subscription',
    apiVersion: '7.1',
    handle: replaceSubscription,
  },
];

// ---- service hooks ----

interface SubscriptionBody {
  publisherId?: string;
  eventType?: string;
  resourceVersion?: string;
  consumerId?: string;
  consumerActionId?: string;
  publisherInputs?: Record<string, string>;
  consumerInputs?: Record<string, string>;
}

function checkedSubscription(
  body: SubscriptionBody,
): Required<SubscriptionBody> & { eventType: HookEventType; publisherId: 'tfs' | 'pipelines' } {
  const eventType = body.eventType as HookEventType;
  if (!HOOK_EVENT_TYPES.includes(eventType))
    throw refusals.badRequest(`The event type ${String(body.eventType)} is not supported.`, 'hooks');
  const publisherId = eventType.startsWith('git.') ? 'tfs' : 'pipelines';
  if (body.publisherId !== publisherId)
    throw refusals.badRequest(`The event ${eventType} is published by ${publisherId}.`, 'hooks');
  if (body.consumerId !== 'webHooks' || body.consumerActionId !== 'httpRequest') {
    throw refusals.badRequest('Only the webHooks consumer (httpRequest) is simulated.', 'hooks');
  }
  const url = body.consumerInputs?.url ?? '';
  if (!/^https?:\/\/[^\s]+$/.test(url))
    throw refusals.badRequest('The consumer input url must be an http(s) URL.', 'hooks');
  return {
    publisherId,
    eventType,
    resourceVersion: body.resourceVersion ?? (publisherId === 'tfs' ? '1.0' : '5.1-preview.1'),
    consumerId: body.consumerId,
    consumerActionId: body.consumerActionId,
    publisherInputs: body.publisherInputs ?? {},
    consumerInputs: body.consumerInputs ?? {},
  };
}

function createSubscription(
  sim: AzureDevOpsSimulator,
  request: SimRequest,
  caller: SimIdentity,
): SimResponse {
  const checked = checkedSubscription(jsonBody<SubscriptionBody>(request));
  const subscription = sim.hooks.add({
    ...checked,
    createdBy: { id: caller.id, displayName: caller.displayName },
  });
  return ok(sim.wire.subscriptionJson(subscription));
}

function listSubscriptions(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const filters = ['publisherId', 'eventType', 'consumerId', 'consumerActionId'] as const;
  const found = [...sim.hooks.subscriptions.values()].filter((subscription) =>
    filters.every((name) => {
      const wanted = request.query.get(name);
      return !wanted || subscription[name] === wanted;
    }),
  );
  return list(found.map((subscription) => sim.wire.subscriptionJson(subscription)));
}

function replaceSubscription(
  sim: AzureDevOpsSimulator,
  request: SimRequest,
  caller: SimIdentity,
): SimResponse {
  const id = request.params.subscriptionId ?? '';
  const subscription = sim.hooks.subscriptions.get(id.toLowerCase()) ?? sim.hooks.subscriptions.get(id);
  if (!subscription) throw refusals.subscriptionNotFound(id);
  const checked = checkedSubscription(jsonBody<SubscriptionBody>(request));
  // A masked secret sent back unchanged keeps the stored one.
  const consumerInputs = { ...checked.consumerInputs };
  if (
    consumerInputs.basicAuthPassword === '********' &&
    subscription.consumerInputs.basicAuthPassword !== undefined
  ) {
    consumerInputs.basicAuthPassword = subscription.consumerInputs.basicAuthPassword;
  }
  Object.assign(subscription, {
    ...checked,
    consumerInputs,
    status: 'enabled',
    probationUntil: 0,
    modifiedBy: { id: caller.id, displayName: caller.displayName },
    modifiedDate: sim.isoNow(),
  });
  return ok(sim.wire.subscriptionJson(subscription));
}
