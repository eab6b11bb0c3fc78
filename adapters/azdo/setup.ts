// Setup-only Azure DevOps calls (scripts/setup.ts): environments (azure-devops-node-api's TaskAgentApi),
// their Approval checks, service-hook subscriptions and the Status branch policy (typed REST calls of
// the 7.1 specs: the library has no client for check configurations, and its service-hook and policy
// clients would add two more areas to discover for one call each).
import { TaskAgentApi } from 'azure-devops-node-api/TaskAgentApi.js';
import {
  APPROVAL_CHECK_TYPE_ID,
  type ApprovalCheckInput,
  type Environment,
  type ServiceHookInput,
  type ServiceHookSubscription,
} from './azdo.ts';
import {
  type AzureDevOpsConnection,
  expectArray,
  expectObject,
  identity,
  listValue,
  type WireIdentity,
  type WireList,
} from './connection.ts';

/** Check configurations exist only as a preview in 7.1; plain 7.1 is refused with a 400. */
const CHECKS_API = '7.1-preview.1';
const GIT_EVENT_VERSION = '1.0';
const APPROVAL_EVENT_VERSION = '5.1-preview.1';
/** The Status policy's type id (Azure DevOps' _apis/policy/types). */
const STATUS_POLICY_TYPE_ID = 'cbdc66da-9728-4af8-aada-9a5a32e4a226';

interface WirePolicy {
  id: number;
  settings?: {
    statusName?: string;
    statusGenre?: string;
    scope?: { repositoryId?: string | null; refName?: string }[];
  };
}

/** A check configuration as listed with `$expand=settings` (the Approval type's settings). */
interface WireCheckConfiguration {
  id: number;
  type?: { id?: string; name?: string };
  resource?: { type?: string; id?: string; name?: string };
  timeout?: number;
  settings?: { approvers?: { id?: string }[]; instructions?: string; [key: string]: unknown };
  [key: string]: unknown;
}

interface WireSubscription {
  id: string;
  modifiedBy?: WireIdentity;
  publisherInputs?: Record<string, string>;
  consumerInputs?: Record<string, string>;
}

export class AzureDevOpsSetup {
  readonly #connection: AzureDevOpsConnection;
  readonly #taskAgent: TaskAgentApi;
  #projectId: string | undefined;

  constructor(connection: AzureDevOpsConnection) {
    this.#connection = connection;
    this.#taskAgent = connection.client(TaskAgentApi);
  }

  async ensureEnvironment(name: string, description = ''): Promise<Environment> {
    const fields = { environment: name };
    const found = await this.#connection.library(
      'listEnvironments',
      () => this.#taskAgent.getEnvironments(this.#connection.project, name),
      { fields },
    );
    const existing = expectArray(found, 'listEnvironments').find(
      (env) => (env.name ?? '').toLowerCase() === name.toLowerCase(),
    );
    if (existing?.id !== undefined) return { id: existing.id, name: existing.name ?? name, created: false };
    const created = expectObject(
      await this.#connection.library(
        'createEnvironment',
        () => this.#taskAgent.addEnvironment({ name, description }, this.#connection.project),
        { fields },
      ),
      'createEnvironment',
    );
    return { id: created.id ?? 0, name: created.name ?? name, created: true };
  }

  async ensureApprovalCheck(
    environment: { id: number; name: string },
    check: ApprovalCheckInput,
  ): Promise<{ id: number; created: boolean; approversAdded: string[]; markerAdded: boolean }> {
    const path = `${this.#connection.projectPath()}/_apis/pipelines/checks/configurations`;
    const fields = { environment: environment.name, environmentId: environment.id };
    const found = await this.#connection.rest<WireList<WireCheckConfiguration>>(
      'listCheckConfigurations',
      'GET',
      path,
      {
        apiVersion: CHECKS_API,
        query: { resourceType: 'environment', resourceId: String(environment.id), $expand: 'settings' },
        fields,
      },
    );
    const existing = listValue(found.body, 'listCheckConfigurations').find(
      (config) => config.type?.id === APPROVAL_CHECK_TYPE_ID,
    );
    if (existing) {
      // The check is someone's: keep what people configured; add only the approvers it lacks (the app's own
      // identity first of all) and our gate marker to its instructions, in one update.
      const settings = existing.settings ?? {};
      const approvers = settings.approvers ?? [];
      const have = new Set(approvers.map((approver) => approver.id?.toLowerCase()));
      const missing = check.approverIds.filter((id) => !have.has(id.toLowerCase()));
      const instructions = settings.instructions ?? '';
      const markerAdded =
        Boolean(check.marker) && !instructions.toLowerCase().includes(check.marker!.toLowerCase());
      if (missing.length === 0 && !markerAdded)
        return { id: existing.id, created: false, approversAdded: [], markerAdded: false };
      await this.#connection.rest('updateCheckConfiguration', 'PATCH', `${path}/${existing.id}`, {
        apiVersion: CHECKS_API,
        body: {
          ...existing,
          resource: existing.resource ?? {
            type: 'environment',
            id: String(environment.id),
            name: environment.name,
          },
          settings: {
            ...settings,
            approvers: [...approvers, ...missing.map((id) => ({ id }))],
            ...(markerAdded ? { instructions: `${instructions} ${check.marker}`.trim() } : {}),
          },
        },
        fields: { ...fields, checkId: existing.id },
      });
      return { id: existing.id, created: false, approversAdded: missing, markerAdded };
    }
    const created = await this.#connection.rest<{ id: number }>('addCheckConfiguration', 'POST', path, {
      apiVersion: CHECKS_API,
      body: {
        type: { id: APPROVAL_CHECK_TYPE_ID, name: 'Approval' },
        // `settings` belongs to the Approval check type (ApprovalConfigSettings in the approvals spec);
        // the generic CheckConfiguration schema does not list it, the service requires it.
        settings: {
          approvers: check.approverIds.map((id) => ({ id })),
          executionOrder: 'anyOrder',
          minRequiredApprovers: check.minRequiredApprovers ?? 1,
          instructions: check.instructions ?? '',
          blockedApprovers: [],
          requesterCannotBeApprover: false,
        },
        resource: { type: 'environment', id: String(environment.id), name: environment.name },
        timeout: check.timeoutMinutes ?? 43_200,
      },
      fields,
    });
    return {
      id: expectObject(created.body, 'addCheckConfiguration').id,
      created: true,
      approversAdded: [...check.approverIds],
      markerAdded: false,
    };
  }

  async ensureServiceHook(hook: ServiceHookInput): Promise<ServiceHookSubscription> {
    const projectId = await this.#resolveProjectId();
    const publisherId = hook.eventType.startsWith('git.') ? 'tfs' : 'pipelines';
    const headerSecrets = Object.values(hook.headers ?? {});
    const secrets = [...headerSecrets, ...(hook.basicAuth ? [hook.basicAuth.password] : [])];
    const consumerInputs: Record<string, string> = {
      url: hook.url,
      resourceDetailsToSend: 'all',
      messagesToSend: 'none',
      detailedMessagesToSend: 'none',
    };
    const headerLines = Object.entries(hook.headers ?? {}).map(
      ([name, value]) => `${name}:${value.reveal()}`,
    );
    if (headerLines.length > 0) consumerInputs.httpHeaders = headerLines.join('\n');
    if (hook.basicAuth) {
      consumerInputs.basicAuthUsername = hook.basicAuth.username;
      consumerInputs.basicAuthPassword = hook.basicAuth.password.reveal();
    }
    const publisherInputs: Record<string, string> = {
      projectId,
      ...(hook.repositoryId ? { repository: hook.repositoryId } : {}),
    };
    const body = {
      publisherId,
      eventType: hook.eventType,
      resourceVersion: publisherId === 'tfs' ? GIT_EVENT_VERSION : APPROVAL_EVENT_VERSION,
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      publisherInputs,
      consumerInputs,
    };
    const fields = { eventType: hook.eventType };
    const found = await this.#connection.rest<WireList<WireSubscription>>(
      'listSubscriptions',
      'GET',
      '_apis/hooks/subscriptions',
      {
        query: {
          publisherId,
          eventType: hook.eventType,
          consumerId: 'webHooks',
          consumerActionId: 'httpRequest',
        },
        fields,
      },
    );
    const existing = listValue(found.body, 'listSubscriptions').find(
      (sub) =>
        sub.consumerInputs?.url === hook.url &&
        sub.publisherInputs?.projectId === projectId &&
        (sub.publisherInputs?.repository ?? '') === (hook.repositoryId ?? ''),
    );
    if (existing) {
      // Replaced in place so a rotated secret reaches the subscription (the service masks it on read).
      const replaced = await this.#connection.rest<WireSubscription>(
        'replaceSubscription',
        'PUT',
        `_apis/hooks/subscriptions/${encodeURIComponent(existing.id)}`,
        {
          body: { ...body, id: existing.id },
          fields: { ...fields, subscriptionId: existing.id },
          secrets,
        },
      );
      const modifiedBy = (replaced.body as WireSubscription | undefined)?.modifiedBy;
      return {
        id: existing.id,
        created: false,
        modifiedBy: modifiedBy?.id ? identity(modifiedBy) : undefined,
      };
    }
    const created = await this.#connection.rest<WireSubscription>(
      'createSubscription',
      'POST',
      '_apis/hooks/subscriptions',
      { body, fields, secrets },
    );
    const subscription = expectObject(created.body, 'createSubscription');
    return {
      id: subscription.id,
      created: true,
      modifiedBy: subscription.modifiedBy?.id ? identity(subscription.modifiedBy) : undefined,
    };
  }

  async ensureStatusPolicy(policy: {
    refName: string;
    genre: string;
    name: string;
  }): Promise<{ id: number; created: boolean }> {
    const list = await this.#connection.rest<WireList<WirePolicy>>(
      'listPolicies',
      'GET',
      `${this.#connection.projectPath()}/_apis/policy/configurations`,
      {
        query: { policyType: STATUS_POLICY_TYPE_ID },
      },
    );
    const existing = listValue(list.body, 'listPolicies').find(
      (candidate) =>
        candidate.settings?.statusName === policy.name &&
        (candidate.settings?.statusGenre ?? '') === policy.genre &&
        (candidate.settings?.scope ?? []).some(
          (scope) => !scope.repositoryId && scope.refName === policy.refName,
        ),
    );
    if (existing) return { id: existing.id, created: false };
    const response = await this.#connection.rest<WirePolicy>(
      'createPolicy',
      'POST',
      `${this.#connection.projectPath()}/_apis/policy/configurations`,
      {
        body: {
          isEnabled: true,
          isBlocking: true,
          type: { id: STATUS_POLICY_TYPE_ID },
          settings: {
            statusGenre: policy.genre,
            statusName: policy.name,
            // A new push needs its own review: the status of an older iteration does not count.
            invalidateOnSourceUpdate: true,
            policyApplicability: null,
            scope: [{ repositoryId: null, refName: policy.refName, matchKind: 'exact' }],
          },
        },
        fields: { refName: policy.refName },
      },
    );
    return { id: expectObject(response.body, 'createPolicy').id, created: true };
  }

  async #resolveProjectId(): Promise<string> {
    if (this.#projectId) return this.#projectId;
    const response = await this.#connection.rest<{ id: string }>(
      'getProject',
      'GET',
      `_apis/projects/${encodeURIComponent(this.#connection.project)}`,
      {
        fields: { project: this.#connection.project },
      },
    );
    this.#projectId = expectObject(response.body, 'getProject').id;
    return this.#projectId;
  }
}
