// Service-hook envelopes, read from the recorded payloads (test/fixtures/azure-devops/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentFromText, parseServiceHookEvent } from '../../core/service-hook-events.ts';
import { coded } from './expect-error.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'azure-devops', name), 'utf8'));

describe('service-hook events', () => {
  it('reads the recorded git.pullrequest.created event', () => {
    assert.deepEqual(parseServiceHookEvent(fixture('azdo-servicehook-git.pullrequest.created.json')), {
      kind: 'pull-request',
      id: '2ab4e3d3-b7a6-425e-92b1-5a9982c1269e',
      eventType: 'git.pullrequest.created',
      repo: 'Fabrikam',
      repositoryId: '4bc14d40-c903-45e2-872e-0462c7748079',
      prId: 1,
      status: 'active',
      targetRefName: 'refs/heads/master',
      sourceCommit: '53d54ac915144006c2c9e90d2c7d3880920db49c',
    });
  });

  it('reads the recorded approval-pending event, whose run, stage and environment are null', () => {
    assert.deepEqual(parseServiceHookEvent(fixture('azdo-servicehook-approval-pending.json')), {
      kind: 'approval',
      id: '55382df7-24fa-453c-9173-3369b2417a5b',
      eventType: 'ms.vss-pipelinechecks-events.approval-pending',
      approvalId: '0f027b05-0942-4a35-9218-26fa07d8760a',
      status: 'pending',
      environment: 'env1',
      stage: undefined,
      runId: undefined,
      pipelineId: undefined,
      pipelineName: undefined,
    });
    assert.equal(
      environmentFromText('Approval pending for deployment of pipeline run1 to environment env1.'),
      'env1',
    );
    assert.equal(environmentFromText('something else'), undefined);
  });

  it('names other event types without reading them', () => {
    assert.deepEqual(
      parseServiceHookEvent({ id: 'e1', eventType: 'git.pullrequest.merged', resource: null }),
      {
        kind: 'other',
        id: 'e1',
        eventType: 'git.pullrequest.merged',
      },
    );
  });

  it('refuses envelopes it cannot route, naming the field', () => {
    assert.throws(() => parseServiceHookEvent([]), coded('INPUT_INVALID', { field: 'body' }));
    assert.throws(() => parseServiceHookEvent({ eventType: 'x' }), coded('INPUT_INVALID', { field: 'id' }));
    assert.throws(
      () => parseServiceHookEvent({ id: 'a b', eventType: 'x' }),
      coded('INPUT_INVALID', { field: 'id' }),
    );
    const pr = fixture('azdo-servicehook-git.pullrequest.created.json');
    pr.resource.pullRequestId = -1;
    assert.throws(
      () => parseServiceHookEvent(pr),
      coded('INPUT_INVALID', { field: 'resource.pullRequestId' }),
    );
    const approval = fixture('azdo-servicehook-approval-pending.json');
    delete approval.resource.approval;
    assert.throws(
      () => parseServiceHookEvent(approval),
      coded('INPUT_INVALID', { field: 'resource.approval' }),
    );
  });
});
