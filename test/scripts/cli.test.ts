// Command-line manners: every npm script that runs our code answers --help with exit 0, and a failure
// is one line that names what is wrong and what to do.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReleaseAgentError } from '../../core/errors.ts';
import { describeFailure } from '../../scripts/cli.ts';

const REPO = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

describe('command-line manners', () => {
  it('every npm script that runs our code answers --help on stdout with exit 0, and does nothing else', async function () {
    this.timeout(120_000);
    const { scripts } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const ours = Object.entries(scripts)
      .filter(([, command]) => command.includes('--import tsx'))
      .map(([name]) => name);
    assert.deepEqual(ours.sort(), [
      'bench',
      'build',
      'functions',
      'import',
      'package',
      'screenshots',
      'setup',
      'start',
    ]);
    for (const name of ours) {
      const { stdout } = await run('npm', ['run', '-s', name, '--', '--help'], {
        cwd: REPO,
        timeout: 60_000,
      });
      assert.match(stdout, /usage|Usage/, `npm run ${name} -- --help printed:\n${stdout}`);
      assert.doesNotMatch(
        stdout,
        /built \d+ bundle|KiB|Azurite started/,
        `npm run ${name} -- --help did work`,
      );
    }
  });

  it('a port in use: one line naming the port and what to do', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as AddressInfo;
    const second = createServer().listen(port, '127.0.0.1');
    const [error] = (await once(second, 'error')) as [Error];
    holder.close();
    assert.equal(
      describeFailure(error),
      `port ${port} is in use: stop what holds it, or choose another port (PORT=<port>)`,
    );
  });

  it('a host that cannot be reached: one line naming it, also when fetch wraps the cause', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    const error = await fetch(`http://127.0.0.1:${port}/`).catch((caught: unknown) => caught);
    assert.equal(
      describeFailure(error),
      `cannot reach 127.0.0.1:${port} (ECONNREFUSED): check the URL in its setting and that the service is up`,
    );
  });

  it('a service that kept failing on the network: the coded line, and the URL and setting to check', () => {
    const error = new ReleaseAgentError(
      'SERVICE_RETRIES_EXHAUSTED',
      'azure-devops listEnvironments still failing',
    );
    assert.equal(
      describeFailure(error, { url: 'http://127.0.0.1:1/org', setting: 'AZDO_ORGANIZATION / AZDO_BASE_URL' }),
      '[SERVICE_RETRIES_EXHAUSTED] azure-devops listEnvironments still failing; is http://127.0.0.1:1/org (AZDO_ORGANIZATION / AZDO_BASE_URL) right and reachable?',
    );
    const config = new ReleaseAgentError('CONFIG_INVALID', 'PORT must be a whole number\nmore');
    assert.equal(describeFailure(config), '[CONFIG_INVALID] PORT must be a whole number');
  });
});
