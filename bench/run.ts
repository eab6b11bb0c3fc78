// npm run bench: runs every benchmark, prints one table and writes bench/results.json.
// Figures are medians with their spread over several runs; where a figure has a reference, the
// reference is measured in the same run on the same machine.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../sandbox/azurite.ts';
import { round } from './stats.ts';
import { storeBench } from './store.bench.ts';
import type { Figure } from './types.ts';

function format(figure: Figure): string {
  const s = figure.summary;
  const main = `median ${round(s.median, 2)} ${figure.unit} (iqr ${round(s.iqr, 2)}, p99 ${round(s.p99, 2)}, n=${s.runs})`;
  const reference = figure.reference ? ` | vs ${figure.reference.name}: median ${round(figure.reference.summary.median, 2)}, p99 ${round(figure.reference.summary.p99, 2)}` : '';
  const target = figure.target ? ` | target ${figure.target}: ${figure.met ? 'met' : 'NOT met'}` : '';
  const note = figure.note ? ` | ${figure.note}` : '';
  return `${figure.group.padEnd(10)} ${figure.name.padEnd(52)} ${main}${reference}${target}${note}`;
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const azurite = await startAzurite();
  try {
    figures.push(...(await storeBench(azurite)));
  } finally {
    await azurite.stop();
  }
  for (const figure of figures) console.log(format(figure));
  const results = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
    figures,
  };
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote bench/results.json (${figures.length} figures)`);
}

await main();
