import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../local/start';
import { browserAvailable, launchChromium, signIn, type Browser } from './support/browser';
import { readProbe, startProbe } from './support/playback-probe';

/**
 * Sessions vended with the minimum lifetime (300 s) end, in this stack, after 5 % of it (15 s): the
 * emulator's local-only sessionLifetimeScale. The demo page runs the session's clock 20 times as fast to
 * match, so it renews 9 to 13.5 s after each vend, ahead of the 15 s expiry, as it would 180 to 270 s after
 * each vend against KVS.
 */
const SCALE = 0.05;
const SEGMENT_SECONDS = 2;
/** Two renewals at the latest 13.5 s apart, then enough play to show the second one held. */
const WATCH_SECONDS = 40;
const WAIT_MS = 120_000;

if (browserAvailable('renewal without interrupting playback, in Chromium')) {
  describe('renewal without interrupting playback, in Chromium', () => {
    jest.setTimeout(240_000);
    const stateDir = mkdtempSync(join(tmpdir(), 'kvs-e2e-renewal-'));
    let stack: LocalStack;
    let browser: Browser;

    beforeAll(async () => {
      stack = await startLocalStack({
        ports: 0,
        stateDir,
        emulator: { sessionLifetimeScale: SCALE },
        env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
      });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });

    const watchLive = async (protocol: 'HLS' | 'DASH') => {
      const page = await browser.context.newPage();
      const tokens = new Set<string>();
      const refused: string[] = [];
      page.on('request', (request) => {
        const token = new URL(request.url()).searchParams.get('SessionToken');
        if (token) tokens.add(token);
      });
      page.on('response', (response) => {
        if (response.status() === 403 && response.url().includes('SessionToken')) refused.push(protocol);
      });
      try {
        // No query parameter: the page learns the stack's scale from /demo/config.json.
        await page.goto(stack.demoUrl);
        await signIn(page, 'alice');
        await page.selectOption('#mode', 'LIVE');
        await page.selectOption('#protocol', protocol);
        await page.click('#play');
        await page.waitForFunction("document.getElementById('video').currentTime > 0.5", undefined, {
          timeout: WAIT_MS,
        });
        await startProbe(page);
        const start = await page.evaluate<number>("document.getElementById('video').currentTime");
        await page.waitForFunction(
          `window.demo.fatalErrors.length > 0 || window.demo.state === 'error' ||
           document.getElementById('video').currentTime > ${start + WATCH_SECONDS}`,
          undefined,
          { timeout: WAIT_MS, polling: 250 },
        );
        const trace = await readProbe(page);
        const shownSchedule = (await page.locator('#events').textContent()) ?? '';
        const demo = await page.evaluate<{
          fatalErrors: unknown[];
          renewals: string[];
          lastVend: { expiresInSeconds: number };
          events: string[];
        }>('window.demo');
        return { protocol, trace, demo, tokens: tokens.size, refused, shownSchedule };
      } finally {
        await page.close();
      }
    };

    it('keeps LIVE HLS and LIVE DASH playing across at least two renewals: no rewind, no reload, no stall over a segment', async () => {
      const results = await Promise.all([watchLive('HLS'), watchLive('DASH')]);

      for (const { protocol, trace, demo, tokens, refused, shownSchedule } of results) {
        process.stdout.write(
          `renewal ${protocol}: ${JSON.stringify({ ...trace, renewals: demo.renewals, tokens })}\n`,
        );
        const seen = {
          protocol,
          ...trace,
          renewals: demo.renewals,
          tokens,
          refused,
          fatal: demo.fatalErrors,
        };
        expect(seen).toMatchObject({ fatal: [], refused: [] });
        // Sessions of the minimum lifetime, renewed on schedule (never because KVS refused an expired one).
        expect(demo.lastVend.expiresInSeconds).toBe(300);
        expect(demo.renewals.length).toBeGreaterThanOrEqual(2);
        expect(new Set(demo.renewals)).toEqual(new Set(['expiring']));
        expect(tokens).toBeGreaterThanOrEqual(3);
        // The schedule the page shows is the one that happens here: renewals seconds apart, not minutes.
        const shownDelays = [...shownSchedule.matchAll(/renewal-scheduled \{[^}]*"inSeconds":(\d+)/g)].map(
          (match) => Number(match[1]),
        );
        expect(shownDelays.length).toBeGreaterThanOrEqual(2);
        for (const delay of shownDelays) expect(delay).toBeLessThan(15);
        expect(shownSchedule).toContain('"expiresInSeconds":15');
        // The player followed the sessions without reloading, rewinding or stalling for a segment.
        expect(seen.advancedSeconds).toBeGreaterThanOrEqual(WATCH_SECONDS - 1);
        expect(seen.largestRewindSeconds).toBe(0);
        expect(seen.sources).toBe(1);
        expect(seen.longestStallSeconds).toBeLessThanOrEqual(SEGMENT_SECONDS);
      }
    });
  });
}
