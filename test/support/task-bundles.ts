// Task bundles for the tests: built once per test process into a temporary folder (never dist/, so a
// developer's build and parallel runs don't collide), then run with the agent's contract.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTasks } from '../../scripts/build.ts';

let built: Promise<string> | undefined;

/** The folder holding <TaskName>/index.cjs and task.json for every task. */
export function taskBundlesDir(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'task-bundles-'));
    await buildTasks(dir);
    return dir;
  })();
  return built;
}

export async function taskDir(name: string): Promise<string> {
  return join(await taskBundlesDir(), name);
}
