import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Pages in the background of one browser must keep playing and keep their timers on time.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--autoplay-policy=no-user-gesture-required',
];

/** Declares a failing test when Chromium is required but absent; true when the browser tests can run. */
export function browserAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  describe(suite, () => {
    it('runs when Debian Chromium is installed', () => {
      const reason = `${CHROMIUM} is absent (install it with: apt-get install -y chromium)`;
      if (process.env.REQUIRE_BROWSER === '1') {
        throw new Error(`Browser tests are required (REQUIRE_BROWSER=1) but ${reason}.`);
      }
      console.warn(`Browser tests not run: ${reason}. Set REQUIRE_BROWSER=1 to make this a failure.`);
    });
  });
  return false;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'kvs-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in as `user` on the demo page and waits for the granted streams. */
export async function signIn(page: Page, user: string): Promise<void> {
  await page.selectOption('#user', user);
  await page.click('#signin');
  await page.waitForFunction("window.demo.state === 'signed-in'");
}
