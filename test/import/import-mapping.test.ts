import assert from 'node:assert/strict';
import type { ReleaseAgentError } from '../../core/errors.ts';
import {
  type ImportedThread,
  mapArchivedRow,
  mapStagingRow,
  mapThreadRow,
  type ReleaseRow,
  type RowResult,
  type ThreadRow,
} from '../../import/mapping.ts';

const options = { jiraBaseUrl: 'https://jira.example' };
const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

function threadRow(overrides: Partial<ThreadRow> = {}): ThreadRow {
  return {
    thread_id: 't-1',
    graph_name: 'pr_completed',
    repo_name: 'Billo.Web',
    pr_id: 7,
    status: 'completed',
    state: '{}',
    slack_message_ts: null,
    created_at: new Date('2024-05-01T10:00:00Z'),
    updated_at: new Date('2024-05-01T11:00:00Z'),
    ...overrides,
  };
}

function releaseRow(overrides: Partial<ReleaseRow> = {}): ReleaseRow {
  return {
    repo: 'Billo.Web',
    version: '1.2.3',
    started_at: '2024-05-01T10:00:00Z',
    tickets: '[]',
    updated_at: '2024-05-02T10:00:00Z',
    ...overrides,
  };
}

function ok<T>(result: RowResult<T>): T {
  assert.ok(result.ok, result.ok ? '' : result.problem.message);
  return result.value;
}

function problem<T>(result: RowResult<T>): ReleaseAgentError {
  assert.ok(!result.ok, 'expected the row to be refused');
  assert.equal(result.problem.code, 'IMPORT_ROW_INVALID');
  return result.problem;
}

function waiting(state: Record<string, unknown>, overrides: Partial<ThreadRow> = {}): ImportedThread {
  return ok(
    mapThreadRow(threadRow({ status: 'interrupted', state: JSON.stringify(state), ...overrides }), options),
  );
}

describe('import mapping: agent_threads', () => {
  it('maps the columns, and keeps the original graph, status and state under pythonAgent', () => {
    const { thread, pendingGate } = ok(
      mapThreadRow(
        threadRow({ state: '{"ticket_id":"ALLPOST-1"}', slack_message_ts: '1716800000.000100' }),
        options,
      ),
    );
    assert.deepEqual(thread, {
      id: 't-1',
      kind: 'pr',
      repo: 'Billo.Web',
      prId: 7,
      status: 'done',
      state: {
        pythonAgent: { graphName: 'pr_completed', status: 'completed', state: { ticket_id: 'ALLPOST-1' } },
      },
      slackMessageTs: '1716800000.000100',
      createdAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-01T11:00:00.000Z',
    });
    assert.equal(pendingGate, undefined);
  });

  it('gives a PR thread the PR id of its state when the pr_id column is empty, and a release thread its pr_id', () => {
    const pr = ok(mapThreadRow(threadRow({ pr_id: null, state: '{"pr":{"id":"9"}}' }), options)).thread;
    assert.equal(pr.kind, 'pr');
    assert.equal(pr.prId, 9);
    const release = ok(mapThreadRow(threadRow({ graph_name: 'release', pr_id: 5 }), options)).thread;
    assert.equal(release.kind, 'release');
    assert.equal(release.prId, 5);
    assert.deepEqual(release.state, {
      pythonAgent: { graphName: 'release', status: 'completed', state: {} },
    });
  });

  it('maps the statuses, case and separators aside, and refuses unknown ones', () => {
    const cases: [string, string][] = [
      ['In Progress', 'running'],
      ['COMPLETED', 'done'],
      ['error', 'failed'],
      ['canceled', 'cancelled'],
      ['rejected', 'cancelled'],
    ];
    for (const [status, expected] of cases) {
      assert.equal(ok(mapThreadRow(threadRow({ status }), options)).thread.status, expected, status);
    }
    assert.match(
      problem(mapThreadRow(threadRow({ status: 'sleeping' }), options)).message,
      /unknown status "sleeping"/,
    );
    // Names of Object.prototype members are not registry entries.
    assert.match(
      problem(mapThreadRow(threadRow({ status: 'constructor' }), options)).message,
      /unknown status/,
    );
    assert.match(
      problem(mapThreadRow(threadRow({ graph_name: 'toString' }), options)).message,
      /unknown graph_name/,
    );
    const gate = mapThreadRow(
      threadRow({ status: 'interrupted', state: '{"pending_approval":"__proto__"}' }),
      options,
    );
    assert.match(problem(gate).message, /unknown gate/);
  });

  it('ignores a stale interrupt on a finished thread', () => {
    const mapped = ok(
      mapThreadRow(threadRow({ status: 'done', state: '{"pending_approval":"merge_pr"}' }), options),
    );
    assert.equal(mapped.pendingGate, undefined);
    assert.equal(mapped.thread.status, 'done');
  });

  it('turns a pending merge into a merge_pr decision bound to the reviewed commit', () => {
    const mapped = waiting({
      pending_approval: 'merge_pr',
      last_merge_source_commit: COMMIT.toUpperCase(),
      pr_title: 'Login',
    });
    assert.equal(mapped.thread.status, 'waiting');
    assert.deepEqual(mapped.pendingGate?.target, {
      gate: 'merge_pr',
      repo: 'Billo.Web',
      prId: 7,
      sourceCommit: COMMIT,
    });
    assert.equal(mapped.pendingGate?.askedAt, '2024-05-01T11:00:00.000Z');
    assert.equal(
      mapped.pendingGate?.details?.gate === 'merge_pr' && mapped.pendingGate.details.prTitle,
      'Login',
    );
  });

  it('reads the commit as source_commit or as an Azure DevOps { commitId } object', () => {
    const nested = waiting({ interrupt: { node: 'merge', source_commit: { commitId: COMMIT } } });
    assert.equal(
      nested.pendingGate?.target.gate === 'merge_pr' && nested.pendingGate.target.sourceCommit,
      COMMIT,
    );
    assert.match(
      problem(
        mapThreadRow(
          threadRow({
            status: 'interrupted',
            state: '{"pending_approval":"merge_pr","source_commit":"abc"}',
          }),
          options,
        ),
      ).message,
      /not a full commit id/,
    );
  });

  it('gives gates 2-4 a synthetic approval id when the Python agent had none', () => {
    const mapped = waiting(
      { awaiting: 'create_release', version: 'v2.4.0', tickets: [{ key: 'ALLPOST-30', summary: 'Export' }] },
      { graph_name: 'release', pr_id: null },
    );
    assert.equal(mapped.thread.kind, 'release');
    assert.deepEqual(mapped.pendingGate?.target, {
      gate: 'create_release_pr',
      repo: 'Billo.Web',
      version: '2.4.0',
      approvalId: 'imported:t-1:create_release_pr',
    });
    assert.deepEqual(mapped.pendingGate?.details, {
      gate: 'create_release_pr',
      repo: 'Billo.Web',
      version: '2.4.0',
      tickets: [{ key: 'ALLPOST-30', summary: 'Export' }],
      jiraBaseUrl: 'https://jira.example',
    });
  });

  it('maps merge_release_pr with the release PR, and without one leaves the card out', () => {
    const withPr = waiting(
      { pending_approval: { gate: 'merge_release_pr', release_pr_id: '555' }, new_version: '1.8.0' },
      { graph_name: 'release' },
    );
    assert.deepEqual(withPr.pendingGate?.target, {
      gate: 'merge_release_pr',
      repo: 'Billo.Web',
      version: '1.8.0',
      approvalId: 'imported:t-1:merge_release_pr',
      prId: 555,
    });
    const withoutPr = waiting(
      { pending_approval: 'merge_release_pr', version: '1.8.0' },
      { graph_name: 'release' },
    );
    assert.equal(withoutPr.pendingGate?.details, undefined);
    assert.equal(withoutPr.pendingGate?.target.gate, 'merge_release_pr');
  });

  it('maps run_pipelines with the pipeline names', () => {
    const mapped = waiting(
      { pending_gate: 'Trigger Pipelines', version: '3.0.1', pipelines: ['CI', { name: 'CD' }, 42] },
      { graph_name: 'release' },
    );
    assert.deepEqual(mapped.pendingGate?.target, {
      gate: 'run_pipelines',
      repo: 'Billo.Web',
      version: '3.0.1',
      approvalId: 'imported:t-1:run_pipelines',
      pipelines: ['CI', 'CD', '42'],
    });
  });

  it('maps a LangGraph __interrupt__ at a stage approval, keeping its approval id', () => {
    const mapped = waiting(
      {
        __interrupt__: [{ value: { node: 'approve_production', approval_id: 4711 }, resumable: true }],
        version: '1.7.2',
      },
      { graph_name: 'full_cycle' },
    );
    assert.equal(mapped.thread.kind, 'release', 'a full_cycle thread past gate 1 is a release flow');
    assert.deepEqual(mapped.pendingGate?.target, {
      gate: 'approve_stage',
      repo: 'Billo.Web',
      version: '1.7.2',
      approvalId: '4711',
      stage: 'production',
    });
    const named = waiting(
      { pending_approval: 'approve_stage', stage_name: 'Sandbox', version: '1.0.0' },
      { graph_name: 'release' },
    );
    assert.equal(
      named.pendingGate?.target.gate === 'approve_stage' && named.pendingGate.target.stage,
      'sandbox',
    );
  });

  it('puts a full_cycle thread at gate 1, or with a PR and no gate, in the PR flow', () => {
    assert.equal(
      waiting({ pending_approval: 'merge_pr', source_commit: COMMIT }, { graph_name: 'full_cycle' }).thread
        .kind,
      'pr',
    );
    assert.equal(
      ok(mapThreadRow(threadRow({ graph_name: 'full_cycle', status: 'running' }), options)).thread.kind,
      'pr',
    );
    assert.equal(
      ok(mapThreadRow(threadRow({ graph_name: 'full_cycle', status: 'running', pr_id: null }), options))
        .thread.kind,
      'release',
    );
  });

  it('refuses rows that cannot be imported, naming the row and the reason', () => {
    const cases: [Partial<ThreadRow>, RegExp][] = [
      [{ repo_name: 'Billo/Web' }, /repo_name "Billo\/Web" contains "\/"/],
      [{ repo_name: 'Billo?Web' }, /contains "\?"/],
      [{ repo_name: 'Billo\u0001Web' }, /contains "\\u0001"/],
      [{ repo_name: '  ' }, /repo_name is empty/],
      [{ thread_id: '' }, /thread_id is empty/],
      [{ graph_name: 'deploy' }, /unknown graph_name "deploy"/],
      [{ pr_id: 0 }, /pr_id 0 is not a pull request id/],
      [{ pr_id: null }, /a PR thread needs a pr_id \(or one in its state/],
      [{ state: '[1,2]' }, /state must be a JSON object, got a list/],
      [{ state: '{oops' }, /state is not JSON/],
      [{ state: '"{oops"' }, /state must be a JSON object, got a string/],
      [{ created_at: 'yesterday' }, /created_at "yesterday" is not a timestamp/],
      [{ status: 'interrupted', state: '{}' }, /no pending gate in state/],
      [
        { status: 'interrupted', state: '{"pending_approval":"deploy_to_mars"}' },
        /unknown gate "deploy_to_mars"/,
      ],
      [{ status: 'interrupted', state: '{"pending_approval":"merge_pr"}' }, /needs the reviewed commit/],
      [
        {
          status: 'interrupted',
          graph_name: 'release',
          state: '{"pending_approval":"create_release_pr","version":"next"}',
        },
        /state.version "next" is not a version/,
      ],
      [
        {
          status: 'interrupted',
          graph_name: 'release',
          state: '{"pending_approval":"approve_stage","version":"1.0.0"}',
        },
        /needs the stage/,
      ],
      [
        { status: 'interrupted', state: `{"pending_approval":"create_release_pr","version":"1.0.0"}` },
        /"pr_completed" thread cannot wait at gate create_release_pr/,
      ],
    ];
    for (const [overrides, reason] of cases) {
      const error = problem(mapThreadRow(threadRow(overrides), options));
      assert.match(error.message, reason);
      assert.equal(error.fields.table, 'agent_threads');
      assert.equal(error.fields.key, `thread_id=${JSON.stringify(overrides.thread_id ?? 't-1')}`);
    }
  });

  it('reads zone-less timestamps (TIMESTAMP columns, Python isoformat) as UTC', () => {
    const { thread } = ok(
      mapThreadRow(
        threadRow({ created_at: '2024-05-01 10:00:00.123456', updated_at: '2024-05-01T12:00:00+02:00' }),
        options,
      ),
    );
    assert.equal(thread.createdAt, '2024-05-01T10:00:00.123Z');
    assert.equal(thread.updatedAt, '2024-05-01T10:00:00.000Z');
  });
});

describe('import mapping: staging and archived releases', () => {
  it('accepts every ticket shape and merges a ticket listed twice', () => {
    const tickets = JSON.stringify([
      { id: 'ALLPOST-21', summary: 'Fix rounding', pr_id: 120 },
      { key: 'ALLPOST-22', title: 'Refunds', pr_ids: [121, '119'] },
      { ticket: 'ALLPOST-21', prs: [{ id: 118 }], bump: 'minor' },
      'ALLPOST-23',
    ]);
    const staging = ok(mapStagingRow(releaseRow({ version: 'v1.8.1', tickets })));
    assert.equal(staging.version, '1.8.1');
    assert.deepEqual(
      staging.tickets.map(({ key, summary, prIds, bump }) => ({ key, summary, prIds, bump })),
      [
        { key: 'ALLPOST-21', summary: 'Fix rounding', prIds: [118, 120], bump: 'minor' },
        { key: 'ALLPOST-22', summary: 'Refunds', prIds: [119, 121], bump: 'patch' },
        { key: 'ALLPOST-23', summary: '', prIds: [], bump: 'patch' },
      ],
    );
    assert.ok(staging.tickets.every((ticket) => ticket.addedAt === '2024-05-01T10:00:00.000Z'));
    assert.equal(staging.updatedAt, '2024-05-02T10:00:00.000Z');
  });

  it('accepts tickets keyed by ticket, double-encoded JSON and SQL NULL', () => {
    const keyed = ok(
      mapStagingRow(
        releaseRow({
          tickets: { 'ALLPOST-50': { summary: 'Rate limits', pr_ids: [150] }, 'ALLPOST-51': 'Docs' },
        }),
      ),
    );
    assert.deepEqual(
      keyed.tickets.map((ticket) => [ticket.key, ticket.summary, ticket.prIds]),
      [
        ['ALLPOST-50', 'Rate limits', [150]],
        ['ALLPOST-51', 'Docs', []],
      ],
    );
    const doubled = ok(
      mapStagingRow(releaseRow({ tickets: JSON.stringify(JSON.stringify([{ key: 'ALLPOST-40' }])) })),
    );
    assert.deepEqual(
      doubled.tickets.map((ticket) => ticket.key),
      ['ALLPOST-40'],
    );
    assert.deepEqual(ok(mapStagingRow(releaseRow({ tickets: null }))).tickets, []);
  });

  it('refuses bad releases with their keys', () => {
    const cases: [Partial<ReleaseRow>, RegExp][] = [
      [{ repo: 'Billo#Web' }, /contains "#"/],
      [{ repo: 'Billo\\Web' }, /contains "\\\\"/],
      [{ repo: '' }, /repo is empty/],
      [{ version: '1.2' }, /version "1.2" is not a version/],
      [{ version: '1.0.0-beta' }, /is not a version/],
      [{ tickets: '42' }, /tickets must be a JSON list of tickets, got a number/],
      [{ tickets: JSON.stringify('ALLPOST-1, ALLPOST-2') }, /got a string/],
      [{ tickets: 'not json' }, /tickets is not JSON/],
      [{ tickets: '[{"summary":"x"}]' }, /tickets\[0\] has no ticket key/],
      [{ tickets: '[{"key":"A-1","pr_id":-3}]' }, /is not a pull request id/],
      [{ tickets: '[{"key":"A-1","bump":"huge"}]' }, /bump must be patch, minor or major/],
      [{ started_at: null }, /started_at null is not a timestamp/],
    ];
    for (const [overrides, reason] of cases) {
      const error = problem(mapStagingRow(releaseRow(overrides)));
      assert.match(error.message, reason);
      assert.equal(error.fields.table, 'staging_releases');
      assert.equal(error.fields.key, `repo=${JSON.stringify(overrides.repo ?? 'Billo.Web')}`);
    }
  });

  it('archives with rendered notes and no gates, or the notes a release file kept', () => {
    const archived = ok(
      mapArchivedRow(
        releaseRow({
          tickets: '[{"key":"ALLPOST-1","summary":"Payments","pr_id":10}]',
          released_at: '2024-05-03T10:00:00Z',
        }),
        options,
      ),
    );
    assert.deepEqual(archived.gates, []);
    assert.equal(archived.releasedAt, '2024-05-03T10:00:00.000Z');
    assert.equal(
      archived.notes,
      '## Billo.Web 1.2.3\n\nReleased 2024-05-03.\n\n- [ALLPOST-1](https://jira.example/browse/ALLPOST-1): Payments (PR !10)\n',
    );
    const kept = ok(
      mapArchivedRow(
        releaseRow({ released_at: '2024-05-03', notes: 'Our notes', release_pr_id: 9, tag: 'v1.2.3' }),
        options,
      ),
    );
    assert.equal(kept.notes, 'Our notes');
    assert.equal(kept.releasePrId, 9);
    assert.equal(kept.tag, 'v1.2.3');
    const missing = problem(mapArchivedRow(releaseRow({ released_at: null }), options));
    assert.equal(missing.fields.key, 'repo="Billo.Web", version="1.2.3"');
    assert.match(missing.message, /released_at is empty/);
  });

  it('names the release file in the key of a file row', () => {
    const error = problem(mapStagingRow(releaseRow({ version: 'x', origin: 'Billo.Web/staging.json' })));
    assert.equal(error.fields.key, 'file="Billo.Web/staging.json", repo="Billo.Web"');
  });
});
