// Setup-only Azure DevOps calls (scripts/setup.ts): environments (azure-devops-node-api's TaskAgentApi),
// the Status branch policy (its PolicyApi), the project's id (its CoreApi), and typed REST calls of the
// 7.1 specs for the areas the library has no client for: environments' Approval checks (check
// configurations) and service-hook subscriptions (azure-devops-node-api 17 ships no ServiceHooksApi). Every answer is read through a
// schema of the fields setup decides on: a malformed one is SERVICE_MALFORMED naming the field, before
// anything is created or changed.
import type { PolicyConfiguration } from 'azure-devops-node-api/interfaces/PolicyInterfaces.js';
import { CoreApi } from 'azure-devops-node-api/CoreApi.js';
import { PolicyApi } from 'azure-devops-node-api/PolicyApi.js';
import { TaskAgentApi } from 'azure-devops-node-api/TaskAgentApi.js';
import * as z from 'zod/mini';
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
  identity,
  listValue,
  type WireList,
  wireAnswer,
} from './connection.ts';

/** Check configurations exist only as a preview in 7.1; plain 7.1 is refused with a 400. */
const CHECKS_API = '7.1-preview.1';
const GIT_EVENT_VERSION = '1.0';
const APPROVAL_EVENT_VERSION = '5.1-preview.1';
/** The Status policy's type id (Azure DevOps' _apis/policy/types). */
const STATUS_POLICY_TYPE_ID = 'cbdc66da-9728-4af8-aada-9a5a32e4a226';

const wireIdentity = z.looseObject({
  id: z.optional(z.string()),
  displayName: z.optional(z.string()),
  uniqueName: z.optional(z.string()),
});

/** The project: its id is what subscriptions are scoped by. */
const wireProject = z.looseObject({ id: z.string().check(z.minLength(1)) });

/** An environment: found by its name, then known by its id. */
const wireEnvironment = z.looseObject({ id: z.number(), name: z.string() });
const wireCreatedEnvironment = z.looseObject({ id: z.number(), name: z.optional(z.string()) });

/**
 * A check configuration as listed with `$expand=settings`. Its type says whether it is an Approval
 * check; an update sends back what was read (loose objects keep every member), approvers added.
 */
const wireCheckConfiguration = z.looseObject({
  id: z.number(),
  type: z.looseObject({ id: z.string(), name: z.optional(z.string()) }),
  resource: z.optional(
    z.looseObject({ type: z.optional(z.string()), id: z.optional(z.string()), name: z.optional(z.string()) }),
  ),
  settings: z.optional(
    z.looseObject({
      approvers: z.optional(z.array(z.looseObject({ id: z.optional(z.string()) }))),
      instructions: z.optional(z.nullable(z.string())),
    }),
  ),
});
const wireCreated = z.looseObject({ id: z.number() });

/** A subscription: ours when its URL, project and repository are the hook's. */
const wireSubscription = z.looseObject({
  id: z.string().check(z.minLength(1)),
  modifiedBy: z.optional(z.nullable(wireIdentity)),
  publisherInputs: z.optional(
    z.looseObject({ projectId: z.optional(z.string()), repository: z.optional(z.string()) }),
  ),
  consumerInputs: z.optional(z.looseObject({ url: z.optional(z.string()) })),
});
/** A replaced subscription: only who changed it is read. */
const wireReplacedSubscription = z.looseObject({ modifiedBy: z.optional(z.nullable(wireIdentity)) });

/** A Status policy: the same one when its name, genre and a repository-wide scope of the branch match. */
const wirePolicy = z.looseObject({
  id: z.number(),
  settings: z.optional(
    z.looseObject({
      statusName: z.optional(z.string()),
      statusGenre: z.optional(z.nullable(z.string())),
      scope: z.optional(
        z.array(
          z.looseObject({
            repositoryId: z.optional(z.nullable(z.string())),
            refName: z.optional(z.string()),
          }),
        ),
      ),
    }),
  ),
});

export class AzureDevOpsSetup {
  readonly #connection: AzureDevOpsConnection;
  readonly #taskAgent: TaskAgentApi;
  readonly #policy: PolicyApi;
  readonly #core: CoreApi;
  #projectId: string | undefined;

  constructor(connection: AzureDevOpsConnection) {
    this.#connection = connection;
    this.#taskAgent = connection.client(TaskAgentApi);
    this.#policy = connection.client(PolicyApi);
    this.#core = connection.client(CoreApi);
  }

  async ensureEnvironment(name: string, description = ''): Promise<Environment> {
    const fields = { environment: name };
    const found = await this.#connection.library(
      'listEnvironments',
      () => this.#taskAgent.getEnvironments(this.#connection.project, name),
      { fields },
    );
    const existing = expectArray(found, 'listEnvironments')
      .map((item) => wireAnswer(wireEnvironment, item, 'listEnvironments', fields))
      .find((env) => env.name.toLowerCase() === name.toLowerCase());
    if (existing) return { id: existing.id, name: existing.name, created: false };
    const created = wireAnswer(
      wireCreatedEnvironment,
      await this.#connection.library(
        'createEnvironment',
        () => this.#taskAgent.addEnvironment({ name, description }, this.#connection.project),
        { fields },
      ),
      'createEnvironment',
      fields,
    );
    return { id: created.id, name: created.name ?? name, created: true };
  }

  async ensureApprovalCheck(
    environment: { id: number; name: string },
    check: ApprovalCheckInput,
  ): Promise<{ id: number; created: boolean; approversAdded: string[]; markerAdded: boolean }> {
    const path = `${this.#connection.projectPath()}/_apis/pipelines/checks/configurations`;
    const fields = { environment: environment.name, environmentId: environment.id };
    const found = await this.#connection.rest<WireList<unknown>>('listCheckConfigurations', 'GET', path, {
      apiVersion: CHECKS_API,
      query: { resourceType: 'environment', resourceId: String(environment.id), $expand: 'settings' },
      fields,
    });
    const existing = listValue(found.body, 'listCheckConfigurations')
      .map((item) => wireAnswer(wireCheckConfiguration, item, 'listCheckConfigurations', fields))
      .find((config) => config.type.id === APPROVAL_CHECK_TYPE_ID);
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
    const created = await this.#connection.rest<unknown>('addCheckConfiguration', 'POST', path, {
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
      id: wireAnswer(wireCreated, created.body, 'addCheckConfiguration', fields).id,
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
    const found = await this.#connection.rest<WireList<unknown>>(
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
    const existing = listValue(found.body, 'listSubscriptions')
      .map((item) => wireAnswer(wireSubscription, item, 'listSubscriptions', fields))
      .find(
        (sub) =>
          sub.consumerInputs?.url === hook.url &&
          sub.publisherInputs?.projectId === projectId &&
          (sub.publisherInputs?.repository ?? '') === (hook.repositoryId ?? ''),
      );
    if (existing) {
      // Replaced in place so a rotated secret reaches the subscription (the service masks it on read).
      const replacedFields = { ...fields, subscriptionId: existing.id };
      const replaced = await this.#connection.rest<unknown>(
        'replaceSubscription',
        'PUT',
        `_apis/hooks/subscriptions/${encodeURIComponent(existing.id)}`,
        { body: { ...body, id: existing.id }, fields: replacedFields, secrets },
      );
      const modifiedBy =
        replaced.body === undefined
          ? undefined
          : wireAnswer(wireReplacedSubscription, replaced.body, 'replaceSubscription', replacedFields)
              .modifiedBy;
      return {
        id: existing.id,
        created: false,
        modifiedBy: modifiedBy?.id ? identity(modifiedBy) : undefined,
      };
    }
    const created = await this.#connection.rest<unknown>(
      'createSubscription',
      'POST',
      '_apis/hooks/subscriptions',
      { body, fields, secrets },
    );
    const subscription = wireAnswer(wireSubscription, created.body, 'createSubscription', fields);
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
    const fields = { refName: policy.refName };
    const found = await this.#connection.library(
      'listPolicies',
      () => this.#policy.getPolicyConfigurations(this.#connection.project, undefined, STATUS_POLICY_TYPE_ID),
      { fields },
    );
    const existing = expectArray(found, 'listPolicies')
      .map((item) => wireAnswer(wirePolicy, item, 'listPolicies', fields))
      .find(
        (candidate) =>
          candidate.settings?.statusName === policy.name &&
          (candidate.settings?.statusGenre ?? '') === policy.genre &&
          (candidate.settings?.scope ?? []).some(
            (scope) => !scope.repositoryId && scope.refName === policy.refName,
          ),
      );
    if (existing) return { id: existing.id, created: false };
    const configuration: PolicyConfiguration = {
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
    };
    const created = await this.#connection.library(
      'createPolicy',
      () => this.#policy.createPolicyConfiguration(configuration, this.#connection.project),
      { fields },
    );
    return { id: wireAnswer(wireCreated, created, 'createPolicy', fields).id, created: true };
  }

  async #resolveProjectId(): Promise<string> {
    if (this.#projectId) return this.#projectId;
    const fields = { project: this.#connection.project };
    const project = wireAnswer(
      wireProject,
      await this.#connection.library('getProject', () => this.#core.getProject(this.#connection.project), {
        fields,
      }),
      'getProject',
      fields,
    );
    this.#projectId = project.id;
    return this.#projectId;
  }
}
