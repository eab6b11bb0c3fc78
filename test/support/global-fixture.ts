// Mocha global fixture: one real Azurite (Table + Queue, in memory) for the whole run, and a scan of
// everything the run printed for the secrets the sandbox issued.
// Suites read Azurite's connection string from AZURE_STORAGE_CONNECTION_STRING_TEST.
import assert from 'node:assert/strict';
import { secretForms } from '../../core/secret.ts';
import { taskRunOutputs } from '../../sandbox/agent/task-runner.ts';
import { type RunningAzurite, startAzurite } from '../../sandbox/azurite.ts';
import { issuedSecrets } from '../../sandbox/stack.ts';

let azurite: RunningAzurite | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  azurite = await startAzurite();
  process.env.AZURE_STORAGE_CONNECTION_STRING_TEST = azurite.connectionString;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await azurite?.stop();
}

// Everything written to stdout/stderr by this process during the run (the reporter included).
const printed: string[] = [];
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

/** Where each secret (in any encoded form) shows up in `texts`. */
export function secretLeaks(texts: readonly string[], secrets: readonly string[]): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      const index = texts.findIndex((text) => text.includes(form));
      if (index >= 0) leaks.push(`a secret issued by the sandbox (${form === secret ? 'raw' : 'encoded'}) appears in captured output #${index}`);
    }
  }
  return leaks;
}

export const mochaHooks = {
  afterAll(this: Mocha.Context) {
    const secrets = issuedSecrets();
    if (secrets.length === 0) return;
    const leaks = secretLeaks([...printed, ...taskRunOutputs()], secrets);
    assert.deepEqual(leaks, [], `secrets leaked into logs:\n${leaks.join('\n')}`);
    process.stdout.write(`  secret scan: ${secrets.length} issued secrets × their raw/base64/URL forms over ${printed.length + taskRunOutputs().length} captured outputs: 0 hits\n`);
  },
};
