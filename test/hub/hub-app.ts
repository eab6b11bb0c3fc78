// The function app's real HTTP routes (functions/registrations.ts, served by sandbox/functions-host.ts)
// over the memory store seeded with fixtures.ts, for the hub's tests: the hub reads and decides through
// the same handlers, authentication and views (core/views.ts) as in production. The app token is
// signed with the extension certificate as Azure DevOps signs it. Only the HTTP routes run: the work
// messages a decision queues go to Azurite's queue and stay there (no worker performs the effect).
import { randomBytes, randomUUID } from 'node:crypto';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import type { Store } from '../../adapters/store/store.ts';
import { createMemoryStore } from '../../adapters/store/memory-store.ts';
import { appTokenClaims, signAppToken } from '../../core/app-token.ts';
import { EXTENSION_ID } from '../../core/config.ts';
import type { ArchivedRelease, Decision, ReviewRecord, StagingRelease } from '../../core/model.ts';
import { decideGate } from '../../flows/decide.ts';
import { buildRegistrations, type Registration } from '../../functions/registrations.ts';
import { configureServices, resetServices, services } from '../../functions/services.ts';
import { type FunctionsHost, startFunctionsHost } from '../../sandbox/functions-host.ts';
import { ARCHIVED, PENDING, REVIEWS, STAGING } from './fixtures.ts';

/** The Azure DevOps user the hub's app token names; GATE_ALLOWED_USERS lets it answer every gate. */
export const HUB_USER = 'a1b2c3d4-0000-4000-8000-0000000000ab';
/** A Slack user who may answer every gate too (decideElsewhere). */
export const SLACK_USER = 'U0ALICE';
/** The app's clock: the seeded decisions are pending and unexpired at this time. */
export const HUB_APP_NOW = new Date('2026-05-07T10:00:00.000Z');

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface HubAppSeed {
  staging: StagingRelease[];
  archived: ArchivedRelease[];
  decisions: Decision[];
  reviews: ReviewRecord[];
}

export interface HubApp {
  /** The function app's base URL (the routes are under /api). */
  url: string;
  /** A valid app token for HUB_USER. */
  token: string;
  store: Store;
  /** Every request the routes answered, in order. */
  requests: RecordedRequest[];
  /** Answers a decision from Slack (the real flow, as a Slack click does), so the hub's click finds it decided. */
  decideElsewhere(decisionId: string, by?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startHubApp(
  options: { seed?: Partial<HubAppSeed>; env?: Record<string, string> } = {},
): Promise<HubApp> {
  const store = createMemoryStore();
  await seed(store, {
    staging: options.seed?.staging ?? STAGING,
    archived: options.seed?.archived ?? ARCHIVED,
    decisions: options.seed?.decisions ?? PENDING,
    reviews: options.seed?.reviews ?? REVIEWS,
  });
  const certificate = randomBytes(32).toString('base64url');
  const organizationId = randomUUID();
  const env: Record<string, string> = {
    STORAGE_CONNECTION_STRING: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
    WORK_QUEUE_NAME: `hub-${randomBytes(4).toString('hex')}`,
    EXTENSION_CERTIFICATE: certificate,
    AZDO_ORGANIZATION_ID: organizationId,
    DECISION_SIGNING_KEY: randomBytes(32).toString('base64url'),
    GATE_ALLOWED_USERS: `*=${HUB_USER}|${SLACK_USER}`,
    // No Azure DevOps stands behind this app to say who opened a PR (test/functions/api.test.ts covers
    // separation of duties on the sandbox stack).
    SEPARATION_OF_DUTIES: 'false',
    ...options.env,
  };
  const requests: RecordedRequest[] = [];
  const registrations = buildRegistrations(env)
    .filter((registration) => registration.kind === 'http')
    .map((registration) => recorded(registration, requests));
  configureServices({ env, store, now: () => HUB_APP_NOW });
  let host: FunctionsHost;
  try {
    host = await startFunctionsHost({ registrations, env, timers: 'manual', log: () => undefined });
  } catch (error) {
    resetServices();
    throw error;
  }
  const token = signAppToken(
    appTokenClaims({
      userId: HUB_USER,
      audience: `release-agent.${EXTENSION_ID}`,
      organizationId,
      nowSeconds: Math.floor(HUB_APP_NOW.getTime() / 1000),
    }),
    certificate,
  );
  return {
    url: host.url,
    token,
    store,
    requests,
    async decideElsewhere(decisionId, by = SLACK_USER) {
      const decision = await store.decisions.get(decisionId);
      if (!decision) throw new Error(`no decision ${decisionId}`);
      const result = await decideGate(services().deps, {
        threadId: decision.threadId,
        decisionId,
        outcome: 'approved',
        // A Slack button carries the decision's nonce.
        nonce: decision.nonce,
        by,
        via: 'slack',
      });
      if (result.kind !== 'decided') throw new Error(`the Slack answer was refused: ${result.error.message}`);
    },
    async stop() {
      await host.stop();
      resetServices();
    },
  };
}

async function seed(store: Store, records: HubAppSeed): Promise<void> {
  for (const release of records.staging)
    await store.staging.update(release.repo, () => structuredClone(release));
  for (const release of records.archived) await store.releases.archive(structuredClone(release));
  for (const decision of records.decisions) await store.decisions.createIfAbsent(structuredClone(decision));
  for (const review of records.reviews) await store.reviews.put(structuredClone(review));
}

/** The route's handler, recording each request first (its body read from a clone, so the handler reads it too). */
function recorded(registration: Registration, requests: RecordedRequest[]): Registration {
  if (registration.kind !== 'http') return registration;
  const handler = registration.handler;
  return {
    ...registration,
    handler: async (request: HttpRequest, context: InvocationContext) => {
      const text = request.method === 'POST' ? await request.clone().text() : '';
      const url = new URL(request.url);
      requests.push({
        method: request.method,
        path: `${url.pathname}${url.search}`,
        authorization: request.headers.get('authorization') ?? undefined,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      });
      return handler(request, context);
    },
  };
}
