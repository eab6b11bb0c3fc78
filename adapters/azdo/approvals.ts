// Azure DevOps pipeline approvals: typed REST calls of the 7.1 Approvals and Checks spec, which
// azure-devops-node-api has no client for.
import { ReleaseAgentError } from '../../core/errors.ts';
import type { Approval, ApprovalDecision, ApprovalStatus } from './azdo.ts';
import {
  type AzureDevOpsConnection,
  expectObject,
  identity,
  listValue,
  refusalError,
  type WireIdentity,
  type WireList,
  type WireServiceError,
} from './connection.ts';

interface WireApproval {
  id: string;
  status?: string;
  createdOn?: string;
  instructions?: string;
  minRequiredApprovers?: number;
  executionOrder?: string;
  permissions?: string;
  steps?: {
    assignedApprover?: WireIdentity;
    actualApprover?: WireIdentity;
    status?: string;
    comment?: string;
  }[];
  pipeline?: { id?: string; name?: string; owner?: { id?: number; name?: string } };
}

export class AzureDevOpsApprovals {
  readonly #connection: AzureDevOpsConnection;

  constructor(connection: AzureDevOpsConnection) {
    this.#connection = connection;
  }

  async listPendingApprovals(): Promise<Approval[]> {
    return await this.listApprovals('pending');
  }

  async listApprovals(state: 'pending' | 'approved' | 'rejected' | 'completed'): Promise<Approval[]> {
    const response = await this.#connection.rest<WireList<WireApproval>>(
      'listApprovals',
      'GET',
      `${this.#connection.projectPath()}/_apis/pipelines/approvals`,
      {
        query: { state, $expand: 'steps' },
      },
    );
    return listValue(response.body, 'listApprovals').map(approval);
  }

  async getApproval(approvalId: string, options: { permissions?: boolean } = {}): Promise<Approval> {
    const response = await this.#connection.rest<WireApproval>(
      'getApproval',
      'GET',
      `${this.#connection.projectPath()}/_apis/pipelines/approvals/${encodeURIComponent(approvalId)}`,
      // `$expand` is a flags enum: both values, comma-separated.
      { query: { $expand: options.permissions ? 'steps,permissions' : 'steps' }, fields: { approvalId } },
    );
    return approval(expectObject(response.body, 'getApproval'));
  }

  async decideApproval(approvalId: string, decision: ApprovalDecision): Promise<Approval> {
    const fields = { approvalId, decision: decision.status };
    const response = await this.#connection.rest<WireList<WireApproval> | WireServiceError>(
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
      const updated = listValue(response.body as WireList<WireApproval>, 'updateApproval').find(
        (item) => item.id === approvalId,
      );
      if (updated) return approval(updated);
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
    instructions: wire.instructions,
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
          ? identity(step.actualApprover ?? step.assignedApprover)
          : undefined,
      status: approvalStatus(step.status),
      comment: step.comment,
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
