// Mocha global fixture: one real Azurite (Table + Queue, in memory) for the whole run, and a scan of
// everything the run logged for the secrets the sandbox issued: what was printed, what every task
// bundle printed, the function host's log lines and the simulators' request logs (query strings).
// Suites read Azurite's connection string from AZURE_STORAGE_CONNECTION_STRING_TEST.
import assert from 'node:assert/strict';
import { secretForms } from '../../core/secret.ts';
import { taskRunOutputs } from '../../sandbox/agent/task-runner.ts';
import { type RunningAzurite, startAzurite } from '../../sandbox/azurite.ts';
import { captureLogs, logSources } from '../../sandbox/captured-logs.ts';
import { processWideList } from '../../sandbox/process-registry.ts';
import { issuedSecrets } from '../../sandbox/stack.ts';

let azurite: RunningAzurite | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  azurite = await startAzurite();
  process.env.AZURE_STORAGE_CONNECTION_STRING_TEST = azurite.connectionString;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await azurite?.stop();
}

// Everything written to stdout/stderr by this process during the run (the reporter included). The
// list and the hook are process-wide: suites import this module too (as ESM, a second instance).
const printed = processWideList<string>('printed-output');
captureLogs();
const hooked = Symbol.for('release-agent.printed-output-hooked');
const holder = globalThis as Record<symbol, boolean | undefined>;
if (!holder[hooked]) {
  holder[hooked] = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

export interface CapturedLogs {
  texts: string[];
  /** How many texts each kind of source gave, for the figure. */
  counts: Record<string, number>;
}

/** Every log text captured so far in this process, by kind of source. */
export function capturedLogs(): CapturedLogs {
  const counts: Record<string, number> = { printed: printed.length, 'task output': taskRunOutputs().length };
  const texts = [...printed, ...taskRunOutputs()];
  for (const source of logSources()) {
    const lines = source.lines();
    const kind = source.kind.endsWith('simulator requests') ? 'simulator request' : source.kind;
    counts[kind] = (counts[kind] ?? 0) + lines.length;
    texts.push(...lines);
  }
  return { texts, counts };
}

/** Where each secret (in any encoded form) shows up in `texts`. */
export function secretLeaks(texts: readonly string[], secrets: readonly string[]): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      const index = texts.findIndex((text) => text.includes(form));
      if (index >= 0)
        leaks.push(
          `a secret issued by the sandbox (${form === secret ? 'raw' : 'encoded'}) appears in captured output #${index}`,
        );
    }
  }
  return leaks;
}

/** `N issued secrets × their raw/base64/URL forms over M captured texts (…): K hits` */
export function describeScan(secrets: readonly string[], captured: CapturedLogs, hits: number): string {
  const parts = Object.entries(captured.counts)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  return `${secrets.length} issued secrets × their raw/base64/URL forms over ${captured.texts.length} captured texts (${parts}): ${hits} hits`;
}

export const mochaHooks = {
  afterAll(this: Mocha.Context) {
    const secrets = issuedSecrets();
    if (secrets.length === 0) return;
    const captured = capturedLogs();
    const leaks = secretLeaks(captured.texts, secrets);
    assert.deepEqual(leaks, [], `secrets leaked into logs:\n${leaks.join('\n')}`);
    process.stdout.write(`  secret scan: ${describeScan(secrets, captured, 0)}\n`);
  },
};
