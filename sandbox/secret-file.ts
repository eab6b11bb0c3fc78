// A local run's operator token, for a person to use with curl: written to a file only its owner can
// read, never printed (the run's output is scanned for secrets, and terminals get shared).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes `value` to a fresh 0600 file under the temp folder and returns its path. */
export function writeSecretFile(name: string, value: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'release-agent-'));
  chmodSync(dir, 0o700);
  const file = join(dir, name);
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
}
