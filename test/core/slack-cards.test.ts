import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { isReleaseAgentError } from '../../core/errors.ts';
import {
  type ActionsBlock,
  type Block,
  type ContextBlock,
  counted,
  formatUtcTime,
  type SlackCard,
  ticketLink,
} from '../../core/card-blocks.ts';
import {
  type DecidedGateCardInput,
  decidedGateCard,
  gateCard,
  repeatedClickNotice,
} from '../../core/gate-cards.ts';
import { GATE_ACTIONS } from '../../core/gate-registry.ts';
import type { GateDetails, GateKind } from '../../core/model.ts';
import {
  deploymentApprovedCard,
  failureCard,
  pipelinesFinishedCard,
  releaseCompletedCard,
  releasePrCreatedCard,
  reviewChangesRequestedCard,
  stagedCard,
} from '../../core/release-cards.ts';
import { SLACK_LIMITS } from '../../core/slack-text.ts';
import { assertGolden } from '../support/golden.ts';

const goldenFile = (name: string) =>
  fileURLToPath(new URL(`../fixtures/slack-cards/${name}.json`, import.meta.url));

const JIRA = 'https://billolife.atlassian.net';
const PR_URL = 'https://dev.azure.com/billo/Platform/_git/Billo.Platform.Payment/pullrequest/42';
const NOW = '2026-05-04T12:30:00.000Z';

const DETAILS: Record<GateKind, GateDetails> = {
  merge_pr: {
    gate: 'merge_pr',
    repo: 'Billo.Platform.Payment',
    prId: 42,
    prTitle: 'ALLPOST-4028 Login page & session refresh',
    prUrl: PR_URL,
    author: 'Yao Ji',
    sourceBranch: 'refs/heads/feature/ALLPOST-4028_login-page',
    targetBranch: 'refs/heads/develop',
    sourceCommit: 'abc1234def5678abc1234def5678abc1234def56',
    ticket: { key: 'ALLPOST-4028', summary: 'Login page' },
    jiraBaseUrl: JIRA,
    review: {
      summary: 'Adds the login page and refreshes sessions.\nTwo minor findings: naming and a missing test.',
      findingsCount: 2,
      costUsd: 0.4213,
    },
  },
  create_release_pr: {
    gate: 'create_release_pr',
    repo: 'Billo.Platform.Payment',
    version: '1.4.0',
    tickets: [
      { key: 'ALLPOST-4028', summary: 'Login page' },
      { key: 'ALLPOST-4031', summary: 'Invoice PDF < 2 MB' },
    ],
    jiraBaseUrl: JIRA,
  },
  merge_release_pr: {
    gate: 'merge_release_pr',
    repo: 'Billo.Platform.Payment',
    version: '1.4.0',
    releasePr: {
      id: 57,
      url: 'https://dev.azure.com/billo/Platform/_git/Billo.Platform.Payment/pullrequest/57',
      title: 'Release 1.4.0',
    },
  },
  run_pipelines: {
    gate: 'run_pipelines',
    repo: 'Billo.Platform.Payment',
    version: '1.4.0',
    pipelines: [
      { name: 'Payment CI', url: 'https://dev.azure.com/billo/Platform/_build?definitionId=12' },
      { name: 'Payment CD' },
    ],
  },
  approve_stage: {
    gate: 'approve_stage',
    repo: 'Billo.Platform.Payment',
    version: '1.4.0',
    stage: 'production',
    runUrl: 'https://dev.azure.com/billo/Platform/_build/results?buildId=991&view=results',
  },
};

const GATES = Object.keys(DETAILS) as GateKind[];

const pending = (gate: GateKind) =>
  gateCard({
    decisionId: `dec-${gate}`,
    details: DETAILS[gate],
    approveValue: `approve-value-${gate}`,
    rejectValue: `reject-value-${gate}`,
  });

const decided = (name: string, input: Omit<DecidedGateCardInput, 'now'>): [string, SlackCard] => [
  name,
  decidedGateCard({ ...input, now: NOW }),
];

const FINDINGS = [
  {
    file: 'src/login.ts',
    line: 12,
    severity: 'minor' as const,
    message: 'Rename `tmp` to something meaningful',
  },
  { file: 'src/session.ts', line: 40, severity: 'critical' as const, message: 'Token written to the log' },
  { file: 'src/session.ts', line: 7, severity: 'major' as const, message: 'No test for expiry' },
];

/** Every card the product sends, rendered from fixed inputs: the golden set. */
function allCards(): Array<[string, SlackCard]> {
  return [
    ...GATES.map((gate): [string, SlackCard] => [`gate-${gate}`, pending(gate)]),
    decided('decided-merge_pr-approved', {
      decisionId: 'dec-merge_pr',
      details: DETAILS.merge_pr,
      resolution: {
        status: 'approved',
        by: { slackUserId: 'U123' },
        via: 'slack',
        at: '2026-05-04T12:00:00Z',
      },
      effect: { status: 'done' },
    }),
    decided('decided-create_release_pr-rejected', {
      decisionId: 'dec-create_release_pr',
      details: DETAILS.create_release_pr,
      resolution: { status: 'rejected', by: { name: 'Alice Admin' }, via: 'hub', at: '2026-05-03T09:15:00Z' },
    }),
    decided('decided-merge_release_pr-expired', {
      decisionId: 'dec-merge_release_pr',
      details: DETAILS.merge_release_pr,
      resolution: { status: 'expired', at: '2026-05-04T11:00:00Z' },
    }),
    decided('decided-merge_pr-superseded', {
      decisionId: 'dec-merge_pr',
      details: DETAILS.merge_pr,
      resolution: { status: 'superseded', newCommit: 'ABC1234999999999999999999999999999999999' },
    }),
    decided('decided-run_pipelines-queued', {
      decisionId: 'dec-run_pipelines',
      details: DETAILS.run_pipelines,
      resolution: { status: 'approved', by: { name: 'operator' }, via: 'api', at: '2026-05-04T12:10:00Z' },
      effect: { status: 'queued' },
    }),
    decided('decided-approve_stage-failed-repeated', {
      decisionId: 'dec-approve_stage',
      details: DETAILS.approve_stage,
      resolution: {
        status: 'approved',
        by: { slackUserId: 'U123' },
        via: 'azdo',
        at: '2026-05-04T12:00:00Z',
      },
      effect: { status: 'failed', detail: 'approval already completed in Azure DevOps' },
      repeatedClick: true,
    }),
    ['repeated-click-notice', repeatedClickNotice({ status: 'expired' })],
    [
      'review-changes-requested',
      reviewChangesRequestedCard({
        repo: 'Billo.Platform.Payment',
        prId: 42,
        prTitle: 'ALLPOST-4028 Login page',
        prUrl: PR_URL,
        author: 'Yao Ji',
        summary: 'The session token is logged. Please fix before merging.',
        findings: FINDINGS,
        ticket: { key: 'ALLPOST-4028' },
        jiraBaseUrl: JIRA,
        costUsd: 0.38,
      }),
    ],
    [
      'review-needs-human',
      reviewChangesRequestedCard({
        repo: 'Billo.Platform.Payment',
        prId: 43,
        prTitle: 'Update dependencies',
        verdict: 'needs_human_review',
        summary: '',
        findings: [],
        jiraBaseUrl: JIRA,
      }),
    ],
    [
      'staged',
      stagedCard({
        repo: 'Billo.Platform.Payment',
        version: '1.4.0',
        ticket: { key: 'ALLPOST-4028', summary: 'Login page' },
        jiraBaseUrl: JIRA,
        pr: { id: 42, url: PR_URL, title: 'Login page' },
        ticketsOnStaging: 3,
      }),
    ],
    [
      'release-pr-created',
      releasePrCreatedCard({
        repo: 'Billo.Platform.Payment',
        version: '1.4.0',
        pr: {
          id: 57,
          url: 'https://dev.azure.com/billo/Platform/_git/Billo.Platform.Payment/pullrequest/57',
        },
        tickets: [{ key: 'ALLPOST-4028', summary: 'Login page' }],
        jiraBaseUrl: JIRA,
      }),
    ],
    [
      'pipelines-finished',
      pipelinesFinishedCard({
        repo: 'Billo.Platform.Payment',
        version: '1.4.0',
        pipelines: [
          {
            name: 'Payment CI',
            result: 'succeeded',
            url: 'https://dev.azure.com/billo/Platform/_build/results?buildId=991',
          },
          {
            name: 'Payment CD',
            result: 'failed',
            url: 'https://dev.azure.com/billo/Platform/_build/results?buildId=992',
          },
          { name: 'Docs', result: 'timedOut' },
        ],
      }),
    ],
    [
      'deployment-approved',
      deploymentApprovedCard({
        repo: 'Billo.Platform.Payment',
        version: '1.4.0',
        stage: 'sandbox',
        by: { slackUserId: 'U123' },
        via: 'slack',
        at: '2026-05-04T12:00:00Z',
        now: NOW,
        runUrl: 'https://dev.azure.com/billo/Platform/_build/results?buildId=991',
      }),
    ],
    [
      'release-completed',
      releaseCompletedCard({
        repo: 'Billo.Platform.Payment',
        version: '1.4.0',
        notes: 'Login page\nInvoice PDFs under 2 MB',
        tickets:
          DETAILS.create_release_pr.gate === 'create_release_pr' ? DETAILS.create_release_pr.tickets : [],
        jiraBaseUrl: JIRA,
        releasePr: {
          id: 57,
          url: 'https://dev.azure.com/billo/Platform/_git/Billo.Platform.Payment/pullrequest/57',
        },
        tag: 'v1.4.0',
      }),
    ],
    [
      'failure',
      failureCard({
        step: 'RunPipelines',
        repo: 'Billo.Platform.Payment',
        version: '1.4.0',
        runUrl: 'https://dev.azure.com/billo/Platform/_build/results?buildId=993',
        message: 'Payment CD failed: exit code 1',
      }),
    ],
  ];
}

/** Every text of a message: the fallback and each text object, with the limit that applies to it. */
function texts(message: SlackCard): Array<{ where: string; text: string; max: number; type?: string }> {
  const out: Array<{ where: string; text: string; max: number; type?: string }> = [
    { where: 'text', text: message.text, max: SLACK_LIMITS.fallbackText },
  ];
  for (const [index, block] of message.blocks.entries()) {
    const where = `blocks[${index}] ${block.type}`;
    if (block.type === 'header')
      out.push({ where, text: block.text.text, max: SLACK_LIMITS.headerText, type: block.text.type });
    if (block.type === 'section') {
      if (block.text)
        out.push({ where, text: block.text.text, max: SLACK_LIMITS.sectionText, type: block.text.type });
      for (const field of block.fields ?? [])
        out.push({ where, text: field.text, max: SLACK_LIMITS.fieldText, type: field.type });
    }
    if (block.type === 'context') {
      for (const element of block.elements)
        out.push({ where, text: element.text, max: SLACK_LIMITS.contextText, type: element.type });
    }
    if (block.type === 'actions') {
      for (const button of block.elements)
        out.push({ where, text: button.text.text, max: SLACK_LIMITS.buttonText, type: 'plain_text' });
    }
  }
  return out;
}

/** Structural Block Kit rules every card must keep, whatever its input. */
function assertWithinLimits(message: SlackCard, name: string): void {
  assert.ok(
    message.blocks.length >= 1 && message.blocks.length <= SLACK_LIMITS.blocks,
    `${name}: block count`,
  );
  for (const { where, text, max, type } of texts(message)) {
    assert.ok(text.length >= 1, `${name} ${where}: empty text`);
    assert.ok(text.length <= max, `${name} ${where}: ${text.length} > ${max}`);
    assert.doesNotMatch(
      text,
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
      `${name} ${where}: split surrogate`,
    );
    assert.doesNotMatch(text, /&(?!amp;|lt;|gt;)/, `${name} ${where}: bare or cut entity`);
    // Every `<` opens a whole token and every `>` closes one; plain_text has no tokens at all.
    assert.equal(text.replace(/<[^<>]*>/g, '').match(/[<>]/g), null, `${name} ${where}: broken <token>`);
    if (type === 'plain_text') assert.doesNotMatch(text, /[<>]/, `${name} ${where}: token in plain_text`);
  }
  for (const block of message.blocks) {
    if (block.type === 'section' && block.fields)
      assert.ok(block.fields.length <= SLACK_LIMITS.fields, `${name}: fields`);
    if (block.type === 'context')
      assert.ok(block.elements.length <= SLACK_LIMITS.contextElements, `${name}: context`);
    if ('block_id' in block && block.block_id !== undefined)
      assert.ok(block.block_id.length <= SLACK_LIMITS.blockId);
    if (block.type === 'actions') {
      for (const button of block.elements) {
        assert.ok(button.action_id.length <= SLACK_LIMITS.actionId, `${name}: action_id`);
        assert.ok(
          button.value.length >= 1 && button.value.length <= SLACK_LIMITS.buttonValue,
          `${name}: value`,
        );
      }
    }
    if (block.type === 'section' || block.type === 'context') {
      const objects =
        block.type === 'section'
          ? [...(block.text ? [block.text] : []), ...(block.fields ?? [])]
          : block.elements;
      for (const object of objects) assert.equal(object.verbatim, true, `${name}: mrkdwn without verbatim`);
    }
  }
}

const actionsOf = (message: SlackCard): ActionsBlock[] =>
  message.blocks.filter((block): block is ActionsBlock => block.type === 'actions');

const lastContext = (message: SlackCard): ContextBlock => {
  const block = message.blocks.at(-1);
  assert.equal(block?.type, 'context');
  return block as ContextBlock;
};

describe('core/slack-cards', () => {
  describe('golden cards', () => {
    for (const [name, message] of allCards()) {
      it(`${name} matches test/fixtures/slack-cards/${name}.json`, () => {
        assertGolden(message, goldenFile(name));
        assertWithinLimits(message, name);
      });
    }
  });

  describe('gate cards', () => {
    const expected: Array<[GateKind, string, string, 'danger' | undefined]> = [
      ['merge_pr', 'Merge', 'Cancel', 'danger'],
      ['create_release_pr', 'Create', 'Cancel', 'danger'],
      ['merge_release_pr', 'Merge', 'Cancel', 'danger'],
      ['run_pipelines', 'Trigger', 'Skip', undefined],
      ['approve_stage', 'Approve', 'Skip', undefined],
    ];

    it('covers every gate of the model', () => {
      assert.deepEqual(expected.map(([gate]) => gate).sort(), Object.keys(GATE_ACTIONS).sort());
    });

    for (const [gate, approveLabel, rejectLabel, rejectStyle] of expected) {
      it(`${gate}: exactly [${approveLabel}] [${rejectLabel}] with gate action ids and the caller's values`, () => {
        const message = pending(gate);
        const actions = actionsOf(message);
        assert.equal(actions.length, 1);
        const block = actions[0]!;
        assert.equal(block.block_id, `decision:dec-${gate}:actions`);
        assert.deepEqual(
          block.elements.map((button) => [button.text.text, button.action_id, button.value, button.style]),
          [
            [approveLabel, `release_agent:${gate}:approve`, `approve-value-${gate}`, 'primary'],
            [rejectLabel, `release_agent:${gate}:reject`, `reject-value-${gate}`, rejectStyle],
          ],
        );
        assert.equal(message.blocks.at(-1), block, 'the buttons come last');
      });
    }

    const invalid: Array<[string, Partial<Parameters<typeof gateCard>[0]>, string]> = [
      ['an empty decision id', { decisionId: '' }, 'decisionId'],
      ['a decision id longer than a block_id allows', { decisionId: 'd'.repeat(201) }, 'decisionId'],
      ['an empty approve value', { approveValue: '' }, 'approveValue'],
      [
        'a reject value longer than Slack keeps',
        { rejectValue: 'v'.repeat(SLACK_LIMITS.buttonValue + 1) },
        'rejectValue',
      ],
    ];
    for (const [label, override, field] of invalid) {
      it(`refuses ${label} (INPUT_INVALID naming ${field})`, () => {
        assert.throws(
          () =>
            gateCard({
              decisionId: 'dec-1',
              details: DETAILS.merge_pr,
              approveValue: 'a',
              rejectValue: 'r',
              ...override,
            }),
          (error: unknown) => isReleaseAgentError(error, 'INPUT_INVALID') && error.fields.field === field,
        );
      });
    }
  });

  describe('decided gate cards', () => {
    for (const gate of GATES) {
      it(`${gate}: keeps the same information and replaces the buttons by the outcome`, () => {
        const before = pending(gate);
        const after = decidedGateCard({
          decisionId: `dec-${gate}`,
          details: DETAILS[gate],
          resolution: {
            status: 'approved',
            by: { slackUserId: 'U123' },
            via: 'slack',
            at: '2026-05-04T12:00:00Z',
          },
          now: NOW,
        });
        assert.deepEqual(after.blocks.slice(0, -1), before.blocks.slice(0, -1));
        assert.equal(actionsOf(after).length, 0);
        const outcome = lastContext(after);
        assert.equal(outcome.block_id, `decision:dec-${gate}:outcome`);
        assert.equal(
          outcome.elements[0]?.text,
          `✅ ${GATE_ACTIONS[gate].wording.approvedVerb} by <@U123> via Slack at 12:00 UTC`,
        );
      });
    }

    const lines: Array<[string, Omit<DecidedGateCardInput, 'decisionId' | 'details' | 'now'>, string]> = [
      [
        'approved in Slack, effect done',
        {
          resolution: {
            status: 'approved',
            by: { slackUserId: 'U123' },
            via: 'slack',
            at: '2026-05-04T12:00:00Z',
          },
          effect: { status: 'done' },
        },
        '✅ Merged by <@U123> via Slack at 12:00 UTC\nResult: PR completed',
      ],
      [
        'rejected in the hub on another day',
        {
          resolution: {
            status: 'rejected',
            by: { name: 'Alice *Admin*' },
            via: 'hub',
            at: '2026-05-01T08:05:00Z',
          },
        },
        '❌ Cancelled by Alice ∗Admin∗ via the hub at 2026-05-01 08:05 UTC',
      ],
      [
        'approved in Azure DevOps, effect failed',
        {
          resolution: { status: 'approved', by: { name: 'Bob' }, via: 'azdo', at: '2026-05-04T12:00:00Z' },
          effect: { status: 'failed', detail: 'TF401181: <policy> not met' },
        },
        '✅ Merged by Bob in Azure DevOps at 12:00 UTC\n⚠ Result: failed: TF401181: &lt;policy&gt; not met',
      ],
      [
        'approved via REST, waiting for the required policies',
        {
          resolution: {
            status: 'approved',
            by: { name: 'operator' },
            via: 'api',
            at: '2026-05-04T12:00:00Z',
          },
          effect: { status: 'waiting', detail: 'the required policies are pending' },
        },
        '✅ Merged by operator via the REST API at 12:00 UTC\n⏳ Waiting: the required policies are pending',
      ],
      [
        'approval voided by a newer push',
        {
          resolution: {
            status: 'superseded',
            reason: 'a newer push (abc1234) voided this approval: the new commit needs its own review',
          },
          effect: { status: 'failed', detail: 'nothing was merged' },
        },
        '↪ Superseded: a newer push (abc1234) voided this approval: the new commit needs its own review\n⚠ Result: failed: nothing was merged',
      ],
      ['expired', { resolution: { status: 'expired' } }, '⏱ Expired'],
      [
        'superseded by a push',
        { resolution: { status: 'superseded', newCommit: 'abc1234def5678abc1234def5678abc1234def56' } },
        '↪ Superseded: a new commit `abc1234` was pushed',
      ],
      [
        'superseded for a stated reason',
        { resolution: { status: 'superseded', reason: 'PR <!here> abandoned' } },
        '↪ Superseded: PR &lt;!here&gt; abandoned',
      ],
      [
        'a repeated click on a decided card',
        {
          resolution: {
            status: 'rejected',
            by: { slackUserId: 'U999' },
            via: 'slack',
            at: '2026-05-04T12:00:00Z',
          },
          repeatedClick: true,
        },
        '❌ Cancelled by <@U999> via Slack at 12:00 UTC\n⚠ Already decided by <@U999> (your click changed nothing)',
      ],
      [
        'a repeated click on an expired card',
        { resolution: { status: 'expired', at: '2026-05-04T11:00:00Z' }, repeatedClick: true },
        '⏱ Expired at 11:00 UTC\n⚠ Already expired (your click changed nothing)',
      ],
    ];
    for (const [label, input, expectedText] of lines) {
      it(`says who and how: ${label}`, () => {
        const message = decidedGateCard({
          decisionId: 'dec-1',
          details: DETAILS.merge_pr,
          now: NOW,
          ...input,
        });
        assert.equal(lastContext(message).elements[0]?.text, expectedText);
        assert.ok(
          message.text.includes(expectedText.split('\n')[0]!),
          'the fallback text carries the outcome',
        );
      });
    }

    it('does not mention a user whose id does not look like a Slack id', () => {
      const message = decidedGateCard({
        decisionId: 'dec-1',
        details: DETAILS.merge_pr,
        resolution: { status: 'approved', by: { slackUserId: '!channel' }, via: 'slack', at: NOW },
        now: NOW,
      });
      assert.equal(lastContext(message).elements[0]?.text, '✅ Merged by !channel via Slack at 12:30 UTC');
    });
  });

  describe('formatUtcTime', () => {
    const cases: Array<[string, string, string]> = [
      ['2026-05-04T12:00:00Z', NOW, '12:00 UTC'],
      ['2026-05-04T14:00:00+02:00', NOW, '12:00 UTC'],
      ['2026-05-03T23:59:59Z', NOW, '2026-05-03 23:59 UTC'],
      ['2026-05-04T12:00:00Z', 'not a time', '2026-05-04 12:00 UTC'],
      ['yesterday <!here>', NOW, 'yesterday &lt;!here&gt;'],
    ];
    for (const [at, now, expected] of cases) {
      it(`${at} (now ${now}) → ${expected}`, () => assert.equal(formatUtcTime(at, now), expected));
    }
  });

  describe('ticketLink', () => {
    const cases: Array<[string, string, string]> = [
      ['ALLPOST-4028', JIRA, '<https://billolife.atlassian.net/browse/ALLPOST-4028|ALLPOST-4028>'],
      ['ALLPOST-4028', `${JIRA}/`, '<https://billolife.atlassian.net/browse/ALLPOST-4028|ALLPOST-4028>'],
      ['not a key', JIRA, 'not a key'],
      ['ALLPOST-1', 'javascript:alert(1)', 'ALLPOST-1'],
      // No Jira site configured: the key alone.
      ['ALLPOST-1', '', 'ALLPOST-1'],
    ];
    for (const [key, base, expected] of cases) {
      it(`${key} on ${base} → ${expected}`, () => assert.equal(ticketLink(key, base), expected));
    }
  });

  describe('counts', () => {
    it('reads "1 ticket", "2 tickets", "0 tickets"', () => {
      assert.equal(counted(1, 'ticket'), '1 ticket');
      assert.equal(counted(2, 'ticket'), '2 tickets');
      assert.equal(counted(0, 'finding'), '0 findings');
    });

    it('a card about one ticket says "1 ticket"', () => {
      const staged = stagedCard({
        repo: 'Billo.Platform.Payment',
        version: '1.4.0',
        ticket: { key: 'ALLPOST-4028', summary: 'Login page' },
        jiraBaseUrl: JIRA,
        ticketsOnStaging: 1,
      });
      assert.match(JSON.stringify(staged.blocks), /"1 ticket on staging for Billo\.Platform\.Payment"/);
      const released = releaseCompletedCard({
        repo: 'Billo.Platform.Payment',
        version: '1.4.0',
        notes: '',
        tickets: [{ key: 'ALLPOST-4028', summary: 'Login page' }],
        jiraBaseUrl: JIRA,
      });
      assert.equal(released.text, 'Released Billo.Platform.Payment 1.4.0 (1 ticket)');
    });
  });

  describe('untrusted text', () => {
    const EVIL =
      '<!channel> *bold* <https://evil.example|click> & _it_ ~s~ `x` ```block``` <@U0BAD> <#C0BAD> <!subteam^S1> @here https://evil.example/raw';
    const EVIL_URL = 'https://evil.example/a|b>';
    const trusted = ['https://dev.azure.com/', 'https://billolife.atlassian.net/'];

    function adversarialCards(): Array<[string, SlackCard]> {
      const gateDetails: GateDetails[] = [
        {
          gate: 'merge_pr',
          repo: EVIL,
          prId: 1,
          prTitle: EVIL,
          prUrl: EVIL_URL,
          author: EVIL,
          sourceBranch: EVIL,
          targetBranch: EVIL,
          sourceCommit: EVIL,
          ticket: { key: EVIL, summary: EVIL },
          jiraBaseUrl: JIRA,
          review: { summary: EVIL, findingsCount: 1, costUsd: 1, injectionSuspected: true },
        },
        {
          gate: 'create_release_pr',
          repo: EVIL,
          version: EVIL,
          tickets: [{ key: 'ALLPOST-1', summary: EVIL }],
          jiraBaseUrl: JIRA,
        },
        {
          gate: 'merge_release_pr',
          repo: EVIL,
          version: EVIL,
          releasePr: { id: 2, url: EVIL_URL, title: EVIL },
        },
        {
          gate: 'run_pipelines',
          repo: EVIL,
          version: EVIL,
          pipelines: [{ name: EVIL, url: 'javascript:alert(1)' }],
        },
        { gate: 'approve_stage', repo: EVIL, version: EVIL, stage: EVIL, runUrl: EVIL_URL },
      ];
      const cards: Array<[string, SlackCard]> = [];
      for (const details of gateDetails) {
        cards.push([
          `gate ${details.gate}`,
          gateCard({ decisionId: 'dec-1', details, approveValue: 'a', rejectValue: 'r' }),
        ]);
        cards.push([
          `decided ${details.gate}`,
          decidedGateCard({
            decisionId: 'dec-1',
            details,
            resolution: { status: 'rejected', by: { name: EVIL }, via: 'hub', at: EVIL },
            effect: { status: 'failed', detail: EVIL },
            repeatedClick: true,
            now: NOW,
          }),
        ]);
        cards.push([
          `superseded ${details.gate}`,
          decidedGateCard({
            decisionId: 'dec-1',
            details,
            resolution: { status: 'superseded', reason: EVIL },
            now: NOW,
          }),
        ]);
      }
      cards.push(
        [
          'review',
          reviewChangesRequestedCard({
            repo: EVIL,
            prId: 1,
            prTitle: EVIL,
            prUrl: EVIL_URL,
            author: EVIL,
            summary: EVIL,
            findings: [{ file: EVIL, line: 1, severity: 'major', message: EVIL }],
            ticket: { key: EVIL },
            jiraBaseUrl: JIRA,
          }),
        ],
        [
          'staged',
          stagedCard({
            repo: EVIL,
            version: EVIL,
            ticket: { key: EVIL, summary: EVIL },
            jiraBaseUrl: JIRA,
            pr: { id: 1, url: EVIL_URL, title: EVIL },
          }),
        ],
        [
          'release PR created',
          releasePrCreatedCard({
            repo: EVIL,
            version: EVIL,
            pr: { id: 1, title: EVIL },
            tickets: [{ key: EVIL, summary: EVIL }],
            jiraBaseUrl: EVIL,
          }),
        ],
        [
          'pipelines finished',
          pipelinesFinishedCard({
            repo: EVIL,
            version: EVIL,
            pipelines: [{ name: EVIL, result: 'failed', url: EVIL_URL }],
          }),
        ],
        [
          'deployment approved',
          deploymentApprovedCard({
            repo: EVIL,
            version: EVIL,
            stage: EVIL,
            by: { name: EVIL },
            via: 'slack',
            at: EVIL,
            now: NOW,
            runUrl: EVIL_URL,
          }),
        ],
        [
          'release completed',
          releaseCompletedCard({
            repo: EVIL,
            version: EVIL,
            notes: EVIL,
            tickets: [{ key: EVIL, summary: EVIL }],
            jiraBaseUrl: JIRA,
            releasePr: { id: 1, url: EVIL_URL },
            tag: EVIL,
          }),
        ],
        ['failure', failureCard({ step: EVIL, repo: EVIL, version: EVIL, runUrl: EVIL_URL, message: EVIL })],
        [
          'repeated click notice',
          repeatedClickNotice({ status: 'approved', by: { name: EVIL }, via: 'slack', at: NOW }),
        ],
      );
      return cards;
    }

    for (const [name, message] of adversarialCards()) {
      it(`${name}: no mention, no link, no formatting from user text`, () => {
        assertWithinLimits(message, name);
        for (const { where, text, type } of texts(message)) {
          // The only tokens left are links to the trusted hosts of the fixture.
          for (const token of text.match(/<[^<>]*>/g) ?? []) {
            assert.ok(
              trusted.some((host) => token.startsWith(`<${host}`)),
              `${name} ${where}: unexpected token ${token}`,
            );
          }
          // User-supplied markers are gone from mrkdwn (plain_text shows them as typed: no markup there).
          if (type === 'plain_text') continue;
          for (const marker of ['*bold*', '_it_', '~s~', '`']) {
            assert.ok(!text.includes(marker), `${name} ${where}: ${marker} survived`);
          }
        }
      });
    }
  });

  describe('huge inputs', () => {
    const HUGE = `${'Ä😀<&>*'.repeat(3000)}\n`.repeat(4);
    const many = <T>(count: number, make: (index: number) => T): T[] =>
      Array.from({ length: count }, (_, index) => make(index));
    const tickets = many(500, (index) => ({ key: `ALLPOST-${index + 1}`, summary: HUGE }));
    const cases: Array<[string, SlackCard]> = [
      ...GATES.map((gate): [string, SlackCard] => {
        const base = DETAILS[gate];
        const details = {
          ...base,
          repo: HUGE,
          ...('version' in base ? { version: HUGE } : {}),
          ...(gate === 'merge_pr'
            ? {
                prTitle: HUGE,
                author: HUGE,
                sourceBranch: HUGE,
                review: { summary: HUGE, findingsCount: 9, costUsd: 1 },
              }
            : {}),
          ...(gate === 'create_release_pr' ? { tickets } : {}),
          ...(gate === 'run_pipelines'
            ? { pipelines: many(300, () => ({ name: HUGE, url: 'https://dev.azure.com/x' })) }
            : {}),
          ...(gate === 'approve_stage' ? { stage: HUGE } : {}),
        } as GateDetails;
        return [
          gate,
          gateCard({
            decisionId: 'd'.repeat(200),
            details,
            approveValue: 'a'.repeat(2000),
            rejectValue: 'r',
          }),
        ];
      }),
      [
        'decided',
        decidedGateCard({
          decisionId: 'd'.repeat(200),
          details: DETAILS.merge_pr,
          resolution: { status: 'rejected', by: { name: HUGE }, via: 'hub', at: HUGE },
          effect: { status: 'failed', detail: HUGE },
          repeatedClick: true,
          now: NOW,
        }),
      ],
      [
        'review',
        reviewChangesRequestedCard({
          repo: HUGE,
          prId: 1,
          prTitle: HUGE,
          author: HUGE,
          summary: HUGE,
          findings: many(1000, (index) => ({ file: HUGE, line: index, severity: 'minor', message: HUGE })),
          jiraBaseUrl: JIRA,
        }),
      ],
      [
        'staged',
        stagedCard({
          repo: HUGE,
          version: HUGE,
          ticket: { key: HUGE, summary: HUGE },
          jiraBaseUrl: JIRA,
          pr: { id: 1, title: HUGE },
        }),
      ],
      [
        'release PR created',
        releasePrCreatedCard({
          repo: HUGE,
          version: HUGE,
          pr: { id: 1, title: HUGE },
          tickets,
          jiraBaseUrl: JIRA,
        }),
      ],
      [
        'pipelines',
        pipelinesFinishedCard({
          repo: HUGE,
          version: HUGE,
          pipelines: many(300, () => ({ name: HUGE, result: 'failed' as const })),
        }),
      ],
      [
        'deployment',
        deploymentApprovedCard({
          repo: HUGE,
          version: HUGE,
          stage: HUGE,
          by: { name: HUGE },
          via: 'hub',
          at: NOW,
          now: NOW,
        }),
      ],
      [
        'release',
        releaseCompletedCard({
          repo: HUGE,
          version: HUGE,
          notes: HUGE,
          tickets,
          jiraBaseUrl: JIRA,
          tag: HUGE,
        }),
      ],
      ['failure', failureCard({ step: HUGE, repo: HUGE, version: HUGE, message: HUGE })],
    ];
    for (const [name, message] of cases) {
      it(`${name}: every text within its Block Kit limit`, () => assertWithinLimits(message, name));
    }

    it('a long ticket list ends with how many were left out', () => {
      const message = releasePrCreatedCard({
        repo: 'r',
        version: '1.0.0',
        pr: { id: 1 },
        tickets,
        jiraBaseUrl: JIRA,
      });
      const list = message.blocks.at(-1) as Block;
      assert.equal(list.type, 'section');
      const text = list.type === 'section' ? (list.text?.text ?? '') : '';
      const shown = (text.match(/^• /gm) ?? []).length;
      assert.ok(shown > 0 && shown < tickets.length);
      assert.ok(text.endsWith(`…and ${tickets.length - shown} more`), text.slice(-80));
    });
  });
});
