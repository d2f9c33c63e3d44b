/**
 * Debian's Chromium (or CHROMIUM_PATH), headless, on a profile folder of the test's own: the one
 * launch every browser test uses (`npx playwright install` cannot work here).
 */
import { chromium, type BrowserContext } from 'playwright-core';

export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
