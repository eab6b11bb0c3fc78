import assert from 'node:assert/strict';
import { environmentFromInstructions } from '../../flows/approval-gates.ts';
import { DEFAULT_GATE_ENVIRONMENTS } from '../../core/gate-registry.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { main } from '../../scripts/setup.ts';

describe('npm run setup (wiring a project to the agent)', () => {
  let stack: Stack;
  let lines: string[];
  let errors: string[];
  const originalLog = console.log;
  const originalError = console.error;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());
  beforeEach(() => {
    lines = [];
    errors = [];
    console.log = (line: string) => lines.push(line);
    console.error = (line: string) => errors.push(line);
  });
  afterEach(() => {
    console.log = originalLog;
    console.error = originalError;
  });

  const run = (args: string[], env = stack.functionEnv()) => main(args, env);
  const approver = () => stack.azdo.users.approver.id;

  it('creates every gate environment with an Approval check carrying the marker, and the four service hooks', async () => {
    const code = await run(['--function-app', 'https://agent.example.net/', '--approver', approver()]);
    assert.equal(code, 0, errors.join('\n'));
    const names = [...new Set(Object.values(DEFAULT_GATE_ENVIRONMENTS).flat())];
    const environments = [...stack.azdo.environments.values()].map((env) => env.name);
    assert.deepEqual([...environments].sort(), [...names].sort());
    const checks = [...stack.azdo.checks.values()];
    assert.equal(checks.length, names.length);
    for (const check of checks) {
      const environment = [...stack.azdo.environments.values()].find(
        (env) => String(env.id) === check.resource.id,
      );
      assert.ok(environment, 'each check is on one of our environments');
      assert.equal(check.type.id, '8c6f20a7-a545-4486-9777-f762fafe0d4d');
      const settings = check.settings as { instructions?: string; approvers?: { id: string }[] };
      assert.equal(environmentFromInstructions(settings.instructions), environment.name);
      // The people given, and the app's own identity (the PAT's user, learned from the service hooks).
      assert.deepEqual(
        settings.approvers?.map((a) => a.id),
        [approver(), stack.azdo.users.agent.id],
      );
    }
    const hooks = [...stack.azdo.hooks.subscriptions.values()];
    assert.deepEqual(hooks.map((hook) => hook.eventType).sort(), [
      'git.pullrequest.created',
      'git.pullrequest.updated',
      'ms.vss-pipelinechecks-events.approval-completed',
      'ms.vss-pipelinechecks-events.approval-pending',
    ]);
    assert.ok(hooks.every((hook) => hook.consumerInputs.url === 'https://agent.example.net/api/azdo/events'));
  });

  it('is safe to run again: nothing is created twice', async () => {
    const counts = () => [
      stack.azdo.environments.size,
      stack.azdo.checks.size,
      stack.azdo.hooks.subscriptions.size,
    ];
    const before = counts();
    assert.equal(await run(['--function-app', 'https://agent.example.net', '--approver', approver()]), 0);
    assert.deepEqual(counts(), before);
    assert.ok(lines.some((line) => / exists$/.test(line)));
  });

  it('with --require-review-status, the AI review gates merges into develop: a PR completes only once the review of its latest push succeeded', async () => {
    const args = [
      '--function-app',
      'https://agent.example.net',
      '--approver',
      approver(),
      '--require-review-status',
    ];
    assert.equal(await run(args), 0, errors.join('\n'));
    assert.equal(await run(args), 0);
    const policies = [...stack.azdo.policyConfigurations.values()];
    assert.equal(policies.length, 1, 'created once');
    assert.deepEqual(
      { ...policies[0]!.settings, scope: policies[0]!.settings.scope },
      {
        statusGenre: 'release-agent',
        statusName: 'ai-review',
        invalidateOnSourceUpdate: true,
        policyApplicability: null,
        scope: [{ repositoryId: null, refName: 'refs/heads/develop', matchKind: 'exact' }],
      },
    );
    // The service's side: no completion without the status, and a push voids an earlier one.
    const { azdo } = stack;
    azdo.seedRepository({ name: 'Billo.Gated', defaultBranch: 'main', branches: ['develop'] });
    azdo.pushCommit('Billo.Gated', 'feature/gated', { message: 'change' });
    const pr = azdo.createPullRequestAsUser({
      repository: 'Billo.Gated',
      sourceRefName: 'refs/heads/feature/gated',
      targetRefName: 'refs/heads/develop',
      title: 'Gated',
    });
    assert.equal(azdo.policyAllowsCompletion(pr), false);
    const review = (iterationId: number) =>
      azdo.addStatus(pr, {
        state: 'succeeded',
        description: 'AI review approved',
        context: { genre: 'release-agent', name: 'ai-review' },
        iterationId,
        createdBy: azdo.users.buildService,
      });
    review(pr.iterations.at(-1)!.id);
    assert.equal(azdo.policyAllowsCompletion(pr), true);
    azdo.pushCommit('Billo.Gated', 'feature/gated', { message: 'unreviewed' });
    assert.equal(azdo.policyAllowsCompletion(pr), false, 'the new push needs its own review');
    stack.azdo.policyConfigurations.clear();
  });

  it('refuses bad arguments and missing settings with a message naming them, and prints no secret', async () => {
    assert.equal(await run(['--approver', approver()]), 2);
    assert.match(errors.join('\n'), /--function-app/);
    assert.equal(
      await run(['--function-app', 'https://x.example', '--approver', 'a', '--timeout-days', '90']),
      2,
    );
    assert.match(errors.join('\n'), /--timeout-days/);
    assert.equal(
      await run(['--function-app', 'https://x.example', '--approver', 'a'], {
        ...stack.functionEnv(),
        WEBHOOK_SECRET: '',
      }),
      2,
    );
    assert.match(errors.join('\n'), /WEBHOOK_SECRET/);
    assert.equal(await run(['--function-app', 'https://x.example', '--bogus']), 2);
    const printed = [...lines, ...errors].join('\n');
    assert.ok(!printed.includes(stack.secrets.webhookSecret) && !printed.includes(stack.secrets.azdoPat));
  });

  it("wires the environments RELEASE_ENVIRONMENTS names, and reports the release pipelines' permission on each as a manual step", async () => {
    const env = {
      ...stack.functionEnv(),
      RELEASE_ENVIRONMENTS: 'sandbox=pay-rel-sbx;production=pay-rel-prod',
      RELEASE_PIPELINE_BY_REPO: 'payments=21',
    };
    assert.equal(
      await run(['--function-app', 'https://agent.example.net', '--approver', approver()], env),
      0,
    );
    for (const name of ['pay-rel-sbx', 'pay-rel-prod']) {
      const environment = [...stack.azdo.environments.values()].find((candidate) => candidate.name === name);
      assert.ok(environment, `${name} created`);
      const check = [...stack.azdo.checks.values()].find((c) => c.resource.id === String(environment.id));
      assert.equal(
        environmentFromInstructions((check?.settings as { instructions?: string } | undefined)?.instructions),
        name,
      );
      assert.ok(
        lines.some(
          (line) =>
            line.startsWith(`pipeline permission on ${name}: to do by hand`) &&
            line.includes('21 (payments)'),
        ),
        `the permission of pipeline 21 on ${name} is reported`,
      );
    }
    assert.ok(lines.some((line) => line.includes('sandboxEnvironment: pay-rel-sbx')));
    assert.equal(
      await run(['--function-app', 'https://x.example', '--approver', 'a'], {
        ...env,
        RELEASE_ENVIRONMENTS: 'sandbox=prod;production=prod',
      }),
      2,
    );
    assert.match(errors.join('\n'), /RELEASE_ENVIRONMENTS.*named for two gates/);
  });

  it('adds the gate marker to an Approval check someone else made, keeping their instructions and approvers', async () => {
    const environment = stack.azdo.addEnvironment('team-made-gate', '', stack.azdo.users.approver);
    const theirs = stack.azdo.addCheck({
      type: { id: '8c6f20a7-a545-4486-9777-f762fafe0d4d', name: 'Approval' },
      settings: {
        instructions: 'Ask Ana first.',
        approvers: [{ id: 'their-group' }],
        minRequiredApprovers: 2,
      },
      resource: { type: 'environment', id: String(environment.id), name: environment.name },
      timeout: 600,
      createdBy: stack.azdo.users.approver,
    });
    const env = { ...stack.functionEnv(), RELEASE_ENVIRONMENTS: 'run=team-made-gate' };
    assert.equal(
      await run(['--function-app', 'https://agent.example.net', '--approver', approver()], env),
      0,
    );
    const settings = stack.azdo.checks.get(theirs.id)!.settings as {
      instructions: string;
      approvers: { id: string }[];
      minRequiredApprovers: number;
    };
    assert.equal(environmentFromInstructions(settings.instructions), 'team-made-gate');
    assert.match(settings.instructions, /^Ask Ana first\. /);
    // Their approvers stay; the people given and the app's own identity are added beside them.
    assert.deepEqual(settings.approvers, [
      { id: 'their-group' },
      { id: approver() },
      { id: stack.azdo.users.agent.id },
    ]);
    assert.equal(settings.minRequiredApprovers, 2);
    assert.equal(stack.azdo.checks.get(theirs.id)!.timeout, 600);
    assert.ok(lines.some((line) => /approval check on team-made-gate: exists, marker .* added/.test(line)));
    assert.equal(
      [...stack.azdo.checks.values()].filter((check) => check.resource.id === String(environment.id)).length,
      1,
      'no second check',
    );
  });

  it('says why it cannot mark a check it may not change, names what to add by hand, and exits 1', async () => {
    const environment = stack.azdo.addEnvironment('locked-gate', '', stack.azdo.users.approver);
    const locked = stack.azdo.addCheck({
      type: { id: '8c6f20a7-a545-4486-9777-f762fafe0d4d', name: 'Approval' },
      settings: { instructions: 'Release managers only.', approvers: [{ id: 'their-group' }] },
      resource: { type: 'environment', id: String(environment.id), name: environment.name },
      timeout: 600,
      createdBy: stack.azdo.users.approver,
    });
    stack.azdo.lockedChecks.add(locked.id);
    const env = { ...stack.functionEnv(), RELEASE_ENVIRONMENTS: 'merge=locked-gate' };
    assert.equal(
      await run(['--function-app', 'https://agent.example.net', '--approver', approver()], env),
      1,
    );
    assert.equal(
      (stack.azdo.checks.get(locked.id)!.settings as { instructions: string }).instructions,
      'Release managers only.',
    );
    const said = lines.join('\n');
    assert.match(
      said,
      /approval check on locked-gate: NOT DONE: .*may not change it .*add "\(release-agent environment: locked-gate\)" to its instructions/,
    );
    assert.match(errors.join('\n'), /lack the gate marker: locked-gate/);
    // The other gates were still wired.
    assert.ok(
      lines.some((line) => /^service hook ms\.vss-pipelinechecks-events\.approval-pending/.test(line)),
    );
  });
});
