// Debian's Chromium driven by playwright-core, for the console's browser tests.
// Missing Chromium: the tests say so once and skip, unless EAS_REQUIRE_CHROMIUM=1
// (.ci/run sets it), where they fail.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.EAS_CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.EAS_REQUIRE_CHROMIUM === '1')
      throw new Error(`Chromium is required (EAS_REQUIRE_CHROMIUM=1) but ${CHROMIUM} is missing`);
    console.log(`  browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
    return undefined;
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    timeout: 30_000,
  });
}
