// Shared by the Jira suites: a simulator per test and a client on it with small, fast limits.
import { createJiraClient, type JiraClientOptions } from '../../../adapters/jira/jira-client.ts';
import type { Jira } from '../../../adapters/jira/jira.ts';
import { Secret } from '../../../core/secret.ts';
import { type JiraSimulator, startJiraSimulator } from '../../../sandbox/sim/jira/jira-simulator.ts';

export const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxTotalMs: 3_000 };

export function jiraOn(sim: JiraSimulator, overrides: Partial<JiraClientOptions> = {}): Jira {
  return createJiraClient({
    baseUrl: sim.url,
    email: sim.email,
    apiToken: new Secret(sim.apiToken),
    timeoutMs: 300,
    retry: FAST_RETRY,
    // A response jira.js's schemas reject fails the test: keeps the simulator faithful.
    onSchemaMismatch: 'throw',
    ...overrides,
  });
}

/** A fresh simulator around each test of the calling suite. */
export function useJiraSimulator(): { readonly sim: JiraSimulator } {
  const holder: { sim?: JiraSimulator } = {};
  beforeEach(async () => {
    holder.sim = await startJiraSimulator();
  });
  afterEach(async () => {
    await holder.sim?.stop();
  });
  return {
    get sim() {
      if (!holder.sim) throw new Error('the simulator starts in beforeEach');
      return holder.sim;
    },
  };
}

/** Requests the simulator answered for one operation. */
export function callsTo(sim: JiraSimulator, operation: string) {
  return sim.requestLog.filter((entry) => entry.operation === operation);
}

export function basicAuth(email: string, token: string): string {
  return `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
}
