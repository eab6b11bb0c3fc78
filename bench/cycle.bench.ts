// Full cycle: the `npm start` scenario (sandbox/scenario.ts: PRs reviewed, ticketed and merged, a
// release created, merged, its pipelines run and deployed to sandbox and production, every gate
// clicked), Azurite's start excluded: the harness's Azurite is handed to the sandbox. npm start also
// bundles the tasks first; that is timed once here and the runs share the bundles.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../sandbox/sandbox.ts';
import { runCycle } from '../sandbox/scenario.ts';
import { buildTasks } from '../scripts/build.ts';
import type { BenchContext } from './context.ts';
import { round, summarize } from './stats.ts';
import type { Figure } from './types.ts';

const RUNS = 3;

export async function cycleBench(context: BenchContext): Promise<Figure[]> {
  const azurite = await context.azurite();
  const tasksDir = mkdtempSync(join(tmpdir(), 'bench-cycle-tasks-'));
  try {
    context.progress('cycle: bundling the tasks as npm start does');
    const buildStart = performance.now();
    await buildTasks(tasksDir);
    const buildMs = performance.now() - buildStart;
    const starts: number[] = [];
    const cycles: number[] = [];
    const totals: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      context.progress(`cycle: scripted release cycle ${run + 1} of ${RUNS}`);
      const start = performance.now();
      const sandbox = await startSandbox({
        mode: 'scripted',
        storageConnectionString: azurite.connectionString,
        tasksDir,
        hub: false,
        latency: context.latency,
      });
      try {
        const started = performance.now();
        const result = await runCycle(sandbox);
        const done = performance.now();
        if (!result.ok) {
          throw new Error(
            `the cycle failed at "${result.failedStep}": [${result.error?.code}] ${result.error?.message}`,
          );
        }
        starts.push(round(started - start, 1));
        cycles.push(round(done - started, 1));
        totals.push(round(done - start, 1));
      } finally {
        await sandbox.stop();
      }
    }
    const total = summarize(totals);
    return [
      {
        group: 'cycle',
        name: 'npm start scenario (start + cycle), no Azurite start',
        unit: 'ms',
        summary: total,
        note: `sandbox start median ${round(summarize(starts).median)} ms, cycle median ${round(summarize(cycles).median)} ms; npm start also bundles the tasks first (${round(buildMs)} ms here): ≈ ${round((buildMs + total.median) / 1000, 1)} s in all`,
      },
    ];
  } finally {
    rmSync(tasksDir, { recursive: true, force: true });
  }
}
