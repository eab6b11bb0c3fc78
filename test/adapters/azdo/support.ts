// Shared setup of the Azure DevOps adapter suites: a simulator, an adapter pointed at it with small
// retry bounds (so a fault test takes milliseconds), a virtual clock, a web-hook receiver and seeds.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RestAzureDevOps, type RestAzureDevOpsOptions } from '../../../adapters/azdo/rest-azdo.ts';
import type { Clock } from '../../../core/clock.ts';
import { Secret } from '../../../core/secret.ts';
import {
  type AzureDevOpsSimulator,
  type AzureDevOpsSimulatorOptions,
  type PullRequestState,
  startAzureDevOpsSimulator,
} from '../../../sandbox/sim/azdo/simulator.ts';
import { testSecret } from '../../support/test-secrets.ts';

export const fastRetry = { maxAttempts: 3, maxTotalMs: 3_000, baseDelayMs: 2, maxDelayMs: 10 };

export async function startSim(options: AzureDevOpsSimulatorOptions = {}): Promise<AzureDevOpsSimulator> {
  return await startAzureDevOpsSimulator({
    delivery: { retryDelaysMs: [5, 10], probationMs: 200 },
    ...options,
  });
}

export function adapterFor(
  sim: AzureDevOpsSimulator,
  overrides: Partial<RestAzureDevOpsOptions> = {},
): RestAzureDevOps {
  return new RestAzureDevOps({
    organizationUrl: sim.organizationUrl,
    project: sim.project.name,
    auth: { kind: 'pat', token: new Secret(testSecret('sim-pat')) },
    retry: fastRetry,
    timeoutMs: 1_000,
    ...overrides,
  });
}

/** Time that moves only when slept: waits cost nothing and every one is recorded. */
export function virtualClock(): Clock & { sleeps: number[] } {
  let now = Date.UTC(2026, 0, 1);
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

export interface ReceivedEvent {
  headers: IncomingHttpHeaders;
  body: { eventType: string; [key: string]: unknown };
}

/** A service-hook endpoint: records what it receives and answers with `respond` (200 by default). */
export async function startReceiver(respond: (count: number) => number = () => 200): Promise<{
  url: string;
  events: ReceivedEvent[];
  stop(): Promise<void>;
}> {
  const events: ReceivedEvent[] = [];
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = respond(++count);
      if (status >= 200 && status < 300) {
        events.push({
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedEvent['body'],
        });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/azdo`,
    events,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A repository with develop and main, and an active feature PR into develop changing `files`. */
export function seedFeaturePullRequest(
  sim: AzureDevOpsSimulator,
  options: { repo?: string; files?: string[]; description?: string; branch?: string } = {},
): { repo: string; pr: PullRequestState; sourceCommit: string } {
  const repo = options.repo ?? `repo-${Math.random().toString(36).slice(2, 8)}`;
  sim.seedRepository({ name: repo, branches: ['develop'] });
  const branch = options.branch ?? 'feature/ALLPOST-4028_login';
  sim.pushCommit(repo, branch, {
    changes: (options.files ?? ['src/login.ts', 'src/session.ts']).map((path) => ({
      path,
      changeType: 'add' as const,
    })),
  });
  const pr = sim.createPullRequestAsUser({
    repository: repo,
    sourceRefName: `refs/heads/${branch}`,
    targetRefName: 'refs/heads/develop',
    title: 'ALLPOST-4028 login',
    description: options.description ?? 'Adds the login form.',
  });
  return { repo, pr, sourceCommit: pr.sourceCommit };
}
