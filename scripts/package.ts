// npm run package: builds, validates every task.json (official schema + tfx's rules, which tfx itself
// only warns about), and runs the real `tfx extension create` to write dist/<publisher>.<id>-<version>.vsix.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunctions, buildHub, buildTasks, formatBytes } from './build.ts';
import { type TaskJson, taskContributions, taskJsonProblems } from './task-manifest.ts';

const root = join(import.meta.dirname, '..');

async function main(): Promise<void> {
  const { rmSync } = await import('node:fs');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const tasks = await buildTasks();
  const functions = await buildFunctions();
  const hub = await buildHub();

  const problems: string[] = [];
  const built: { folder: string; task: TaskJson }[] = [];
  for (const bundle of tasks) {
    const folder = `dist/tasks/${bundle.name.replace(/^task /, '')}`;
    const task = JSON.parse(readFileSync(join(root, folder, 'task.json'), 'utf8')) as TaskJson;
    for (const problem of taskJsonProblems(task, bundle.name.replace(/^task /, ''))) problems.push(`${folder}/task.json: ${problem}`);
    built.push({ folder, task });
  }
  const ids = built.map(({ task }) => task.id.toLowerCase());
  for (const id of ids.filter((id, index) => ids.indexOf(id) !== index)) problems.push(`task id ${id} is used twice`);
  if (problems.length > 0) {
    console.error(`task.json problems:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }

  const fragments = [join(root, 'vss-extension.json')];
  const tasksFragment = join(root, 'dist', 'manifest.tasks.json');
  writeFileSync(tasksFragment, JSON.stringify(taskContributions(built), null, 2));
  fragments.push(tasksFragment);
  const hubFragment = join(root, 'dist', 'hub', 'manifest.hub.json');
  if (existsSync(hubFragment)) fragments.push(hubFragment);

  const manifest = JSON.parse(readFileSync(join(root, 'vss-extension.json'), 'utf8')) as { publisher: string; id: string; version: string };
  const vsix = join(root, 'dist', `${manifest.publisher}.${manifest.id}-${manifest.version}.vsix`);
  const tfx = join(root, 'node_modules', 'tfx-cli', '_build', 'tfx-cli.js');
  const output = execFileSync(
    process.execPath,
    [tfx, 'extension', 'create', '--root', root, '--manifests', ...fragments, '--output-path', vsix, '--no-prompt', '--json'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, TFX_TRACE: '' } },
  );
  const warnings = output.split('\n').filter((line) => /warn/i.test(line));
  if (warnings.length > 0) {
    console.error(`tfx warned (treated as errors):\n  ${warnings.join('\n  ')}`);
    process.exit(1);
  }

  for (const bundle of [...tasks, ...functions, ...hub]) console.log(`${bundle.name.padEnd(32)} ${formatBytes(bundle.bytes).padStart(10)}`);
  console.log(`${'vsix'.padEnd(32)} ${formatBytes(statSync(vsix).size).padStart(10)}  ${vsix.slice(root.length + 1)}`);
}

await main();
