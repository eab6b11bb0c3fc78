// Function app start: loading the bundled entry (dist/functions/index.cjs) in a fresh Node process, as
// the Functions worker does, timed inside the child around require() (the entry registers its
// functions with a stand-in of the runtime's @azure/functions-core), and the whole child's wall time
// against bare `node -e 0`, interleaved run by run.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import type { BenchContext } from './context.ts';
import { round, summarize } from './stats.ts';
import type { Figure } from './types.ts';

const RUNS = 11;

interface Loaded {
  loadMs: number;
  registered: number;
  wallMs: number;
}

function timeChild(code: string, cwd: string): Promise<Loaded> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    // No settings: the entry only registers; services are built on the first invocation.
    const child = spawn(process.execPath, ['-e', code], {
      cwd,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - start;
      if (code !== 0) return reject(new Error(`the child exited ${code}: ${err.slice(0, 500)}`));
      const printed = out.trim() ? (JSON.parse(out) as { ms: number; registered?: number }) : undefined;
      resolve({ loadMs: printed?.ms ?? Number.NaN, registered: printed?.registered ?? 0, wallMs });
    });
  });
}

export async function functionStartBench(context: BenchContext): Promise<Figure[]> {
  const { functions } = await context.artifacts();
  const cwd = dirname(functions.file);
  const load = `const start = performance.now(); require(${JSON.stringify(functions.file)}); process.stdout.write(JSON.stringify({ ms: performance.now() - start, registered: globalThis.__registered }));`;
  const loads: number[] = [];
  const walls: number[] = [];
  const bare: number[] = [];
  let registered = 0;
  context.progress(`function-start: ${RUNS} loads of the bundled entry and of bare node, interleaved`);
  for (let run = -1; run < RUNS; run++) {
    const loaded = await timeChild(load, cwd);
    const zero = await timeChild('0', cwd);
    // The first round only warms the file cache.
    if (run < 0) continue;
    registered = loaded.registered;
    loads.push(round(loaded.loadMs, 2));
    walls.push(round(loaded.wallMs, 2));
    bare.push(round(zero.wallMs, 2));
  }
  const loadSummary = summarize(loads);
  const bareSummary = summarize(bare);
  return [
    {
      group: 'function-start',
      name: 'load the bundled entry (require, in process)',
      unit: 'ms',
      summary: loadSummary,
      target: 'median ≤ 250 ms',
      met: loadSummary.median <= 250,
      note: `bundle ${round(functions.bytes / 1024)} KiB; ${registered} functions registered with the runtime (a stand-in of @azure/functions-core)`,
    },
    {
      group: 'function-start',
      name: 'node -e "require(entry)", spawn to exit',
      unit: 'ms',
      summary: summarize(walls),
      reference: { name: 'node -e 0', summary: bareSummary },
      note: `${round(summarize(walls).median / bareSummary.median, 2)}× bare Node`,
    },
  ];
}
