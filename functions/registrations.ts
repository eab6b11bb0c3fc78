// Every trigger of the function app as plain data: index.ts hands each to the Azure Functions runtime
// (app.http / app.timer / app.storageQueue), and the local host (sandbox/functions-host.ts) serves the
// very same list without the runtime. Names that depend on settings are read from the environment
// when the list is built (at start-up, where app settings are environment variables).
import type { HttpHandler, HttpMethod, StorageQueueHandler, TimerHandler } from '@azure/functions';
import type { Env } from '../core/config.ts';
import { MAX_DEQUEUE_COUNT } from '../flows/work.ts';
import { decideApprovalHandler, pendingApprovalsHandler } from './api-approvals.ts';
import { manualPrHandler, manualReleaseHandler } from './api-manual.ts';
import { releasesHandler } from './api-releases.ts';
import { jobStepHandler } from './api-jobs.ts';
import { reviewsHandler } from './api-reviews.ts';
import { stagingHandler } from './api-staging.ts';
import { azdoEvents } from './azdo-events.ts';
import { workQueueHandler } from './decision-worker.ts';
import { httpRoute, type RouteHandler } from './http.ts';
import { pollSchedule, prPollerHandler } from './pr-poller.ts';
import { currentConfig } from './services.ts';
import { slackInteractions } from './slack-interactions.ts';
import { statusHandler } from './status.ts';

/** The app setting holding the queue's storage connection (the Functions host's own account). */
export const QUEUE_CONNECTION = 'AzureWebJobsStorage';
export const DEFAULT_WORK_QUEUE = 'release-agent-work';
export { MAX_DEQUEUE_COUNT };

/** A Storage queue output binding (the shape of output.storageQueue()). */
export type QueueOutput = {
  type: 'queue';
  name: string;
  queueName: string;
  connection: string;
};

export type Registration =
  | {
      kind: 'http';
      name: string;
      route: string;
      methods: HttpMethod[];
      handler: HttpHandler;
      extraOutputs: QueueOutput[];
    }
  | { kind: 'timer'; name: string; schedule: string; intervalSeconds: number; handler: TimerHandler }
  | { kind: 'queue'; name: string; queueName: string; connection: string; handler: StorageQueueHandler };

/**
 * host.json sets `routePrefix` to "": the app's own routes carry `api/` themselves, so the Python
 * agent's paths can answer at the root as well.
 */
export const API_ROUTE_PREFIX = 'api/';

/**
 * The Python agent's paths (its README's API) → the route answering them, with the same handler,
 * methods and checks: a team's Slack app (Request URL), service-hook subscriptions and scripts keep
 * working after the switch.
 */
export const PYTHON_AGENT_PATHS: Readonly<Record<string, string>> = {
  'webhooks/azdo': 'azdo/events',
  'slack/interactions': 'slack/interactions',
  status: 'status',
  'approvals/pending': 'approvals/pending',
  'approvals/{threadId}': 'approvals/{threadId}',
  'releases/{repo}': 'releases/{repo}',
  staging: 'staging',
  'manual/pr/{prId}': 'manual/pr/{prId}',
  'manual/release': 'manual/release',
};

export function workQueueName(env: Env): string {
  const name = env.WORK_QUEUE_NAME?.trim();
  return name && /^[a-z0-9](?!.*--)[a-z0-9-]{1,55}[a-z0-9]$/.test(name) ? name : DEFAULT_WORK_QUEUE;
}

export function pollIntervalSeconds(env: Env): number {
  const text = env.PR_POLL_INTERVAL_SECONDS?.trim() ?? '';
  const value = /^\d{1,6}$/.test(text) ? Number(text) : 300;
  return Math.min(86_400, Math.max(10, value));
}

export function buildRegistrations(env: Env = process.env): Registration[] {
  const queueName = workQueueName(env);
  const workQueue: QueueOutput = {
    type: 'queue',
    name: 'workQueue',
    queueName,
    connection: QUEUE_CONNECTION,
  };
  const config = () => {
    try {
      return currentConfig();
    } catch {
      return undefined;
    }
  };
  const http = (
    name: string,
    route: string,
    methods: HttpMethod[],
    handler: RouteHandler,
    options: { cors?: boolean; queue?: boolean; serverStatus?: number } = {},
  ): Registration => ({
    kind: 'http',
    name,
    route: `${API_ROUTE_PREFIX}${route}`,
    methods: options.cors ? [...methods, 'OPTIONS'] : methods,
    handler: httpRoute(handler, {
      config,
      ...(options.cors ? { cors: true } : {}),
      ...(options.serverStatus ? { serverStatus: options.serverStatus } : {}),
    }),
    extraOutputs: options.queue ? [workQueue] : [],
  });
  const interval = pollIntervalSeconds(env);
  const api: Registration[] = [
    http('status', 'status', ['GET'], statusHandler, { cors: true }),
    http('slack-interactions', 'slack/interactions', ['POST'], slackInteractions, { queue: true }),
    // Azure DevOps retries a 503 and gives up on a subscription after a 500: never answer a 500.
    http('azdo-events', 'azdo/events', ['POST'], azdoEvents, { queue: true, serverStatus: 503 }),
    http('releases', 'releases/{repo}', ['GET'], releasesHandler, { cors: true }),
    http('staging', 'staging', ['GET'], stagingHandler, { cors: true }),
    http('approvals-pending', 'approvals/pending', ['GET'], pendingApprovalsHandler, { cors: true }),
    http('approvals-decide', 'approvals/{threadId}', ['POST'], decideApprovalHandler, {
      cors: true,
      queue: true,
    }),
    http('manual-pr', 'manual/pr/{prId}', ['POST'], manualPrHandler, { cors: true, queue: true }),
    http('manual-release', 'manual/release', ['POST'], manualReleaseHandler, { cors: true, queue: true }),
    http('reviews', 'reviews', ['GET'], reviewsHandler, { cors: true }),
    // Pipeline jobs (their own System.AccessToken): never from a browser, so no CORS.
    http('jobs', 'jobs/{step}', ['POST'], jobStepHandler),
  ];
  const pythonPaths = Object.entries(PYTHON_AGENT_PATHS).map(([path, route]) => {
    const target = api.find(
      (registration) => registration.kind === 'http' && registration.route === `${API_ROUTE_PREFIX}${route}`,
    );
    if (!target) throw new Error(`no route ${route} for the Python agent's path ${path}`);
    return { ...target, name: `python-${target.name}`, route: path };
  });
  return [
    ...api,
    ...pythonPaths,
    {
      kind: 'timer',
      name: 'pr-poller',
      schedule: pollSchedule(interval),
      intervalSeconds: interval,
      handler: prPollerHandler,
    },
    { kind: 'queue', name: 'work-queue', queueName, connection: QUEUE_CONNECTION, handler: workQueueHandler },
  ];
}
