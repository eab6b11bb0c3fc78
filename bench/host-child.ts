// The function app on the local host, alone in a child process so its memory can be read on its own.
// Bundled before it runs (bench/host-rig.ts), as the function app is deployed. Driven over IPC:
//   parent → { type: 'start', env }            child → { type: 'ready', apiUrl }
//   parent → { type: 'memory', reset? }        child → { type: 'memory', rssMB, peakMB, maxRssMB, warnings, errors }
//   parent → { type: 'idle' }                  child → { type: 'idle', ok }
//   parent → { type: 'stop' }                  child exits
import { type FunctionsHost, startAgentHost } from '../sandbox/functions-host.ts';

export type ParentMessage =
  | { type: 'start'; env: Record<string, string>; queuePollMs: number }
  | { type: 'memory'; reset?: boolean }
  | { type: 'idle'; timeoutMs: number }
  | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; apiUrl: string }
  | { type: 'failed'; message: string }
  | { type: 'memory'; rssMB: number; peakMB: number; maxRssMB: number; warnings: number; errors: number }
  | { type: 'idle'; ok: boolean };

const MB = 2 ** 20;
let host: FunctionsHost | undefined;
let peak = 0;
let warnings = 0;
let errors = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage.rss());
};
// Sampled every 20 ms, often enough to see a burst; maxRSS (the kernel's high-water mark) backs it up.
setInterval(sample, 20).unref();

const send = (message: ChildMessage) => process.send?.(message);

process.on('message', (message: ParentMessage) => {
  void handle(message).catch((error: unknown) =>
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
});

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'start':
      host = await startAgentHost({
        env: message.env,
        timers: 'manual',
        queue: { pollIntervalMs: message.queuePollMs, retryDelaySeconds: 5 },
        log: (entry) => {
          if (entry.level === 'warning') warnings++;
          if (entry.level === 'error' || entry.level === 'critical') errors++;
        },
      });
      send({ type: 'ready', apiUrl: host.apiUrl });
      return;
    case 'memory': {
      sample();
      send({
        type: 'memory',
        rssMB: process.memoryUsage.rss() / MB,
        peakMB: peak / MB,
        maxRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
        warnings,
        errors,
      });
      if (message.reset) peak = 0;
      return;
    }
    case 'idle':
      try {
        await host?.idle(message.timeoutMs);
        send({ type: 'idle', ok: true });
      } catch {
        send({ type: 'idle', ok: false });
      }
      return;
    case 'stop':
      await host?.stop();
      process.exit(0);
  }
}

// The parent went away: do not linger.
process.on('disconnect', () => process.exit(0));
