import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { DEFAULT_RELEASE_ENVIRONMENTS, releaseTemplateParameters } from '../../core/release-environments.ts';
import { fullTaskName, type TaskJson } from '../../scripts/task-manifest.ts';

const root = join(import.meta.dirname, '..', '..');
const EXTENSION = JSON.parse(readFileSync(join(root, 'vss-extension.json'), 'utf8')) as {
  publisher: string;
  id: string;
};
/** How the templates reference one of our tasks: its full name at major 1. */
const task = (name: string) => `${fullTaskName(EXTENSION, name)}@1`;
const pipelinesDir = join(root, 'pipelines');

type Node = unknown;
type Mapping = Record<string, Node>;

const isMapping = (node: Node): node is Mapping =>
  typeof node === 'object' && node !== null && !Array.isArray(node);
const isExpression = (key: string) => /^\$\{\{.*\}\}$/.test(key.trim());

/** Every mapping in the tree, with the path to it. */
function* mappings(node: Node, path: string[] = []): Generator<{ node: Mapping; path: string[] }> {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) yield* mappings(item, [...path, String(index)]);
  } else if (isMapping(node)) {
    yield { node, path };
    for (const [key, value] of Object.entries(node)) yield* mappings(value, [...path, key]);
  }
}

/** A mapping's keys with `${{ if }}` / `${{ else }}` blocks flattened in (both branches count). */
function flatKeys(node: Mapping): string[] {
  return Object.entries(node).flatMap(([key, value]) =>
    isExpression(key) && isMapping(value) ? flatKeys(value) : [key],
  );
}

/** Steps of a list, `${{ if }}` / `${{ each }}` insertions unwrapped. */
function flatSteps(list: Node): Mapping[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => {
    if (!isMapping(item)) return [];
    const keys = Object.keys(item);
    if (keys.length === 1 && isExpression(keys[0]!)) return flatSteps(item[keys[0]!]);
    return [item];
  });
}

function loadTemplate(file: string): { text: string; tree: Mapping } {
  const text = readFileSync(join(pipelinesDir, file), 'utf8');
  const document = parseDocument(text, { prettyErrors: true });
  assert.deepEqual(
    document.errors.map((error) => error.message),
    [],
    `${file} parses`,
  );
  assert.deepEqual(
    document.warnings.map((warning) => warning.message),
    [],
    `${file} parses without warnings`,
  );
  const tree = document.toJS() as Node;
  assert.ok(isMapping(tree), `${file} is a mapping`);
  return { text, tree };
}

const taskJsonCache = new Map<string, TaskJson | undefined>();
function taskJson(name: string): TaskJson | undefined {
  if (!taskJsonCache.has(name)) {
    const path = join(root, 'tasks', name, 'task.json');
    taskJsonCache.set(
      name,
      existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TaskJson) : undefined,
    );
  }
  return taskJsonCache.get(name);
}

const templates = readdirSync(pipelinesDir)
  .filter((file) => file.endsWith('.yml'))
  .sort();

describe('pipeline templates', () => {
  it('has the three templates users include', () => {
    assert.deepEqual(templates, ['develop-ci.yml', 'pr.yml', 'release.yml']);
  });

  for (const file of templates) {
    describe(file, () => {
      it('references only tasks that exist at that major version, with declared inputs and every required one given', () => {
        const { tree } = loadTemplate(file);
        const steps = [...mappings(tree)].filter(({ node }) => typeof node.task === 'string');
        assert.ok(steps.length > 0, 'uses at least one task');
        for (const { node, path } of steps) {
          const where = `${file} ${path.join('.')}`;
          // The full name: a short one stops compiling once another extension has a task of that name.
          const full = /^([a-z0-9-]+)\.([a-z0-9-]+)\.([a-z0-9-]+)\.([A-Za-z][A-Za-z0-9-]*)@(\d+)$/.exec(
            node.task as string,
          );
          assert.ok(full, `${where}: "${String(node.task)}" is publisher.extension.contribution.Name@major`);
          assert.equal(
            `${full[1]}.${full[2]}.${full[3]}.${full[4]}`,
            fullTaskName(EXTENSION, full[4]!),
            `${where}: names our extension's contribution of ${full[4]}`,
          );
          const match = [full[0], full[4], full[5]];
          const task = taskJson(match[1]!);
          assert.ok(task, `${where}: tasks/${match[1]}/task.json exists`);
          assert.equal(String(task.version.Major), match[2], `${where}: ${match[1]} is at major ${match[2]}`);
          const declared = new Map((task.inputs ?? []).map((input) => [input.name, input]));
          const given = isMapping(node.inputs) ? flatKeys(node.inputs) : [];
          for (const name of given)
            assert.ok(declared.has(name), `${where}: ${match[1]} declares the input "${name}"`);
          for (const input of task.inputs ?? []) {
            if (input.required && (input.defaultValue === undefined || input.defaultValue === '')) {
              assert.ok(
                given.includes(input.name),
                `${where}: the required input "${input.name}" of ${match[1]} is given`,
              );
            }
          }
          if (isMapping(node.inputs) && typeof node.inputs.action === 'string') {
            const action = declared.get('action');
            assert.ok(
              action?.options && Object.hasOwn(action.options, node.inputs.action),
              `${where}: action ${node.inputs.action} is an option`,
            );
          }
        }
      });

      it('uses only the parameters it declares, and splices every stepList in with an each-expression', () => {
        const { text, tree } = loadTemplate(file);
        const declared = new Set(
          (Array.isArray(tree.parameters) ? tree.parameters : []).map(
            (parameter) => (parameter as Mapping).name as string,
          ),
        );
        const used = new Set(
          [...text.matchAll(/parameters\.([A-Za-z][A-Za-z0-9_]*)/g)].map((match) => match[1]!),
        );
        for (const name of used) assert.ok(declared.has(name), `${file}: parameters.${name} is declared`);
        for (const parameter of (tree.parameters as Mapping[]) ?? []) {
          if (parameter.type === 'stepList')
            assert.match(
              text,
              new RegExp(`\\$\\{\\{ each step in parameters\\.${String(parameter.name)} \\}\\}`),
            );
        }
      });

      // A PR build runs the PR author's YAML: it gets no Slack credential to notify with.
      const notifies = file !== 'pr.yml';
      if (notifies)
        it('tells Slack when a step fails (Notify with condition failed() as the last step of every job)', () => {
          const { tree } = loadTemplate(file);
          const stepLists = [...mappings(tree)]
            .filter(({ node }) => Array.isArray(node.steps))
            .map(({ node, path }) => ({ steps: flatSteps(node.steps), path: path.join('.') }));
          const lists = stepLists.length > 0 ? stepLists : [{ steps: flatSteps(tree.steps), path: 'steps' }];
          for (const { steps, path } of lists) {
            const last = steps.at(-1);
            assert.equal(last?.task, task('Notify'), `${file} ${path}: ends with Notify`);
            assert.equal(last?.condition, 'failed()', `${file} ${path}: Notify runs only on failure`);
          }
        });
    });
  }

  it('pr.yml checks out the whole history first, then ensures the ticket, then reviews', () => {
    const { tree, text } = loadTemplate('pr.yml');
    const steps = flatSteps(tree.steps);
    assert.equal(steps[0]?.checkout, 'self');
    assert.equal(steps[0]?.fetchDepth, 0);
    const tasks = steps.map((step) => step.task).filter(Boolean);
    assert.deepEqual(tasks, [task('JiraTicket'), task('ReviewPullRequest')]);
    assert.equal(
      (steps.find((step) => step.task === task('JiraTicket'))!.inputs as Mapping).action,
      'ensure',
    );
    assert.match(text, /System\.AccessToken/, 'says which token the tasks use');
    // The PR's own YAML runs here: no connection that holds a secret is handed to its steps.
    assert.doesNotMatch(text, /jiraConnection|slackConnection/);
    for (const step of steps.filter((candidate) => candidate.task))
      assert.deepEqual(
        Object.keys(step.inputs as Mapping).filter((name) => name.endsWith('Connection')),
        ['stateConnection'],
      );
  });

  it("develop-ci.yml stages the release after the team's own build steps, on develop pushes only", () => {
    const { tree } = loadTemplate('develop-ci.yml');
    const keys = (tree.steps as Mapping[]).map((step) => Object.keys(step)[0]);
    assert.match(keys[0] ?? '', /^\$\{\{ each step in parameters\.buildSteps \}\}$/);
    const stage = flatSteps(tree.steps).find((step) => step.task === task('StageRelease'));
    assert.ok(stage);
    assert.match(
      String(stage.condition),
      /^and\(succeeded\(\), eq\(variables\['Build\.SourceBranch'\], '\$\{\{ parameters\.branch \}\}'\), ne\(variables\['Build\.Reason'\], 'PullRequest'\)\)$/,
    );
  });

  describe('release.yml', () => {
    const stagesOf = () => loadTemplate('release.yml').tree.stages as Mapping[];
    const jobOf = (stage: Mapping) => (stage.jobs as Mapping[])[0]!;
    const stepsOf = (job: Mapping) =>
      flatSteps(
        job.steps ?? ((((job.strategy as Mapping).runOnce as Mapping).deploy as Mapping).steps as Node),
      );

    it('runs Plan, the gated stages in order and CompleteRelease', () => {
      assert.deepEqual(
        stagesOf().map((stage) => stage.stage),
        [
          'Plan',
          'CreateReleasePR',
          'MergeReleasePR',
          'RunPipelines',
          'DeploySandbox',
          'DeployProduction',
          'CompleteRelease',
        ],
      );
    });

    it("puts gates 2 to 5 on environment parameters whose defaults are RELEASE_ENVIRONMENTS' own, none a shared name", () => {
      const expected: Record<string, keyof typeof DEFAULT_RELEASE_ENVIRONMENTS> = {
        CreateReleasePR: 'create',
        MergeReleasePR: 'merge',
        RunPipelines: 'run',
        DeploySandbox: 'sandbox',
        DeployProduction: 'production',
      };
      const parameters = loadTemplate('release.yml').tree.parameters as Mapping[];
      for (const stage of stagesOf()) {
        const job = jobOf(stage);
        const role = expected[stage.stage as string];
        if (!role) {
          assert.equal(job.deployment, undefined, `${String(stage.stage)} waits on no gate`);
          continue;
        }
        const parameter = `${role}Environment`;
        assert.equal(job.environment, `\${{ parameters.${parameter} }}`, String(stage.stage));
        const declared = parameters.find((candidate) => candidate.name === parameter);
        assert.equal(declared?.type, 'string', parameter);
        assert.equal(declared?.default, DEFAULT_RELEASE_ENVIRONMENTS[role], `${parameter} default`);
        // Names every pipeline of a project may deploy to would carry our check onto theirs.
        assert.ok(!['sandbox', 'production'].includes(String(declared?.default)), `${parameter} default`);
      }
      assert.deepEqual(
        releaseTemplateParameters(DEFAULT_RELEASE_ENVIRONMENTS),
        Object.fromEntries(
          Object.values(expected).map((role) => [`${role}Environment`, DEFAULT_RELEASE_ENVIRONMENTS[role]]),
        ),
      );
    });

    it('runs each stage after Plan only when Plan found a release, with the planned version', () => {
      const stages = stagesOf();
      for (const [index, stage] of stages.entries()) {
        if (index === 0) continue;
        const dependsOn = ([] as string[]).concat(stage.dependsOn as string | string[]);
        assert.ok(
          dependsOn.includes('Plan'),
          `${String(stage.stage)} depends on Plan (its outputs reach only direct dependants)`,
        );
        assert.ok(
          dependsOn.includes(stages[index - 1]!.stage as string),
          `${String(stage.stage)} follows ${String(stages[index - 1]!.stage)}`,
        );
        assert.equal(
          stage.condition,
          "and(succeeded(), eq(dependencies.Plan.outputs['Plan.plan.hasRelease'], 'true'))",
        );
        assert.equal(
          (stage.variables as Mapping).releaseVersion,
          "$[ stageDependencies.Plan.Plan.outputs['plan.version'] ]",
        );
        for (const step of stepsOf(jobOf(stage))) {
          if (isMapping(step.inputs) && 'version' in step.inputs)
            assert.equal(step.inputs.version, '$(releaseVersion)');
        }
      }
    });

    it('reads Plan outputs the plan step declares, by the job and step names Plan has', () => {
      const stages = stagesOf();
      const plan = jobOf(stages[0]!);
      const step = stepsOf(plan).find((candidate) => candidate.name === 'plan');
      assert.equal(plan.job, 'Plan');
      assert.ok(step);
      assert.equal(step.task, task('ReleasePullRequest'));
      assert.equal((step.inputs as Mapping).action, 'plan');
      const outputs = (taskJson('ReleasePullRequest')?.outputVariables ?? []).map((output) => output.name);
      const text = loadTemplate('release.yml').text;
      const references = [
        ...[...text.matchAll(/dependencies\.Plan\.outputs\['Plan\.plan\.(\w+)'\]/g)].map(
          (match) => match[1]!,
        ),
        ...[...text.matchAll(/stageDependencies\.Plan\.Plan\.outputs\['plan\.(\w+)'\]/g)].map(
          (match) => match[1]!,
        ),
      ];
      assert.ok(references.length >= 12);
      for (const name of references)
        assert.ok(outputs.includes(name), `ReleasePullRequest declares the output ${name}`);
    });

    it('runs the right action in each stage and the deploy steps in both deploy stages', () => {
      const byStage = new Map(stagesOf().map((stage) => [stage.stage as string, stepsOf(jobOf(stage))]));
      const main = (name: string) =>
        byStage.get(name)!.find((step) => typeof step.task === 'string' && step.task !== task('Notify'));
      assert.equal((main('Plan')!.inputs as Mapping).action, 'plan');
      assert.equal((main('CreateReleasePR')!.inputs as Mapping).action, 'create');
      assert.equal((main('MergeReleasePR')!.inputs as Mapping).action, 'complete');
      assert.equal(main('RunPipelines')!.task, task('RunPipelines'));
      assert.equal(main('CompleteRelease')!.task, task('CompleteRelease'));
      const text = loadTemplate('release.yml').text;
      assert.equal(text.match(/\$\{\{ each step in parameters\.deploySteps \}\}/g)?.length, 2);
    });
  });
});
