// npm run package: bundles every task (and the hub), validates every task.json (the official schema
// plus tfx's and our rules, which tfx itself only warns about), and runs the real `tfx extension
// create` (offline) to write dist/<publisher>.<id>-<version>.vsix. Prints each bundle's size and the vsix's.
// Any problem, a tfx warning included, fails the build.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type BuiltBundle, buildFunctions, buildHub, buildTasks, formatBytes } from './build.ts';
import { endpointTypes, type TaskJson, taskContributions, taskJsonProblems } from './task-manifest.ts';
import { answerHelp } from './cli.ts';

const projectRoot = resolve(import.meta.dirname, '..');

export interface PackageOptions {
  /**
   * The folder tfx packs from (its --root), laid out like the project: dist/tasks, dist/hub, images,
   * docs. Default the project itself; anywhere else (a test's temp folder) gets the static files copied.
   */
  root?: string;
  /** Also bundle the hub page (default true). */
  hub?: boolean;
  /** Also bundle the function app, only to report its size (default false; it is deployed on its own). */
  functions?: boolean;
}

export interface PackageResult {
  vsix: string;
  vsixBytes: number;
  bundles: BuiltBundle[];
  /** The task folders packed, relative to the root (dist/tasks/<Name>). */
  taskFolders: string[];
}

export class PackageError extends Error {
  override readonly name = 'PackageError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`packaging failed:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

interface ExtensionManifest {
  publisher: string;
  id: string;
  version: string;
}

export async function packageExtension(options: PackageOptions = {}): Promise<PackageResult> {
  const root = resolve(options.root ?? projectRoot);
  const dist = join(root, 'dist');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  // tfx resolves a manifest's file paths from the manifest's own folder: packing from elsewhere than
  // the project takes a copy of the manifest and of the static files it names.
  if (root !== projectRoot) {
    for (const folder of ['images', 'docs'])
      cpSync(join(projectRoot, folder), join(root, folder), { recursive: true });
    cpSync(join(projectRoot, 'vss-extension.json'), join(root, 'vss-extension.json'));
  }

  const manifestPath = join(root, 'vss-extension.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ExtensionManifest & {
    contributions?: unknown[];
  };
  const knownEndpoints = endpointTypes(manifest);

  const tasks = await buildTasks(join(dist, 'tasks'));
  const problems: string[] = [];
  const built: { folder: string; task: TaskJson }[] = [];
  for (const bundle of tasks) {
    const name = bundle.name.replace(/^task /, '');
    const folder = `dist/tasks/${name}`;
    const task = JSON.parse(readFileSync(join(root, folder, 'task.json'), 'utf8')) as TaskJson;
    for (const problem of taskJsonProblems(task, name, { endpointTypes: knownEndpoints }))
      problems.push(`tasks/${name}/task.json: ${problem}`);
    for (const [handler, execution] of Object.entries(task.execution ?? {})) {
      if (!existsSync(join(root, folder, execution.target)))
        problems.push(`${folder}: execution.${handler}.target ${execution.target} was not built`);
    }
    // The task's own icon, else the extension's: the task picker shows it.
    if (!existsSync(join(root, folder, 'icon.png')))
      cpSync(join(projectRoot, 'images', 'icon.png'), join(root, folder, 'icon.png'));
    built.push({ folder, task });
  }
  if (built.length === 0) problems.push('no tasks found under tasks/');
  const ids = built.map(({ task }) => task.id.toLowerCase());
  for (const id of ids.filter((id, index) => ids.indexOf(id) !== index))
    problems.push(`task id ${id} is used twice`);
  if (problems.length > 0) throw new PackageError(problems);

  const bundles: BuiltBundle[] = [...tasks];
  if (options.functions) bundles.push(...(await buildFunctions()));
  if (options.hub ?? true) bundles.push(...(await buildHub({ outDir: join(dist, 'hub') })));

  // Generated fragments live in dist/, so their file paths are made absolute (tfx would read them from dist/).
  const fragments = [manifestPath];
  const tasksFragment = join(dist, 'manifest.tasks.json');
  writeFileSync(tasksFragment, JSON.stringify(withAbsoluteFiles(taskContributions(built), root), null, 2));
  fragments.push(tasksFragment);
  const hubSource = join(dist, 'hub', 'manifest.hub.json');
  if (existsSync(hubSource)) {
    const hubFragment = join(dist, 'manifest.hub.json');
    writeFileSync(
      hubFragment,
      JSON.stringify(withAbsoluteFiles(JSON.parse(readFileSync(hubSource, 'utf8')), root), null, 2),
    );
    fragments.push(hubFragment);
  }

  const vsix = join(dist, `${manifest.publisher}.${manifest.id}-${manifest.version}.vsix`);
  const tfx = join(projectRoot, 'node_modules', 'tfx-cli', '_build', 'tfx-cli.js');
  const run = spawnSync(
    process.execPath,
    [
      tfx,
      'extension',
      'create',
      '--root',
      root,
      '--manifests',
      ...fragments,
      '--output-path',
      vsix,
      '--no-prompt',
      '--json',
    ],
    // No color codes, no debug trace; nothing in `extension create` talks to the network.
    { cwd: root, encoding: 'utf8', env: { ...process.env, TFX_TRACE: '', FORCE_COLOR: '0', NO_COLOR: '1' } },
  );
  const output = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
  if (run.status !== 0 || !existsSync(vsix)) {
    throw new PackageError([
      `tfx extension create failed (exit ${run.status}): ${output.trim().slice(0, 2000)}`,
    ]);
  }
  // tfx only warns about an invalid task.json or a contribution without one: those fail here.
  const warnings = output.split('\n').filter((line) => /warn/i.test(line));
  if (warnings.length > 0) throw new PackageError(warnings.map((line) => `tfx: ${line.trim()}`));

  return { vsix, vsixBytes: statSync(vsix).size, bundles, taskFolders: built.map(({ folder }) => folder) };
}

/** A manifest fragment whose `files` paths (relative to the packing root) are absolute. */
function withAbsoluteFiles(fragment: object, root: string): object {
  const files = (fragment as { files?: { path: string }[] }).files;
  if (!files) return fragment;
  return { ...fragment, files: files.map((file) => ({ ...file, path: resolve(root, file.path) })) };
}

async function main(): Promise<void> {
  try {
    const result = await packageExtension({ functions: true });
    for (const bundle of result.bundles)
      console.log(`${bundle.name.padEnd(32)} ${formatBytes(bundle.bytes).padStart(10)}`);
    console.log(
      `${'vsix'.padEnd(32)} ${formatBytes(result.vsixBytes).padStart(10)}  ${relative(projectRoot, result.vsix)}`,
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}

const USAGE = `usage: npm run package
Builds the bundles, validates every task.json (the official schema and tfx's rules) and writes
dist/release-agent.release-agent-<version>.vsix with tfx.`;

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  answerHelp(process.argv.slice(2), USAGE);
  await main();
}
