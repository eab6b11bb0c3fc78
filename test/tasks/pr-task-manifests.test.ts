// The task.json files of ReviewPullRequest, JiraTicket, StageRelease and Notify: valid against the official
// schema and our rules, and in step with what their entries read and write.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { type TaskJson, taskJsonProblems } from '../../scripts/task-manifest.ts';

const root = join(import.meta.dirname, '..', '..');
const TASKS = ['ReviewPullRequest', 'JiraTicket', 'StageRelease', 'Notify'];

/** Inputs each shared helper reads, so an entry that calls it must declare them. */
const HELPER_INPUTS: Record<string, string[]> = {
  pullRequestOfRun: ['pullRequestId', 'repository'],
  repositoryOfRun: ['repository'],
  workingDirectoryOfRun: ['workingDirectory'],
  ticketPatternInput: ['ticketPattern'],
  workflowInput: ['workflow'],
  jiraProjectsInput: ['jiraProjects'],
  functionAppFromConnection: ['stateConnection'],
  slackFromConnection: ['slackConnection'],
  jiraContextFromConnection: ['jiraConnection'],
  claudeFromInputs: ['claudeCredential'],
};

function readTask(name: string): {
  task: TaskJson & {
    restrictions?: { commands?: { mode?: string }; settableVariables?: { allowed?: string[] } };
  };
  source: string;
} {
  return {
    task: JSON.parse(readFileSync(join(root, 'tasks', name, 'task.json'), 'utf8')),
    source: readFileSync(join(root, 'tasks', name, 'index.ts'), 'utf8'),
  };
}

const reportsSource = readFileSync(join(root, 'tasks', '_common', 'reports.ts'), 'utf8');

/**
 * The outputs a task sets: its own setOutput calls, and the `outputs: { name: … }` keys of each
 * tasks/_common/reports.ts mapping it calls (applyReport sets them).
 */
function outputsSet(source: string): Set<string> {
  const names = new Set([...source.matchAll(/setOutput\('([A-Za-z.]+)'/g)].map((match) => match[1]!));
  for (const [, report] of source.matchAll(/\b([A-Za-z]+Report)\(/g)) {
    const start = reportsSource.indexOf(`export function ${report}(`);
    if (start < 0) continue;
    const end = reportsSource.indexOf('\nexport function ', start + 1);
    const body = reportsSource.slice(start, end < 0 ? undefined : end);
    for (const [, fields] of body.matchAll(/outputs: \{([^}]*)\}/g))
      for (const [, name] of fields!.matchAll(/([A-Za-z.]+):/g)) names.add(name!);
  }
  return names;
}

function inputsRead(source: string): Set<string> {
  const names = new Set<string>();
  for (const match of source.matchAll(
    /inputs\.(?:optional|required|boolean|integer|number|choice|list|version|branch|pipelines|templateParameters|commit)\('([A-Za-z]+)'/g,
  ))
    names.add(match[1]!);
  for (const [helper, inputs] of Object.entries(HELPER_INPUTS)) {
    if (new RegExp(`\\b${helper}\\(`).test(source)) for (const input of inputs) names.add(input);
  }
  return names;
}

describe('task.json of the PR-side tasks', () => {
  for (const name of TASKS) {
    describe(name, () => {
      const { task, source } = readTask(name);

      it('has no schema or rule problems', () => {
        assert.deepEqual(taskJsonProblems(task, name), []);
      });

      it('runs on the Node24 handler only (its libraries need Node 22 or later), from the bundle', () => {
        assert.deepEqual(Object.keys(task.execution ?? {}), ['Node24']);
        assert.equal(task.minimumAgentVersion, '4.265.1');
      });

      it('declares every input its entry reads, and reads every input it declares', () => {
        const declared = new Set((task.inputs ?? []).map((input) => input.name));
        const read = inputsRead(source);
        assert.deepEqual(
          [...read].filter((input) => !declared.has(input)).sort(),
          [],
          'read but not declared',
        );
        assert.deepEqual(
          [...declared].filter((input) => !read.has(input)).sort(),
          [],
          'declared but never read',
        );
      });

      it('declares every output it sets, and may set only those (and its job variables)', () => {
        const declared = (task.outputVariables ?? []).map((output) => output.name);
        assert.deepEqual([...outputsSet(source)].sort(), [...declared].sort());
        const variables = [...source.matchAll(/setVariable\('([A-Za-z.]+)'/g)].map((match) => match[1]!);
        assert.deepEqual(
          [...(task.restrictions?.settableVariables?.allowed ?? [])].sort(),
          [...new Set([...declared, ...variables])].sort(),
        );
      });
    });
  }

  it('Notify runs in restricted command mode; the others need uploadsummary (not allowed there)', () => {
    assert.equal(readTask('Notify').task.restrictions?.commands?.mode, 'restricted');
    for (const name of ['ReviewPullRequest', 'JiraTicket', 'StageRelease']) {
      // Directly, or through applyReport with a reports.ts mapping that has a summary.
      assert.match(readTask(name).source, /context\.summary\(|applyReport\(/);
      assert.equal(readTask(name).task.restrictions?.commands?.mode, 'any');
    }
  });

  it('each task has its own id', () => {
    const ids = readdirSync(join(root, 'tasks'))
      .filter((folder) => existsSync(join(root, 'tasks', folder, 'task.json')))
      .map((folder) =>
        (
          JSON.parse(readFileSync(join(root, 'tasks', folder, 'task.json'), 'utf8')) as TaskJson
        ).id.toLowerCase(),
      );
    assert.equal(new Set(ids).size, ids.length);
    for (const name of TASKS)
      assert.match(
        readTask(name).task.id,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
  });
});
