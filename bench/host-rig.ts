// Starts bench/host-child.ts, bundled with esbuild like the function app, in a child process on a
// stack's environment, and talks to it over IPC (ready, memory, idle, stop).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { commonJsShim } from '../scripts/build.ts';
import { CpuMeter } from './cpu.ts';
import type { AckFloor } from './ack-floor.ts';
import type { ChildMessage, ParentMessage } from './host-child.ts';
import { bursts, type LoadResult, oneAtATime, type PreparedRequest } from './load.ts';

export interface HostMemory {
  /** Resident set size now. */
  rssMB: number;
  /** Highest sampled RSS since the last reset. */
  peakMB: number;
  /** The kernel's high-water mark over the child's whole life. */
  maxRssMB: number;
  warnings: number;
  errors: number;
}

export interface HostRig {
  apiUrl: string;
  memory(reset?: boolean): Promise<HostMemory>;
  /** Waits until the work queue is empty and nothing runs; false on timeout. */
  idle(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

const bundled = new Map<string, Promise<string>>();

/** bench/<name>.ts bundled once per run, with the function app's own options (scripts/build.ts). */
export function bundleBenchChild(name: string): Promise<string> {
  let file = bundled.get(name);
  if (!file) {
    file = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-child-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      const out = join(dir, `${name}.cjs`);
      await build({
        ...commonJsShim,
        entryPoints: [join(import.meta.dirname, `${name}.ts`)],
        outfile: out,
        target: 'node22',
        logLevel: 'warning',
        external: ['@azure/functions-core'],
      });
      return out;
    })();
    bundled.set(name, file);
  }
  return file;
}

export async function startHostRig(
  env: Record<string, string>,
  options: { queuePollMs?: number } = {},
): Promise<HostRig> {
  // Bundled as the function app is, so the host measured is the one shipped.
  const file = await bundleBenchChild('host-child');
  const child: ChildProcess = spawn(process.execPath, [file], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: { type: ChildMessage['type']; resolve: (message: ChildMessage) => void }[] = [];
  let failure: string | undefined;
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'failed') failure = message.message;
    const index = waiting.findIndex((entry) => entry.type === message.type || message.type === 'failed');
    if (index >= 0) waiting.splice(index, 1)[0]?.resolve(message);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ask = async <T extends ChildMessage['type']>(
    message: ParentMessage,
    answer: T,
  ): Promise<Extract<ChildMessage, { type: T }>> => {
    const reply = new Promise<ChildMessage>((resolve) => waiting.push({ type: answer, resolve }));
    child.send(message);
    const got = await Promise.race([
      reply,
      exited.then(
        (): ChildMessage => ({ type: 'failed', message: `the host child exited (${child.exitCode})` }),
      ),
    ]);
    if (got.type === 'failed') throw new Error(`host child: ${got.message}`);
    return got as Extract<ChildMessage, { type: T }>;
  };
  try {
    const ready = await ask({ type: 'start', env, queuePollMs: options.queuePollMs ?? 250 }, 'ready');
    return {
      apiUrl: ready.apiUrl,
      async memory(reset = false) {
        const { type: _type, ...memory } = await ask({ type: 'memory', reset }, 'memory');
        return memory;
      },
      async idle(timeoutMs = 60_000) {
        return (await ask({ type: 'idle', timeoutMs }, 'idle')).ok;
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.send({ type: 'stop' } satisfies ParentMessage);
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }
        if (failure) throw new Error(`host child: ${failure}`);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

export interface HostAcks {
  single: LoadResult;
  burst: LoadResult;
  /** The minimal ack's bursts, each sent right after the host's burst of the same round. */
  floor: LoadResult;
  /** The host's sampled RSS peak during each burst. */
  peaksMB: number[];
  cpu: CpuMeter;
  floorCpu: CpuMeter;
  memoryAfter: HostMemory;
}

/**
 * The acknowledgement measure both ack benchmarks take on a started host: `warmup` requests, then
 * `single` one at a time, each on a quiet host (the queue worker done with the previous one's work),
 * then `rounds` bursts of `burst`, CPU metered per burst and drained before the next. Each host burst
 * is followed by a burst of the same size at the minimal ack (`floor`), so both see the machine in the
 * same state (a background hiccup lands on one round of each, not on one side). Request i of the whole
 * run is `prepare(i)`. Stops the rig and the floor.
 */
export async function measureHostAcks(
  rig: HostRig,
  plan: {
    warmup: number;
    single: number;
    rounds: number;
    burst: number;
    prepare: (index: number) => PreparedRequest;
    /** The minimal ack: started here and stopped with the rig; request i sent to it is `request(url, i)`. */
    floor: { start: () => Promise<AckFloor>; request: (url: string, index: number) => PreparedRequest };
    progress: (message: string) => void;
  },
): Promise<HostAcks> {
  const { warmup, single, rounds, burst, prepare } = plan;
  const peaksMB: number[] = [];
  const cpu = new CpuMeter();
  const floorCpu = new CpuMeter();
  let floorServer: AckFloor | undefined;
  try {
    floorServer = await plan.floor.start();
    const floorUrl = floorServer.url;
    const toFloor = (index: number) => plan.floor.request(floorUrl, index);
    await oneAtATime(warmup, (index) => prepare(index));
    await oneAtATime(warmup, toFloor);
    await rig.idle();
    plan.progress('one at a time');
    const singles = await oneAtATime(
      single,
      (index) => prepare(warmup + index),
      () => rig.idle(),
    );
    await rig.idle();
    await rig.memory(true);
    plan.progress(`${rounds} bursts of ${burst}, each followed by one at the minimal ack`);
    const hostResult: LoadResult = { samples: [], failures: {}, wallMs: [] };
    const floorResult: LoadResult = { samples: [], failures: {}, wallMs: [] };
    for (let round = 0; round < rounds; round++) {
      const offset = warmup + single + round * burst;
      const host = await bursts(1, burst, (index) => prepare(offset + index), {
        before: () => cpu.start(),
        after: async () => {
          cpu.stop();
          peaksMB.push((await rig.memory(true)).peakMB);
          await rig.idle();
        },
      });
      const floor = await bursts(1, burst, (index) => toFloor(warmup + round * burst + index), {
        before: () => floorCpu.start(),
        after: () => floorCpu.stop(),
      });
      mergeLoad(hostResult, host);
      mergeLoad(floorResult, floor);
    }
    return {
      single: singles,
      burst: hostResult,
      floor: floorResult,
      peaksMB,
      cpu,
      floorCpu,
      memoryAfter: await rig.memory(),
    };
  } finally {
    await floorServer?.stop();
    await rig.stop();
  }
}

function mergeLoad(into: LoadResult, from: LoadResult): void {
  into.samples.push(...from.samples);
  into.wallMs.push(...from.wallMs);
  for (const [status, count] of Object.entries(from.failures))
    into.failures[Number(status)] = (into.failures[Number(status)] ?? 0) + count;
}
