import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../local/start';
import { browserAvailable, launchChromium, signIn, type Browser } from './support/browser';
import { inspectMp4 } from '../support/mp4';
import { readProbe, startProbe } from './support/playback-probe';

/** Generous waits for a shared machine; they bound a hang, they do not measure speed. */
const PLAYBACK_WAIT_MS = 60_000;
/** Each mode must play this long: long enough for a player that stalls after a few segments to show it. */
const PLAY_SECONDS = 15;

interface DemoState {
  fatalErrors: { type: string; details: string }[];
  vends: number;
  renewals: string[];
  lastVend: Record<string, unknown> | null;
  events: string[];
  state: string;
  clip: Record<string, unknown> | null;
  thumbnails: Record<string, unknown> | null;
}

if (browserAvailable('demo page in Chromium')) {
  describe('demo page in Chromium', () => {
    jest.setTimeout(180_000);
    const stateDir = mkdtempSync(join(tmpdir(), 'kvs-e2e-state-'));
    let stack: LocalStack;
    let browser: Browser;

    beforeAll(async () => {
      stack = await startLocalStack({
        ports: 0,
        stateDir,
        env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
      });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });

    const openPage = async (): Promise<Page> => {
      const page = await browser.context.newPage();
      await page.goto(stack.demoUrl);
      return page;
    };
    // The browser code runs in the page; expressions keep DOM types out of this Node.js project.
    const demoState = (page: Page): Promise<DemoState> => page.evaluate<DemoState>('window.demo');
    const currentTime = (page: Page): Promise<number> =>
      page.locator('#video').evaluate((video: { currentTime: number }) => video.currentTime);

    /** Waits until the video has played past `seconds`, failing early on a fatal player error. */
    const waitForPlayback = async (page: Page, seconds: number): Promise<number> => {
      await page.waitForFunction(
        `window.demo.fatalErrors.length > 0 || window.demo.state === 'error' ||
         document.getElementById('video').currentTime > ${seconds}`,
        undefined,
        { timeout: PLAYBACK_WAIT_MS, polling: 250 },
      );
      const state = await demoState(page);
      expect(state.fatalErrors).toEqual([]);
      expect(await page.locator('#error').isHidden()).toBe(true);
      return currentTime(page);
    };

    /** Plays one mode for PLAY_SECONDS of advancing currentTime and reports what the probe saw. */
    const playMode = async (mode: string, protocol: string) => {
      const page = await openPage();
      try {
        await signIn(page, 'alice');
        await page.selectOption('#mode', mode);
        await page.selectOption('#protocol', protocol);
        await page.click('#play');
        const first = await waitForPlayback(page, 0.5);
        await startProbe(page);
        const last = await waitForPlayback(page, first + PLAY_SECONDS);
        const trace = await readProbe(page);
        const state = await demoState(page);
        return { mode, protocol, played: last - first, trace, state };
      } finally {
        await page.close();
      }
    };

    it.each(['HLS', 'DASH'])(
      'plays LIVE, LIVE_REPLAY and ON_DEMAND over %s for 15 s each, currentTime advancing and never going back',
      async (protocol) => {
        const results = await Promise.all(
          ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'].map((mode) => playMode(mode, protocol)),
        );

        for (const { mode, played, trace, state } of results) {
          expect({ mode, played: played >= PLAY_SECONDS }).toEqual({ mode, played: true });
          expect({ mode, rewind: trace.largestRewindSeconds }).toEqual({ mode, rewind: 0 });
          expect({ mode, sources: trace.sources }).toEqual({ mode, sources: 1 });
          expect(state.lastVend).toMatchObject({ protocol, playbackMode: mode });
          expect(state.fatalErrors).toEqual([]);
        }
      },
    );

    it('shows the library events, and never the URL', async () => {
      const page = await openPage();
      await signIn(page, 'alice');
      await page.click('#play');
      await waitForPlayback(page, 0.5);

      const events = await page.locator('#events').textContent();
      const state = await demoState(page);
      await page.close();

      expect(state.events.slice(0, 2)).toEqual(['vended', 'renewal-scheduled']);
      expect(events).toContain('vended');
      expect(events).not.toMatch(/SessionToken|https?:\/\//);
    });

    it.each(['HLS', 'DASH'])(
      'renews at once when %s gets a 403 from KVS, and keeps playing',
      async (protocol) => {
        const page = await openPage();
        // Every KVS request of the first session is refused from some point on, as after its expiry.
        let firstToken: string | null | undefined;
        let refuse = false;
        await page.route(
          (url) => url.searchParams.has('SessionToken'),
          (route) => {
            const token = new URL(route.request().url()).searchParams.get('SessionToken');
            firstToken ??= token;
            return refuse && token === firstToken
              ? route.fulfill({ status: 403, body: '' })
              : route.continue();
          },
        );
        await signIn(page, 'alice');
        await page.selectOption('#protocol', protocol);
        await page.click('#play');
        const before = await waitForPlayback(page, 0.5);

        refuse = true;
        await page.waitForFunction('window.demo.renewals.length === 1', undefined, {
          timeout: PLAYBACK_WAIT_MS,
        });
        const resumed = await waitForPlayback(page, before + 6);
        const state = await demoState(page);
        await page.close();

        expect(state.renewals).toEqual(['player-refused']);
        expect(state.vends).toBe(2);
        expect(resumed).toBeGreaterThan(before + 6);
      },
    );

    it('shows a DASH player error without the URL or SessionToken it quotes', async () => {
      const page = await openPage();
      // Every manifest answers 404: dash.js gives up, and its error message names the URL it failed on.
      await page.route(
        (url) => url.searchParams.has('SessionToken'),
        (route) => route.fulfill({ status: 404, body: '' }),
      );
      await signIn(page, 'alice');
      await page.selectOption('#protocol', 'DASH');
      await page.click('#play');
      await page.waitForFunction('window.demo.fatalErrors.length > 0', undefined, {
        timeout: PLAYBACK_WAIT_MS,
      });
      await page.locator('#error').waitFor({ state: 'visible' });
      const shown = await page.locator('body').textContent();
      const state = await demoState(page);
      await page.close();

      expect(shown).toContain('Playback failed:');
      expect(shown).toContain('[URL hidden]');
      expect(shown).not.toMatch(/SessionToken|https?:\/\//);
      expect(JSON.stringify(state)).not.toMatch(/SessionToken|https?:\/\//);
    });

    it('has an icon, so the browser logs no failed request on load', async () => {
      const page = await browser.context.newPage();
      const failed: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${new URL(response.url()).pathname}`);
      });
      await page.goto(stack.demoUrl);
      await page.waitForLoadState('networkidle');
      const icon = await page.request.get(`${stack.demoUrl.replace(/\/$/, '')}/favicon.ico`);
      await page.close();

      expect(failed).toEqual([]);
      expect(icon.status()).toBe(200);
      expect(icon.headers()['content-type']).toBe('image/svg+xml');
    });

    it('the client package refuses a partner API key in a page and in a web worker', async () => {
      const page = await openPage();
      // Runs in Chromium: the bundled client package, imported by the page and by a module worker.
      const outcome = await page.evaluate<{ page: string; worker: string }>(`(async () => {
        const origin = window.location.origin;
        const attempt = \`try { createClient({ baseUrl: '\${origin}', apiKey: 'k' }); postMessage('accepted'); }
          catch (error) { postMessage(error.message); }\`;
        const source = \`import { createClient } from '\${origin}/vendor/kvs-url-vending-client.js';\n\${attempt}\`;
        const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), {
          type: 'module',
        });
        const inWorker = await new Promise((resolve) => {
          worker.onmessage = (event) => resolve(String(event.data));
          worker.onerror = (event) => resolve('worker error: ' + event.message);
        });
        worker.terminate();
        const { createClient } = await import(origin + '/vendor/kvs-url-vending-client.js');
        let inPage = 'accepted';
        try {
          createClient({ baseUrl: origin, apiKey: 'k' });
        } catch (error) {
          inPage = error.message;
        }
        return { page: inPage, worker: inWorker };
      })()`);
      await page.close();

      expect(outcome.page).toMatch(/partner server only/);
      expect(outcome.worker).toMatch(/partner server only/);
    });

    it('downloads a clip of the past window and shows a strip of thumbnails that decode', async () => {
      const page = await openPage();
      try {
        await signIn(page, 'alice');

        const downloading = page.waitForEvent('download', { timeout: PLAYBACK_WAIT_MS });
        await page.click('#download-clip');
        const download = await downloading;
        const file = join(stateDir, 'clip.mp4');
        await download.saveAs(file);
        const bytes = readFileSync(file);
        const clip = (await demoState(page)).clip as { bytes: number; stream: string };

        expect(download.suggestedFilename()).toMatch(/^front-door-.*\.mp4$/);
        expect(bytes.byteLength).toBe(clip.bytes);
        const report = inspectMp4(bytes);
        expect(report.errors).toEqual([]);
        expect(report.tracks[0]!.codec).toMatch(/^avc1\./);
        // The default window: 10 to 8 minutes ago, 120 s of 2 s fragments.
        expect(report.videoSeconds).toBeGreaterThanOrEqual(118);
        expect(report.videoSeconds).toBeLessThanOrEqual(122);
        expect(await page.locator('#media-status').textContent()).not.toMatch(/https?:|X-Amz/);

        await page.click('#show-thumbnails');
        await page.waitForFunction('window.demo.thumbnails !== null', undefined, {
          timeout: PLAYBACK_WAIT_MS,
        });
        await page.waitForFunction(
          `[...document.querySelectorAll('#thumbnails img')].every((img) => img.complete)`,
          undefined,
          { timeout: PLAYBACK_WAIT_MS },
        );
        const sizes = await page.evaluate<{ width: number; height: number }[]>(
          `[...document.querySelectorAll('#thumbnails img')].map((img) => ({ width: img.naturalWidth, height: img.naturalHeight }))`,
        );

        expect(sizes.length).toBeGreaterThanOrEqual(10);
        for (const size of sizes) expect(size).toEqual({ width: 160, height: 90 });
        expect(await page.locator('#error').isHidden()).toBe(true);
      } finally {
        await page.close();
      }
    });

    it('shows 403 plainly for a clip the user has no CLIP capability for', async () => {
      const page = await openPage();
      await signIn(page, 'bob');

      await page.click('#download-clip');
      await page.locator('#error').waitFor({ state: 'visible' });
      const error = await page.locator('#error').textContent();
      await page.close();

      expect(error).toMatch(/^403 FORBIDDEN: /);
    });

    it('shows 403 plainly for a stream the user has no grant for', async () => {
      const page = await openPage();
      await signIn(page, 'bob');
      await page.fill('#stream-name', 'front-door');

      await page.click('#play');
      await page.locator('#error').waitFor({ state: 'visible' });
      const error = await page.locator('#error').textContent();
      const time = await currentTime(page);
      await page.close();

      expect(error).toMatch(/^403 FORBIDDEN: /);
      expect(time).toBe(0);
    });

    it('shows 404 NO_MEDIA for garage LIVE (and keeps polling gently) and 422 for legacy-mjpeg', async () => {
      const page = await openPage();
      await signIn(page, 'sam');
      await page.selectOption('#streams', 'garage');
      await page.click('#play');
      await page.locator('#error').waitFor({ state: 'visible' });
      const garage = await page.locator('#error').textContent();

      await page.selectOption('#streams', 'legacy-mjpeg');
      await page.click('#play');
      await page.waitForFunction("document.getElementById('error').textContent.startsWith('422')");
      const mjpeg = await page.locator('#error').textContent();
      await page.close();

      expect(garage).toMatch(/^404 NO_MEDIA: .*trying again in \d+ s/);
      expect(mjpeg).toMatch(/^422 STREAM_NOT_PLAYABLE: /);
    });
  });
}
