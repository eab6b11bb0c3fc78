// Logs the sandbox keeps in memory rather than printing: the function host's log lines and the
// simulators' request logs (paths and query strings). Each registers itself here so the test run's
// secret scan (test/support/global-fixture.ts) reads them along with everything that was printed.
import { processWideList } from './process-registry.ts';

export interface LogSource {
  /** What the lines are, e.g. "azure-devops simulator requests". */
  kind: string;
  /** The lines as they are now (read at scan time). */
  lines(): readonly string[];
}

const sources = processWideList<LogSource>('log-sources');
const capturing = processWideList<true>('log-capture');

/** Keep the logs that are not printed (the test run's fixture turns it on; the sandbox and benchmarks don't). */
export function captureLogs(): void {
  if (capturing.length === 0) capturing.push(true);
}

/** Whether a part should keep its unprinted log lines for the scan. */
export function capturingLogs(): boolean {
  return capturing.length > 0;
}

/** Adds a source of log lines; it is read (not copied) whenever the logs are scanned. */
export function registerLogSource(kind: string, lines: () => readonly string[]): void {
  sources.push({ kind, lines });
}

/** Every registered source of this process. */
export function logSources(): readonly LogSource[] {
  return sources;
}
