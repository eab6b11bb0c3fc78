import assert from 'node:assert/strict';
import { createWebApiSlack } from '../../adapters/slack/web-api-slack.ts';
import { createMemoryStore } from '../../adapters/store/memory-store.ts';
import type { Store } from '../../adapters/store/store.ts';
import { decide, decodeActionValue, GATE_ACTIONS } from '../../core/gates.ts';
import type { DecisionTarget, GateDetails } from '../../core/model.ts';
import { Secret } from '../../core/secret.ts';
import {
  decisionIdFor,
  refreshCard,
  requestDecision,
  supersedeStaleMergeDecisions,
} from '../../flows/gate-requests.ts';
import { type RunningSlackSimulator, startSlackSimulator } from '../../sandbox/sim/slack/slack-simulator.ts';
import { silentLogger } from '../../flows/context.ts';

const target: DecisionTarget = {
  gate: 'merge_pr',
  repo: 'Billo.Platform.Payment',
  prId: 7,
  sourceCommit: 'a'.repeat(40),
};
const details: GateDetails = {
  gate: 'merge_pr',
  repo: 'Billo.Platform.Payment',
  prId: 7,
  prTitle: 'Login page',
  author: 'Jamal',
  sourceCommit: 'a'.repeat(40),
  jiraBaseUrl: 'https://billolife.atlassian.net',
  review: { summary: 'Looks good', findingsCount: 0, costUsd: 0.12 },
};

describe('gate requests', () => {
  let sim: RunningSlackSimulator;
  let store: Store;
  const now = () => new Date('2026-11-23T12:00:00Z');
  const deps = () => ({
    store,
    slack: createWebApiSlack({
      token: new Secret('xoxb-test'),
      apiUrl: sim.apiUrl,
      retry: { maxAttempts: 2 },
    }),
    channel: 'C0SANDBOX',
    now,
    log: silentLogger,
  });
  before(async () => {
    sim = await startSlackSimulator({ botToken: 'xoxb-test' });
  });
  after(() => sim.stop());
  beforeEach(() => {
    store = createMemoryStore();
  });

  it('derives the same id for the same target and another for another commit', () => {
    assert.equal(decisionIdFor(target), decisionIdFor({ ...target }));
    assert.notEqual(decisionIdFor(target), decisionIdFor({ ...target, sourceCommit: 'b'.repeat(40) }));
    assert.match(decisionIdFor(target), /^merge_pr\.pr7\.[0-9a-f]{20}$/);
  });

  it('creates the decision and posts one card with buttons carrying its id and nonce, however often it is asked', async () => {
    const before = sim.messages('C0SANDBOX').length;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => requestDecision(deps(), { threadId: 'pr.x.7', target, details })),
    );
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(results.filter((r) => r.posted).length, 1);
    const cards = sim.messages('C0SANDBOX').slice(before);
    assert.equal(cards.length, 1);
    const stored = await store.decisions.get(decisionIdFor(target));
    assert.deepEqual(stored?.slack, { channel: 'C0SANDBOX', ts: cards[0]!.ts });
    const buttons = JSON.stringify(cards[0]!.blocks);
    const actions = [...buttons.matchAll(/"value":"([^"]+)"/g)].map((m) => decodeActionValue(m[1]));
    assert.deepEqual(
      actions.map((a) => [a?.decisionId, a?.nonce, a?.outcome]),
      [
        [stored?.id, stored?.nonce, 'approved'],
        [stored?.id, stored?.nonce, 'rejected'],
      ],
    );
    assert.ok(buttons.includes(GATE_ACTIONS.merge_pr.approve.actionId));
  });

  it('updates the card in place once decided', async () => {
    const { decision } = await requestDecision(deps(), { threadId: 'pr.x.7', target, details });
    const decided = decide(decision, {
      outcome: 'approved',
      by: 'U0SANDBOX',
      via: 'slack',
      nonce: decision.nonce,
      now: now(),
    });
    const saved = await store.decisions.update(decision.id, () => decided.decision);
    assert.equal(await refreshCard(deps(), saved), true);
    const card = sim.message('C0SANDBOX', saved.slack!.ts)!;
    const text = JSON.stringify(card.blocks);
    assert.ok(!text.includes('"type":"actions"'), 'the buttons are gone');
    assert.match(text, /U0SANDBOX/);
  });

  it('supersedes pending merge decisions for an older commit of the same PR, and says why on the card', async () => {
    const { decision } = await requestDecision(deps(), { threadId: 'pr.x.7', target, details });
    const other = await requestDecision(deps(), {
      threadId: 'pr.x.8',
      target: { ...target, prId: 8 },
      details: { ...details, prId: 8 },
    });
    const superseded = await supersedeStaleMergeDecisions(deps(), {
      repo: target.repo,
      prId: 7,
      currentCommit: 'c'.repeat(40),
    });
    assert.deepEqual(
      superseded.map((d) => d.id),
      [decision.id],
    );
    assert.equal((await store.decisions.get(decision.id))?.status, 'superseded');
    assert.equal((await store.decisions.get(other.decision.id))?.status, 'pending');
    assert.match(JSON.stringify(sim.message('C0SANDBOX', decision.slack!.ts)?.blocks), /ccccccc/);
  });

  it('still stores the decision when Slack is a webhook or absent (answerable in the hub and the API)', async () => {
    const result = await requestDecision(
      { store, now, log: silentLogger },
      { threadId: 'pr.x.7', target, details },
    );
    assert.equal(result.created, true);
    assert.equal(result.posted, false);
    assert.equal((await store.decisions.listPending()).length, 1);
  });
});
