// A protocol-faithful Azure DevOps for tests and the sandbox, served over HTTP on the routes of the 7.1
// specs. Three parts: state.ts holds the organisation in memory and the service's rules (control methods
// act "as a person in the UI"), wire.ts renders it as the REST bodies and hook events, and this file puts
// them behind a SimServer (routes.ts, admin.ts, pages.ts), authenticates callers and delivers the service
// hooks a real subscription would.
import { basicCredentials, bearerToken, type Fault, type RequestLogEntry, SimServer } from '../server.ts';
import { registerAzureDevOpsAdminRoutes } from './admin.ts';
import { genericErrorBody } from './errors.ts';
import {
  type DeliveryRecord,
  HOOK_EVENT_TYPES,
  HookDispatcher,
  type HookEventType,
  type SubscriptionState,
} from './hooks.ts';
import { registerAzureDevOpsPages } from './pages.ts';
import { registerAzureDevOpsRoutes } from './routes.ts';
import { AzureDevOpsState, type AzureDevOpsStateOptions, type StateEvent } from './state.ts';
import { AzureDevOpsWire } from './wire.ts';

// The state's types stay importable from here, where the simulator's users have always found them.
export type {
  ApprovalState,
  ApprovalStatus,
  ApprovalStepState,
  ApprovalStepStatus,
  BuildFacts,
  BuildReason,
  CheckState,
  EnvironmentState,
  IterationState,
  PipelineState,
  PolicyConfigurationState,
  PolicyStatus,
  PullRequestState,
  RunRecordView,
  RunResult,
  RunState,
  SimCredential,
  SimExtension,
  SimIdentity,
  StatusState,
  ThreadState,
} from './state.ts';
export { fullRef, STATUS_POLICY_TYPE_ID } from './state.ts';

export interface StartupWebhook {
  url: string;
  /** Defaults to every event the simulator sends. */
  eventTypes?: HookEventType[];
  headers?: Record<string, string>;
  basicAuth?: { username: string; password: string };
}

export interface AzureDevOpsSimulatorOptions extends AzureDevOpsStateOptions {
  webhooks?: StartupWebhook[];
  delivery?: { retryDelaysMs?: number[]; timeoutMs?: number; probationMs?: number };
  /** For negative tests that send off-spec requests on purpose: keep this log out of the contract check. */
  offContract?: boolean;
}

/** Request logs of every Azure DevOps simulator this process started: the spec contract test reads them. */
const startedServers: SimServer[] = [];

export function recordedAzureDevOpsRequests(): RequestLogEntry[] {
  return startedServers.flatMap((server) => server.requestLog);
}

export class AzureDevOpsSimulator extends AzureDevOpsState {
  readonly server = new SimServer('azure-devops');
  readonly hooks: HookDispatcher;
  /** The state as the REST API and the service hooks show it. */
  readonly wire = new AzureDevOpsWire(this, () => this.organizationUrl);
  readonly #offContract: boolean;

  constructor(options: AzureDevOpsSimulatorOptions = {}) {
    super(options);
    this.#offContract = options.offContract ?? false;
    this.hooks = new HookDispatcher({
      retryDelaysMs: options.delivery?.retryDelaysMs ?? [20, 40, 80],
      timeoutMs: options.delivery?.timeoutMs ?? 2_000,
      probationMs: options.delivery?.probationMs ?? 1_000,
      now: this.now,
    });
    for (const webhook of options.webhooks ?? []) this.addWebhook(webhook);
    this.server.errorBody = genericErrorBody;
    // Rate limits count per identity: the log names who each request authenticated as.
    this.server.identify = (headers) => {
      const basic = basicCredentials(headers);
      const bearer = basic ? undefined : bearerToken(headers);
      const credential = this.credentials.find((cred) =>
        basic
          ? cred.kind === 'pat' && cred.token === basic.password
          : cred.kind === 'bearer' && cred.token === bearer,
      );
      return credential?.identity.uniqueName;
    };
    // The contract test checks every exchange's bodies against the specs.
    this.server.recordBodies = true;
    registerAzureDevOpsRoutes(this);
    registerAzureDevOpsAdminRoutes(this);
    registerAzureDevOpsPages(this);
  }

  get url(): string {
    return this.server.url;
  }

  /** What the adapter is configured with: `{url}/{organization}`. */
  get organizationUrl(): string {
    return `${this.server.url}/${this.organization}`;
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.hooks.deliveries;
  }

  get requestLog(): readonly RequestLogEntry[] {
    return this.server.requestLog;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const url = await this.server.start(port, host);
    if (!this.#offContract) startedServers.push(this.server);
    return url;
  }

  async stop(): Promise<void> {
    await this.hooks.flush();
    await this.server.stop();
  }

  /**
   * Runs `body` with the exchanges' bodies left out of the contract check: for tests that put the
   * state deliberately off the service's contract (an answer of the wrong shape) to see it refused.
   */
  async offContract<T>(body: () => Promise<T>): Promise<T> {
    this.server.recordBodies = false;
    try {
      return await body();
    } finally {
      this.server.recordBodies = true;
    }
  }

  addFault(fault: Fault): void {
    this.server.addFault(fault);
  }

  clearFaults(): void {
    this.server.clearFaults();
  }

  /** Resolves once every queued service-hook delivery has ended. */
  async flushDeliveries(): Promise<void> {
    await this.hooks.flush();
  }

  // ---- control: service hooks ----

  addWebhook(webhook: StartupWebhook): SubscriptionState[] {
    const consumerInputs: Record<string, string> = { url: webhook.url };
    const headerLines = Object.entries(webhook.headers ?? {}).map(([name, value]) => `${name}:${value}`);
    if (headerLines.length > 0) consumerInputs.httpHeaders = headerLines.join('\n');
    if (webhook.basicAuth) {
      consumerInputs.basicAuthUsername = webhook.basicAuth.username;
      consumerInputs.basicAuthPassword = webhook.basicAuth.password;
    }
    return (webhook.eventTypes ?? [...HOOK_EVENT_TYPES]).map((eventType) =>
      this.hooks.add({
        publisherId: eventType.startsWith('git.') ? 'tfs' : 'pipelines',
        eventType,
        resourceVersion: eventType.startsWith('git.') ? '1.0' : '5.1-preview.1',
        consumerId: 'webHooks',
        consumerActionId: 'httpRequest',
        publisherInputs: { projectId: this.project.id },
        consumerInputs: { ...consumerInputs },
        createdBy: { id: this.users.agent.id, displayName: this.users.agent.displayName },
      }),
    );
  }

  protected publish(event: StateEvent): void {
    const filter =
      event.kind === 'pullRequest'
        ? {
            projectId: this.project.id,
            repositoryId: event.pullRequest.repositoryId,
            targetRefName: event.pullRequest.targetRefName,
          }
        : { projectId: this.project.id };
    this.hooks.publish(this.wire.hookEvent(event), filter);
  }
}

/** Starts a simulator on a free loopback port (or `port`). */
export async function startAzureDevOpsSimulator(
  options: AzureDevOpsSimulatorOptions & { port?: number; host?: string } = {},
): Promise<AzureDevOpsSimulator> {
  const sim = new AzureDevOpsSimulator(options);
  await sim.start(options.port ?? 0, options.host ?? '127.0.0.1');
  return sim;
}
