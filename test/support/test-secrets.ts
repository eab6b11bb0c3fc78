// Secrets that suites make up without a sandbox stack: registered with the run-wide scan
// (test/support/global-fixture.ts) like the ones every stack issues, so no captured output may hold them.
import { processWideList } from '../../sandbox/process-registry.ts';

export function testSecret(value: string): string {
  const issued = processWideList<string>('issued-secrets');
  if (!issued.includes(value)) issued.push(value);
  return value;
}
