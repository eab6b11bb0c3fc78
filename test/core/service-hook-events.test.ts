// Service-hook envelopes, read from the recorded payloads (test/fixtures/azure-devops/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  environmentFromText,
  type PullRequestEvent,
  parseServiceHookEvent,
  pullRequestEventMeaning,
} from '../../core/service-hook-events.ts';
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
      mergeCommit: 'eef717f69257a6333f221566c1c987dc94cc0d72',
      closedDate: undefined,
    });
  });

  it('gives a PR event its meaning: active by source commit, completed by merge commit and closed date', () => {
    const completed = fixture('azdo-servicehook-git.pullrequest.created.json');
    completed.eventType = 'git.pullrequest.updated';
    completed.resource.status = 'completed';
    completed.resource.closedDate = '2026-05-04T12:00:00.1234567Z';
    completed.resource.lastMergeCommit.commitId = 'a'.repeat(40);
    const event = parseServiceHookEvent(completed) as PullRequestEvent;
    assert.equal(event.closedDate, '2026-05-04T12:00:00.1234567Z');
    const meaning = pullRequestEventMeaning(event);
    assert.equal(meaning, `azdo-pr|fabrikam|1|completed|${'a'.repeat(40)}|2026-05-04T12:00:00.1234567Z`);
    // Another delivery of the same completion (new id, other event type) means the same.
    assert.equal(
      pullRequestEventMeaning({ ...event, id: 'other', eventType: 'git.pullrequest.created' }),
      meaning,
    );
    // Without a closed date it cannot be told from an early claim: no meaning, only the id dedupes.
    assert.equal(pullRequestEventMeaning({ ...event, closedDate: undefined }), undefined);
    assert.equal(
      (
        parseServiceHookEvent({
          ...completed,
          resource: { ...completed.resource, closedDate: 'soon' },
        }) as PullRequestEvent
      ).closedDate,
      undefined,
    );
    assert.equal(
      pullRequestEventMeaning({ ...event, status: 'active' }),
      'azdo-pr|fabrikam|1|active|53d54ac915144006c2c9e90d2c7d3880920db49c',
    );
    assert.equal(pullRequestEventMeaning({ ...event, status: 'abandoned' }), undefined);
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

  it('refuses a blank or too long event type and a PR id given as text', () => {
    assert.throws(
      () => parseServiceHookEvent({ id: 'a1', eventType: '  ' }),
      coded('INPUT_INVALID', { field: 'eventType' }),
    );
    assert.throws(
      () => parseServiceHookEvent({ id: 'a1', eventType: 'x'.repeat(201) }),
      coded('INPUT_INVALID', { field: 'eventType' }),
    );
    const pr = fixture('azdo-servicehook-git.pullrequest.created.json');
    pr.resource.pullRequestId = '1';
    assert.throws(
      () => parseServiceHookEvent(pr),
      coded('INPUT_INVALID', { field: 'resource.pullRequestId' }),
    );
  });

  it('reads the optional fields it routes on when they are well formed and leaves the others out', () => {
    const pr = fixture('azdo-servicehook-git.pullrequest.created.json');
    pr.resource.repository.name = '  Fabrikam  ';
    pr.resource.lastMergeSourceCommit = { commitId: 'A'.repeat(40) };
    pr.resource.lastMergeCommit = { commitId: 'not-a-commit' };
    pr.resource.closedDate = 'yesterday';
    pr.resource.targetRefName = 42;
    const event = parseServiceHookEvent(pr) as PullRequestEvent;
    assert.equal(event.repo, 'Fabrikam');
    assert.equal(event.sourceCommit, 'a'.repeat(40));
    assert.equal(event.mergeCommit, undefined);
    assert.equal(event.closedDate, undefined);
    assert.equal(event.targetRefName, undefined);

    const approval = fixture('azdo-servicehook-approval-pending.json');
    approval.resource.approval.id = 'ABC-1';
    approval.resource.run = { id: '12' };
    approval.resource.pipeline = { id: -3, name: 'release' };
    approval.resource.resource = { type: 'environment', name: 7 };
    approval.message = { text: 'Approval pending for deployment of pipeline release to environment prod.' };
    assert.deepEqual(
      (({ approvalId, runId, pipelineId, pipelineName, environment }) => ({
        approvalId,
        runId,
        pipelineId,
        pipelineName,
        environment,
      }))(
        parseServiceHookEvent(approval) as Extract<
          ReturnType<typeof parseServiceHookEvent>,
          { kind: 'approval' }
        >,
      ),
      { approvalId: 'abc-1', runId: 12, pipelineId: undefined, pipelineName: 'release', environment: 'prod' },
    );
  });
});
