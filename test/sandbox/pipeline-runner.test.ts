// The sandbox's pipeline runner: our templates compile to the steps and stages the product documents,
// anything the runner does not support (or Azure DevOps would refuse) fails loudly, and a run against
// the simulator behaves like Azure DevOps where the cycle relies on it (conditions, outputs across
// stages, approvals that stop a release, cancellation).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvalInstructions } from '../../flows/approval-gates.ts';
import {
  DEFAULT_RELEASE_ENVIRONMENTS,
  parseReleaseEnvironments,
  type ReleaseEnvironments,
  releaseTemplateParameters,
} from '../../core/release-environments.ts';
import { APPROVAL_CHECK_TYPE_ID } from '../../adapters/azdo/azdo.ts';
import {
  evaluateCondition,
  COMPARISON_FUNCTIONS,
  statusFunctions,
} from '../../sandbox/pipeline/expressions.ts';
import type { TaskStep } from '../../sandbox/pipeline/template.ts';
import {
  type AgentServices,
  compilePipeline,
  executePipelineRun,
  type PipelineDefinition,
} from '../../sandbox/pipeline-runner.ts';
import { AzureDevOpsSimulator } from '../../sandbox/sim/azdo/simulator.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { taskBundlesDir } from '../support/task-bundles.ts';
import { functionAppOf } from '../tasks/job-kit.ts';

const CONNECTIONS = { stateConnection: 'state', slackConnection: 'slack' };
/** The PR pipeline gets the function app's connection only: it runs the PR author's YAML. */
const PR_CONNECTIONS = { stateConnection: 'state' };
const REPO = 'Billo.Platform.Payment';

function definition(
  template: string,
  parameters: Record<string, unknown>,
  extra: Partial<PipelineDefinition> = {},
): PipelineDefinition {
  return { id: 31, name: 'release', repo: REPO, template, parameters, ...extra };
}

function tempTemplate(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'template-')), 'custom.yml');
  writeFileSync(file, text);
  return file;
}

describe('sandbox pipeline runner', function () {
  this.timeout(60_000);
  let tasksDir: string;
  before(async () => {
    tasksDir = await taskBundlesDir();
  });

  describe('compiling our templates', () => {
    it('pr.yml: checkout, JiraTicket ensure, ReviewPullRequest; booleans as True/False; only the function app connection', () => {
      const compiled = compilePipeline(
        { tasksDir },
        definition('pipelines/pr.yml', PR_CONNECTIONS, { jobName: 'Review' }),
      );
      const steps = compiled.stages[0]!.jobs[0]!.steps;
      assert.deepEqual(
        steps.map((step) =>
          step.kind === 'task' ? `${step.task}${step.condition ? `[${step.condition}]` : ''}` : step.kind,
        ),
        ['checkout', 'JiraTicket', 'ReviewPullRequest'],
      );
      const [, ticket, review] = steps as TaskStep[];
      // No claudeCredential by default: a literal $(CLAUDE_CREDENTIAL) would become the API key.
      assert.deepEqual(ticket!.inputs, {
        action: 'ensure',
        stateConnection: 'state',
        autoCreate: 'True',
      });
      assert.equal(review!.inputs.claudeCredential, undefined);
      const withCredential = compilePipeline(
        { tasksDir },
        definition(
          'pipelines/pr.yml',
          { ...PR_CONNECTIONS, claudeCredential: '$(CLAUDE_CREDENTIAL)' },
          { jobName: 'Review' },
        ),
      ).stages[0]!.jobs[0]!.steps as TaskStep[];
      assert.deepEqual(
        withCredential.slice(1).map((step) => step.inputs.claudeCredential),
        ['$(CLAUDE_CREDENTIAL)', '$(CLAUDE_CREDENTIAL)'],
      );
      assert.deepEqual(
        Object.keys(review!.inputs).filter((name) => name.endsWith('Connection')),
        ['stateConnection'],
      );
      // A team's old parameters are refused, not silently handed to the PR's steps.
      assert.throws(
        () =>
          compilePipeline(
            { tasksDir },
            definition('pipelines/pr.yml', { stateConnection: 's', slackConnection: 'x' }),
          ),
        {
          code: 'TEMPLATE_INVALID',
          message: /unexpected parameter 'slackConnection'/,
        },
      );
    });

    it('develop-ci.yml: the team build steps first, then StageRelease only on a develop push', () => {
      const compiled = compilePipeline(
        { tasksDir },
        definition(
          'pipelines/develop-ci.yml',
          { ...CONNECTIONS, buildSteps: [{ script: 'npm test' }] },
          { jobName: 'Build' },
        ),
      );
      const steps = compiled.stages[0]!.jobs[0]!.steps;
      assert.deepEqual(
        steps.map((step) => step.kind),
        ['script', 'task', 'task'],
      );
      assert.equal(
        (steps[1] as TaskStep).condition,
        "and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/develop'), ne(variables['Build.Reason'], 'PullRequest'))",
      );
    });

    it("release.yml: Plan then the gate stages on the environments its parameters name (RELEASE_ENVIRONMENTS' defaults, or a team's), each after Plan", () => {
      const environmentsOf = (parameters: Record<string, unknown>) =>
        compilePipeline(
          { tasksDir },
          definition('pipelines/release.yml', {
            ...CONNECTIONS,
            deploySteps: [{ script: './deploy.sh' }],
            ...parameters,
          }),
        ).stages.map((stage) => [stage.name, stage.jobs[0]!.environment ?? null]);
      const expected = (environments: ReleaseEnvironments) => [
        ['Plan', null],
        ['CreateReleasePR', environments.create],
        ['MergeReleasePR', environments.merge],
        ['RunPipelines', environments.run],
        ['DeploySandbox', environments.sandbox],
        ['DeployProduction', environments.production],
        ['CompleteRelease', null],
      ];
      assert.deepEqual(environmentsOf({}), expected(DEFAULT_RELEASE_ENVIRONMENTS));
      const team = parseReleaseEnvironments(
        'sandbox=payments-rel-sbx;production=payments-rel-prod;create=payments-rel-create',
      );
      assert.deepEqual(environmentsOf(releaseTemplateParameters(team)), expected(team));
      const compiled = compilePipeline(
        { tasksDir },
        definition('pipelines/release.yml', { ...CONNECTIONS, deploySteps: [{ script: './deploy.sh' }] }),
      );
      for (const stage of compiled.stages.slice(1)) {
        assert.ok(stage.dependsOn.includes('Plan'), stage.name);
        assert.equal(
          stage.variables.releaseVersion,
          "$[ stageDependencies.Plan.Plan.outputs['plan.version'] ]",
        );
      }
    });

    it('refuses what Azure DevOps refuses and what the runner does not support, naming it', () => {
      const compile = (template: string, parameters: Record<string, unknown> = {}) =>
        compilePipeline({ tasksDir }, definition(template, parameters));
      assert.throws(() => compile('pipelines/pr.yml', { ...PR_CONNECTIONS, typo: 1 }), {
        code: 'TEMPLATE_INVALID',
        message: /unexpected parameter 'typo'/,
      });
      assert.throws(() => compile('pipelines/pr.yml', {}), {
        code: 'TEMPLATE_INVALID',
        message: /'stateConnection' parameter must be provided/,
      });
      assert.throws(() => compile('pipelines/pr.yml', { ...PR_CONNECTIONS, autoCreateTicket: 'maybe' }), {
        code: 'TEMPLATE_INVALID',
        message: /must be a boolean/,
      });
      assert.throws(() => compile('pipelines/release.yml', { ...CONNECTIONS, mergeStrategy: 'octopus' }), {
        code: 'TEMPLATE_INVALID',
        message: /mergeStrategy/,
      });
      const cases: [string, RegExp][] = [
        [
          `steps:\n  - \${{ if true }}:\n    - script: a\n  - \${{ else }}:\n    - script: b\n`,
          /only if and each/,
        ],
        ['steps:\n  - powershell: Write-Host hi\n', /keys powershell/],
        ['steps:\n  - task: Notify@1\n    inputs:\n      channel: x\n', /has no input "channel"/],
        ['steps:\n  - task: Notify@2\n', /version 1/],
        ['steps:\n  - script: a\n    continueOnError: true\n', /continueOnError/],
        [`steps:\n  - script: \${{ coalesce(1, 2) }}\n`, /coalesce/],
        ['trigger: none\nsteps:\n  - script: a\n', /key "trigger"/],
        [
          'stages:\n  - stage: B\n    dependsOn: A\n    jobs:\n      - job: J\n        steps: []\n',
          /not an earlier stage/,
        ],
      ];
      for (const [text, message] of cases) {
        assert.throws(
          () => compile(tempTemplate(text)),
          (error: { code?: string; message?: string }) =>
            (error.code === 'TEMPLATE_UNSUPPORTED' || error.code === 'TEMPLATE_INVALID') &&
            message.test(error.message ?? ''),
          text,
        );
      }
    });

    it('resolves full task names, and a short one only while no other installed extension has a task of that name', () => {
      const azdo = new AzureDevOpsSimulator();
      const compile = (reference: string) =>
        compilePipeline(
          { tasksDir, azdo },
          definition(tempTemplate(`steps:\n  - task: ${reference}\n    condition: failed()\n`), {}),
        );
      const taskOf = (compiled: ReturnType<typeof compile>) =>
        compiled.stages[0]!.jobs[0]!.steps[0] as TaskStep;
      const ours = 'release-agent.release-agent.notify-task.Notify@1';
      assert.equal(taskOf(compile('Notify@1')).task, 'Notify', 'alone, the short name is ours');
      assert.equal(taskOf(compile(ours)).task, 'Notify');

      azdo.installExtension({
        publisher: 'acme',
        id: 'chatops',
        tasks: [{ contributionId: 'notify', name: 'Notify' }],
      });
      assert.throws(() => compile('Notify@1'), {
        code: 'TEMPLATE_INVALID',
        message:
          /The task name Notify is ambiguous\. Specify one of the following identifiers to resolve the ambiguity: release-agent\.release-agent\.notify-task\.Notify, acme\.chatops\.notify\.Notify/,
      });
      assert.equal(taskOf(compile(ours)).task, 'Notify', 'the full name still resolves');
      assert.throws(() => compile('acme.chatops.notify.Notify@1'), { message: /another extension's task/ });
      assert.throws(() => compile('release-agent.release-agent.notify.Notify@1'), {
        message: /A task is missing.*release-agent\.release-agent\.notify\.Notify/,
      });
      // Our templates name every task in full: they compile beside that extension.
      for (const [template, parameters, jobName] of [
        ['pipelines/release.yml', { ...CONNECTIONS, deploySteps: [] }, undefined],
        ['pipelines/pr.yml', PR_CONNECTIONS, 'Review'],
        ['pipelines/develop-ci.yml', CONNECTIONS, 'Build'],
      ] as const)
        compilePipeline({ tasksDir, azdo }, definition(template, parameters, jobName ? { jobName } : {}));
    });

    it('evaluates the conditions our templates use the way Azure Pipelines does', () => {
      const context = (variables: Record<string, string>, failed = false) => ({
        roots: { variables },
        functions: {
          ...COMPARISON_FUNCTIONS,
          ...statusFunctions({ succeeded: () => !failed, failed: () => failed }),
        },
        where: 'test',
      });
      const developCi =
        "and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/develop'), ne(variables['Build.Reason'], 'PullRequest'))";
      assert.equal(
        evaluateCondition(
          developCi,
          context({ 'Build.SourceBranch': 'refs/heads/develop', 'Build.Reason': 'IndividualCI' }),
        ),
        true,
      );
      assert.equal(
        evaluateCondition(
          developCi,
          context({ 'Build.SourceBranch': 'refs/heads/develop', 'Build.Reason': 'PullRequest' }),
        ),
        false,
      );
      assert.equal(
        evaluateCondition(
          developCi,
          context({ 'build.sourcebranch': 'REFS/HEADS/DEVELOP', 'Build.Reason': 'Manual' }),
        ),
        true,
      );
      assert.equal(
        evaluateCondition(developCi, context({ 'Build.SourceBranch': 'refs/heads/develop' }, true)),
        false,
      );
      assert.equal(evaluateCondition('failed()', context({}, true)), true);
      assert.throws(() => evaluateCondition('always()', context({})), { code: 'TEMPLATE_UNSUPPORTED' });
      assert.throws(() => evaluateCondition("eq(dependencies.Plan.result, 'x')", context({})), {
        code: 'TEMPLATE_UNSUPPORTED',
      });
    });
  });

  describe('running against the simulator', () => {
    let stack: Stack;
    let services: AgentServices;
    let workRoot: string;
    before(async () => {
      stack = await startStack({
        storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
        pipelines: [
          { id: 31, name: 'release', agent: true },
          { id: 41, name: 'Payment build' },
        ],
        pipelineRunDurationMs: 50,
      });
      stack.azdo.seedRepository({ name: REPO, defaultBranch: 'develop', branches: ['main'] });
      for (const name of ['release-create-pr', 'release-merge-pr']) {
        const environment = stack.azdo.addEnvironment(name, '', stack.azdo.users.agent);
        stack.azdo.addCheck({
          type: { id: APPROVAL_CHECK_TYPE_ID, name: 'Approval' },
          settings: {
            approvers: [{ id: stack.azdo.users.approver.id }],
            instructions: approvalInstructions(name),
            minRequiredApprovers: 1,
          },
          resource: { type: 'environment', id: String(environment.id), name },
          timeout: 60,
          createdBy: stack.azdo.users.agent,
        });
      }
      // The release tasks ask the function app, which knows pipeline 31 as the repo's release pipeline.
      await functionAppOf(stack, { RELEASE_PIPELINE_BY_REPO: `${REPO}=31` });
      workRoot = mkdtempSync(join(tmpdir(), 'runner-'));
      services = {
        azdo: stack.azdo,
        tasksDir,
        serviceConnections: stack.endpoints,
        accessToken: stack.secrets.accessToken,
        baseVariables: stack.agentVariables(),
        env: {},
        workRoot,
        approvalTimeoutMs: 15_000,
      };
    });
    after(() => stack?.stop());

    const releaseDefinition = () =>
      definition('pipelines/release.yml', {
        ...CONNECTIONS,
        pipelines: '41:Payment build',
        deploySteps: [{ script: './deploy.sh "$(deployEnvironment)"' }],
      });

    it('nothing staged: Plan says hasRelease false and every later stage is skipped by its condition; the run succeeds', async () => {
      const run = stack.azdo.startRun(stack.azdo.pipelines.get(31)!, { templateParameters: {} });
      const outcome = await executePipelineRun(services, releaseDefinition(), run, { reason: 'Manual' });
      assert.deepEqual(
        outcome.stages.map((stage) => stage.result),
        ['succeeded', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped'],
      );
      assert.equal(
        outcome.steps.find((step) => step.task === 'ReleasePullRequest')?.outputs.hasRelease,
        'false',
      );
      assert.equal(outcome.result, 'succeeded');
      assert.deepEqual([Number.isFinite(run.durationMs), run.result], [true, 'succeeded']);
      assert.equal(stack.azdo.approvals.size, 0);
    });

    it('a rejected approval stops the release at its stage: the planned version reached the stage, nothing after it ran', async () => {
      await stack.store.staging.update(REPO, () => ({
        repo: REPO,
        version: '1.4.0',
        startedAt: '2026-11-20T10:00:00.000Z',
        updatedAt: '2026-11-20T10:00:00.000Z',
        tickets: [
          {
            key: 'ALLPOST-1',
            summary: 'Login',
            prIds: [1],
            bump: 'patch',
            addedAt: '2026-11-20T10:00:00.000Z',
          },
        ],
      }));
      const run = stack.azdo.startRun(stack.azdo.pipelines.get(31)!, { templateParameters: {} });
      const events: string[] = [];
      const running = executePipelineRun(services, releaseDefinition(), run, {
        reason: 'Manual',
        onEvent: (event) => {
          events.push(event.type);
          if (event.type === 'approval-pending') {
            const approval = stack.azdo.approval(event.approvalId);
            assert.deepEqual(
              [
                approval.environment?.name,
                approval.run?.id,
                approval.pipeline?.id,
                approval.instructions,
                approval.approvers[0]?.id,
              ],
              [
                'release-create-pr',
                run.id,
                31,
                approvalInstructions('release-create-pr'),
                stack.azdo.users.approver.id,
              ],
            );
            stack.azdo.decideApprovalAsUser(event.approvalId, 'rejected');
          }
        },
      });
      const outcome = await running;
      assert.deepEqual(
        outcome.stages.map((stage) => [stage.name, stage.result]),
        [
          ['Plan', 'succeeded'],
          ['CreateReleasePR', 'rejected'],
          ['MergeReleasePR', 'skipped'],
          ['RunPipelines', 'skipped'],
          ['DeploySandbox', 'skipped'],
          ['DeployProduction', 'skipped'],
          ['CompleteRelease', 'skipped'],
        ],
      );
      assert.equal(outcome.result, 'failed');
      assert.equal(run.result, 'failed');
      assert.equal(outcome.buildNumber, `${REPO} 1.4.0`);
      assert.equal([...stack.azdo.pullRequests.values()].length, 0, 'no release PR was created');
      assert.ok(events.includes('approval-decided'));
    });

    it('an undefined $(macro) in a task input fails loudly and the run is recorded as failed', async () => {
      const template = tempTemplate(
        'steps:\n  - task: Notify@1\n    inputs:\n      message: $(noSuchVariable)\n',
      );
      const run = stack.azdo.startRun(stack.azdo.pipelines.get(31)!, { templateParameters: {} });
      await assert.rejects(
        executePipelineRun(services, definition(template, {}), run, { reason: 'Manual' }),
        {
          code: 'VARIABLE_UNDEFINED',
          message: /\$\(noSuchVariable\)/,
        },
      );
      assert.equal(run.result, 'failed');
    });

    it('a template that does not compile fails the run instead of leaving it in progress', async () => {
      const run = stack.azdo.startRun(stack.azdo.pipelines.get(31)!, { templateParameters: {} });
      await assert.rejects(
        executePipelineRun(
          services,
          definition('pipelines/pr.yml', { stateConnection: 'state', typo: 1 }),
          run,
          { reason: 'Manual' },
        ),
        {
          code: 'TEMPLATE_INVALID',
        },
      );
      assert.deepEqual([Number.isFinite(run.durationMs), run.result], [true, 'failed']);
    });

    it('cancelling a run kills the task that is running and records the run as canceled', async () => {
      const run = stack.azdo.startRun(stack.azdo.pipelines.get(31)!, { templateParameters: {} });
      const abort = new AbortController();
      const started = Date.now();
      const outcome = await executePipelineRun(services, releaseDefinition(), run, {
        reason: 'Manual',
        signal: abort.signal,
        onEvent: (event) => {
          // Mid-way through Plan's task (a bundle takes a few hundred ms to load and run).
          if (event.type === 'run-started') setTimeout(() => abort.abort(), 40);
        },
      });
      assert.equal(outcome.result, 'canceled');
      assert.equal(run.result, 'canceled');
      assert.deepEqual(outcome.steps.map((step) => [step.task ?? step.kind, step.result]).slice(0, 2), [
        ['checkout', 'Succeeded'],
        ['ReleasePullRequest', 'Canceled'],
      ]);
      assert.ok(Date.now() - started < 5_000);
      assert.deepEqual(
        outcome.stages.slice(1).map((stage) => stage.result),
        ['canceled', 'canceled', 'canceled', 'canceled', 'canceled', 'canceled'],
      );
    });
  });
});
