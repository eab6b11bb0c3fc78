// The headless Chromium every browser test drives (Debian's package, as .ci/run installs it).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM_PATH), `${CHROMIUM_PATH} is required (apt-get install chromium)`);
  return await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}
