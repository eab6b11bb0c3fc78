import assert from 'node:assert/strict';
import {
  DEFAULT_GATE_ENVIRONMENTS,
  GATE_ACTIONS,
  GATE_KINDS,
  gateEffect,
  gateEnvironments,
  gateForEnvironment,
  UNMARKED_APPROVAL_GATE,
} from '../../core/gate-registry.ts';
import type { GateKind } from '../../core/model.ts';
import { parseReleaseEnvironments } from '../../core/release-environments.ts';

describe('core/gate-registry', () => {
  it('each gate names its release environments: none for gate 1, sandbox and production for gate 5', () => {
    assert.deepEqual(Object.fromEntries(GATE_KINDS.map((gate) => [gate, GATE_ACTIONS[gate].environments])), {
      merge_pr: [],
      create_release_pr: ['create'],
      merge_release_pr: ['merge'],
      run_pipelines: ['run'],
      approve_stage: ['sandbox', 'production'],
    });
  });

  it('maps the configured environment names to gates 2–5, case-insensitively', () => {
    const configured = gateEnvironments(
      parseReleaseEnvironments('create=Open-PR;merge=merge-it;production=prod'),
    );
    assert.deepEqual(configured, {
      create_release_pr: ['Open-PR'],
      merge_release_pr: ['merge-it'],
      run_pipelines: ['release-run-pipelines'],
      approve_stage: ['release-agent-sandbox', 'prod'],
    });
    assert.equal(gateForEnvironment(' open-pr ', configured), 'create_release_pr');
    assert.equal(gateForEnvironment('PROD', configured), 'approve_stage');
    assert.equal(gateForEnvironment('release-create-pr', configured), undefined, 'a default no longer named');
    assert.equal(gateForEnvironment('release-agent-sandbox', DEFAULT_GATE_ENVIRONMENTS), 'approve_stage');
    assert.equal(UNMARKED_APPROVAL_GATE, 'approve_stage');
  });

  it('gives each gate and outcome its effect: gate 1 completes or declines the PR, gates 2–5 answer the approval', () => {
    const effects = GATE_KINDS.map((gate) => [
      gate,
      gateEffect(gate, 'approved'),
      gateEffect(gate, 'rejected'),
    ]);
    assert.deepEqual(effects, [
      ['merge_pr', 'complete_pr', 'decline_pr'],
      ['create_release_pr', 'decide_approval', 'decide_approval'],
      ['merge_release_pr', 'decide_approval', 'decide_approval'],
      ['run_pipelines', 'decide_approval', 'decide_approval'],
      ['approve_stage', 'decide_approval', 'decide_approval'],
    ]);
  });

  it('styles the reject button as danger only where declining drops the work (gates 1–3)', () => {
    const styles = GATE_KINDS.map((gate) => [
      gate,
      GATE_ACTIONS[gate].approve.style,
      GATE_ACTIONS[gate].reject.style,
    ]);
    assert.deepEqual(styles, [
      ['merge_pr', 'primary', 'danger'],
      ['create_release_pr', 'primary', 'danger'],
      ['merge_release_pr', 'primary', 'danger'],
      ['run_pipelines', 'primary', undefined],
      ['approve_stage', 'primary', undefined],
    ]);
  });

  it("names each of the Python agent's gate names for one gate only, including its own key and number", () => {
    const owner = new Map<string, GateKind>();
    for (const gate of GATE_KINDS) {
      const spec = GATE_ACTIONS[gate];
      const names = [...spec.pythonNames, ...Object.keys(spec.pythonStageNames ?? {})];
      assert.ok(names.includes(gate), `${gate} lists its own name`);
      assert.ok(names.includes(String(spec.number)), `${gate} lists its number`);
      for (const name of names) {
        assert.equal(owner.get(name), undefined, `${name} is named by ${owner.get(name)} and ${gate}`);
        owner.set(name, gate);
      }
    }
  });

  it('every release gate, and only those, asks a question of its approval, bound to the approval', () => {
    const facts = {
      repo: 'web',
      version: '1.4.0',
      approvalId: 'a-1',
      environment: 'release-agent-production',
      releasePrId: 7,
      pipelines: ['deploy'],
      runUrl: 'https://dev.azure.com/org/p/_build/results?buildId=9',
      tickets: [{ key: 'ABC-1', summary: 'One' }],
      jiraBaseUrl: 'https://jira.example',
    };
    assert.equal(GATE_ACTIONS.merge_pr.approvalQuestion, undefined);
    for (const gate of GATE_KINDS.filter((kind) => kind !== 'merge_pr')) {
      const question = GATE_ACTIONS[gate].approvalQuestion?.(facts);
      assert.equal(question?.target.gate, gate);
      assert.equal(question?.details.gate, gate);
      assert.equal(
        question && 'approvalId' in question.target ? question.target.approvalId : undefined,
        'a-1',
      );
    }
    assert.deepEqual(GATE_ACTIONS.approve_stage.approvalQuestion?.(facts).target, {
      gate: 'approve_stage',
      repo: 'web',
      version: '1.4.0',
      approvalId: 'a-1',
      stage: 'release-agent-production',
    });
    assert.deepEqual(GATE_ACTIONS.run_pipelines.approvalQuestion?.(facts).target, {
      gate: 'run_pipelines',
      repo: 'web',
      version: '1.4.0',
      approvalId: 'a-1',
      pipelines: ['deploy'],
    });
  });

  it('puts gate 1 in the PR flow and gates 2–5, the approvals, in the release flow', () => {
    assert.deepEqual(Object.fromEntries(GATE_KINDS.map((gate) => [gate, GATE_ACTIONS[gate].flow])), {
      merge_pr: 'pr',
      create_release_pr: 'release',
      merge_release_pr: 'release',
      run_pipelines: 'release',
      approve_stage: 'release',
    });
    for (const gate of GATE_KINDS) {
      const spec = GATE_ACTIONS[gate];
      assert.equal(spec.flow === 'release', spec.environments.length > 0, `${gate}: an approval`);
      assert.equal(
        spec.flow === 'release',
        spec.approvalQuestion !== undefined,
        `${gate}: asks its approval`,
      );
    }
  });

  it("lists each gate's facts from its card details, else from the decision's target alone", () => {
    const target = { gate: 'merge_pr', repo: 'web', prId: 107, sourceCommit: 'a1b2c3d4e5f6' } as const;
    const fromTarget = GATE_ACTIONS.merge_pr.facts(undefined, target);
    assert.deepEqual(fromTarget, [
      { kind: 'pullRequest', label: 'Pull request', repo: 'web', prId: 107 },
      { kind: 'person', label: 'Author', name: undefined },
      { kind: 'ticket', label: 'Ticket', key: undefined, jiraBaseUrl: undefined },
      { kind: 'branch', label: 'Branch', source: undefined, target: undefined },
      { kind: 'commit', label: 'Commit', commit: 'a1b2c3d4e5f6' },
      { kind: 'count', label: 'Findings', count: undefined },
      { kind: 'usd', label: 'Review cost', usd: undefined },
    ]);
    // Details of another gate are none of this one's.
    const otherDetails = {
      gate: 'approve_stage',
      repo: 'web',
      version: '1.4.0',
      stage: 'production',
    } as const;
    assert.deepEqual(GATE_ACTIONS.merge_pr.facts(otherDetails, target), fromTarget);

    const details = {
      gate: 'merge_pr',
      repo: 'web',
      prId: 107,
      prTitle: 'Refund reasons',
      prUrl: 'https://dev.azure.com/org/p/_git/web/pullrequest/107',
      author: 'Priya Nair',
      sourceBranch: 'refs/heads/feature/x',
      targetBranch: 'refs/heads/develop',
      sourceCommit: 'a1b2c3d4e5f6',
      ticket: { key: 'ABC-1' },
      jiraBaseUrl: 'https://jira.example',
      review: { summary: 'Small change.', findingsCount: 2, costUsd: 0.42, injectionSuspected: true },
    } as const;
    const fromDetails = GATE_ACTIONS.merge_pr.facts(details, undefined);
    assert.deepEqual(fromDetails[0], {
      kind: 'pullRequest',
      label: 'Pull request',
      repo: 'web',
      prId: 107,
      url: details.prUrl,
      title: 'Refund reasons',
    });
    assert.deepEqual(fromDetails.slice(-2), [
      { kind: 'note', label: 'AI review', text: 'Small change.' },
      {
        kind: 'warning',
        text: 'The review suspects instructions hidden in the PR text: read the diff yourself.',
      },
    ]);

    // Gate 4 without a card: the pipelines the decision was asked for, by name.
    assert.deepEqual(
      GATE_ACTIONS.run_pipelines.facts(undefined, {
        gate: 'run_pipelines',
        repo: 'web',
        version: '1.4.0',
        approvalId: 'a-1',
        pipelines: ['web-ci', 'web-cd'],
      }),
      [
        { kind: 'version', label: 'Version', version: '1.4.0' },
        {
          kind: 'links',
          label: 'Pipelines',
          links: [{ text: 'web-ci' }, { text: 'web-cd' }],
          none: 'none configured',
        },
      ],
    );
  });
});
