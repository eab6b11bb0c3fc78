import assert from 'node:assert/strict';
import {
  type ActionValue,
  type CreateDecisionInput,
  createDecision,
  type DecideInput,
  decide,
  decodeActionValue,
  encodeActionValue,
  expire,
  GATE_ACTIONS,
  GATE_KINDS,
  gateActionFromActionId,
  isExpired,
  outcomeFromAction,
  supersede,
} from '../../core/gates.ts';
import type { Decision, DecisionOutcome, DecisionTarget, GateKind } from '../../core/model.ts';
import { coded } from './expect-error.ts';

const T0 = new Date('2026-05-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const NONCE = 'n0nce-0123456789abcdef';

const mergeTarget: DecisionTarget = { gate: 'merge_pr', repo: 'web-app', prId: 41, sourceCommit: 'abc123' };

function create(overrides: Partial<CreateDecisionInput> = {}): Decision {
  return createDecision({
    id: 'd-1',
    threadId: 't-1',
    target: mergeTarget,
    nonce: NONCE,
    now: T0,
    ...overrides,
  });
}

function click(overrides: Partial<DecideInput> = {}): DecideInput {
  return { outcome: 'approved', by: 'U123', via: 'slack', nonce: NONCE, now: at(60), ...overrides };
}

describe('core/gates', () => {
  describe('GATE_ACTIONS', () => {
    const expected: Array<[GateKind, number, string, string]> = [
      ['merge_pr', 1, 'Merge', 'Cancel'],
      ['create_release_pr', 2, 'Create', 'Cancel'],
      ['merge_release_pr', 3, 'Merge', 'Cancel'],
      ['run_pipelines', 4, 'Trigger', 'Skip'],
      ['approve_stage', 5, 'Approve', 'Skip'],
    ];
    for (const [gate, number, approve, reject] of expected) {
      it(`gate ${number} ${gate}: [${approve}] [${reject}]`, () => {
        const spec = GATE_ACTIONS[gate];
        assert.equal(spec.gate, gate);
        assert.equal(spec.number, number);
        assert.equal(spec.approve.label, approve);
        assert.equal(spec.approve.outcome, 'approved');
        assert.equal(spec.reject.label, reject);
        assert.equal(spec.reject.outcome, 'rejected');
        assert.ok(spec.title.length > 0);
        assert.deepEqual(gateActionFromActionId(spec.approve.actionId), { gate, outcome: 'approved' });
        assert.deepEqual(gateActionFromActionId(spec.reject.actionId), { gate, outcome: 'rejected' });
      });
    }

    it('lists the five gates in order, each action id unique, the registry frozen', () => {
      assert.deepEqual(
        GATE_KINDS,
        expected.map(([gate]) => gate),
      );
      const ids = Object.values(GATE_ACTIONS).flatMap((spec) => [
        spec.approve.actionId,
        spec.reject.actionId,
      ]);
      assert.equal(new Set(ids).size, 10);
      assert.ok(Object.isFrozen(GATE_ACTIONS) && Object.isFrozen(GATE_ACTIONS.merge_pr.approve));
      assert.equal(gateActionFromActionId('something_else'), undefined);
    });
  });

  describe('outcomeFromAction', () => {
    const cases: Array<[GateKind, string, DecisionOutcome]> = [
      ['merge_pr', 'merge', 'approved'],
      ['merge_pr', 'approve', 'approved'],
      ['merge_pr', 'cancel', 'rejected'],
      ['merge_pr', 'reject', 'rejected'],
      ['create_release_pr', 'create', 'approved'],
      ['create_release_pr', ' Cancel ', 'rejected'],
      ['merge_release_pr', 'MERGE', 'approved'],
      ['run_pipelines', 'trigger', 'approved'],
      ['run_pipelines', 'skip', 'rejected'],
      ['approve_stage', 'approve', 'approved'],
      ['approve_stage', 'skip', 'rejected'],
      ['approve_stage', 'reject', 'rejected'],
    ];
    for (const [gate, action, outcome] of cases) {
      it(`${gate} + ${JSON.stringify(action)} → ${outcome}`, () => {
        assert.equal(outcomeFromAction(gate, action), outcome);
      });
    }

    const refused: Array<[GateKind, string]> = [
      ['merge_pr', 'trigger'],
      ['merge_pr', 'create'],
      ['run_pipelines', 'merge'],
      ['approve_stage', 'merge'],
      ['create_release_pr', 'yes'],
      ['merge_pr', ''],
      ['merge_pr', 'constructor'],
    ];
    for (const [gate, action] of refused) {
      it(`${gate} + ${JSON.stringify(action)} → INPUT_INVALID naming the action`, () => {
        assert.throws(() => outcomeFromAction(gate, action), coded('INPUT_INVALID', { action, gate }));
      });
    }
  });

  describe('createDecision', () => {
    it('makes a pending decision bound to its target', () => {
      assert.deepEqual(create({ ttlSeconds: 3600 }), {
        id: 'd-1',
        threadId: 't-1',
        gate: 'merge_pr',
        target: mergeTarget,
        nonce: NONCE,
        status: 'pending',
        createdAt: '2026-05-01T10:00:00.000Z',
        expiresAt: '2026-05-01T11:00:00.000Z',
      });
      assert.equal(create().expiresAt, undefined);
    });

    const invalid: Array<{ name: string; input: Partial<CreateDecisionInput>; field: string }> = [
      { name: 'an id with a separator', input: { id: 'd|1' }, field: 'id' },
      { name: 'an empty thread', input: { threadId: '' }, field: 'threadId' },
      { name: 'a short nonce', input: { nonce: 'short' }, field: 'nonce' },
      { name: 'a nonce with spaces', input: { nonce: 'has spaces in it 0123' }, field: 'nonce' },
      {
        name: 'an unknown gate',
        input: { target: { ...mergeTarget, gate: 'deploy' } as never },
        field: 'target.gate',
      },
      { name: 'a zero ttl', input: { ttlSeconds: 0 }, field: 'ttlSeconds' },
      { name: 'an invalid clock', input: { now: new Date(Number.NaN) }, field: 'now' },
    ];
    for (const { name, input, field } of invalid) {
      it(`refuses ${name}`, () => {
        assert.throws(() => create(input), coded('INPUT_INVALID', { field }));
      });
    }
  });

  describe('decide', () => {
    const outcomes: Array<{ name: string; input: Partial<DecideInput>; status: string; via: string }> = [
      { name: 'approve from Slack', input: {}, status: 'approved', via: 'slack' },
      {
        name: 'reject from the hub',
        input: { outcome: 'rejected', via: 'hub' },
        status: 'rejected',
        via: 'hub',
      },
      {
        name: 'approve with the matching target',
        input: { target: { ...mergeTarget }, via: 'api' },
        status: 'approved',
        via: 'api',
      },
      { name: 'approve exactly at the expiry', input: { now: at(3600) }, status: 'approved', via: 'slack' },
    ];
    for (const { name, input, status, via } of outcomes) {
      it(name, () => {
        const pending = create({ ttlSeconds: 3600 });
        const result = decide(pending, click(input));
        assert.equal(result.kind, 'decided');
        assert.deepEqual(result.decision, {
          ...pending,
          status,
          decidedAt: (input.now ?? at(60)).toISOString(),
          decidedBy: 'U123',
          decidedVia: via,
        });
        assert.equal(pending.status, 'pending', 'the input is not mutated');
      });
    }

    it('reports an expired decision as expired, never approved', () => {
      const pending = create({ ttlSeconds: 3600 });
      const result = decide(pending, click({ now: at(3601) }));
      assert.equal(result.kind, 'expired');
      assert.equal(result.decision.status, 'expired');
      assert.equal(result.decision.decidedBy, undefined);
      assert.equal(result.decision.decidedAt, at(3601).toISOString());
      assert.equal(isExpired(pending, at(3601)), true);
      assert.equal(isExpired(pending, at(3600)), false);
      assert.equal(isExpired(create(), at(10 ** 9)), false);
    });

    const refused: Array<{
      name: string;
      decision: () => Decision;
      input: Partial<DecideInput>;
      code: string;
      fields: object;
    }> = [
      {
        name: 'a second click (single-shot)',
        decision: () => decide(create(), click({ by: 'U1' })).decision,
        input: { outcome: 'rejected' },
        code: 'DECISION_NOT_PENDING',
        fields: { decisionId: 'd-1', status: 'approved', decidedBy: 'U1' },
      },
      {
        name: 'a click on a superseded decision',
        decision: () => supersede(create(), 'new push', at(10)),
        input: {},
        code: 'DECISION_NOT_PENDING',
        fields: { decisionId: 'd-1', status: 'superseded', decidedBy: undefined },
      },
      {
        name: 'a click after expiry was recorded',
        decision: () => expire(create(), at(10)),
        input: {},
        code: 'DECISION_NOT_PENDING',
        fields: { status: 'expired' },
      },
      {
        name: 'a wrong nonce',
        decision: () => create(),
        input: { nonce: 'n0nce-0123456789abcdeX' },
        code: 'DECISION_NONCE_MISMATCH',
        fields: { decisionId: 'd-1' },
      },
      {
        name: 'a nonce prefix',
        decision: () => create(),
        input: { nonce: NONCE.slice(0, -1) },
        code: 'DECISION_NONCE_MISMATCH',
        fields: { decisionId: 'd-1' },
      },
      {
        name: 'a wrong nonce on an expired decision (no state change for a stranger)',
        decision: () => create({ ttlSeconds: 1 }),
        input: { nonce: 'x'.repeat(22), now: at(100) },
        code: 'DECISION_NONCE_MISMATCH',
        fields: { decisionId: 'd-1' },
      },
      {
        name: 'a merge for another source commit',
        decision: () => create(),
        input: { target: { ...mergeTarget, sourceCommit: 'def456' } },
        code: 'DECISION_TARGET_MISMATCH',
        fields: { decisionId: 'd-1', gate: 'merge_pr', differences: ['sourceCommit'] },
      },
      {
        name: 'a target of another gate',
        decision: () => create(),
        input: { target: { gate: 'create_release_pr', repo: 'web-app', version: '1.0.0', approvalId: 'a1' } },
        code: 'DECISION_TARGET_MISMATCH',
        fields: { differences: ['approvalId', 'gate', 'prId', 'sourceCommit', 'version'] },
      },
      {
        name: 'pipelines in another order',
        decision: () =>
          create({
            target: {
              gate: 'run_pipelines',
              repo: 'r',
              version: '1.0.0',
              approvalId: 'a',
              pipelines: ['ci', 'cd'],
            },
          }),
        input: {
          target: {
            gate: 'run_pipelines',
            repo: 'r',
            version: '1.0.0',
            approvalId: 'a',
            pipelines: ['cd', 'ci'],
          },
        },
        code: 'DECISION_TARGET_MISMATCH',
        fields: { differences: ['pipelines'] },
      },
      {
        name: 'an unknown outcome',
        decision: () => create(),
        input: { outcome: 'maybe' as never },
        code: 'INPUT_INVALID',
        fields: { field: 'outcome' },
      },
      {
        name: 'an unknown source',
        decision: () => create(),
        input: { via: 'email' as never },
        code: 'INPUT_INVALID',
        fields: { field: 'via' },
      },
      {
        name: 'nobody',
        decision: () => create(),
        input: { by: ' ' },
        code: 'INPUT_INVALID',
        fields: { field: 'by' },
      },
    ];
    for (const { name, decision, input, code, fields } of refused) {
      it(`refuses ${name} with ${code}`, () => {
        assert.throws(
          () => decide(decision(), click(input)),
          coded(code as 'INPUT_INVALID', fields as never),
        );
      });
    }
  });

  describe('supersede and expire', () => {
    const cases: Array<{
      name: string;
      end: (decision: Decision) => Decision;
      status: string;
      reason: string;
    }> = [
      {
        name: 'supersede',
        end: (decision) => supersede(decision, 'superseded by a push of def456', at(5)),
        status: 'superseded',
        reason: 'superseded by a push of def456',
      },
      {
        name: 'expire',
        end: (decision) => expire(decision, at(5)),
        status: 'expired',
        reason: 'expired before a decision',
      },
      {
        name: 'expire with a reason',
        end: (decision) => expire(decision, at(5), 'approval timed out in Azure DevOps'),
        status: 'expired',
        reason: 'approval timed out in Azure DevOps',
      },
    ];
    for (const { name, end, status, reason } of cases) {
      it(`${name} ends a pending decision once`, () => {
        const ended = end(create());
        assert.equal(ended.status, status);
        assert.equal(ended.reason, reason);
        assert.equal(ended.decidedAt, at(5).toISOString());
        assert.throws(() => end(ended), coded('DECISION_NOT_PENDING', { status }));
        const approved = decide(create(), click()).decision;
        assert.throws(
          () => end(approved),
          coded('DECISION_NOT_PENDING', { status: 'approved', decidedBy: 'U123' }),
        );
      });
    }
  });

  describe('action values', () => {
    const roundTrips: ActionValue[] = [
      { decisionId: 'd-1', nonce: NONCE, outcome: 'approved' },
      {
        decisionId: '0b5e2c1a-9f1e-4d7c-8a44-1c1e8f0f5c2d',
        nonce: 'A_b.c~d-0123456789',
        outcome: 'rejected',
      },
      { decisionId: 'x'.repeat(200), nonce: 'y'.repeat(200), outcome: 'approved' },
    ];
    for (const value of roundTrips) {
      it(`round-trips ${value.decisionId.slice(0, 40)} (${value.outcome})`, () => {
        const text = encodeActionValue(value);
        assert.ok(text.length <= 2000, 'fits a Slack button value');
        assert.deepEqual(decodeActionValue(text), value);
      });
    }

    it('has a compact, versioned form', () => {
      assert.equal(
        encodeActionValue({ decisionId: 'd-1', nonce: NONCE, outcome: 'rejected' }),
        `ra1|r|d-1|${NONCE}`,
      );
    });

    const malformed: unknown[] = [
      undefined,
      42,
      '',
      'ra1|a|d-1',
      `ra1|a|d-1|${NONCE}|extra`,
      `ra2|a|d-1|${NONCE}`,
      `ra1|x|d-1|${NONCE}`,
      `ra1|a||${NONCE}`,
      `ra1|a|d 1|${NONCE}`,
      'ra1|a|d-1|',
      `ra1|a|d-1|${'n'.repeat(600)}`,
      `{"decisionId":"d-1","nonce":"${NONCE}","outcome":"approved"}`,
    ];
    for (const value of malformed) {
      it(`decodes the malformed ${JSON.stringify(value)?.slice(0, 40)} as undefined`, () => {
        assert.equal(decodeActionValue(value), undefined);
      });
    }

    const unencodable: ActionValue[] = [
      { decisionId: 'd|1', nonce: NONCE, outcome: 'approved' },
      { decisionId: 'd-1', nonce: '', outcome: 'approved' },
      { decisionId: 'd-1', nonce: NONCE, outcome: 'maybe' as never },
    ];
    for (const value of unencodable) {
      it(`refuses to encode ${JSON.stringify(value)}`, () => {
        assert.throws(() => encodeActionValue(value), coded('INPUT_INVALID'));
      });
    }
  });
});
