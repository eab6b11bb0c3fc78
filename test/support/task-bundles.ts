// Task bundles for the tests: built once per test process into a temporary folder (never dist/, so a
// developer's build and parallel runs don't collide), then run with the agent's contract.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTasks } from '../../scripts/build.ts';

let root: string | undefined;
let built: Promise<string> | undefined;
const builtOne = new Map<string, Promise<string>>();

function bundlesRoot(): string {
  root ??= mkdtempSync(join(tmpdir(), 'task-bundles-'));
  return root;
}

/** The folder holding <TaskName>/index.mjs (and its chunks) and task.json for every task. */
export function taskBundlesDir(): Promise<string> {
  built ??= (async () => {
    await buildTasks(bundlesRoot());
    return bundlesRoot();
  })();
  return built;
}

/** One task's bundle folder, built on first use: a suite needs only its own tasks to compile. */
export async function taskDir(name: string): Promise<string> {
  if (built) return join(await built, name);
  let one = builtOne.get(name);
  if (!one) {
    one = (async () => {
      const [bundle] = await buildTasks(bundlesRoot(), [name]);
      if (!bundle) throw new Error(`no task ${name} (tasks/${name}/task.json and index.ts)`);
      return join(bundlesRoot(), name);
    })();
    builtOne.set(name, one);
  }
  return await one;
}
