// npm run bench: runs every benchmark, prints one table and writes bench/results.json.
// Figures are medians with their spread over several runs; where a figure has a reference, the
// reference is measured in the same run on the same machine.
//   npm run bench -- --only slack-ack[,hook-ack…]   runs only those groups (results.json keeps the others)
//   npm run bench -- --latency real                  the simulators answer as the real services do
//   BENCH_DEBUG=1 npm run bench                      also prints the body of every non-2xx answer
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchGroup, createHarness } from './context.ts';
import { cycleBench } from './cycle.bench.ts';
import { reviewBench } from './review.bench.ts';
import { functionStartBench } from './function-start.bench.ts';
import { hookAckBench } from './hook-ack.bench.ts';
import { latencyBench } from './latency.bench.ts';
import { pollerBench } from './poller.bench.ts';
import { sizesBench } from './sizes.bench.ts';
import { slackAckBench } from './slack-ack.bench.ts';
import { type LatencyProfileName, parseLatencyProfile } from '../sandbox/sim/latency.ts';
import { round } from './stats.ts';
import { storeBench } from './store.bench.ts';
import { taskStartBench } from './task-start.bench.ts';
import type { Figure } from './types.ts';

const GROUPS: BenchGroup[] = [
  { name: 'store', run: async (context) => await storeBench(await context.azurite()) },
  { name: 'slack-ack', run: slackAckBench },
  { name: 'hook-ack', run: hookAckBench },
  { name: 'poller', run: pollerBench },
  { name: 'task-start', run: taskStartBench },
  { name: 'function-start', run: functionStartBench },
  { name: 'sizes', run: sizesBench },
  { name: 'cycle', run: cycleBench },
  { name: 'review', run: reviewBench },
  { name: 'latency', run: latencyBench },
];

function format(figure: Figure): string {
  const s = figure.summary;
  const main =
    s.runs === 0
      ? 'not available yet'
      : `median ${round(s.median, 2)} ${figure.unit} (iqr ${round(s.iqr, 2)}, p99 ${round(s.p99, 2)}, n=${s.runs})`;
  const reference = figure.reference
    ? ` | vs ${figure.reference.name}: median ${round(figure.reference.summary.median, 2)}, p99 ${round(figure.reference.summary.p99, 2)}`
    : '';
  const target = figure.target ? ` | target ${figure.target}: ${figure.met ? 'met' : 'NOT met'}` : '';
  const note = figure.note ? ` | ${figure.note}` : '';
  return `${figure.group.padEnd(14)} ${figure.name.padEnd(52)} ${main}${reference}${target}${note}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: npm run bench [-- --only <group>[,<group>…]] [--latency none|real]
Runs the benchmarks against Azurite and the simulators, prints one table and writes bench/results.json.
Groups: ${GROUPS.map((group) => group.name).join(', ')} (--only keeps the other groups' last figures).
--latency real: the simulators answer with the real services' response times (default none; the latency
group runs its scenario under both profiles).`);
    return;
  }
  let values: { only?: string; latency?: string };
  let latency: LatencyProfileName;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { only: { type: 'string' }, latency: { type: 'string' } },
    }));
    latency = parseLatencyProfile(values.latency);
  } catch (error) {
    console.error(`${(error as Error).message}; see npm run bench -- --help`);
    process.exitCode = 2;
    return;
  }
  const only = values.only
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = only?.filter((name) => !GROUPS.some((group) => group.name === name)) ?? [];
  if (unknown.length > 0) {
    console.error(
      `unknown group(s) ${unknown.join(', ')}; the groups are ${GROUPS.map((group) => group.name).join(', ')}`,
    );
    process.exitCode = 2;
    return;
  }
  const selected = GROUPS.filter((group) => !only || only.includes(group.name));
  const started = performance.now();
  const progress = (message: string) =>
    console.log(`[bench ${round((performance.now() - started) / 1000)} s] ${message}`);
  // Other work on the machine moves every figure: say how busy it was.
  const loadAtStart = loadavg().map((value) => round(value, 2));
  progress(`load average ${loadAtStart.join(', ')} on ${cpus().length} CPUs; latency profile ${latency}`);
  const harness = createHarness(progress, latency);
  const figures: Figure[] = [];
  const failed: string[] = [];
  try {
    for (const group of selected) {
      progress(`${group.name}…`);
      const groupStart = performance.now();
      try {
        figures.push(...(await group.run(harness)));
        progress(`${group.name} done in ${round((performance.now() - groupStart) / 1000)} s`);
      } catch (error) {
        // One broken group must not hide the others' figures.
        failed.push(group.name);
        console.error(
          `${group.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
    }
  } finally {
    await harness.stop();
  }
  console.log('');
  for (const figure of figures) console.log(format(figure));

  const file = join(import.meta.dirname, 'results.json');
  // A partial run (--only, or a failed group) keeps the other groups' last figures.
  const ran = new Set(selected.map((group) => group.name));
  const kept =
    ran.size < GROUPS.length || failed.length > 0
      ? previousFigures(file).filter((figure) => !ran.has(figure.group) || failed.includes(figure.group))
      : [];
  const at = new Date().toISOString();
  const results = {
    at,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((value) => round(value, 2)) },
    },
    groups: selected.map((group) => group.name),
    latency,
    // Each figure says when it was measured: a partial run keeps older ones.
    figures: [...figures.map((figure) => ({ ...figure, at })), ...kept],
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `wrote bench/results.json (${figures.length} figures measured${kept.length > 0 ? `, ${kept.length} kept from the last run` : ''}) in ${round((performance.now() - started) / 1000)} s`,
  );
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

function previousFigures(file: string): Figure[] {
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { figures?: Figure[] }).figures ?? [];
  } catch {
    return [];
  }
}

await main();
