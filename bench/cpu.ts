// CPU time per process (this one and its children: Azurite's table and queue services, the host child)
// from /proc, to say where a burst's time went. Linux only; elsewhere it reports nothing.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function label(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const script = argv.find((arg) => /\.(c?js|ts)$/.test(arg)) ?? argv[0] ?? String(pid);
    if (/azurite.*table/.test(script)) return 'Azurite table';
    if (/azurite.*queue/.test(script)) return 'Azurite queue';
    if (/host-child/.test(script)) return 'function host';
    if (/ack-floor-child/.test(script)) return 'minimal ack server';
    return script.split('/').at(-1) ?? script;
  } catch {
    return String(pid);
  }
}

function children(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

export type CpuSnapshot = Map<number, number>;

export function cpuSnapshot(): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const pid of [process.pid, ...children()]) {
    const ms = cpuMs(pid);
    if (ms !== undefined) snapshot.set(pid, ms);
  }
  return snapshot;
}

/** CPU used per process, summed over measured stretches (start … stop), busiest first. */
export class CpuMeter {
  readonly #totals = new Map<string, number>();
  #before: CpuSnapshot | undefined;

  start(): void {
    this.#before = cpuSnapshot();
  }

  stop(): void {
    const before = this.#before;
    if (!before) return;
    this.#before = undefined;
    for (const [pid, ms] of cpuSnapshot()) {
      const start = before.get(pid);
      if (start === undefined) continue;
      const name = pid === process.pid ? 'bench + simulators' : label(pid);
      this.#totals.set(name, (this.#totals.get(name) ?? 0) + ms - start);
    }
  }

  /** e.g. "CPU per click: function host 6.2 ms, Azurite table 4 ms" (empty where /proc is missing). */
  per(count: number, what: string): string {
    const used = [...this.#totals].filter(([, ms]) => ms / count >= 0.05).sort((a, b) => b[1] - a[1]);
    if (used.length === 0 || count <= 0) return '';
    return `CPU per ${what}: ${used.map(([name, ms]) => `${name} ${Math.round((ms / count) * 10) / 10} ms`).join(', ')}`;
  }
}
