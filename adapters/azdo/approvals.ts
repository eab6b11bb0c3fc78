// Azure DevOps pipeline approvals: typed REST calls of the 7.1 Approvals and Checks spec, which
// azure-devops-node-api has no client for.
import * as z from 'zod/mini';
import { ReleaseAgentError } from '../../core/errors.ts';
import type { Approval, ApprovalDecision, ApprovalStatus } from './azdo.ts';
import {
  type AzureDevOpsConnection,
  identity,
  listValue,
  refusalError,
  type WireList,
  type WireServiceError,
  wireAnswer,
} from './connection.ts';

const wireIdentity = z.object({
  id: z.optional(z.string()),
  displayName: z.optional(z.string()),
  uniqueName: z.optional(z.string()),
});

/**
 * The fields of an approval we read: its status and steps decide whether a gate's effect may run.
 * A status we do not know reads as `undefined` (never approved); a status that is not text is malformed.
 */
const wireApproval = z.object({
  id: z.string().check(z.minLength(1)),
  status: z.optional(z.string()),
  createdOn: z.optional(z.string()),
  instructions: z.optional(z.nullable(z.string())),
  minRequiredApprovers: z.optional(z.number()),
  executionOrder: z.optional(z.string()),
  permissions: z.optional(z.string()),
  steps: z.optional(
    z.array(
      z.object({
        assignedApprover: z.optional(z.nullable(wireIdentity)),
        actualApprover: z.optional(z.nullable(wireIdentity)),
        status: z.optional(z.string()),
        comment: z.optional(z.nullable(z.string())),
      }),
    ),
  ),
  // The service sends `owner: null` for a pipeline whose run it does not name.
  pipeline: z.optional(
    z.nullable(
      z.object({
        id: z.optional(z.string()),
        name: z.optional(z.string()),
        owner: z.optional(z.nullable(z.object({ id: z.optional(z.number()), name: z.optional(z.string()) }))),
      }),
    ),
  ),
});

type WireApproval = z.output<typeof wireApproval>;

export class AzureDevOpsApprovals {
  readonly #connection: AzureDevOpsConnection;

  constructor(connection: AzureDevOpsConnection) {
    this.#connection = connection;
  }

  async listPendingApprovals(): Promise<Approval[]> {
    return await this.listApprovals('pending');
  }

  async listApprovals(state: 'pending' | 'approved' | 'rejected' | 'completed'): Promise<Approval[]> {
    const response = await this.#connection.rest<WireList<unknown>>(
      'listApprovals',
      'GET',
      `${this.#connection.projectPath()}/_apis/pipelines/approvals`,
      {
        query: { state, $expand: 'steps' },
      },
    );
    return listValue(response.body, 'listApprovals').map((item) =>
      approval(wireAnswer(wireApproval, item, 'listApprovals')),
    );
  }

  async getApproval(approvalId: string, options: { permissions?: boolean } = {}): Promise<Approval> {
    const response = await this.#connection.rest<WireApproval>(
      'getApproval',
      'GET',
      `${this.#connection.projectPath()}/_apis/pipelines/approvals/${encodeURIComponent(approvalId)}`,
      // `$expand` is a flags enum: both values, comma-separated.
      { query: { $expand: options.permissions ? 'steps,permissions' : 'steps' }, fields: { approvalId } },
    );
    return approval(wireAnswer(wireApproval, response.body, 'getApproval', { approvalId }));
  }

  async decideApproval(approvalId: string, decision: ApprovalDecision): Promise<Approval> {
    const fields = { approvalId, decision: decision.status };
    const response = await this.#connection.rest<WireList<unknown> | WireServiceError>(
      'updateApproval',
      'PATCH',
      `${this.#connection.projectPath()}/_apis/pipelines/approvals`,
      {
        body: [{ approvalId, status: decision.status, comment: decision.comment }],
        acceptStatuses: [400, 403, 409],
        fields,
      },
    );
    if (response.status < 300) {
      const updated = listValue(response.body as WireList<unknown>, 'updateApproval').find(
        (item) => (item as { id?: unknown } | null)?.id === approvalId,
      );
      if (updated) return approval(wireAnswer(wireApproval, updated, 'updateApproval', fields));
      return await this.getApproval(approvalId);
    }
    // The refusal text is not part of the contract; the approval's own status and our permissions are.
    const current = await this.getApproval(approvalId, { permissions: true });
    if (current.status !== 'pending') {
      throw new ReleaseAgentError('CONFLICT', `approval ${approvalId} is already ${current.status}`, {
        ...fields,
        currentStatus: current.status,
      });
    }
    if (response.status === 403 || current.callerMayUpdate === false) {
      throw new ReleaseAgentError(
        'FORBIDDEN',
        `azure-devops does not let the app's identity answer approval ${approvalId}: it is not one of its approvers (or not in an approver group), is blocked, has answered already, or it is not its turn`,
        { ...fields, status: response.status },
      );
    }
    throw refusalError(
      response.status,
      `azure-devops updateApproval answered ${response.status}: ${(response.body as WireServiceError).message ?? ''}`,
      fields,
    );
  }
}

const APPROVAL_STATUSES = new Set<ApprovalStatus>([
  'undefined',
  'uninitiated',
  'pending',
  'approved',
  'rejected',
  'skipped',
  'canceled',
  'timedOut',
  'failed',
  'completed',
]);

function approvalStatus(value: string | undefined): ApprovalStatus {
  return APPROVAL_STATUSES.has(value as ApprovalStatus) ? (value as ApprovalStatus) : 'undefined';
}

function approval(wire: WireApproval): Approval {
  return {
    id: wire.id,
    status: approvalStatus(wire.status),
    createdOn: wire.createdOn ?? '',
    instructions: wire.instructions ?? undefined,
    minRequiredApprovers: wire.minRequiredApprovers,
    executionOrder:
      wire.executionOrder === 'anyOrder' || wire.executionOrder === 'inSequence'
        ? wire.executionOrder
        : undefined,
    // A flags enum, serialized as "view, update".
    callerMayUpdate:
      wire.permissions === undefined
        ? undefined
        : wire.permissions
            .split(',')
            .map((flag) => flag.trim().toLowerCase())
            .includes('update'),
    steps: (wire.steps ?? []).map((step) => ({
      approver:
        step.actualApprover || step.assignedApprover
          ? identity(step.actualApprover ?? step.assignedApprover ?? undefined)
          : undefined,
      status: approvalStatus(step.status),
      comment: step.comment ?? undefined,
    })),
    pipeline: wire.pipeline
      ? {
          id: wire.pipeline.id,
          name: wire.pipeline.name,
          runId: wire.pipeline.owner?.id,
          runName: wire.pipeline.owner?.name,
        }
      : undefined,
  };
}
