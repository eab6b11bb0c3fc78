import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { runTaskBundle } from '../../sandbox/agent/task-runner.ts';
import { taskNames } from '../../scripts/build.ts';
import { type PackageResult, packageExtension } from '../../scripts/package.ts';
import { endpointTypes, type TaskJson, taskJsonProblems } from '../../scripts/task-manifest.ts';
import { readZip, type ZipEntry } from '../support/zip.ts';

const execFileAsync = promisify(execFile);
const projectRoot = join(import.meta.dirname, '..', '..');
const sourceTask = (name: string) =>
  JSON.parse(readFileSync(join(projectRoot, 'tasks', name, 'task.json'), 'utf8')) as TaskJson;
const extensionManifest = JSON.parse(readFileSync(join(projectRoot, 'vss-extension.json'), 'utf8')) as {
  id: string;
  publisher: string;
  version: string;
  contributions: unknown[];
};

interface Contribution {
  id: string;
  type: string;
  targets: string[];
  properties: { name?: string };
}

describe('the extension package (real tfx, one run)', function () {
  this.timeout(180_000);
  let root: string;
  let result: PackageResult;
  let entries: Map<string, ZipEntry>;
  const tasks = taskNames();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'vsix-'));
    result = await packageExtension({ root });
    entries = new Map(readZip(readFileSync(result.vsix)).map((entry) => [entry.name, entry]));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** The files of a task folder in the vsix (its entry, chunks and task.json, icon aside). */
  const taskFiles = (task: string) =>
    [...entries.keys()]
      .filter((name) => name.startsWith(`dist/tasks/${task}/`) && !/(\/|\.png)$/.test(name))
      .map((name) => name.slice(`dist/tasks/${task}/`.length));

  const file = (name: string) => {
    const entry = entries.get(name);
    assert.ok(entry, `${name} is in the vsix (it holds ${[...entries.keys()].join(', ')})`);
    return entry.read();
  };

  it('is written under the output root with the name Azure DevOps expects, and reports every bundle', () => {
    assert.equal(
      result.vsix,
      join(
        root,
        'dist',
        `${extensionManifest.publisher}.${extensionManifest.id}-${extensionManifest.version}.vsix`,
      ),
    );
    assert.equal(result.vsixBytes, statSync(result.vsix).size);
    assert.ok(tasks.length >= 3, `tasks: ${tasks.join(', ')}`);
    for (const name of ['ReleasePullRequest', 'RunPipelines', 'CompleteRelease'])
      assert.ok(tasks.includes(name), name);
    assert.deepEqual(
      result.bundles.filter((bundle) => bundle.name.startsWith('task ')).map((bundle) => bundle.name),
      tasks.map((name) => `task ${name}`),
    );
    for (const bundle of result.bundles) assert.ok(bundle.bytes > 0, bundle.name);
  });

  it('holds every task: its bundle, its task.json as written and an icon', () => {
    for (const name of tasks) {
      const folder = `dist/tasks/${name}`;
      assert.deepEqual(
        JSON.parse(file(`${folder}/task.json`).toString('utf8')),
        sourceTask(name),
        `${name}/task.json`,
      );
      const bundle = file(`${folder}/index.mjs`).toString('utf8');
      assert.ok(bundle.length > 10_000, `${name}/index.mjs is a whole bundle`);
      assert.match(
        bundle,
        /^import\{createRequire as __bundleCreateRequire\}from"node:module";/,
        `${name}/index.mjs is an ES module that gives CommonJS code its require`,
      );
      // Every chunk it names (loaded at start or on first use) is packed beside it.
      const chunks = [...bundle.matchAll(/"\.\/(chunk-[A-Z0-9]+\.mjs)"/g)].map(([, chunk]) => chunk);
      assert.ok(chunks.length > 0, `${name} loads chunks`);
      for (const chunk of chunks)
        assert.ok(entries.has(`${folder}/${chunk}`), `${name}'s ${chunk} is packed`);
      assert.deepEqual(
        [...file(`${folder}/icon.png`).subarray(0, 4)],
        [0x89, 0x50, 0x4e, 0x47],
        `${name}/icon.png`,
      );
    }
    const packedTasks = [...entries.keys()].filter((name) => /^dist\/tasks\/[^/]+\/index\.mjs$/.test(name));
    assert.equal(packedTasks.length, tasks.length, 'nothing else is packed as a task');
  });

  it('contributes the three service connection types, one task per task folder, and the hub', () => {
    const manifest = JSON.parse(file('extension.vsomanifest').toString('utf8')) as {
      contributions: Contribution[];
    };
    const endpoints = manifest.contributions.filter(
      (contribution) => contribution.type === 'ms.vss-endpoint.service-endpoint-type',
    );
    assert.deepEqual(endpoints.map((contribution) => contribution.properties.name).sort(), [
      'releaseagent-jira',
      'releaseagent-slack',
      'releaseagent-state',
    ]);
    const taskContributions = manifest.contributions.filter(
      (contribution) => contribution.type === 'ms.vss-distributed-task.task',
    );
    assert.deepEqual(
      taskContributions.map((contribution) => contribution.properties.name).sort(),
      tasks.map((name) => `dist/tasks/${name}`).sort(),
    );
    for (const contribution of taskContributions)
      assert.deepEqual(contribution.targets, ['ms.vss-distributed-task.tasks']);
    assert.equal(
      new Set(manifest.contributions.map((contribution) => contribution.id)).size,
      manifest.contributions.length,
      'contribution ids are unique',
    );
    const hub = manifest.contributions.find((contribution) => contribution.type === 'ms.vss-web.hub');
    if (hub) assert.ok(entries.has('dist/hub/index.html'), 'the hub page is packed');
  });

  it('names its identity and icon in the vsix manifest, and packs the icon and the details page', () => {
    const vsixManifest = file('extension.vsixmanifest').toString('utf8');
    const identity = /<Identity [^>]*>/.exec(vsixManifest)?.[0] ?? '';
    for (const [name, value] of [
      ['Id', extensionManifest.id],
      ['Publisher', extensionManifest.publisher],
      ['Version', extensionManifest.version],
    ]) {
      assert.ok(identity.includes(` ${name}="${value}"`), `${identity} has ${name}="${value}"`);
    }
    assert.match(
      vsixManifest,
      /<Asset Type="Microsoft\.VisualStudio\.Services\.Icons\.Default" (d:Source="File" )?Path="images\/icon\.png"/,
    );
    const icon = file('images/icon.png');
    assert.equal(icon.readUInt32BE(16), 128, 'icon is 128 wide');
    assert.equal(icon.readUInt32BE(20), 128, 'icon is 128 high');
    assert.match(file('docs/marketplace.md').toString('utf8'), /^# Release Agent/);
  });

  it('runs a task straight from the vsix, without node_modules, as the agent would', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'vsix-task-'));
    try {
      for (const name of taskFiles('CompleteRelease'))
        writeFileSync(join(folder, name), file(`dist/tasks/CompleteRelease/${name}`));
      const run = await runTaskBundle({
        taskDir: folder,
        inputs: { version: 'one' },
        variables: { 'Build.Repository.Name': 'Billo.Platform.Payment' },
      });
      assert.equal(run.result, 'Failed');
      assert.match(run.resultMessage ?? '', /^\[INPUT_INVALID\] input "version" must be a version x\.y\.z/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('loads every chunk a task may load later (Jira, Slack, Table Storage, execa) without node_modules', async () => {
    for (const name of tasks) {
      const folder = mkdtempSync(join(tmpdir(), 'vsix-chunks-'));
      try {
        const modules = taskFiles(name).filter((entry) => entry.startsWith('chunk-'));
        assert.ok(modules.length > 0, `${name} has chunks`);
        for (const entry of [...modules, 'task.json'])
          writeFileSync(join(folder, entry), file(`dist/tasks/${name}/${entry}`));
        // Each chunk evaluated on its own, in a process that has nothing else to resolve from.
        const script = `for (const m of ${JSON.stringify(modules)}) await import('./' + m); console.log('loaded ' + ${modules.length});`;
        const loaded = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
          cwd: folder,
        });
        assert.equal(loaded.stdout.trim(), `loaded ${modules.length}`, name);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }
  });
});

describe('task.json rules (what fails the package)', () => {
  const endpoints = endpointTypes(extensionManifest);
  const base = sourceTask('RunPipelines');
  const problems = (change: (task: TaskJson & Record<string, unknown>) => void) => {
    const task = structuredClone(base) as TaskJson & Record<string, unknown>;
    change(task);
    return taskJsonProblems(task, 'RunPipelines', { endpointTypes: endpoints });
  };

  it('passes every task.json of the project', () => {
    assert.deepEqual(endpoints.sort(), ['releaseagent-jira', 'releaseagent-slack', 'releaseagent-state']);
    for (const name of readdirSync(join(projectRoot, 'tasks')).filter((entry) => !entry.startsWith('_'))) {
      assert.deepEqual(taskJsonProblems(sourceTask(name), name, { endpointTypes: endpoints }), [], name);
    }
  });

  it('names each broken rule', () => {
    const cases: [string, (task: TaskJson & Record<string, unknown>) => void, RegExp][] = [
      ['schema', (task) => (task.id = 'not-a-guid'), /^schema: \/id /],
      ['folder', (task) => (task.name = 'RunPipeline'), /differs from its folder/],
      ['friendlyName', (task) => (task.friendlyName = 'x'.repeat(41)), /friendlyName must be 1 to 40/],
      ['Node24', (task) => (task.execution = { Node20_1: { target: 'index.mjs' } }), /no Node24 handler/],
      [
        'older Node',
        (task) => (task.execution = { Node24: { target: 'index.mjs' }, Node20_1: { target: 'index.mjs' } }),
        /handler "Node20_1" runs a Node older than 22/,
      ],
      [
        'target',
        (task) => (task.execution = { Node24: { target: 'index.js' } }),
        /target must be index\.mjs/,
      ],
      [
        'agent',
        (task) => (task.minimumAgentVersion = '3.232.1'),
        /minimumAgentVersion must be at least 4\.265\.1/,
      ],
      ['restrictions', (task) => delete task.restrictions, /restrictions are not set/],
      [
        'settable',
        (task) =>
          (task.restrictions = {
            commands: { mode: 'restricted' },
            settableVariables: { allowed: ['runIds'] },
          }),
        /output variable "result" is not in restrictions\.settableVariables\.allowed/,
      ],
      ['label', (task) => delete task.inputs![0]!.label, /schema: .*label|input "repository" has no label/],
      ['help', (task) => delete task.inputs![0]!.helpMarkDown, /input "repository" has no helpMarkDown/],
      [
        'endpoint',
        (task) => (task.inputs![0]!.type = 'connectedService:releaseagent-jenkins'),
        /endpoint type "releaseagent-jenkins"/,
      ],
      [
        'visibleRule',
        (task) => (task.inputs![0]!.visibleRule = 'mode = fast'),
        /visibleRule on an unknown input: "mode = fast"/,
      ],
      [
        'output',
        (task) => (task.outputVariables = [{ name: 'runIds' }]),
        /output variable "runIds" has no description/,
      ],
    ];
    for (const [label, change, expected] of cases) {
      const found = problems(change);
      assert.ok(
        found.some((problem) => expected.test(problem)),
        `${label}: ${found.join(' | ') || 'no problem found'}`,
      );
    }
  });
});
