// The headless Chromium every browser test drives. By default the one the `@sparticuz/chromium` dev
// dependency ships (a headless shell, brotli-compressed in its package): unpacked once into
// node_modules/.cache/release-agent/ and reused by every later run, so nothing lands in the temp
// folder and `rm -rf node_modules` removes it. RELEASE_AGENT_CHROMIUM=/path/to/chromium uses a system
// browser instead (e.g. Debian's /usr/bin/chromium). Playwright gives each launch a fresh profile
// folder and removes it on close.
import assert from 'node:assert/strict';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_SETTING = 'RELEASE_AGENT_CHROMIUM';

// Headless, as root, with no network chatter of its own.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const REPO = join(import.meta.dirname, '..', '..');

/** The packaged browser, unpacked on first use; its path. */
export async function packagedChromium(
  cacheRoot = join(REPO, 'node_modules', '.cache', 'release-agent'),
): Promise<string> {
  // The package's entry is build/index.js; its browser is bin/chromium.br beside build/.
  const packageDir = dirname(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const executable = join(cacheRoot, `chromium-${version}`, 'chromium');
  if (existsSync(executable)) return executable;
  mkdirSync(dirname(executable), { recursive: true });
  // Unpack beside the target and rename: an interrupted unpack never passes for a browser.
  const partial = `${executable}.${process.pid}.partial`;
  await pipeline(
    createReadStream(join(packageDir, 'bin', 'chromium.br')),
    createBrotliDecompress(),
    createWriteStream(partial, { mode: 0o755 }),
  );
  renameSync(partial, executable);
  return executable;
}

/** Which browser to run: the setting's, else the packaged one. */
export async function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const chosen = env[CHROMIUM_SETTING];
  if (chosen) {
    assert.ok(
      existsSync(chosen),
      `${CHROMIUM_SETTING}=${chosen}: no such file (unset it to use the packaged browser)`,
    );
    return chosen;
  }
  return await packagedChromium();
}

export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({ executablePath: await chromiumExecutable(), args: ARGS });
}
