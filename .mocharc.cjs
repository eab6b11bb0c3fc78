// Mocha's settings. This file runs in the `mocha` process itself, before it starts the Node process
// that runs the suites (with tsx), so it can give the whole run a temp folder of its own: TMPDIR
// points at it for the suites and everything they start (task bundles, function hosts, Chromium
// profiles, PostgreSQL data, tsx's compile cache), and it is removed when mocha exits. A test run
// leaves the system temp folder as it found it.
const { chmodSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const RUN_TMPDIR = 'RELEASE_AGENT_TEST_TMPDIR';
if (!process.env[RUN_TMPDIR]) {
  const systemTmp = tmpdir();
  const runTmp = mkdtempSync(join(systemTmp, 'release-agent-test-'));
  // Others may pass through (not list): as root, the test PostgreSQL runs as an unprivileged user.
  chmodSync(runTmp, 0o711);
  process.env[RUN_TMPDIR] = runTmp;
  process.env.TMPDIR = runTmp;
  process.once('exit', () => rmSync(runTmp, { recursive: true, force: true, maxRetries: 3 }));
}

module.exports = {
  'node-option': ['import=tsx', 'unhandled-rejections=strict'],
  require: ['test/support/global-fixture.ts'],
  reporter: 'test/support/reporter.cjs',
  timeout: 20000,
};
