import type { Page } from 'playwright-core';

/** What the probe saw of the video element, sampled in the page every 200 ms. */
export interface PlaybackTrace {
  /** Seconds of currentTime gained from the first sample on. */
  advancedSeconds: number;
  /** Largest step back of currentTime (0 when it never went backwards). */
  largestRewindSeconds: number;
  /** Longest wall-clock stretch, after playback started, in which currentTime did not move. */
  longestStallSeconds: number;
  /** Distinct `currentSrc` values seen: one means the player never reloaded its source. */
  sources: number;
}

/** Starts sampling `#video` in the page; read the result with {@link readProbe}. */
export async function startProbe(page: Page): Promise<void> {
  // An expression, not a function: DOM types stay out of this Node.js project.
  await page.evaluate(`(() => {
    const video = document.getElementById('video');
    window.__probe = { samples: [], sources: new Set() };
    window.__probe.timer = setInterval(() => {
      window.__probe.samples.push([performance.now(), video.currentTime]);
      if (video.currentSrc) window.__probe.sources.add(video.currentSrc);
    }, 200);
  })()`);
}

export async function readProbe(page: Page): Promise<PlaybackTrace> {
  const { samples, sources } = await page.evaluate<{ samples: [number, number][]; sources: number }>(
    `({ samples: window.__probe.samples, sources: window.__probe.sources.size })`,
  );
  let largestRewindSeconds = 0;
  let longestStallSeconds = 0;
  let started = false;
  let lastMoveMs = 0;
  for (let i = 1; i < samples.length; i += 1) {
    const [atMs, time] = samples[i]!;
    const [, previous] = samples[i - 1]!;
    if (time < previous) largestRewindSeconds = Math.max(largestRewindSeconds, previous - time);
    if (time > previous) {
      if (started) longestStallSeconds = Math.max(longestStallSeconds, (atMs - lastMoveMs) / 1000);
      started = true;
      lastMoveMs = atMs;
    }
  }
  if (started && samples.length > 0) {
    longestStallSeconds = Math.max(
      longestStallSeconds,
      (samples[samples.length - 1]![0] - lastMoveMs) / 1000,
    );
  }
  const first = samples.find(([, time]) => time > 0)?.[1] ?? 0;
  const last = samples[samples.length - 1]?.[1] ?? 0;
  return { advancedSeconds: last - first, largestRewindSeconds, longestStallSeconds, sources };
}
