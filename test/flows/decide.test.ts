// Taking a gate answer (flows/decide.ts answerGate) over the in-memory store: the races a Slack
// redelivery and a second clicker run into, made deterministic by reading the decision before the
// other write lands.
import assert from 'node:assert/strict';
import { createMemoryStore } from '../../adapters/store/memory-store.ts';
import type { Store } from '../../adapters/store/store.ts';
import { loadConfig } from '../../core/config.ts';
import { createDecision } from '../../core/gates.ts';
import type { Decision } from '../../core/model.ts';
import { settingsFromConfig } from '../../flows/agent-deps.ts';
import { silentLogger } from '../../flows/context.ts';
import { answerGate, type DecideRequest } from '../../flows/decide.ts';

const now = () => new Date('2026-12-01T10:00:00Z');
const settings = settingsFromConfig(
  loadConfig({
    GATE_ALLOWED_USERS: 'merge_pr=U0RELMGR|U0QA',
    DECISION_SIGNING_KEY: 'k'.repeat(32),
  }),
);

describe('flows: taking a gate answer', () => {
  let store: Store;
  let decision: Decision;
  const request = (by: string, click: string): DecideRequest => ({
    decisionId: decision.id,
    outcome: 'approved',
    nonce: decision.nonce,
    by,
    via: 'slack',
    card: { channel: 'C0SANDBOX', ts: '1700000000.000100', gate: 'merge_pr' },
    click,
    responseUrl: 'https://hooks.slack.com/actions/T0/1/abc',
  });
  /** Deps whose decision read returns `stale`: as a request that read before another one wrote. */
  const readingBefore = (stale: Decision) => ({
    store: { ...store, decisions: { ...store.decisions, get: async () => stale } },
    now,
    log: silentLogger,
    settings,
  });

  beforeEach(async () => {
    store = createMemoryStore();
    const asked = createDecision({
      id: 'merge_pr.pr7.0123456789abcdef0123',
      threadId: 'pr.Billo.Platform.Payment.7',
      target: { gate: 'merge_pr', repo: 'Billo.Platform.Payment', prId: 7, sourceCommit: 'a'.repeat(40) },
      nonce: 'n'.repeat(24),
      now: now(),
    });
    decision = { ...asked, slack: { channel: 'C0SANDBOX', ts: '1700000000.000100' } };
    await store.decisions.createIfAbsent(decision);
  });

  it('the same delivery that lost the race to its own write is a duplicate, not a conflict', async () => {
    const stale = (await store.decisions.get(decision.id)) as Decision;
    const first = await answerGate(
      { store, now, log: silentLogger, settings },
      request('U0RELMGR', 'click-1'),
    );
    assert.equal(first.kind, 'answered');
    const again = await answerGate(readingBefore(stale), request('U0RELMGR', 'click-1'));
    assert.equal(again.kind, 'duplicate');
    const stored = (await store.decisions.get(decision.id)) as Decision;
    assert.equal(stored.answer?.click, 'click-1');
    assert.equal(stored.status, 'pending', 'taken, not decided: the worker checks it');
  });

  it('another person who read before the first answer landed is refused with CONFLICT, and nothing changes', async () => {
    const stale = (await store.decisions.get(decision.id)) as Decision;
    await answerGate({ store, now, log: silentLogger, settings }, request('U0RELMGR', 'click-1'));
    const other = await answerGate(readingBefore(stale), request('U0QA', 'click-2'));
    assert.equal(other.kind, 'refused');
    assert.equal(other.kind === 'refused' && other.error.code, 'CONFLICT');
    assert.equal((await store.decisions.get(decision.id))?.answer?.by, 'U0RELMGR');
  });
});
